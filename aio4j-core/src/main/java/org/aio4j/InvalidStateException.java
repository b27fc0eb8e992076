package org.aio4j;

/**
 * Thrown when an operation is not allowed in a future's current state: asyncio's {@code InvalidStateError}.
 *
 * <p>Examples: setting the result of a future that is already done, or asking for the result of one that is not done
 * yet.
 */
public final class InvalidStateException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was attempted and the state that forbids it
     */
    public InvalidStateException(String message) {
        super(message);
    }
}
