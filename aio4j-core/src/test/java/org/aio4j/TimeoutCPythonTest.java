package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Timeout scopes (rescheduling, nesting, a body that catches the expiry) checked against CPython 3.13's
 * asyncio.timeout: each test quotes the Python program and what CPython prints, and runs the same program on a
 * virtual clock (CPython's times are printed relative to the start of each block).
 */
class TimeoutCPythonTest {

    /*
     * try:
     *     async with asyncio.timeout(5) as cm:
     *         cm.reschedule(loop.time() + 1); await asyncio.sleep(3); log("slept")
     * except TimeoutError: log("timeout at", elapsed, cm.expired(), current_task().cancelling())
     * async with asyncio.timeout(1) as cm:
     *     cm.reschedule(loop.time() + 10); await asyncio.sleep(3); log("slept 3", elapsed, cm.expired())
     * async with asyncio.timeout(1) as cm:
     *     cm.reschedule(None); await asyncio.sleep(2); log("none", cm.when(), cm.expired())
     * loop.call_soon(log, "soon-before")
     * try:
     *     async with asyncio.timeout(10) as cm:
     *         loop.call_soon(log, "soon1"); cm.reschedule(loop.time() - 5); loop.call_soon(log, "soon2")
     *         await asyncio.sleep(1)
     * except TimeoutError: log("past timeout", elapsed)
     * CPython: timeout at 1 True 0 | slept 3 3 False | none None False | soon-before | soon1 | soon2 | past timeout 0
     * A deadline moved into the past expires in the next iteration, queued behind the callbacks queued before.
     */
    @Test
    void aRescheduledDeadlineExpiresAtItsNewTime() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            Timeout[] cm = new Timeout[1];
            try (var t = Aio.timeout(Duration.ofSeconds(5))) {
                cm[0] = t;
                t.reschedule(loop.time() + 1);
                Aio.sleep(3);
                seen.add("slept");
            } catch (TimeoutCancellationException e) {
                seen.add("timeout at " + (loop.time() - t0) + " " + cm[0].expired() + " "
                        + Aio.currentTask().cancelling());
            }
            t0 = loop.time();
            try (var t = Aio.timeout(Duration.ofSeconds(1))) {
                t.reschedule(loop.time() + 10);
                Aio.sleep(3);
                seen.add("slept 3 " + (loop.time() - t0) + " " + t.expired());
            }
            try (var t = Aio.timeout(Duration.ofSeconds(1))) {
                t.reschedule(Double.POSITIVE_INFINITY);
                Aio.sleep(2);
                seen.add("none " + t.when() + " " + t.expired());
            }
            t0 = loop.time();
            loop.callSoon(() -> seen.add("soon-before"));
            try (var t = Aio.timeout(Duration.ofSeconds(10))) {
                loop.callSoon(() -> seen.add("soon1"));
                t.reschedule(loop.time() - 5);
                loop.callSoon(() -> seen.add("soon2"));
                Aio.sleep(1);
            } catch (TimeoutCancellationException e) {
                seen.add("past timeout " + (loop.time() - t0));
            }
            return null;
        });
        assertThat(seen).containsExactly("timeout at 1.0 true 0", "slept 3 3.0 false", "none Infinity false",
                "soon-before", "soon1", "soon2", "past timeout 0.0");
    }

    /*
     * try:
     *     async with asyncio.timeout(1):
     *         try:
     *             async with asyncio.timeout(5): await asyncio.sleep(10)
     *         except TimeoutError: log("inner caught timeout (wrong)")
     *         except asyncio.CancelledError: log("inner sees cancelled", current_task().cancelling()); raise
     * except TimeoutError: log("outer timeout", elapsed, current_task().cancelling())
     * try:
     *     async with asyncio.timeout(5):
     *         try:
     *             async with asyncio.timeout(1): await asyncio.sleep(10)
     *         except TimeoutError: log("inner timeout", elapsed, current_task().cancelling())
     *         await asyncio.sleep(10)
     * except TimeoutError: log("outer timeout2", elapsed)
     * try:
     *     async with asyncio.timeout(2) as o:
     *         try:
     *             async with asyncio.timeout(2) as i: await asyncio.sleep(10)
     *         except TimeoutError: log("same: inner timeout", o.expired(), i.expired())
     *         log("after inner"); await asyncio.sleep(0); log("after sleep0")
     * except TimeoutError: log("same: outer timeout", elapsed, o.expired(), i.expired())
     * CPython: inner sees cancelled 1 | outer timeout 1 0 | inner timeout 1 0 | outer timeout2 5
     *          | same: outer timeout 2 True True
     * The expiry of an outer scope passes through the inner one as a cancellation; two scopes expiring in the same
     * iteration interrupt the task once, and the outer one takes the whole block as its timeout.
     */
    @Test
    void nestedScopesExpireInTheScopeWhoseDeadlinePassed() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            try (var o = Aio.timeout(Duration.ofSeconds(1))) {
                try (var i = Aio.timeout(Duration.ofSeconds(5))) {
                    Aio.sleep(10);
                } catch (TimeoutCancellationException e) {
                    if (e.isTimeout()) {
                        seen.add("inner caught timeout (wrong)");
                    } else {
                        seen.add("inner sees cancelled " + Aio.currentTask().cancelling());
                    }
                    throw e;
                }
            } catch (TimeoutCancellationException e) {
                seen.add("outer " + (e.isTimeout() ? "timeout " : "cancelled ") + (loop.time() - t0) + " "
                        + Aio.currentTask().cancelling());
            }
            double t1 = loop.time();
            try (var o = Aio.timeout(Duration.ofSeconds(5))) {
                try (var i = Aio.timeout(Duration.ofSeconds(1))) {
                    Aio.sleep(10);
                } catch (TimeoutCancellationException e) {
                    seen.add("inner " + (e.isTimeout() ? "timeout " : "cancelled ") + (loop.time() - t1) + " "
                            + Aio.currentTask().cancelling());
                }
                Aio.sleep(10);
            } catch (TimeoutCancellationException e) {
                seen.add("outer timeout2 " + (loop.time() - t1));
            }
            double t2 = loop.time();
            Timeout[] scopes = new Timeout[2];
            try (var o = Aio.timeout(Duration.ofSeconds(2))) {
                scopes[0] = o;
                try (var i = Aio.timeout(Duration.ofSeconds(2))) {
                    scopes[1] = i;
                    Aio.sleep(10);
                } catch (TimeoutCancellationException e) {
                    if (e.isTimeout()) {
                        seen.add("same: inner timeout " + o.expired() + " " + scopes[1].expired());
                    } else {
                        throw e;
                    }
                }
                seen.add("after inner");
                Aio.sleep(0);
                seen.add("after sleep0");
            } catch (TimeoutCancellationException e) {
                seen.add("same: outer " + (e.isTimeout() ? "timeout " : "cancelled ") + (loop.time() - t2) + " "
                        + scopes[0].expired() + " " + scopes[1].expired());
            }
            return null;
        });
        assertThat(seen).containsExactly("inner sees cancelled 1", "outer timeout 1.0 0", "inner timeout 1.0 0",
                "outer timeout2 5.0", "same: outer timeout 2.0 true true");
    }

    /*
     * async with asyncio.timeout(1) as cm:
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError: log("caught", current_task().cancelling())
     *     await asyncio.sleep(1); log("slept after", elapsed)
     * log("exited normally", cm.expired(), current_task().cancelling())
     * try:
     *     async with asyncio.timeout(1) as cm:
     *         try: await asyncio.sleep(10)
     *         except asyncio.CancelledError: raise ValueError("x")
     * except ValueError as e: log("value error", e, cm.expired(), current_task().cancelling())
     * CPython: caught 1 | slept after 2 | exited normally True 0 | value error x True 0
     * A body that swallows the expiry goes on undisturbed and leaves the block normally, the scope expired and its
     * request withdrawn; another exception raised in its place leaves as it is.
     */
    @Test
    void aBodyThatCatchesTheExpiryGoesOnAndTheScopeStillWithdrawsItsRequest() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            Timeout[] cm = new Timeout[1];
            try (var t = Aio.timeout(Duration.ofSeconds(1))) {
                cm[0] = t;
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    seen.add("caught " + Aio.currentTask().cancelling());
                }
                Aio.sleep(1);
                seen.add("slept after " + (loop.time() - t0));
            }
            seen.add("exited normally " + cm[0].expired() + " " + Aio.currentTask().cancelling());
            try (var t = Aio.timeout(Duration.ofSeconds(1))) {
                cm[0] = t;
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    throw new IllegalArgumentException("x");
                }
            } catch (IllegalArgumentException e) {
                seen.add("value error " + e.getMessage() + " " + cm[0].expired() + " "
                        + Aio.currentTask().cancelling());
            }
            return null;
        });
        assertThat(seen).containsExactly("caught 1", "slept after 2.0", "exited normally true 0",
                "value error x true 0");
    }

    /*
     * async def swallow():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError: log("inner swallowed", elapsed)
     *     await asyncio.sleep(1); return "inner result"
     * async with asyncio.timeout(1) as cm:
     *     r = await asyncio.create_task(swallow())
     *     log("body got", r, elapsed, cm.expired(), current_task().cancelling())
     *     await asyncio.sleep(1); log("body slept", elapsed)
     * log("exited", cm.expired(), current_task().cancelling())
     * try:
     *     async with asyncio.timeout(None) as cm:
     *         loop.call_later(1, lambda: cm.reschedule(loop.time() + 1)); await asyncio.sleep(10)
     * except TimeoutError: log("rescheduled from callback expired", elapsed)
     * try: cm.reschedule(5)
     * except RuntimeError as e: log("reschedule after:", e)
     * async with asyncio.timeout_at(loop.time() - 1) as cm: log("body without suspension")
     * log("no-suspend exit", cm.expired())
     * try:
     *     async with asyncio.timeout(0) as cm:
     *         log("body before sleep"); await asyncio.sleep(0); log("after sleep0 (wrong)")
     * except TimeoutError: log("timeout(0) expired", cm.expired())
     * CPython: inner swallowed 1 | body got inner result 2 True 1 | body slept 3 | exited True 0
     *          | rescheduled from callback expired 2 | reschedule after: Cannot change state of expired Timeout
     *          | body without suspension | no-suspend exit False | body before sleep | timeout(0) expired True
     * An expiry the awaited task swallows leaves the block running to its end, its request counted until the exit
     * withdraws it; a deadline already passed does not expire a block that never suspends.
     */
    @Test
    void anExpiryTheAwaitedTaskSwallowsAndDeadlinesThatPassWithoutASuspension() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            Timeout[] cm = new Timeout[1];
            try (var t = Aio.timeout(Duration.ofSeconds(1))) {
                cm[0] = t;
                String r = Aio.createTask(() -> {
                    try {
                        Aio.sleep(10);
                    } catch (CancellationException e) {
                        seen.add("inner swallowed " + (loop.time() - t0));
                    }
                    Aio.sleep(1);
                    return "inner result";
                }).await();
                seen.add("body got " + r + " " + (loop.time() - t0) + " " + t.expired() + " "
                        + Aio.currentTask().cancelling());
                Aio.sleep(1);
                seen.add("body slept " + (loop.time() - t0));
            }
            seen.add("exited " + cm[0].expired() + " " + Aio.currentTask().cancelling());
            double t1 = loop.time();
            try (var t = Aio.timeoutAt(Double.POSITIVE_INFINITY)) {
                cm[0] = t;
                loop.callLater(1, () -> t.reschedule(loop.time() + 1));
                Aio.sleep(10);
            } catch (TimeoutCancellationException e) {
                seen.add("rescheduled from callback expired " + (loop.time() - t1));
            }
            try {
                cm[0].reschedule(5);
            } catch (IllegalStateException e) {
                seen.add("reschedule after: " + e.getMessage());
            }
            try (var t = Aio.timeoutAt(loop.time() - 1)) {
                cm[0] = t;
                seen.add("body without suspension");
            }
            seen.add("no-suspend exit " + cm[0].expired());
            try (var t = Aio.timeout(Duration.ZERO)) {
                cm[0] = t;
                seen.add("body before sleep");
                Aio.sleep(0);
                seen.add("after sleep0 (wrong)");
            } catch (TimeoutCancellationException e) {
                seen.add("timeout(0) expired " + cm[0].expired());
            }
            return null;
        });
        assertThat(seen).containsExactly("inner swallowed 1.0", "body got inner result 2.0 true 1", "body slept 3.0",
                "exited true 0", "rescheduled from callback expired 2.0",
                "reschedule after: Cannot reschedule a Timeout that is expired", "body without suspension",
                "no-suspend exit false", "body before sleep", "timeout(0) expired true");
    }

    /*
     * (CPython run on a virtual clock: asyncio.run(main(), loop_factory=VirtualLoop), cpython/virtual_clock_loop.py)
     * async def slow(n, d, linger=0):
     *     try: await asyncio.sleep(d); log(n, "done", now()); return n
     *     except asyncio.CancelledError:
     *         log(n, "cancelled", now(), cnt())
     *         if linger: await asyncio.sleep(linger); log(n, "lingered", now()); return n + "-late"
     *         raise
     * async def A():
     *     try:
     *         async with asyncio.timeout(1):
     *             async with asyncio.TaskGroup() as tg:
     *                 tg.create_task(slow("a1", 2)); tg.create_task(slow("a2", 2, linger=0.5))
     *     except TimeoutError: log("A timeout", now(), cnt())
     * async def B():
     *     async def inner():
     *         try:
     *             async with asyncio.timeout(2): await asyncio.sleep(5)
     *         except TimeoutError: log("B inner timeout (wrong)", now())
     *     try: await asyncio.wait_for(inner(), 1)
     *     except TimeoutError: log("B outer timeout", now(), cnt())
     * async def C():
     *     try:
     *         async with asyncio.timeout(1):
     *             async with asyncio.TaskGroup() as tg:
     *                 tg.create_task(slow("c1", 2, linger=0.2)); await asyncio.sleep(5)
     *     except asyncio.CancelledError: log("C cancelled", now(), cnt()); raise
     *     except TimeoutError: log("C timeout (wrong)", now())
     * async def D():
     *     long = asyncio.create_task(slow("long", 2))
     *     try:
     *         async with asyncio.timeout(1): await asyncio.shield(long)
     *     except TimeoutError: log("D timeout", now(), long.done())
     *     log("D long result", await long, now())
     * async def E(holder):
     *     try:
     *         async with asyncio.timeout(10) as cm: holder.append(cm); await asyncio.sleep(5)
     *     except TimeoutError: log("E timeout", now())
     * ta, tb, tc = create_task(A()), create_task(B()), create_task(C())
     * td, te = create_task(D()), create_task(E(holder))
     * await asyncio.sleep(0.5); tc.cancel("from main"); holder[0].reschedule(loop.time() + 0.25)
     * r = await asyncio.gather(ta, tb, tc, td, te, return_exceptions=True)
     * log("results", [type(x).__name__ for x in r], now())
     * CPython: c1 cancelled 0.5 1 | c1 lingered 0.7 | C cancelled 0.7 1 | E timeout 0.75 | B outer timeout 1.0 0
     *          | D timeout 1.0 False | a2 cancelled 1.0 1 | a1 cancelled 1.0 1 | a2 lingered 1.5 | A timeout 1.5 0
     *          | long done 2.0 | D long result long 2.0 | results [None, None, CancelledError, None, None] 2.0
     * One difference, deliberate: a group cancels its tasks in the order they were created (a1, a2), asyncio's in
     * the order of a set (here a2, a1), as TaskGroup documents.
     */
    @Test
    void scopesAroundGroupsWaitForAndShieldsExpireAndUnwindAsUnderCPython() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            java.util.function.DoubleSupplier now = () -> Math.round(loop.time() * 1000) / 1000.0;
            interface Slow {
                Coroutine<String> of(String n, double d, double linger);
            }
            Slow slow = (n, d, linger) -> () -> {
                try {
                    Aio.sleep(d);
                    seen.add(n + " done " + now.getAsDouble());
                    return n;
                } catch (CancellationException e) {
                    seen.add(n + " cancelled " + now.getAsDouble() + " " + Aio.currentTask().cancelling());
                    if (linger > 0) {
                        Aio.sleep(linger);
                        seen.add(n + " lingered " + now.getAsDouble());
                        return n + "-late";
                    }
                    throw e;
                }
            };
            Task<Void> ta = Aio.createTask(() -> {
                try (var t = Aio.timeout(Duration.ofSeconds(1))) {
                    try (var tg = new TaskGroup()) {
                        tg.createTask(slow.of("a1", 2, 0));
                        tg.createTask(slow.of("a2", 2, 0.5));
                        tg.join();
                    }
                } catch (TimeoutCancellationException e) {
                    seen.add("A timeout " + now.getAsDouble() + " " + Aio.currentTask().cancelling());
                }
            });
            Task<Void> tb = Aio.createTask(() -> {
                try {
                    Aio.waitFor(() -> {
                        try (var t = Aio.timeout(Duration.ofSeconds(2))) {
                            Aio.sleep(5);
                        } catch (TimeoutCancellationException e) {
                            if (!e.isTimeout()) {
                                throw e;
                            }
                            seen.add("B inner timeout (wrong) " + now.getAsDouble());
                        }
                        return null;
                    }, Duration.ofSeconds(1));
                } catch (TimeoutException e) {
                    seen.add("B outer timeout " + now.getAsDouble() + " " + Aio.currentTask().cancelling());
                }
            });
            Task<Void> tc = Aio.createTask(() -> {
                try (var t = Aio.timeout(Duration.ofSeconds(1))) {
                    try (var tg = new TaskGroup()) {
                        tg.createTask(slow.of("c1", 2, 0.2));
                        Aio.sleep(5);
                        tg.join();
                    }
                } catch (TimeoutCancellationException e) {
                    if (!e.isTimeout()) {
                        seen.add("C cancelled " + now.getAsDouble() + " " + Aio.currentTask().cancelling());
                        throw e;
                    }
                    seen.add("C timeout (wrong) " + now.getAsDouble());
                } catch (CancellationException e) {
                    seen.add("C cancelled " + now.getAsDouble() + " " + Aio.currentTask().cancelling());
                    throw e;
                }
            });
            Task<Void> td = Aio.createTask(() -> {
                Task<String> longTask = Aio.createTask(slow.of("long", 2, 0));
                try (var t = Aio.timeout(Duration.ofSeconds(1))) {
                    Aio.shield(longTask).await();
                } catch (TimeoutCancellationException e) {
                    seen.add("D timeout " + now.getAsDouble() + " " + longTask.isDone());
                }
                seen.add("D long result " + longTask.await() + " " + now.getAsDouble());
            });
            List<Timeout> holder = new ArrayList<>();
            Task<Void> te = Aio.createTask(() -> {
                try (var t = Aio.timeout(Duration.ofSeconds(10))) {
                    holder.add(t);
                    Aio.sleep(5);
                } catch (TimeoutCancellationException e) {
                    seen.add("E timeout " + now.getAsDouble());
                }
            });
            Aio.sleep(0.5);
            tc.cancel("from main");
            holder.get(0).reschedule(loop.time() + 0.25);
            List<Object> r = Aio.gatherWithExceptions(ta, tb, tc, td, te).await();
            seen.add("results " + r.stream().map(x -> x == null ? "None" : x.getClass().getSimpleName()).toList() + " "
                    + now.getAsDouble());
            return null;
        });
        assertThat(seen).containsExactly("c1 cancelled 0.5 1", "c1 lingered 0.7", "C cancelled 0.7 1",
                "E timeout 0.75", "B outer timeout 1.0 0", "D timeout 1.0 false", "a1 cancelled 1.0 1",
                "a2 cancelled 1.0 1", "a2 lingered 1.5", "A timeout 1.5 0", "long done 2.0", "D long result long 2.0",
                "results [None, None, CancellationException, None, None] 2.0");
    }
}
