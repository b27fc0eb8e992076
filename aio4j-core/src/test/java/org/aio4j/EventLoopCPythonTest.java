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

    /*
     * f = loop.create_future()
     * def a(fut): log("a"); f.add_done_callback(d); f.remove_done_callback(c); log("removed c")
     * (b, c, d log their names)
     * f.add_done_callback(a); f.add_done_callback(b); f.add_done_callback(c); f.add_done_callback(b)
     * log("remove b", f.remove_done_callback(b)); f.add_done_callback(b)
     * loop.call_soon(log, "soon-before"); f.set_result(1); loop.call_soon(log, "soon-after")
     * f.add_done_callback(lambda x: log("late"))
     * loop.call_soon(loop.stop); loop.run_forever(); loop.call_soon(loop.stop); loop.run_forever()
     * CPython: remove b 2 | soon-before | a | removed c | c | b | soon-after | late | d
     * Done callbacks are queued when the future ends, each as its own callback: removing one then no longer stops
     * it, and one added after that (in a callback too) is queued behind what was queued meanwhile.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void doneCallbacksAreQueuedWhenTheFutureEndsAndARemovalAfterThatComesTooLate() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            Future<Integer> f = loop.createFuture();
            java.util.function.Consumer<Future<Integer>> b = x -> seen.add("b");
            java.util.function.Consumer<Future<Integer>> c = x -> seen.add("c");
            java.util.function.Consumer<Future<Integer>> d = x -> seen.add("d");
            java.util.function.Consumer<Future<Integer>> a = x -> {
                seen.add("a");
                f.addDoneCallback(d);
                f.removeDoneCallback(c);
                seen.add("removed c");
            };
            f.addDoneCallback(a);
            f.addDoneCallback(b);
            f.addDoneCallback(c);
            f.addDoneCallback(b);
            seen.add("remove b " + f.removeDoneCallback(b));
            f.addDoneCallback(b);
            loop.callSoon(() -> seen.add("soon-before"));
            f.setResult(1);
            loop.callSoon(() -> seen.add("soon-after"));
            f.addDoneCallback(x -> seen.add("late"));
            loop.callSoon(loop::stop);
            loop.runForever();
            loop.callSoon(loop::stop);
            loop.runForever();
        }
        assertThat(seen).containsExactly("remove b 2", "soon-before", "a", "removed c", "c", "b", "soon-after",
                "late", "d");
    }

    /*
     * now = loop.time()
     * loop.call_later(1, log, "later1"); loop.call_at(now + 1.5, log, "at1.5"); loop.call_later(0.5, log, "later0.5")
     * loop.call_at(now - 10, log, "at-past"); loop.call_later(0, log, "later0"); loop.call_soon(log, "soon")
     * loop.call_at(now - 20, log, "at-more-past"); loop.call_later(1.2, log, "later1.2")
     * loop.call_at(float("-inf"), log, "at-minus-inf"); loop.call_later(2, loop.stop); loop.run_forever()
     * CPython: soon | at-minus-inf | at-more-past | at-past | later0 | later0.5 | later1 | later1.2 | at1.5
     * Timers in the past run after the callbacks queued with call_soon, earliest first, as timers due now do.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void timersInThePastRunEarliestFirstAfterTheCallSoons() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            double now = loop.time();
            loop.callLater(1, () -> seen.add("later1"));
            loop.callAt(now + 1.5, () -> seen.add("at1.5"));
            loop.callLater(0.5, () -> seen.add("later0.5"));
            loop.callAt(now - 10, () -> seen.add("at-past"));
            loop.callLater(0, () -> seen.add("later0"));
            loop.callSoon(() -> seen.add("soon"));
            loop.callAt(now - 20, () -> seen.add("at-more-past"));
            loop.callLater(1.2, () -> seen.add("later1.2"));
            loop.callAt(Double.NEGATIVE_INFINITY, () -> seen.add("at-minus-inf"));
            loop.callLater(2, loop::stop);
            loop.runForever();
        }
        assertThat(seen).containsExactly("soon", "at-minus-inf", "at-more-past", "at-past", "later0", "later0.5",
                "later1", "later1.2", "at1.5");
    }

    /*
     * now = loop.time()
     * for n in "abcdefgh": loop.call_at(now + 1, log, n)
     * loop.call_at(now + 0.5, lambda: [loop.call_at(now + 1, log, "from-0.5"), loop.call_at(now + 0.7, log, "0.7")])
     * loop.call_at(now + 2, loop.stop); loop.run_forever()
     * CPython: 0.7 | g | f | e | from-0.5 | d | h | c | b | a
     * A deliberate difference: asyncio's heap leaves timers due at the same time in no particular order; aio4j runs
     * them in the order they were set (see EventLoop's class comment).
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void timersDueAtTheSameTimeRunInTheOrderTheyWereSet() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            double now = loop.time();
            for (String n : List.of("a", "b", "c", "d", "e", "f", "g", "h")) {
                loop.callAt(now + 1, () -> seen.add(n));
            }
            loop.callAt(now + 0.5, () -> {
                loop.callAt(now + 1, () -> seen.add("from-0.5"));
                loop.callAt(now + 0.7, () -> seen.add("0.7"));
            });
            loop.callAt(now + 2, loop::stop);
            loop.runForever();
        }
        assertThat(seen).containsExactly("0.7", "a", "b", "c", "d", "e", "f", "g", "h", "from-0.5");
    }

    /*
     * async def t(n):
     *     for i in range(3): log(n, i); await asyncio.sleep(0)
     * loop.create_task(t("A")); loop.create_task(t("B"))
     * def stopper(): log("stop"); loop.stop()
     * loop.call_soon(stopper); loop.run_forever(); log("|")
     * loop.call_soon(stopper); loop.run_forever(); log("|")
     * loop.run_until_complete(asyncio.sleep(0)); log("|"); loop.run_until_complete(asyncio.sleep(0.01)); log("end")
     * CPython: A 0 | B 0 | stop | '|' | A 1 | B 1 | stop | '|' | A 2 | B 2 | '|' | end
     * Each run stopped from a callback runs the iteration it was in to its end, the tasks' steps queued before the
     * callback included; the steps they queue wait for the next run.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void stopFromACallbackWhileTasksAreReadyRunsTheirStepsOfThatIteration() throws Exception {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            for (String n : List.of("A", "B")) {
                loop.createTask(() -> {
                    for (int i = 0; i < 3; i++) {
                        seen.add(n + " " + i);
                        Aio.sleep(0);
                    }
                });
            }
            Runnable stopper = () -> {
                seen.add("stop");
                loop.stop();
            };
            loop.callSoon(stopper);
            loop.runForever();
            seen.add("|");
            loop.callSoon(stopper);
            loop.runForever();
            seen.add("|");
            loop.runUntilComplete(() -> Aio.sleep(0));
            seen.add("|");
            loop.runUntilComplete(() -> Aio.sleep(0.01));
            seen.add("end");
        }
        assertThat(seen).containsExactly("A 0", "B 0", "stop", "|", "A 1", "B 1", "stop", "|", "A 2", "B 2", "|",
                "end");
    }

    /*
     * f = loop.create_future()
     * async def canceller(): await asyncio.sleep(0); log("cancelling f"); f.cancel("by task")
     * loop.create_task(canceller())
     * try: loop.run_until_complete(f)
     * except asyncio.CancelledError as e: log("ruc raised cancelled", e.args)
     * async def victim():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError: log("victim cancelled"); raise
     * v = loop.create_task(victim())
     * async def c2(): await asyncio.sleep(1); v.cancel("stop it")
     * loop.create_task(c2())
     * try: loop.run_until_complete(v)
     * except asyncio.CancelledError as e: log("ruc2 raised cancelled", e.args)
     * CPython: cancelling f | ruc raised cancelled ('by task',) | victim cancelled | ruc2 raised cancelled ('stop it',)
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void runUntilCompleteOfAFutureAnotherTaskCancelsThrowsItsCancellation() throws Exception {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            Future<Void> f = loop.createFuture();
            loop.createTask(() -> {
                Aio.sleep(0);
                seen.add("cancelling f");
                f.cancel("by task");
            });
            try {
                loop.runUntilComplete(f);
            } catch (java.util.concurrent.CancellationException e) {
                seen.add("ruc raised cancelled " + e.getMessage());
            }
            Task<Void> v = loop.createTask(() -> {
                try {
                    Aio.sleep(10);
                } catch (java.util.concurrent.CancellationException e) {
                    seen.add("victim cancelled");
                    throw e;
                }
            });
            loop.createTask(() -> {
                Aio.sleep(1);
                v.cancel("stop it");
            });
            try {
                loop.runUntilComplete(v);
            } catch (java.util.concurrent.CancellationException e) {
                seen.add("ruc2 raised cancelled " + e.getMessage());
            }
        }
        assertThat(seen).containsExactly("cancelling f", "ruc raised cancelled by task", "victim cancelled",
                "ruc2 raised cancelled stop it");
    }

    /*
     * def handler(l, ctx): log("handler", ctx["message"], type(ctx.get("exception")).__name__, other keys)
     * loop.set_exception_handler(handler)
     * def bad(): raise ValueError("cb")
     * loop.call_soon(bad); loop.call_later(0.01, bad)
     * async def fail(): raise KeyError("t")
     * t = loop.create_task(fail()); loop.run_until_complete(asyncio.sleep(0.02))
     * log("before del"); del t; gc.collect(); log("after del")
     * f = loop.create_future(); f.set_exception(RuntimeError("fut")); del f; gc.collect(); log("after fut del")
     * loop.close()
     * CPython: handler Exception in callback bad() at ... ValueError ['handle'] (twice) | before del
     *          | handler Task exception was never retrieved KeyError ['future'] | after del
     *          | handler Future exception was never retrieved RuntimeError ['future'] | after fut del
     * The contexts are the same; what differs, deliberately, is when an exception never retrieved is reported:
     * asyncio reports it when the garbage collector frees the future, aio4j when the loop closes (a Java finalizer
     * would report it at no time a program could count on).
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theExceptionHandlerContextOfAFailedCallbackAndOfAnExceptionNeverRetrieved() throws Exception {
        List<String> seen = new ArrayList<>();
        var loop = EventLoop.builder().virtualTime().exceptionHandler((l, ctx) -> seen.add("handler "
                + ctx.message().replaceFirst(" .*never retrieved", " never retrieved").replaceFirst("callback .*",
                "callback") + " " + (ctx.exception() == null ? null : ctx.exception().getClass().getSimpleName())
                + (ctx.handle() != null ? " handle" : "") + (ctx.future() != null ? " future" : ""))).build();
        try (loop) {
            Runnable bad = () -> {
                throw new IllegalArgumentException("cb");
            };
            loop.callSoon(bad);
            loop.callLater(0.01, bad);
            loop.createTask(() -> {
                throw new java.util.NoSuchElementException("t");
            });
            loop.runUntilComplete(() -> Aio.sleep(0.02));
            seen.add("before del");
            Future<Void> f = loop.createFuture();
            f.setException(new IllegalStateException("fut"));
            seen.add("after fut del");
        }
        assertThat(seen).containsExactly("handler Exception in callback IllegalArgumentException handle",
                "handler Exception in callback IllegalArgumentException handle", "before del", "after fut del",
                "handler Task never retrieved NoSuchElementException future",
                "handler Future never retrieved IllegalStateException future");
    }

    /*
     * loop.set_exception_handler(lambda l, ctx: log("handler", ctx["message"] up to "callback", exception type,
     *                                               other keys))
     * f = loop.create_future()
     * def bad(fut): raise ValueError("done cb")
     * f.add_done_callback(bad); f.add_done_callback(lambda x: log("next cb")); f.set_result(1)
     * async def t(): return 1
     * task = loop.create_task(t()); task.add_done_callback(bad)
     * loop.run_until_complete(task); loop.run_until_complete(asyncio.sleep(0))
     * CPython: handler Exception in callback ValueError ['handle'] | next cb
     *          | handler Exception in callback ValueError ['handle']
     * A done callback that raises, of a future or of a task, is reported as any callback, with its handle, and the
     * next callback runs.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aDoneCallbackThatThrowsIsReportedWithItsHandleAndTheNextOneRuns() throws Exception {
        List<String> seen = new ArrayList<>();
        var loop = EventLoop.builder().virtualTime().exceptionHandler((l, ctx) -> seen.add("handler "
                + ctx.message().replaceFirst("callback .*", "callback") + " "
                + ctx.exception().getClass().getSimpleName() + (ctx.handle() != null ? " handle" : "")
                + (ctx.future() != null ? " future" : ""))).build();
        try (loop) {
            Future<Integer> f = loop.createFuture();
            java.util.function.Consumer<Future<?>> bad = x -> {
                throw new IllegalArgumentException("done cb");
            };
            f.addDoneCallback(bad);
            f.addDoneCallback(x -> seen.add("next cb"));
            f.setResult(1);
            Task<Integer> task = loop.createTask(() -> 1);
            task.addDoneCallback(bad);
            loop.runUntilComplete(task);
            loop.runUntilComplete(() -> Aio.sleep(0));
        }
        assertThat(seen).containsExactly("handler Exception in callback IllegalArgumentException handle", "next cb",
                "handler Exception in callback IllegalArgumentException handle");
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
