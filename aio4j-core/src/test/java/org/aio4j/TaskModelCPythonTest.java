package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * The task model (cancel counts and messages, awaits, combinators) checked against CPython 3.13's asyncio: each test
 * quotes the Python program and what CPython prints, and runs the same program on a virtual clock.
 */
class TaskModelCPythonTest {

    /*
     * async def c():
     *     try: await asyncio.sleep(10); log("slept")
     *     except asyncio.CancelledError as e: log("c", e.args, current_task().cancelling()); raise
     * t = asyncio.create_task(c()); await asyncio.sleep(0)
     * t.cancel("a"); t.cancel("b"); log(t.uncancel(), t.uncancel())
     * try: await t
     * except asyncio.CancelledError as e: log("main", e.args)
     * CPython: 1 0 | c ('a',) 0 | main ('a',)
     * The first request cancelled the sleep; the second, which found nothing left to cancel, was pending until the
     * uncancel() calls withdrew it. The sleep was cancelled all the same, so it raises where it wakes.
     */
    @Test
    void uncancelToZeroAfterASecondRequestStillRaisesTheCancellationPassedOnBeforeIt() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                    seen.add("slept at " + Aio.getRunningLoop().time());
                } catch (CancellationException e) {
                    seen.add("c " + e.getMessage() + " " + Aio.currentTask().cancelling());
                    throw e;
                }
            });
            Aio.sleep(0);
            t.cancel("a");
            t.cancel("b");
            seen.add(t.uncancel() + " " + t.uncancel());
            try {
                t.await();
            } catch (CancellationException e) {
                seen.add("main " + e.getMessage());
            }
            return null;
        });
        assertThat(seen).containsExactly("1 0", "c a 0", "main a");
    }

    /*
     * async def body():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError as e: log("caught", e.args, current_task().cancelling())
     *     await asyncio.sleep(1); log("slept")
     *     return 5
     * t = asyncio.create_task(body()); await asyncio.sleep(0)
     * log(t.cancel("one"), t.cancel("two"), t.cancelling()); log("result", await t, t.cancelling())
     * CPython: True True 2 | caught ('one',) 2 | slept | result 5 2
     * What wakes the task is the cancelled sleep, with the first request's message; the second request is counted
     * and consumed by the same wake-up (the task goes on sleeping undisturbed afterwards).
     */
    @Test
    void twoCancelsOfAWaitingTaskRaiseOnceWithTheMessageOfTheOnePassedOn() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Integer> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    seen.add("caught " + e.getMessage() + " " + Aio.currentTask().cancelling());
                }
                Aio.sleep(1);
                seen.add("slept");
                return 5;
            });
            Aio.sleep(0);
            seen.add(t.cancel("one") + " " + t.cancel("two") + " " + t.cancelling());
            seen.add("result " + t.await() + " " + t.cancelling());
            return null;
        });
        assertThat(seen).containsExactly("true true 2", "caught one 2", "slept", "result 5 2");
    }
    /*
     * async def c(n):
     *     try: await asyncio.sleep(5)
     *     except asyncio.CancelledError as e: log(n, e.args); raise
     * async def w():
     *     try: await asyncio.gather(c("a"), c("b"))
     *     except asyncio.CancelledError as e: log("w", e.args); raise
     * t = asyncio.create_task(w()); await asyncio.sleep(1)
     * t.cancel("first"); t.cancel("second")
     * try: await t
     * except asyncio.CancelledError as e: log("main", e.args)
     * CPython: a ('first',) | b ('first',) | w ('first',) | main ('first',)
     * Both requests reach the gather's children; what the waiting task raises is the gather's cancellation, which
     * is its children's, the first's.
     */
    @Test
    void aTaskCancelledTwiceWhileAwaitingAGatherRaisesTheGathersCancellation() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> {
                try {
                    Aio.gather(sleeper("a", seen), sleeper("b", seen)).await();
                } catch (CancellationException e) {
                    seen.add("w " + e.getMessage());
                    throw e;
                }
            });
            Aio.sleep(1);
            t.cancel("first");
            t.cancel("second");
            try {
                t.await();
            } catch (CancellationException e) {
                seen.add("main " + e.getMessage());
            }
            return null;
        });
        assertThat(seen).containsExactly("a first", "b first", "w first", "main first");
    }

    /** A coroutine that sleeps 5 seconds and records the message of the cancellation that cuts it short. */
    private static Coroutine<Void> sleeper(String name, List<String> seen) {
        return () -> {
            try {
                Aio.sleep(5);
            } catch (CancellationException e) {
                seen.add(name + " " + e.getMessage());
                throw e;
            }
            return null;
        };
    }

    /*
     * f = loop.create_future()
     * async def v():
     *     try: await f
     *     except asyncio.CancelledError as e: log("v", e.args, current_task().cancelling()); raise
     * u = asyncio.create_task(v()); await asyncio.sleep(0)
     * f.cancel("other"); u.cancel("mine")
     * try: await u
     * except asyncio.CancelledError as e: log("main", e.args)
     * CPython: v ('other',) 1 | main ('other',)
     * The request finds the awaited future cancelled already: it is counted, and the task wakes with the future's
     * cancellation.
     */
    @Test
    void aCancelThatFindsTheAwaitedFutureCancelledAlreadyRaisesThatFuturesCancellation() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Future<Void> f = Aio.getRunningLoop().createFuture();
            Task<Void> u = Aio.createTask(() -> {
                try {
                    f.await();
                } catch (CancellationException e) {
                    seen.add("v " + e.getMessage() + " " + Aio.currentTask().cancelling());
                    throw e;
                }
            });
            Aio.sleep(0);
            f.cancel("other");
            u.cancel("mine");
            try {
                u.await();
            } catch (CancellationException e) {
                seen.add("main " + e.getMessage());
            }
            return null;
        });
        assertThat(seen).containsExactly("v other 1", "main other");
    }
    /*
     * def meddle(): t.cancel("x"); log("uncancel", t.uncancel(), t.uncancel())
     * async def body():
     *     try:
     *         async with asyncio.timeout(2):
     *             loop.call_later(2, meddle)
     *             await asyncio.sleep(10); log("slept")
     *     except TimeoutError: log("body timeout", loop.time(), current_task().cancelling())
     * t = asyncio.create_task(body()); await t
     * CPython: uncancel 1 0 | body timeout 2 0
     * The expiry cancelled the sleep; the request that came after it, and the uncancel() calls that took the count
     * to zero, do not take that back: the sleep raises, and the block ends as a timeout.
     */
    @Test
    void uncancelToZeroAfterARequestThatCameOverAnExpiryStillEndsTheBlockAsATimeout() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Task<?>[] body = new Task<?>[1];
            body[0] = Aio.createTask(() -> {
                try (var t = Aio.timeout(java.time.Duration.ofSeconds(2))) {
                    loop.callLater(2, () -> {
                        body[0].cancel("x");
                        seen.add("uncancel " + body[0].uncancel() + " " + body[0].uncancel());
                    });
                    Aio.sleep(10);
                    seen.add("slept at " + loop.time());
                } catch (TimeoutCancellationException e) {
                    seen.add("body " + (e.isTimeout() ? "timeout" : "cancelled") + " at " + loop.time() + " "
                            + Aio.currentTask().cancelling());
                }
            });
            body[0].await();
            return null;
        });
        assertThat(seen).containsExactly("uncancel 1 0", "body timeout at 2.0 0");
    }
}
