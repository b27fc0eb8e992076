package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/** {@link Runner}, asyncio's {@code asyncio.Runner}: several runs on one loop, and its close. */
class RunnerTest {

    private static final ContextVar<String> USER = new ContextVar<>("user");

    private static Runner virtualRunner(List<ExceptionContext> errors) {
        return new Runner(() -> TestLoops.virtual(errors));
    }

    @Test
    void runsShareTheLoopTheirPendingTasksAndTheRunnersContext() throws Exception {
        List<String> log = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        Runner runner = virtualRunner(errors);
        try (var _ = USER.set("thread")) {
            EventLoop loop = runner.getLoop();
            Task<Void> ticker = runner.run(() -> {
                USER.set("set by the first run");
                return Aio.createTask(() -> {
                    for (int i = 0; i < 3; i++) {
                        Aio.sleep(1);
                        log.add("tick " + i + " at " + Aio.getRunningLoop().time());
                    }
                });
            });
            assertThat(log).as("nothing runs between runs").isEmpty();
            String second = runner.run(() -> {
                assertThat(Aio.getRunningLoop()).isSameAs(loop);
                Aio.sleep(2.5);
                return USER.get();
            });
            assertThat(second).isEqualTo("set by the first run");
            assertThat(log).containsExactly("tick 0 at 1.0", "tick 1 at 2.0");
            assertThat(USER.get()).as("the runs set the runner's context, not the thread's").isEqualTo("thread");
            assertThat(ticker.isDone()).isFalse();
            runner.close();
            assertThat(ticker.isCancelled()).as("close cancels what is left").isTrue();
            assertThat(loop.isClosed()).isTrue();
        } finally {
            runner.close();
        }
        assertThat(errors).isEmpty();
    }

    /**
     * asyncio's Runner.run(coro, context=ctx) (checked with CPython 3.13): the main task runs in ctx itself, what it
     * sets is seen in ctx afterwards, and the runner's own context, which the next plain run uses, is untouched.
     */
    @Test
    void aRunGivenAContextRunsItsMainTaskInThatContextAndLeavesTheRunnersAlone() throws Exception {
        try (Runner runner = virtualRunner(new ArrayList<>())) {
            runner.run(() -> USER.set("runner's"));
            Context request = new Context();
            String seen = runner.run(() -> {
                String before = USER.get("unset");
                USER.set("request's");
                return before;
            }, request);
            assertThat(seen).as("the given context has none of the runner's values").isEqualTo("unset");
            assertThat(request.get(USER)).isEqualTo("request's");
            assertThat(runner.run(() -> USER.get())).isEqualTo("runner's");
            List<String> voidRun = new ArrayList<>();
            runner.run(() -> {
                voidRun.add(USER.get("unset"));
            }, request);
            assertThat(voidRun).containsExactly("request's");
            assertThatThrownBy(() -> runner.run(() -> 1, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("context must not be null");
        }
    }

    @Test
    void theRunnersContextIsACopyOfTheThreadsMadeOnFirstUse() throws Exception {
        try (Runner runner = virtualRunner(new ArrayList<>())) {
            try (var _ = USER.set("before first use")) {
                runner.getLoop();
            }
            try (var _ = USER.set("after first use")) {
                assertThat(runner.run(() -> USER.get("unset"))).isEqualTo("before first use");
            }
        }
    }

    @Test
    void aFailedRunLeavesTheRunnerUsable() throws Exception {
        try (Runner runner = virtualRunner(new ArrayList<>())) {
            var boom = new IllegalStateException("boom");
            assertThatThrownBy(() -> runner.run(() -> {
                Aio.sleep(1);
                throw boom;
            })).isSameAs(boom);
            assertThat(runner.run(() -> "still running")).isEqualTo("still running");
        }
    }

    /**
     * In a task: starts a task that runs {@code first}, then sleeps and, cancelled there, fails with "cleanup failed";
     * lets it start.
     */
    private static void startATaskWhoseCleanupFails(Runnable first) {
        Aio.createTask(() -> {
            first.run();
            try {
                Aio.sleep(10);
            } catch (CancellationException e) {
                throw new IllegalStateException("cleanup failed");
            }
        });
        Aio.sleep(0);
    }

    /**
     * asyncio's Runner.close() runs the loop after it has cancelled the tasks left (for shutdown_asyncgens() and
     * shutdown_default_executor()) even when there are none, so the timers due by then run before the loop closes;
     * only those not due are dropped. CPython 3.13 runs the first two callbacks below and drops the third.
     */
    @Test
    void closeRunsTheTimersDueAsItShutsDownAndDropsTheOthers() throws Exception {
        List<String> log = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        TestLoops.runVirtual(errors, () -> {
            EventLoop loop = Aio.getRunningLoop();
            Aio.createTask(() -> {
                loop.callLater(0, () -> log.add("timer set by the last step"));
                loop.callAt(loop.time(), () -> log.add("timer at the time of the last step"));
            });
            loop.callLater(1, () -> log.add("timer not due: dropped"));
            return null;
        });
        assertThat(log).containsExactly("timer set by the last step", "timer at the time of the last step");
        assertThat(errors).isEmpty();
    }

    @Test
    void closeReportsATaskThatFailsWhileItIsCancelled() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        Runner runner = virtualRunner(errors);
        runner.run(() -> startATaskWhoseCleanupFails(() -> { }));
        runner.close();
        assertThat(errors).singleElement().satisfies(c -> {
            assertThat(c.message()).isEqualTo("unhandled exception during Runner.close() shutdown");
            assertThat(c.exception()).hasMessage("cleanup failed");
        });
    }

    /**
     * asyncio's _cancel_all_tasks reports only a task left that ended with an exception: one that catches its
     * cancellation and returns a value, and one that is cancelled, end the close without a report.
     */
    @Test
    void closeReportsNothingForTasksThatEndWithAValueOrCancelled() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        Runner runner = virtualRunner(errors);
        List<Task<String>> left = runner.run(() -> {
            Task<String> swallows = Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                    return "slept";
                } catch (CancellationException e) {
                    return "returned on its cancellation";
                }
            });
            Task<String> cancelled = Aio.createTask(() -> {
                Aio.sleep(10);
                return "slept";
            });
            Aio.sleep(0);
            return List.of(swallows, cancelled);
        });
        runner.close();
        assertThat(left.get(0).result()).isEqualTo("returned on its cancellation");
        assertThat(left.get(1).isCancelled()).isTrue();
        assertThat(errors).isEmpty();
    }

    /**
     * asyncio 3.12+ runs the exception handler in the context of the task it reports, also for _cancel_all_tasks'
     * "unhandled exception during asyncio.run() shutdown" (checked with CPython 3.13): a handler that tags its reports
     * with a request's ContextVar sees the failing task's value there, as it does for every other report about a
     * task, and what it sets is not kept.
     */
    @Test
    void theShutdownsReportOfAFailedTaskRunsTheHandlerInThatTasksContext() throws Exception {
        List<String> seen = new ArrayList<>();
        Runner runner = new Runner(() -> EventLoop.builder().virtualTime().exceptionHandler((loop, c) -> {
            seen.add(c.message() + " / user " + USER.get("unset"));
            USER.set("set by the handler");
        }).build());
        try (var _ = USER.set("the closing thread's")) {
            runner.run(() -> startATaskWhoseCleanupFails(() -> USER.set("the failing task's")));
            runner.close();
            assertThat(USER.get()).isEqualTo("the closing thread's");
        }
        assertThat(seen).containsExactly("unhandled exception during Runner.close() shutdown / user the failing task's");
    }

    @Test
    void closeReportsAResourceWhoseCloseFailsAsTheCancellationUnwindsATask() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        Runner runner = virtualRunner(errors);
        runner.run(() -> {
            Aio.createTask(() -> {
                try (AutoCloseable resource = () -> {
                    throw new IllegalStateException("close failed");
                }) {
                    Aio.sleep(10);
                }
                return null;
            }, "worker");
            Aio.sleep(1);
        });
        runner.close(); // cancels the worker: the close's failure is suppressed on its cancellation
        assertThat(errors).singleElement().satisfies(c -> {
            assertThat(c.message()).isEqualTo("unhandled exception during Runner.close() shutdown, attached to the"
                    + " cancellation of the task as it unwound");
            assertThat(c.exception()).hasMessage("close failed");
            assertThat(((Task<?>) c.future()).getName()).isEqualTo("worker");
        });
    }

    @Test
    void aClosedRunnerRefusesWorkAndClosesOnlyOnce() throws Exception {
        int[] made = {0};
        Runner unused = new Runner(() -> {
            made[0]++;
            return EventLoop.builder().virtualTime().build();
        });
        unused.close();
        assertThat(made[0]).as("closing a runner never used makes no loop").isZero();
        Runner runner = virtualRunner(new ArrayList<>());
        runner.run(() -> Aio.sleep(0));
        runner.close();
        runner.close();
        assertThatThrownBy(() -> runner.run(() -> "late")).isInstanceOf(IllegalStateException.class)
                .hasMessage("Runner is closed");
        assertThatThrownBy(runner::getLoop).isInstanceOf(IllegalStateException.class).hasMessage("Runner is closed");
    }

    @Test
    void badUseIsRefusedWithTheProblemNamed() throws Exception {
        assertThatThrownBy(() -> new Runner(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("loopFactory must not be null");
        try (Runner nulls = new Runner(() -> null)) {
            assertThatThrownBy(nulls::getLoop).isInstanceOf(NullPointerException.class)
                    .hasMessage("loopFactory returned null");
        }
        try (Runner runner = virtualRunner(new ArrayList<>())) {
            assertThatThrownBy(() -> runner.run((Coroutine<String>) null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("main coroutine must not be null");
            runner.run(() -> {
                assertThatThrownBy(() -> runner.run(() -> "nested")).isInstanceOf(IllegalStateException.class)
                        .hasMessage("Runner.run() cannot be called from a running event loop");
                assertThatThrownBy(runner::close).isInstanceOf(IllegalStateException.class)
                        .hasMessage("Runner.close() cannot be called from a running event loop");
            });
            assertThat(runner.run(() -> "the refused close left it open")).isEqualTo("the refused close left it open");
        }
    }

    @Test
    void whileARunRunsAnotherThreadCanNeitherCloseTheRunnerNorRunOnIt() throws Exception {
        // asyncio's Runner has no thread check (its close() from another thread cancels the running main task
        // unsafely, then fails with 'Cannot close a running event loop'); this one refuses, and stays usable.
        List<Throwable> refused = new ArrayList<>();
        try (Runner runner = new Runner()) {
            String result = runner.run(() -> Aio.toThread(() -> { // another thread, while the run runs
                for (var attempt : List.<Runnable>of(runner::close, () -> tryRun(runner))) {
                    try {
                        attempt.run();
                    } catch (RuntimeException e) {
                        refused.add(e);
                    }
                }
                return "the run went on";
            }));
            assertThat(result).isEqualTo("the run went on");
            assertThat(refused).hasSize(2);
            assertThat(refused.get(0)).isInstanceOf(IllegalStateException.class).hasMessage(
                    "Runner.close() cannot be called while its loop is running on another thread (a run() there,"
                            + " or a running loop from the loop factory)");
            assertThat(refused.get(1)).isInstanceOf(IllegalStateException.class).hasMessage(
                    "Runner.run() cannot be called while its loop is running on another thread (a run() there,"
                            + " or a running loop from the loop factory)");
            assertThat(runner.run(() -> "the next run runs")).isEqualTo("the next run runs");
            EventLoop loop = runner.getLoop();
            runner.close();
            assertThat(loop.isClosed()).as("the refused close left the closing to this one").isTrue();
        }
    }

    @Test
    void aLoopFactoryThatGivesARunningLoopIsRefusedWithTheProblemNamed() throws Exception {
        EventLoop elsewhere = new EventLoop();
        elsewhere.runUntilComplete(() -> Aio.toThread(() -> {
            Runner runner = new Runner(() -> elsewhere);
            assertThatThrownBy(() -> runner.run(() -> "x")).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Runner.run() cannot be called while its loop is running");
            assertThatThrownBy(runner::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Runner.close() cannot be called while its loop is running");
            return null;
        }));
        assertThat(elsewhere.isClosed()).isFalse();
        elsewhere.close();
    }

    @Test
    void anInterruptTheRunDidNotActOnIsGivenBackAndCancelsNoLaterRun() throws Exception {
        // asyncio's Runner counts its interrupts per run (run() resets the count): one never reaches the next run.
        // Whether the loop gets to the interrupt before the main task ends is a race, run many times: either way the
        // interrupt status is set again when the run returns, and the next run does not see it.
        try (Runner runner = new Runner()) {
            for (int i = 0; i < 200; i++) {
                Thread.currentThread().interrupt();
                try {
                    assertThat(runner.run(() -> {
                        Aio.sleep(0);
                        return "the run ended first";
                    })).isEqualTo("the run ended first");
                } catch (CancellationException cancelled) {
                    assertThat(cancelled).hasMessage("the thread running the event loop was interrupted");
                }
                assertThat(Thread.interrupted()).as("the interrupt status is set again, run %d", i).isTrue();
                assertThat(runner.run(() -> "the next run runs")).isEqualTo("the next run runs");
            }
        } finally {
            Thread.interrupted();
        }
    }

    /**
     * An interrupt while close() waits for the default executor to terminate (Ctrl-C during asyncio.run's shutdown)
     * ends that wait with the shutdown failed, the loop closed, and the interrupt status set again for the caller
     * (Java's rule for code that catches InterruptedException), as it is when the interrupt comes while the loop runs.
     */
    @Test
    void anInterruptWhileCloseWaitsForTheDefaultExecutorIsGivenBack() throws Exception {
        var executor = new java.util.concurrent.AbstractExecutorService() {
            boolean shutdown;

            @Override
            public void shutdown() {
                shutdown = true;
            }

            @Override
            public List<Runnable> shutdownNow() {
                shutdown = true;
                return List.of();
            }

            @Override
            public boolean isShutdown() {
                return shutdown;
            }

            @Override
            public boolean isTerminated() {
                return false;
            }

            @Override
            public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit)
                    throws InterruptedException {
                Thread.currentThread().interrupt(); // the caller's thread is interrupted while it waits here
                return new java.util.concurrent.CountDownLatch(1).await(timeout, unit);
            }

            @Override
            public void execute(Runnable command) {
                command.run();
            }
        };
        Runner runner = new Runner();
        EventLoop loop = runner.getLoop();
        try {
            runner.run(() -> loop.setDefaultExecutor(executor));
            assertThatThrownBy(runner::close).isInstanceOf(IllegalStateException.class)
                    .hasMessage("Runner.close() failed to shut the loop down")
                    .hasCauseInstanceOf(InterruptedException.class);
            assertThat(Thread.interrupted()).as("the interrupt status is set again").isTrue();
            assertThat(executor.shutdown).isTrue();
            assertThat(loop.isClosed()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    /**
     * asyncio.run's shutdown would hang on a task that, cancelled, waits for what nothing will ever do; the shutdown
     * here throws the DeadlockException, which must say that it is the shutdown's (the run itself ended well) and
     * which task is stuck on what.
     */
    @Test
    void aDeadlockOfTheCancelledTasksAtCloseSaysItIsTheShutdowns() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        Runner runner = virtualRunner(errors);
        assertThat(runner.run(() -> {
            Future<Void> never = Aio.getRunningLoop().createFuture();
            Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    never.await(); // clean-up that waits for what nothing will do
                }
            }, "stuck");
            Aio.sleep(0);
            return "main done";
        })).isEqualTo("main done");
        EventLoop loop = runner.getLoop();
        assertThatThrownBy(runner::close).isInstanceOf(DeadlockException.class)
                .hasMessageStartingWith("Runner.close() shutdown: the tasks left on the loop were cancelled, and")
                .hasMessageContaining("stuck waits on Future[pending]")
                .satisfies(e -> assertThat(((DeadlockException) e).tasks()).extracting(Task::getName)
                        .containsExactly("stuck"));
        assertThat(loop.isClosed()).isTrue();
    }

    /**
     * A task that stops the loop as its cancellation unwinds (asyncio.run raises "Event loop stopped before Future
     * completed." there too) ends the shutdown's wait for the cancelled tasks: the error must say that it is the
     * shutdown's wait that was stopped, not name an internal gather the caller never saw; the loop is closed.
     */
    @Test
    void aLoopStoppedWhileCloseWaitsForTheCancelledTasksSaysItIsTheShutdowns() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        Runner runner = virtualRunner(errors);
        runner.run(() -> {
            Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } finally {
                    Aio.getRunningLoop().stop();
                    Aio.sleep(1);
                }
            }, "stopper");
            Aio.sleep(0);
        });
        EventLoop loop = runner.getLoop();
        assertThatThrownBy(runner::close).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Runner.close() shutdown: the loop was stopped (by loop.stop(), or an"
                        + " interrupt of the thread) before the tasks left on it ended after their cancellation")
                .hasMessageNotContaining("GatheringFuture");
        assertThat(loop.isClosed()).isTrue();
    }

    /**
     * asyncio's Runner cancels the main task at the first Ctrl-C and raises KeyboardInterrupt at the second, so that
     * a main that swallows its cancellation (here, the porting trap of a catch of Exception) cannot keep the program
     * from stopping. A second interrupt of the calling thread while the main task has not ended stops the loop: the
     * run throws, saying that the thread was interrupted, and the runner's close cancels the main task again.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aSecondInterruptWhileTheMainTaskSwallowsItsCancellationStopsTheRun() throws Exception {
        Thread caller = Thread.currentThread();
        boolean[] closing = {false};
        List<String> log = new ArrayList<>();
        Runner runner = new Runner();
        try {
            assertThatThrownBy(() -> runner.run(() -> {
                caller.interrupt(); // Ctrl-C (the task runs on a thread of its own)
                for (;;) {
                    try {
                        Aio.sleep(3600);
                    } catch (Exception e) { // catches the cancellation too: the trap
                        log.add("swallowed " + e.getClass().getSimpleName());
                        if (closing[0]) {
                            throw e;
                        }
                        caller.interrupt(); // Ctrl-C again
                    }
                }
            })).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Event loop stopped before Future completed: Task[")
                    .hasMessageEndingWith("the thread running the loop was interrupted");
            assertThat(Thread.interrupted()).as("the interrupt status is set again").isTrue();
            closing[0] = true;
            runner.close();
            assertThat(log).containsExactly("swallowed CancellationException", "swallowed CancellationException");
        } finally {
            Thread.interrupted();
            runner.close();
        }
    }

    private static void tryRun(Runner runner) {
        try {
            runner.run(() -> "from another thread");
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anInterruptOfTheCallingThreadCancelsTheRunsMainTask() throws Exception {
        Thread caller = Thread.currentThread();
        try (Runner runner = new Runner()) {
            assertThatThrownBy(() -> runner.run(() -> {
                Aio.toThread(() -> {
                    caller.interrupt();
                    return null;
                });
                Aio.sleep(3600); // would wait an hour
            })).isInstanceOf(CancellationException.class);
            assertThat(Thread.interrupted()).as("the interrupt status is set again").isTrue();
            assertThat(runner.run(() -> "the next run runs")).isEqualTo("the next run runs");
        } finally {
            Thread.interrupted();
        }
    }
}
