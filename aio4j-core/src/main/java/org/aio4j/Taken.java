package org.aio4j;

import java.util.NoSuchElementException;

/** {@link AsyncIterator#take}: the first n items; the upstream is closed as soon as they have been taken. */
final class Taken<T> implements AsyncIterator<T>, Derived {

    private final AsyncIterator<T> upstream;
    private final long limit;
    private long taken;

    Taken(AsyncIterator<T> upstream, long limit) {
        this.upstream = upstream;
        this.limit = limit;
    }

    @Override
    public boolean hasNext() {
        if (taken >= limit) {
            aclose();
            return false;
        }
        return upstream.hasNext();
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException("take(" + limit + "): async iterator is exhausted");
        }
        T item = upstream.next();
        taken++;
        return item;
    }

    @Override
    public void aclose() {
        // No flag of its own: once closed, the upstream says it is exhausted; a refused close (the upstream runs in
        // another task, or the caller is outside the loop) must leave this iterator going, as it leaves the upstream.
        upstream.aclose();
    }

    @Override
    public AsyncIterator<?> upstream() {
        return upstream;
    }

    @Override
    public String toString() {
        return "take(" + limit + ", " + upstream + ")";
    }
}
