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

    /*
     * loop.call_soon(out.append, 'a')
     * def s(): out.append('s'); loop.stop(); loop.call_soon(out.append, 'c')
     * loop.call_soon(s); loop.call_soon(out.append, 'b')
     * loop.run_forever(); out.append('|'); loop.call_soon(loop.stop); loop.run_forever(); out.append('end')
     * CPython: ['a', 's', 'b', '|', 'c', 'end']
     * The iteration in which stop() is called runs to its end; what it scheduled waits for the next run.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void stopInACallbackEndsTheRunAfterItsIterationAndTheNextRunTakesWhatItScheduled() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            loop.callSoon(() -> seen.add("a"));
            loop.callSoon(() -> {
                seen.add("s");
                loop.stop();
                loop.callSoon(() -> seen.add("c"));
            });
            loop.callSoon(() -> seen.add("b"));
            loop.runForever();
            seen.add("|");
            loop.callSoon(loop::stop);
            loop.runForever();
            seen.add("end");
        }
        assertThat(seen).containsExactly("a", "s", "b", "|", "c", "end");
    }

    /*
     * async def t():
     *     out.append('t1'); loop.stop(); loop.call_soon(out.append, 'cb')
     *     await asyncio.sleep(0); out.append('t2'); return 'r'
     * task = loop.create_task(t()); loop.call_soon(out.append, 'x')
     * loop.run_forever(); out.append('|'); out.append(loop.run_until_complete(task))
     * CPython: ['t1', 'x', '|', 'cb', 't2', 'r']
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void stopFromATaskEndsTheRunAfterItsIterationAndTheTaskGoesOnInTheNextRun() throws Exception {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            Task<String> task = loop.createTask(() -> {
                seen.add("t1");
                loop.stop();
                loop.callSoon(() -> seen.add("cb"));
                Aio.sleep(0);
                seen.add("t2");
                return "r";
            });
            loop.callSoon(() -> seen.add("x"));
            loop.runForever();
            seen.add("|");
            seen.add(loop.runUntilComplete(task));
        }
        assertThat(seen).containsExactly("t1", "x", "|", "cb", "t2", "r");
    }

    /*
     * loop.stop(); loop.stop()
     * def a(): out.append('a'); loop.call_soon(out.append, 'b')
     * loop.call_soon(a); loop.run_forever(); out.append('|')
     * loop.call_later(1, loop.stop); loop.run_forever(); out.append('end')
     * CPython: ['a', '|', 'b', 'end'], the second run ending at loop time 1: two stops before a run are one, and
     * the run that took them does not leave one for the next.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void twoStopsBeforeARunStopItAfterOneIterationAndNotTheNextRun() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            loop.stop();
            loop.stop();
            loop.callSoon(() -> {
                seen.add("a");
                loop.callSoon(() -> seen.add("b"));
            });
            loop.runForever();
            seen.add("|");
            loop.callLater(1, loop::stop);
            loop.runForever();
            seen.add("end at " + loop.time());
        }
        assertThat(seen).containsExactly("a", "|", "b", "end at 1.0");
    }

    /*
     * def x(): out.append('x'); loop.call_soon(out.append, 'z')
     * loop.call_soon(x); f = loop.create_future(); f.set_result(1); loop.call_soon(out.append, 'y')
     * f.add_done_callback(lambda f: out.append('cb'))
     * out.append(loop.run_until_complete(f)); out.append('|'); loop.call_soon(loop.stop); loop.run_forever()
     * CPython: ['x', 'y', 'cb', 1, '|', 'z']
     * A done future still costs one iteration, which runs what was queued before the run's own done callback.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void runUntilCompleteOfADoneFutureRunsOneIterationOfWhatWasQueuedBefore() throws Exception {
        List<Object> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            loop.callSoon(() -> {
                seen.add("x");
                loop.callSoon(() -> seen.add("z"));
            });
            Future<Integer> f = loop.createFuture();
            f.setResult(1);
            loop.callSoon(() -> seen.add("y"));
            f.addDoneCallback(done -> seen.add("cb"));
            seen.add(loop.runUntilComplete(f));
            seen.add("|");
            loop.callSoon(loop::stop);
            loop.runForever();
        }
        assertThat(seen).containsExactly("x", "y", "cb", 1, "|", "z");
    }

    /*
     * async def main2():
     *     loop.call_soon(loop.stop); loop.call_soon(lambda: loop.call_soon(loop.stop))
     *     await asyncio.sleep(0); out.append('a'); await asyncio.sleep(0); out.append('b'); return 'r'
     * t = loop.create_task(main2())
     * for i in range(4):
     *     try: out.append(loop.run_until_complete(t)); break
     *     except RuntimeError as e: out.append(str(e))
     * CPython: ['a', 'Event loop stopped before Future completed.', 'b', 'r']
     * The second run is stopped in its first iteration too, but the task is done by its end.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void runUntilCompleteStoppedBeforeTheFutureIsDoneThrowsAndALaterRunFinishesIt() throws Exception {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            Task<String> t = loop.createTask(() -> {
                loop.callSoon(loop::stop);
                loop.callSoon(() -> loop.callSoon(loop::stop));
                Aio.sleep(0);
                seen.add("a");
                Aio.sleep(0);
                seen.add("b");
                return "r";
            });
            for (int i = 0; i < 4; i++) {
                try {
                    seen.add(loop.runUntilComplete(t));
                    break;
                } catch (IllegalStateException e) {
                    seen.add(e.getMessage().replaceFirst(":.*", "."));
                }
            }
        }
        assertThat(seen).containsExactly("a", "Event loop stopped before Future completed.", "b", "r");
    }

    /*
     * def a(): out.append('a'); h2.cancel(); out.append(h2.cancelled())
     * loop.call_soon(a); h2 = loop.call_soon(out.append, 'b')
     * def x(): out.append('x'); t2.cancel()
     * loop.call_later(1, x); t2 = loop.call_later(1, out.append, 'y'); loop.call_later(2, loop.stop)
     * h3 = loop.call_soon(out.append, 'h3'); loop.run_forever()
     * out.append(h3.cancelled()); h3.cancel(); out.append(h3.cancelled()); out.append(t2.cancelled())
     * CPython: ['a', True, 'h3', 'x', False, True, True]
     * A handle already in the ready queue, or a timer already due in the same iteration, does not run once an earlier
     * callback of that iteration cancelled it; cancel() after a handle ran still marks it cancelled.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aHandleCancelledByAnEarlierCallbackOfItsIterationDoesNotRun() {
        List<Object> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            Handle[] h2 = new Handle[1];
            loop.callSoon(() -> {
                seen.add("a");
                h2[0].cancel();
                seen.add(h2[0].isCancelled());
            });
            h2[0] = loop.callSoon(() -> seen.add("b"));
            TimerHandle[] t2 = new TimerHandle[1];
            loop.callLater(1, () -> {
                seen.add("x");
                t2[0].cancel();
            });
            t2[0] = loop.callLater(1, () -> seen.add("y"));
            loop.callLater(2, loop::stop);
            Handle h3 = loop.callSoon(() -> seen.add("h3"));
            loop.runForever();
            seen.add(h3.isCancelled());
            h3.cancel();
            seen.add(h3.isCancelled());
            seen.add(t2[0].isCancelled());
        }
        assertThat(seen).containsExactly("a", true, "h3", "x", false, true, true);
    }

    /*
     * def timer():
     *     out.append('timer'); loop.call_at(loop.time(), out.append, 'at-now')
     *     loop.call_later(0, out.append, 'later0'); loop.call_soon(out.append, 'soon')
     * loop.call_later(1, timer); loop.call_later(1, out.append, 'timer2'); loop.call_later(1.5, loop.stop)
     * CPython: ['timer', 'timer2', 'soon', 'at-now', 'later0']
     * Timers due now run in the next iteration, after the callbacks queued with call_soon.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aTimerScheduledForTheCurrentTimeByATimerRunsInTheNextIterationAfterCallSoons() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            loop.callLater(1, () -> {
                seen.add("timer");
                loop.callAt(loop.time(), () -> seen.add("at-now"));
                loop.callLater(0, () -> seen.add("later0"));
                loop.callSoon(() -> seen.add("soon"));
            });
            loop.callLater(1, () -> seen.add("timer2"));
            loop.callLater(1.5, loop::stop);
            loop.runForever();
        }
        assertThat(seen).containsExactly("timer", "timer2", "soon", "at-now", "later0");
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
