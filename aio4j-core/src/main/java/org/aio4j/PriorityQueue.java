package org.aio4j;

import java.util.Comparator;
import java.util.List;

/**
 * A {@link Queue} that returns its smallest item first: asyncio's {@code asyncio.PriorityQueue}. Items are ordered
 * by a {@link Comparator}, or by their natural order; items that compare equal come out in the order they were put
 * (asyncio would compare the next field of its tuples; here ties are FIFO, so no tie-breaking field is needed).
 * Everything else (bounds, fairness among waiting tasks, cancellation, {@code taskDone}/{@code join}, shutdown,
 * threads) is as for {@link Queue}.
 *
 * <p><b>A comparator that throws</b> fails the {@code put} or {@code get} that called it, with its exception, and
 * leaves the queue as it was: no item is lost or duplicated. ({@code heapq}, under asyncio's queue, loses an item
 * then.) {@link #shutdown(boolean) shutdown(true)} still returns every item, those after the failure unordered.
 *
 * @param <T> the type of the items
 */
public final class PriorityQueue<T> extends Queue<T> {

    /** An item and its arrival number, which breaks ties. */
    private record Entry<T>(T item, long seq) {
    }

    private final Comparator<Entry<T>> order;
    private final boolean natural;
    /**
     * A binary min-heap of {@code size} entries. Not {@link java.util.PriorityQueue}: when its comparator throws in
     * the middle of a sift, that one has already overwritten or removed an entry, and the queue would lose an item
     * (and {@link #join()} would wait for it for ever). Here every move is a swap, and a failed operation swaps back
     * to where it began, so a comparator that throws fails the put or the get and leaves every item in place.
     */
    private Object[] heap = new Object[16];
    private int size;
    private long seq;

    /** Creates an unbounded queue of {@link Comparable} items, smallest first. */
    public PriorityQueue() {
        this(0, null);
    }

    /**
     * Creates a queue of {@link Comparable} items, smallest first, holding at most {@code maxsize} items (0: any).
     *
     * @param maxsize the most items the queue holds, or 0 for no limit
     * @throws IllegalArgumentException if {@code maxsize} is negative
     */
    public PriorityQueue(int maxsize) {
        this(maxsize, null);
    }

    /**
     * Creates a queue holding at most {@code maxsize} items (0: any), ordered by {@code comparator} (null: the
     * items' natural order).
     *
     * @param maxsize    the most items the queue holds, or 0 for no limit
     * @param comparator the order of the items, or {@code null} for their natural order
     * @throws IllegalArgumentException if {@code maxsize} is negative
     */
    public PriorityQueue(int maxsize, Comparator<? super T> comparator) {
        super(maxsize, false);
        this.natural = comparator == null;
        Comparator<? super T> items = natural ? PriorityQueue::compareNaturally : comparator;
        this.order = (a, b) -> {
            int c = items.compare(a.item(), b.item());
            return c != 0 ? c : Long.compare(a.seq(), b.seq());
        };
    }

    /**
     * The natural order. Items of classes that cannot be compared with each other (a String put among Integers) fail
     * the put with a message that says so, rather than the bare cast failure from inside {@code compareTo}.
     */
    @SuppressWarnings("unchecked")
    private static int compareNaturally(Object a, Object b) {
        try {
            return ((Comparable<Object>) a).compareTo(b);
        } catch (ClassCastException e) {
            var clear = new ClassCastException("PriorityQueue without a comparator needs items comparable with each"
                    + " other: " + a.getClass().getName() + " and " + b.getClass().getName() + " are not ("
                    + e.getMessage() + ")");
            clear.initCause(e);
            throw clear;
        }
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
        return size;
    }

    @Override
    void store(T item) {
        if (size == heap.length) {
            heap = java.util.Arrays.copyOf(heap, size * 2);
        }
        heap[size] = new Entry<>(item, seq);
        int[] path = new int[32];
        int depth = 0;
        int k = size++;
        try {
            while (k > 0) {
                int parent = (k - 1) >>> 1;
                if (order.compare(entry(k), entry(parent)) >= 0) {
                    break;
                }
                swap(k, parent);
                path[depth++] = k;
                k = parent;
            }
        } catch (RuntimeException | Error e) {
            undo(path, depth, k);
            heap[--size] = null;
            throw e;
        }
        seq++;
    }

    @Override
    T unstore() {
        int last = size - 1; // the queue calls it only while an item is stored
        swap(0, last); // the first entry waits at the end until the others are in order again
        int[] path = new int[32];
        int depth = 0;
        int k = 0;
        try {
            for (int child; (child = 2 * k + 1) < last; ) {
                if (child + 1 < last && order.compare(entry(child + 1), entry(child)) < 0) {
                    child++;
                }
                if (order.compare(entry(child), entry(k)) >= 0) {
                    break;
                }
                path[depth++] = k;
                swap(k, child);
                k = child;
            }
        } catch (RuntimeException | Error e) {
            undo(path, depth, k);
            swap(0, last);
            throw e;
        }
        @SuppressWarnings("unchecked")
        Entry<T> first = (Entry<T>) heap[last];
        heap[last] = null;
        size = last;
        return first.item();
    }

    /**
     * As the base class; if the comparator fails on the way, the items not yet removed follow in no particular order,
     * so that {@code shutdown(true)} still hands every item back.
     */
    @Override
    void unstoreAll(List<T> into) {
        try {
            super.unstoreAll(into);
        } catch (RuntimeException | Error comparatorFailed) {
            for (int i = 0; i < size; i++) {
                into.add(entry(i).item());
                heap[i] = null;
            }
            size = 0;
        }
    }

    /** Swaps back a sift that moved an entry through {@code path} (the positions it left, in order) to {@code at}. */
    private void undo(int[] path, int depth, int at) {
        for (int i = depth - 1; i >= 0; i--) {
            swap(at, path[i]);
            at = path[i];
        }
    }

    @SuppressWarnings("unchecked")
    private Entry<T> entry(int i) {
        return (Entry<T>) heap[i];
    }

    private void swap(int i, int j) {
        Object t = heap[i];
        heap[i] = heap[j];
        heap[j] = t;
    }
}
