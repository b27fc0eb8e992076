package org.aio4j;

/** {@link AsyncIterator#map}: applies a function to each item as it is taken, in the consuming task. */
final class Mapped<T, R> implements AsyncIterator<R> {

    private final AsyncIterator<T> upstream;
    private final CoroutineFunction<? super T, ? extends R> fn;

    Mapped(AsyncIterator<T> upstream, CoroutineFunction<? super T, ? extends R> fn) {
        this.upstream = upstream;
        this.fn = fn;
    }

    @Override
    public boolean hasNext() {
        return upstream.hasNext();
    }

    @Override
    public R next() {
        T item = upstream.next();
        try {
            return fn.call(item);
        } catch (Exception e) {
            throw Failures.unchecked(e);
        }
    }

    @Override
    public void aclose() {
        upstream.aclose();
    }

    @Override
    public String toString() {
        return "map(" + upstream + ")";
    }
}
