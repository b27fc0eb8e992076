package org.aio4j;

import java.util.NoSuchElementException;

/**
 * Thrown by {@link Queue#getNowait()} when no item is available: asyncio's {@code QueueEmpty}. Unchecked, and a
 * {@link NoSuchElementException} like {@link java.util.Queue#remove()}'s.
 */
public final class QueueEmptyException extends NoSuchElementException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which queue and why
     */
    public QueueEmptyException(String message) {
        super(message);
    }
}
