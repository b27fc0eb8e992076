package org.aio4j;

import java.util.Iterator;
import java.util.NoSuchElementException;

/** {@link AsyncIterator#from}: an async iterator over a plain iterator (which never suspends). */
final class FromIterator<T> implements AsyncIterator<T> {

    private final Iterator<? extends T> items;
    private final AutoCloseable resource;
    private boolean closed;
    /**
     * The iterator threw: the iteration ended there, as a generator's does when its body throws (the contract: after
     * a failure the iterator is exhausted). A Java iterator may go on after an exception (a stream's does, with the
     * next element), so it is not asked again. The resource is still closed by {@link #aclose()}.
     */
    private boolean failed;

    FromIterator(Iterator<? extends T> items, AutoCloseable resource) {
        this.items = items;
        this.resource = resource;
    }

    @Override
    public boolean hasNext() {
        if (closed || failed) {
            return false;
        }
        try {
            return items.hasNext();
        } catch (RuntimeException | Error e) {
            failed = true;
            throw e;
        }
    }

    @Override
    public T next() {
        if (closed) {
            throw new NoSuchElementException("async iterator is closed");
        }
        if (failed) {
            throw new NoSuchElementException("async iterator is exhausted after a failure");
        }
        try {
            return items.next();
        } catch (RuntimeException | Error e) {
            failed = true;
            throw e;
        }
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
