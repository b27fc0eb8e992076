package org.aio4j;

/**
 * A {@link Coroutine} that returns nothing: asyncio's {@code async def} whose result is {@code None}.
 *
 * <p>Methods that take a coroutine accept this form too, so that a worker loop needs no {@code return null;}. A task
 * created from it has the result {@code null}.
 */
@FunctionalInterface
public interface VoidCoroutine {

    /**
     * Runs the body. Called on the virtual thread of the task that runs it.
     *
     * @throws Exception any exception; it becomes the task's exception
     */
    void run() throws Exception;

    /**
     * This body as a {@link Coroutine} whose result is {@code null}.
     *
     * @return a coroutine that runs this body and returns {@code null}
     */
    default Coroutine<Void> asCoroutine() {
        return () -> {
            run();
            return null;
        };
    }
}
