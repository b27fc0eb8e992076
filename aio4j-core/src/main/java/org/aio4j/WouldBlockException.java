package org.aio4j;

/**
 * Thrown by an operation that does not wait when it would have to: Trio's {@code trio.WouldBlock}, raised by
 * {@link CapacityLimiter#acquireNowait()} and {@link CapacityLimiter#acquireOnBehalfOfNowait(Object)} when no token
 * is free. Unchecked: the caller that can do without the resource catches it, as asyncio code catches
 * {@code QueueEmpty} after {@code get_nowait()}.
 */
public final class WouldBlockException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was asked and why it would wait
     */
    public WouldBlockException(String message) {
        super(message);
    }
}
