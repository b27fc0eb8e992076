package org.aio4j;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * What other threads send the loop ({@code callSoonThreadsafe}, completions of offloaded calls), and the idle
 * loop's wait for it. The thread that waits announces itself in {@code sleeper} before checking the queue one last
 * time; a poster adds to the queue before reading {@code sleeper}; one of the two sees the other, so no post is
 * missed.
 */
final class Inbox {

    private final ConcurrentLinkedQueue<Handle> queue = new ConcurrentLinkedQueue<>();
    private volatile Thread sleeper;

    /** Adds {@code h} (any thread) and wakes the loop if it waits. */
    void post(Handle h) {
        queue.add(h);
        Thread s = sleeper;
        if (s != null) {
            LockSupport.unpark(s);
        }
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** How many posts wait; walks the queue (for tests). */
    int size() {
        return queue.size();
    }

    /**
     * How many posts one drain moves at most. A thread that posts in a tight loop can add faster than the loop takes:
     * an unbounded drain would then never end, and the loop would run nothing else. The rest waits for the next
     * iteration's drain, still in posting order.
     */
    static final int MAX_DRAIN = 1 << 14;

    /** Moves what was posted so far (at most {@link #MAX_DRAIN}) to the end of {@code ready}, in posting order. */
    void drainTo(ArrayDeque<Object> ready) {
        Handle h;
        for (int n = 0; n < MAX_DRAIN && (h = queue.poll()) != null; n++) {
            ready.add(h);
        }
    }

    /**
     * Moves everything posted so far to the end of {@code ready}: while the loop is not running, so that posts made
     * before a run all keep their place before what the run schedules.
     */
    void drainAllTo(ArrayDeque<Object> ready) {
        Handle h;
        while ((h = queue.poll()) != null) {
            ready.add(h);
        }
    }

    /**
     * Waits until something is posted or {@code timeoutNanos} pass ({@link Long#MAX_VALUE}: no timeout); may return
     * early. Returns whether the waiting thread was interrupted (the flag is cleared).
     */
    boolean await(Object blocker, long timeoutNanos) {
        sleeper = Thread.currentThread();
        try {
            if (queue.isEmpty()) {
                if (timeoutNanos == Long.MAX_VALUE) {
                    LockSupport.park(blocker);
                } else {
                    LockSupport.parkNanos(blocker, timeoutNanos);
                }
                return Thread.interrupted();
            }
            return false;
        } finally {
            sleeper = null;
        }
    }

    /** Takes {@code h} back if it is still queued; true if this call removed it. */
    boolean withdraw(Handle h) {
        return queue.remove(h);
    }

    void clear() {
        queue.clear();
    }
}
