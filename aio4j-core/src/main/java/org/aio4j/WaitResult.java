package org.aio4j;

import java.util.Set;

/**
 * What {@link Aio#wait(java.util.Collection)} returns: asyncio's {@code (done, pending)} pair.
 *
 * <p>Both sets iterate in the order the futures were given and hold the caller's future objects themselves, so
 * {@code done} futures can be asked for their {@link Future#result() result} or {@link Future#exception() exception}.
 * An exception of a done future is not raised by {@code wait}: it is raised when its result is asked for.
 *
 * @param done    the futures that were done when {@code wait} returned (unmodifiable)
 * @param pending the futures that were not (unmodifiable); {@code wait} does not cancel them
 * @param <T>     the result type of the futures
 */
public record WaitResult<T>(Set<Future<T>> done, Set<Future<T>> pending) {

    /** Copies both sets into unmodifiable ones. */
    public WaitResult {
        done = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(done));
        pending = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(pending));
    }
}
