package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** EventLoop behaviours checked against CPython's base_events.py (outputs quoted from CPython 3.11/3.13). */
class EventLoopCPythonTest {

    /*
     * loop = asyncio.new_event_loop(); out = []
     * loop.call_soon(out.append, 'a'); loop.call_soon_threadsafe(out.append, 'b'); loop.call_soon(out.append, 'c')
     * loop.call_soon(loop.stop); loop.call_soon(out.append, 'd'); loop.run_forever(); print(out)
     * CPython: ['a', 'b', 'c', 'd']
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void callSoonThreadsafeBeforeTheLoopRunsKeepsItsPlaceAmongCallSoons() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            loop.callSoon(() -> seen.add("a"));
            loop.callSoonThreadsafe(() -> seen.add("b"));
            loop.callSoon(() -> seen.add("c"));
            loop.callSoon(loop::stop);
            loop.callSoon(() -> seen.add("d"));
            loop.runForever();
        }
        assertThat(seen).containsExactly("a", "b", "c", "d");
    }

    /*
     * loop.call_at(1.001, cb).when()  -> CPython: 1.001
     * loop.call_later(1.001, cb).when() - loop.time() -> 1.001 (up to float addition)
     */
    @Test
    void timerWhenIsTheTimeItWasScheduledFor() {
        try (var loop = EventLoop.builder().virtualTime().build()) {
            assertThat(loop.callAt(1.001, () -> { }).when()).isEqualTo(1.001);
            assertThat(loop.callLater(1.001, () -> { }).when()).isEqualTo(1.001); // virtual clock at 0
        }
    }

    /*
     * class E(Exception):
     *     def __str__(self): raise ValueError("boom")
     * def bad(): raise E()
     * loop.call_soon(bad); loop.call_soon(out.append, 'after'); loop.call_soon(loop.stop); loop.run_forever()
     * CPython logs "Exception in callback bad() ... E: <exception str() failed>" and the loop goes on:
     * out[-1] == 'after'.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCallbackExceptionThatCannotBeDescribedDoesNotBreakTheLoop() {
        assertThat(callbacksAfterAnUndescribableException(EventLoop.builder().virtualTime()))
                .containsExactly("after"); // the default exception handler
    }

    /* Same with a custom handler that throws: CPython passes its error to the default handler and goes on. */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aThrowingHandlerAndAnUndescribableExceptionDoNotBreakTheLoop() {
        assertThat(callbacksAfterAnUndescribableException(EventLoop.builder().virtualTime()
                .exceptionHandler((l, ctx) -> { throw new IllegalStateException("handler failed"); })))
                .containsExactly("after");
    }

    /*
     * loop = asyncio.new_event_loop()
     * loop.run_until_complete(loop.run_in_executor(None, int))   # the loop creates its default executor
     * loop.run_until_complete(loop.shutdown_default_executor())
     * loop.run_in_executor(None, int)
     * CPython: RuntimeError: Executor shutdown has been called
     * The same when the default executor was set with set_default_executor: once shut down, it is not used again.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theDefaultExecutorIsNotUsedAgainOnceShutDown() throws Exception {
        try (var loop = EventLoop.builder().virtualTime().build()) {
            assertThat(loop.runUntilComplete(() -> loop.runInExecutor(null, () -> 0).await())).isZero();
            assertThat(loop.shutdownDefaultExecutor(Duration.ofSeconds(30))).isTrue();
            assertThatThrownBy(() -> loop.runInExecutor(null, () -> 0))
                    .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("shutdownDefaultExecutor");
        }
        List<Runnable> ran = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            Executor neitherShutDownNorClosed = ran::add;
            loop.setDefaultExecutor(neitherShutDownNorClosed);
            assertThat(loop.shutdownDefaultExecutor(Duration.ZERO)).isTrue();
            assertThatThrownBy(() -> loop.runInExecutor(null, () -> 0))
                    .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("shutdownDefaultExecutor");
        }
        assertThat(ran).isEmpty();
    }

    /**
     * Runs a loop built by {@code builder} with a callback that throws an exception whose getMessage() throws, then
     * one that records "after", then stop; returns what was recorded.
     */
    private static List<String> callbacksAfterAnUndescribableException(EventLoop.Builder builder) {
        List<String> seen = new ArrayList<>();
        try (var loop = builder.build()) {
            loop.callSoon(() -> {
                throw new RuntimeException() {
                    @Override
                    public String getMessage() {
                        throw new IllegalStateException("boom");
                    }
                };
            });
            loop.callSoon(() -> seen.add("after"));
            loop.callSoon(loop::stop);
            loop.runForever();
        }
        return seen;
    }
}
