package org.aio4j;

import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;

/**
 * A counter of permits for tasks: asyncio's {@code asyncio.Semaphore}. Each {@link #acquire()} takes a permit,
 * suspending while none is free; each {@link #release()} gives one back.
 *
 * <pre>{@code
 * var limit = new Semaphore(3);
 * try (var _ = limit.acquire()) {     // at most 3 tasks in here at once
 *     fetch(url);
 * }
 * }</pre>
 *
 * <p><b>Fair.</b> Waiting tasks get permits in the order they called {@code acquire()}. A release hands the permit to
 * the first waiter at once (the value does not go up), so a task that calls {@code acquire()} before that waiter has
 * run (even the releasing task itself) queues behind it; and while any task waits, a new acquirer waits too, even if
 * permits are free, as in asyncio 3.12+. {@link #locked()} says whether an {@code acquire()} would have to wait.
 *
 * <p><b>Cancellation.</b> A task cancelled while waiting throws {@link CancellationException} and holds no permit. If
 * a permit had just been handed to it, the permit goes back and on to the next waiter: none is lost or leaked.
 *
 * <p><b>Threads.</b> A loop object, bound to the loop that first uses it: call it on the thread holding that loop;
 * other threads throw {@link IllegalStateException} and should use {@link EventLoop#callSoonThreadsafe}.
 *
 * @see BoundedSemaphore
 */
public sealed class Semaphore extends LoopBound permits BoundedSemaphore {

    private int value;
    private ArrayDeque<Future<Boolean>> waiters;
    /**
     * Waiters handed a permit that have not resumed yet. asyncio leaves them in its queue until they run, where
     * {@code locked()} still sees them; this count keeps that behaviour although they leave the queue at once.
     */
    private int woken;

    /**
     * Creates a semaphore with {@code value} permits.
     *
     * @param value the number of permits free at first
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public Semaphore(int value) {
        if (value < 0) {
            throw new IllegalArgumentException(typeName() + " value must be >= 0, got " + value);
        }
        this.value = value;
    }

    /** Creates a semaphore with one permit. */
    public Semaphore() {
        this(1);
    }

    /**
     * Whether {@link #acquire()} would have to wait: asyncio's {@code locked()}. It would if no permit is free, or if
     * tasks wait or were handed a permit and have not resumed yet (FIFO: a newcomer goes behind them).
     *
     * @return whether an acquire now would have to wait
     */
    public boolean locked() {
        check("locked");
        return value == 0 || woken > 0 || anyLive(waiters);
    }

    /**
     * The number of free permits: asyncio's private {@code _value}, for diagnostics and tests.
     *
     * @return the number of permits free
     */
    public int value() {
        check("value");
        return value;
    }

    /**
     * Takes a permit, suspending the calling task until one is handed to it: asyncio's {@code acquire()}. Does not
     * suspend if a permit is free and nobody waits.
     *
     * @return a permit whose {@link Permit#close()} releases it
     * @throws CancellationException if the task is cancelled while waiting (it holds no permit then)
     * @throws IllegalStateException if it has to wait and is not called from a task, or is called on a thread that
     *                               does not hold the semaphore's loop
     */
    public Permit acquire() {
        EventLoop l = check("acquire()");
        if (value > 0 && woken == 0 && !anyLive(waiters)) {
            value--;
            return new Release(this, null);
        }
        Task<?> task = waitingTask(l, "acquire()");
        Future<Boolean> fut = newWaiter(l);
        if (waiters == null) {
            waiters = new ArrayDeque<>();
        }
        waiters.add(fut);
        try {
            try {
                task.suspendOn(fut);
            } finally {
                if (!fut.isDone() || fut.isCancelled()) {
                    waiters.remove(fut);
                } else {
                    woken--; // a woken waiter has left the queue already
                }
            }
        } catch (Throwable e) {
            if (fut.isDone() && !fut.isCancelled()) {
                // A permit was handed to us but we will not use it: give it back (woken below).
                value++;
            }
            throw e;
        } finally {
            // Waiters that arrived while permits were free had to queue (FIFO): wake as many as permits allow.
            while (value > 0 && wakeUpNext()) {
                // one more woken
            }
        }
        return new Release(this, null);
    }

    /**
     * Gives a permit back, handing it to the first waiter if any: asyncio's {@code release()}.
     *
     * @throws IllegalStateException if the value is already {@link Integer#MAX_VALUE} (Python's integer has no such
     *                               limit: here one more release would wrap to a negative value and the semaphore
     *                               would wait forever), or on a thread that does not hold the semaphore's loop
     */
    public void release() {
        check("release");
        if (value == Integer.MAX_VALUE) {
            throw new IllegalStateException(typeName() + ".release(): the value is already Integer.MAX_VALUE, the"
                    + " most permits it can count; one more release would overflow (" + this + ")");
        }
        value++;
        wakeUpNext();
    }

    /**
     * Wakes the first waiter that is not cancelled, handing it a permit, and takes it out of the queue at once: with
     * many permits, woken waiters that have not run yet would otherwise pile up at the head and every release would
     * walk past them (asyncio leaves them there; that walk was a tenth of the profile's samples for 100,000 tasks
     * through a Semaphore(100)). Cancelled waiters stay until their task removes them.
     */
    private boolean wakeUpNext() {
        if (waiters != null) {
            for (var it = waiters.iterator(); it.hasNext();) {
                Future<Boolean> fut = it.next();
                if (!fut.isDone()) {
                    it.remove();
                    value--;
                    woken++;
                    fut.complete(Boolean.TRUE);
                    return true;
                }
            }
        }
        return false;
    }

    /** The free permits, for BoundedSemaphore's bound check. */
    final int currentValue() {
        return value;
    }


    /**
     * A snapshot of the semaphore's state: Trio's {@code SemaphoreStatistics}.
     *
     * @param value        free permits
     * @param tasksWaiting how many tasks wait in {@link #acquire()} for a permit to be handed to them
     */
    public record Statistics(int value, int tasksWaiting) {
    }

    /**
     * The semaphore's state now.
     *
     * @return a snapshot of the free permits and the waiting tasks
     */
    public Statistics statistics() {
        check("statistics");
        return new Statistics(value, waiting(waiters));
    }

    @Override
    public String toString() {
        return typeName() + "[value=" + value + ", waiters=" + (waiters == null ? 0 : waiters.size()) + "]";
    }

    @Override
    void releasePermit(Object borrower) {
        release();
    }
}
