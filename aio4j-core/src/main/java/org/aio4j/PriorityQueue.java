package org.aio4j;

import java.util.Comparator;

/**
 * A {@link Queue} that returns its smallest item first: asyncio's {@code asyncio.PriorityQueue}. Items are ordered
 * by a {@link Comparator}, or by their natural order; items that compare equal come out in the order they were put
 * (asyncio would compare the next field of its tuples; here ties are FIFO, so no tie-breaking field is needed).
 * Everything else (bounds, fairness among waiting tasks, cancellation, {@code taskDone}/{@code join}, shutdown,
 * threads) is as for {@link Queue}.
 *
 * @param <T> the type of the items
 */
public final class PriorityQueue<T> extends Queue<T> {

    /** An item and its arrival number, which breaks ties. */
    private record Entry<T>(T item, long seq) {
    }

    private final java.util.PriorityQueue<Entry<T>> heap;
    private final boolean natural;
    private long seq;

    /** Creates an unbounded queue of {@link Comparable} items, smallest first. */
    public PriorityQueue() {
        this(0, null);
    }

    /**
     * Creates a queue of {@link Comparable} items, smallest first, holding at most {@code maxsize} items (0: any).
     *
     * @throws IllegalArgumentException if {@code maxsize} is negative
     */
    public PriorityQueue(int maxsize) {
        this(maxsize, null);
    }

    /**
     * Creates a queue holding at most {@code maxsize} items (0: any), ordered by {@code comparator} (null: the
     * items' natural order).
     *
     * @throws IllegalArgumentException if {@code maxsize} is negative
     */
    public PriorityQueue(int maxsize, Comparator<? super T> comparator) {
        super(maxsize, false);
        this.natural = comparator == null;
        Comparator<? super T> order = natural ? PriorityQueue::compareNaturally : comparator;
        this.heap = new java.util.PriorityQueue<>((a, b) -> {
            int c = order.compare(a.item(), b.item());
            return c != 0 ? c : Long.compare(a.seq(), b.seq());
        });
    }

    @SuppressWarnings("unchecked")
    private static int compareNaturally(Object a, Object b) {
        return ((Comparable<Object>) a).compareTo(b);
    }

    @Override
    void checkItem(T item) {
        super.checkItem(item);
        if (natural && !(item instanceof Comparable<?>)) {
            throw new ClassCastException("PriorityQueue without a comparator needs Comparable items, got "
                    + item.getClass().getName());
        }
    }

    @Override
    int stored() {
        return heap.size();
    }

    @Override
    void store(T item) {
        heap.add(new Entry<>(item, seq++));
    }

    @Override
    T unstore() {
        Entry<T> e = heap.poll();
        return e == null ? null : e.item();
    }

}
