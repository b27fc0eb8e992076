package org.aio4j.http;

import java.util.ArrayList;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.Coroutine;
import org.aio4j.EventLoop;
import org.aio4j.ExceptionContext;

/** Runs test programs on loops that fail the test if anything reaches their exception handler. */
final class Loops {

    private Loops() {
    }

    /** Runs {@code main} with Aio.run on the real clock; fails if the loop reported an error nobody received. */
    static <T> T run(Coroutine<T> main) throws Exception {
        List<ExceptionContext> reports = new ArrayList<>();
        T result;
        try {
            result = Aio.run(() -> EventLoop.builder().exceptionHandler((loop, ctx) -> reports.add(ctx)).build(),
                    main);
        } finally {
            if (!reports.isEmpty()) {
                throw new AssertionError("unexpected reports to the exception handler: "
                        + reports.stream().map(ExceptionContext::describe).toList());
            }
        }
        return result;
    }
}
