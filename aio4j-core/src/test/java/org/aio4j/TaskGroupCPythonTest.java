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
        return () -> {
            Aio.sleep(1);
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
}
