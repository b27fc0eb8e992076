package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class TaskTest {

    @Test
    void onlyOneTaskRunsAtATimeAndTheySwitchOnlyAtSuspensionPoints() throws Exception {
        List<String> seen = new ArrayList<>();
        int[] running = {0};
        int[] peak = {0};
        Aio.run(() -> {
            List<Task<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                tasks.add(Aio.createTask(() -> {
                    for (int step = 0; step < 3; step++) {
                        running[0]++;
                        peak[0] = Math.max(peak[0], running[0]);
                        seen.add(id + "." + step);
                        running[0]--;
                        Aio.sleep(0);
                    }
                }));
            }
            Aio.gather(tasks).await();
            return null;
        });
        assertThat(peak[0]).isEqualTo(1);
        assertThat(seen).containsExactly("0.0", "1.0", "2.0", "0.1", "1.1", "2.1", "0.2", "1.2", "2.2");
    }

    @Test
    void aDoneTaskNoLongerHoldsTheThreadItRanOn() throws Exception {
        // A program keeping a million done tasks (a list it gathered) must not keep a million ended virtual threads
        // with them (about 300 bytes each, with their continuations).
        var loop = EventLoop.builder().virtualTime().build();
        List<java.lang.ref.WeakReference<Thread>> threads = new ArrayList<>();
        List<Task<Integer>> done = loop.runUntilComplete(() -> {
            List<Task<Integer>> tasks = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int value = i;
                tasks.add(Aio.createTask(() -> {
                    threads.add(new java.lang.ref.WeakReference<>(Thread.currentThread()));
                    Aio.sleep(value == 1 ? 1 : 0); // ended from a suspension, ...
                    if (value == 2) {
                        throw new IllegalStateException("failed"); // ... with an error, ...
                    }
                    return value;
                }));
            }
            tasks.add(Aio.createTask(() -> {
                threads.add(new java.lang.ref.WeakReference<>(Thread.currentThread()));
                return 3; // ... or in its first step
            }));
            Aio.gatherWithExceptions(tasks).await();
            return tasks;
        });
        loop.close();
        for (var ref : threads) {
            Thread t = ref.get();
            if (t != null) {
                t.join(); // it may still be returning from its body
            }
        }
        for (int i = 0; i < 100 && threads.stream().anyMatch(r -> r.get() != null); i++) {
            System.gc();
        }
        assertThat(done).hasSize(4).allMatch(Task::isDone);
        assertThat(threads).hasSize(4).allMatch(r -> r.get() == null, "collected while its task is still referenced");
        assertThat(done.get(1).result()).isEqualTo(1); // the task keeps its outcome
        assertThat(done.get(2).exception()).hasMessage("failed");
    }

    @Test
    void aTaskThatNeverSuspendsRunsToTheEndFirst() throws Exception {
        List<String> seen = new ArrayList<>();
        Aio.run(() -> {
            var a = Aio.createTask(() -> {
                for (int i = 0; i < 3; i++) {
                    seen.add("a" + i);
                }
            });
            var b = Aio.createTask(() -> seen.add("b"));
            Aio.gather(a, b).await();
            return null;
        });
        assertThat(seen).containsExactly("a0", "a1", "a2", "b");
    }

    @Test
    void aTaskDoesNotStartUntilTheLoopReachesIt() throws Exception {
        List<String> seen = new ArrayList<>();
        Aio.run(() -> {
            var t = Aio.createTask(() -> seen.add("task ran"));
            seen.add("created");
            t.await();
            return null;
        });
        assertThat(seen).containsExactly("created", "task ran");
    }

    @Test
    void cancellationIsThrownAtTheSuspensionPoint() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> {
                try {
                    seen.add("sleeping");
                    Aio.sleep(100);
                    seen.add("woke normally");
                } catch (CancellationException e) {
                    seen.add("cancelled: " + e.getMessage() + " at " + Aio.getRunningLoop().time());
                    throw e;
                }
            });
            Aio.sleep(1);
            assertThat(t.cancel("stop now")).isTrue();
            assertThat(t.cancelling()).isEqualTo(1);
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.cancel()).isFalse();
            return null;
        });
        assertThat(seen).containsExactly("sleeping", "cancelled: stop now at 1.0");
    }

    @Test
    void aTaskMayCatchCancellationAndReturnAValue() throws Exception {
        String result = TestLoops.runVirtual(() -> {
            Task<String> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(100);
                    return "not cancelled";
                } catch (CancellationException e) {
                    Aio.sleep(1); // cleanup that suspends
                    return "cleaned up";
                }
            });
            Aio.sleep(1);
            t.cancel();
            return t.await();
        });
        assertThat(result).isEqualTo("cleaned up");
    }

    @Test
    void cancellingATaskCancelsTheFutureItAwaits() throws Exception {
        TestLoops.runVirtual(() -> {
            Future<String> inner = Aio.getRunningLoop().createFuture();
            Task<String> t = Aio.createTask(inner::await);
            Aio.sleep(0);
            assertThat(t.waitingOn()).isSameAs(inner);
            t.cancel("msg");
            assertThat(inner.isCancelled()).isTrue();
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            return null;
        });
    }

    @Test
    void aTaskCancelledBeforeItStartsNeverRuns() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var t = Aio.createTask(() -> seen.add("ran"));
            t.cancel();
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(seen).isEmpty();
    }

    @Test
    void cancellingAndUncancellingCountLikeCpython313() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<String> t = Aio.createTask(() -> {
                Aio.sleep(10);
                return "slept";
            });
            Task<String> u = Aio.createTask(() -> {
                Aio.sleep(10);
                return "slept";
            });
            Aio.sleep(0);
            t.cancel("first");
            t.cancel("second");
            assertThat(t.cancelling()).isEqualTo(2);
            assertThat(t.uncancel()).isEqualTo(1);
            assertThat(t.uncancel()).isZero();
            assertThat(t.uncancel()).isZero();
            u.cancel("only");
            assertThat(u.uncancel()).isZero();
            // The first request was passed on to the sleep, which it cut short: withdrawing the requests does not
            // undo that, and the wake-up raises it (CPython 3.13 raises the sleep future's CancelledError).
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class).hasMessage("first");
            assertThatThrownBy(u::await).isInstanceOf(CancellationException.class).hasMessage("only");
            return null;
        });
    }

    @Test
    void uncancelToZeroDropsAPendingCancellation() throws Exception {
        String result = TestLoops.runVirtual(() -> {
            Task<String> t = Aio.createTask(() -> {
                Aio.sleep(0);
                Aio.sleep(0);
                return "finished";
            });
            Aio.sleep(0);           // t runs to its first sleep(0)
            t.cancel();             // t is ready, not waiting on a future: the cancel is pending
            t.uncancel();           // withdrawn before t runs again
            return t.await();
        });
        assertThat(result).isEqualTo("finished");
    }

    /**
     * CPython 3.13's {@code uncancel()} drops a pending request only when the count reaches zero: two requests made
     * while the task is ready (not waiting on a future) and one withdrawn still cancel it, with the later message.
     */
    @Test
    void uncancelAboveZeroKeepsAPendingCancellation() throws Exception {
        String result = TestLoops.runVirtual(() -> {
            Task<String> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(0);
                    Aio.sleep(0);
                    return "finished";
                } catch (CancellationException e) {
                    return "cancelled: " + e.getMessage();
                }
            });
            Aio.sleep(0);           // t runs to its first sleep(0): ready, nothing to pass a request on to
            t.cancel("first");
            t.cancel("second");
            assertThat(t.uncancel()).isEqualTo(1);
            return t.await();
        });
        assertThat(result).isEqualTo("cancelled: second");
    }

    /**
     * Only the thread holding the loop may cancel or uncancel a task: from another thread both throw, naming the
     * call, and change nothing (asyncio's tasks are not thread-safe either; it does not check).
     */
    @Test
    void cancelAndUncancelFromAnotherThreadThrowAndChangeNothing() throws Exception {
        String result = TestLoops.runVirtual(() -> {
            Task<String> u = Aio.createTask(() -> {
                Aio.sleep(1);
                return "finished";
            });
            Aio.sleep(0);
            List<Throwable> thrown = Aio.toThread(() -> {
                List<Throwable> errors = new ArrayList<>();
                try {
                    u.cancel("from outside");
                } catch (IllegalStateException e) {
                    errors.add(e);
                }
                try {
                    u.uncancel();
                } catch (IllegalStateException e) {
                    errors.add(e);
                }
                return errors;
            });
            assertThat(thrown).hasSize(2);
            assertThat(thrown.get(0)).hasMessageContaining("Task.cancel");
            assertThat(thrown.get(1)).hasMessageContaining("Task.uncancel");
            assertThat(u.cancelling()).isZero();
            return u.await();
        });
        assertThat(result).isEqualTo("finished");
    }

    /**
     * A task awaiting a future that something else cancels gets that future's cancellation, with its message, and
     * ends cancelled without any request of its own counted: asyncio's {@code await fut} of a cancelled future.
     */
    @Test
    void aTaskAwaitingAFutureCancelledByAnotherGetsItsMessageUncounted() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Future<String> fut = Aio.getRunningLoop().createFuture();
            Task<String> t = Aio.createTask(() -> {
                try {
                    return fut.await();
                } catch (CancellationException e) {
                    seen.add(e.getMessage() + ", cancelling " + Aio.currentTask().cancelling() + ", interruption "
                            + Aio.currentTask().isInterruption(e));
                    throw e;
                }
            });
            Aio.sleep(0);
            fut.cancel("by other");
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class).hasMessage("by other");
            assertThat(t.isCancelled()).isTrue();
            return null;
        });
        assertThat(seen).containsExactly("by other, cancelling 0, interruption false");
    }

    /**
     * A coroutine that ends with a cancellation of its own while a {@code cancel("pending")} waits to be delivered ends
     * the task with its own exception's message, none here: CPython 3.13's {@code __step} cancels the task with the
     * {@code CancelledError} the coroutine raised, not with the request's message.
     */
    @Test
    void aTaskEndingWithItsOwnMessagelessCancellationKeepsNoMessageOfAPendingRequest() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<String> t = Aio.createTask(() -> {
                Aio.currentTask().cancel("pending");
                throw new CancellationException();
            });
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class).hasMessage(null);
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class).hasMessage(null);
            assertThat(t.isCancelled()).isTrue();
            return null;
        });
    }

    /** A sleeping task waits on no future ({@link Task#waitingOn()} is null), and its description says it sleeps. */
    @Test
    void aSleepingTaskWaitsOnNoFuture() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> Aio.sleep(5));
            Aio.sleep(1);
            assertThat(t.waitingOn()).isNull();
            assertThat(t.toString()).contains("waiting on a sleep until 5.0");
            assertThat(Aio.currentTask().toString()).doesNotContain("waiting on");
            t.await();
            assertThat(t.toString()).doesNotContain("waiting on");
            return null;
        });
    }

    @Test
    void selfCancellationTakesEffectAtTheNextSuspension() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> {
                Aio.currentTask().cancel();
                seen.add("still running");
                try {
                    Aio.sleep(5);
                } catch (CancellationException e) {
                    seen.add("cancelled at " + Aio.getRunningLoop().time());
                    throw e;
                }
            });
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(seen).containsExactly("still running", "cancelled at 0.0");
    }

    @Test
    void aTaskCannotAwaitItself() throws Exception {
        Throwable e = TestLoops.runVirtual(() -> {
            Task<?>[] self = new Task<?>[1];
            Future<Void> go = Aio.getRunningLoop().createFuture();
            self[0] = Aio.createTask(() -> {
                go.await();
                try {
                    self[0].await();
                    return null;
                } catch (IllegalStateException ex) {
                    return ex;
                }
            });
            go.setResult(null);
            return (Throwable) self[0].await();
        });
        assertThat(e).hasMessageStartingWith("Task cannot await on itself");
    }

    @Test
    void setResultOnATaskIsUnsupported() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<String> t = Aio.createTask(() -> "x");
            assertThatThrownBy(() -> t.setResult("y")).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> t.setException(new RuntimeException()))
                    .isInstanceOf(UnsupportedOperationException.class);
            return t.await();
        });
    }

    @Test
    void namesAndIntrospection() throws Exception {
        TestLoops.runVirtual(() -> {
            Coroutine<String> body = () -> {
                Aio.sleep(5);
                return "x";
            };
            Task<String> named = Aio.createTask(body, "worker-1");
            Task<String> unnamed = Aio.createTask(() -> "y");
            assertThat(named.getName()).isEqualTo("worker-1");
            assertThat(unnamed.getName()).startsWith("Task-");
            assertThat(named.getCoro()).isSameAs(body);
            assertThat(named.parent()).isSameAs(Aio.currentTask());
            assertThat(Aio.currentTask().parent()).as("the main task, created by no task").isNull();
            assertThat(Aio.allTasks()).contains(named, unnamed, Aio.currentTask());
            Aio.sleep(1);
            assertThat(named.toString()).contains("name=worker-1", "pending", "sleep until 5.0");
            assertThat(named.waitingAt()).isNotNull();
            assertThat(named.waitingAt().getClassName()).isEqualTo(TaskTest.class.getName());
            assertThat(named.getStack()).allSatisfy(f -> assertThat(f.getClassName()).doesNotStartWith("java."));
            named.setName("renamed");
            assertThat(named.getName()).isEqualTo("renamed");
            named.await();
            assertThat(Aio.allTasks()).doesNotContain(named, unnamed);
            return null;
        });
    }

    /**
     * A task waiting on a queue, a lock or another primitive prints what it waits on, as the deadlock report's lines
     * do, not the bare future the primitive made for it: the report's first line and the loop's "still pending when
     * it closed" reports print the task so.
     */
    @Test
    void aTaskWaitingOnAPrimitivePrintsThePrimitive() throws Exception {
        TestLoops.runVirtual(() -> {
            var queue = new Queue<String>();
            Task<String> getter = Aio.createTask(queue::get, "getter");
            Aio.waitAllTasksBlocked();
            assertThat(getter.toString()).isEqualTo("Task[name=getter, pending, waiting on " + queue + "]");
            queue.put("x");
            return getter.await();
        });
    }

    @Test
    void cancellingATaskWaitingOnToThreadInterruptsTheThread() throws Exception {
        var started = new CountDownLatch(1);
        var interrupted = new CountDownLatch(1);
        Aio.run(() -> {
            Task<String> t = Aio.createTask(() -> Aio.toThread(sleepsUntilInterrupted(started, e -> {
                interrupted.countDown();
                return e;
            })));
            awaitOffLoop(started);
            t.cancel();
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            awaitOffLoop(interrupted);
            return null;
        });
        assertThat(interrupted.getCount()).isZero();
    }

    /**
     * {@code Aio.toThread} takes blocking work without a result, asyncio's {@code to_thread(f)} of an {@code f}
     * returning {@code None}, checked exceptions included, with no {@code return null;} (it used to accept only a
     * {@code Callable}, so such a lambda did not compile); the call's exception and a cancellation behave as for a
     * {@code Callable}.
     */
    @Test
    void toThreadTakesWorkWithoutAResult() throws Exception {
        var ranOn = new java.util.concurrent.atomic.AtomicReference<Thread>();
        var started = new CountDownLatch(1);
        var interrupted = new CountDownLatch(1);
        Aio.run(() -> {
            Aio.toThread(() -> ranOn.set(Thread.currentThread()));
            assertThat(ranOn.get()).isNotNull().isNotSameAs(Thread.currentThread());
            var refused = new java.io.IOException("disk full");
            assertThatThrownBy(() -> Aio.toThread(() -> {
                throw refused;
            })).isSameAs(refused);
            Task<Void> t = Aio.createTask(() -> Aio.toThread(() -> {
                started.countDown();
                try {
                    Thread.sleep(60_000); // the blocking call under test, ended by the interrupt; not a synchronisation
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw e;
                }
            }));
            awaitOffLoop(started);
            t.cancel();
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            awaitOffLoop(interrupted);
            assertThatThrownBy(() -> Aio.toThread((VoidCoroutine) null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("call must not be null");
        });
        assertThat(interrupted.getCount()).isZero();
    }

    /**
     * A blocking call that counts {@code started} down and sleeps a minute unless interrupted; an interrupt ends it
     * with what {@code onInterrupt} makes of the {@link InterruptedException}.
     */
    private static java.util.concurrent.Callable<String> sleepsUntilInterrupted(CountDownLatch started,
            java.util.function.Function<InterruptedException, Exception> onInterrupt) {
        return () -> {
            started.countDown();
            try {
                Thread.sleep(60_000); // the blocking call under test, ended by the interrupt; not a synchronisation
                return "slept a minute";
            } catch (InterruptedException e) {
                throw onInterrupt.apply(e);
            }
        };
    }

    /**
     * A call that fails for its own reasons after its task was cancelled, without ever looking at the interrupt the
     * cancellation sent it: its error is the call's own, and reaches the exception handler (it used to be logged at
     * DEBUG only, as if the interrupt had caused it, and so was lost).
     */
    @Test
    void aCancelledCallThatFailsWithoutSeeingTheInterruptIsReported() throws Exception {
        var own = new IllegalStateException("the call's own failure");
        List<ExceptionContext> reports = reportsOfACancelledDeafCallThatFailsWith(own);
        assertThat(reports).hasSize(1);
        assertThat(reports.getFirst().message()).isEqualTo("Offloaded call failed after its future was cancelled");
        assertThat(reports.getFirst().exception()).isSameAs(own);
    }

    /**
     * The loop looks through the causes of such a failure for what an interrupt makes blocking code throw: two
     * exceptions that are each other's cause (initCause allows it) neither hang the loop nor hide the failure.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aCancelledCallsOwnFailureWithCausesInACycleIsReported() throws Exception {
        var own = new IllegalStateException("the call's own failure");
        var other = new IllegalStateException("its cause", own);
        own.initCause(other);
        List<ExceptionContext> reports = reportsOfACancelledDeafCallThatFailsWith(own);
        assertThat(reports).singleElement().satisfies(r -> assertThat(r.exception()).isSameAs(own));
    }

    /**
     * Runs a call that ignores interrupts, cancels its task once it has started, then lets it throw {@code own},
     * its interrupt status still set; returns what the loop reported.
     */
    private static List<ExceptionContext> reportsOfACancelledDeafCallThatFailsWith(RuntimeException own)
            throws Exception {
        var started = new CountDownLatch(1);
        var go = new java.util.concurrent.atomic.AtomicBoolean();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<String> t = Aio.createTask(() -> Aio.toThread(() -> {
                started.countDown();
                while (!go.get()) {
                    Thread.onSpinWait(); // deaf to interrupts
                }
                throw own;
            }));
            awaitOffLoop(started);
            t.cancel();
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class); // the thread is interrupted now
            go.set(true);
            Aio.waitAllTasksBlocked(); // the call's outcome is back
            return null;
        });
        return reports;
    }

    /** A cancelled call that fails because of the interrupt (it saw it) is not reported: asyncio ignores it too. */
    @Test
    void aCancelledCallThatFailsBecauseOfTheInterruptIsNotReported() throws Exception {
        var started = new CountDownLatch(1);
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<String> t = Aio.createTask(() -> Aio.toThread(sleepsUntilInterrupted(started,
                    e -> new IllegalStateException("wrapped", e))));
            awaitOffLoop(started);
            t.cancel();
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            Aio.waitAllTasksBlocked();
            return null;
        });
        assertThat(reports).isEmpty();
    }

    /**
     * A cancelled call whose interruptible I/O ended with the interrupt (a channel closed by it, which leaves the
     * interrupt status set), the I/O error wrapped in the call's own as a library does, failed because of the
     * cancellation: not reported (asyncio ignores a cancelled call's outcome).
     */
    @Test
    void aCancelledCallWhoseIoEndedWithTheInterruptIsNotReported() throws Exception {
        var started = new CountDownLatch(1);
        var failure = new java.util.concurrent.atomic.AtomicReference<Throwable>();
        List<ExceptionContext> reports = new ArrayList<>();
        var pipe = java.nio.channels.Pipe.open();
        try {
            TestLoops.runVirtual(reports, () -> {
                Task<Integer> t = Aio.createTask(() -> Aio.toThread(() -> {
                    started.countDown();
                    try {
                        return pipe.source().read(java.nio.ByteBuffer.allocate(1)); // nothing is ever written
                    } catch (java.io.IOException e) {
                        var wrapped = new IllegalStateException("read failed", new java.io.UncheckedIOException(e));
                        failure.set(wrapped);
                        throw wrapped;
                    }
                }));
                awaitOffLoop(started);
                t.cancel();
                assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
                Aio.waitAllTasksBlocked(); // the call's outcome is back
                return null;
            });
        } finally {
            pipe.source().close();
            pipe.sink().close();
        }
        assertThat(failure.get()).as("the call failed of the interrupt").rootCause()
                .isInstanceOf(java.nio.channels.ClosedByInterruptException.class);
        assertThat(reports).isEmpty();
    }

    @Test
    void interruptingTheDriverThreadCancelsTheMainTask() throws Exception {
        Thread driver = Thread.currentThread();
        try {
            assertThatThrownBy(() -> Aio.run(() -> {
                Aio.toThread(() -> {
                    driver.interrupt();
                    return null;
                });
                Aio.sleep(3600); // would wait an hour
                return null;
            })).isInstanceOf(CancellationException.class);
            assertThat(Thread.interrupted()).as("the interrupt status is restored").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aMainThatCatchesTheCancellationOfAnInterruptEndsRunWithItsValueAndTheInterruptStatusSet() throws Exception {
        Thread driver = Thread.currentThread();
        try {
            String outcome = Aio.run(() -> {
                Aio.createTask(() -> Aio.toThread(() -> { // starts once main sleeps
                    driver.interrupt();
                    return null;
                }));
                try {
                    Aio.sleep(3600);
                    return "slept";
                } catch (CancellationException e) {
                    return "cancelled, cancelling() = " + Aio.currentTask().cancelling();
                }
            });
            assertThat(outcome).isEqualTo("cancelled, cancelling() = 1");
            assertThat(Thread.interrupted()).as("the interrupt status is restored").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    /** Suspends the calling task until {@code latch} opens, waiting for it on another thread. */
    private static void awaitOffLoop(CountDownLatch latch) throws Exception {
        Aio.toThread(() -> {
            latch.await();
            return null;
        });
    }

    /** Runs {@code loop} until a task named {@code name} running {@code body} has started and suspended. */
    private static Task<Void> startedTask(EventLoop loop, String name, VoidCoroutine body) throws Exception {
        return loop.runUntilComplete(() -> {
            Task<Void> t = Aio.createTask(body, name);
            Aio.sleep(0);
            return t;
        });
    }

    /** A worker that waits on a queue nobody fills and, "logging and serving on", swallows whatever it is thrown. */
    private static VoidCoroutine servingForever(java.util.function.Consumer<RuntimeException> onCaught) {
        return () -> {
            Queue<String> jobs = new Queue<>();
            for (;;) {
                try {
                    jobs.get();
                } catch (RuntimeException e) {
                    onCaught.accept(e);
                }
            }
        };
    }

    @Test
    void pendingTasksAtCloseAreCancelledAndTheirFinallyBlocksRun() throws Exception {
        List<String> seen = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        startedTask(loop, "left behind", () -> {
            try {
                Aio.sleep(1000);
            } finally {
                seen.add("finally ran");
                try {
                    Aio.sleep(1);
                } catch (IllegalStateException e) {
                    seen.add("cannot suspend: " + e.getMessage());
                }
            }
        });
        loop.close();
        assertThat(seen).containsExactly("finally ran",
                "cannot suspend: Event loop is closed: left behind cannot suspend any more");
        assertThat(errors).singleElement().satisfies(c ->
                assertThat(c.message()).startsWith("Task was still pending when its event loop closed"));
    }

    /** A coroutine that catches everything and waits again cannot hold a closing loop: it is abandoned, reported. */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aTaskThatCatchesEveryRefusalAndKeepsWaitingIsAbandonedAtClose() throws Exception {
        List<String> seen = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        Task<Void> stubborn = startedTask(loop, "stubborn",
                servingForever(e -> seen.add(e.getClass().getSimpleName())));
        loop.close();
        assertThat(loop.isClosed()).isTrue();
        assertThat(seen).hasSize(EventLoop.REFUSALS_BEFORE_ABANDON);
        assertThat(seen.getFirst()).isEqualTo("CancellationException");
        assertThat(seen.subList(1, seen.size())).containsOnly("IllegalStateException");
        assertThat(errors).extracting(ExceptionContext::message).containsExactly(
                "Task was still pending when its event loop closed; it was cancelled",
                "Task went on trying to suspend after its event loop closed (it caught the refusal "
                        + EventLoop.REFUSALS_BEFORE_ABANDON + " times); it was abandoned where it waits, and its"
                        + " finally blocks will not run");
        assertThat(errors.get(1).future()).isSameAs(stubborn);
        assertThat(stubborn.isCancelled()).as("nothing waits on the abandoned task for ever").isTrue();
    }

    /** An abandoned task whose interrupt status is set stays parked: LockSupport.park would return at once. */
    @Test
    void anAbandonedTaskWithItsInterruptSetStaysParkedInsteadOfSpinning() throws Exception {
        var loop = TestLoops.virtual(new ArrayList<>());
        Thread[] thread = new Thread[1];
        startedTask(loop, "stubborn", servingForever(e -> {
            thread[0] = Thread.currentThread();
            Thread.currentThread().interrupt(); // say, a watchdog's interrupt that the task keeps
        }));
        loop.close();
        // It parks just after close() returns; a spinning thread stays RUNNABLE. The deadline only bounds a failure.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (thread[0].getState() != Thread.State.WAITING && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
        assertThat(thread[0].getState()).as("abandoned thread parked, not spinning on its interrupt")
                .isEqualTo(Thread.State.WAITING);
    }

    /**
     * asyncio.run's clean-up would wait for ever on a task that ignores its cancellation: Aio.run says who waits on
     * what instead, and its closing loop abandons the task rather than spin on it.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aioRunEndsDespiteATaskThatIgnoresEveryCancellation() {
        List<ExceptionContext> errors = new ArrayList<>();
        int[] cancellations = {0};
        assertThatThrownBy(() -> TestLoops.runVirtual(errors, () -> {
            Event never = new Event();
            Aio.createTask(() -> {
                for (;;) {
                    try {
                        never.await();
                    } catch (CancellationException e) {
                        cancellations[0]++;
                    } catch (IllegalStateException e) {
                        // the closing loop's refusal, swallowed too
                    }
                }
            }, "deaf");
            Aio.sleep(0);
            return "main done";
        })).isInstanceOf(DeadlockException.class).hasMessageContaining("deaf waits on Event[unset, waiters=1]");
        assertThat(cancellations[0]).as("Aio.run's cancellation, then the closing loop's").isEqualTo(2);
        assertThat(errors).extracting(ExceptionContext::message).last().asString()
                .startsWith("Task went on trying to suspend after its event loop closed");
    }

    /** Nested finally blocks that each try to await are refused each time and all run: only a loop is abandoned. */
    @Test
    void nestedFinallyBlocksThatTryToAwaitAtCloseAllRun() throws Exception {
        List<String> seen = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        startedTask(loop, "nested", () -> {
            try {
                try {
                    try {
                        Aio.sleep(1000);
                    } finally {
                        seen.add("inner");
                        Aio.sleep(1);
                    }
                } finally {
                    seen.add("middle");
                    Aio.sleep(1);
                }
            } finally {
                seen.add("outer");
                Aio.sleep(1);
            }
        });
        loop.close();
        assertThat(seen).containsExactly("inner", "middle", "outer");
        assertThat(errors).extracting(ExceptionContext::message).containsExactly(
                "Task was still pending when its event loop closed; it was cancelled",
                "Task exception was never retrieved");
        assertThat(errors.get(1).exception()).as("the outermost refusal is what the task ended with")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("nested cannot suspend any more");
    }

    @Test
    void interruptRunningThreadReachesTheTaskThatBlocksTheLoop() throws Exception {
        var loop = new EventLoop();
        assertThat(loop.interruptRunningThread()).as("not running").isNull();
        var blocking = new CountDownLatch(1);
        Thread[] taskThread = new Thread[1];
        Thread[] interrupted = new Thread[1];
        var watchdog = Thread.ofPlatform().unstarted(() -> {
            try {
                blocking.await();
            } catch (InterruptedException e) {
                return;
            }
            interrupted[0] = loop.interruptRunningThread();
        });
        String outcome = loop.runUntilComplete(() -> {
            taskThread[0] = Thread.currentThread();
            watchdog.start();
            try {
                blocking.countDown();
                new CountDownLatch(1).await(); // holds the loop: a blocking call, the bug a watchdog looks for
                return "not interrupted";
            } catch (InterruptedException e) {
                return "interrupted";
            }
        });
        watchdog.join();
        loop.close();
        assertThat(outcome).isEqualTo("interrupted");
        assertThat(interrupted[0]).isSameAs(taskThread[0]);
    }

    /** The close resumes a pending task to unwind it; a blocking call in its finally block holds the closing loop. */
    @Test
    void interruptRunningThreadReachesATaskThatBlocksTheClosingLoop() throws Exception {
        var loop = new EventLoop();
        var blocking = new CountDownLatch(1);
        Thread[] taskThread = new Thread[1];
        var outcome = new java.util.concurrent.atomic.AtomicReference<String>();
        loop.runUntilComplete(() -> {
            Aio.createTask(() -> {
                taskThread[0] = Thread.currentThread();
                try {
                    Aio.sleep(1000);
                } finally {
                    blocking.countDown();
                    try {
                        new CountDownLatch(1).await(); // holds the closing loop
                        outcome.set("not interrupted");
                    } catch (InterruptedException e) {
                        outcome.set("interrupted");
                    }
                }
                return null;
            });
            Aio.sleep(0);
            return null;
        });
        var closer = Thread.ofPlatform().start(loop::close);
        blocking.await();
        assertThat(loop.interruptRunningThread()).as("the thread holding the closing loop").isSameAs(taskThread[0]);
        closer.join();
        assertThat(loop.isClosed()).isTrue();
        assertThat(outcome.get()).isEqualTo("interrupted");
        assertThat(loop.interruptRunningThread()).as("closed").isNull();
    }

    @Test
    void aioRunCancelsWhatIsLeftWhenMainReturns() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Aio.createTask(() -> {
                try {
                    Aio.sleep(1000);
                } catch (CancellationException e) {
                    seen.add("cancelled at shutdown");
                    throw e;
                }
            });
            Aio.sleep(0);
            return null;
        });
        assertThat(seen).containsExactly("cancelled at shutdown");
    }

    @Test
    void aMillionTasksThatEachSuspendOnce() throws Exception {
        int n = 1_000_000;
        long sum = Aio.run(() -> {
            List<Task<Integer>> tasks = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int k = i;
                tasks.add(Aio.createTask(() -> {
                    Aio.sleep(0);
                    return k;
                }));
            }
            long s = 0;
            for (int v : Aio.gather(tasks).await()) {
                s += v;
            }
            return s;
        });
        assertThat(sum).isEqualTo((long) n * (n - 1) / 2);
    }

    @Test
    void aCancellationThatWinsOverTheAwaitedFuturesErrorCarriesIt() throws Exception {
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            List<Throwable> carried = new ArrayList<>();
            Task<String> t = Aio.createTask(() -> {
                try {
                    return f.await();
                } catch (CancellationException e) {
                    carried.addAll(List.of(e.getSuppressed()));
                    throw e;
                }
            });
            Aio.sleep(0);
            var boom = new IllegalStateException("boom");
            f.setException(boom); // t is woken...
            t.cancel();           // ...and cancelled before it runs: the cancellation wins, as in asyncio
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            assertThat(carried).containsExactly(boom);
            return null;
        });
        assertThat(reports).isEmpty(); // retrieved by the task, not reported again as never retrieved
    }

    @Test
    void aFailureAttachedToATasksCancellationReachesWhoeverAwaitsTheTask() throws Exception {
        var cleanUpFailure = new IllegalStateException("clean-up failed while the task unwound");
        List<Throwable> seen = TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(TestLoops.attachingToItsCancellation(cleanUpFailure));
            Aio.sleep(1);
            t.cancel("stop");
            List<Throwable> out = new ArrayList<>();
            for (int i = 0; i < 2; i++) { // every awaiter gets it, not only the first
                try {
                    t.await();
                } catch (CancellationException e) {
                    out.add(e);
                }
            }
            return out;
        });
        assertThat(seen).hasSize(2).allSatisfy(e -> {
            assertThat(e).isInstanceOf(CancellationException.class).hasMessage("stop");
            assertThat(e.getSuppressed()).containsExactly(cleanUpFailure);
        });
    }

    /** A task that ends cancelled carrying {@code attached}, attached to its cancellation by its clean-up. */
    private static Task<Void> cancelledWithAttached(String name, Throwable... attached) throws Exception {
        Task<Void> t = Aio.createTask(TestLoops.attachingToItsCancellation(attached), name);
        Aio.sleep(1);
        t.cancel("stop");
        Aio.sleep(0); // t unwinds and ends cancelled
        assertThat(t.isCancelled()).isTrue();
        return t;
    }

    /**
     * A task that ended cancelled with a failure attached to its cancellation, which nobody awaits: the loop does not
     * report a cancelled task, so the failure vanished. It is reported once, as a failure attached to the task's
     * cancellation, naming the task.
     */
    @Test
    void aFailureAttachedToTheCancellationOfATaskNobodyAwaitsIsReported() throws Exception {
        var first = new IllegalStateException("first clean-up failed");
        var second = new IllegalArgumentException("second clean-up failed");
        List<ExceptionContext> reports = new ArrayList<>();
        Task<?>[] task = new Task<?>[1];
        TestLoops.runVirtual(reports, () -> {
            task[0] = cancelledWithAttached("unwinder", first, new CancellationException("not a failure"), second);
            return null;
        });
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(first, second);
        assertThat(reports).allSatisfy(r -> {
            assertThat(r.future()).isSameAs(task[0]);
            assertThat(r.message()).contains("unwinder").contains("attached to its cancellation");
        });
    }

    /** What delivers the cancellation with its failures to a caller retrieves them: nothing is reported then. */
    @Test
    void awaitingResultOrExceptionOfATaskCancelledWithAttachedFailuresRetrievesThem() throws Exception {
        var cleanUpFailure = new IllegalStateException("clean-up failed");
        List<ExceptionContext> reports = new ArrayList<>();
        List<Throwable> delivered = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<Void> awaited = cancelledWithAttached("awaited", cleanUpFailure);
            Task<Void> resulted = cancelledWithAttached("resulted", cleanUpFailure);
            Task<Void> excepted = cancelledWithAttached("excepted", cleanUpFailure);
            Task<Void> got = cancelledWithAttached("got", cleanUpFailure);
            for (Runnable r : List.<Runnable>of(resulted::result, excepted::exception, () -> {
                try {
                    got.get();
                } catch (java.util.concurrent.ExecutionException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            })) {
                try {
                    r.run();
                } catch (CancellationException e) {
                    delivered.addAll(List.of(e.getSuppressed()));
                }
            }
            try {
                awaited.await();
            } catch (CancellationException e) {
                delivered.addAll(List.of(e.getSuppressed()));
            }
            return null;
        });
        assertThat(delivered).hasSize(4).containsOnly(cleanUpFailure);
        assertThat(reports).isEmpty();
    }

    /** A plain cancellation, or one carrying only cancellations, is never reported, awaited or not. */
    @Test
    void aCancelledTaskWithNoFailureAttachedIsNotReported() throws Exception {
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            cancelledWithAttached("plain");
            cancelledWithAttached("only cancellations", new CancellationException("another"));
            return null;
        });
        assertThat(reports).isEmpty();
    }

    /**
     * gather and gatherWithExceptions receive a child cancelled with a failure attached: the cancellation the gather
     * fails with, or lists, carries it (both gave a bare cancellation, and the failure was reported at close as never
     * retrieved although the caller had the child's cancellation in hand).
     */
    @Test
    void gatherAndGatherWithExceptionsPassOnTheFailuresAttachedToACancelledChild() throws Exception {
        var viaGather = new IllegalStateException("gather");
        var viaGatherWithExceptions = new IllegalStateException("gatherWithExceptions");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<Void> a = cancelledWithAttached("a", viaGather);
            assertThatThrownBy(() -> Aio.gather(List.of(a)).await())
                    .isInstanceOf(CancellationException.class).hasMessage("stop")
                    .satisfies(e -> assertThat(e.getSuppressed()).containsExactly(viaGather));
            Task<Void> b = cancelledWithAttached("b", viaGatherWithExceptions);
            assertThat(Aio.gatherWithExceptions(List.of(b)).await()).singleElement()
                    .isInstanceOf(CancellationException.class)
                    .satisfies(e -> assertThat(((Throwable) e).getSuppressed())
                            .containsExactly(viaGatherWithExceptions));
            return null;
        });
        assertThat(reports).isEmpty();
    }

    /** The same through shield: the cancellation the shield ends with carries what the shielded task's did. */
    @Test
    void shieldPassesOnTheFailuresAttachedToTheCancellationOfTheShieldedTask() throws Exception {
        var cleanUpFailure = new IllegalStateException("clean-up failed");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<Void> inner = Aio.createTask(TestLoops.attachingToItsCancellation(cleanUpFailure), "inner");
            Future<Void> shielded = Aio.shield(inner);
            Aio.sleep(1);
            inner.cancel("stop");
            assertThatThrownBy(shielded::await).isInstanceOf(CancellationException.class)
                    .satisfies(e -> assertThat(e.getSuppressed()).containsExactly(cleanUpFailure));
            return null;
        });
        assertThat(reports).isEmpty();
    }

    /** A gather that failed with such a cancellation and that nobody awaits: the failure is reported once, at close. */
    @Test
    void theFailuresAttachedToTheCancellationAnUnawaitedGatherFailedWithAreReported() throws Exception {
        var cleanUpFailure = new IllegalStateException("clean-up failed");
        List<ExceptionContext> reports = new ArrayList<>();
        Future<?>[] gather = new Future<?>[1];
        TestLoops.runVirtual(reports, () -> {
            Task<Void> a = cancelledWithAttached("a", cleanUpFailure);
            gather[0] = Aio.gather(List.of(a));
            Aio.sleep(0);
            assertThat(gather[0].isDone()).isTrue();
            return null;
        });
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.exception()).isSameAs(cleanUpFailure);
            assertThat(r.future()).isSameAs(gather[0]);
            assertThat(r.message()).contains("failed with a cancellation");
        });
    }

    /**
     * wait and a TaskGroup receive a child cancelled with a failure attached and do not pass it on (wait returns the
     * child, which the caller may await; the group, as asyncio's, ignores a cancelled child): it stays unretrieved, and
     * is reported once, when the loop closes.
     */
    @Test
    void waitAndTaskGroupLeaveTheFailuresAttachedToACancelledChildToTheLoop() throws Exception {
        var viaWait = new IllegalStateException("wait");
        var viaGroup = new IllegalStateException("group");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<Void> c = cancelledWithAttached("c", viaWait);
            assertThat(Aio.wait(List.of(c)).done()).containsExactly(c);
            try (var tg = new TaskGroup()) {
                Task<Void> d = tg.createTask(TestLoops.attachingToItsCancellation(viaGroup));
                Aio.sleep(1);
                d.cancel();
                tg.join();
            }
            return null;
        });
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(viaWait, viaGroup);
    }

    /**
     * A task that drives an async generator and is cancelled outside it: the end of the task closes the generator,
     * whose finally block fails, and that failure is attached to the cancellation the task ends with. Nobody awaits
     * the task: the failure was lost.
     */
    @Test
    void aGeneratorCloseFailureAttachedToTheCancellationOfATaskNobodyAwaitsIsReported() throws Exception {
        var closeFailure = new IllegalStateException("generator's finally failed");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<Void> t = Aio.createTask(() -> {
                var gen = AsyncGenerator.<Integer>of(out -> {
                    try {
                        out.emit(1);
                        out.emit(2);
                    } finally {
                        throw closeFailure;
                    }
                });
                gen.next();
                Aio.sleep(10); // cancelled here, outside the generator, which the task's end closes
                return null;
            }, "driver");
            Aio.sleep(1);
            t.cancel();
            Aio.sleep(1);
            assertThat(t.isCancelled()).isTrue();
            return null;
        });
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.exception()).isSameAs(closeFailure);
            assertThat(r.message()).contains("driver").contains("attached to its cancellation");
        });
    }

    @Test
    void awaitingACancelledTaskGivesACancellationCausedByTheTasksOwnWhereItWaited() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(TaskTest::sleepsInAKnownPlace);
            Aio.sleep(0);
            t.cancel("stop");
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(t::await);
            assertThat(thrown).isInstanceOf(CancellationException.class).hasMessage("stop");
            assertThat(thrown.getCause()).as("the task's own cancellation").isInstanceOf(CancellationException.class)
                    .isNotSameAs(thrown);
            assertThat(thrown.getCause().getStackTrace()).as("raised where the task waited")
                    .anyMatch(f -> f.getMethodName().equals("sleepsInAKnownPlace"));
            assertThat(thrown.getStackTrace()).as("thrown where the awaiting code awaits")
                    .noneMatch(f -> f.getMethodName().equals("sleepsInAKnownPlace"));
            Throwable again = org.assertj.core.api.Assertions.catchThrowable(t::await);
            assertThat(again).isInstanceOf(CancellationException.class).hasMessage("stop");
            assertThat(again.getCause()).as("given once, as asyncio's: the task does not keep it").isNull();
            return null;
        });
    }

    @Test
    void aChainOfTasksAwaitingACancelledOneGivesCausesOneDeepFromWhereTheFirstWaited() throws Exception {
        // asyncio passes one CancelledError on down such a chain; a cause per task made 10,000 tasks a chain of
        // causes too deep for printStackTrace (StackOverflowError), each task keeping all those before it.
        TestLoops.runVirtual(() -> {
            Task<?> first = Aio.createTask(TaskTest::sleepsInAKnownPlace);
            Task<?> last = first;
            for (int i = 0; i < 10_000; i++) {
                Task<?> previous = last;
                last = Aio.createTask(() -> previous.await());
            }
            Aio.sleep(0);
            first.cancel("stop");
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(last::await);
            assertThat(thrown).isInstanceOf(CancellationException.class).hasMessage("stop");
            assertThat(thrown.getCause()).as("the first task's own").isInstanceOf(CancellationException.class)
                    .hasNoCause();
            assertThat(thrown.getCause().getStackTrace()).as("raised where the first task waited")
                    .anyMatch(f -> f.getMethodName().equals("sleepsInAKnownPlace"));
            var printed = new java.io.StringWriter();
            thrown.printStackTrace(new java.io.PrintWriter(printed));
            assertThat(printed.toString()).contains("sleepsInAKnownPlace");
            return null;
        });
    }

    /**
     * A cancellation in the iteration in which the task's sleep is due, run ahead of the sleep's timer, cancels the
     * sleep and wakes the task at once, as asyncio's {@code cancel()} cancels the sleep's future, whose timer has not
     * run yet, and queues the task's wake-up: the task runs ahead of another whose sleep was due at the same time,
     * set in between. (Found by differential fuzzing: a Timeout's expiry and a sleep due together. The task used to
     * be woken by its own timer, after the other.)
     */
    @Test
    void aCancellationAheadOfItsDueSleepTimerWakesTheTaskAtOnce() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            List<Task<Void>> sleeper = new ArrayList<>();
            Aio.getRunningLoop().callAt(1, () -> sleeper.getFirst().cancel());
            Task<Void> other = Aio.createTask(() -> {
                Aio.sleep(1);
                log.add("other woke");
            });
            sleeper.add(Aio.createTask(() -> {
                try {
                    Aio.sleep(1);
                    log.add("sleeper woke");
                } catch (CancellationException e) {
                    log.add("sleeper cancelled");
                    throw e;
                }
            }));
            Aio.gatherWithExceptions(other, sleeper.getFirst()).await();
            return null;
        });
        assertThat(log).containsExactly("sleeper cancelled", "other woke");
    }

    /**
     * The same cancellation withdrawn by {@code uncancel()} in the same callback: it was passed on to the sleep, not
     * pending, so the sleep still raises it, with its message, as in CPython 3.13 (whose sleep's future is cancelled).
     * The sleep used to return, the cancellation left pending and then withdrawn.
     */
    @Test
    void aCancellationAheadOfItsDueSleepTimerIsPassedOnAndNotWithdrawnByUncancel() throws Exception {
        TestLoops.runVirtual(() -> {
            List<Task<String>> sleeper = new ArrayList<>();
            Aio.getRunningLoop().callAt(1, () -> {
                sleeper.getFirst().cancel("m");
                sleeper.getFirst().uncancel();
            });
            sleeper.add(Aio.createTask(() -> {
                Aio.sleep(1);
                return "slept";
            }));
            assertThatThrownBy(sleeper.getFirst()::await).isInstanceOf(CancellationException.class).hasMessage("m");
            assertThat(sleeper.getFirst().cancelling()).isZero();
            return null;
        });
    }

    private static void sleepsInAKnownPlace() throws Exception {
        Aio.sleep(10);
    }
}
