package org.aio4j;

import java.util.concurrent.CompletableFuture;

/**
 * A coroutine submitted to a loop from another thread ({@link EventLoop#runCoroutineThreadsafe}): the
 * {@link CompletableFuture} that thread holds, settled with the outcome of the task the loop runs the coroutine in,
 * as asyncio's {@code run_coroutine_threadsafe} chains a {@code concurrent.futures.Future} to its task.
 *
 * <p>The task is made by a callback posted with {@link EventLoop#callSoonThreadsafe}; a cancellation of this future
 * before that callback has run means no task is made at all, and one after it is passed on to the task by another
 * posted callback (which the loop runs after the first: callbacks posted from any threads run in the order they were
 * posted). Cancelling the task, from the loop, cancels this future.
 */
final class ThreadsafeSubmission<T> extends CompletableFuture<T> {

    private final EventLoop loop;
    /** The task, once the loop has made it; written and read on the loop's thread only. */
    private Task<T> task;

    private ThreadsafeSubmission(EventLoop loop) {
        this.loop = loop;
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
