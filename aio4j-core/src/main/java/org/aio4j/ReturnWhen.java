package org.aio4j;

/**
 * When {@link Aio#wait(java.util.Collection, java.time.Duration, ReturnWhen)} returns: asyncio's
 * {@code FIRST_COMPLETED}, {@code FIRST_EXCEPTION} and {@code ALL_COMPLETED} constants.
 */
public enum ReturnWhen {
    /** Return as soon as any future finishes or is cancelled. */
    FIRST_COMPLETED,
    /**
     * Return when any future finishes by raising an exception (a cancellation does not count), or when all are
     * done.
     */
    FIRST_EXCEPTION,
    /** Return when all futures are done. */
    ALL_COMPLETED
}
