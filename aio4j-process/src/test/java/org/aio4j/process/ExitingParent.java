package org.aio4j.process;

import java.nio.file.Path;

/**
 * A parent JVM for {@link RendezvousTest}: starts a pool whose worker, its sockets made in the directory given as
 * argument, waits for a debugger before it connects (so never does), prints {@code worker <pid>} once the worker has
 * said so, and exits with {@code System.exit} while that worker is still starting, without closing the pool.
 */
final class ExitingParent {

    private ExitingParent() {
    }

    static void main(String[] args) throws Exception {
        var log = new WorkerLog();
        var pool = ProcessPool.builder().workers(1)
                .jvmOptions("-agentlib:jdwp=transport=dt_socket,server=y,suspend=y,address=127.0.0.1:0").build();
        pool.socketDirectory = Path.of(args[0]);
        pool.submit(WorkerTasks::pid);
        log.await("Listening for transport dt_socket");   // its socket is made, and it will not connect
        System.out.println("worker " + pool.statistics().workerPids().getFirst());
        System.out.flush();
        System.exit(0);
    }
}
