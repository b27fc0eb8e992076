package org.aio4j;

/**
 * The body of a task: ordinary Java code that returns a value and may throw; asyncio's {@code async def}.
 *
 * <p>A coroutine runs inside a {@link Task} of an {@link EventLoop}, on the task's own virtual thread. It suspends
 * wherever it calls a suspending method ({@link Future#await()}, {@link Aio#sleep(double)}, a queue or lock wait, ...):
 * there, and only there, the loop may run other tasks. Between two suspension points a coroutine runs alone on its
 * loop, exactly as an asyncio coroutine runs alone between two {@code await}s. A coroutine that never suspends runs to
 * completion before any other task of its loop runs.
 *
 * <p>A coroutine is not started by creating it: like an asyncio coroutine object, it runs only when it is wrapped in a
 * task ({@link Aio#createTask(Coroutine)}, {@link EventLoop#runUntilComplete(Coroutine)}, {@link Aio#run(Coroutine)},
 * {@link TaskGroup#createTask(Coroutine)}) or called directly from another coroutine, in which case it runs inline in
 * the caller's task, as {@code await coro()} does in asyncio.
 *
 * @param <T> the type of the value the coroutine returns
 * @see VoidCoroutine
 */
@FunctionalInterface
public interface Coroutine<T> {

    /**
     * Runs the body. Called on the virtual thread of the task that runs it.
     *
     * @return the result of the task
     * @throws Exception any exception; it becomes the task's exception, raised again by whoever awaits the task
     */
    T call() throws Exception;
}
