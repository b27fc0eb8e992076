package org.aio4j.process;

import java.io.Serializable;

/**
 * A {@link Runnable} that can be sent to another JVM: the type of a {@link ProcessPool}'s
 * {@link ProcessPool.Builder#initializer(SerializableRunnable) initializer}, the counterpart of the picklable
 * {@code initializer} of asyncio's {@code ProcessPoolExecutor}. A lambda whose target type is
 * {@code SerializableRunnable} is compiled as a serializable lambda; what it captures (its {@code initargs}) must be
 * serializable and allowed by the pool's allow-list, as for a {@link SerializableCallable}.
 */
@FunctionalInterface
public interface SerializableRunnable extends Runnable, Serializable {
}
