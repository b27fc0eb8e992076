package org.aio4j.process;

import java.lang.System.Logger.Level;

/**
 * The pool's log, the {@code System.Logger} {@code org.aio4j.process}, written to by the pool's own threads (a worker's
 * driver, the thread forwarding its output, the timers of its start and of a cancellation) while they handle a worker.
 * A logging backend that throws (a handler of the user's) loses its line, and nothing else: were its exception to end
 * one of these threads, a call could wait for ever (its driver gone, or the worker blocked writing to an output no
 * one reads any more).
 */
final class PoolLog {

    private static final System.Logger LOG = System.getLogger("org.aio4j.process");

    private PoolLog() {
    }

    /** Logs {@code message} at {@code level}; never throws. */
    static void log(Level level, String message) {
        try {
            LOG.log(level, message);
        } catch (Throwable backendFailed) {
            // The line is lost: the thread goes on with the worker.
        }
    }
}
