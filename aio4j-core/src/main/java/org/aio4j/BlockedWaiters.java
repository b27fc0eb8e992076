package org.aio4j;

import java.util.ArrayList;
import java.util.List;

/**
 * The tasks of one loop suspended in {@link Aio#waitAllTasksBlocked()} (Trio's {@code wait_all_tasks_blocked}). The
 * loop wakes them all when it runs out of work, before it would wait for time to pass (see {@code EventLoop.idle}).
 * Loop objects, touched only by the thread holding the loop.
 */
final class BlockedWaiters {

    private final EventLoop loop;
    /** Null while nobody waits, so the loop's check when it runs out of work is one null test. */
    private List<Future<Void>> waiting;

    BlockedWaiters(EventLoop loop) {
        this.loop = loop;
    }

    boolean any() {
        return waiting != null;
    }

    /** Suspends {@code task} until {@link #wakeAll()}; throws CancellationException if it is cancelled first. */
    void await(Task<?> task) {
        Future<Void> w = new Future<>(loop);
        w.owner = this;
        if (waiting == null) {
            waiting = new ArrayList<>(2);
        }
        waiting.add(w);
        try {
            task.suspendOn(w);
        } finally {
            if (waiting != null) {
                waiting.remove(w); // cancelled: no wake-up is owed to it any more
                if (waiting.isEmpty()) {
                    waiting = null;
                }
            }
        }
    }

    /** Wakes every waiting task, in the order they began to wait. */
    void wakeAll() {
        List<Future<Void>> woken = waiting;
        waiting = null;
        for (Future<Void> w : woken) {
            if (!w.isDone()) {
                w.complete(null);
            }
        }
    }

    @Override
    public String toString() {
        return "all other tasks blocked (Aio.waitAllTasksBlocked())";
    }
}
