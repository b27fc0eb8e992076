package org.aio4j;

import java.util.NoSuchElementException;
import java.util.function.Predicate;

/** {@link AsyncIterator#filter}: the items a predicate accepts, tested in the consuming task. */
final class Filtered<T> implements AsyncIterator<T> {

    private final AsyncIterator<T> upstream;
    private final Predicate<? super T> predicate;
    private boolean hasItem;
    private T item;

    Filtered(AsyncIterator<T> upstream, Predicate<? super T> predicate) {
        this.upstream = upstream;
        this.predicate = predicate;
    }

    @Override
    public boolean hasNext() {
        while (!hasItem && upstream.hasNext()) {
            T candidate = upstream.next();
            if (predicate.test(candidate)) {
                item = candidate;
                hasItem = true;
            }
        }
        return hasItem;
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException("filter(): async iterator is exhausted");
        }
        T x = item;
        item = null;
        hasItem = false;
        return x;
    }

    @Override
    public void aclose() {
        hasItem = false;
        item = null;
        upstream.aclose();
    }

    @Override
    public String toString() {
        return "filter(" + upstream + ")";
    }
}
