package org.aio4j;

/**
 * A {@link Semaphore} that refuses to be released more often than it was acquired: asyncio's
 * {@code asyncio.BoundedSemaphore}. Releasing it when its value is already the initial value throws, which catches a
 * double release that a plain semaphore would silently turn into an extra permit.
 *
 * <p>Everything else (fairness, cancellation, threads) is as for {@link Semaphore}.
 */
public final class BoundedSemaphore extends Semaphore {

    private final int bound;

    /**
     * Creates a bounded semaphore with {@code value} permits, which is also its bound.
     *
     * @param value the number of permits free at first, and the most there can be
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public BoundedSemaphore(int value) {
        super(value);
        this.bound = value;
    }

    /** Creates a bounded semaphore with one permit. */
    public BoundedSemaphore() {
        this(1);
    }

    /**
     * Gives a permit back, as {@link Semaphore#release()}.
     *
     * @throws IllegalStateException if that would raise the value above the initial value (asyncio's
     *                               {@code ValueError: BoundedSemaphore released too many times})
     */
    @Override
    public void release() {
        check("release");
        if (currentValue() >= bound) {
            throw new IllegalStateException("BoundedSemaphore released too many times: its value is already "
                    + bound + ", the initial value (" + this + ")");
        }
        super.release();
    }

}
