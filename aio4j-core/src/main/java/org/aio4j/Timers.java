package org.aio4j;

import java.util.ArrayDeque;
import java.util.PriorityQueue;

/**
 * The loop's timer heap. Loop-confined.
 *
 * <p>A handle may be marked cancelled by another thread at any time; it is counted as cancelled only when its
 * {@link #onCancel} runs on the loop. Until then it counts as live, and it is dropped, uncounted, if it reaches the
 * top of the heap first.
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

    /**
     * Counts {@code h}, just cancelled, among the cancelled handles of the heap, unless it has left the heap already
     * (a cancel from another thread reaches the loop later: the handle may have been popped or dropped meanwhile).
     */
    void onCancel(TimerHandle h) {
        if (h.offHeap) { // (counted once: a handle is marked cancelled, and this called, once)
            return;
        }
        h.counted = true;
        cancelled++;
        if (heap.size() > MIN_CLEANUP && cancelled * 2 > heap.size()) {
            var live = new PriorityQueue<TimerHandle>(Math.max(1, heap.size() - cancelled));
            for (TimerHandle each : heap) {
                if (!each.cancelled) {
                    live.add(each);
                } else {
                    each.offHeap = true;
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
            drop(heap.poll());
        }
        return top == null ? NONE : top.whenNanos;
    }

    /** Moves every live timer due at or before {@code now} to the end of {@code ready}, earliest first. */
    void popDue(long now, ArrayDeque<Object> ready) {
        TimerHandle top;
        while ((top = heap.peek()) != null && (top.cancelled || top.whenNanos <= now)) {
            heap.poll();
            if (top.cancelled) {
                drop(top);
            } else {
                top.offHeap = true;
                ready.add(top);
            }
        }
    }

    /** {@code h}, cancelled, has left the heap; it is no longer counted, if it was (see {@link #onCancel}). */
    private void drop(TimerHandle h) {
        h.offHeap = true;
        if (h.counted) {
            cancelled--;
        }
    }

    /** Number of handles in the heap, the cancelled ones it still holds included (for tests). */
    int heapSize() {
        return heap.size();
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
