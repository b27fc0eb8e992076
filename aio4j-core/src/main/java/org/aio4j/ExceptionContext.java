package org.aio4j;

/**
 * What the loop passes to its {@link ExceptionHandler}: asyncio's exception-handler {@code context} dictionary.
 *
 * @param message   a description of what happened, never {@code null} (asyncio's {@code 'message'} key)
 * @param exception the exception, or {@code null} if the event has none (asyncio's {@code 'exception'})
 * @param future    the future or task concerned, or {@code null} (asyncio's {@code 'future'} and {@code 'task'})
 * @param handle    the callback handle concerned, or {@code null} (asyncio's {@code 'handle'})
 */
public record ExceptionContext(String message, Throwable exception, Future<?> future, Handle handle) {

    /** Checks that the message is present. */
    public ExceptionContext {
        java.util.Objects.requireNonNull(message, "ExceptionContext message must not be null");
    }

    /**
     * The report as text: the message, the future or handle, where the future or task was created if that was
     * recorded (debug mode), a task's creator, and the
     * exception's stack trace. This is what the default handler logs.
     *
     * @return the report, as text
     */
    public String describe() {
        var out = new StringBuilder(message);
        if (future != null) {
            out.append("\nfuture: ").append(future);
            String site = future.creationSite(); // recorded in debug mode (a task's: also its creator)
            if (site != null) {
                out.append('\n').append(site);
            }
        }
        if (handle != null) {
            out.append("\nhandle: ").append(handle);
        }
        if (exception != null) {
            var trace = new java.io.StringWriter();
            exception.printStackTrace(new java.io.PrintWriter(trace));
            out.append('\n').append(trace.toString().stripTrailing());
        }
        return out.toString();
    }
}
