package org.aio4j;

import java.util.concurrent.CancellationException;

/**
 * The cancellation a {@link Timeout} throws into its block when it expires, which then leaves the block as the
 * timeout error: the Java form of asyncio's {@code CancelledError} inside {@code asyncio.timeout()} that becomes
 * {@code TimeoutError} at its exit.
 *
 * <p>Inside the block it is a {@link CancellationException}, so that everything the block is waiting for is cancelled
 * and cleaned up as for any cancellation. When it reaches the end of the {@code try (Timeout t = ...)} statement
 * that threw it and no other cancellation of the task is pending, the timeout marks it {@linkplain #isTimeout() as a
 * timeout}: from then on it is an ordinary error, and a task that lets it escape ends failed with it, not cancelled.
 * If the task was also cancelled from outside, it stays a cancellation (the task is interrupted once: the expiry is
 * raised, carrying the message of the outside cancellation when that one came first or while a {@link CancelShield}
 * deferred both).
 *
 * <p>Methods with a timeout parameter ({@link Aio#waitFor}, {@link Future#get(long, java.util.concurrent.TimeUnit)})
 * throw {@link java.util.concurrent.TimeoutException} instead.
 */
public final class TimeoutCancellationException extends CancellationException {

    private static final long serialVersionUID = 1L;

    private transient Timeout timeout;
    /** Whether the expired scope has turned this cancellation into a timeout error ({@link #isTimeout()}). */
    private boolean converted;
    /** The message of a cancellation of the task raised with this expiry (see {@link #getMessage()}); or null. */
    private final String cancelMessage;

    TimeoutCancellationException(Timeout timeout, String cancelMessage) {
        super("timeout expired");
        this.timeout = timeout;
        this.cancelMessage = cancelMessage;
    }

    /**
     * The scope that expired; once {@linkplain #isTimeout() converted}, the scope that converted it, whose block it
     * left as a timeout. They differ when nested scopes expire in the same loop iteration: the task is interrupted
     * once, the inner scope lets the interruption through (the outer one's is still pending, as in asyncio) and the
     * outer one converts it.
     *
     * @return the scope that expired, or the one that converted it
     */
    public Timeout timeout() {
        return timeout;
    }

    /**
     * Whether the expired {@link Timeout} has turned this cancellation into a timeout error (true once it has left
     * that scope with no other cancellation pending).
     *
     * @return whether this cancellation has become a timeout error
     */
    public boolean isTimeout() {
        return converted;
    }

    void convert(Timeout by) {
        timeout = by;
        converted = true;
    }

    /**
     * "timed out" once {@linkplain #isTimeout() converted}; before, "timeout expired", or the message of a
     * cancellation of the task raised with the expiry (see the class comment), which this exception carries out of
     * the block as asyncio's {@code CancelledError} carries the message of the cancel() that reached the task.
     */
    @Override
    public String getMessage() {
        return converted ? "timed out" : cancelMessage != null ? cancelMessage : "timeout expired";
    }
}
