package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * wait_for, as_completed, wait, shield and gather on their edge cases checked against CPython 3.13's asyncio: each
 * test quotes the Python program and what CPython prints (times relative to the program's start), and runs the same
 * program on a virtual clock.
 */
class CombinatorsCPythonTest {

    /*
     * f = loop.create_future()
     * try: await asyncio.wait_for(f, 0)
     * except TimeoutError: log("pending f timeout", f.cancelled())
     * g = loop.create_future(); g.set_result(3); log("done g", await asyncio.wait_for(g, 0))
     * h = loop.create_future(); h.set_exception(ValueError("v"))
     * try: await asyncio.wait_for(h, 0)
     * except ValueError as e: log("done h", e)
     * async def c(): ran.append(1); return 4
     * try: log("coro", await asyncio.wait_for(c(), 0))
     * except TimeoutError: log("coro timeout", ran)
     * CPython: pending f timeout True | done g 3 | done h v | coro timeout []
     */
    @Test
    void waitForWithATimeoutOfZero() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<Integer> f = loop.createFuture();
            try {
                Aio.waitFor(f, Duration.ZERO);
            } catch (TimeoutException e) {
                seen.add("pending f timeout " + f.isCancelled());
            }
            Future<Integer> g = loop.createFuture();
            g.setResult(3);
            seen.add("done g " + Aio.waitFor(g, Duration.ZERO));
            Future<Integer> h = loop.createFuture();
            h.setException(new IllegalArgumentException("v"));
            try {
                Aio.waitFor(h, Duration.ZERO);
            } catch (IllegalArgumentException e) {
                seen.add("done h " + e.getMessage());
            }
            List<Integer> ran = new ArrayList<>();
            try {
                seen.add("coro " + Aio.waitFor(() -> {
                    ran.add(1);
                    return 4;
                }, Duration.ZERO));
            } catch (TimeoutException e) {
                seen.add("coro timeout " + ran);
            }
            return null;
        });
        assertThat(seen).containsExactly("pending f timeout true", "done g 3", "done h v", "coro timeout []");
    }

    /*
     * async def stubborn():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError: log("stubborn caught at", elapsed)
     *     await asyncio.sleep(1); log("stubborn done at", elapsed); return 9
     * t = asyncio.create_task(stubborn())
     * try: log("wf result", await asyncio.wait_for(t, 1), elapsed)
     * except TimeoutError: log("wf timeout", elapsed)
     * async def stubborn2():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError: log("stubborn2 caught")
     *     return 8
     * try: log("wf2 result", await asyncio.wait_for(stubborn2(), 1))
     * except TimeoutError: log("wf2 timeout")
     * async def stubborn3():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError: raise ValueError("after cancel")
     * try: await asyncio.wait_for(stubborn3(), 1)
     * except ValueError as e: log("wf3 value", e)
     * except TimeoutError: log("wf3 timeout")
     * CPython: stubborn caught at 1 | stubborn done at 2 | wf result 9 2 | stubborn2 caught | wf2 result 8
     *          | wf3 value after cancel
     * What ignores the cancellation at the deadline decides: wait_for waits for it and returns its result, or raises
     * its exception, not a timeout.
     */
    @Test
    void waitForOfWorkThatIgnoresTheCancellationReturnsWhatTheWorkReturns() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            Task<Integer> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    seen.add("stubborn caught at " + (loop.time() - t0));
                }
                Aio.sleep(1);
                seen.add("stubborn done at " + (loop.time() - t0));
                return 9;
            });
            try {
                seen.add("wf result " + Aio.waitFor(t, Duration.ofSeconds(1)) + " " + (loop.time() - t0));
            } catch (TimeoutException e) {
                seen.add("wf timeout " + (loop.time() - t0));
            }
            try {
                seen.add("wf2 result " + Aio.waitFor(() -> {
                    try {
                        Aio.sleep(10);
                    } catch (CancellationException e) {
                        seen.add("stubborn2 caught");
                    }
                    return 8;
                }, Duration.ofSeconds(1)));
            } catch (TimeoutException e) {
                seen.add("wf2 timeout");
            }
            try {
                Aio.waitFor(() -> {
                    try {
                        Aio.sleep(10);
                    } catch (CancellationException e) {
                        throw new IllegalArgumentException("after cancel");
                    }
                    return 0;
                }, Duration.ofSeconds(1));
            } catch (IllegalArgumentException e) {
                seen.add("wf3 value " + e.getMessage());
            } catch (TimeoutException e) {
                seen.add("wf3 timeout");
            }
            return null;
        });
        assertThat(seen).containsExactly("stubborn caught at 1.0", "stubborn done at 2.0", "wf result 9 2.0",
                "stubborn2 caught", "wf2 result 8", "wf3 value after cancel");
    }

    /*
     * async def s(n, d): await asyncio.sleep(d); return n
     * ts = [asyncio.create_task(s(i, d)) for i, d in enumerate([3, 1, 5])]
     * try:
     *     for f in asyncio.as_completed(ts, timeout=2): got.append(await f)
     * except TimeoutError: log("as_completed timeout", got, elapsed)
     * log("states", [t.done() for t in ts], [t.cancelled() for t in ts])
     * await asyncio.sleep(4); log("later", [t.result() for t in ts])
     * CPython: as_completed timeout [1] 2 | states [False, True, False] [False, False, False] | later [0, 1, 2]
     * The deadline ends the iteration; the futures not done yet are left running (aio4j's asCompleted takes its
     * deadline from a Timeout scope around the loop).
     */
    @Test
    void asCompletedPastItsDeadlineLeavesTheRestRunning() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            List<Task<Integer>> ts = new ArrayList<>();
            int[] delays = {3, 1, 5};
            for (int i = 0; i < delays.length; i++) {
                int n = i;
                ts.add(Aio.createTask(() -> {
                    Aio.sleep(delays[n]);
                    return n;
                }));
            }
            List<Integer> got = new ArrayList<>();
            try (var t = Aio.timeout(Duration.ofSeconds(2))) {
                for (Future<Integer> f : Aio.asCompleted(ts)) {
                    got.add(f.await());
                }
            } catch (TimeoutCancellationException e) {
                seen.add("as_completed timeout " + got + " " + (loop.time() - t0));
            }
            seen.add("states " + ts.stream().map(Future::isDone).toList() + " "
                    + ts.stream().map(Future::isCancelled).toList());
            Aio.sleep(4);
            seen.add("later " + ts.stream().map(Future::result).toList());
            return null;
        });
        assertThat(seen).containsExactly("as_completed timeout [1] 2.0",
                "states [false, true, false] [false, false, false]", "later [0, 1, 2]");
    }

    /*
     * a = create_task(s(5)); b = create_task(bad(2)); c = create_task(s(10)); loop.call_later(1, a.cancel)
     * done, pending = await asyncio.wait([a, b, c], return_when=asyncio.FIRST_EXCEPTION)
     * log("t", elapsed, "done", names of done, len(pending), a.cancelled()); c.cancel()
     * async def selfc(): await asyncio.sleep(1); raise asyncio.CancelledError("own")
     * d = create_task(selfc()); e = create_task(s(3))
     * done, pending = await asyncio.wait([d, e], return_when=asyncio.FIRST_EXCEPTION)
     * log("t", elapsed, len(done), len(pending), d.cancelled())
     * CPython: t 2 done [a, b] 1 True | t 5 2 0 True
     * A cancelled task is no exception for FIRST_EXCEPTION, even one that raised the cancellation itself.
     */
    @Test
    void waitForTheFirstExceptionPassesOverCancelledTasks() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            Task<Void> a = Aio.createTask(() -> Aio.sleep(5), "a");
            Task<Void> b = Aio.createTask(() -> {
                Aio.sleep(2);
                throw new IllegalArgumentException("b");
            }, "b");
            Task<Void> c = Aio.createTask(() -> Aio.sleep(10), "c");
            loop.callLater(1, a::cancel);
            var r = Aio.wait(List.of(a, b, c), ReturnWhen.FIRST_EXCEPTION);
            seen.add("t " + (loop.time() - t0) + " done " + r.done().stream().map(Task.class::cast)
                    .map(Task::getName).sorted().toList() + " " + r.pending().size() + " " + a.isCancelled());
            c.cancel();
            b.exception(); // retrieved, as asyncio's FIRST_EXCEPTION marks it
            Task<Void> d = Aio.createTask(() -> {
                Aio.sleep(1);
                throw new CancellationException("own");
            });
            Task<Void> e = Aio.createTask(() -> Aio.sleep(3));
            r = Aio.wait(List.of(d, e), ReturnWhen.FIRST_EXCEPTION);
            seen.add("t " + (loop.time() - t0) + " " + r.done().size() + " " + r.pending().size() + " "
                    + d.isCancelled());
            return null;
        });
        assertThat(seen).containsExactly("t 2.0 done [a, b] 1 true", "t 5.0 2 0 true");
    }

    /*
     * async def work(): await asyncio.sleep(2); log("work done", elapsed); return 1
     * async def child(inner):
     *     try: return await asyncio.shield(inner)
     *     except asyncio.CancelledError: log("child cancelled", inner.done()); raise
     * async def body():
     *     inner = asyncio.create_task(work())
     *     try:
     *         async with asyncio.TaskGroup() as tg: tg.create_task(child(inner)); await asyncio.sleep(5)
     *     except asyncio.CancelledError: log("body cancelled", inner.done(), current_task().cancelling()); raise
     * t = asyncio.create_task(body()); await asyncio.sleep(1); t.cancel()
     * try: await t
     * except asyncio.CancelledError: log("main sees cancelled", elapsed)
     * await asyncio.sleep(2)
     * async def failing(): await asyncio.sleep(1); raise ValueError("f")
     * async def sibling():
     *     try: await asyncio.shield(asyncio.sleep(3))
     *     except asyncio.CancelledError: log("sibling cancelled", elapsed); raise
     * try:
     *     async with asyncio.TaskGroup() as tg: tg.create_task(failing()); tg.create_task(sibling())
     * except* ValueError as eg: log("eg", [str(e) for e in eg.exceptions], elapsed)
     * CPython: child cancelled False | body cancelled False 1 | main sees cancelled 1 | work done 2
     *          | sibling cancelled 4 | eg ['f'] 4
     * A shield inside a group stops its child's wait, not the shielded work, which goes on after the group.
     */
    @Test
    void aShieldInsideATaskGroupKeepsTheWorkGoingWhenTheGroupIsCancelled() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            Task<Void> t = Aio.createTask(() -> {
                Task<Integer> inner = Aio.createTask(() -> {
                    Aio.sleep(2);
                    seen.add("work done " + (loop.time() - t0));
                    return 1;
                });
                try (var tg = new TaskGroup()) {
                    tg.createTask(() -> {
                        try {
                            return Aio.shield(inner).await();
                        } catch (CancellationException e) {
                            seen.add("child cancelled " + inner.isDone());
                            throw e;
                        }
                    });
                    Aio.sleep(5);
                    tg.join();
                } catch (CancellationException e) {
                    seen.add("body cancelled " + inner.isDone() + " " + Aio.currentTask().cancelling());
                    throw e;
                }
            });
            Aio.sleep(1);
            t.cancel();
            try {
                t.await();
            } catch (CancellationException e) {
                seen.add("main sees cancelled " + (loop.time() - t0));
            }
            Aio.sleep(2);
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    Aio.sleep(1);
                    throw new IllegalArgumentException("f");
                });
                tg.createTask(() -> {
                    try {
                        Aio.shield(Aio.createTask(() -> Aio.sleep(3))).await();
                    } catch (CancellationException e) {
                        seen.add("sibling cancelled " + (loop.time() - t0));
                        throw e;
                    }
                });
                tg.join();
            } catch (TaskGroupException eg) {
                seen.add("eg " + eg.exceptions().stream().map(Throwable::getMessage).toList() + " "
                        + (loop.time() - t0));
            }
            return null;
        });
        assertThat(seen).containsExactly("child cancelled false", "body cancelled false 1", "main sees cancelled 1.0",
                "work done 2.0", "sibling cancelled 4.0", "eg [f] 4.0");
    }

    /*
     * async def s(n, d):
     *     try: await asyncio.sleep(d); return n
     *     except asyncio.CancelledError: log("child", n, "cancelled"); raise
     * async def bad(): await asyncio.sleep(0.5); raise ValueError("b")
     * a = create_task(s("a", 1)); b = create_task(bad()); c = create_task(s("c", 5))
     * g = asyncio.gather(a, b, c, return_exceptions=True); await asyncio.sleep(2)
     * log("cancel", g.cancel())
     * try: log("result", await g)
     * except asyncio.CancelledError: log("gather raised cancelled", g.cancelled(), g.done())
     * log("states", a.result(), type(b.exception()).__name__, c.cancelled())
     * async def stubborn():
     *     try: await asyncio.sleep(5)
     *     except asyncio.CancelledError: log("stubborn swallowed"); return "kept"
     * d = create_task(stubborn()); e = create_task(s("e", 5)); g2 = asyncio.gather(d, e, return_exceptions=True)
     * await asyncio.sleep(0); g2.cancel("msg")
     * try: log("g2 result", await g2)
     * except asyncio.CancelledError as ex: log("g2 cancelled", ex.args, g2.cancelled())
     * (g3: the same with return_exceptions=False and "msg3"; g4: gather(stubborn task, return_exceptions=True)
     * cancelled without a message)
     * CPython: cancel True | child c cancelled | gather raised cancelled False True | states a ValueError True
     *          | stubborn swallowed | child e cancelled | g2 cancelled ('msg',) False | stubborn swallowed
     *          | child e cancelled | g3 cancelled ('msg3',) False | stubborn swallowed | g4 cancelled () False
     * A cancelled gather raises a cancellation even when every child caught it and returned. (Its cancelled() is
     * true in aio4j, false in asyncio, as Aio.gather documents.)
     */
    @Test
    void aCancelledGatherRaisesACancellationWhateverItsChildrenDid() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> a = Aio.createTask(named("a", 1, seen));
            Task<Void> b = Aio.createTask(() -> {
                Aio.sleep(0.5);
                throw new IllegalArgumentException("b");
            });
            Task<String> c = Aio.createTask(named("c", 5, seen));
            Future<List<Object>> g = Aio.gatherWithExceptions(a, b, c);
            Aio.sleep(2);
            seen.add("cancel " + g.cancel());
            try {
                seen.add("result " + g.await());
            } catch (CancellationException e) {
                seen.add("gather raised cancelled " + g.isCancelled() + " " + g.isDone());
            }
            seen.add("states " + a.result() + " " + b.exception().getClass().getSimpleName() + " " + c.isCancelled());
            for (String msg : new String[] {"msg", "msg3"}) {
                Task<String> d = Aio.createTask(stubborn(seen));
                Task<String> e = Aio.createTask(named("e", 5, seen));
                Future<?> g2 = msg.equals("msg") ? Aio.gatherWithExceptions(d, e) : Aio.gather(d, e);
                Aio.sleep(0);
                g2.cancel(msg);
                try {
                    seen.add("result " + g2.await());
                } catch (CancellationException ex) {
                    seen.add((msg.equals("msg") ? "g2" : "g3") + " cancelled " + ex.getMessage() + " "
                            + g2.isCancelled());
                }
            }
            Future<List<Object>> g4 = Aio.gatherWithExceptions(Aio.createTask(stubborn(seen)));
            Aio.sleep(0);
            g4.cancel();
            try {
                seen.add("g4 result " + g4.await());
            } catch (CancellationException ex) {
                seen.add("g4 cancelled " + ex.getMessage() + " " + g4.isCancelled());
            }
            return null;
        });
        assertThat(seen).containsExactly("cancel true", "child c cancelled", "gather raised cancelled true true",
                "states a IllegalArgumentException true", "stubborn swallowed", "child e cancelled",
                "g2 cancelled msg true", "stubborn swallowed", "child e cancelled", "g3 cancelled msg3 true",
                "stubborn swallowed", "g4 cancelled null true");
    }

    private static Coroutine<String> named(String n, double delay, List<String> seen) {
        return () -> {
            try {
                Aio.sleep(delay);
                return n;
            } catch (CancellationException e) {
                seen.add("child " + n + " cancelled");
                throw e;
            }
        };
    }

    private static Coroutine<String> stubborn(List<String> seen) {
        return () -> {
            try {
                Aio.sleep(5);
            } catch (CancellationException e) {
                seen.add("stubborn swallowed");
            }
            return "kept";
        };
    }

    /*
     * f1, f3, f5 = (loop.create_future() for _ in range(3)); f2 = done with "f2"; f4 = done with "f4"
     * loop.call_later(1, f3.set_result, "f3"); loop.call_later(2, f1.set_result, "f1"); loop.call_soon(log, "soon")
     * async for f in asyncio.as_completed([f1, f2, f3, f4, f2]): log("got", f.result(), elapsed)
     * loop.call_soon(log, "soon2")
     * done, pending = await asyncio.wait([f5, f2], return_when=asyncio.FIRST_COMPLETED); log("first completed", ...)
     * f6 = failed with ValueError; loop.call_soon(log, "soon3")
     * done, pending = await asyncio.wait([f5, f6], return_when=asyncio.FIRST_EXCEPTION); log("first exception", ...)
     * f7 = cancelled; done, pending = await asyncio.wait([f7, f2]); log("all", len(done))
     * a, b = loop.create_future(), loop.create_future()
     * loop.call_later(1, lambda: (b.set_result("b"), a.set_result("a")))
     * async for f in asyncio.as_completed([a, b]): log("same-iter", f.result())
     * CPython: soon | got f2 0 | got f4 0 | got f3 1 | got f1 2 | soon2 | first completed 1 1 | soon3
     *          | first exception 1 1 | all 2 | same-iter b | same-iter a
     * Futures already done come first, each once, but only after the callbacks queued before; wait() on a done
     * future returns after those too; futures done in the same iteration come in the order they completed.
     */
    @Test
    void asCompletedAndWaitWithFuturesAlreadyDone() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            Future<String> f1 = loop.createFuture();
            Future<String> f2 = loop.createFuture();
            f2.setResult("f2");
            Future<String> f3 = loop.createFuture();
            Future<String> f4 = loop.createFuture();
            f4.setResult("f4");
            loop.callLater(1, () -> f3.setResult("f3"));
            loop.callLater(2, () -> f1.setResult("f1"));
            loop.callSoon(() -> seen.add("soon"));
            for (Future<String> f : Aio.asCompleted(List.of(f1, f2, f3, f4, f2))) {
                seen.add("got " + f.result() + " " + (loop.time() - t0));
            }
            loop.callSoon(() -> seen.add("soon2"));
            Future<String> f5 = loop.createFuture();
            var r = Aio.wait(List.of(f5, f2), ReturnWhen.FIRST_COMPLETED);
            seen.add("first completed " + r.done().size() + " " + r.pending().size());
            Future<String> f6 = loop.createFuture();
            f6.setException(new IllegalArgumentException("v"));
            loop.callSoon(() -> seen.add("soon3"));
            r = Aio.wait(List.of(f5, f6), ReturnWhen.FIRST_EXCEPTION);
            seen.add("first exception " + r.done().size() + " " + r.pending().size());
            f6.exception(); // retrieved, as asyncio's FIRST_EXCEPTION marks it
            Future<String> f7 = loop.createFuture();
            f7.cancel();
            seen.add("all " + Aio.wait(List.of(f7, f2)).done().size());
            Future<String> a = loop.createFuture();
            Future<String> b = loop.createFuture();
            loop.callLater(1, () -> {
                b.setResult("b");
                a.setResult("a");
            });
            for (Future<String> f : Aio.asCompleted(List.of(a, b))) {
                seen.add("same-iter " + f.result());
            }
            f5.cancel();
            return null;
        });
        assertThat(seen).containsExactly("soon", "got f2 0.0", "got f4 0.0", "got f3 1.0", "got f1 2.0", "soon2",
                "first completed 1 1", "soon3", "first exception 1 1", "all 2", "same-iter b", "same-iter a");
    }

    /*
     * (CPython run on a virtual clock: asyncio.run(main(), loop_factory=VirtualLoop), cpython/virtual_clock_loop.py)
     * lock = asyncio.Lock(); sem = asyncio.Semaphore(2); ev = asyncio.Event()
     * async def worker(n, d, fail=False):
     *     try:
     *         async with sem:
     *             log(n, "in", now())
     *             async with lock: log(n, "locked", now()); await asyncio.sleep(d)
     *             if fail: raise ValueError(n)
     *             await ev.wait(); log(n, "out", now()); return n
     *     except asyncio.CancelledError: log(n, "cancelled", now(), current_task().cancelling()); raise
     * loop.call_later(2.5, ev.set)
     * try:
     *     async with asyncio.TaskGroup() as tg:
     *         ts = [tg.create_task(worker(f"w{i}", d)) for i, d in enumerate([1, 0.5, 2, 0.25])]
     *         g = asyncio.gather(worker("g1", 0.1), worker("g2", 0.2, fail=True), return_exceptions=True)
     *         async def waiter():
     *             r = await asyncio.wait_for(g, 10); log("gather", [names or exception types of r], now())
     *         tg.create_task(waiter())
     *         try:
     *             async with asyncio.timeout(3.2):
     *                 done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_COMPLETED)
     *                 log("first", sorted(t.result() for t in done), len(pending), now())
     *                 await asyncio.wait_for(asyncio.shield(ts[2]), 0.5)
     *         except TimeoutError: log("wait_for timeout", now(), ts[2].done())
     *         tg.create_task(worker("late", 0.1, fail=True))
     * except* ValueError as eg: log("eg", [str(e) for e in eg.exceptions], now())
     * log("states", [results of ts], [t.cancelled() for t in ts], now())
     * CPython: w0 in 0.0 | w0 locked 0.0 | w1 in 0.0 | w1 locked 1.0 | w0 out 2.5 | w1 out 2.5 | w2 in 2.5
     *          | w2 locked 2.5 | w3 in 2.5 | first ['w0', 'w1'] 2 2.5 | wait_for timeout 3.0 False | w2 out 4.5
     *          | w3 locked 4.5 | g1 in 4.5 | w3 out 4.75 | g1 locked 4.75 | g2 in 4.75 | g1 out 4.85 | g2 locked 4.85
     *          | late in 4.85 | late locked 5.05 | gather ['g1', 'ValueError'] 5.05 | eg ['late'] 5.15
     *          | states ['w0', 'w1', 'w2', 'w3'] [False, False, False, False] 5.15
     * A group's tasks, a gather, wait, a shielded waitFor and a timeout over a semaphore, a lock and an event,
     * interleaved as under CPython.
     */
    @Test
    void aTaskGroupGatherWaitAndShieldedWaitForOverALockASemaphoreAndAnEvent() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            var lock = new Lock();
            var sem = new Semaphore(2);
            var ev = new Event();
            java.util.function.DoubleSupplier now = () -> Math.round((loop.time() - t0) * 1000) / 1000.0;
            interface Worker {
                Coroutine<String> of(String n, double d, boolean fail);
            }
            Worker worker = (n, d, fail) -> () -> {
                try (var _ = sem.acquire()) {
                    seen.add(n + " in " + now.getAsDouble());
                    try (var _ = lock.acquire()) {
                        seen.add(n + " locked " + now.getAsDouble());
                        Aio.sleep(d);
                    }
                    if (fail) {
                        throw new IllegalArgumentException(n);
                    }
                    ev.await();
                    seen.add(n + " out " + now.getAsDouble());
                    return n;
                } catch (CancellationException e) {
                    seen.add(n + " cancelled " + now.getAsDouble() + " " + Aio.currentTask().cancelling());
                    throw e;
                }
            };
            loop.callLater(2.5, ev::set);
            List<Task<String>> ts = new ArrayList<>();
            try (var tg = new TaskGroup()) {
                double[] delays = {1, 0.5, 2, 0.25};
                for (int i = 0; i < delays.length; i++) {
                    ts.add(tg.createTask(worker.of("w" + i, delays[i], false)));
                }
                Future<List<Object>> g = Aio.gatherWithExceptions(Aio.createTask(worker.of("g1", 0.1, false)),
                        Aio.createTask(worker.of("g2", 0.2, true)));
                tg.createTask(() -> {
                    List<Object> r = Aio.waitFor(g, Duration.ofSeconds(10));
                    seen.add("gather " + r.stream().map(x -> x instanceof String str ? str
                            : x.getClass().getSimpleName()).toList() + " " + now.getAsDouble());
                });
                try (var t = Aio.timeout(Duration.ofMillis(3200))) {
                    var r = Aio.wait(ts, ReturnWhen.FIRST_COMPLETED);
                    seen.add("first " + r.done().stream().map(Future::result).sorted().toList() + " "
                            + r.pending().size() + " " + now.getAsDouble());
                    Aio.waitFor(Aio.shield(ts.get(2)), Duration.ofMillis(500));
                } catch (TimeoutException e) {
                    seen.add("wait_for timeout " + now.getAsDouble() + " " + ts.get(2).isDone());
                }
                tg.createTask(worker.of("late", 0.1, true));
                tg.join();
            } catch (TaskGroupException eg) {
                seen.add("eg " + eg.exceptions().stream().map(Throwable::getMessage).toList() + " "
                        + now.getAsDouble());
            }
            seen.add("states " + ts.stream().map(t -> t.isDone() && !t.isCancelled() ? t.result() : "false").toList()
                    + " " + ts.stream().map(Future::isCancelled).toList() + " " + now.getAsDouble());
            return null;
        });
        assertThat(seen).containsExactly("w0 in 0.0", "w0 locked 0.0", "w1 in 0.0", "w1 locked 1.0", "w0 out 2.5",
                "w1 out 2.5", "w2 in 2.5", "w2 locked 2.5", "w3 in 2.5", "first [w0, w1] 2 2.5",
                "wait_for timeout 3.0 false", "w2 out 4.5", "w3 locked 4.5", "g1 in 4.5", "w3 out 4.75",
                "g1 locked 4.75", "g2 in 4.75", "g1 out 4.85", "g2 locked 4.85", "late in 4.85", "late locked 5.05",
                "gather [g1, IllegalArgumentException] 5.05", "eg [late] 5.15",
                "states [w0, w1, w2, w3] [false, false, false, false] 5.15");
    }

    /*
     * (CPython run on a virtual clock: asyncio.run(main(), loop_factory=VirtualLoop), cpython/virtual_clock_loop.py)
     * async def s(n, d):
     *     try: await asyncio.sleep(d); return n
     *     except asyncio.CancelledError as e: log(n, "cancelled", e.args); raise
     * a, b, c = tasks of s("a", 1), s("b", 2), s("c", 3)
     * inner = asyncio.gather(a, b); outer = asyncio.gather(inner, c)
     * await asyncio.sleep(1.5); log("cancel outer", outer.cancel("stop"))
     * try: await outer
     * except asyncio.CancelledError as e: log("outer", e.args, inner.done(), a.result())
     * t = create_task(s("t", 1)); sh = asyncio.shield(t); loop.call_later(0.5, sh.cancel, "shmsg")
     * try: await sh
     * except asyncio.CancelledError as e: log("shield", e.args, t.done())
     * log("t", await t, loop.time())
     * fs = [create_task(s(f"f{i}", d)) for i, d in enumerate((3, 1, 2, 1))]; it = asyncio.as_completed(fs)
     * async def consumer(name):
     *     for f in it: log(name, "got", await f, loop.time())
     * await asyncio.gather(consumer("X"), consumer("Y"))
     * d, e = create_task(s("d", 5)), create_task(s("e", 5))
     * async def w(): await asyncio.gather(d, e)
     * wt = create_task(w()); await asyncio.sleep(1); wt.cancel("wmsg")
     * try: await wt
     * except asyncio.CancelledError as ex: log("wt", ex.args)
     * CPython: cancel outer True | b cancelled ('stop',) | c cancelled ('stop',) | outer ('stop',) True a
     *          | shield ('shmsg',) False | t t 2.5 | X got f1 3.5 | X got f3 3.5 | X got f2 4.5 | Y got f0 5.5
     *          | d cancelled ('wmsg',) | e cancelled ('wmsg',) | wt ('wmsg',)
     * A cancellation's message reaches the children of nested gathers and of a gather the cancelled task awaits; an
     * asCompleted iterator shared by two tasks gives a future done meanwhile to the task that asks first.
     */
    @Test
    void cancellationMessagesThroughGathersAndShieldsAndASharedAsCompleted() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            interface S {
                Task<String> start(String n, double d);
            }
            S s = (n, d) -> Aio.createTask(() -> {
                try {
                    Aio.sleep(d);
                    return n;
                } catch (CancellationException e) {
                    seen.add(n + " cancelled " + e.getMessage());
                    throw e;
                }
            });
            Task<String> a = s.start("a", 1);
            Task<String> b = s.start("b", 2);
            Task<String> c = s.start("c", 3);
            Future<List<String>> inner = Aio.gather(a, b);
            Future<List<Object>> outer = Aio.gather(inner, c);
            Aio.sleep(1.5);
            seen.add("cancel outer " + outer.cancel("stop"));
            try {
                outer.await();
            } catch (CancellationException e) {
                seen.add("outer " + e.getMessage() + " " + inner.isDone() + " " + a.result());
            }
            Task<String> t = s.start("t", 1);
            Future<String> sh = Aio.shield(t);
            loop.callLater(0.5, () -> sh.cancel("shmsg"));
            try {
                sh.await();
            } catch (CancellationException e) {
                seen.add("shield " + e.getMessage() + " " + t.isDone());
            }
            seen.add("t " + t.await() + " " + loop.time());
            List<Task<String>> fs = new ArrayList<>();
            double[] delays = {3, 1, 2, 1};
            for (int i = 0; i < delays.length; i++) {
                fs.add(s.start("f" + i, delays[i]));
            }
            Iterable<Future<String>> it = Aio.asCompleted(fs);
            java.util.function.Function<String, Coroutine<Void>> consumer = name -> () -> {
                for (Future<String> f : it) {
                    seen.add(name + " got " + f.await() + " " + loop.time());
                }
                return null;
            };
            Aio.gather(consumer.apply("X"), consumer.apply("Y")).await();
            Task<String> d = s.start("d", 5);
            Task<String> e = s.start("e", 5);
            Task<Void> wt = Aio.createTask(() -> {
                Aio.gather(d, e).await();
            });
            Aio.sleep(1);
            wt.cancel("wmsg");
            try {
                wt.await();
            } catch (CancellationException ex) {
                seen.add("wt " + ex.getMessage());
            }
            return null;
        });
        assertThat(seen).containsExactly("cancel outer true", "b cancelled stop", "c cancelled stop",
                "outer stop true a", "shield shmsg false", "t t 2.5", "X got f1 3.5", "X got f3 3.5", "X got f2 4.5",
                "Y got f0 5.5", "d cancelled wmsg", "e cancelled wmsg", "wt wmsg");
    }
}
