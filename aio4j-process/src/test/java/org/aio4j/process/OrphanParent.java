package org.aio4j.process;

import java.util.concurrent.CountDownLatch;

/**
 * A parent JVM for {@link LifecycleTest}: starts a pool with one worker, has it block in a call (or, given the
 * argument {@code initializer}, in the pool's initializer, before any call), prints {@code worker <pid>} and
 * {@code ready}, and waits to be killed.
 */
final class OrphanParent {

    private OrphanParent() {
    }

    static void main(String[] args) throws Exception {
        var log = new WorkerLog();
        boolean inInitializer = args.length > 0 && args[0].equals("initializer");
        var builder = ProcessPool.builder().workers(1);
        if (inInitializer) {
            builder.initializer(OrphanParent::blockInInitializer);
        }
        var pool = builder.build();
        pool.submit(() -> WorkerTasks.block("orphan"));
        System.out.println("worker " + log.awaitPid("orphan"));
        System.out.println("ready");
        System.out.flush();
        new CountDownLatch(1).await();
    }

    private static void blockInInitializer() {
        try {
            WorkerTasks.block("orphan");
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
