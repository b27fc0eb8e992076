package org.aio4j;

import java.time.Duration;
import java.util.ArrayList;

/** The shutdown of a {@link Runner} ({@link Aio#run}'s too): the rest of asyncio's {@code runners.py}. */
final class Runners {

    static final Duration OFFLOAD_SHUTDOWN_TIMEOUT = Duration.ofMinutes(5);

    private Runners() {
    }

    static <T> T run(EventLoop loop, Coroutine<T> main) throws Exception {
        return run(loop, main, OFFLOAD_SHUTDOWN_TIMEOUT);
    }

    /** As {@link #run(EventLoop, Coroutine)}, waiting at most {@code offloadTimeout} for offloaded work at the end. */
    static <T> T run(EventLoop loop, Coroutine<T> main, Duration offloadTimeout) throws Exception {
        try (var runner = new Runner(() -> loop, "Aio.run()", "Aio.run()", offloadTimeout)) {
            return runner.run(main);
        }
    }

    /**
     * The end of a {@link Runner}: cancels the tasks left and awaits them, awaits offloaded work (at most
     * {@code offloadTimeout}), shuts the default executor down and closes the loop. {@code who} names the runner in
     * reports ({@code Aio.run()}). An interrupt of the calling thread is kept from cancelling the shutdown and set
     * again at the end; one that ends the wait for the default executor ({@link InterruptedException}) is set again
     * too, once the loop is closed.
     */
    static void shutdown(EventLoop loop, String who, Duration offloadTimeout) throws Exception {
        boolean interrupted = Thread.interrupted();
        try {
            cancelAllTasks(loop, who);
            runOnePass(loop); // asyncio's shutdown_asyncgens(): aio4j's generators close with their tasks
            boolean offloadsEnded = awaitOffloads(loop, who, offloadTimeout);
            runOnePass(loop); // asyncio's shutdown_default_executor()
            if (offloadsEnded) {
                if (!loop.shutdownDefaultExecutor(OFFLOAD_SHUTDOWN_TIMEOUT)) {
                    loop.callExceptionHandler(new ExceptionContext("The default executor did not finish within "
                            + OFFLOAD_SHUTDOWN_TIMEOUT, null, null, null));
                }
            } else {
                // What is left will not end while the loop waits (reported already, or blocked in get() on the
                // loop's futures, which the close reports and releases).
                loop.shutdownDefaultExecutor(Duration.ZERO);
            }
        } catch (InterruptedException e) {
            interrupted = true; // the wait for the default executor given up: the caller's interrupt, set again below
            throw e;
        } finally {
            try {
                loop.close();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Runs the loop for one pass, as each of asyncio's {@code shutdown_asyncgens()} and
     * {@code shutdown_default_executor()} does after {@code _cancel_all_tasks} (with {@code run_until_complete}), even
     * when there is nothing to shut down: the callbacks scheduled and the timers due by then (those the last steps of
     * the tasks set with {@code callLater(0, ...)}, say) run before the loop's close, which would drop the timers.
     */
    private static void runOnePass(EventLoop loop) throws Exception {
        Future<Void> pass = loop.createFuture();
        loop.callSoon(() -> pass.setResult(null));
        loop.runUntilComplete(pass);
    }

    /** asyncio's {@code _cancel_all_tasks}. */
    private static void cancelAllTasks(EventLoop loop, String who) throws Exception {
        var pending = new ArrayList<>(loop.allTasks());
        if (pending.isEmpty()) {
            return;
        }
        for (Task<?> t : pending) {
            t.cancel();
        }
        Future<?> gathered = Aio_gatherWithExceptions(loop, pending);
        try {
            loop.runUntilComplete(gathered);
        } catch (DeadlockException stuck) {
            // asyncio's shutdown would hang here; the wait graph alone names an internal gather the caller never saw
            throw new DeadlockException(who + " shutdown: the tasks left on the loop were cancelled, and some can"
                    + " never end (caught the cancellation and wait for what nothing will do). ", stuck);
        } catch (IllegalStateException stopped) {
            if (gathered.isDone()) {
                throw stopped;
            }
            // As asyncio.run's RuntimeError "Event loop stopped before Future completed.", in the caller's terms.
            throw new IllegalStateException(who + " shutdown: the loop was stopped (by loop.stop(), or an interrupt of"
                    + " the thread) before the tasks left on it ended after their cancellation: "
                    + loop.liveTasks(), stopped);
        }
        for (Task<?> t : pending) {
            if (t.isCancelled()) {
                // A clean-up that failed as the cancellation unwound the task (a resource's close(), say): Java
                // attaches it to the cancellation, where Python's exception replaces it and asyncio reports the task
                // as failed. The gather above retrieved it, so the loop's close would not report it.
                for (Throwable failure : t.attachedFailures()) {
                    loop.callExceptionHandler(new ExceptionContext("unhandled exception during " + who
                            + " shutdown, attached to the cancellation of the task as it unwound", failure, t, null));
                }
            } else if (t.peekException() != null) {
                t.markRetrieved();
                loop.callExceptionHandler(new ExceptionContext(
                        "unhandled exception during " + who + " shutdown", t.peekException(), t, null));
            }
        }
    }

    private static Future<?> Aio_gatherWithExceptions(EventLoop loop, ArrayList<Task<?>> tasks) {
        return GatheringFuture.gather(loop, tasks, true);
    }

    /**
     * Offloaded calls still running are awaited, as asyncio's shutdown_default_executor() does, for at most
     * {@code timeout} of real time (a virtual clock stands still while work is in flight, so its time would not bound
     * the wait: work that never ends, an {@link EventLoop#expectExternal()} never closed, a wrapped stage nobody
     * completes, a call deaf to interrupts, would keep {@code Aio.run} from returning). The loop runs meanwhile, so
     * its timers fire and results posted to it are delivered. Calls that only wait for the loop, blocked in
     * {@link Future#get()} on its futures while it has nothing left to do, can never end; the loop's deadlock
     * detection finds them at once, so they are not waited for, and the close reports and releases them.
     *
     * @return whether every call ended; if not, what is left has been reported to the exception handler, or will be
     *         by the close
     */
    private static boolean awaitOffloads(EventLoop loop, String who, Duration timeout) throws Exception {
        if (loop.inFlightSnapshot().isEmpty()) {
            return true;
        }
        Task<Boolean> waiting = loop.createQueuedTask(() -> {
            Future<Void> drained = loop.inFlightDrained();
            // No timer of the loop's own on the real clock: it would hide calls stuck for ever from the deadlock
            // detection. A virtual clock reaches one only once every call left waits for the loop (it stands still
            // otherwise): without deadlock detection, that timer is what finds them.
            Thread deadline = realTimeDeadline(loop, drained, timeout);
            TimerHandle bound = loop.isVirtualTime() && !loop.detectsDeadlocks()
                    ? loop.callLater(timeout, () -> drained.cancel()) : null;
            try {
                drained.await();
                return true;
            } catch (java.util.concurrent.CancellationException expired) {
                if (Aio.currentTask().cancelling() > 0) {
                    throw expired; // this task is cancelled (a deadlock was found), not the wait given up
                }
                // The calls blocked in get() on the loop's futures are reported by the close that releases them.
                var running = loop.inFlightNotWaitingForTheLoop();
                if (!running.isEmpty()) {
                    loop.callExceptionHandler(new ExceptionContext("Offloaded work still running after " + timeout
                            + ": " + running, null, null, null));
                }
                return false;
            } finally {
                deadline.interrupt();
                if (bound != null) {
                    bound.cancel();
                }
            }
        }, who + " awaiting offloaded work");
        try {
            return loop.runUntilComplete(waiting);
        } catch (DeadlockException stuck) {
            // Every call left waits in get() on a future of the loop that nothing will settle: the close reports
            // each and releases it.
            waiting.cancel();
            try {
                loop.runUntilComplete(waiting);
            } catch (java.util.concurrent.CancellationException expected) {
                // the wait given up
            }
            return false;
        }
    }

    /** A thread that gives up {@code drained} for the loop once {@code timeout} of real time has passed. */
    private static Thread realTimeDeadline(EventLoop loop, Future<Void> drained, Duration timeout) {
        return Thread.ofVirtual().name("aio4j-run-shutdown-deadline").start(() -> {
            try {
                Thread.sleep(timeout);
                loop.callSoonThreadsafe(() -> drained.cancel());
            } catch (InterruptedException | IllegalStateException drainedOrClosed) {
                // drained in time, or the loop is gone: nothing to give up
            }
        });
    }
}
