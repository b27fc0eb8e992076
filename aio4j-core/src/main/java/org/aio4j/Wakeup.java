package org.aio4j;

/**
 * A wake-up call for the one task of an operator that waits for shared state to change (an item arrived, space was
 * freed, demand came in). Used as {@code while (!condition) wakeup.await();}: loop objects change only on the loop,
 * so a change that happens before the wait is seen by the condition, and none is missed.
 */
final class Wakeup {

    private final EventLoop loop;
    private final String waitsFor;
    private Future<Void> waiter;

    /** @param waitsFor what the waiting task waits for, shown in deadlock reports and task dumps */
    Wakeup(EventLoop loop, String waitsFor) {
        this.loop = loop;
        this.waitsFor = waitsFor;
    }

    /** Suspends the calling task until {@link #signal()}. Throws CancellationException if the task is cancelled. */
    void await() {
        Future<Void> w = new Future<>(loop);
        w.owner = this;
        waiter = w;
        try {
            w.await();
        } catch (Exception e) {
            throw Failures.unchecked(e);
        } finally {
            waiter = null;
        }
    }

    /** Wakes the waiting task, if there is one. */
    void signal() {
        Future<Void> w = waiter;
        if (w != null && !w.isDone()) {
            w.complete(null);
        }
    }

    @Override
    public String toString() {
        return waitsFor;
    }
}
