package org.aio4j.process;

import java.util.concurrent.CountDownLatch;

/**
 * A parent JVM for {@link LifecycleTest}: starts a pool with one worker, has it block in a call, prints
 * {@code worker <pid>} and {@code ready}, and waits to be killed.
 */
final class OrphanParent {

    private OrphanParent() {
    }

    static void main(String[] args) throws Exception {
        var log = new WorkerLog();
        var pool = ProcessPool.builder().workers(1).build();
        pool.submit(() -> WorkerTasks.block("orphan"));
        System.out.println("worker " + log.awaitPid("orphan"));
        System.out.println("ready");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
