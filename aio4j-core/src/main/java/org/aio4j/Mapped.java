package org.aio4j;

import java.util.NoSuchElementException;

/**
 * {@link AsyncIterator#map}: applies a function to each item as it is taken, in the consuming task. After the function
 * fails (or the consuming task is interrupted in it) the iterator is exhausted, as Python's async generator expression
 * is; the upstream stays open until {@link #aclose()}.
 */
final class Mapped<T, R> implements AsyncIterator<R>, Derived {

    private final AsyncIterator<T> upstream;
    private final CoroutineFunction<? super T, ? extends R> fn;
    private boolean failed;

    Mapped(AsyncIterator<T> upstream, CoroutineFunction<? super T, ? extends R> fn) {
        this.upstream = upstream;
        this.fn = fn;
    }

    @Override
    public boolean hasNext() {
        return !failed && upstream.hasNext();
    }

    @Override
    public R next() {
        if (failed) {
            throw new NoSuchElementException("map(): async iterator is exhausted after a failure");
        }
        T item = upstream.next();
        try {
            return fn.call(item);
        } catch (Throwable e) {
            failed = true;
            throw Failures.unchecked(e);
        }
    }

    @Override
    public void aclose() {
        upstream.aclose();
    }

    @Override
    public AsyncIterator<?> upstream() {
        return upstream;
    }

    @Override
    public String toString() {
        return "map(" + upstream + ")";
    }
}
