package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An offloaded call that ends after its loop was closed: its outcome can no longer settle the loop's future (the
 * closed loop refuses the post). A failure must not vanish with it.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a bound on hangs, not a timing assertion
class OffloadAfterCloseTest {

    /** In a task: runs {@code body} on {@code executor} and returns its future once the call has started. */
    private static <T> Future<T> startCall(ExecutorService executor, java.util.concurrent.Callable<T> body)
            throws Exception {
        EventLoop loop = Aio.getRunningLoop();
        Future<Void> started = loop.createFuture();
        Future<T> call = loop.runInExecutor(executor, () -> {
            loop.callSoonThreadsafe(() -> started.setResult(null));
            return body.call();
        });
        started.await();
        return call;
    }

    @Test
    void aCallThatFailsAfterItsLoopClosedIsLoggedWithItsException() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        var release = new CountDownLatch(1);
        var failure = new IllegalStateException("disk on fire");
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (var log = new CapturedLog()) {
            var future = loop.runInExecutor(executor, () -> {
                release.await();
                throw failure;
            });
            loop.close(); // the call is still running: nothing waits for it
            release.countDown();
            executor.shutdown(); // its termination comes after the call's outcome was handed on (or refused)
            assertThat(executor.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

            assertThat(future.isDone()).isFalse();
            assertThat(log.records).singleElement().satisfies(r -> {
                assertThat(r.getMessage()).contains("Offloaded call failed after its event loop was closed");
                assertThat(r.getThrown()).isSameAs(failure);
            });
        } finally {
            executor.shutdownNow();
        }
        assertThat(errors).isEmpty();
    }

    /**
     * A call blocked in an untimed get() on a future the close leaves pending is reported by the close, which then
     * releases it with an IllegalStateException: that failure is the release the report announced, not logged again
     * as an error. A call in a timed get() is not known to be blocked for good, so the close does not report it: the
     * same release is then logged, as any failure the closed loop refuses.
     */
    @Test
    void aCallReleasedByTheCloseIsReportedOnceAndOnlyAnUnreportedOneIsLogged() throws Exception {
        for (boolean timed : new boolean[] {false, true}) {
            List<ExceptionContext> errors = new ArrayList<>();
            var loop = TestLoops.virtual(errors);
            ExecutorService executor = Executors.newSingleThreadExecutor();
            try (var log = new CapturedLog()) {
                loop.runUntilComplete(() -> {
                    Future<String> never = Aio.getRunningLoop().createFuture();
                    startCall(executor, () -> timed ? never.get(1, java.util.concurrent.TimeUnit.DAYS) : never.get());
                    return null;
                });
                while (loop.blockedGets.isEmpty()) { // until the call waits in get(), a matter of microseconds
                    Thread.onSpinWait();
                }
                loop.close();
                executor.shutdown(); // its termination comes after the call's outcome was refused
                assertThat(executor.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

                var severe = log.records.stream().filter(r -> r.getLevel().intValue()
                        >= java.util.logging.Level.WARNING.intValue()).toList();
                assertThat(loop.inFlightSnapshot()).as("the outcome the closed loop refused").singleElement()
                        .asString().endsWith(" (ended, outcome not taken by the loop yet)");
                if (timed) {
                    assertThat(errors).isEmpty();
                    assertThat(severe).singleElement().satisfies(r -> assertThat(r.getThrown())
                            .isInstanceOf(IllegalStateException.class)
                            // "closed while a thread waited", or "is closed" if the close came between the
                            // thread's registration as blocked and its wait: the same release either way
                            .hasMessageContaining("Event loop").hasMessageContaining(" closed")
                            .hasMessageContaining(": nothing can complete Future[pending]"));
                } else {
                    assertThat(errors).extracting(ExceptionContext::message).singleElement().asString()
                            .startsWith("Event loop closed while offloaded call")
                            .endsWith(": the call is released with an IllegalStateException");
                    assertThat(severe).isEmpty();
                }
            } finally {
                executor.shutdownNow();
            }
        }
    }

    @Test
    void aCallThatFailsBecauseTheCloseInterruptedItIsNotLoggedAsAnError() throws Exception {
        // The close cancels the task awaiting the call, which interrupts the call; the call fails because of it,
        // wrapping the InterruptedException as blocking code does. On a running loop that failure is expected
        // (logged at DEBUG); it is no more an error because the closed loop refused it.
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (var log = new CapturedLog()) {
            loop.runUntilComplete(() -> {
                Future<Void> call = startCall(executor, () -> {
                    try {
                        new CountDownLatch(1).await(); // until interrupted
                    } catch (InterruptedException e) {
                        throw new IllegalStateException("query interrupted", e);
                    }
                    return null;
                });
                Aio.createTask(() -> call.await(), "awaits-the-call");
                Aio.sleep(0); // the task awaits the call
                return null;
            });
            loop.close(); // cancels the task, which cancels the call's future, which interrupts the call
            executor.shutdown(); // its termination comes after the call's outcome was handed on (or refused)
            assertThat(executor.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

            assertThat(log.records).noneSatisfy(r -> assertThat(r.getLevel().intValue())
                    .isGreaterThanOrEqualTo(java.util.logging.Level.WARNING.intValue()));
        } finally {
            executor.shutdownNow();
        }
        assertThat(errors).extracting(ExceptionContext::message)
                .containsExactly("Task was still pending when its event loop closed; it was cancelled");
    }
}
