package org.aio4j;

import java.nio.channels.ClosedByInterruptException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * A blocking call running off the loop, on an executor's thread, whose outcome comes back as a loop future.
 *
 * <p>The call is in flight from submission until its outcome has been posted back and processed on the loop.
 * Cancelling the loop future skips the call if it has not started and interrupts its thread if it has; an interrupt
 * that arrives after the call returned is cleared, so a pooled thread is not left interrupted.
 */
final class Offload<T> implements Runnable {

    private static final System.Logger LOG = System.getLogger("org.aio4j");

    private final EventLoop loop;
    private final Future<T> future;
    private final Callable<T> call;
    /** The context values the call runs with ({@link Aio#toThread}'s caller's), or null for none. */
    private final Bindings context;
    /** See {@link #inspectablePool}: the pool the call was handed to, if the loop can tell when it is full. */
    private final ThreadPoolExecutor pool;
    private Thread runner;
    /** The call has returned or thrown: its outcome is on its way to the loop (or was refused by a closed loop). */
    private boolean ended;
    private boolean cancelled;
    private boolean interruptedByUs;
    /** Set when the close reported this call as blocked in get(), before releasing it (see {@link #refusedFailure}). */
    private volatile boolean releaseReported;

    private Offload(EventLoop loop, Future<T> future, Callable<T> call, Bindings context, ThreadPoolExecutor pool) {
        this.loop = loop;
        this.future = future;
        this.call = call;
        this.context = context;
        this.pool = pool;
    }

    static <T> Future<T> submit(EventLoop loop, Executor executor, Callable<T> call) {
        return submit(loop, executor, call, Bindings.EMPTY);
    }

    /** As {@link #submit(EventLoop, Executor, Callable)}, the call running in a context with these values. */
    static <T> Future<T> submit(EventLoop loop, Executor executor, Callable<T> call, Bindings context) {
        Future<T> future = loop.newFuture();
        var op = new Offload<>(loop, future, call, context == Bindings.EMPTY ? null : context,
                inspectablePool(executor));
        future.owner = op; // wait-for graphs and dumps name the offloaded call
        loop.addInFlight(op);
        try {
            if (loop.submitsOffCarrier(executor)) {
                Schedulers.submitFromSharedScheduler(() -> executor.execute(op));
            } else {
                executor.execute(op);
            }
        } catch (RuntimeException | Error e) { // refused, or an executor that fails in execute(): not in flight
            loop.removeInFlight(op);
            throw e;
        }
        future.addDoneCallback(f -> {
            if (f.isCancelled()) {
                op.interrupt();
            }
        });
        return future;
    }

    @Override
    public void run() {
        synchronized (this) {
            if (cancelled) {
                post(null, null, false);
                return;
            }
            runner = Thread.currentThread();
        }
        T value = null;
        Throwable error = null;
        loop.tracing.offload(this, true);
        try {
            value = context == null ? call.call() : new Context(context).run(call);
        } catch (Throwable e) {
            error = e;
        } finally {
            loop.tracing.offload(this, false);
        }
        boolean interruptUnseen = false;
        synchronized (this) {
            runner = null;
            ended = true;
            if (interruptedByUs) {
                // Still set: the call never looked at our interrupt, so it cannot have failed because of it.
                interruptUnseen = Thread.interrupted();
            }
        }
        post(value, error, interruptUnseen);
    }

    /**
     * The thread running the call, or null if it has not started or has ended. Once the cancellation has interrupted
     * it, it does not count as blocked until it waits again in get() after clearing the interrupt (it swallowed it):
     * {@link BlockedGets#waitsForever} sees the interrupt status, which a thread blocked in get() keeps until it has
     * left (see {@link InFlight#onlyWaitsForTheLoop()}).
     */
    synchronized Thread runningThread() {
        return runner;
    }

    /**
     * {@code executor} if it is a pool whose threads the loop can account for, else null: a
     * {@link ThreadPoolExecutor} of that very class (a subclass may run a call elsewhere) whose rejection handler is
     * one of the JDK's four policies. Such a pool runs a call it accepts on one of its own threads, or never (it
     * dropped it), or (with {@link ThreadPoolExecutor.CallerRunsPolicy}) within {@code execute}, which returns only
     * once the call has ended, while the loop is held: the idle loop never sees a call running there. So a running
     * call of such a pool is on one of the pool's threads, which {@link InFlight} uses to tell that a queued call
     * cannot start.
     */
    private static ThreadPoolExecutor inspectablePool(Executor executor) {
        if (executor.getClass() != ThreadPoolExecutor.class) {
            return null;
        }
        var pool = (ThreadPoolExecutor) executor;
        Class<?> policy = pool.getRejectedExecutionHandler().getClass();
        return policy == ThreadPoolExecutor.AbortPolicy.class || policy == ThreadPoolExecutor.DiscardPolicy.class
                || policy == ThreadPoolExecutor.DiscardOldestPolicy.class
                || policy == ThreadPoolExecutor.CallerRunsPolicy.class ? pool : null;
    }

    /** The pool the call was handed to, if the loop can account for its threads (see {@link #inspectablePool}). */
    ThreadPoolExecutor pool() {
        return pool;
    }

    /**
     * The pool (see {@link #pool()}) of a call that has not started and is not cancelled: it waits in the pool's
     * queue (or was dropped by it), or a thread of the pool has just taken it. Null otherwise, or for another
     * executor.
     */
    synchronized ThreadPoolExecutor queuedOn() {
        return runner == null && !ended && !cancelled ? pool : null;
    }

    /**
     * On the loop, as it closes: a call that has not started will not run (as one whose future was cancelled before
     * it started). Returns false if it has started, or will not run anyway.
     */
    synchronized boolean dropIfNotStarted() {
        if (runner != null || ended || cancelled) {
            return false;
        }
        cancelled = true;
        return true;
    }

    /** On the loop, when the future was cancelled. */
    private synchronized void interrupt() {
        cancelled = true;
        if (runner != null) {
            interruptedByUs = true;
            runner.interrupt();
        } else {
            // Not running: not started (and maybe never to run, if its executor dropped it) or already ended (its
            // outcome is posted). Either way nothing can come of it that the loop must wait for.
            loop.removeInFlight(this);
        }
    }

    /** Hands the outcome to the loop; {@code interruptUnseen}: our interrupt was still pending when the call ended. */
    private void post(T value, Throwable error, boolean interruptUnseen) {
        boolean accepted = loop.post(new Handle((Runnable) () -> {
            loop.removeInFlight(this);
            if (!future.isDone()) {
                if (error != null) {
                    future.fail(error);
                } else {
                    future.complete(value);
                }
            } else if (error != null && !isInterruption(error)) {
                if (failedOfOurInterrupt(error, interruptUnseen)) {
                    // asyncio ignores the outcome of a cancelled call; it is logged here, not reported as an error.
                    // A call that failed with the interrupt unseen, for reasons of its own, is reported below.
                    LOG.log(System.Logger.Level.DEBUG, () -> "offloaded call failed after its cancellation"
                            + " interrupted it: " + error, error);
                } else {
                    loop.callExceptionHandler(new ExceptionContext(
                            "Offloaded call failed after its future was cancelled", error, future, null));
                }
            }
        }, null));
        if (!accepted && error != null) {
            refusedFailure(error, interruptUnseen);
        }
    }

    /**
     * The loop was closed before the call failed, and refused its outcome: the future stays pending, and the error
     * exists nowhere else. It is logged (as the default exception handler would), not passed to the loop's exception
     * handler, which runs on the thread that holds the loop and may be running on the closing thread right now.
     * asyncio drops the outcome of a call that ends after its loop closed; a result is dropped here too, as
     * nothing could await it. An interruption by the future's cancellation is no failure of the call, nor is a
     * failure because of it (the close cancels the tasks, and so the calls they await): the same rule as on a
     * running loop (see {@link #post}), and logged at DEBUG as there. Nor is the {@link ReleasedByClose} of a call
     * that the close reported as blocked in {@code get()} before releasing it: logged at DEBUG too.
     */
    private void refusedFailure(Throwable error, boolean interruptUnseen) {
        if (isInterruption(error) && interruptedByUs()) {
            return;
        }
        if (error instanceof ReleasedByClose && releaseReported) {
            LOG.log(System.Logger.Level.DEBUG, () -> "offloaded call released by the close of its event loop, which"
                    + " reported it: " + error, error);
            return;
        }
        if (failedOfOurInterrupt(error, interruptUnseen)) {
            LOG.log(System.Logger.Level.DEBUG, () -> "offloaded call failed after its cancellation interrupted it"
                    + " (its event loop is closed): " + error, error);
            return;
        }
        LOG.log(System.Logger.Level.ERROR, "Offloaded call failed after its event loop was closed, which could not"
                + " receive its outcome: " + CallbackName.of(call), error);
    }

    /**
     * Whether the cancellation interrupted the call and the call failed because of it: it saw the interrupt (it
     * cleared the interrupt status: an InterruptedException wrapped), or blocking I/O ended with the interrupt (which
     * leaves the status set).
     */
    private boolean failedOfOurInterrupt(Throwable error, boolean interruptUnseen) {
        return interruptedByUs() && (!interruptUnseen || causedByInterrupt(error));
    }

    /** The close has reported this call as blocked in {@code get()} on a future it leaves pending. */
    void markReleaseReported() {
        releaseReported = true;
    }

    private synchronized boolean interruptedByUs() {
        return interruptedByUs;
    }

    private static boolean isInterruption(Throwable e) {
        return e instanceof InterruptedException || e instanceof ClosedByInterruptException
                || e instanceof CancellationException;
    }

    /**
     * Whether {@code error} or one of its causes is what an interrupt makes blocking code throw. Interruptible I/O
     * leaves the interrupt status set: a channel throws {@link ClosedByInterruptException}, a socket on a virtual
     * thread {@code SocketException("Closed by interrupt")}, a stream {@link java.io.InterruptedIOException}.
     */
    private static boolean causedByInterrupt(Throwable error) {
        // Bounded: two exceptions can be each other's cause (initCause), and this runs on the loop.
        Throwable e = error;
        for (int depth = 0; e != null && depth < 32; e = e.getCause(), depth++) {
            if (e instanceof InterruptedException || e instanceof java.io.InterruptedIOException
                    || e instanceof ClosedByInterruptException
                    || e instanceof java.net.SocketException && "Closed by interrupt".equals(e.getMessage())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        Thread t;
        boolean done;
        synchronized (this) {
            t = runner;
            done = ended;
        }
        return "offloaded call " + CallbackName.of(call) + (t != null ? " running on " + threadName(t)
                : done ? " (ended, outcome not taken by the loop yet)" : " (queued)");
    }

    /**
     * {@code t} as its {@code toString()} shows it, but for a virtual thread without the state and carrier it adds
     * ({@code /runnable@ForkJoinPool-1-worker-1}, {@code /waiting}), which change from one look to the next: a report
     * names the call the same way wherever it shows it.
     */
    private static String threadName(Thread t) {
        return t.isVirtual() ? "VirtualThread[#" + t.threadId() + "," + t.getName() + "]" : t.toString();
    }

    /** Wraps a completion stage; see {@link EventLoop#wrapFuture}. */
    static <T> Future<T> wrap(EventLoop loop, CompletionStage<T> stage) {
        Future<T> future = loop.newFuture();
        if (stage instanceof CompletableFuture<T> cf && isDoneIfItSays(cf)) {
            settleFrom(future, cf);
            return future;
        }
        Object op;
        if (stage instanceof ThreadsafeSubmission<T> own && own.loop() == loop) {
            op = ownSubmission(own);
            future.owner = op; // wait-for graphs and dumps name the task it follows
        } else {
            op = new Object() {
                @Override
                public String toString() {
                    return "CompletionStage " + stage;
                }
            };
        }
        loop.addInFlight(op);
        stage.whenComplete((value, error) -> loop.post(new Handle((Runnable) () -> {
            loop.removeInFlight(op);
            if (!future.isDone()) {
                if (Task.isCancellation(error)) {
                    // The stage itself was cancelled (CompletableFuture.isCancelled()): so is the future, as asyncio's
                    // wrap_future and the already-done case (settleFrom) do.
                    future.markCancelled(error.getMessage());
                } else if (error != null) {
                    future.fail(unwrap(error));
                } else {
                    future.complete(value);
                }
            }
        }, null)));
        future.addDoneCallback(f -> {
            if (f.isCancelled()) {
                try {
                    stage.toCompletableFuture().cancel(true);
                } catch (UnsupportedOperationException notCancellable) {
                    // The stage does not expose a CompletableFuture; it runs to its end and is ignored.
                } finally {
                    // Nothing of the loop waits for the stage any more, whether or not the cancel reached it (a
                    // copy's cancel does not reach the original stage), nor if it threw (a stage that breaks the
                    // contract, whose failure goes to the exception handler): it must not hold the virtual clock or
                    // hide a deadlock.
                    loop.removeInFlight(op);
                }
            }
        });
        return future;
    }

    /**
     * What a wrapped {@link EventLoop#runCoroutineThreadsafe} future of the same loop counts as in flight: once the
     * loop has made its task, only the loop can end it (the task, or a cancel of the future from another thread,
     * which is posted), so it must neither hold a virtual clock nor hide a deadlock.
     */
    private static InFlight.LoopIo ownSubmission(ThreadsafeSubmission<?> submission) {
        return new InFlight.LoopIo() {
            @Override
            public boolean waitsForTheLoop() {
                Future<?> task = submission.pendingTask();
                return task != null && !task.isDone(); // done: the callback settling the submission is queued
            }

            @Override
            public String whyItWaitsForTheLoop() {
                return ", which only that task of this loop can end";
            }

            @Override
            public String toString() {
                Future<?> task = submission.pendingTask(); // from another thread (a dump): a best-effort look
                return "CompletionStage of runCoroutineThreadsafe, " + (task != null ? task : "its task not made yet");
            }
        };
    }

    /** Whether {@code cf} is done; false if it will not say (a {@code minimalCompletionStage()} refuses isDone()). */
    private static boolean isDoneIfItSays(CompletableFuture<?> cf) {
        try {
            return cf.isDone();
        } catch (UnsupportedOperationException minimalStage) {
            return false;
        }
    }

    private static <T> void settleFrom(Future<T> future, CompletableFuture<T> cf) {
        if (cf.isCancelled()) {
            future.markCancelled(null);
            return;
        }
        try {
            future.complete(cf.join());
        } catch (CompletionException | CancellationException e) {
            future.fail(unwrap(e));
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
