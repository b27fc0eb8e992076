package org.aio4j;

/**
 * Thrown by a {@link Queue} that was {@linkplain Queue#shutdown(boolean) shut down}: asyncio's {@code QueueShutDown}
 * (CPython 3.13). Every put throws it after the shutdown, and so does a get once the queue is empty; tasks waiting
 * in {@code put} or {@code get} when the queue shuts down wake with it. Unchecked.
 */
public final class QueueShutDownException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which operation on which queue
     */
    public QueueShutDownException(String message) {
        super(message);
    }
}
