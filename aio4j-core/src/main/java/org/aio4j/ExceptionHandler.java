package org.aio4j;

/**
 * Receives the errors that no caller can receive: an exception raised by a callback, a task whose exception was
 * never retrieved, a task left pending when its loop closed. asyncio's {@code loop.set_exception_handler} callable.
 *
 * <p>The handler runs on the loop's thread (the thread that holds the loop at that moment) and must not suspend. An
 * exception thrown by the handler is logged by the default handler and otherwise ignored.
 *
 * @see EventLoop#setExceptionHandler(ExceptionHandler)
 */
@FunctionalInterface
public interface ExceptionHandler {

    /**
     * Handles one event.
     *
     * @param loop    the loop that saw it
     * @param context what happened
     */
    void handle(EventLoop loop, ExceptionContext context);
}
