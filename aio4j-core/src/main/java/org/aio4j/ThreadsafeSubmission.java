package org.aio4j;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A coroutine submitted to a loop from another thread ({@link EventLoop#runCoroutineThreadsafe}): the
 * {@link CompletableFuture} that thread holds, settled with the outcome of the task the loop runs the coroutine in,
 * as asyncio's {@code run_coroutine_threadsafe} chains a {@code concurrent.futures.Future} to its task.
 *
 * <p>The task is made by a callback posted with {@link EventLoop#callSoonThreadsafe}; a cancellation of this future
 * before that callback has run means no task is made at all, and one after it is passed on to the task by another
 * posted callback (which the loop runs after the first: callbacks posted from any threads run in the order they were
 * posted). Cancelling the task, from the loop, cancels this future.
 *
 * <p>A thread blocked in the untimed {@link #get()} or {@link #join()} waits for the loop alone once the task exists,
 * as one blocked in {@link Future#get()} on a future of the loop does: it is registered with the loop's
 * {@link BlockedGets}, so that an offloaded call blocked so (asyncio's {@code run_coroutine_threadsafe(coro,
 * loop).result()} in a {@code to_thread} call) lets a virtual clock jump and, when nothing can end the task, is part
 * of a deadlock rather than a call in flight for ever.
 */
final class ThreadsafeSubmission<T> extends CompletableFuture<T> {

    private final EventLoop loop;
    /** The task, once the loop has made it; written and read on the loop's thread only. */
    private Task<T> task;

    private ThreadsafeSubmission(EventLoop loop) {
        this.loop = loop;
        // Every way of settling it (the loop's, a cancel from any thread, complete() by anyone) releases its waiters,
        // after it is done: a waiter registers, then reads isDone() (see BlockedGets).
        whenComplete((value, error) -> loop.blockedGets.release(this));
    }

    /** The loop the coroutine was submitted to. */
    EventLoop loop() {
        return loop;
    }

    /** The task, if the loop has made it and this submission is still pending; on the loop's thread only. */
    Future<T> pendingTask() {
        return isDone() ? null : task;
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        if (waitForTheLoop()) {
            Thread.interrupted(); // cleared once the waiter is taken back (see BlockedGets.Waiter)
            throw new InterruptedException();
        }
        return super.get();
    }

    @Override
    public T join() {
        waitForTheLoop(); // interrupted: join() goes on waiting, uninterruptibly, the interrupt status kept
        return super.join();
    }

    /**
     * Blocks a thread outside the loop until this is done, registered as waiting for the loop (see the class
     * comment); returns true if it stopped because the thread is interrupted (its status still set), false once done,
     * or at once if it cannot wait so (the thread holds the loop, or is interrupted already: it then waits as any
     * thread waits for a {@code CompletableFuture}).
     *
     * @throws ReleasedByClose if the loop is closed and this is still pending: nothing can complete it
     */
    private boolean waitForTheLoop() {
        if (isDone() || loop.holderThread == Thread.currentThread() || Thread.currentThread().isInterrupted()) {
            return false;
        }
        return loop.blockedGets.block(loop, this, this::isDone, Long.MAX_VALUE);
    }

    static <T> CompletableFuture<T> submit(EventLoop loop, Coroutine<T> coroutine) {
        var submission = new ThreadsafeSubmission<T>(loop);
        loop.callSoonThreadsafe(() -> submission.start(coroutine));
        return submission;
    }

    private void start(Coroutine<T> coroutine) {
        if (isDone()) {
            return; // cancelled before the loop came to it: no task
        }
        Task<T> t;
        try {
            t = loop.createTask(coroutine);
        } catch (RuntimeException e) {
            completeExceptionally(e); // the loop is closing: it takes no more tasks
            return;
        }
        task = t;
        t.addDoneCallback(this::settle);
    }

    private void settle(Future<T> t) {
        if (t.isCancelled()) {
            super.cancel(false);
            return;
        }
        Throwable e = t.exception(); // retrieved: the submitter hears of it, the loop need not report it
        if (e != null) {
            completeExceptionally(e);
        } else {
            complete(t.result());
        }
    }

    /**
     * Cancels this future and, through the loop, the task: its body sees a cancellation at its suspension point.
     * {@code mayInterruptIfRunning} has no effect (a task is cancelled, not interrupted).
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            try {
                loop.callSoonThreadsafe(() -> {
                    if (task != null) {
                        task.cancel();
                    }
                });
            } catch (IllegalStateException closed) {
                // The loop is closed, or closing: it cancels the tasks it leaves.
            }
        }
        return cancelled;
    }
}
