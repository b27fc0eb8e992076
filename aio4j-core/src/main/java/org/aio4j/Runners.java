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
                shutdown(loop, primary);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static void shutdown(EventLoop loop, Throwable primary) throws Exception {
        try {
            cancelAllTasks(loop);
            awaitOffloads(loop);
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

    /** Offloaded calls still running are awaited, as asyncio's shutdown_default_executor() does. */
    private static void awaitOffloads(EventLoop loop) throws Exception {
        if (loop.inFlightSnapshot().isEmpty()) {
            return;
        }
        loop.runUntilComplete(() -> {
            try {
                Aio.waitFor(loop.inFlightDrained(), OFFLOAD_SHUTDOWN_TIMEOUT);
            } catch (TimeoutException e) {
                loop.callExceptionHandler(new ExceptionContext("Offloaded work still running after "
                        + OFFLOAD_SHUTDOWN_TIMEOUT + ": " + loop.inFlightSnapshot(), null, null, null));
            }
            return null;
        });
    }
}
