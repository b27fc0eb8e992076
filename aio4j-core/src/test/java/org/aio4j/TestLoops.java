package org.aio4j;

import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the core tests. */
final class TestLoops {

    private TestLoops() {
    }

    /** A loop on a virtual clock whose exception handler collects what it receives. */
    static EventLoop virtual(List<ExceptionContext> errors) {
        return EventLoop.builder().virtualTime().exceptionHandler((loop, ctx) -> errors.add(ctx)).build();
    }

    /** Runs {@code main} with Aio.run on a virtual-time loop; errors reaching the handler are collected. */
    static <T> T runVirtual(List<ExceptionContext> errors, Coroutine<T> main) throws Exception {
        return Aio.run(() -> virtual(errors), main);
    }

    /** Runs {@code main} with Aio.run on a virtual-time loop and fails if anything reaches the exception handler. */
    static <T> T runVirtual(Coroutine<T> main) throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        T result = runVirtual(errors, main);
        if (!errors.isEmpty()) {
            throw new AssertionError("unexpected reports to the exception handler: "
                    + errors.stream().map(ExceptionContext::describe).toList());
        }
        return result;
    }

    /**
     * Creates, on the running loop, a task that checks every settled state a stress test passes through: it repeats
     * forever waiting until every other task is blocked ({@link Aio#waitAllTasksBlocked()}), running {@code check},
     * and sleeping {@code tick} seconds of the loop's clock. It never ends by itself: the caller cancels it when the
     * states worth checking are over. An exception {@code check} throws ends the task with that exception, and no
     * later state is checked; so {@code check} records what it finds wrong rather than throwing.
     */
    static Task<Void> checkWhenSettled(double tick, Runnable check) {
        return Aio.createTask(() -> {
            while (true) {
                Aio.waitAllTasksBlocked();
                check.run();
                Aio.sleep(tick);
            }
        });
    }

    /**
     * A coroutine that sleeps 10 seconds and, cancelled meanwhile, attaches {@code attached} to its cancellation and
     * lets it out, as a library's clean-up that fails while a cancellation unwinds it does.
     */
    static Coroutine<Void> attachingToItsCancellation(Throwable... attached) {
        return () -> {
            try {
                Aio.sleep(10);
            } catch (java.util.concurrent.CancellationException e) {
                for (Throwable a : attached) {
                    e.addSuppressed(a);
                }
                throw e;
            }
            return null;
        };
    }
}
