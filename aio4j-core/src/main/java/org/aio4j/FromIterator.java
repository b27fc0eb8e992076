package org.aio4j;

import java.util.Iterator;
import java.util.NoSuchElementException;

/** {@link AsyncIterator#from}: an async iterator over a plain iterator (which never suspends). */
final class FromIterator<T> implements AsyncIterator<T> {

    private final Iterator<? extends T> items;
    private final AutoCloseable resource;
    private boolean closed;

    FromIterator(Iterator<? extends T> items, AutoCloseable resource) {
        this.items = items;
        this.resource = resource;
    }

    @Override
    public boolean hasNext() {
        return !closed && items.hasNext();
    }

    @Override
    public T next() {
        if (closed) {
            throw new NoSuchElementException("async iterator is closed");
        }
        return items.next();
    }

    @Override
    public void aclose() {
        if (closed) {
            return;
        }
        closed = true;
        if (resource != null) {
            try {
                resource.close();
            } catch (Exception e) {
                throw Failures.unchecked(e);
            }
        }
    }

    @Override
    public String toString() {
        return "AsyncIterator.from(" + items + (closed ? ", closed" : "") + ")";
    }
}
