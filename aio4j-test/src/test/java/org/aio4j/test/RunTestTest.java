package org.aio4j.test;

import static org.aio4j.test.AioTesting.runTest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.aio4j.Aio;
import org.aio4j.DeadlockException;
import org.aio4j.EventLoop;
import org.aio4j.Future;
import org.aio4j.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RunTestTest {

    /** For the tests that must time out: short, so that the suite stays fast. */
    private static final TestOptions SHORT = TestOptions.defaults().withTimeout(Duration.ofMillis(300))
            .withCancellationGrace(Duration.ofSeconds(30));

    /** The body sees the ContextVar values of the thread that calls runTest, as Aio.run's main task does. */
    @Test
    void theBodyRunsInACopyOfTheCallersContext() throws Exception {
        var tenant = new org.aio4j.ContextVar<String>("tenant", "unset");
        tenant.set("from the caller");
        try {
            assertThat(runTest(() -> {
                String seen = tenant.get();
                tenant.set("from the body"); // in the copy: the caller's value stays
                return seen;
            })).isEqualTo("from the caller");
            assertThat(tenant.get()).isEqualTo("from the caller");
        } finally {
            tenant.set("unset");
        }
    }

    @Test
    void anHourOfSleepTakesNoRealTimeAndTheResultIsReturned() throws Exception {
        String r = runTest(() -> {
            EventLoop loop = Aio.getRunningLoop();
            assertThat(loop.isVirtualTime()).isTrue();
            assertThat(loop.time()).isEqualTo(0.0);
            Task<String> late = Aio.createTask(() -> {
                Aio.sleep(3600);
                return "an hour later";
            });
            Aio.sleep(1800);
            assertThat(loop.time()).isEqualTo(1800.0);
            String v = late.await();
            assertThat(loop.time()).isEqualTo(3600.0);
            return v;
        });
        assertThat(r).isEqualTo("an hour later");
    }

    @Test
    void theRealClockCanBeChosen() throws Exception {
        runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            assertThat(Aio.getRunningLoop().isVirtualTime()).isFalse();
            Aio.sleep(0);
        });
    }

    @Test
    void aBodyAwaitingOffloadedWorkThatNeverEndsTimesOutWithTheDump() {
        var never = new CountDownLatch(1);
        var interrupted = new AtomicBoolean();
        Throwable failure = catchThrowable(() -> runTest(SHORT, () -> {
            Aio.toThread(() -> {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    interrupted.set(true);
                    throw e;
                }
                return null;
            });
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Test body 'aBodyAwaitingOffloadedWorkThatNeverEndsTimesOutWithTheDump' timed"
                        + " out: not done after 0.3 s of real time")
                .hasMessageContaining("Tasks of EventLoop[")
                .hasMessageContaining("aBodyAwaitingOffloadedWorkThatNeverEndsTimesOutWithTheDump waits on")
                .hasMessageContaining("(RunTestTest.java:")
                .hasMessageContaining("in flight: offloaded call")
                .hasCauseInstanceOf(CancellationException.class);
        // The cancellation reached the offloaded call, and the cleanup waited for it to end.
        assertThat(interrupted).isTrue();
    }

    @Test
    void aTimeoutIsReportedAsSuchWhateverTheCancellationGrace() {
        // A grace beyond what fits in a long of nanoseconds ("wait as long as it takes to unwind") is valid: the
        // failure must still be the timeout with its dump, not an ArithmeticException from writing the message.
        var forever = new CountDownLatch(1);
        Throwable failure = catchThrowable(() -> runTest(SHORT.withCancellationGrace(Duration.ofSeconds(Long.MAX_VALUE)),
                () -> {
                    Aio.toThread(() -> {
                        forever.await();
                        return null;
                    });
                }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("timed out: not done after 0.3 s of real time")
                .hasMessageContaining("in flight: offloaded call");
    }

    @Test
    void aChildTaskKeepingAVirtualClockRunningForeverTimesOut() {
        // Debug mode off: the clock races so fast that the dump's stack walks would make it report slow steps.
        Throwable failure = catchThrowable(() -> runTest(SHORT.withDebug(false), () -> {
            Aio.createTask(() -> {
                while (true) {
                    Aio.sleep(1);
                }
            }, "ticker").await();
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("timed out")
                .hasMessageContaining("\n└─ ticker waits on ") // a sleep, or nothing (running): it is always busy
                .hasMessageContaining("aChildTaskKeepingAVirtualClockRunningForeverTimesOut waits on task ticker");
    }

    @Test
    void aBusyLoopHoldingTheLoopFailsAndTheLoopIsAbandoned() throws Exception {
        var exited = new CountDownLatch(1);
        Throwable failure = catchThrowable(() -> runTest(SHORT.withCancellationGrace(Duration.ofMillis(200)), () -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.onSpinWait();
                }
            } finally {
                exited.countDown();
            }
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("timed out")
                .hasMessageContaining("The loop did not respond to the cancellation within 0.2 s")
                .hasMessageContaining("aBusyLoopHoldingTheLoopFailsAndTheLoopIsAbandoned waits on nothing (running)"
                        + " at org.aio4j.test.RunTestTest.");
        // The body's thread was interrupted, so the spin ends and the abandoned loop can wind down.
        assertThat(exited.await(1, TimeUnit.MINUTES)).isTrue();
    }

    @Test
    void aBlockingCallOnTheLoopFailsAndItsThreadIsInterrupted() throws Exception {
        var never = new CountDownLatch(1);
        var interrupted = new CountDownLatch(1);
        Throwable failure = catchThrowable(() -> runTest(SHORT.withCancellationGrace(Duration.ofMillis(200)), () -> {
            try {
                never.await(); // blocks the loop: nothing else can run, not even the cancellation
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("a task or callback is holding it")
                .hasMessageContaining("waits on nothing (running)");
        assertThat(interrupted.await(1, TimeUnit.MINUTES)).isTrue();
    }

    @Test
    void theThreadInterruptedAfterTheGraceIsTheOneHoldingTheLoopNotTheBodys() throws Exception {
        var never = new CountDownLatch(1);
        var blockerInterrupted = new CountDownLatch(1);
        Throwable failure = catchThrowable(() -> runTest(SHORT.withCancellationGrace(Duration.ofMillis(200)), () -> {
            Aio.createTask(() -> {
                try {
                    never.await(); // a child blocks the loop while the body waits for it
                } catch (InterruptedException e) {
                    blockerInterrupted.countDown();
                }
            }, "blocker").await();
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("The loop did not respond to the cancellation within 0.2 s")
                .hasMessageContaining("The thread holding it (")
                .hasMessageContaining("blocker waits on nothing (running)");
        assertThat(blockerInterrupted.await(1, TimeUnit.MINUTES)).isTrue();
    }

    @Test
    void aTaskThatGoesOnAfterItsCancellationIsToldApartFromABlockedLoopAndItsLoopIsClosed() throws Exception {
        Throwable failure = catchThrowable(() -> runTest(SHORT.withDebug(false)
                .withCancellationGrace(Duration.ofMillis(200)), () -> {
            Aio.createTask(() -> {
                while (true) {
                    try {
                        Aio.sleep(1);
                    } catch (CancellationException ignored) {
                        // does not honour its cancellation
                    }
                }
            }, "stubborn").await();
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("The loop ran the cancellation, but it was still not done 0.2 s later")
                .hasMessageContaining("The loop was stopped and is closed")
                .hasMessageNotContaining("did not respond");
        // The driver thread, which would otherwise race the virtual clock for the rest of the run, closes the loop.
        Thread driver = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("aio4j-test-loop["
                        + "aTaskThatGoesOnAfterItsCancellationIsToldApartFromABlockedLoopAndItsLoopIsClosed]"))
                .findFirst().orElse(null);
        if (driver != null) {
            driver.join(Duration.ofMinutes(1));
            assertThat(driver.isAlive()).as("the abandoned loop's driver ended").isFalse();
        }
    }

    @Test
    void aTaskBlockingTheLoopInItsFinallyAfterTheCancellationIsReportedAsBlockingAndItsThreadIsInterrupted()
            throws Exception {
        var never = new CountDownLatch(1);
        var interrupted = new CountDownLatch(1);
        Throwable failure = catchThrowable(() -> runTest(SHORT.withCancellationGrace(Duration.ofMillis(200)), () -> {
            try {
                Aio.toThread(() -> new CountDownLatch(1).await(1, TimeUnit.HOURS)); // the cancellation runs
            } finally {
                try {
                    never.await(); // a blocking clean-up: holds the loop from then on
                } catch (InterruptedException e) {
                    interrupted.countDown();
                }
            }
        }));
        try {
            assertThat(failure).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("The loop ran the cancellation, but then a task or callback held it")
                    .hasMessageContaining("was interrupted and the loop abandoned")
                    .hasMessageContaining("waits on nothing (running)")
                    .hasMessageNotContaining("The loop was stopped and is closed");
            assertThat(interrupted.await(1, TimeUnit.MINUTES)).as("the blocked thread was interrupted").isTrue();
        } finally {
            never.countDown(); // in any case, do not leave the thread blocked
        }
    }

    @Test
    void aWorkerThatSwallowsEveryExceptionFailsTheTestInsteadOfHangingIt() {
        Throwable failure = catchThrowable(() -> runTest(SHORT, () -> {
            org.aio4j.Queue<String> jobs = new org.aio4j.Queue<>();
            Aio.createTask(() -> {
                while (true) {
                    try {
                        jobs.get();
                    } catch (RuntimeException e) {
                        // "log it and keep serving": the end-of-test cancellation and the closing loop's refusals too
                    }
                }
            }, "worker");
            Aio.sleep(1);
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 task was still pending at the end of the test")
                .hasMessageContaining("the end-of-test cleanup cancels them");
        assertThat(java.util.Arrays.stream(failure.getSuppressed()).map(Throwable::getMessage))
                .anySatisfy(m -> assertThat(m).contains("Deadlock").contains("worker waits on Queue"))
                .anySatisfy(m -> assertThat(m).contains(
                        "Task went on trying to suspend after its event loop closed"));
    }

    /**
     * The end-of-test cleanup deadlocks on a worker that swallows its cancellation; the loop's close then resumes
     * that worker once more, and its clean-up blocks the loop. The close is watched as every run is: the test fails
     * with the dump and the blocked thread is interrupted, instead of hanging the test runner for ever.
     */
    @Test
    void aCloseHeldByABlockingCleanUpAfterTheCleanupDeadlockedFailsAndInterruptsTheHolder() throws Exception {
        var never = new CountDownLatch(1);
        var interrupted = new CountDownLatch(1);
        var runner = new AtomicReference<Throwable>();
        var tester = Thread.ofPlatform().daemon().start(() -> runner.set(catchThrowable(() -> runTest(SHORT
                .withCancellationGrace(Duration.ofMillis(200)), () -> {
            org.aio4j.Queue<String> jobs = new org.aio4j.Queue<>();
            Aio.createTask(() -> {
                boolean cancelledOnce = false;
                while (true) {
                    try {
                        jobs.get();
                    } catch (RuntimeException e) {
                        if (cancelledOnce) { // the close resumes it: a blocking clean-up holds the loop
                            try {
                                never.await();
                            } catch (InterruptedException stopped) {
                                interrupted.countDown();
                                return null;
                            }
                        }
                        cancelledOnce = true; // the end-of-test cleanup's cancellation, swallowed
                    }
                }
            }, "stubborn");
            Aio.sleep(1);
        }))));
        try {
            assertThat(tester.join(Duration.ofMinutes(1))).as("runTest returned (the close is given 10 s)").isTrue();
            assertThat(runner.get()).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("1 task was still pending at the end of the test");
            assertThat(java.util.Arrays.stream(runner.get().getSuppressed()).map(Throwable::getMessage))
                    .anySatisfy(m -> assertThat(m).contains("Deadlock").contains("stubborn waits on Queue"))
                    .anySatisfy(m -> assertThat(m).contains("Closing the test's event loop did not end within")
                            .contains("was interrupted")
                            .contains("stubborn")
                            .contains("nothing (running)"));
            assertThat(interrupted.await(1, TimeUnit.MINUTES)).as("the blocked thread was interrupted").isTrue();
        } finally {
            never.countDown(); // in any case, do not leave the thread blocked
        }
    }

    /**
     * A task the body cancelled, and did not await, whose clean-up still suspends is pending at the end: the message
     * says so, since "await or cancel them" alone reads as if the cancel() had been enough.
     */
    @Test
    void aTaskCancelledButStillUnwindingIsNamedAsSuch() {
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Task<Void> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(100);
                } finally {
                    Aio.sleep(0.5); // clean-up that suspends
                }
            }, "closer");
            Aio.sleep(1);
            t.cancel();
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 task was still pending at the end of the test")
                .hasMessageContaining("1 of them was cancelled and is still unwinding: await a task after cancel()");
    }

    @Test
    void aDeadlockFailsAtOnceWithTheWaitForGraph() {
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Future<String> ping = Aio.getRunningLoop().createFuture();
            Future<String> pong = Aio.getRunningLoop().createFuture();
            Task<String> alice = Aio.createTask(() -> ping.await(), "alice");
            Task<String> bob = Aio.createTask(() -> pong.await(), "bob");
            Aio.gather(alice, bob).await();
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("Deadlock: ")
                .hasMessageContaining("alice waits on ")
                .hasMessageContaining("bob waits on ")
                .hasCauseInstanceOf(DeadlockException.class);
        // The test's own task says where in the test it waits; where aio4j-test created it would lead nowhere.
        assertThat(failure.getMessage())
                .contains("\n  aDeadlockFailsAtOnceWithTheWaitForGraph waits on ")
                .doesNotContain("created at org.aio4j.test.WatchedRun");
        // The loop's advice, "build the loop with deadlockDetection(false)", is about a loop the test never built: the
        // failure names the switch of the test's options as well.
        assertThat(failure.getMessage()).endsWith("\nThe test's loop was built by aio4j-test: its deadlock detection"
                + " is turned off with TestOptions.withDeadlockDetection(false), or deadlockDetection = false of"
                + " @AioTest or @AioTestOptions.");
    }

    @Test
    void anExceptionOfAChildTaskNobodyAwaitedFailsTheTest() {
        var boom = new IllegalStateException("boom");
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Aio.createTask(() -> {
                throw boom;
            }, "careless");
            Aio.sleep(1);
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 error reached the event loop's exception handler")
                .hasMessageContaining("Task exception was never retrieved: Task[name=careless")
                .cause().isSameAs(boom);
    }

    @Test
    void anExceptionHandlerInstalledByTheBodyDoesNotHideTheErrorsFoundAtTheEnd() {
        // Code under test may install a handler of its own (a framework's logging one); what it saw while it was
        // installed is its business, but the errors the end of the test finds must still fail it.
        var boom = new IllegalStateException("boom");
        var seenByTheBodysHandler = new ArrayList<String>();
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Aio.getRunningLoop().setExceptionHandler((loop, context) -> seenByTheBodysHandler.add(context.message()));
            Aio.createTask(() -> {
                throw boom;
            }, "careless");
            Aio.sleep(1);
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Task exception was never retrieved: Task[name=careless")
                .cause().isSameAs(boom);
        assertThat(seenByTheBodysHandler).isEmpty();
    }

    @Test
    void severalUnreceivedErrorsAreTheCauseAndSuppressedInTheOrderTheyCame() {
        var inCallback = new IllegalArgumentException("in a callback");
        var inTask = new IllegalStateException("in a task");
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Aio.createTask(() -> {
                throw inTask;
            });
            Aio.getRunningLoop().callSoon(() -> {
                throw inCallback;
            });
            Aio.sleep(1);
        }));
        // The callback's error is reported when it happens; the task's when the loop closes.
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("2 errors reached")
                .hasMessageContaining("Exception in callback")
                .hasCause(inCallback);
        assertThat(failure.getSuppressed()).containsExactly(inTask);
    }

    @Test
    void errorsFoundWhenTheBodyThrowsAnExceptionWithoutSuppressionAreNotLost() {
        // Some exceptions are built with suppression disabled (preallocated ones, say): adding the unreceived errors
        // to such an exception as suppressed would drop them.
        var boom = new IllegalStateException("boom");
        var own = new RuntimeException("the body's own", null, false, false) { };
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Aio.createTask(() -> {
                throw boom;
            }, "careless");
            Aio.sleep(1);
            throw own;
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("the body's own")
                .hasMessageContaining("records no suppressed exceptions")
                .hasCause(own);
        assertThat(failure.getSuppressed()).singleElement().satisfies(e -> assertThat(e)
                .hasMessageContaining("Task exception was never retrieved: Task[name=careless").cause().isSameAs(boom));
    }

    @Test
    void anAssertionFailingInAnAwaitedTaskPropagatesAsItIs() {
        var inner = new AssertionError("expected 2 but was 3");
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Task<Void> outer = Aio.createTask(() -> {
                Aio.createTask(() -> {
                    Aio.sleep(1);
                    throw inner;
                }).await();
            });
            outer.await();
        }));
        assertThat(failure).isSameAs(inner);
        assertThat(failure.getSuppressed()).isEmpty();
    }

    @Test
    void anAssertionFailingInATaskNobodyAwaitedFailsTheTest() {
        var inner = new AssertionError("expected 2 but was 3");
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Aio.createTask(() -> {
                throw inner;
            });
            Aio.sleep(1);
        }));
        assertThat(failure).isInstanceOf(AssertionError.class).cause().isSameAs(inner);
    }

    @Test
    void aTaskStillPendingAtTheEndFailsTheTestWithTheDumpAndIsCancelled() {
        var cancelled = new AtomicReference<Throwable>();
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    cancelled.set(e);
                    throw e;
                }
            }, "straggler");
            Aio.sleep(1);
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 task was still pending at the end of the test")
                .hasMessageContaining("straggler waits on a sleep until 10.0 at org.aio4j.test.RunTestTest.")
                .hasMessageContaining("created at org.aio4j.test.RunTestTest.");
        assertThat(cancelled.get()).hasMessage("the test ended");
    }

    @Test
    void allowedBackgroundTasksAreCancelledQuietly() throws Exception {
        var cancelled = new AtomicBoolean();
        runTest(TestOptions.defaults().withAllowPendingTasks(true), () -> {
            Aio.createTask(() -> {
                try {
                    while (true) {
                        Aio.sleep(1);
                    }
                } finally {
                    cancelled.set(true);
                }
            }, "heartbeat");
            Aio.sleep(5);
        });
        assertThat(cancelled).isTrue();
    }

    @Test
    void aTaskThatFailsWhenCancelledAtTheEndFailsTheTest() {
        Throwable failure = catchThrowable(() -> runTest(TestOptions.defaults().withAllowPendingTasks(true), () -> {
            Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    throw new IOException("could not flush on cancel");
                }
            }, "flusher");
            Aio.sleep(1);
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Task failed when it was cancelled at the end of the test: Task[name=flusher")
                .cause().isInstanceOf(IOException.class).hasMessage("could not flush on cancel");
    }

    @ParameterizedTest(name = "virtual time: {0}")
    @ValueSource(booleans = {true, false})
    void theFailureOfAnOffloadedCallNobodyAwaitedIsWaitedForAndReported(boolean virtualTime) {
        Throwable failure = catchThrowable(() -> runTest(TestOptions.defaults().withVirtualTime(virtualTime), () -> {
            var go = new CountDownLatch(1);
            Aio.getRunningLoop().runInExecutor(null, () -> {
                go.await();
                throw new IOException("late failure");
            });
            go.countDown(); // the call fails after (or while) the body returns
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Future exception was never retrieved")
                .cause().isInstanceOf(IOException.class).hasMessage("late failure");
    }

    @ParameterizedTest(name = "virtual time: {0}")
    @ValueSource(booleans = {true, false})
    void anOffloadedCallStillBlockedOnAFutureOfTheLoopAtTheEndFailsTheTest(boolean virtualTime) {
        // The call waits for the loop, which alone can settle the future: the cleanup does not wait for it (it would
        // never end by itself); the close releases it, and the test must not pass as if nothing were left behind.
        Throwable failure = catchThrowable(() -> runTest(SHORT.withVirtualTime(virtualTime), () -> {
            Future<String> never = Aio.getRunningLoop().createFuture();
            Aio.getRunningLoop().runInExecutor(null, never::get);
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Event loop closed while offloaded call")
                .hasMessageContaining("is blocked in Future.get() on Future");
    }

    @Test
    void aCallQueuedOnAFixedPoolBehindCallsBlockedOnTheLoopRunsWhenAThreadIsFree() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(1);
        try {
            String r = runTest(() -> {
                EventLoop loop = Aio.getRunningLoop();
                Future<String> later = loop.createFuture();
                loop.callLater(5, () -> later.setResult("later"));
                Future<String> blocked = loop.runInExecutor(pool, later::get);
                Future<String> queued = loop.runInExecutor(pool, () -> "queued"); // the only thread is blocked
                return queued.await() + " at " + loop.time() + " after " + blocked.result();
            });
            assertThat(r).isEqualTo("queued at 5.0 after later");
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "virtual time: {0}")
    @ValueSource(booleans = {true, false})
    void aCallStillQueuedBehindACallBlockedOnTheLoopAtTheEndFailsTheTest(boolean virtualTime) {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(1);
        try {
            Throwable failure = catchThrowable(() -> runTest(SHORT.withVirtualTime(virtualTime), () -> {
                Future<String> never = Aio.getRunningLoop().createFuture();
                Aio.getRunningLoop().runInExecutor(pool, never::get);
                Aio.getRunningLoop().runInExecutor(pool, () -> "never runs");
            }));
            assertThat(failure).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("is blocked in Future.get() on Future")
                    .hasMessageContaining("(queued) waits for a thread of java.util.concurrent.ThreadPoolExecutor")
                    .hasMessageContaining("the call is dropped, it will not run");
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "virtual time: {0}, default executor: {1}")
    @CsvSource({"true, true", "false, true", "true, false", "false, false"})
    void anOffloadedCallStillRunningAtTheEndMakesTheCleanupTimeOut(boolean virtualTime, boolean defaultExecutor) {
        var never = new CountDownLatch(1);
        // Not the loop's default executor: the cleanup must wait for every call in flight, on either clock.
        var own = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        try {
            Throwable failure = catchThrowable(() -> runTest(SHORT.withVirtualTime(virtualTime), () -> {
                Aio.getRunningLoop().runInExecutor(defaultExecutor ? null : own, () -> {
                    never.await(); // a leaked thread: its outcome, an error maybe, would come after the test
                    return null;
                });
            }));
            assertThat(failure).isInstanceOf(AssertionError.class)
                    .hasMessageStartingWith("The end-of-test cleanup (cancelling the tasks left, then waiting for the"
                            + " offloaded calls in flight) timed out")
                    .hasMessageContaining("in flight: offloaded call");
        } finally {
            never.countDown();
            own.close();
        }
    }


    @Test
    void whenTheBodyFailsItsExceptionIsThrownWithUnreceivedErrorsSuppressedAndPendingTasksNotReported() {
        var child = new IllegalStateException("child");
        Throwable failure = catchThrowable(() -> runTest(() -> {
            Aio.createTask(() -> {
                throw child;
            });
            Aio.createTask(() -> Aio.sleep(10), "still sleeping");
            Aio.sleep(1);
            throw new IOException("body failed");
        }));
        assertThat(failure).isInstanceOf(IOException.class).hasMessage("body failed");
        assertThat(failure.getSuppressed()).singleElement()
                .isInstanceOf(AssertionError.class)
                .satisfies(e -> assertThat(e.getCause()).isSameAs(child));
    }

    @Test
    void aScheduleSeedShufflesReadyTasksReplayablyAndAFailureNamesIt() throws Exception {
        String fifo = interleaving(TestOptions.defaults());
        assertThat(fifo).isEqualTo("a1 b1 c1 a2 b2 c2");
        long seed = -1;
        String explored = fifo;
        for (long s = 0; s < 100 && explored.equals(fifo); s++) {
            seed = s;
            explored = interleaving(TestOptions.defaults().withScheduleSeed(s));
        }
        assertThat(explored).as("some seed in 0..99 departs from FIFO").isNotEqualTo(fifo);
        assertThat(interleaving(TestOptions.defaults().withScheduleSeed(seed))).isEqualTo(explored);

        long failingSeed = seed;
        Throwable failure = catchThrowable(() -> runTest(TestOptions.defaults().withScheduleSeed(failingSeed), () -> {
            assertThat(Aio.getRunningLoop().scheduleSeed()).hasValue(failingSeed);
            throw new IllegalStateException("an order-dependent bug");
        }));
        assertThat(failure).isInstanceOf(IllegalStateException.class).hasMessage("an order-dependent bug");
        assertThat(failure.getSuppressed()).hasSize(1);
        assertThat(failure.getSuppressed()[0]).isInstanceOf(TestSession.ScheduleSeedNote.class)
                .hasMessage("The loop ran its ready tasks in an order shuffled with schedule seed " + failingSeed
                        + "; TestOptions.withScheduleSeed(" + failingSeed + ") or @AioTest(scheduleSeed = "
                        + failingSeed + ") replays it");
    }

    @Test
    void theSeedOfAFailingTestIsNotLostWhenItsExceptionRecordsNoSuppressedOnes() {
        var own = new RuntimeException("an order-dependent bug", null, false, false) { };
        Throwable failure = catchThrowable(() -> runTest(TestOptions.defaults().withScheduleSeed(7), () -> {
            throw own;
        }));
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageContaining("an order-dependent bug")
                .hasMessageContaining("records no suppressed exceptions")
                .hasCause(own);
        assertThat(failure.getSuppressed()).singleElement().isInstanceOf(TestSession.ScheduleSeedNote.class)
                .satisfies(note -> assertThat(note).hasMessageContaining("TestOptions.withScheduleSeed(7)"));
    }

    /** Three tasks, each recording two steps with a yield between them. */
    private static String interleaving(TestOptions options) throws Exception {
        return runTest(options, () -> {
            var steps = new ArrayList<String>();
            var tasks = new ArrayList<Task<Void>>();
            for (String name : List.of("a", "b", "c")) {
                tasks.add(Aio.createTask(() -> {
                    steps.add(name + 1);
                    Aio.sleep(0);
                    steps.add(name + 2);
                }));
            }
            Aio.gather(tasks).await();
            return String.join(" ", steps);
        });
    }

    @Test
    void runTestCannotBeNestedInARunningLoop() {
        assertThatThrownBy(() -> runTest(() -> runTest(() -> { })))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("AioTesting.runTest cannot be called from a running event loop");
    }

    @Test
    void anInterruptOfTheCallingThreadCancelsTheBody() throws Exception {
        var started = new CountDownLatch(1);
        var bodyCancelled = new CountDownLatch(1);
        var thrown = new AtomicReference<Throwable>();
        Thread runner = Thread.ofPlatform().start(() -> thrown.set(catchThrowable(() -> runTest(() -> {
            try {
                started.countDown();
                Aio.toThread(() -> {
                    new CountDownLatch(1).await();
                    return null;
                });
            } catch (CancellationException e) {
                bodyCancelled.countDown();
                throw e;
            }
        }))));
        started.await();
        runner.interrupt();
        runner.join();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(bodyCancelled.await(1, TimeUnit.MINUTES)).isTrue();
    }

    /**
     * After the interrupt has cancelled the body, the end-of-test cleanup and the close still run as for any test
     * (a background task's clean-up that awaits runs), and the interrupt alone is reported: it did not count as a
     * close that "did not end within" the timeout, nor cancel the cleanup. The calling thread stays interrupted.
     */
    @Test
    void anInterruptedRunIsCleanedUpAndClosedAsAnyAndReportsTheInterruptAlone() throws Exception {
        var started = new CountDownLatch(1);
        var cleanedUp = new AtomicBoolean();
        var thrown = new AtomicReference<Throwable>();
        var stillInterrupted = new AtomicBoolean();
        Thread runner = Thread.ofPlatform().start(() -> {
            thrown.set(catchThrowable(() -> runTest(() -> {
                Aio.createTask(() -> {
                    try {
                        new org.aio4j.Event().await();
                    } finally {
                        Aio.sleep(1); // a clean-up that awaits: only a cleanup run on the loop completes it
                        cleanedUp.set(true);
                    }
                });
                started.countDown();
                Aio.toThread(() -> {
                    new CountDownLatch(1).await();
                    return null;
                });
            })));
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        started.await();
        runner.interrupt();
        runner.join();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(thrown.get().getSuppressed()).isEmpty();
        assertThat(cleanedUp).isTrue();
        assertThat(stillInterrupted).isTrue();
    }

    @Test
    void anInterruptedRunWhoseTaskIgnoresTheCancellationStopsAndClosesItsLoop() throws Exception {
        var started = new CountDownLatch(1);
        var thrown = new AtomicReference<Throwable>();
        Thread runner = Thread.ofPlatform().start(() -> thrown.set(catchThrowable(() -> runTest(
                TestOptions.defaults().withDebug(false).withCancellationGrace(Duration.ofMillis(200)), () -> {
                    Aio.createTask(() -> {
                        started.countDown();
                        while (true) {
                            try {
                                Aio.sleep(1);
                            } catch (CancellationException ignored) {
                                // does not honour its cancellation: on the virtual clock it races ahead
                            }
                        }
                    }, "deaf").await();
                }))));
        started.await();
        runner.interrupt();
        runner.join();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        // The driver, which would otherwise race the virtual clock for the rest of the run, closes the loop.
        Thread driver = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(
                        "aio4j-test-loop[anInterruptedRunWhoseTaskIgnoresTheCancellationStopsAndClosesItsLoop]"))
                .findFirst().orElse(null);
        if (driver != null) {
            driver.join(Duration.ofMinutes(1));
            assertThat(driver.isAlive()).as("the abandoned loop's driver ended").isFalse();
        }
    }

    @Test
    void anInterruptedRunWhoseLoopIsHeldHasTheThreadHoldingItInterrupted() throws Exception {
        var holderInterrupted = new CountDownLatch(1);
        assertThat(interruptWhenStarted(started -> {
            started.countDown();
            try {
                new CountDownLatch(1).await(); // holds the loop: the cancellation cannot run
            } catch (InterruptedException e) {
                holderInterrupted.countDown();
            }
        })).isInstanceOf(InterruptedException.class);
        assertThat(holderInterrupted.await(1, TimeUnit.MINUTES)).as("the thread holding the loop was interrupted")
                .isTrue();
    }

    @Test
    void anInterruptedRunWhoseBodyBlocksTheLoopWhileUnwindingHasTheThreadHoldingItInterrupted() throws Exception {
        var holderInterrupted = new CountDownLatch(1);
        assertThat(interruptWhenStarted(started -> {
            try {
                started.countDown();
                Aio.toThread(() -> { // in flight: neither a deadlock nor a virtual-clock jump
                    new CountDownLatch(1).await();
                    return null;
                });
            } finally {
                try {
                    new CountDownLatch(1).await(); // the cancellation ran: now the clean-up blocks the loop
                } catch (InterruptedException e) {
                    holderInterrupted.countDown();
                }
            }
        })).isInstanceOf(InterruptedException.class);
        assertThat(holderInterrupted.await(1, TimeUnit.MINUTES))
                .as("the thread holding the loop after the cancellation ran was interrupted, not left blocked")
                .isTrue();
    }

    /** A body run by runTest on a thread of its own that is interrupted once the body says it started. */
    private interface StartedBody {
        void run(CountDownLatch started) throws Exception;
    }

    /** Runs {@code body} in runTest (grace 200 ms), interrupts the running thread when it started; what it threw. */
    private static Throwable interruptWhenStarted(StartedBody body) throws InterruptedException {
        var started = new CountDownLatch(1);
        var thrown = new AtomicReference<Throwable>();
        Thread runner = Thread.ofPlatform().start(() -> thrown.set(catchThrowable(() -> runTest(
                TestOptions.defaults().withCancellationGrace(Duration.ofMillis(200)), () -> body.run(started)))));
        started.await();
        runner.interrupt();
        runner.join();
        return thrown.get();
    }

    @Test
    void badOptionsAreRejectedWithTheValue() {
        assertThatThrownBy(() -> TestOptions.defaults().withTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be > 0, got PT0S");
        assertThatThrownBy(() -> TestOptions.defaults().withCancellationGrace(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cancellation grace must be >= 0, got PT-1S");
        String old = System.getProperty(TestOptions.TIMEOUT_PROPERTY);
        try {
            System.setProperty(TestOptions.TIMEOUT_PROPERTY, "soon");
            assertThatThrownBy(TestOptions::defaults).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("System property aio4j.test.timeout must be a number of seconds > 0, got 'soon'");
            System.setProperty(TestOptions.TIMEOUT_PROPERTY, "1e-10"); // not a timeout of 0, failing every test
            assertThatThrownBy(TestOptions::defaults).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("System property aio4j.test.timeout must be at least a nanosecond (1e-9 s), got 1.0E-10");
            System.setProperty(TestOptions.TIMEOUT_PROPERTY, "2.5");
            assertThat(TestOptions.defaults().timeout()).isEqualTo(Duration.ofMillis(2500));
            assertThat(TestOptions.defaults().cancellationGrace()).isEqualTo(Duration.ofMillis(2500));
        } finally {
            if (old == null) {
                System.clearProperty(TestOptions.TIMEOUT_PROPERTY);
            } else {
                System.setProperty(TestOptions.TIMEOUT_PROPERTY, old);
            }
        }
        assertThat(TestOptions.defaults().cancellationGrace()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void testsRunInParallelUseSeparateLoops() throws Exception {
        List<Thread> threads = new ArrayList<>();
        var loops = java.util.Collections.synchronizedSet(
                java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<EventLoop, Boolean>()));
        var failures = java.util.Collections.synchronizedList(new ArrayList<Throwable>());
        for (int i = 0; i < 8; i++) {
            int n = i;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    runTest(() -> {
                        loops.add(Aio.getRunningLoop());
                        Aio.sleep(n);
                        assertThat(Aio.getRunningLoop().time()).isEqualTo((double) n);
                    });
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        assertThat(loops).hasSize(8);
    }

    @Test
    void cancellingAnOffloadedCallThatFailsBecauseOfTheInterruptDoesNotFailThePassingTest() throws Exception {
        try (var server = new java.net.ServerSocket(0)) { // only the interrupt ends accept(): "Closed by interrupt"
            runTest(() -> {
                var started = new CountDownLatch(2);
                Task<Object> accepting = Aio.createTask(() -> Aio.toThread(() -> {
                    started.countDown();
                    return server.accept();
                }));
                Task<Object> wrapping = Aio.createTask(() -> Aio.toThread(() -> {
                    started.countDown();
                    try {
                        new CountDownLatch(1).await(); // blocks until interrupted
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e); // the common idiom: the interrupt, wrapped
                    }
                    return null;
                }));
                while (started.getCount() > 0) {
                    Aio.sleep(0);
                }
                accepting.cancel();
                wrapping.cancel();
                assertThatThrownBy(accepting::await).isInstanceOf(CancellationException.class);
                assertThatThrownBy(wrapping::await).isInstanceOf(CancellationException.class);
            });
        }
    }
}
