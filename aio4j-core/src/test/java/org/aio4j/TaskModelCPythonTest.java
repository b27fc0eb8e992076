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
     * async def c():
     *     current_task().cancel("a")        # its own request, made while it runs
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError as e: log("c", e.args, current_task().cancelling()); raise
     * t = asyncio.create_task(c()); await asyncio.sleep(0)
     * log(t.cancel("b"))
     * try: await t
     * except asyncio.CancelledError as e: log("main", e.args)
     * CPython: True | c ('a',) 2 | main ('a',)
     * The sleep c suspends in is cancelled at once with the pending request's message; "b" finds it cancelled
     * already, is counted, and the wake-up raises the sleep's "a", as for an awaited future.
     */
    @Test
    void aSleepEnteredWithAPendingCancellationRaisesThatRequestsMessageNotALaterOnes() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> {
                Aio.currentTask().cancel("a");
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    seen.add("c " + e.getMessage() + " " + Aio.currentTask().cancelling());
                    throw e;
                }
            });
            Aio.sleep(0);
            seen.add(String.valueOf(t.cancel("b")));
            try {
                t.await();
            } catch (CancellationException e) {
                seen.add("main " + e.getMessage());
            }
            return null;
        });
        assertThat(seen).containsExactly("true", "c a 2", "main a");
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

    /*
     * async def inner():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError as e: log("inner caught", e.args); return 7
     * async def outer():
     *     v = await asyncio.create_task(inner()); log("outer got", v, current_task().cancelling())
     *     await asyncio.sleep(1); log("outer slept"); return v
     * o = asyncio.create_task(outer()); await asyncio.sleep(1)
     * log("cancel", o.cancel("m")); log("res", await o, o.cancelling())
     * CPython: cancel True | inner caught ('m',) | outer got 7 1 | outer slept | res 7 1
     * The request was passed on to the awaited task, which caught it and returned: the awaiting task goes on with
     * that result, its request still counted.
     */
    @Test
    void aTaskWhoseAwaitedTaskCatchesTheCancellationAndReturnsGoesOnWithTheResult() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Integer> o = Aio.createTask(() -> {
                int v = Aio.createTask(() -> {
                    try {
                        Aio.sleep(10);
                        return 0;
                    } catch (CancellationException e) {
                        seen.add("inner caught " + e.getMessage());
                        return 7;
                    }
                }).await();
                seen.add("outer got " + v + " " + Aio.currentTask().cancelling());
                Aio.sleep(1);
                seen.add("outer slept");
                return v;
            });
            Aio.sleep(1);
            seen.add("cancel " + o.cancel("m"));
            seen.add("res " + o.await() + " " + o.cancelling());
            return null;
        });
        assertThat(seen).containsExactly("cancel true", "inner caught m", "outer got 7 1", "outer slept", "res 7 1");
    }

    /*
     * f = loop.create_future()
     * async def w():
     *     try: log("got", await f)
     *     except asyncio.CancelledError as e: log("w cancelled", e.args); raise
     * t = asyncio.create_task(w()); await asyncio.sleep(0)
     * f.set_result(1); log("cancel", t.cancel("late"))
     * try: await t
     * except asyncio.CancelledError as e: log("main", e.args)
     * CPython: cancel True | w cancelled ('late',) | main ('late',)
     * The future is done but the task has not run since: the request cannot cancel the future, and is raised where
     * the task wakes; the future keeps its result.
     */
    @Test
    void aTaskCancelledAfterItsFutureEndedButBeforeItWokeIsCancelledAnyway() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Future<Integer> f = Aio.getRunningLoop().createFuture();
            Task<Void> t = Aio.createTask(() -> {
                try {
                    seen.add("got " + f.await());
                } catch (CancellationException e) {
                    seen.add("w cancelled " + e.getMessage());
                    throw e;
                }
            });
            Aio.sleep(0);
            f.setResult(1);
            seen.add("cancel " + t.cancel("late"));
            try {
                t.await();
            } catch (CancellationException e) {
                seen.add("main " + e.getMessage());
            }
            seen.add("f " + f.result());
            return null;
        });
        assertThat(seen).containsExactly("cancel true", "w cancelled late", "main late", "f 1");
    }

    /*
     * f = loop.create_future(); f.set_result(1)
     * g = asyncio.gather(f, f); loop.call_soon(log, "soon"); log("gathered", await g)
     * h = loop.create_future(); g2 = asyncio.gather(h, h); loop.call_soon(h.set_result, 2); log("gathered2", await g2)
     * done, pending = await asyncio.wait([f]) after loop.call_soon(log, "soon3"); log("waited", len(done))
     * CPython: gathered [1, 1] | soon | gathered2 [2, 2] | soon3 | waited 1
     * A future given twice is one child with two places in the result. A gather of futures already done is done
     * before the next callback runs; wait() on a done future still suspends once, behind the callbacks queued
     * before it.
     */
    @Test
    void gatherOfTheSameFutureTwiceAndWaitOnADoneFuture() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<Integer> f = loop.createFuture();
            f.setResult(1);
            Future<List<Integer>> g = Aio.gather(f, f);
            loop.callSoon(() -> seen.add("soon"));
            seen.add("gathered " + g.await());
            Future<Integer> h = loop.createFuture();
            Future<List<Integer>> g2 = Aio.gather(h, h);
            loop.callSoon(() -> h.setResult(2));
            seen.add("gathered2 " + g2.await());
            loop.callSoon(() -> seen.add("soon3"));
            seen.add("waited " + Aio.wait(List.of(f)).done().size());
            return null;
        });
        assertThat(seen).containsExactly("gathered [1, 1]", "soon", "gathered2 [2, 2]", "soon3", "waited 1");
    }

    /*
     * async def main():
     *     async def never(): log("never ran")
     *     t = asyncio.create_task(never()); t.add_done_callback(lambda f: log("done cb", f.cancelled()))
     *     return 1
     * log(asyncio.run(main()))
     * CPython: never ran | done cb False | 1
     * The task's first step was queued before the main task's end stops the loop, so it runs: run() has nothing
     * left to cancel.
     */
    @Test
    void aTaskCreatedAsMainReturnsRunsBeforeAioRunCancelsWhatIsLeft() throws Exception {
        List<String> seen = new ArrayList<>();
        seen.add(String.valueOf(TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> {
                seen.add("never ran");
            });
            t.addDoneCallback(f -> seen.add("done cb " + f.isCancelled()));
            return 1;
        })));
        assertThat(seen).containsExactly("never ran", "done cb false", "1");
    }

    /*
     * async def c(): log("ran"); return 5
     * t = asyncio.create_task(c()); t.cancel(); log("uncancel", t.uncancel())
     * try: log("result", await t)
     * except asyncio.CancelledError: log("cancelled")
     * t = asyncio.create_task(c()); t.cancel(); t.cancel(); log("uncancel", t.uncancel())
     * try: log("result", await t)
     * except asyncio.CancelledError: log("cancelled", t.cancelling())
     * async def z():
     *     log("z before")
     *     try: await asyncio.sleep(0)
     *     except asyncio.CancelledError: log("z cancelled in sleep0"); raise
     *     log("z after")
     * t = asyncio.create_task(z()); await asyncio.sleep(0); t.cancel()
     * try: await t
     * except asyncio.CancelledError: log("z done cancelled")
     * CPython: uncancel 0 | ran | result 5 | uncancel 1 | cancelled 1 | z before | z cancelled in sleep0
     *          | z done cancelled
     * A cancellation of a task that has not started, withdrawn to zero, lets it run (CPython 3.13); one still
     * requested keeps its coroutine from running at all.
     */
    @Test
    void aTaskCancelledBeforeItStartsRunsOnlyIfUncancelledToZero() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Integer> t = Aio.createTask(() -> {
                seen.add("ran");
                return 5;
            });
            t.cancel();
            seen.add("uncancel " + t.uncancel());
            try {
                seen.add("result " + t.await());
            } catch (CancellationException e) {
                seen.add("cancelled");
            }
            Task<Integer> t2 = Aio.createTask(() -> {
                seen.add("ran");
                return 5;
            });
            t2.cancel();
            t2.cancel();
            seen.add("uncancel " + t2.uncancel());
            try {
                seen.add("result " + t2.await());
            } catch (CancellationException e) {
                seen.add("cancelled " + t2.cancelling());
            }
            Task<Void> z = Aio.createTask(() -> {
                seen.add("z before");
                try {
                    Aio.sleep(0);
                } catch (CancellationException e) {
                    seen.add("z cancelled in sleep0");
                    throw e;
                }
                seen.add("z after");
            });
            Aio.sleep(0);
            z.cancel();
            try {
                z.await();
            } catch (CancellationException e) {
                seen.add("z done cancelled");
            }
            return null;
        });
        assertThat(seen).containsExactly("uncancel 0", "ran", "result 5", "uncancel 1", "cancelled 1", "z before",
                "z cancelled in sleep0", "z done cancelled");
    }

    /*
     * f = loop.create_future(); g = loop.create_future(); g.set_result(1)
     * loop.call_soon(log, "soon"); done, pending = await asyncio.wait([f, g], timeout=0)
     * log("wait0", len(done), len(pending))
     * loop.call_soon(log, "soon2"); done, pending = await asyncio.wait([f], timeout=0); log("wait0b", ...)
     * async def outer():
     *     try: await asyncio.wait_for(f, 10)
     *     except asyncio.CancelledError: log("outer cancelled", f.cancelled(), current_task().cancelling()); raise
     * o = asyncio.create_task(outer()); await asyncio.sleep(1); o.cancel("bye")
     * try: await o
     * except asyncio.CancelledError as e: log("o", e.args)
     * CPython: soon | wait0 1 1 | soon2 | wait0b 0 1 | outer cancelled True 1 | o ('bye',)
     * wait() with a zero timeout still suspends once; a task cancelled in wait_for cancels the future it waits on.
     */
    @Test
    void waitWithAZeroTimeoutAndWaitForInATaskCancelledFromOutside() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<Integer> f = loop.createFuture();
            Future<Integer> g = loop.createFuture();
            g.setResult(1);
            loop.callSoon(() -> seen.add("soon"));
            var r = Aio.wait(List.of(f, g), java.time.Duration.ZERO, ReturnWhen.ALL_COMPLETED);
            seen.add("wait0 " + r.done().size() + " " + r.pending().size());
            loop.callSoon(() -> seen.add("soon2"));
            r = Aio.wait(List.of(f), java.time.Duration.ZERO, ReturnWhen.ALL_COMPLETED);
            seen.add("wait0b " + r.done().size() + " " + r.pending().size());
            Task<Void> o = Aio.createTask(() -> {
                try {
                    Aio.waitFor(f, java.time.Duration.ofSeconds(10));
                } catch (CancellationException e) {
                    seen.add("outer cancelled " + f.isCancelled() + " " + Aio.currentTask().cancelling());
                    throw e;
                }
            });
            Aio.sleep(1);
            o.cancel("bye");
            try {
                o.await();
            } catch (CancellationException e) {
                seen.add("o " + e.getMessage());
            }
            return null;
        });
        assertThat(seen).containsExactly("soon", "wait0 1 1", "soon2", "wait0b 0 1", "outer cancelled true 1",
                "o bye");
    }

    /*
     * async def main():
     *     loop.set_exception_handler(lambda l, ctx: log("handler", ctx["message"], type(ctx["exception"]).__name__))
     *     async def w(n):
     *         try: await asyncio.sleep(10)
     *         except asyncio.CancelledError: log(n, "cancelled"); raise ValueError("cleanup failed " + n)
     *     async def quiet():
     *         try: await asyncio.sleep(10)
     *         except asyncio.CancelledError: log("quiet cancelled"); raise
     *     asyncio.create_task(w("a")); asyncio.create_task(quiet()); asyncio.create_task(w("b"))
     *     await asyncio.sleep(0); log("main returns")
     * asyncio.run(main())
     * CPython: main returns | b cancelled | a cancelled | quiet cancelled
     *          | handler unhandled exception during asyncio.run() shutdown ValueError (twice)
     * The tasks left when main returns are cancelled, and those that end with another exception are reported. The
     * order differs, deliberately: asyncio.run cancels them in the order of all_tasks(), a set (here b, a, quiet);
     * Aio.run in the order they were created, as Aio.allTasks() lists them.
     */
    @Test
    void theTasksLeftWhenMainReturnsAreCancelledAndTheirOtherExceptionsReported() throws Exception {
        List<String> seen = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        TestLoops.runVirtual(errors, () -> {
            for (String n : List.of("a", "quiet", "b")) {
                Aio.createTask(() -> {
                    try {
                        Aio.sleep(10);
                    } catch (CancellationException e) {
                        seen.add(n + " cancelled");
                        if (!n.equals("quiet")) {
                            throw new IllegalArgumentException("cleanup failed " + n);
                        }
                        throw e;
                    }
                });
            }
            Aio.sleep(0);
            seen.add("main returns");
            return null;
        });
        errors.forEach(ctx -> seen.add("handler " + ctx.message() + " " + ctx.exception().getMessage()));
        assertThat(seen).containsExactly("main returns", "a cancelled", "quiet cancelled", "b cancelled",
                "handler unhandled exception during Aio.run() shutdown cleanup failed a",
                "handler unhandled exception during Aio.run() shutdown cleanup failed b");
    }

    /*
     * As above, with the clean-up's failure raised from a finally block while the CancelledError unwinds, which in
     * Java is attached to the cancellation (suppressed) rather than replacing it:
     *     async def w():
     *         try: await asyncio.sleep(10)
     *         finally: raise RuntimeError("clean-up failed")
     * CPython 3.13: handler unhandled exception during asyncio.run() shutdown RuntimeError('clean-up failed')
     */
    @Test
    void aFailureAttachedToTheCancellationOfATaskLeftWhenMainReturnsIsReported() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        TestLoops.runVirtual(errors, () -> {
            Aio.createTask(TestLoops.attachingToItsCancellation(new IllegalStateException("clean-up failed")));
            Aio.sleep(0);
            return null;
        });
        assertThat(errors).singleElement().satisfies(c -> {
            assertThat(c.message()).startsWith("unhandled exception during Aio.run() shutdown");
            assertThat(c.exception()).hasMessage("clean-up failed");
        });
    }

    /*
     * async def c(): pass
     * async def main():
     *     log(current_task().get_name())
     *     a = create_task(c(), name="named"); b = create_task(c())
     *     g = asyncio.gather(c(), c()); d = create_task(c())
     *     log(a.get_name(), b.get_name(), [t.get_name() for t in g._children], d.get_name())
     *     await g
     *     async with asyncio.TaskGroup() as tg: e = tg.create_task(c(), name="child"); f = tg.create_task(c())
     *     log(e.get_name(), f.get_name())
     *     d.set_name("renamed"); log(d.get_name(), create_task(c()).get_name())
     * asyncio.run(main())
     * CPython: Task-1 | named Task-2 ['Task-3', 'Task-4'] Task-5 | child Task-6 | renamed Task-7
     * Only the tasks created without a name take a number.
     */
    @Test
    void onlyTheTasksCreatedWithoutANameTakeANumber() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            seen.add(Aio.currentTask().getName());
            Task<Void> a = Aio.createTask(() -> { }, "named");
            Task<Void> b = Aio.createTask(() -> { });
            List<Task<?>> before = List.copyOf(Aio.allTasks());
            Future<List<Object>> g = Aio.gather(() -> null, () -> null);
            List<String> children = Aio.allTasks().stream().filter(t -> !before.contains(t)).map(Task::getName)
                    .toList();
            Task<Void> d = Aio.createTask(() -> { });
            seen.add(a.getName() + " " + b.getName() + " " + children + " " + d.getName());
            g.await();
            Task<?>[] ef = new Task<?>[2];
            try (var tg = new TaskGroup()) {
                ef[0] = tg.createTask(() -> { }, "child");
                ef[1] = tg.createTask(() -> { });
                tg.join();
            }
            seen.add(ef[0].getName() + " " + ef[1].getName());
            d.setName("renamed");
            seen.add(d.getName() + " " + Aio.createTask(() -> { }).getName());
            return null;
        });
        assertThat(seen).containsExactly("Task-1", "named Task-2 [Task-3, Task-4] Task-5", "child Task-6",
                "renamed Task-7");
    }

    /*
     * async def selfc():
     *     log("self cancel", current_task().cancel("me"), current_task().cancelling()); log("still running")
     *     try: await asyncio.sleep(0)
     *     except asyncio.CancelledError as e: log("raised at sleep", e.args); raise
     * t = create_task(selfc())
     * try: await t
     * except asyncio.CancelledError: log("selfc cancelled", t.cancelled(), t.cancelling())
     * log("cancel done task", t.cancel(), t.cancelling())
     * u = create_task(idle()); log("uncancel at 0", u.uncancel(), u.uncancel(), u.cancelling()); await u
     * v = create_task(c()); v.cancel("a"); v.cancel("b")
     * try: await v
     * except asyncio.CancelledError as e: log("v", e.args, v.cancelling())
     * async def selfawait():
     *     try: await current_task()
     *     except RuntimeError as e: log("self await", e)
     * await create_task(selfawait())
     * f = loop.create_future()
     * try: f.result()
     * except asyncio.InvalidStateError: log("pending result")
     * f.set_result(1)
     * try: f.set_result(2)
     * except asyncio.InvalidStateError: log("set twice")
     * log("cancel done future", f.cancel()); g = loop.create_future(); g.cancel("gm")
     * try: g.exception()
     * except asyncio.CancelledError as e: log("exception of cancelled", e.args)
     * try: g.result()
     * except asyncio.CancelledError as e: log("result of cancelled", e.args)
     * try: v.set_result(3)
     * except RuntimeError: log("task set_result")
     * w = create_task(asyncio.sleep(1)); w.add_done_callback(lambda _: log("cb1"))
     * async def waiter(): await w; log("waiter woke")
     * create_task(waiter()); await asyncio.sleep(0); w.add_done_callback(lambda _: log("cb2"))
     * await w; log("main woke")
     * CPython: self cancel True 1 | still running | raised at sleep ('me',) | selfc cancelled True 1
     *          | cancel done task False 1 | uncancel at 0 0 0 0 | v ('b',) 2 | self await Task cannot await on itself
     *          | pending result | set twice | cancel done future False | exception of cancelled ('gm',)
     *          | result of cancelled ('gm',) | task set_result | cb1 | waiter woke | cb2 | main woke
     * A task that cancels itself runs on to its next suspension; of two requests before a task's first step, the
     * last one's message is raised; a task's done callbacks and the wake-ups of the tasks awaiting it run in the
     * order they were added.
     */
    @Test
    void selfCancellationRequestsBeforeTheFirstStepAndFutureStates() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Task<Void> t = Aio.createTask(() -> {
                seen.add("self cancel " + Aio.currentTask().cancel("me") + " " + Aio.currentTask().cancelling());
                seen.add("still running");
                try {
                    Aio.sleep(0);
                } catch (CancellationException e) {
                    seen.add("raised at sleep " + e.getMessage());
                    throw e;
                }
            });
            try {
                t.await();
            } catch (CancellationException e) {
                seen.add("selfc cancelled " + t.isCancelled() + " " + t.cancelling());
            }
            seen.add("cancel done task " + t.cancel() + " " + t.cancelling());
            Task<Void> u = Aio.createTask(() -> Aio.sleep(1));
            seen.add("uncancel at 0 " + u.uncancel() + " " + u.uncancel() + " " + u.cancelling());
            u.await();
            Task<Void> v = Aio.createTask(() -> {
                seen.add("c ran");
            });
            v.cancel("a");
            v.cancel("b");
            try {
                v.await();
            } catch (CancellationException e) {
                seen.add("v " + e.getMessage() + " " + v.cancelling());
            }
            Aio.createTask(() -> {
                try {
                    Aio.currentTask().await();
                } catch (IllegalStateException e) {
                    seen.add("self await " + e.getMessage().replaceFirst(":.*", ""));
                }
            }).await();
            Future<Integer> f = loop.createFuture();
            try {
                f.result();
            } catch (InvalidStateException e) {
                seen.add("pending result");
            }
            f.setResult(1);
            try {
                f.setResult(2);
            } catch (InvalidStateException e) {
                seen.add("set twice");
            }
            seen.add("cancel done future " + f.cancel());
            Future<Integer> g = loop.createFuture();
            g.cancel("gm");
            try {
                g.exception();
            } catch (CancellationException e) {
                seen.add("exception of cancelled " + e.getMessage());
            }
            try {
                g.result();
            } catch (CancellationException e) {
                seen.add("result of cancelled " + e.getMessage());
            }
            try {
                v.setResult(null);
            } catch (UnsupportedOperationException e) {
                seen.add("task set_result");
            }
            Task<Void> w = Aio.createTask(() -> Aio.sleep(1));
            w.addDoneCallback(x -> seen.add("cb1"));
            Aio.createTask(() -> {
                w.await();
                seen.add("waiter woke");
            });
            Aio.sleep(0);
            w.addDoneCallback(x -> seen.add("cb2"));
            w.await();
            seen.add("main woke");
            Aio.sleep(0);
            return null;
        });
        assertThat(seen).containsExactly("self cancel true 1", "still running", "raised at sleep me",
                "selfc cancelled true 1", "cancel done task false 1", "uncancel at 0 0 0 0", "v b 2",
                "self await Task cannot await on itself", "pending result", "set twice", "cancel done future false",
                "exception of cancelled gm", "result of cancelled gm", "task set_result", "cb1", "waiter woke", "cb2",
                "main woke");
    }
}
