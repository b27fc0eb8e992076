package org.aio4j.process;

import java.io.Serializable;
import java.util.function.Function;

/**
 * A {@link Function} that can be sent to another JVM: what {@link ProcessPool#map ProcessPool.map} applies to each
 * item in a worker, the counterpart of the picklable {@code fn} of asyncio's {@code ProcessPoolExecutor.map(fn,
 * items)}. A lambda or method reference whose target type is {@code SerializableFunction} is compiled as a
 * serializable lambda; what it captures must be serializable and allowed by the pool's allow-list, as for a
 * {@link SerializableCallable}.
 *
 * @param <T> the type of the items
 * @param <R> the type of the results; they must be serializable and allowed by the allow-list as well
 */
@FunctionalInterface
public interface SerializableFunction<T, R> extends Function<T, R>, Serializable {
}
