package org.aio4j;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * A condition variable for tasks: asyncio's {@code asyncio.Condition}. Tasks holding its {@link Lock} wait in
 * {@link #await()} until another task signals them.
 *
 * <pre>{@code
 * try (var _ = cond.acquire()) {
 *     cond.waitFor(() -> !buffer.isEmpty());   // releases the lock while it waits
 *     take(buffer);
 * }
 * ...
 * try (var _ = cond.acquire()) {
 *     buffer.add(x);
 *     cond.signal();
 * }
 * }</pre>
 *
 * <p><b>Names.</b> {@link Object#wait()}, {@code notify()} and {@code notifyAll()} are final in Java, so asyncio's
 * {@code wait()}, {@code notify(n)} and {@code notify_all()} take the names of the JDK's
 * {@link java.util.concurrent.locks.Condition}: {@link #await()}, {@link #signal(int)} and {@link #signalAll()};
 * {@code wait_for(predicate)} is {@link #waitFor(BooleanSupplier)}.
 *
 * <p><b>Order.</b> Waiters are signalled in the order they started waiting; {@code signal(n)} wakes exactly the first
 * {@code n} (fewer if fewer wait). A woken waiter returns from {@code await()} only once it holds the lock again.
 *
 * <p><b>Cancellation.</b> {@code await()} always re-acquires the lock before it returns or throws, even when the task
 * is cancelled (as asyncio 3.13 does), so the caller's try-with-resources releases a lock it really holds; a waiter
 * interrupted while it waits for the lock again queues again at the back of the lock's queue, as in asyncio. A waiter
 * that leaves {@code await()} with an exception (cancelled, or failing) wakes the next waiter, whether it was
 * signalled or not, as asyncio's does: a signal it may have had is passed on (a "spurious" wake-up for the next one,
 * which the condition-variable protocol allows), so no signal is lost. One case cannot re-acquire: a waiter that the
 * loop's {@link EventLoop#close()} resumes (to run its {@code finally} blocks) while another task holds the lock,
 * since the close refuses every wait. It throws without the lock, and its next release (a permit's {@code close()},
 * the condition's, another's over the same lock or the lock's own, or {@link #release()} or {@link Lock#release()})
 * does nothing, so that the other task's lock is not released under it.
 *
 * <p><b>Threads.</b> A loop object, bound to the loop that first uses it: call it on the thread holding that loop;
 * other threads throw {@link IllegalStateException} and should use {@link EventLoop#callSoonThreadsafe}.
 */
public final class Condition extends LoopBound {

    private final Lock lock;
    private final ArrayDeque<Future<Boolean>> waiters = new ArrayDeque<>();

    /** Creates a condition with a new lock of its own. */
    public Condition() {
        this(new Lock());
    }

    /**
     * Creates a condition that uses {@code lock}, which other conditions may share.
     *
     * @param lock the lock the condition's waiters release and take back
     * @throws NullPointerException if {@code lock} is null
     */
    public Condition(Lock lock) {
        this.lock = Objects.requireNonNull(lock, "lock must not be null");
    }

    /**
     * Acquires the underlying lock: asyncio's {@code acquire()}. See {@link Lock#acquire()}.
     *
     * @return a permit whose {@code close()} releases the lock
     */
    public Permit acquire() {
        EventLoop l = check("acquire()");
        lock.lock("acquire()");
        return new Release(this, l == null ? null : l.currentTask());
    }

    /**
     * Releases the underlying lock: asyncio's {@code release()}. See {@link Lock#release()}. In a task that left
     * {@link #await()} without the lock because the loop was closing, the first release does nothing.
     */
    public void release() {
        check("release");
        lock.release(); // which skips the first release of a task that left await() without the lock
    }

    /**
     * Whether the underlying lock is held: asyncio's {@code locked()}.
     *
     * @return whether the lock is held
     */
    public boolean locked() {
        check("locked");
        return lock.locked();
    }

    /**
     * Releases the lock, suspends until signalled, then re-acquires the lock: asyncio's {@code wait()}. May return
     * without a matching signal (a wake-up passed on by a waiter that left with an exception), so callers re-check
     * their condition, or use {@link #waitFor(BooleanSupplier)}.
     *
     * @throws IllegalStateException if the lock is not held, or this is not called from a task
     * @throws CancellationException if the task is cancelled while waiting; the lock is held again all the same
     */
    public void await() {
        EventLoop l = check("await()");
        if (!lock.locked()) {
            throw new IllegalStateException("Condition.await() needs the lock: acquire it first (" + this + ")");
        }
        Task<?> task = waitingTask(l, "await()");
        Future<Boolean> fut = newWaiter(l);
        lock.release();
        try {
            try {
                suspendIn(waiters, fut, task);
            } finally {
                reacquire(l, task);
            }
        } catch (Throwable e) {
            // We may have been signalled before the error: hand the signal to another waiter.
            wake(1);
            throw e;
        }
    }

    /**
     * Takes the lock back even if the task is interrupted meanwhile (cancelled, or aborted by its {@link TaskGroup}),
     * and then throws the last interruption it caught, as asyncio's {@code wait()} does.
     */
    private void reacquire(EventLoop l, Task<?> task) {
        RuntimeException interruption = null;
        while (true) {
            try {
                lock.lock("await()");
                break;
            } catch (RuntimeException e) {
                // As asyncio's wait(), which catches the CancelledError of its acquire() and acquires again: the
                // interruption leaves the lock's queue (passing the lock on if it was this waiter's turn) and the
                // waiter queues again at the back, so tasks that came for the lock meanwhile go first. The same for
                // a cancellation of the lock wait's own future. Unless the loop is closing, which refuses further
                // waits to end the task.
                if (l.isClosing() || !(e instanceof CancellationException || task.isInterruption(e))) {
                    if (l.isClosing()) {
                        // The lock is another task's: the caller's release (its permit's close, of this condition,
                        // another over the lock or the lock's own) must leave it be. Kept by the lock for that.
                        lock.leftWithoutLock(task);
                    }
                    throw e;
                }
                interruption = e; // the last one, as asyncio re-raises: a Timeout or a TaskGroup recognises it
            }
        }
        if (interruption != null) {
            throw interruption;
        }
    }

    /**
     * Waits until {@code predicate} is true: asyncio's {@code wait_for()}. Checks it first, then after every wake-up,
     * always with the lock held.
     *
     * @param predicate the state to wait for; called with the lock held, on the loop's thread
     * @throws IllegalStateException if the lock is not held when it has to wait, or if called on a thread that does
     *                               not hold the condition's loop (before the predicate is called)
     * @throws CancellationException if the task is cancelled while waiting; the lock is held again all the same
     * @throws NullPointerException if {@code predicate} is null
     */
    public void waitFor(BooleanSupplier predicate) {
        Objects.requireNonNull(predicate, "predicate must not be null");
        check("waitFor()"); // the predicate reads the loop's state: not from another thread, even if already true
        while (!predicate.getAsBoolean()) {
            await();
        }
    }

    /**
     * Wakes the first {@code n} waiting tasks (all of them if fewer wait): asyncio's {@code notify(n)}. They return
     * from {@link #await()} once they get the lock, after the caller releases it.
     *
     * @param n the most waiting tasks to wake
     * @throws IllegalArgumentException if {@code n} is negative (asyncio wakes nobody; here it is refused)
     * @throws IllegalStateException    if the lock is not held (asyncio: "cannot notify on un-acquired lock")
     */
    public void signal(int n) {
        check("signal");
        if (n < 0) {
            throw new IllegalArgumentException("Condition.signal(n) needs n >= 0, got " + n);
        }
        checkLocked("signal");
        wake(n);
    }

    /** Wakes the first waiting task: asyncio's {@code notify()}. See {@link #signal(int)}. */
    public void signal() {
        signal(1);
    }

    /**
     * Wakes every waiting task: asyncio's {@code notify_all()}. See {@link #signal(int)}.
     *
     * @throws IllegalStateException if the lock is not held
     */
    public void signalAll() {
        check("signalAll");
        checkLocked("signalAll");
        wake(waiters.size());
    }

    private void checkLocked(String method) {
        if (!lock.locked()) {
            throw new IllegalStateException("Condition." + method + " needs the lock: acquire it first (" + this + ")");
        }
    }

    private void wake(int n) {
        int woken = 0;
        for (Future<Boolean> fut : waiters) {
            if (woken >= n) {
                break;
            }
            if (!fut.isDone()) {
                woken++;
                fut.complete(Boolean.FALSE);
            }
        }
    }

    @Override
    public String toString() {
        return "Condition[" + lock + ", waiters=" + waiters.size() + "]";
    }

    @Override
    void releasePermit(Object borrower) {
        lock.releasePermit(borrower);
    }
}
