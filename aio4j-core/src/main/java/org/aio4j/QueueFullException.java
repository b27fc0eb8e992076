package org.aio4j;

/**
 * Thrown by {@link Queue#putNowait(Object)} when the queue has no free slot: asyncio's {@code QueueFull}.
 * Unchecked, and an {@link IllegalStateException} like {@link java.util.Queue#add(Object)}'s.
 */
public final class QueueFullException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which queue and why
     */
    public QueueFullException(String message) {
        super(message);
    }
}
