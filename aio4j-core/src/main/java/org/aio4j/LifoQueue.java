package org.aio4j;

/**
 * A last-in, first-out {@link Queue}: asyncio's {@code asyncio.LifoQueue}. {@code get} returns the item put most
 * recently; everything else (bounds, fairness among waiting tasks, cancellation, {@code taskDone}/{@code join},
 * shutdown, threads) is as for {@link Queue}.
 *
 * @param <T> the type of the items
 */
public final class LifoQueue<T> extends Queue<T> {

    /** Creates an unbounded LIFO queue. */
    public LifoQueue() {
        this(0);
    }

    /**
     * Creates a LIFO queue that holds at most {@code maxsize} items, or any number if {@code maxsize} is 0.
     *
     * @param maxsize the most items the queue holds, or 0 for no limit
     * @throws IllegalArgumentException if {@code maxsize} is negative
     */
    public LifoQueue(int maxsize) {
        super(maxsize);
    }

    @Override
    T unstore() {
        return items.pollLast();
    }

}
