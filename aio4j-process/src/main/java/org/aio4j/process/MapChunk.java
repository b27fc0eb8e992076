package org.aio4j.process;

import java.util.ArrayList;
import java.util.List;

/**
 * The task of one remote call of {@link ProcessPool#map}: {@code fn} applied to a chunk of the items, in order, in a
 * worker; CPython's {@code _process_chunk}. The first exception of {@code fn} ends the chunk and is the call's.
 *
 * @param fn    the function, sent with each chunk
 * @param items the chunk's items
 */
record MapChunk<T, R>(SerializableFunction<? super T, ? extends R> fn, ArrayList<T> items)
        implements SerializableCallable<List<R>> {

    @Override
    public List<R> call() throws Exception {
        var results = new ArrayList<R>(items.size());
        for (T item : items) {
            results.add(fn.apply(item));
        }
        return results;
    }
}
