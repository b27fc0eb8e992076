package org.aio4j;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CancellationException;

/**
 * A mutual-exclusion lock for tasks: asyncio's {@code asyncio.Lock}.
 *
 * <pre>{@code
 * try (var _ = lock.acquire()) {      // suspends while another task holds the lock
 *     ...                             // one task at a time here, even across suspension points
 * }
 * }</pre>
 *
 * <p><b>Fair.</b> Tasks that wait acquire the lock in the order they called {@link #acquire()}. When the lock is
 * released, the first waiter is woken and the lock is <em>its</em> turn: a task that calls {@code acquire()} before
 * the woken waiter has run (even the releasing task itself) queues behind it, as in asyncio 3.12+. A new acquirer
 * takes the lock at once only if it is free and no task waits (waiters that are being cancelled do not count).
 *
 * <p><b>Cancellation.</b> A task cancelled while waiting in {@code acquire()} throws
 * {@link CancellationException} and does not hold the lock. If it had just been woken (the lock was its turn), the
 * turn passes to the next waiter, so the lock is never left free while tasks wait. A holder is not tracked for
 * correctness (as in asyncio, any task may release), only for diagnostics: {@link #toString()} and deadlock reports
 * name the task that acquired it, and say so if that task has ended without releasing it.
 *
 * <p><b>Threads.</b> A loop object, bound to the loop that first uses it: call it on the thread holding that loop;
 * other threads throw {@link IllegalStateException} and should use {@link EventLoop#callSoonThreadsafe}.
 */
public final class Lock extends LoopBound {

    private boolean locked;
    private Task<?> holder;
    private ArrayDeque<Future<Boolean>> waiters;
    /**
     * Tasks that left a {@link Condition}'s {@code await()} over this lock without it because their loop was closing
     * (the close refuses the wait for it): their next release, by any permit or {@link #release()}, does nothing,
     * since the lock is another task's. Null until that happens.
     */
    private Set<Task<?>> leftWithoutLock;

    /** Creates an unlocked lock. */
    public Lock() {
    }

    /**
     * Whether the lock is held: asyncio's {@code locked()}. As in asyncio it is {@code false} from a release until
     * the woken waiter runs, although an {@link #acquire()} in between waits (the turn is that waiter's): use it for
     * diagnostics, not to decide whether an acquire would wait.
     *
     * @return whether the lock is held
     */
    public boolean locked() {
        check("locked");
        return locked;
    }

    /**
     * Acquires the lock, suspending the calling task until it is this task's turn: asyncio's {@code acquire()}.
     * Does not suspend if the lock is free and nobody waits.
     *
     * @return a permit whose {@link Permit#close()} releases the lock
     * @throws CancellationException if the task is cancelled while waiting (it does not hold the lock then)
     * @throws IllegalStateException if it has to wait and is not called from a task, or is called on a thread that
     *                               does not hold the lock's loop
     */
    public Permit acquire() {
        lock("acquire()");
        return new Release(this, holder);
    }

    /** Acquires without a permit (for {@link Condition}). */
    void lock(String method) {
        EventLoop l = check(method);
        if (!locked && !anyLive(waiters)) {
            take(l);
            return;
        }
        if (waiters == null) {
            waiters = new ArrayDeque<>();
        }
        try {
            awaitIn(waiters, l, method);
        } catch (Throwable e) {
            // Woken but cancelled before running: the lock is free and ours to take, so pass the turn on.
            if (!locked) {
                wakeUpFirst();
            }
            throw e;
        }
        take(l);
    }

    private void take(EventLoop l) {
        locked = true;
        holder = l == null ? null : l.currentTask();
    }

    /**
     * Releases the lock and wakes the first waiter, if any: asyncio's {@code release()}. Any task may release it.
     * In a task that left a {@link Condition}'s {@code await()} without the lock because the loop was closing (see
     * {@link Condition}), the first release does nothing.
     *
     * @throws IllegalStateException if the lock is not held, or on a thread that does not hold the lock's loop
     */
    public void release() {
        EventLoop l = check("release");
        if (leftWithoutLock == null || !forgetLeftWithoutLock(l == null ? null : l.currentTask())) {
            unlock();
        }
    }

    private void unlock() {
        if (!locked) {
            throw new IllegalStateException("Lock is not acquired: cannot release " + this);
        }
        locked = false;
        holder = null;
        wakeUpFirst();
    }

    private void wakeUpFirst() {
        Future<Boolean> first = waiters == null ? null : waiters.peekFirst();
        if (first != null && !first.isDone()) {
            first.complete(Boolean.TRUE);
        }
    }

    /**
     * A snapshot of the lock's state: Trio's {@code LockStatistics}.
     *
     * @param locked      whether the lock is held
     * @param holder      the task that acquired it, or {@code null} (free, or acquired outside a task)
     * @param tasksWaiting how many tasks wait in {@link #acquire()}
     */
    public record Statistics(boolean locked, Task<?> holder, int tasksWaiting) {
    }

    /**
     * The lock's state now.
     *
     * @return a snapshot of whether the lock is held, its holder, and the waiting tasks
     */
    public Statistics statistics() {
        check("statistics");
        return new Statistics(locked, holder, waiting(waiters));
    }

    @Override
    public String toString() {
        // Each field read once: a task dump taken from another thread may run this while the loop releases the lock.
        ArrayDeque<Future<Boolean>> w = waiters;
        Task<?> h = holder;
        int n = w == null ? 0 : w.size();
        // A holder that has ended will never release it: a deadlock report must say so, as it is not listed pending.
        String state = !locked ? "unlocked" : h == null ? "locked"
                : "locked by " + h.getName() + (h.isDone() ? ", which has ended" : "");
        return "Lock[" + state + ", waiters=" + n + "]";
    }

    @Override
    void releasePermit(Object borrower) {
        check("release");
        if (leftWithoutLock == null || !forgetLeftWithoutLock(borrower instanceof Task<?> t ? t : null)) {
            unlock();
        }
    }

    /** For {@link Condition}: {@code task} leaves its await() without this lock, which the loop's close refused it. */
    void leftWithoutLock(Task<?> task) {
        if (leftWithoutLock == null) {
            leftWithoutLock = new HashSet<>();
        }
        leftWithoutLock.add(task);
    }

    /**
     * Whether {@code task} left a Condition's await() without this lock; forgets it (it skips one release). Called
     * only once some task has: a release otherwise looks up no task.
     */
    private boolean forgetLeftWithoutLock(Task<?> task) {
        return task != null && leftWithoutLock.remove(task);
    }
}
