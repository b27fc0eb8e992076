package org.aio4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.TimeoutException;

/** {@link Aio#run}: asyncio's {@code runners.py}. */
final class Runners {

    static final Duration OFFLOAD_SHUTDOWN_TIMEOUT = Duration.ofMinutes(5);

    private Runners() {
    }

    static <T> T run(EventLoop loop, Coroutine<T> main) throws Exception {
        return run(loop, main, OFFLOAD_SHUTDOWN_TIMEOUT);
    }

    /** As {@link #run(EventLoop, Coroutine)}, waiting at most {@code offloadTimeout} for offloaded work at the end. */
    static <T> T run(EventLoop loop, Coroutine<T> main, Duration offloadTimeout) throws Exception {
        Throwable primary = null;
        boolean interrupted = false;
        try {
            return loop.runUntilComplete(loop.createTask(main));
        } catch (Throwable e) {
            primary = e;
            throw e;
        } finally {
            // An interrupt of this thread has cancelled the main task; keep it from cancelling the shutdown too,
            // and restore it at the end.
            interrupted = Thread.interrupted();
            try {
                shutdown(loop, primary, offloadTimeout);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static void shutdown(EventLoop loop, Throwable primary, Duration offloadTimeout) throws Exception {
        try {
            cancelAllTasks(loop);
            awaitOffloads(loop, offloadTimeout);
            if (!loop.shutdownDefaultExecutor(OFFLOAD_SHUTDOWN_TIMEOUT)) {
                loop.callExceptionHandler(new ExceptionContext(
                        "The default executor did not finish within " + OFFLOAD_SHUTDOWN_TIMEOUT, null, null, null));
            }
        } catch (Exception | Error e) {
            if (primary == null) {
                throw e;
            }
            primary.addSuppressed(e);
        } finally {
            loop.close();
        }
    }

    /** asyncio's {@code _cancel_all_tasks}. */
    private static void cancelAllTasks(EventLoop loop) throws Exception {
        var pending = new ArrayList<>(loop.allTasks());
        if (pending.isEmpty()) {
            return;
        }
        for (Task<?> t : pending) {
            t.cancel();
        }
        loop.runUntilComplete(Aio_gatherWithExceptions(loop, pending));
        for (Task<?> t : pending) {
            if (!t.isCancelled() && t.peekException() != null) {
                t.markRetrieved();
                loop.callExceptionHandler(new ExceptionContext(
                        "unhandled exception during Aio.run() shutdown", t.peekException(), t, null));
            }
        }
    }

    private static Future<?> Aio_gatherWithExceptions(EventLoop loop, ArrayList<Task<?>> tasks) {
        return GatheringFuture.gather(loop, tasks, true);
    }

    /**
     * Offloaded calls still running are awaited, as asyncio's shutdown_default_executor() does, for at most
     * {@code timeout}. That is loop time, and on a virtual clock also real time: a virtual clock stands still while
     * work is in flight (unless that work only waits for the loop), so work that never ends (an
     * {@link EventLoop#expectExternal()} never closed, a wrapped stage nobody completes, a call deaf to interrupts)
     * would otherwise keep {@code Aio.run} from returning.
     */
    private static void awaitOffloads(EventLoop loop, Duration timeout) throws Exception {
        if (loop.inFlightSnapshot().isEmpty()) {
            return;
        }
        loop.runUntilComplete(() -> {
            Future<Void> drained = loop.inFlightDrained();
            Thread deadline = loop.isVirtualTime() ? realTimeDeadline(loop, drained, timeout) : null;
            try {
                Aio.waitFor(drained, timeout);
            } catch (TimeoutException | java.util.concurrent.CancellationException expired) {
                loop.callExceptionHandler(new ExceptionContext("Offloaded work still running after " + timeout
                        + ": " + loop.inFlightSnapshot(), null, null, null));
            } finally {
                if (deadline != null) {
                    deadline.interrupt();
                }
            }
            return null;
        });
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
