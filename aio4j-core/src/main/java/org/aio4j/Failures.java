package org.aio4j;

import java.util.concurrent.CompletionException;

/**
 * How async iterators pass a failure on. From methods that cannot throw checked exceptions ({@code hasNext},
 * {@code next}): unchecked exceptions and errors as they are, a checked exception wrapped in
 * {@link CompletionException} (as {@link Future#result()} does). From a generator body: as it is.
 */
final class Failures {

    private Failures() {
    }

    /** The exception to throw from {@code hasNext}/{@code next}; throws {@code failure} itself if it is an Error. */
    static RuntimeException unchecked(Throwable failure) {
        if (failure instanceof RuntimeException re) {
            return re;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new CompletionException(failure);
    }

    /** The exception to rethrow from a generator body; throws {@code failure} itself if it is an Error. */
    static Exception asException(Throwable failure) {
        if (failure instanceof Exception e) {
            return e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new CompletionException(failure);
    }

    /** {@code first}, with {@code next} attached as suppressed; {@code next} if there is no first (try-with-resources). */
    static Throwable combine(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        if (next != null && next != first) {
            first.addSuppressed(next);
        }
        return first;
    }

    /**
     * A failure an operator read ahead and holds for its consumer outside a generator body ({@code chunked}'s, behind
     * a partial list), known to the loop as an exception of a future is: thrown to the consumer that reaches it
     * ({@link #take}), reported at once if the consumer closes the iterator first ({@link #drop}), and otherwise
     * reported when the loop closes, as an exception never retrieved (the consumer's task ended without closing the
     * iterator; until the loop closes, another task may still take it). An operator written as a generator body needs
     * none: the end of its consumer's task closes it. Without a loop on the thread that read it, nothing can report it
     * later: only {@link #drop} does.
     */
    static final class Held {
        private final EventLoop loop;
        private final String operator;
        private final Throwable failure;

        /** {@code failure}, read ahead by {@code operator} on this thread: an unchecked exception or an error. */
        Held(String operator, Throwable failure) {
            this.operator = operator;
            this.failure = failure;
            this.loop = EventLoop.ofCurrentThread();
            if (loop != null && Future.isReportable(failure)) {
                loop.heldFailures.add(this);
            }
        }

        /**
         * The failure, for the consumer that reached it: not reported any more. Throws it itself if it is an
         * {@link Error} (see {@link Failures#unchecked}).
         */
        RuntimeException take() {
            forget();
            return unchecked(failure);
        }

        /** The consumer closed the iterator (or was cancelled) before reaching it: reported now, once. */
        void drop() {
            forget();
            reportUnreceived(EventLoop.ofCurrentThread(), operator, failure, null);
        }

        /** The loop closes with the failure held: its consumer ended without reaching it or closing the iterator. */
        void reportAtClose() {
            report(loop, operator, failure, null, "which ended without reaching it or closing the iterator");
        }

        private void forget() {
            if (loop != null) {
                loop.heldFailures.remove(this);
            }
        }
    }

    /**
     * Reports a failure that an operator read ahead of its consumer ({@code buffer}'s or {@code merge}'s pump, the
     * failure {@code chunked} holds behind a partial chunk, ...) and that nobody can receive any more: the iterator was
     * closed, or its consumer cancelled, before the consumer reached it. It goes to the loop's exception handler, as an
     * exception never retrieved from a future does; {@code aclose()} does not throw it (it throws only what releasing
     * the source raised, and a consumer that stops early must not fail because the read-ahead went further than it
     * did). A cancellation is not reported, as the loop reports no cancelled future, but the failures attached to it
     * are, one by one, as the loop reports those of a cancelled task (see {@link Future#attachedFailures()}). Without
     * a loop on this thread, it is logged as the default handler would.
     *
     * @param reader the task that read the failure ahead (a pump), or null
     */
    static void reportUnreceived(EventLoop loop, String operator, Throwable failure, Future<?> reader) {
        report(loop, operator, failure, reader, "which closed the iterator (or was cancelled) before reaching it");
    }

    private static void report(EventLoop loop, String operator, Throwable failure, Future<?> reader, String consumer) {
        if (failure == null) {
            return;
        }
        if (Task.isCancellation(failure)) {
            for (Throwable attached : Future.attachedFailures(failure)) {
                report(loop, operator, attached, reader, consumer);
            }
            return;
        }
        var context = new ExceptionContext(operator + ": exception was never retrieved: it was read ahead of the"
                + " consumer, " + consumer, failure, reader, null);
        if (loop != null) {
            loop.callExceptionHandler(context);
        } else {
            System.getLogger("org.aio4j").log(System.Logger.Level.ERROR, context.describe());
        }
    }
}
