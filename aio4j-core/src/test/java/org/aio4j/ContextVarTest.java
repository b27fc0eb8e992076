package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * {@link ContextVar} and {@link Context}, Python's {@code contextvars} as asyncio uses them: which values each task,
 * callback and offloaded call sees, and the rules of {@code set}/{@code reset}/{@code run}. The expected values are
 * what CPython 3.13 gives for the same programs.
 */
class ContextVarTest {

    private static final ContextVar<String> REQUEST = new ContextVar<>("request");
    private static final ContextVar<Integer> DEPTH = new ContextVar<>("depth", 0);

    @Test
    void getWithoutAValueGivesTheDefaultTheFallbackOrANamedError() throws Exception {
        TestLoops.runVirtual(() -> {
            assertThat(DEPTH.get()).isZero();
            assertThat(DEPTH.get(7)).as("get(fallback) prefers the fallback to the default").isEqualTo(7);
            assertThat(REQUEST.get("none")).isEqualTo("none");
            assertThatThrownBy(REQUEST::get).isInstanceOf(NoSuchElementException.class)
                    .hasMessage("ContextVar 'request' has no value in the current context and no default");
            REQUEST.set(null);
            assertThat(REQUEST.get()).as("null is a value").isNull();
            assertThat(REQUEST.get("none")).isNull();
            return null;
        });
    }

    @Test
    void resetGivesBackThePreviousValueOnceAndOnlyInItsContext() throws Exception {
        TestLoops.runVirtual(() -> {
            ContextVar.Token<String> first = REQUEST.set("a");
            assertThat(first.hasOldValue()).isFalse();
            assertThatThrownBy(first::oldValue).isInstanceOf(NoSuchElementException.class);
            ContextVar.Token<String> second = REQUEST.set("b");
            assertThat(second.oldValue()).isEqualTo("a");
            assertThat(second.var()).isSameAs(REQUEST);
            REQUEST.reset(second);
            assertThat(REQUEST.get()).isEqualTo("a");
            assertThatThrownBy(() -> REQUEST.reset(second)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("has already been used once");
            var other = new ContextVar<String>("other");
            assertThatThrownBy(() -> other.reset(first)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("created by a different ContextVar");
            Task<Void> elsewhere = Aio.createTask(() -> REQUEST.reset(first));
            Aio.gatherWithExceptions(elsewhere).await();
            assertThat(elsewhere.exception()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("created in a different Context");
            REQUEST.reset(first);
            assertThat(REQUEST.get("unset")).isEqualTo("unset");
            assertThatThrownBy(() -> REQUEST.reset(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("token must not be null");
            return null;
        });
    }

    @Test
    void aUsedTokenIsRefusedAsUsedWhicheverVariableOrContextResetsIt() throws Exception {
        TestLoops.runVirtual(() -> {
            ContextVar.Token<String> token = REQUEST.set("a");
            REQUEST.reset(token);
            var other = new ContextVar<String>("other");
            assertThatThrownBy(() -> other.reset(token)).as("CPython checks the use before the variable")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("has already been used once");
            Task<Void> elsewhere = Aio.createTask(() -> REQUEST.reset(token));
            Aio.gatherWithExceptions(elsewhere).await();
            assertThat(elsewhere.exception()).as("and before the context")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("has already been used once");
            return null;
        });
    }

    @Test
    void aTokenClosedByTryWithResourcesResetsTheVariable() throws Exception {
        TestLoops.runVirtual(() -> {
            DEPTH.set(1);
            try (var _ = DEPTH.set(2)) {
                assertThat(DEPTH.get()).isEqualTo(2);
            }
            assertThat(DEPTH.get()).isEqualTo(1);
            return null;
        });
    }

    @Test
    void aTaskStartsWithItsCreatorsValuesAndKeepsItsOwnChangesToItself() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            REQUEST.set("parent");
            Task<Void> child = Aio.createTask(() -> {
                seen.add("child sees " + REQUEST.get());
                REQUEST.set("child");
                Aio.sleep(1);
                seen.add("child still sees " + REQUEST.get());
                Task<Boolean> grandchild = Aio.createTask(() -> seen.add("grandchild sees " + REQUEST.get()));
                grandchild.await();
            });
            REQUEST.set("parent, after creating the child");
            Task<Void> sibling = Aio.createTask(() -> {
                Aio.sleep(0.5);
                seen.add("sibling sees " + REQUEST.get());
            });
            Aio.gather(child, sibling).await();
            seen.add("parent sees " + REQUEST.get());
            seen.add("child's context holds " + child.getContext().get(REQUEST));
            return null;
        });
        assertThat(seen).containsExactly(
                "child sees parent",
                "sibling sees parent, after creating the child",
                "child still sees child",
                "grandchild sees child",
                "parent sees parent, after creating the child",
                "child's context holds child");
    }

    @Test
    void theMainTaskOfAioRunCopiesTheCallingThreadsContext() throws Exception {
        try (var _ = REQUEST.set("outside")) {
            String seen = TestLoops.runVirtual(() -> {
                String before = REQUEST.get();
                REQUEST.set("inside");
                return before;
            });
            assertThat(seen).isEqualTo("outside");
            assertThat(REQUEST.get()).as("the main task's set stays in its copy").isEqualTo("outside");
        }
        assertThat(REQUEST.get("unset")).isEqualTo("unset");
    }

    @Test
    void callbacksRunInACopyOfTheContextThatScheduledThem() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            REQUEST.set("at callSoon");
            loop.callSoon(() -> {
                seen.add("callSoon: " + REQUEST.get());
                REQUEST.set("set in a callback");
            });
            REQUEST.set("at callLater");
            loop.callLater(0.5, () -> seen.add("callLater: " + REQUEST.get()));
            REQUEST.set("at callAt");
            loop.callAt(loop.time() + 0.6, () -> seen.add("callAt: " + REQUEST.get()));
            Future<String> f = loop.createFuture();
            REQUEST.set("at addDoneCallback");
            f.addDoneCallback(done -> seen.add("done-callback: " + REQUEST.get()));
            REQUEST.set("at setResult");
            Aio.sleep(1);
            f.setResult("x");
            Aio.sleep(0);
            Aio.sleep(0);
            seen.add("task: " + REQUEST.get());
            return null;
        });
        assertThat(seen).containsExactly(
                "callSoon: at callSoon",
                "callLater: at callLater",
                "callAt: at callAt",
                "done-callback: at addDoneCallback",
                "task: at setResult");
    }

    @Test
    void callbacksScheduledWithoutValuesSeeNoneEvenAfterOneThatSetSome() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            loop.callSoon(() -> REQUEST.set("leaked?"));
            loop.callSoon(() -> seen.add("next callback: " + REQUEST.get("unset")));
            Aio.sleep(0);
            seen.add("task: " + REQUEST.get("unset"));
            return null;
        });
        assertThat(seen).containsExactly("next callback: unset", "task: unset");
    }

    @Test
    void aDoneCallbackAddedWithValuesCanStillBeRemoved() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            REQUEST.set("r");
            java.util.function.Consumer<Future<String>> cb = done -> seen.add("ran");
            f.addDoneCallback(cb);
            f.addDoneCallback(cb);
            assertThat(f.removeDoneCallback(cb)).isEqualTo(2);
            f.setResult("x");
            Aio.sleep(0);
            return null;
        });
        assertThat(seen).isEmpty();
    }

    @Test
    void toThreadRunsTheCallInACopyOfTheCallersContext() throws Exception {
        TestLoops.runVirtual(() -> {
            REQUEST.set("task");
            String inThread = Aio.toThread(() -> {
                String before = REQUEST.get();
                REQUEST.set("thread");
                return before + " then " + REQUEST.get();
            });
            assertThat(inThread).isEqualTo("task then thread");
            assertThat(REQUEST.get()).isEqualTo("task");
            assertThat(Aio.getRunningLoop().runInExecutor(null, () -> REQUEST.get("unset")).await())
                    .as("run_in_executor does not pass the context on, in asyncio either").isEqualTo("unset");
            return null;
        });
    }

    @Test
    void callSoonThreadsafeAndRunCoroutineThreadsafeCarryTheSubmittingThreadsValues() throws Exception {
        try (var background = new BackgroundLoop("context-threadsafe")) {
            EventLoop loop = background.loop();
            var fromCallback = new CompletableFuture<String>();
            CompletableFuture<String> fromTask;
            try (var _ = REQUEST.set("submitter")) {
                loop.callSoonThreadsafe(() -> fromCallback.complete(REQUEST.get("unset")));
                fromTask = loop.runCoroutineThreadsafe(() -> REQUEST.get("unset"));
            }
            assertThat(fromCallback.get(30, TimeUnit.SECONDS)).isEqualTo("submitter");
            assertThat(fromTask.get(30, TimeUnit.SECONDS)).isEqualTo("submitter");
        }
    }

    @Test
    void contextRunSwitchesTheTasksContextEvenAcrossSuspensions() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            REQUEST.set("task");
            Context ctx = new Context();
            Task<Void> other = Aio.createTask(() -> {
                Aio.sleep(0);
                seen.add("other task: " + REQUEST.get());
            });
            String result = ctx.run(() -> {
                seen.add("in run: " + REQUEST.get("unset"));
                REQUEST.set("in ctx");
                Aio.sleep(0); // the other task runs meanwhile, in its own context
                Task<String> child = Aio.createTask(() -> REQUEST.get());
                return child.await();
            });
            seen.add("child created in run: " + result);
            seen.add("after run: " + REQUEST.get());
            seen.add("ctx keeps: " + ctx.get(REQUEST) + ", size " + ctx.size() + ", " + ctx.containsKey(DEPTH));
            other.await();
            return null;
        });
        assertThat(seen).containsExactly(
                "in run: unset",
                "other task: task",
                "child created in run: in ctx",
                "after run: task",
                "ctx keeps: in ctx, size 1, false");
    }

    @Test
    void aContextCannotBeEnteredTwice() throws Exception {
        TestLoops.runVirtual(() -> {
            Context ctx = Context.copyContext();
            ctx.run(() -> assertThatThrownBy(() -> ctx.run(() -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already entered"));
            Context own = Aio.currentTask().getContext();
            assertThatThrownBy(() -> own.run(() -> { })).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is the current context");
            assertThatThrownBy(() -> ctx.run((Runnable) null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("body must not be null");
            ctx.run(() -> { }); // still usable after the refusals
            return null;
        });
    }

    @Test
    void aRunningTasksOwnContextCannotBeEnteredFromInsideAnotherRunNorByAnEagerChild() throws Exception {
        TestLoops.runVirtual(() -> {
            Context own = Aio.currentTask().getContext();
            Context other = new Context();
            other.run(() -> assertThatThrownBy(() -> own.run(() -> { })).as("asyncio enters it for the whole step")
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("it is the context of task 'Task-1', which is running"));
            Task<Void> suspended = Aio.createTask(() -> Aio.sleep(1), "suspended");
            Aio.sleep(0);
            Context ofSuspended = suspended.getContext();
            ofSuspended.run(() -> REQUEST.set("set from outside"));
            assertThat(ofSuspended.get(REQUEST)).as("a suspended task's context is not entered").isEqualTo(
                    "set from outside");
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            Task<Void> eager = Aio.createTask(() -> {
                assertThatThrownBy(() -> own.run(() -> { })).as("the creator is in its step")
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("it is the context of task 'Task-1', which is running");
                Aio.sleep(0);
                own.run(() -> REQUEST.set("set by the child")); // the creator's step has ended
            });
            Aio.getRunningLoop().setTaskFactory(TaskFactory.DEFAULT);
            assertThat(eager.isDone()).isFalse();
            Aio.sleep(0);
            eager.await();
            assertThat(REQUEST.get()).isEqualTo("set by the child");
            suspended.cancel();
            return null;
        });
    }

    /**
     * Another thread may not enter the own context of a task that is not done, in its step or between steps: asyncio
     * refuses it during the task's steps ("cannot enter context: ... is already entered"); here a thread would change
     * it under the task. A copy may be run there, and the context itself once the task is done.
     */
    @Test
    void anotherThreadCannotEnterTheOwnContextOfATaskNotDone() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Context own = new Context();
            Task<String> t = Aio.createTask(() -> {
                REQUEST.set("task");
                Context mine = Aio.currentTask().getContext();
                seen.add("in its step: " + refusedOnAnotherThread(mine));
                Aio.sleep(1);
                return REQUEST.get();
            }, "T", own);
            Aio.sleep(0);
            seen.add("between its steps: " + refusedOnAnotherThread(own));
            Thread copy = Thread.ofPlatform().start(() -> own.copy().run(() -> { REQUEST.set("copy"); }));
            copy.join();
            assertThat(t.await()).isEqualTo("task");
            assertThat(own.owner).as("a context that outlives its task does not keep it").isNull();
            Thread after = Thread.ofPlatform().start(() -> own.run(() -> { REQUEST.set("after"); }));
            after.join();
            assertThat(own.get(REQUEST)).isEqualTo("after");
            Context ofAnother = Aio.createTask(() -> Aio.sleep(1), "U").getContext(); // made from its first values
            seen.add("made by getContext: " + refusedOnAnotherThread(ofAnother));
            return null;
        });
        assertThat(seen).containsExactly("in its step: cannot enter, task 'T'", "between its steps: cannot enter, task 'T'",
                "made by getContext: cannot enter, task 'U'");
    }

    /** Runs {@code context} on a platform thread and says how it was refused (or "entered"). */
    private static String refusedOnAnotherThread(Context context) throws InterruptedException {
        String[] outcome = new String[1];
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                context.run(() -> { REQUEST.set("thread"); });
                outcome[0] = "entered";
            } catch (IllegalStateException e) {
                String m = e.getMessage();
                outcome[0] = (m.startsWith("cannot enter") ? "cannot enter" : m)
                        + ", task '" + m.replaceAll(".*it is the context of task '([^']*)'.*", "$1") + "'";
            }
        });
        thread.join();
        return outcome[0];
    }

    @Test
    void getContextGivesTheTasksOwnContextEvenInsideAContextRun() throws Exception {
        TestLoops.runVirtual(() -> {
            REQUEST.set("task");
            Task<?> task = Aio.currentTask();
            Context own = task.getContext();
            Context ctx = new Context();
            Context inRun = ctx.run(() -> {
                REQUEST.set("in ctx");
                Aio.sleep(0);
                return task.getContext();
            });
            assertThat(inRun).as("asyncio's get_context() inside ctx.run() is the task's own").isSameAs(own);
            assertThat(own.get(REQUEST)).isEqualTo("task");
            assertThat(ctx.get(REQUEST)).isEqualTo("in ctx");
            return null;
        });
    }

    @Test
    void aTaskCreatedWithAContextRunsInThatContextItself() throws Exception {
        // CPython 3.13: create_task(body(), name="named", context=ctx) -> the same seen, "named", ctx.get(v) "in ctx",
        // v.get() "main" in the creator, t.get_context() is ctx; ctx.run(...) in the task raises RuntimeError
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            REQUEST.set("main");
            Context ctx = new Context();
            Task<Void> task = Aio.createTask(() -> {
                seen.add(REQUEST.get("unset"));
                REQUEST.set("in ctx");
                Aio.createTask(() -> {
                    seen.add("grandchild sees " + REQUEST.get());
                    REQUEST.set("grandchild"); // in a copy of ctx: not seen by the task
                }).await();
                Aio.sleep(0);
                seen.add("after grandchild " + REQUEST.get());
                assertThatThrownBy(() -> ctx.run(() -> { })).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("is the current context");
            }, "named", ctx);
            task.await();
            seen.add(task.getName() + ", ctx holds " + ctx.get(REQUEST) + ", the creator sees " + REQUEST.get()
                    + ", getContext() is ctx: " + (task.getContext() == ctx));

            // two tasks in one context share it, as they would in asyncio
            Context shared = new Context();
            Task<String> setter = Aio.createTask(() -> {
                REQUEST.set("b");
                Aio.sleep(0);
                return REQUEST.get();
            }, null, shared);
            Task<String> reader = Aio.createTask(() -> {
                Aio.sleep(0);
                Aio.sleep(0);
                return REQUEST.get("unset");
            }, null, shared);
            seen.add("shared: " + Aio.gather(setter, reader).await());

            // a TaskGroup's task too
            Context grouped = new Context();
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> { REQUEST.set("g"); }, null, grouped);
                tg.createTask(() -> DEPTH.set(1), "depth", grouped);
                assertThatThrownBy(() -> tg.createTask(() -> 1, null, null)).isInstanceOf(NullPointerException.class)
                        .hasMessage("context must not be null");
                tg.join();
            }
            seen.add("group: " + grouped);
            assertThatThrownBy(() -> Aio.createTask(() -> 1, null, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("context must not be null");
            assertThatThrownBy(() -> Aio.createTask(() -> { }, null, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("context must not be null");
            assertThatThrownBy(() -> Aio.createTask((Coroutine<Object>) null, null, ctx))
                    .isInstanceOf(NullPointerException.class).hasMessage("coroutine must not be null");
            return null;
        });
        assertThat(seen).containsExactly(
                "unset",
                "grandchild sees in ctx",
                "after grandchild in ctx",
                "named, ctx holds in ctx, the creator sees main, getContext() is ctx: true",
                "shared: [b, b]",
                "group: Context{request=g, depth=1}");
    }

    @Test
    void callbacksScheduledWithAContextRunInThatContextItself() throws Exception {
        // CPython 3.13: call_soon, call_later, call_at and call_soon_threadsafe (from another thread) with context=ctx
        // set their values in ctx; the scheduler's own are unchanged; ctx.run(...) in such a callback raises
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            REQUEST.set("main");
            Context soon = new Context();
            Context later = new Context();
            Context laterDuration = new Context();
            Context at = new Context();
            Context threadsafe = new Context();
            Future<Void> done = loop.createFuture();
            loop.callSoon(() -> {
                seen.add("callSoon sees " + REQUEST.get("unset"));
                REQUEST.set("soon");
            }, soon);
            loop.callLater(1, () -> REQUEST.set("later at " + loop.time()), later);
            loop.callLater(Duration.ofSeconds(2), () -> REQUEST.set("later at " + loop.time()), laterDuration);
            loop.callAt(3, () -> {
                REQUEST.set("at " + loop.time());
                try {
                    at.run(() -> { });
                } catch (IllegalStateException refused) {
                    seen.add("run of its own context refused: " + refused.getMessage().contains("already entered"));
                }
            }, at);
            Aio.toThread(() -> loop.callSoonThreadsafe(() -> {
                REQUEST.set("threadsafe");
                done.setResult(null);
            }, threadsafe));
            done.await();
            Aio.sleep(3);
            seen.add(soon.get(REQUEST) + "; " + later.get(REQUEST) + "; " + laterDuration.get(REQUEST) + "; "
                    + at.get(REQUEST) + "; " + threadsafe.get(REQUEST) + "; main still " + REQUEST.get());
            Runnable noop = () -> { };
            for (ThrowingCallable nullContext : List.<ThrowingCallable>of(
                    () -> loop.callSoon(noop, null), () -> loop.callLater(1, noop, null),
                    () -> loop.callLater(Duration.ZERO, noop, null), () -> loop.callAt(0, noop, null),
                    () -> loop.callSoonThreadsafe(noop, null))) {
                assertThatThrownBy(nullContext).isInstanceOf(NullPointerException.class)
                        .hasMessage("context must not be null");
            }
            assertThatThrownBy(() -> loop.callSoon(null, soon)).isInstanceOf(NullPointerException.class)
                    .hasMessage("callback must not be null");
            return null;
        });
        assertThat(seen).containsExactly(
                "callSoon sees unset",
                "run of its own context refused: true",
                "soon; later at 1.0; later at 2.0; at 3.0; threadsafe; main still main");
    }

    /**
     * A custom exception handler reporting a task sees the task's context values, and one reporting a callback the
     * callback's, so that it can log, say, a request id: CPython 3.13 runs the handler in the context of the task,
     * future or handle reported ([('request-42', 'Task exception was never retrieved')] for a task that set it and
     * failed; the callback's own value for "Exception in callback"). Nothing is reported here before the loop closes.
     */
    @Test
    void theExceptionHandlerSeesTheContextOfTheTaskOrCallbackItReports() throws Exception {
        List<String> seen = new ArrayList<>();
        Aio.run(() -> EventLoop.builder().virtualTime().build(), () -> {
            EventLoop loop = Aio.getRunningLoop();
            REQUEST.set("main's");
            loop.setExceptionHandler((l, c) -> seen.add(REQUEST.get("unset") + ": " + c.message()
                    .replaceFirst("callback .*", "callback")));
            Aio.createTask(() -> {
                REQUEST.set("request-42");
                throw new IllegalStateException("boom");
            });
            Context ctx = new Context();
            ctx.run(() -> REQUEST.set("callback's"));
            loop.callSoon(() -> {
                throw new IllegalStateException("bang");
            }, ctx);
            Aio.sleep(0);
            Aio.sleep(0);
            seen.add("main still " + REQUEST.get());
            return null;
        });
        assertThat(seen).containsExactly("callback's: Exception in callback", "main still main's",
                "request-42: Task exception was never retrieved");
    }

    /**
     * A callback given a context that a {@link Context#run} has entered and not yet left (here a task's, suspended in
     * it) is not run in it: CPython 3.13 (ctx.run around run_forever, call_soon(cb, context=ctx) and
     * add_done_callback(cb, context=ctx)) runs neither and reports each to the exception handler as "Exception in
     * callback", RuntimeError "cannot enter context: ... is already entered". Once the run has left, it runs.
     */
    @Test
    void aCallbackWhoseContextARunHasEnteredIsReportedNotRun() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            loop.setExceptionHandler((l, c) -> seen.add(c.message().startsWith("Exception in callback") + ": "
                    + c.exception().getMessage()));
            Context ctx = new Context();
            ctx.run(() -> {
                loop.callSoon(() -> REQUEST.set("callSoon's"), ctx);
                Future<Void> f = loop.createFuture();
                f.addDoneCallback(x -> REQUEST.set("done callback's"), ctx);
                f.setResult(null);
                Aio.sleep(0);
                Aio.sleep(0);
                return null;
            });
            seen.add("ctx has " + ctx.get(REQUEST));
            loop.callSoon(() -> REQUEST.set("after the run"), ctx);
            Aio.sleep(0);
            seen.add("ctx has " + ctx.get(REQUEST));
            return null;
        });
        assertThat(seen).containsExactly(
                "true: cannot enter Context{}: it is already entered",
                "true: cannot enter Context{}: it is already entered",
                "ctx has null",
                "ctx has after the run");
    }

    /**
     * asyncio's add_done_callback(cb, context=ctx) (checked with CPython 3.13): the callback runs in ctx itself,
     * what it sets is seen in ctx, the adder's values are not visible to it; removeDoneCallback removes it.
     */
    @Test
    void aDoneCallbackAddedWithAContextRunsInThatContextItself() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            REQUEST.set("adder's");
            Context ctx = new Context();
            Future<String> f = loop.createFuture();
            Future<Void> ran = loop.createFuture();
            Consumer<Future<String>> removed = x -> seen.add("removed callback ran");
            f.addDoneCallback(removed, ctx);
            f.addDoneCallback(x -> {
                seen.add("callback sees " + REQUEST.get("unset") + " for " + x.result());
                REQUEST.set("callback's");
                ran.setResult(null);
            }, ctx);
            assertThat(f.removeDoneCallback(removed)).isEqualTo(1);
            f.setResult("done");
            ran.await();
            seen.add("ctx has " + ctx.get(REQUEST) + ", adder still " + REQUEST.get());
            Future<String> done = loop.createFuture();
            done.setResult("early");
            Future<Void> ranToo = loop.createFuture();
            done.addDoneCallback(x -> {
                REQUEST.set("second");
                ranToo.setResult(null);
            }, ctx);
            ranToo.await();
            seen.add("done future's callback set " + ctx.get(REQUEST));
            assertThatThrownBy(() -> f.addDoneCallback(x -> { }, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("context must not be null");
            return null;
        });
        assertThat(seen).containsExactly("callback sees unset for done", "ctx has callback's, adder still adder's",
                "done future's callback set second");
    }

    @Test
    void copyContextSnapshotsTheValues() throws Exception {
        TestLoops.runVirtual(() -> {
            REQUEST.set("before");
            Context snapshot = Context.copyContext();
            REQUEST.set("after");
            assertThat(snapshot.get(REQUEST)).isEqualTo("before");
            assertThat(snapshot.run(() -> REQUEST.get())).isEqualTo("before");
            Context copy = snapshot.copy();
            copy.run(() -> REQUEST.set("in the copy"));
            assertThat(snapshot.get(REQUEST)).isEqualTo("before");
            assertThat(copy.toString()).isEqualTo("Context{request=in the copy}");
            return null;
        });
    }

    @Test
    void anAsyncGeneratorsBodySeesTheContextOfTheTaskIteratingIt() throws Exception {
        List<String> seen = TestLoops.runVirtual(() -> {
            REQUEST.set("consumer");
            var gen = AsyncGenerator.<String>of(out -> {
                out.emit(REQUEST.get());
                Aio.sleep(0);
                out.emit(REQUEST.get());
            });
            List<String> got = new ArrayList<>();
            for (String s : gen) {
                got.add(s);
            }
            return got;
        });
        assertThat(seen).containsExactly("consumer", "consumer");
    }

    /**
     * A body that enters a context and emits inside it keeps that context to itself: the code iterating it runs in
     * its own (CPython cannot hold a context entered across a yield at all: Context.run takes a plain function), and
     * the body leaving the context later restores the body's, not the consumer's of the moment.
     */
    @Test
    void aContextAGeneratorsBodyEntersIsTheBodysAlone() throws Exception {
        List<String> seen = TestLoops.runVirtual(() -> {
            List<String> got = new ArrayList<>();
            Context b = new Context();
            b.run(() -> REQUEST.set("B"));
            Context a = new Context();
            a.run(() -> REQUEST.set("A"));
            var gen = AsyncGenerator.<String>of(out -> {
                b.run(() -> out.emit("in B: " + REQUEST.get()));
                out.emit("after B: " + REQUEST.get("unset"));
                out.emit("last");
            });
            got.add(gen.next());
            got.add("consumer: " + REQUEST.get("unset"));
            a.run(() -> {
                got.add(gen.next()); // the body leaves B here, while the consumer runs in A
                got.add("consumer in A: " + REQUEST.get("unset"));
                REQUEST.set("x");
            });
            got.add("consumer after A: " + REQUEST.get("unset") + ", A holds " + a.get(REQUEST));
            Task<String> other = Aio.createTask(() -> {
                Context c = new Context();
                return c.run(() -> {
                    REQUEST.set("C");
                    gen.next(); // another task drives it: its context stays its own
                    return REQUEST.get();
                });
            });
            got.add("other task: " + other.await());
            return got;
        });
        assertThat(seen).containsExactly("in B: B", "consumer: unset", "after B: A", "consumer in A: A",
                "consumer after A: unset, A holds x", "other task: C");
    }

    @Test
    void manyTasksInterleavingEachSeeOnlyTheirOwnValues() throws Exception {
        int tasks = 2_000;
        int rounds = 5;
        long mismatches = TestLoops.runVirtual(() -> {
            long[] wrong = {0};
            List<Task<Void>> all = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                String mine = "task-" + i;
                all.add(Aio.createTask(() -> {
                    for (int r = 0; r < rounds; r++) {
                        try (var _ = DEPTH.set(r)) {
                            REQUEST.set(mine);
                            Aio.sleep(0);
                            if (!mine.equals(REQUEST.get()) || DEPTH.get() != r) {
                                wrong[0]++;
                            }
                        }
                        if (DEPTH.get() != 0) {
                            wrong[0]++;
                        }
                    }
                }));
            }
            Aio.gather(all).await();
            assertThat(REQUEST.get("unset")).isEqualTo("unset");
            return wrong[0];
        });
        assertThat(mismatches).isZero();
    }

    /** Python's ctx.get(var, default) and dict(ctx): no value told from a null one, a snapshot in the order set. */
    @Test
    void aContextTellsNoValueFromNullAndListsItsVariables() throws Exception {
        var other = new ContextVar<String>("other");
        Context ctx = new Context();
        assertThat(ctx.get(REQUEST, "none")).isEqualTo("none");
        assertThat(ctx.toMap()).isEmpty();
        ctx.run(() -> {
            REQUEST.set(null);
            other.set("o");
            DEPTH.set(1);
            REQUEST.set("r"); // set again: keeps its place
        });
        assertThat(ctx.get(REQUEST, "none")).isEqualTo("r");
        var snapshot = ctx.toMap();
        assertThat(snapshot.keySet()).containsExactly(REQUEST, other, DEPTH);
        assertThat(snapshot.values()).containsExactly("r", "o", 1);
        ctx.run(() -> {
            REQUEST.set(null);
            DEPTH.reset(DEPTH.set(5)); // back to 1
        });
        assertThat(ctx.get(REQUEST, "none")).as("a null value is a value").isNull();
        assertThat(ctx.get(REQUEST)).isNull();
        assertThat(ctx.toMap()).containsEntry(REQUEST, null).containsEntry(DEPTH, 1).hasSize(3);
        assertThat(snapshot.get(REQUEST)).as("a snapshot").isEqualTo("r");
        assertThatThrownBy(() -> snapshot.put(other, "x")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ctx.get(null, "x")).isInstanceOf(NullPointerException.class)
                .hasMessage("var must not be null");
    }
    /**
     * PEP 567's {@code Context.run} in a loop's callback (asyncio runs each in a context of its own): the run's
     * context is current for its body alone, what the body sets stays in it, and the callback's own values are back
     * after it.
     */
    @Test
    void aContextRunInACallbackIsCurrentForItsBodyAlone() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Context other = new Context();
            var ran = new Event();
            loop.callSoon(() -> {
                REQUEST.set("callback's");
                other.run(() -> {
                    seen.add("in the run: " + REQUEST.get("none"));
                    REQUEST.set("the run's");
                });
                seen.add("after the run: " + REQUEST.get());
                ran.set();
            });
            ran.await();
            seen.add("other has " + other.get(REQUEST));
            seen.add("the task has " + REQUEST.get("none"));
            return null;
        });
        assertThat(seen).containsExactly("in the run: none", "after the run: callback's", "other has the run's",
                "the task has none");
    }

    /** PEP 567's {@code var in ctx}: only a value set in the context counts, not the variable's default. */
    @Test
    void containsKeyIsTrueOnlyForAVariableSetInTheContext() throws Exception {
        TestLoops.runVirtual(() -> {
            var ctx = new Context();
            assertThat(ctx.containsKey(REQUEST)).isFalse();
            assertThat(ctx.containsKey(DEPTH)).as("a default is no value").isFalse();
            ctx.run(() -> REQUEST.set(null));
            assertThat(ctx.containsKey(REQUEST)).as("null is a value").isTrue();
            assertThat(ctx.containsKey(DEPTH)).isFalse();
            return null;
        });
    }

    /**
     * A variable prints its name and default (PEP 567's repr shows both); a token its variable and whether it was
     * used; {@code hasOldValue()} is false exactly where Python's {@code old_value} is {@code Token.MISSING}.
     */
    @Test
    void variablesAndTokensPrintWhatTheyAreAndTokensTellWhetherThereWasAnOldValue() throws Exception {
        TestLoops.runVirtual(() -> {
            assertThat(REQUEST).hasToString("ContextVar[name='request']");
            assertThat(DEPTH).hasToString("ContextVar[name='depth', default=0]");
            ContextVar.Token<Integer> first = DEPTH.set(1); // the default is not an old value
            ContextVar.Token<Integer> second = DEPTH.set(2);
            assertThat(first.hasOldValue()).isFalse();
            assertThat(second.hasOldValue()).isTrue();
            assertThat(second.oldValue()).isEqualTo(1);
            assertThat(second).hasToString("Token[var=ContextVar[name='depth', default=0]]");
            second.close();
            assertThat(second).hasToString("Token[var=ContextVar[name='depth', default=0], used]");
            return null;
        });
    }
}
