package org.aio4j;

import java.util.NoSuchElementException;
import java.util.function.Predicate;

/**
 * {@link AsyncIterator#filter}: the items a predicate accepts, tested in the consuming task. After the predicate
 * fails the iterator is exhausted, as Python's async generator expression is; the upstream stays open until
 * {@link #aclose()}. A refused close (the upstream refuses it, see {@link AsyncGenerator#aclose()}) changes nothing:
 * the item {@code hasNext()} looked ahead at stays for the consumer.
 */
final class Filtered<T> implements AsyncIterator<T>, Derived {

    private final AsyncIterator<T> upstream;
    private final Predicate<? super T> predicate;
    private boolean hasItem;
    private T item;
    private boolean failed;

    Filtered(AsyncIterator<T> upstream, Predicate<? super T> predicate) {
        this.upstream = upstream;
        this.predicate = predicate;
    }

    @Override
    public boolean hasNext() {
        while (!hasItem && !failed && upstream.hasNext()) {
            T candidate = upstream.next();
            boolean accepted;
            try {
                accepted = predicate.test(candidate);
            } catch (Throwable e) {
                failed = true;
                throw e;
            }
            if (accepted) {
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
        AsyncGenerator.closeUpstream(upstream, this::drop);
    }

    private void drop() {
        hasItem = false;
        item = null;
    }

    @Override
    public AsyncIterator<?> upstream() {
        return upstream;
    }

    @Override
    public String toString() {
        return "filter(" + upstream + ")";
    }
}
