package org.aio4j;

import java.util.Set;

/**
 * What {@link Aio#wait(java.util.Collection)} returns: asyncio's {@code (done, pending)} pair.
 *
 * <p>Both sets iterate in the order the futures were given and hold the caller's future objects themselves, so
 * {@code done} futures can be asked for their {@link Future#result() result} or {@link Future#exception() exception}.
 * An exception of a done future is not raised by {@code wait}: it is raised when its result is asked for.
 *
 * <p>Its type is that of the futures given, {@code WaitResult<Task<String>>} for tasks that return strings, so that
 * futures of different result types can be waited for together (a server's task and the task that waits for its stop
 * event, say: {@code WaitResult<Task<?>>}), as asyncio's {@code wait} takes any awaitables.
 *
 * @param done    the futures that were done when {@code wait} returned (unmodifiable)
 * @param pending the futures that were not (unmodifiable); {@code wait} does not cancel them
 * @param <F>     the type of the futures, {@code Task<String>} or {@code Future<?>} say
 */
public record WaitResult<F extends Future<?>>(Set<F> done, Set<F> pending) {

    /** Copies both sets into unmodifiable ones. */
    public WaitResult {
        done = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(done));
        pending = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(pending));
    }
}
