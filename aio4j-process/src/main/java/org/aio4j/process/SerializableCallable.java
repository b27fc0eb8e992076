package org.aio4j.process;

import java.io.Serializable;
import java.util.concurrent.Callable;

/**
 * A {@link Callable} that can be sent to another JVM: the task type of a {@link ProcessPool}, the counterpart of the
 * picklable callable that asyncio's {@code run_in_executor(ProcessPoolExecutor, fn, *args)} needs.
 *
 * <p>A lambda or method reference whose target type is {@code SerializableCallable} is compiled as a serializable
 * lambda, so {@code pool.remote(() -> square(i))} ships {@code square} and the captured {@code i} to a worker. What
 * the lambda captures must be serializable too, and must be allowed by the pool's allow-list (see
 * {@link ProcessPool.Builder#allow(String...)}); the pool checks both when the task is submitted and throws
 * {@link IllegalArgumentException} naming the offending class. The usual trap, and the seed's "print_num must be a
 * global function": a lambda that calls an instance method or reads a field captures {@code this}; call a static
 * method, or copy what the task needs into local variables first.
 *
 * @param <T> the result type; the result must be serializable and allowed by the allow-list as well
 */
@FunctionalInterface
public interface SerializableCallable<T> extends Callable<T>, Serializable {
}
