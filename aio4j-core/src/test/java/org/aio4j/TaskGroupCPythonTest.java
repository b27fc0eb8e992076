package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * TaskGroup on failures, late children and cancellations from outside, checked against CPython 3.13's
 * asyncio.TaskGroup: each test quotes the Python program and what CPython prints (times relative to the program's
 * start), and runs the same program on a virtual clock.
 */
class TaskGroupCPythonTest {

    /*
     * async def bad(): await asyncio.sleep(1); raise ValueError("child")
     * async def slow(n):
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError: log(n, "cancelled", elapsed); raise
     * try:
     *     async with asyncio.TaskGroup() as tg:
     *         tg.create_task(bad()); tg.create_task(slow("s1"))
     *         try: await asyncio.sleep(5)
     *         except asyncio.CancelledError: log("body cancelled", current_task().cancelling())
     *         try: tg.create_task(slow("late")); log("late added")
     *         except RuntimeError as e: log("late refused:", e)
     *         raise KeyError("body")
     * except* ValueError as eg: log("eg values", [str(e) for e in eg.exceptions])
     * except* KeyError as eg: log("eg keys", [repr(e) for e in eg.exceptions])
     * log("after", current_task().cancelling())
     * CPython: s1 cancelled 1 | body cancelled 1 | late refused: TaskGroup ... is shutting down | eg values ['child']
     *          | eg keys [KeyError('body')] | after 0
     */
    @Test
    void aBodyThatRaisesAfterItsGroupFailed() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            try (var tg = new TaskGroup()) {
                tg.createTask(failingAfterASecond("child"));
                tg.createTask(slow("s1", seen));
                try {
                    Aio.sleep(5);
                } catch (TaskGroupException e) {
                    seen.add("body aborted " + Aio.currentTask().cancelling());
                }
                try {
                    tg.createTask(slow("late", seen));
                    seen.add("late added");
                } catch (IllegalStateException e) {
                    seen.add("late refused");
                }
                throw new java.util.NoSuchElementException("body");
            } catch (TaskGroupException eg) {
                seen.add("eg " + eg.exceptions().stream().map(Throwable::getMessage).toList());
            } catch (java.util.NoSuchElementException e) {
                seen.add("body error " + e.getMessage() + " with " + Arrays.stream(e.getSuppressed())
                        .map(s -> s instanceof TaskGroupException g ? "group "
                                + g.exceptions().stream().map(Throwable::getMessage).toList() : s.toString())
                        .toList());
            }
            seen.add("after " + Aio.currentTask().cancelling());
            return null;
        });
        // Two differences, both of Java's making: the abort thrown into the block is the group's TaskGroupException,
        // not a cancellation, and is not counted by cancelling() (asyncio's TaskGroup counts the cancel() it aborts
        // with, and withdraws it at its exit); and an exception the block throws leaves it as it is, the group's
        // errors attached to it by try-with-resources, where asyncio adds it to the group's ExceptionGroup.
        assertThat(seen).containsExactly("s1 cancelled", "body aborted 0", "late refused",
                "body error body with [group [child]]", "after 0");
    }

    /*
     * async def cleaner():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError:
     *         log("cleaner cancelled", elapsed)
     *         try: await asyncio.sleep(1); log("cleaner cleaned", elapsed)
     *         except asyncio.CancelledError: log("cleaner cancelled again", elapsed)
     *         raise
     * async def bad(): await asyncio.sleep(1); raise ValueError("child")
     * try:
     *     async with asyncio.TaskGroup() as tg:
     *         tg.create_task(cleaner()); tg.create_task(bad())
     *         await asyncio.sleep(5)
     * except* ValueError as eg: log("eg", [str(e) for e in eg.exceptions], elapsed)
     * CPython: cleaner cancelled 1.0 | cleaner cleaned 2.0 | eg ['child'] 2.0
     */
    @Test
    void theBlockLeftByItsGroupsFailureDoesNotCancelAChildCleaningUpAgain() throws Exception {
        // close() cancelled the tasks still running a second time although the failure had cancelled them already,
        // so a child awaiting in its clean-up lost it (asyncio's __aexit__ aborts only a group not aborting yet)
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    try {
                        Aio.sleep(10);
                    } catch (CancellationException e) {
                        seen.add("cleaner cancelled " + loop.time());
                        try {
                            Aio.sleep(1);
                            seen.add("cleaner cleaned " + loop.time());
                        } catch (CancellationException again) {
                            seen.add("cleaner cancelled again " + loop.time());
                        }
                        throw e;
                    }
                });
                tg.createTask(failingAfterASecond("child"));
                Aio.sleep(5);
                tg.join();
            } catch (TaskGroupException eg) {
                seen.add("eg " + eg.exceptions().stream().map(Throwable::getMessage).toList() + " " + loop.time());
            }
            return null;
        });
        assertThat(seen).containsExactly("cleaner cancelled 1.0", "cleaner cleaned 2.0", "eg [child] 2.0");
    }

    /*
     * async def body():
     *     try:
     *         async with asyncio.TaskGroup() as outer:
     *             outer.create_task(slow("o1"))
     *             try:
     *                 async with asyncio.TaskGroup() as inner:
     *                     inner.create_task(slow("i1")); await asyncio.sleep(10)
     *             except asyncio.CancelledError: log("inner block cancelled", current_task().cancelling()); raise
     *     except asyncio.CancelledError: log("outer block cancelled", current_task().cancelling()); raise
     * t = asyncio.create_task(body()); await asyncio.sleep(1); t.cancel("out")
     * try: await t
     * except asyncio.CancelledError as e: log("main", e.args, t.cancelling())
     * async def body2():
     *     async with asyncio.TaskGroup() as tg:
     *         tg.create_task(slow("c"))
     *         try: await asyncio.sleep(10)
     *         except asyncio.CancelledError: log("body2 swallowed", current_task().cancelling())
     *     log("body2 after group", current_task().cancelling()); await asyncio.sleep(0); log("body2 after sleep")
     * t = asyncio.create_task(body2()); await asyncio.sleep(1); t.cancel()
     * try: await t; log("t2 done")
     * except asyncio.CancelledError: log("main2 cancelled", t.cancelling())
     * (slow(n) logs n, "cancelled", current_task().cancelling() and re-raises)
     * CPython: i1 cancelled 1 | inner block cancelled 1 | o1 cancelled 1 | outer block cancelled 1 | main ('out',) 1
     *          | body2 swallowed 1 | body2 after group 1 | body2 after sleep | t2 done
     * An outside cancellation unwinds nested groups from the inside out; a block that swallows it still has its
     * group's children cancelled, and the task goes on, the request still counted.
     */
    @Test
    void nestedGroupsCancelledFromOutsideAndABlockThatSwallowsTheCancellation() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> {
                try (var outer = new TaskGroup()) {
                    outer.createTask(slowCounting("o1", seen));
                    try (var inner = new TaskGroup()) {
                        inner.createTask(slowCounting("i1", seen));
                        Aio.sleep(10);
                        inner.join();
                    } catch (CancellationException e) {
                        seen.add("inner block cancelled " + Aio.currentTask().cancelling());
                        throw e;
                    }
                    outer.join();
                } catch (CancellationException e) {
                    seen.add("outer block cancelled " + Aio.currentTask().cancelling());
                    throw e;
                }
            });
            Aio.sleep(1);
            t.cancel("out");
            try {
                t.await();
            } catch (CancellationException e) {
                seen.add("main " + e.getMessage() + " " + t.cancelling());
            }
            Task<Void> t2 = Aio.createTask(() -> {
                try (var tg = new TaskGroup()) {
                    tg.createTask(slowCounting("c", seen));
                    try {
                        Aio.sleep(10);
                    } catch (CancellationException e) {
                        seen.add("body2 swallowed " + Aio.currentTask().cancelling());
                    }
                    tg.join();
                }
                seen.add("body2 after group " + Aio.currentTask().cancelling());
                Aio.sleep(0);
                seen.add("body2 after sleep");
            });
            Aio.sleep(1);
            t2.cancel();
            try {
                t2.await();
                seen.add("t2 done");
            } catch (CancellationException e) {
                seen.add("main2 cancelled " + t2.cancelling());
            }
            return null;
        });
        assertThat(seen).containsExactly("i1 cancelled 1", "inner block cancelled 1", "o1 cancelled 1",
                "outer block cancelled 1", "main out 1", "body2 swallowed 1", "body2 after group 1",
                "body2 after sleep", "t2 done");
    }

    private static VoidCoroutine failingAfterASecond(String message) {
        return failingAfter(1, message);
    }

    private static VoidCoroutine failingAfter(double delay, String message) {
        return () -> {
            Aio.sleep(delay);
            throw new IllegalArgumentException(message);
        };
    }

    private static VoidCoroutine slow(String n, List<String> seen) {
        return () -> {
            try {
                Aio.sleep(10);
            } catch (CancellationException e) {
                seen.add(n + " cancelled");
                throw e;
            }
        };
    }

    private static VoidCoroutine slowCounting(String n, List<String> seen) {
        return () -> {
            try {
                Aio.sleep(10);
            } catch (CancellationException e) {
                seen.add(n + " cancelled " + Aio.currentTask().cancelling());
                throw e;
            }
        };
    }

    /*
     * async def bad(): await asyncio.sleep(1); raise ValueError("child")
     * try:
     *     async with asyncio.TaskGroup() as tg:
     *         tg.create_task(bad())
     *         try: await asyncio.sleep(5)
     *         except asyncio.CancelledError: log("body interrupted", elapsed)
     *         await asyncio.sleep(1); log("body slept on", elapsed, current_task().cancelling())
     * except* ValueError as eg: log("eg", [str(e) for e in eg.exceptions], elapsed)
     * log("after", current_task().cancelling())
     * CPython: body interrupted 1 | body slept on 2 1 | eg ['child'] 2 | after 0
     * A block that catches its group's abort goes on undisturbed; the group's errors come out at its end. (aio4j's
     * abort is the TaskGroupException, not counted by cancelling(), see aBodyThatRaisesAfterItsGroupFailed.)
     */
    @Test
    void aBlockThatCatchesItsGroupsAbortGoesOnAndTheErrorsComeOutAtItsEnd() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            double t0 = loop.time();
            try (var tg = new TaskGroup()) {
                tg.createTask(failingAfterASecond("child"));
                try {
                    Aio.sleep(5);
                } catch (TaskGroupException e) {
                    seen.add("body interrupted " + (loop.time() - t0));
                }
                Aio.sleep(1);
                seen.add("body slept on " + (loop.time() - t0) + " " + Aio.currentTask().cancelling());
                tg.join();
            } catch (TaskGroupException eg) {
                seen.add("eg " + eg.exceptions().stream().map(Throwable::getMessage).toList() + " "
                        + (loop.time() - t0));
            }
            seen.add("after " + Aio.currentTask().cancelling());
            return null;
        });
        assertThat(seen).containsExactly("body interrupted 1.0", "body slept on 2.0 0", "eg [child] 2.0", "after 0");
    }

    /*
     * async def child():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError: raise ValueError("cleanup")
     * async def after(tag):
     *     try: await asyncio.sleep(0); log(tag, "slept on", current_task().cancelling())
     *     except asyncio.CancelledError as e:
     *         log(tag, "re-cancelled at next suspension", e.args, current_task().cancelling())
     * async def body():
     *     try:
     *         async with asyncio.TaskGroup() as tg: tg.create_task(child()); await asyncio.sleep(10)
     *     except* ValueError as eg: log("eg", [str(e) for e in eg.exceptions], current_task().cancelling())
     *     await after("body")
     * t = create_task(body()); await asyncio.sleep(1); t.cancel("outside")
     * try: await t; log("t ended normally")
     * except asyncio.CancelledError: log("t cancelled")
     * async def body2():
     *     try:
     *         async with asyncio.timeout(1):
     *             async with asyncio.TaskGroup() as tg: tg.create_task(child()); await asyncio.sleep(10)
     *     except* ValueError as eg: log("eg2", [str(e) for e in eg.exceptions], current_task().cancelling())
     *     except* TimeoutError: log("timeout2")
     *     await after("body2"); await after("body2 again")
     * t = create_task(body2())
     * try: await t; log("t2 ended normally")
     * except asyncio.CancelledError: log("t2 cancelled")
     * CPython: eg ['cleanup'] 1 | body re-cancelled at next suspension () 1 | t ended normally | eg2 ['cleanup'] 0
     *          | body2 slept on 0 | body2 again slept on 0 | t2 ended normally
     * Errors of the children's clean-up win over the cancellation that unwound the group, which is raised again, with
     * no message, at the task's next suspension; over a timeout's expiry, which the timeout then withdraws, they win
     * for good. The exception that leaves the block differs, as TaskGroup and Timeout document (try-with-resources):
     * the cancellation or expiry unwinding it, carrying the group's TaskGroupException as suppressed, where asyncio
     * raises the ExceptionGroup in its place.
     */
    @Test
    void cleanUpErrorsWinOverAnOutsideCancellationWhichComesBackAndOverAnExpiryWhichDoesNot() throws Exception {
        List<String> seen = new ArrayList<>();
        VoidCoroutine child = () -> {
            try {
                Aio.sleep(10);
            } catch (CancellationException e) {
                throw new IllegalArgumentException("cleanup");
            }
        };
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> {
                try (var tg = new TaskGroup()) {
                    tg.createTask(child);
                    Aio.sleep(10);
                    tg.join();
                } catch (CancellationException e) {
                    seen.add("cancellation with " + Arrays.stream(e.getSuppressed()).map(s -> s instanceof
                            TaskGroupException g ? messages(g) : s.toString()).toList() + " "
                            + Aio.currentTask().cancelling());
                }
                after("body", seen);
            });
            Aio.sleep(1);
            t.cancel("outside");
            try {
                t.await();
                seen.add("t ended normally");
            } catch (CancellationException e) {
                seen.add("t cancelled");
            }
            Task<Void> t2 = Aio.createTask(() -> {
                try (var timeout = Aio.timeout(java.time.Duration.ofSeconds(1))) {
                    try (var tg = new TaskGroup()) {
                        tg.createTask(child);
                        Aio.sleep(10);
                        tg.join();
                    }
                } catch (TimeoutCancellationException e) {
                    seen.add("timeout2 " + e.isTimeout() + " with " + Arrays.stream(e.getSuppressed()).map(x -> x
                            instanceof TaskGroupException g ? messages(g) : x.toString()).toList() + " "
                            + Aio.currentTask().cancelling());
                }
                after("body2", seen);
                after("body2 again", seen);
            });
            try {
                t2.await();
                seen.add("t2 ended normally");
            } catch (CancellationException e) {
                seen.add("t2 cancelled");
            }
            return null;
        });
        assertThat(seen).containsExactly("cancellation with [[cleanup]] 1",
                "body re-cancelled at next suspension null 1", "t ended normally", "timeout2 true with [[cleanup]] 0",
                "body2 slept on 0", "body2 again slept on 0", "t2 ended normally");
    }

    private static List<String> messages(TaskGroupException eg) {
        return eg.exceptions().stream().map(Throwable::getMessage).toList();
    }

    private static void after(String tag, List<String> seen) {
        try {
            Aio.sleep(0);
            seen.add(tag + " slept on " + Aio.currentTask().cancelling());
        } catch (CancellationException e) {
            seen.add(tag + " re-cancelled at next suspension " + e.getMessage() + " "
                    + Aio.currentTask().cancelling());
        }
    }

    /*
     * async def child(n, d, spawn=None):
     *     await asyncio.sleep(d); log(n, "done", loop.time())
     *     if spawn:
     *         try: holder[0].create_task(child(spawn, 1)); log(n, "spawned", spawn)
     *         except RuntimeError: log(n, "spawn refused")
     * async with asyncio.TaskGroup() as tg:
     *     holder.append(tg); tg.create_task(child("a", 1, spawn="b")); log("body ends", loop.time())
     * log("group done", loop.time())
     * await asyncio.create_task(child("late", 0, spawn="x"))
     * async def bad(): await asyncio.sleep(0.5); raise ValueError("bad")
     * try:
     *     async with asyncio.TaskGroup() as tg:
     *         holder[0] = tg; tg.create_task(bad()); tg.create_task(child("c", 1, spawn="d"))
     * except* ValueError: log("eg", loop.time())
     * (CPython run on a virtual clock: asyncio.run(main(), loop_factory=VirtualLoop), cpython/virtual_clock_loop.py)
     * CPython: body ends 0.0 | a done 1.0 | a spawned b | b done 2.0 | group done 2.0 | late done 2.0
     *                         | late spawn refused | eg 2.5
     * A child may add a task to its group while the block waits at its end, and the group waits for it too; once the
     * group is done it takes none.
     */
    @Test
    void aChildAddsATaskWhileTheGroupWaitsAndNoneOnceItIsDone() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            TaskGroup[] holder = new TaskGroup[1];
            interface Child {
                VoidCoroutine of(String n, double d, String spawn);
            }
            Child[] child = new Child[1];
            child[0] = (n, d, spawn) -> () -> {
                Aio.sleep(d);
                seen.add(n + " done " + loop.time());
                if (spawn != null) {
                    try {
                        holder[0].createTask(child[0].of(spawn, 1, null));
                        seen.add(n + " spawned " + spawn);
                    } catch (IllegalStateException e) {
                        seen.add(n + " spawn refused");
                    }
                }
            };
            try (var tg = new TaskGroup()) {
                holder[0] = tg;
                tg.createTask(child[0].of("a", 1, "b"));
                seen.add("body ends " + loop.time());
                tg.join();
            }
            seen.add("group done " + loop.time());
            Aio.createTask(child[0].of("late", 0, "x")).await();
            try (var tg = new TaskGroup()) {
                holder[0] = tg;
                tg.createTask(failingAfter(0.5, "bad"));
                tg.createTask(child[0].of("c", 1, "d"));
                tg.join();
            } catch (TaskGroupException eg) {
                seen.add("eg " + loop.time());
            }
            return null;
        });
        assertThat(seen).containsExactly("body ends 0.0", "a done 1.0", "a spawned b", "b done 2.0", "group done 2.0",
                "late done 2.0", "late spawn refused", "eg 2.5");
    }
}
