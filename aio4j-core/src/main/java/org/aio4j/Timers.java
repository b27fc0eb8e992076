package org.aio4j;

import java.util.ArrayDeque;
import java.util.PriorityQueue;

/**
 * The loop's timer heap. Loop-confined.
 *
 * <p>Cancelled handles stay in the heap until they reach the top, unless they make up more than half of a heap of
 * over 100 entries, when the heap is rebuilt without them (the policy of asyncio's {@code _run_once}).
 *
 * <p>Every timer is due at or before {@link #LATEST}, so {@link #NONE} can only mean that there is no timer.
 */
final class Timers {

    /**
     * The latest loop time a timer can be due at, in nanoseconds (about 292 years after the clock's origin): the
     * loop schedules a timer further away (a delay that saturated, a huge {@code callAt}) for this time instead.
     */
    static final long LATEST = Long.MAX_VALUE - 1;

    /** What {@link #nextDeadline()} returns when there is no live timer; later than any timer. */
    static final long NONE = Long.MAX_VALUE;

    private static final int MIN_CLEANUP = 100;

    private PriorityQueue<TimerHandle> heap = new PriorityQueue<>();
    private int cancelled;
    private long seq;

    long nextSeq() {
        return seq++;
    }

    /** Adds a handle; its {@code whenNanos} must be at most {@link #LATEST}. */
    void add(TimerHandle h) {
        assert h.whenNanos <= LATEST : h;
        heap.add(h);
    }

    void onCancel() {
        cancelled++;
        if (cancelled > MIN_CLEANUP && cancelled * 2 > heap.size()) {
            var live = new PriorityQueue<TimerHandle>(Math.max(1, heap.size() - cancelled));
            for (TimerHandle h : heap) {
                if (!h.cancelled) {
                    live.add(h);
                }
            }
            heap = live;
            cancelled = 0;
        }
    }

    /** The time of the earliest live timer, or {@link #NONE} if there is none. */
    long nextDeadline() {
        TimerHandle top;
        while ((top = heap.peek()) != null && top.cancelled) {
            heap.poll();
            cancelled--;
        }
        return top == null ? NONE : top.whenNanos;
    }

    /** Moves every live timer due at or before {@code now} to the end of {@code ready}, earliest first. */
    void popDue(long now, ArrayDeque<Object> ready) {
        TimerHandle top;
        while ((top = heap.peek()) != null && (top.cancelled || top.whenNanos <= now)) {
            heap.poll();
            if (top.cancelled) {
                cancelled--;
            } else {
                top.fired = true;
                ready.add(top);
            }
        }
    }

    /** Number of live (not cancelled) timers. */
    int live() {
        return heap.size() - cancelled;
    }

    void clear() {
        heap.clear();
        cancelled = 0;
    }
}
