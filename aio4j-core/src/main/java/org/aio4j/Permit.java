package org.aio4j;

/**
 * What an {@code acquire()} of a {@link Lock}, {@link Semaphore}, {@link BoundedSemaphore}, {@link Condition} or
 * {@link CapacityLimiter} returns: closing it releases what was acquired. It makes asyncio's
 * {@code async with lock:} a try-with-resources statement:
 *
 * <pre>{@code
 * try (var _ = semaphore.acquire()) {     // suspends until a permit is free
 *     fetch(url);
 * }                                       // released here, also on an exception or a cancellation
 * }</pre>
 *
 * <p>{@link #close()} releases once: closing it again does nothing. Use either the permit or the primitive's own
 * {@code release()}, not both, or the primitive is released twice. Like the primitive, a permit is a loop object:
 * close it on the thread holding the loop.
 */
public interface Permit extends AutoCloseable {

    /**
     * Releases what was acquired, the first time it is called; later calls do nothing.
     *
     * @throws IllegalStateException if called on a thread that does not hold the primitive's loop (the permit then
     *                               stays unreleased)
     */
    @Override
    void close();
}
