package org.aio4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;

/**
 * A semaphore that knows who holds its tokens: Trio's {@code trio.CapacityLimiter}. Each borrower (by default the
 * calling {@link Task}) holds at most one token; the number of tokens can be changed while it is in use.
 *
 * <pre>{@code
 * var limiter = new CapacityLimiter(10);
 * try (var _ = limiter.acquire()) {          // at most 10 tasks in here at once
 *     fetch(url);
 * }
 * limiter.setTotalTokens(20);                // wakes up to 10 more waiters at once
 * }</pre>
 *
 * <p><b>Borrowers.</b> {@link #acquire()} borrows a token for the current task, and refuses a second one for the
 * same task (a task that re-enters a limiter it already holds would otherwise deadlock or over-count).
 * {@link #acquireOnBehalfOf(Object)} borrows for any object, e.g. a job handed to another task.
 * {@link #statistics()} lists the borrowers.
 *
 * <p><b>Fair.</b> Waiters get tokens in the order they asked. A released token is handed to the first waiter at
 * once, so no later caller can take it first; while any task waits, a new caller waits too.
 *
 * <p><b>Resizing.</b> {@link #setTotalTokens(int)} takes effect at once: growing hands the new tokens to waiters;
 * shrinking takes nothing back from current borrowers, it only delays new ones until enough tokens are returned.
 *
 * <p><b>Cancellation.</b> A task cancelled while waiting throws {@link CancellationException} and borrows nothing. If
 * a token had just been handed to it, it goes back and on to the next waiter: none is lost or leaked. These are
 * asyncio's rules (as for {@link Semaphore}), not Trio's checkpoints: an acquire with a free token neither suspends
 * nor throws a pending cancellation, and a waiter cancelled after the token was handed to it throws, where Trio's
 * acquire would succeed and leave the cancellation to the next checkpoint.
 *
 * <p><b>Unlike Trio</b>, a borrower waiting for a token cannot ask again from another task (Trio keys waiters by task,
 * so two tasks waiting on behalf of one borrower both get through on one token), and {@link #availableTokens()} is
 * never negative.
 *
 * <p><b>Threads.</b> A loop object, bound to the loop that first uses it: call it on the thread holding that loop;
 * other threads throw {@link IllegalStateException} and should use {@link EventLoop#callSoonThreadsafe}.
 */
public final class CapacityLimiter extends LoopBound {

    /** How many borrowers {@link #toString()} names. */
    private static final int MAX_NAMED = 5;

    /** A waiting borrower and the future it waits on. */
    private record Waiter(Object borrower, Future<Boolean> future) {
    }

    private int totalTokens;
    private final Set<Object> borrowers = new LinkedHashSet<>();
    private final Set<Object> pending = new HashSet<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

    /**
     * Creates a limiter with {@code totalTokens} tokens.
     *
     * @param totalTokens the number of tokens; at least 1
     * @throws IllegalArgumentException if {@code totalTokens} is less than 1
     */
    public CapacityLimiter(int totalTokens) {
        this.totalTokens = checkTotal(totalTokens);
    }

    private static int checkTotal(int totalTokens) {
        if (totalTokens < 1) {
            throw new IllegalArgumentException("CapacityLimiter totalTokens must be >= 1, got " + totalTokens);
        }
        return totalTokens;
    }

    /**
     * Borrows a token for the current task, suspending until one is handed to it: Trio's {@code acquire()}.
     *
     * @return a permit whose {@link Permit#close()} gives the token back on behalf of this task (from whichever task
     *         closes it)
     * @throws IllegalStateException if the task already holds a token of this limiter, or this is not called from a
     *                               task
     * @throws CancellationException if the task is cancelled while waiting (it borrows nothing then)
     */
    public Permit acquire() {
        EventLoop l = check("acquire()");
        return borrow(currentTask(l, "acquire()", "acquireOnBehalfOf(borrower)"), l, "acquire()");
    }

    /** The task {@code method} lends a token to: the current one; if there is none, it names {@code alternative}. */
    private static Task<?> currentTask(EventLoop l, String method, String alternative) {
        Task<?> task = l == null ? null : l.currentTask();
        if (task == null) {
            throw new IllegalStateException("CapacityLimiter." + method + " lends a token to the current task, and"
                    + " there is none here: call it from a task, or use " + alternative);
        }
        return task;
    }

    /**
     * Borrows a token for {@code borrower}, suspending the calling task until one is handed to it: Trio's
     * {@code acquire_on_behalf_of()}.
     *
     * @param borrower the object to borrow the token for, e.g. a task or a thread; it may hold one token at a time
     * @return a permit whose {@link Permit#close()} gives the token back on behalf of {@code borrower}
     * @throws NullPointerException  if {@code borrower} is null
     * @throws IllegalStateException if {@code borrower} already holds or waits for a token of this limiter, or this
     *                               has to wait and is not called from a task
     * @throws CancellationException if the task is cancelled while waiting (nothing is borrowed then)
     */
    public Permit acquireOnBehalfOf(Object borrower) {
        Objects.requireNonNull(borrower, "borrower must not be null");
        return borrow(borrower, check("acquireOnBehalfOf()"), "acquireOnBehalfOf()");
    }

    /**
     * Borrows a token for the current task if one is free, without suspending: Trio's {@code acquire_nowait()}. A free
     * token means that nobody waits (a released token goes to the first waiter at once), so this never jumps the queue.
     *
     * @return a permit whose {@link Permit#close()} gives the token back on behalf of this task
     * @throws WouldBlockException   if no token is free
     * @throws IllegalStateException if the task already holds or waits for a token of this limiter, or this is not
     *                               called from a task
     */
    public Permit acquireNowait() {
        Task<?> task = currentTask(check("acquireNowait()"), "acquireNowait()", "acquireOnBehalfOfNowait(borrower)");
        Permit permit = tryBorrow(task);
        if (permit == null) {
            throw wouldBlock("acquireNowait()");
        }
        return permit;
    }

    /**
     * Borrows a token for {@code borrower} if one is free, without suspending: Trio's
     * {@code acquire_on_behalf_of_nowait()}. Callable from a task or a callback of the limiter's loop.
     *
     * @param borrower the object to borrow the token for; it may hold one token at a time
     * @return a permit whose {@link Permit#close()} gives the token back on behalf of {@code borrower}
     * @throws NullPointerException  if {@code borrower} is null
     * @throws WouldBlockException   if no token is free
     * @throws IllegalStateException if {@code borrower} already holds or waits for a token of this limiter
     */
    public Permit acquireOnBehalfOfNowait(Object borrower) {
        Objects.requireNonNull(borrower, "borrower must not be null");
        check("acquireOnBehalfOfNowait()");
        Permit permit = tryBorrow(borrower);
        if (permit == null) {
            throw wouldBlock("acquireOnBehalfOfNowait()");
        }
        return permit;
    }

    private WouldBlockException wouldBlock(String method) {
        return new WouldBlockException("CapacityLimiter." + method + ": no token is free (" + this + ")");
    }

    /** Borrows a free token for {@code borrower} at once, or returns null if none is free. */
    private Permit tryBorrow(Object borrower) {
        if (borrowers.contains(borrower) || pending.contains(borrower)) {
            throw new IllegalStateException(describe(borrower) + " already holds or waits for one of this"
                    + " CapacityLimiter's tokens; a borrower holds at most one (" + this + ")");
        }
        // A free token means nobody waits (each release hands tokens to the waiters first): FIFO holds.
        if (borrowers.size() < totalTokens) {
            borrowers.add(borrower);
            return permitFor(borrower);
        }
        return null;
    }

    /** Borrows a token for {@code borrower}; {@code method} names the public call in error messages. */
    private Permit borrow(Object borrower, EventLoop l, String method) {
        Permit free = tryBorrow(borrower);
        if (free != null) {
            return free;
        }
        Task<?> task = waitingTask(l, method);
        Future<Boolean> fut = newWaiter(l);
        var waiter = new Waiter(borrower, fut);
        waiters.add(waiter);
        pending.add(borrower);
        try {
            task.suspendOn(fut);
        } catch (Throwable e) {
            if (promised(fut)) {
                // The token was handed to us, but we will not use it: give it back and on.
                borrowers.remove(borrower);
                wakeWaiters();
            } else {
                waiters.remove(waiter);
            }
            throw e;
        } finally {
            pending.remove(borrower);
        }
        return permitFor(borrower);
    }

    private Permit permitFor(Object borrower) {
        return new Release(this, borrower);
    }

    /**
     * Gives back the current task's token: Trio's {@code release()}.
     *
     * @throws IllegalStateException if the current task holds no token of this limiter
     */
    public void release() {
        EventLoop l = check("release");
        Task<?> task = l == null ? null : l.currentTask();
        if (task == null) {
            throw new IllegalStateException("CapacityLimiter.release() gives back the current task's token, and"
                    + " there is no task here: use releaseOnBehalfOf(borrower)");
        }
        releaseOnBehalfOf(task);
    }

    /**
     * Gives back {@code borrower}'s token, handing it to the first waiter if any: Trio's
     * {@code release_on_behalf_of()}.
     *
     * @param borrower the object that borrowed the token
     * @throws NullPointerException  if {@code borrower} is null
     * @throws IllegalStateException if {@code borrower} holds no token of this limiter
     */
    public void releaseOnBehalfOf(Object borrower) {
        Objects.requireNonNull(borrower, "borrower must not be null");
        check("releaseOnBehalfOf");
        if (!borrowers.remove(borrower)) {
            throw new IllegalStateException(describe(borrower) + " holds none of this CapacityLimiter's tokens,"
                    + " so it cannot release one (" + this + ")");
        }
        wakeWaiters();
    }

    /** Hands free tokens to the first waiters. */
    private void wakeWaiters() {
        while (borrowers.size() < totalTokens && !waiters.isEmpty()) {
            Waiter w = waiters.pollFirst();
            if (!w.future().isDone()) {
                borrowers.add(w.borrower());
                w.future().complete(Boolean.TRUE);
            }
        }
    }

    /**
     * How many tokens there are: Trio's {@code total_tokens}.
     *
     * @return the number of tokens
     */
    public int totalTokens() {
        check("totalTokens");
        return totalTokens;
    }

    /**
     * Changes how many tokens there are: Trio's {@code total_tokens} setter. New tokens go to waiters at once;
     * borrowers above a smaller total keep their tokens until they release them.
     *
     * @param totalTokens the new number of tokens; at least 1
     * @throws IllegalArgumentException if {@code totalTokens} is less than 1
     */
    public void setTotalTokens(int totalTokens) {
        check("setTotalTokens");
        this.totalTokens = checkTotal(totalTokens);
        wakeWaiters();
    }

    /**
     * How many tokens are borrowed: Trio's {@code borrowed_tokens}.
     *
     * @return the number of tokens held by borrowers
     */
    public int borrowedTokens() {
        check("borrowedTokens");
        return borrowers.size();
    }

    /**
     * How many tokens are free: Trio's {@code available_tokens} (0, not negative, after a shrink).
     *
     * @return the number of tokens free, zero or more
     */
    public int availableTokens() {
        check("availableTokens");
        return Math.max(0, totalTokens - borrowers.size());
    }

    /**
     * A snapshot of the limiter's state: Trio's {@code CapacityLimiterStatistics}.
     *
     * @param borrowedTokens how many tokens are borrowed
     * @param totalTokens    how many tokens there are
     * @param borrowers      who holds them, in the order they got them
     * @param tasksWaiting   how many tasks wait for a token
     */
    public record Statistics(int borrowedTokens, int totalTokens, List<Object> borrowers, int tasksWaiting) {
        /** Copies the list. */
        public Statistics {
            borrowers = List.copyOf(borrowers);
        }
    }

    /**
     * The limiter's state now.
     *
     * @return a snapshot of the tokens borrowed and in all, the borrowers, and the waiting tasks
     */
    public Statistics statistics() {
        check("statistics");
        return new Statistics(borrowers.size(), totalTokens, new ArrayList<>(borrowers),
                waiting(waiters.stream().map(Waiter::future).toList()));
    }

    private static String describe(Object borrower) {
        return borrower instanceof Task<?> t ? "Task " + t.getName() : "Borrower " + borrower;
    }

    @Override
    public String toString() {
        var out = new StringBuilder("CapacityLimiter[borrowed=").append(borrowers.size()).append('/')
                .append(totalTokens);
        // Who holds the tokens, as a Lock names its holder: tasks by name, at most MAX_NAMED of them. A task dump
        // taken from another thread is a best-effort snapshot: if the borrowers change meanwhile, they are left out.
        try {
            String by = WaitGraph.named(borrowers, MAX_NAMED);
            out.append(by.isEmpty() ? "" : " by ").append(by);
        } catch (RuntimeException racingWithTheLoop) {
            // changed while the dump was taken
        }
        return out.append(", waiters=").append(waiters.size()).append(']').toString();
    }

    @Override
    void releasePermit(Object borrower) {
        releaseOnBehalfOf(borrower);
    }
}
