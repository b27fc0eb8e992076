package org.aio4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The threads of one loop's futures that are blocked in {@link Future#get()} outside the loop: a latch per blocked
 * call, by future. Kept by the loop rather than by each future, so that a future (and a million tasks) pays nothing
 * for a feature few use: settling a future costs one read of {@link #count} while no thread is blocked.
 *
 * <p>No wake-up is missed: a blocked thread increments {@link #count}, registers its latch and then reads the
 * future's (volatile) state; a completer writes the state and then reads {@code count}, and if it is not zero counts
 * down the latches registered for the future. Whichever of the two comes second sees what the other did. Thread-safe.
 */
final class BlockedGets {

    private static final AtomicIntegerFieldUpdater<BlockedGets> COUNT =
            AtomicIntegerFieldUpdater.newUpdater(BlockedGets.class, "count");

    /** Threads registered: read on every settle, so a field of this object (one load less than an AtomicInteger). */
    private volatile int count;
    private final ConcurrentHashMap<Future<?>, List<CountDownLatch>> latches = new ConcurrentHashMap<>();
    /**
     * The threads blocked in an untimed {@link Future#get()}, each with its future: such a thread waits for the loop
     * alone, since only the thread holding the loop settles its futures (see {@link #waitsForever}).
     */
    private final ConcurrentHashMap<Thread, Future<?>> waitingForever = new ConcurrentHashMap<>();

    /** Registers the latch of a thread about to block on {@code f}. */
    void add(Future<?> f, CountDownLatch latch) {
        COUNT.incrementAndGet(this);
        latches.compute(f, (k, list) -> {
            List<CountDownLatch> l = list == null ? new ArrayList<>(1) : list;
            l.add(latch);
            return l;
        });
    }

    /** As {@link #add}, for a wait without a timeout by the current thread. */
    void addUntimed(Future<?> f, CountDownLatch latch) {
        waitingForever.put(Thread.currentThread(), f);
        add(f, latch);
    }

    /** Takes back what {@link #addUntimed} registered. */
    void removeUntimed(Future<?> f, CountDownLatch latch) {
        remove(f, latch);
        waitingForever.remove(Thread.currentThread());
    }

    /**
     * The pending future that {@code thread} waits for without a timeout in {@link Future#get()}, or null (also if
     * the thread is interrupted: it is leaving). Called on the thread holding the loop, the only one that settles the
     * loop's futures: while the future it returns is pending, the thread stays blocked until the loop settles it,
     * unless another thread interrupts it (an interrupt racing with this call is not seen, as a post racing with
     * deadlock detection is not).
     */
    Future<?> waitsForever(Thread thread) {
        if (thread.isInterrupted()) {
            return null;
        }
        Future<?> f = waitingForever.get(thread);
        return f == null || f.isDone() ? null : f;
    }

    /** Takes back a latch registered with {@link #add}, once its thread stops waiting (for whatever reason). */
    void remove(Future<?> f, CountDownLatch latch) {
        latches.computeIfPresent(f, (k, list) -> {
            list.remove(latch);
            return list.isEmpty() ? null : list;
        });
        COUNT.decrementAndGet(this);
    }

    /** Whether no thread is registered (for tests). */
    boolean isEmpty() {
        return count == 0 && latches.isEmpty();
    }

    /**
     * Releases every blocked thread, once the loop is closed: each finds its future still pending and its loop
     * closed. A thread that registers later sees the loop closed before it waits (see {@code Future.blockUntilDone}).
     */
    void releaseAll() {
        if (count == 0) {
            return;
        }
        for (Future<?> f : latches.keySet()) {
            release(f);
        }
    }

    /** Called once {@code f} is no longer pending: releases every thread blocked on it. */
    void release(Future<?> f) {
        if (count == 0) {
            return;
        }
        latches.computeIfPresent(f, (k, list) -> {
            list.forEach(CountDownLatch::countDown);
            return list;
        });
    }
}
