package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Eager tasks ({@code loop.set_task_factory(asyncio.eager_task_factory)}, {@link EventLoop#setTaskFactory}) checked
 * against CPython 3.13.0's asyncio: each test quotes the Python program and what CPython prints, and runs the same
 * program on a virtual clock. {@code log} is {@code print}.
 */
class EagerTaskCPythonTest {

    /*
     * v = contextvars.ContextVar("v", default="unset"); seen = {}
     * async def a():
     *     seen["a"] = current_task()
     *     log("a step 1", v.get(), len(all_tasks()), seen["a"] in all_tasks())
     *     v.set("set by a"); await asyncio.sleep(0); log("a step 2", v.get())
     * async def b(): log("b step"); return 42
     * async def main():
     *     loop = get_running_loop(); log(loop.get_task_factory())
     *     loop.set_task_factory(asyncio.eager_task_factory); me = current_task(); v.set("main")
     *     ta = create_task(a()); log("created a", seen["a"] is ta, current_task() is me, v.get(), ta.done())
     *     tb = create_task(b()); log("created b", tb.done(), tb.result(), len(all_tasks()), tb in all_tasks())
     *     tb.add_done_callback(lambda t: log("b done callback")); log("callback added")
     *     await asyncio.sleep(0); log("main resumed"); await ta
     * CPython: None | a step 1 main 2 True | created a True True main False | b step | created b True 42 2 False
     *          | callback added | a step 2 set by a | b done callback | main resumed
     */
    @Test
    void theFirstStepRunsAsTheNewTaskInACopyOfTheCreatorsContextBeforeCreateTaskReturns() throws Exception {
        List<String> seen = new ArrayList<>();
        ContextVar<String> v = new ContextVar<>("v", "unset");
        AtomicReference<Task<?>> inA = new AtomicReference<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            seen.add(String.valueOf(loop.getTaskFactory()));
            loop.setTaskFactory(TaskFactory.EAGER);
            Task<?> me = Aio.currentTask();
            v.set("main");
            Task<Void> ta = Aio.createTask(() -> {
                inA.set(Aio.currentTask());
                seen.add("a step 1 " + v.get() + " " + Aio.allTasks().size() + " "
                        + Aio.allTasks().contains(Aio.currentTask()));
                v.set("set by a");
                Aio.sleep(0);
                seen.add("a step 2 " + v.get());
            });
            seen.add("created a " + (inA.get() == ta) + " " + (Aio.currentTask() == me) + " " + v.get() + " "
                    + ta.isDone());
            Task<Integer> tb = Aio.createTask(() -> {
                seen.add("b step");
                return 42;
            });
            seen.add("created b " + tb.isDone() + " " + tb.result() + " " + Aio.allTasks().size() + " "
                    + Aio.allTasks().contains(tb));
            tb.addDoneCallback(t -> seen.add("b done callback"));
            seen.add("callback added");
            Aio.sleep(0);
            seen.add("main resumed");
            ta.await();
            return null;
        });
        // get_task_factory() is None by default; here DEFAULT.
        assertThat(seen).containsExactly("DEFAULT", "a step 1 main 2 true", "created a true true main false",
                "b step", "created b true 42 2 false", "callback added", "a step 2 set by a", "b done callback",
                "main resumed");
    }

    /*
     * async def a(): log("a1"); await asyncio.sleep(0); log("a2")
     * async def b(): log("b1"); await asyncio.sleep(0); log("b2")
     * async def main():
     *     if eager: get_running_loop().set_task_factory(asyncio.eager_task_factory)
     *     t1 = create_task(a()); t2 = create_task(b()); log("main")
     *     await asyncio.gather(t1, t2); log("end")
     * CPython, eager: a1 | b1 | main | a2 | b2 | end
     * CPython, lazy:  main | a1 | b1 | a2 | b2 | end
     */
    @Test
    void eagerTasksRunTheirFirstStepsBeforeTheCreatorGoesOnAndLazyOnesAfter() throws Exception {
        assertThat(twoTasks(TaskFactory.EAGER)).containsExactly("a1", "b1", "main", "a2", "b2", "end");
        assertThat(twoTasks(TaskFactory.DEFAULT)).containsExactly("main", "a1", "b1", "a2", "b2", "end");
    }

    private static List<String> twoTasks(TaskFactory factory) throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Aio.getRunningLoop().setTaskFactory(factory);
            Task<Void> t1 = Aio.createTask(() -> {
                seen.add("a1");
                Aio.sleep(0);
                seen.add("a2");
            });
            Task<Void> t2 = Aio.createTask(() -> {
                seen.add("b1");
                Aio.sleep(0);
                seen.add("b2");
            });
            seen.add("main");
            Aio.gather(t1, t2).await();
            seen.add("end");
            return null;
        });
        return seen;
    }

    /*
     * async def boom(): log("boom step"); raise ValueError("x")
     * async def waiter(fut): log("waiter awaits a done future"); r = await fut; log("waiter got", r); return r
     * async def slow():
     *     log("slow step 1")
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError as e: log("slow cancelled", e.args); raise
     * async def main():
     *     loop = get_running_loop(); loop.set_task_factory(asyncio.eager_task_factory)
     *     t = create_task(boom()); log("created boom", t.done(), repr(t.exception()))
     *     f = loop.create_future(); f.set_result(7)
     *     w = create_task(waiter(f)); log("created waiter", w.done(), w.result())
     *     s = create_task(slow()); log("created slow", s.done(), s.cancel("stop"))
     *     try: await s
     *     except asyncio.CancelledError as e: log("main: slow", s.cancelled(), e.args)
     *     create_task(boom()); log("end")
     * CPython: boom step | created boom True ValueError('x') | waiter awaits a done future | waiter got 7
     *          | created waiter True 7 | slow step 1 | created slow False True | slow cancelled ('stop',)
     *          | main: slow True ('stop',) | boom step | end
     *          then "Task exception was never retrieved ... ValueError: x" for the second boom.
     */
    @Test
    void aStepThatFailsOrAwaitsADoneFutureEndsTheTaskAndOneThatSuspendsIsCancelledThere() throws Exception {
        List<String> seen = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        TestLoops.runVirtual(errors, () -> {
            EventLoop loop = Aio.getRunningLoop();
            loop.setTaskFactory(TaskFactory.EAGER);
            Coroutine<Void> boom = () -> {
                seen.add("boom step");
                throw new IllegalArgumentException("x");
            };
            Task<Void> t = Aio.createTask(boom);
            seen.add("created boom " + t.isDone() + " " + t.exception());
            Future<Integer> f = loop.createFuture();
            f.setResult(7);
            Task<Integer> w = Aio.createTask(() -> {
                seen.add("waiter awaits a done future");
                int r = f.await();
                seen.add("waiter got " + r);
                return r;
            });
            seen.add("created waiter " + w.isDone() + " " + w.result());
            Task<Void> s = Aio.createTask(() -> {
                seen.add("slow step 1");
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    seen.add("slow cancelled " + e.getMessage());
                    throw e;
                }
            });
            seen.add("created slow " + s.isDone() + " " + s.cancel("stop"));
            try {
                s.await();
            } catch (CancellationException e) {
                seen.add("main: slow " + s.isCancelled() + " " + e.getMessage());
            }
            Aio.createTask(boom, "boom2");
            seen.add("end");
            return null;
        });
        assertThat(seen).containsExactly("boom step", "created boom true java.lang.IllegalArgumentException: x",
                "waiter awaits a done future", "waiter got 7", "created waiter true 7", "slow step 1",
                "created slow false true", "slow cancelled stop", "main: slow true stop", "boom step", "end");
        // Never retrieved: reported when the loop closes (CPython: when the task is collected).
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.message()).contains("exception was never retrieved");
            assertThat(e.exception()).hasMessage("x");
            assertThat(e.future()).asString().contains("boom2");
        });
    }

    /*
     * v = contextvars.ContextVar("v", default="unset")
     * async def child(n):
     *     log(n, "step 1", v.get(), current_task().get_coro().__name__); await asyncio.sleep(0); log(n, "step 2")
     * async def quick(n): log(n, "quick"); return n
     * def cb(loop):
     *     v.set("cb"); t = loop.create_task(child("c")); log("cb: current", current_task(), t.done())
     *     q = loop.create_task(quick("q")); log("cb: q", q.done(), q.result())
     * async def main():
     *     loop = get_running_loop(); loop.set_task_factory(asyncio.eager_task_factory)
     *     loop.call_soon(cb, loop); await asyncio.sleep(0); log("main resumed"); await asyncio.sleep(0)
     *     log("main end")
     * CPython: c step 1 cb child | cb: current None False | q quick | cb: q True q | main resumed | c step 2
     *          | main end
     */
    @Test
    void aCallbackStartsATaskEagerlyAndIsNoTaskBeforeOrAfter() throws Exception {
        List<String> seen = new ArrayList<>();
        ContextVar<String> v = new ContextVar<>("v", "unset");
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            loop.setTaskFactory(TaskFactory.EAGER);
            loop.callSoon(() -> {
                v.set("cb");
                Task<Void> t = loop.createTask(() -> {
                    seen.add("c step 1 " + v.get() + " " + (Aio.currentTask() != null));
                    Aio.sleep(0);
                    seen.add("c step 2");
                });
                seen.add("cb: current " + loop.currentTask() + " " + t.isDone());
                Task<String> q = loop.createTask(() -> {
                    seen.add("q quick");
                    return "q";
                });
                seen.add("cb: q " + q.isDone() + " " + q.result());
            });
            Aio.sleep(0);
            seen.add("main resumed");
            Aio.sleep(0);
            seen.add("main end");
            return null;
        });
        assertThat(seen).containsExactly("c step 1 cb true", "cb: current null false", "q quick", "cb: q true q",
                "main resumed", "c step 2", "main end");
    }

    /*
     * async def a(): current_task().cancel("self"); log("a returns")
     * async def b():
     *     current_task().cancel("self")
     *     try: await asyncio.sleep(1)
     *     except asyncio.CancelledError as e: log("b cancelled", e.args); raise
     * async def outer(main_fut):
     *     me = current_task()
     *     async def inner(): log("inner cancels outer", me.cancel("by inner"))
     *     create_task(inner()); log("outer goes on", me.cancelling())
     *     try: await main_fut
     *     except asyncio.CancelledError as e: log("outer cancelled", e.args, main_fut.cancelled()); raise
     * async def main():
     *     get_running_loop().set_task_factory(asyncio.eager_task_factory)
     *     ta = create_task(a()); log("a", ta.done(), ta.cancelled())
     *     tb = create_task(b()); log("b", tb.done())
     *     f = get_running_loop().create_future(); o = create_task(outer(f)); log("o", o.done())
     *     for t in (tb, o):
     *         try: await t
     *         except asyncio.CancelledError: log("main:", t.cancelled())
     * Expected from 3.13's Task.__step: a cancel() of the task running its eager step (by itself, or by a task its
     * step starts eagerly) is pending (_must_cancel): the task ends cancelled if its step returns, and otherwise its
     * next await cancels what it awaits and raises there.
     * a returns | a True True | b False | inner cancels outer True | outer goes on 1 | o False | b cancelled ('self',)
     * | outer cancelled ('by inner',) True | main: True | main: True
     */
    @Test
    void aCancelRequestedDuringTheEagerStepTakesEffectWhereTheTaskNextWaitsOrEnds() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            loop.setTaskFactory(TaskFactory.EAGER);
            Task<Void> a = Aio.createTask(() -> {
                Aio.currentTask().cancel("self");
                seen.add("a returns");
            });
            seen.add("a " + a.isDone() + " " + a.isCancelled());
            Task<Void> b = Aio.createTask(() -> {
                Aio.currentTask().cancel("self");
                try {
                    Aio.sleep(1);
                } catch (CancellationException e) {
                    seen.add("b cancelled " + e.getMessage());
                    throw e;
                }
            });
            seen.add("b " + b.isDone());
            Future<Void> f = loop.createFuture();
            Task<Void> o = Aio.createTask(() -> {
                Task<?> me = Aio.currentTask();
                Aio.createTask(() -> {
                    seen.add("inner cancels outer " + me.cancel("by inner"));
                });
                seen.add("outer goes on " + me.cancelling());
                try {
                    f.await();
                } catch (CancellationException e) {
                    seen.add("outer cancelled " + e.getMessage() + " " + f.isCancelled());
                    throw e;
                }
            });
            seen.add("o " + o.isDone());
            for (Task<Void> t : List.of(b, o)) {
                try {
                    t.await();
                } catch (CancellationException e) {
                    seen.add("main: " + t.isCancelled());
                }
            }
            return null;
        });
        assertThat(seen).containsExactly("a returns", "a true true", "b false", "inner cancels outer true",
                "outer goes on 1", "o false", "b cancelled self", "outer cancelled by inner true", "main: true",
                "main: true");
    }

    /*
     * async def child(n): log(n, "step 1"); await asyncio.sleep(0); log(n, "step 2")
     * async def quick(n): log(n, "quick"); return n
     * async def bad(): log("bad step"); raise ValueError("eager failure")
     * async def main():
     *     get_running_loop().set_task_factory(asyncio.eager_task_factory)
     *     async with asyncio.TaskGroup() as tg:
     *         tg.create_task(child("g1")); q = tg.create_task(quick("g2")); log("g2", q.done()); log("body end")
     *     log("group done")
     *     try:
     *         async with asyncio.TaskGroup() as tg:
     *             tg.create_task(bad())
     *             try: tg.create_task(quick("late")); log("late added")
     *             except RuntimeError as e: log("late refused")
     *             try: await asyncio.sleep(0); log("slept")
     *             except asyncio.CancelledError: log("body aborted"); raise
     *     except* ValueError as eg: log("eg", [str(e) for e in eg.exceptions])
     * CPython: g1 step 1 | g2 quick | g2 True | body end | g1 step 2 | group done | bad step | late refused
     *          | body aborted | eg ['eager failure']
     * A child that fails in its eager step aborts the group before create_task returns (asyncio's TaskGroup takes a
     * task done at creation in at once): the next create_task is refused, the next suspension aborted.
     */
    @Test
    void aTaskGroupTakesInAChildDoneInItsEagerStepAtOnce() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    seen.add("g1 step 1");
                    Aio.sleep(0);
                    seen.add("g1 step 2");
                });
                Task<String> q = tg.createTask(quick("g2", seen));
                seen.add("g2 " + q.isDone());
                seen.add("body end");
                tg.join();
            }
            seen.add("group done");
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    seen.add("bad step");
                    throw new IllegalArgumentException("eager failure");
                });
                try {
                    tg.createTask(quick("late", seen));
                    seen.add("late added");
                } catch (IllegalStateException e) {
                    seen.add("late refused");
                }
                try {
                    Aio.sleep(0);
                    seen.add("slept");
                } catch (TaskGroupException e) {
                    seen.add("body aborted");
                    throw e;
                }
                tg.join();
            } catch (TaskGroupException eg) {
                seen.add("eg " + eg.exceptions().stream().map(Throwable::getMessage).toList());
            }
            return null;
        });
        assertThat(seen).containsExactly("g1 step 1", "g2 quick", "g2 true", "body end", "g1 step 2", "group done",
                "bad step", "late refused", "body aborted", "eg [eager failure]");
    }

    /*
     * async def main():
     *     get_running_loop().set_task_factory(asyncio.eager_task_factory)
     *     try:
     *         async with asyncio.TaskGroup() as tg:
     *             async def child():
     *                 tg.create_task(bad())          # fails in its eager step: aborts the group
     *                 try: await asyncio.sleep(1000); log("slept through")
     *                 except asyncio.CancelledError: log("child cancelled"); raise
     *             tg.create_task(child()); log("created")
     *     except* ValueError as eg: log("eg", len(eg.exceptions), loop.time() - t0)
     * CPython (with gh-155418): created | child cancelled | eg 1 0.0
     * The group is aborted during child's eager step, before create_task has made child a member: abort() cannot
     * cancel it, so create_task does once it has (CPython 3.13.0 did not, and the group waited 1000 s for it).
     */
    @Test
    void aGroupAbortedDuringAChildsEagerStepCancelsThatChildToo() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    tg.createTask(() -> {
                        throw new IllegalArgumentException("bad");
                    });
                    try {
                        Aio.sleep(1000);
                        seen.add("slept through");
                    } catch (CancellationException e) {
                        seen.add("child cancelled");
                        throw e;
                    }
                });
                seen.add("created");
                tg.join();
            } catch (TaskGroupException e) {
                seen.add("eg " + e.exceptions().size() + " " + Aio.getRunningLoop().time());
            }
            return null;
        });
        assertThat(seen).containsExactly("created", "child cancelled", "eg 1 0.0");
    }

    private static Coroutine<String> quick(String n, List<String> seen) {
        return () -> {
            seen.add(n + " quick");
            return n;
        };
    }

    /*
     * async def inner(): log("inner step 1"); await asyncio.sleep(0); log("inner step 2")
     * async def outer():
     *     log("outer step 1"); t = create_task(inner()); log("outer: inner created", t.done())
     *     await asyncio.sleep(0); log("outer step 2"); await t
     * async def main():
     *     get_running_loop().set_task_factory(asyncio.eager_task_factory)
     *     o = create_task(outer()); log("main: outer created", o.done()); await o; log("end")
     * CPython: outer step 1 | inner step 1 | outer: inner created False | main: outer created False | inner step 2
     *          | outer step 2 | end
     */
    @Test
    void anEagerStepThatCreatesAnEagerTaskGetsTheLoopBackBeforeItsCreatorDoes() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            Task<?> main = Aio.currentTask();
            Task<Void> o = Aio.createTask(() -> {
                seen.add("outer step 1");
                Task<?> outer = Aio.currentTask();
                Task<Void> t = Aio.createTask(() -> {
                    seen.add("inner step 1 " + (Aio.currentTask().parent() == outer));
                    Aio.sleep(0);
                    seen.add("inner step 2");
                });
                seen.add("outer: inner created " + t.isDone() + " " + (Aio.currentTask() == outer));
                Aio.sleep(0);
                seen.add("outer step 2");
                t.await();
            });
            seen.add("main: outer created " + o.isDone() + " " + (Aio.currentTask() == main));
            o.await();
            seen.add("end");
            return null;
        });
        assertThat(seen).containsExactly("outer step 1", "inner step 1 true", "outer: inner created false true",
                "main: outer created false true", "inner step 2", "outer step 2", "end");
    }

    /*
     * async def main():
     *     get_running_loop().set_task_factory(asyncio.eager_task_factory)
     *     r = await asyncio.gather(a(), b())            # a, b: log, sleep(0), log, return
     *     log(r); log(await asyncio.wait_for(quick(), 0))
     * CPython: a1 | b1 | a2 | b2 | ['a', 'b'] | quick | q
     * gather() wraps coroutines in tasks with create_task, so they start eagerly; so does wait_for(coro, 0), whose
     * task, done at once, gives its result where a lazy one would time out.
     */
    @Test
    void gatherAndAZeroWaitForOfCoroutinesStartTheirTasksEagerly() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            Coroutine<String> a = () -> {
                seen.add("a1");
                Aio.sleep(0);
                seen.add("a2");
                return "a";
            };
            Coroutine<String> b = () -> {
                seen.add("b1");
                Aio.sleep(0);
                seen.add("b2");
                return "b";
            };
            seen.add(String.valueOf(Aio.gather(a, b).await()));
            seen.add(Aio.waitFor(quick("q", seen), java.time.Duration.ZERO));
            return null;
        });
        assertThat(seen).containsExactly("a1", "b1", "a2", "b2", "[a, b]", "q quick", "q");
    }

    /*
     * async def e(n, fut=None):
     *     log(n, "step 1"); await asyncio.sleep(0); log(n, "step 2")
     *     if fut: fut.set_result(n)
     * async def x(): log("x step 1"); await asyncio.sleep(0); log("x ends")
     * async def main(loop):
     *     log("main"); done = loop.create_future(); t = asyncio.create_task(x())
     *     t.add_done_callback(lambda _: (log("x done callback"), loop.create_task(e("from x callback", done)),
     *                                    log("callback returns")))
     *     log("main got", await done)
     * loop = asyncio.new_event_loop(); loop.set_task_factory(asyncio.eager_task_factory)
     * loop.call_soon(lambda: (log("early callback"), loop.create_task(e("from early callback")),
     *                         log("early callback returns")))
     * m = loop.create_task(main(loop)); log("created main", m.done()); loop.run_until_complete(m)
     * CPython: created main False | early callback | from early callback step 1 | early callback returns | main
     *          | x step 1 | from early callback step 2 | x ends | x done callback | from x callback step 1
     *          | callback returns | from x callback step 2 | main got from x callback
     * A loop not running yet starts no task eagerly (asyncio's Task(eager_start=True) starts eagerly only if
     * loop.is_running()); once it runs, a callback does, whichever thread runs it: here the one running the loop, then
     * the thread of the task x, whose end runs its done callback.
     */
    @Test
    void aTaskCreatedBeforeTheLoopRunsStartsInItsFirstTurnAndCallbacksOfAnyThreadStartTasksEagerly()
            throws Exception {
        List<String> seen = new ArrayList<>();
        List<Boolean> ranOn = new ArrayList<>(); // the driver, then x's thread
        try (var loop = EventLoop.builder().virtualTime().build()) {
            loop.setTaskFactory(TaskFactory.EAGER);
            Thread driver = Thread.currentThread();
            loop.callSoon(() -> {
                ranOn.add(Thread.currentThread() == driver);
                seen.add("early callback");
                loop.createTask(e("from early callback", null, seen));
                seen.add("early callback returns");
            });
            Task<String> m = loop.createTask(() -> {
                seen.add("main");
                Future<String> done = loop.createFuture();
                Task<Void> t = Aio.createTask(() -> {
                    seen.add("x step 1");
                    Aio.sleep(0);
                    seen.add("x ends");
                });
                t.addDoneCallback(f -> {
                    ranOn.add(Thread.currentThread() == t.thread);
                    seen.add("x done callback");
                    loop.createTask(e("from x callback", done, seen));
                    seen.add("callback returns");
                });
                seen.add("main got " + done.await());
                return null;
            });
            seen.add("created main " + m.isDone());
            loop.runUntilComplete(m);
        }
        assertThat(seen).containsExactly("created main false", "early callback", "from early callback step 1",
                "early callback returns", "main", "x step 1", "from early callback step 2", "x ends",
                "x done callback", "from x callback step 1", "callback returns", "from x callback step 2",
                "main got from x callback");
        assertThat(ranOn).containsExactly(true, true);
    }

    private static Coroutine<Void> e(String n, Future<String> fut, List<String> seen) {
        return () -> {
            seen.add(n + " step 1");
            Aio.sleep(0);
            seen.add(n + " step 2");
            if (fut != null) {
                fut.setResult(n);
            }
            return null;
        };
    }

    // ---- what aio4j adds: diagnostics, deadlocks, close, tracing, a dedicated carrier

    @Test
    void aDumpTakenInAnEagerStepShowsItsCreatorStartingIt() throws Exception {
        AtomicReference<String> dump = new AtomicReference<>();
        TestLoops.runVirtual(() -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            Aio.createTask(() -> {
                dump.set(Aio.getRunningLoop().dumpTasks());
            }, "starter").await();
            return null;
        });
        assertThat(dump.get()).contains("Task-1 waits on nothing (running; starting task starter eagerly)")
                .contains("starter waits on nothing (running)");
    }

    @Test
    void anEagerTaskWaitingForEverIsInTheDeadlockReport() {
        assertThatThrownBy(() -> Aio.run(() -> EventLoop.builder().virtualTime().build(), () -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            Future<Void> never = Aio.getRunningLoop().createFuture();
            Task<Void> stuck = Aio.createTask(() -> never.await(), "stuck");
            return stuck.await();
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("stuck waits on Future[pending]")
                .hasMessageContaining("EagerTaskCPythonTest.java");
    }

    @Test
    void aLoopClosedWithAnEagerTaskPendingCancelsItAndRunsItsFinallyBlocks() throws Exception {
        List<String> seen = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        loop.runUntilComplete(() -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } finally {
                    seen.add("finally of a task left pending");
                }
            }, "left");
            seen.add("main ends");
            return null;
        });
        loop.close();
        assertThat(seen).containsExactly("main ends", "finally of a task left pending");
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.message()).startsWith("Task was still pending when its event loop closed");
            assertThat(e.future()).asString().contains("left");
        });
    }

    @Test
    void theTimelineShowsTheCreatorsStepEndedAroundTheEagerStep() throws Exception {
        var loop = EventLoop.builder().virtualTime().build();
        Timeline timeline = loop.recordTimeline();
        loop.runUntilComplete(loop.createTask(() -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            Task<Void> e = Aio.createTask(() -> Aio.sleep(1), "eager");
            Aio.createTask(() -> { }, "done-at-once");
            e.await();
            return null;
        }, "main"));
        loop.close();
        String json = timeline.toChromeTraceJson();
        List<String> steps = new ArrayList<>();
        var trace = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
        for (var ev : trace.getAsJsonArray("traceEvents")) {
            var o = ev.getAsJsonObject();
            String name = o.get("name").getAsString();
            if (o.get("ph").getAsString().equals("X") && name.matches("(main|eager|done-at-once)( \\(end\\))?")) {
                steps.add(name);
            }
        }
        // main's first step is cut in three by the two eager steps; its second is after its await of "eager".
        assertThat(steps).containsExactly("main", "eager", "main", "done-at-once (end)", "main", "eager (end)",
                "main (end)");
    }

    @Test
    void eagerStartsWorkOnADedicatedCarrier() throws Exception {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().dedicatedCarrier(true).build()) {
            loop.runUntilComplete(() -> {
                Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
                List<Task<Integer>> tasks = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    int n = i;
                    tasks.add(Aio.createTask(() -> {
                        seen.add("start " + n);
                        if (n % 2 == 0) {
                            Aio.sleep(0);
                        }
                        return n;
                    }));
                }
                seen.add("created");
                int sum = 0;
                for (Task<Integer> t : tasks) {
                    sum += t.await();
                }
                seen.add("sum " + sum);
                return null;
            });
        }
        assertThat(seen).hasSize(102).startsWith("start 0", "start 1").endsWith("created", "sum 4950");
    }
}
