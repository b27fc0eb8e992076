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
}
