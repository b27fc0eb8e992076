package org.aio4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The threads of one loop's futures that are blocked in {@link Future#get()} outside the loop: a {@link Waiter} per
 * blocked call, by future. Kept by the loop rather than by each future, so that a future (and a million tasks) pays
 * nothing for a feature few use: settling a future costs one read of {@link #count} while no thread is blocked.
 *
 * <p>No wake-up is missed: a blocked thread increments {@link #count}, registers its waiter and then reads the
 * future's (volatile) state; a completer writes the state and then reads {@code count}, and if it is not zero releases
 * the waiters registered for the future. Whichever of the two comes second sees what the other did. Thread-safe.
 */
final class BlockedGets {

    private static final AtomicIntegerFieldUpdater<BlockedGets> COUNT =
            AtomicIntegerFieldUpdater.newUpdater(BlockedGets.class, "count");

    /** Threads registered: read on every settle, so a field of this object (one load less than an AtomicInteger). */
    private volatile int count;
    /** By what they wait for: a {@link Future} of the loop, or a {@link ThreadsafeSubmission} to it. */
    private final ConcurrentHashMap<Object, List<Waiter>> waiters = new ConcurrentHashMap<>();
    /**
     * The threads blocked in an untimed {@link Future#get()}, each with its future, or in an untimed {@code get()} or
     * {@code join()} of a {@link ThreadsafeSubmission}, with it: such a thread waits for the loop alone, since only
     * the thread holding the loop settles its futures and ends its tasks (see {@link #waitsForever}).
     */
    private final ConcurrentHashMap<Thread, Object> waitingForever = new ConcurrentHashMap<>();

    /**
     * A thread blocked in {@link Future#get()}, woken when released. Unlike a {@code CountDownLatch}, its wait leaves
     * the thread's interrupt status alone: the thread leaves when it sees the status set, and clears it only once it
     * has taken its waiter back, so a registered thread is never one that has cleared an interrupt and is leaving
     * (see {@link #waitsForever}).
     */
    static final class Waiter {

        private final Thread thread = Thread.currentThread();
        private volatile boolean released;

        /** Wakes the thread. */
        void release() {
            released = true;
            LockSupport.unpark(thread);
        }

        /**
         * On the waiting thread: parks until released, at most {@code timeoutNanos} ({@link Long#MAX_VALUE}: no
         * limit). Returns true if the thread is interrupted, with its interrupt status still set.
         */
        boolean await(long timeoutNanos) {
            long deadline = timeoutNanos == Long.MAX_VALUE ? 0 : System.nanoTime() + timeoutNanos;
            while (!released) {
                if (thread.isInterrupted()) {
                    return true;
                }
                if (timeoutNanos == Long.MAX_VALUE) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    LockSupport.parkNanos(this, left);
                }
            }
            return false;
        }
    }

    /**
     * Blocks the calling thread, outside {@code loop}, until {@code done} says so, {@code timeoutNanos} pass
     * ({@link Long#MAX_VALUE}: no limit) or the thread is interrupted, on a {@link Waiter} registered for {@code f} (a
     * future or a submission of the loop), which every transition of {@code f} to done releases. Without a limit,
     * and not interrupted already, the thread counts as waiting for the loop alone (see {@link #waitsForever}): an
     * offloaded call stuck here lets the loop look again. {@code done} is read once the waiter is registered, so no
     * wake-up is missed (see the class comment). Returns true if the thread was interrupted, its interrupt status
     * still set, for the caller to clear now that its waiter is taken back (see {@link Waiter}).
     *
     * @throws ReleasedByClose if {@code f} is pending and the loop is closed: nothing can complete it
     */
    boolean block(EventLoop loop, Object f, BooleanSupplier done, long timeoutNanos) {
        var waiter = new Waiter();
        // An interrupted thread does not wait at all: it must not count as blocked for a moment (see InFlight).
        boolean untimed = timeoutNanos == Long.MAX_VALUE && !Thread.currentThread().isInterrupted();
        if (untimed) {
            addUntimed(f, waiter);
            loop.recheckWhenIdle();
        } else {
            add(f, waiter);
        }
        try {
            if (done.getAsBoolean()) {
                return false;
            }
            if (loop.isClosed()) {
                // Registered already: the close may have reported this thread as blocked before it got here, so it
                // fails as one the close released (not reported twice; see Offload#markReleaseReported).
                throw new ReleasedByClose(f, false);
            }
            if (waiter.await(timeoutNanos)) {
                return true;
            }
            if (!done.getAsBoolean() && loop.isClosed()) { // released by the close (releaseAll)
                throw new ReleasedByClose(f, true);
            }
            return false;
        } finally {
            if (untimed) {
                removeUntimed(f, waiter);
            } else {
                remove(f, waiter);
            }
        }
    }

    /** Registers the waiter of a thread about to block on {@code f}, a future or a submission of the loop. */
    void add(Object f, Waiter waiter) {
        COUNT.incrementAndGet(this);
        waiters.compute(f, (k, list) -> {
            List<Waiter> l = list == null ? new ArrayList<>(1) : list;
            l.add(waiter);
            return l;
        });
    }

    /** As {@link #add}, for a wait without a timeout by the current thread. */
    void addUntimed(Object f, Waiter waiter) {
        waitingForever.put(Thread.currentThread(), f);
        add(f, waiter);
    }

    /** Takes back what {@link #addUntimed} registered. */
    void removeUntimed(Object f, Waiter waiter) {
        remove(f, waiter);
        waitingForever.remove(Thread.currentThread());
    }

    /**
     * The pending future that {@code thread} waits for without a timeout in {@link Future#get()}, or null (also if
     * the thread is interrupted: it is leaving, and keeps its interrupt status until it has left, see {@link Waiter}).
     * Called on the thread holding the loop, the only one that settles the loop's futures: while the future it
     * returns is pending, the thread stays blocked until the loop settles it, unless another thread interrupts it (an
     * interrupt racing with this call is not seen, as a post racing with deadlock detection is not). An interrupt sent
     * by the thread holding the loop is seen: a thread it interrupted counts as blocked only once it waits again
     * (having swallowed the interrupt). A thread waiting for a {@link ThreadsafeSubmission} waits for its task, once
     * the loop has made it (before, the loop has the submission's callback to run: it is not idle).
     */
    Future<?> waitsForever(Thread thread) {
        if (thread.isInterrupted()) {
            return null;
        }
        Object w = waitingForever.get(thread);
        Future<?> f = w instanceof ThreadsafeSubmission<?> s ? s.pendingTask() : (Future<?>) w;
        return f == null || f.isDone() ? null : f;
    }

    /** Whether {@code thread} waits for a {@link ThreadsafeSubmission} rather than a future (for reports). */
    boolean waitsForSubmission(Thread thread) {
        return waitingForever.get(thread) instanceof ThreadsafeSubmission<?>;
    }

    /** Takes back a waiter registered with {@link #add}, once its thread stops waiting (for whatever reason). */
    void remove(Object f, Waiter waiter) {
        waiters.computeIfPresent(f, (k, list) -> {
            list.remove(waiter);
            return list.isEmpty() ? null : list;
        });
        COUNT.decrementAndGet(this);
    }

    /** Whether no thread is registered (for tests). */
    boolean isEmpty() {
        return count == 0 && waiters.isEmpty();
    }

    /**
     * Releases every blocked thread, once the loop is closed: each finds its future still pending and its loop
     * closed. A thread that registers later sees the loop closed before it waits (see {@code Future.blockUntilDone}).
     */
    void releaseAll() {
        if (count == 0) {
            return;
        }
        for (Object f : waiters.keySet()) {
            release(f);
        }
    }

    /** Called once {@code f} (a future or a submission) is no longer pending: releases every thread blocked on it. */
    void release(Object f) {
        if (count == 0) {
            return;
        }
        waiters.computeIfPresent(f, (k, list) -> {
            list.forEach(Waiter::release);
            return list;
        });
    }
}
