package org.aio4j;

import java.util.ArrayDeque;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CancellationException;

/**
 * A meeting point for a fixed number of tasks: asyncio's {@code asyncio.Barrier} (3.11). Each task calls
 * {@link #await()}; the call suspends until {@link #parties()} tasks have arrived, then all of them go on.
 *
 * <pre>{@code
 * var barrier = new Barrier(3);
 * ... in each of 3 tasks:
 * int index = barrier.await();      // 0 for the first to arrive, 2 for the last (see Cancellation)
 * }</pre>
 *
 * <p>asyncio's {@code wait()} is called {@code await()} here, because {@link Object#wait()} is final in Java (the JDK's
 * {@link java.util.concurrent.CyclicBarrier#await()} made the same choice). Unlike {@code CyclicBarrier}, the index
 * counts up from the first arrival, as asyncio's does.
 *
 * <p><b>Phases.</b> The barrier is cyclic: once the last party arrives it <em>drains</em> (the released tasks return
 * their index) and then fills again. Tasks arriving while it drains wait for the next phase. {@link #reset()} sends
 * the tasks waiting in the current phase out with {@link BrokenBarrierException} and starts a new phase once they
 * are gone; {@link #abort()} breaks it: waiting and later {@code await()} calls throw {@link BrokenBarrierException}
 * until a {@code reset()}. Unlike asyncio's coroutines, {@code reset()} and {@code abort()} do not suspend (they
 * need no lock on a single-threaded loop).
 *
 * <p><b>Cancellation.</b> A task cancelled while it waits leaves the barrier (the count goes down) and throws
 * {@link CancellationException}; the barrier is not broken, as in asyncio. The index is the count of tasks waiting
 * when a task arrives, as in asyncio, so after a cancellation the next arrival gets the index the cancelled task had:
 * indices within a phase are unique only when no waiter was cancelled. A cancelled waiter also sends the first task
 * still waiting to the back of the queue, as asyncio's does, so the tasks of that phase are released in that order. A
 * task released by the last arrival can still throw, as in asyncio, if it is cancelled or the barrier is aborted or
 * reset before it runs again.
 *
 * <p><b>Threads.</b> A loop object, bound to the loop that first uses it: call it on the thread holding that loop;
 * other threads throw {@link IllegalStateException} and should use {@link EventLoop#callSoonThreadsafe}.
 */
public final class Barrier extends LoopBound {

    private enum State { FILLING, DRAINING, RESETTING, BROKEN }

    private final int parties;
    private State state = State.FILLING;
    private int count;
    private final ArrayDeque<Future<Boolean>> waiters = new ArrayDeque<>();

    /**
     * Creates a barrier for {@code parties} tasks.
     *
     * @param parties the number of tasks that must call {@link #await()} to pass the barrier
     * @throws IllegalArgumentException if {@code parties} is less than 1
     */
    public Barrier(int parties) {
        if (parties < 1) {
            throw new IllegalArgumentException("Barrier parties must be >= 1, got " + parties);
        }
        this.parties = parties;
    }

    /**
     * Waits until {@link #parties()} tasks have called it, and returns this task's arrival index in the phase, from
     * 0 to {@code parties - 1}: asyncio's {@code wait()}. The last arrival does not suspend.
     *
     * @return this task's arrival index, from 0 to {@code parties - 1}
     * @throws BrokenBarrierException if the barrier is broken ({@link #abort()}), or is reset or aborted while this
     *                                task waits
     * @throws CancellationException  if the task is cancelled while waiting
     * @throws IllegalStateException  if it has to wait and is not called from a task
     */
    public int await() throws BrokenBarrierException {
        EventLoop l = check("await()");
        while (state == State.DRAINING || state == State.RESETTING) {
            waitForChange(l);
        }
        if (state == State.BROKEN) {
            throw new BrokenBarrierException("Barrier aborted: " + this);
        }
        int index = count++;
        try {
            if (index + 1 == parties) {
                state = State.DRAINING;
                wakeAll(waiters);
            } else {
                while (state == State.FILLING) {
                    waitForChange(l);
                }
                if (state == State.BROKEN || state == State.RESETTING) {
                    throw new BrokenBarrierException("Barrier " + (state == State.BROKEN ? "aborted" : "reset")
                            + " while waiting: " + this);
                }
            }
            return index;
        } finally {
            count--;
            if (count == 0) {
                if (state == State.RESETTING || state == State.DRAINING) {
                    state = State.FILLING;
                }
                wakeAll(waiters);
            }
        }
    }

    /**
     * Waits until the state may have changed. A waiter that leaves with an exception (a cancellation) wakes the first
     * waiter still waiting: asyncio's barrier waits on a {@code Condition}, whose {@code wait()} passes a possible
     * notification on that way; the waiter woken for nothing finds the state unchanged and waits again, at the back,
     * which decides the order in which the phase later releases the waiters. A caller refused the wait (not a task)
     * never waited: it wakes nobody.
     */
    private void waitForChange(EventLoop l) {
        Task<?> task = waitingTask(l, "await()");
        try {
            suspendIn(waiters, newWaiter(l), task);
        } catch (Throwable e) {
            for (Future<Boolean> fut : waiters) {
                if (!fut.isDone()) {
                    fut.complete(Boolean.TRUE);
                    break;
                }
            }
            throw e;
        }
    }

    /**
     * Returns the barrier to its empty state: asyncio's {@code reset()}. Tasks waiting in it throw
     * {@link BrokenBarrierException}; a broken barrier works again.
     */
    public void reset() {
        check("reset");
        state = count > 0 ? State.RESETTING : State.FILLING;
        wakeAll(waiters);
    }

    /**
     * Breaks the barrier: asyncio's {@code abort()}. Tasks waiting in it, and every later {@link #await()} until a
     * {@link #reset()}, throw {@link BrokenBarrierException}.
     */
    public void abort() {
        check("abort");
        state = State.BROKEN;
        wakeAll(waiters);
    }

    /**
     * How many tasks must arrive to pass the barrier: asyncio's {@code parties}.
     *
     * @return the number of parties
     */
    public int parties() {
        return parties;
    }

    /**
     * How many tasks wait in the filling phase: asyncio's {@code n_waiting}.
     *
     * @return the number of tasks waiting to pass
     */
    public int nWaiting() {
        check("nWaiting");
        return state == State.FILLING ? count : 0;
    }

    /**
     * Whether the barrier is broken: asyncio's {@code broken}.
     *
     * @return whether the barrier is broken
     */
    public boolean broken() {
        check("broken");
        return state == State.BROKEN;
    }

    @Override
    public String toString() {
        return "Barrier[" + state.name().toLowerCase() + ", waiters=" + count + "/" + parties + "]";
    }
}
