package org.aio4j.process;

import java.io.Serializable;

/**
 * A function that can be sent to another JVM: what {@link ProcessPool#map ProcessPool.map} applies to each item in a
 * worker, the counterpart of the picklable {@code fn} of asyncio's {@code ProcessPoolExecutor.map(fn, items)}. A
 * lambda or method reference whose target type is {@code SerializableFunction} is compiled as a serializable lambda;
 * what it captures must be serializable and allowed by the pool's allow-list, as for a {@link SerializableCallable}.
 * Like a Python function, and like {@link SerializableCallable}, it may throw any exception, checked ones included:
 * {@code map} throws it as the worker threw it.
 *
 * @param <T> the type of the items
 * @param <R> the type of the results; they must be serializable and allowed by the allow-list as well
 */
@FunctionalInterface
public interface SerializableFunction<T, R> extends Serializable {

    /**
     * Applies this function to {@code item}.
     *
     * @param item one of the items given to {@code map}
     * @return the result for {@code item}
     * @throws Exception anything the function throws; the first one of a chunk ends the chunk
     */
    R apply(T item) throws Exception;
}
