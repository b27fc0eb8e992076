package org.aio4j;

/**
 * How an {@link EventLoop} starts the tasks it creates: asyncio's task factory, set with
 * {@link EventLoop#setTaskFactory} ({@code loop.set_task_factory(asyncio.eager_task_factory)} is
 * {@code loop.setTaskFactory(TaskFactory.EAGER)}).
 *
 * <p>asyncio takes any callable {@code (loop, coro, **kwargs) -> Task} there, so that a program can make its own
 * {@code Task} subclass or wrap each coroutine; a {@link Task} here is final, and such wrapping belongs to the code
 * that creates the task, so the two factories asyncio itself provides are the only ones
 * ({@code asyncio.create_eager_task_factory(custom_task_constructor)}, which makes an eager factory of a custom
 * constructor, has no counterpart).
 */
public enum TaskFactory {

    /**
     * asyncio's default (no factory, {@code loop.set_task_factory(None)}): a task created while the loop runs is
     * queued, and its coroutine starts in a later turn of the loop, after the entries already ready.
     */
    DEFAULT,

    /**
     * {@code asyncio.eager_task_factory} (Python 3.12): a task created while the loop runs starts at once, in the
     * creator's turn, and runs until its first suspension (or its end) before {@code createTask} returns. A coroutine
     * that ends without suspending gives a task already done, which never goes through the ready queue. See
     * {@link EventLoop#setTaskFactory} for the exact contract.
     */
    EAGER
}
