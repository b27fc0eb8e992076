package org.aio4j;

/**
 * A function of one argument that may suspend and may throw: what Python calls a coroutine function
 * ({@code async def f(x)}), as taken by {@link AsyncIterator#map} and {@link AsyncIterator#mapConcurrent}.
 *
 * <p>It runs in a task, on that task's virtual thread: inline in the consuming task for {@code map}, in a task of its
 * own per item for {@code mapConcurrent}. It may suspend wherever a coroutine may.
 *
 * @param <T> the argument type
 * @param <R> the result type
 */
@FunctionalInterface
public interface CoroutineFunction<T, R> {

    /**
     * Applies the function to {@code item}.
     *
     * @param item the item to apply the function to
     * @return the result for {@code item}
     * @throws Exception any exception: it surfaces at this item of the iterator
     */
    R call(T item) throws Exception;
}
