package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DeadlockTest {

    @Test
    void twoTasksWaitingOnEachOtherAreReportedNotHung() {
        for (boolean virtual : new boolean[] {false, true}) {
            assertThatThrownBy(() -> Aio.run(() -> virtual ? EventLoop.builder().virtualTime().build()
                    : new EventLoop(), () -> {
                Future<String> ping = Aio.getRunningLoop().createFuture();
                Future<String> pong = Aio.getRunningLoop().createFuture();
                Task<String> a = Aio.createTask(() -> {
                    String v = pong.await();
                    ping.setResult(v);
                    return v;
                }, "alice");
                Task<String> b = Aio.createTask(() -> {
                    String v = ping.await();
                    pong.setResult(v);
                    return v;
                }, "bob");
                return Aio.gather(a, b).await();
            })).isInstanceOf(DeadlockException.class)
                    .hasMessageContaining("alice waits on Future[pending]")
                    .hasMessageContaining("bob waits on Future[pending]")
                    .hasMessageContaining("DeadlockTest.java")
                    .satisfies(e -> assertThat(((DeadlockException) e).tasks()).hasSize(3));
        }
    }

    @Test
    void aLongOffloadedCallIsNotADeadlock() throws Exception {
        var release = new CountDownLatch(1);
        String r = Aio.run(() -> {
            Task<String> waiter = Aio.createTask(() -> Aio.toThread(() -> {
                release.await();
                return "done";
            }));
            Aio.createTask(() -> {
                Aio.sleep(0.05);
                release.countDown();
            });
            return waiter.await();
        });
        assertThat(r).isEqualTo("done");
    }

    @Test
    void announcedExternalWorkIsNotADeadlock() throws Exception {
        String r = Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> f = loop.createFuture();
            EventLoop.ExternalWork expectation = loop.expectExternal();
            Thread.ofPlatform().start(() -> {
                loop.callSoonThreadsafe(() -> f.setResult("from outside"));
                expectation.close(); // throws nothing: no try/catch in the Runnable (it was an AutoCloseable)
            });
            return f.await();
        });
        assertThat(r).isEqualTo("from outside");
    }

    @Test
    void aTaskAwaitingAFutureOnlyItCouldCompleteIsReported() {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            Future<String> mine = Aio.getRunningLoop().createFuture();
            Task<String> selfBlocked = Aio.createTask(() -> {
                String v = mine.await();     // only this task would complete it, below
                mine.setResult("never");
                return v;
            }, "self-blocked");
            return selfBlocked.await();
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("self-blocked waits on Future[pending]")
                .hasMessageContaining("Task-1 waits on task self-blocked");
    }

    @Test
    void twoTasksEachWaitingOnTheOthersEvent() {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            var aliceDone = new Event();
            var bobDone = new Event();
            Task<Void> alice = Aio.createTask(() -> {
                bobDone.await();
                aliceDone.set();
            }, "alice");
            Task<Void> bob = Aio.createTask(() -> {
                aliceDone.await();
                bobDone.set();
            }, "bob");
            Aio.gather(alice, bob).await();
            return null;
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("alice waits on Event[")
                .hasMessageContaining("bob waits on Event[")
                .hasMessageContaining("DeadlockTest.java");
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aCycleOfTasksAwaitingEachOtherIsReportedAsADeadlockNotAStackOverflow() {
        // Aio.run cancels the pending tasks after the deadlock, and closing the loop cancels them again: a cancellation
        // passed along the cycle (a task cancels what it awaits) must not go round it for ever.
        for (boolean virtual : new boolean[] {false, true}) {
            for (boolean viaGather : new boolean[] {false, true}) {
                assertThatThrownBy(() -> Aio.run(() -> virtual ? EventLoop.builder().virtualTime().build()
                        : new EventLoop(), () -> {
                    var other = new AtomicReference<Future<?>>();
                    Task<Object> alice = Aio.createTask(() -> {
                        Aio.sleep(0);
                        return other.get().await();
                    }, "alice");
                    if (viaGather) {
                        Future<List<Object>> all = Aio.gather(alice);
                        other.set(all);
                        return all.await();
                    }
                    Task<Object> bob = Aio.createTask(() -> alice.await(), "bob");
                    other.set(bob);
                    return alice.await();
                })).as("virtual=" + virtual + ", viaGather=" + viaGather)
                        .isInstanceOf(DeadlockException.class)
                        .hasMessageContaining("alice waits on " + (viaGather ? "GatheringFuture" : "task bob"));
            }
        }
    }

    /**
     * A cancellation passed along a cycle of awaits stops where it came round; the task it came back from must then
     * wake with it, or no task of the cycle ever ends: cancelling one (a waitFor's timeout, a test's cleanup) would
     * leave them all pending. CPython has no answer to copy: its Task.cancel recurses round the cycle until
     * RecursionError.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void cancellingATaskOfACycleOfAwaitsEndsEveryTaskOfTheCycleCancelled() throws Exception {
        for (boolean viaGather : new boolean[] {false, true}) {
            List<Object> outcomes = TestLoops.runVirtual(() -> {
                var other = new AtomicReference<Future<?>>();
                Task<Object> alice = Aio.createTask(() -> {
                    Aio.sleep(0);
                    return other.get().await();
                }, "alice");
                Future<?> bob = viaGather ? Aio.gather(alice) : Aio.createTask(() -> alice.await(), "bob");
                other.set(bob);
                Aio.waitAllTasksBlocked();
                assertThat(alice.cancel("stop")).isTrue();
                return Aio.gatherWithExceptions(alice, bob).await();
            });
            assertThat(outcomes).as("viaGather=" + viaGather)
                    .allSatisfy(o -> assertThat((Throwable) o)
                            .isInstanceOf(CancellationException.class).hasMessage("stop"));
        }
    }

    /**
     * A task cancelled while it joins a TaskGroup one of whose children awaits the task itself: the group cancels its
     * children once, as asyncio's does (its {@code __aexit__} aborts only if it is not aborting already), so the loop
     * reaches the deadlock and reports it. Aborting again at each cancellation that the child passed back to the task
     * went round for ever: the loop never got past it, not even to a timer.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aTaskGroupJoinCancelledWhileItsChildAwaitsTheJoiningTaskIsADeadlockNotALivelock() {
        assertThatThrownBy(() -> Aio.run(() -> EventLoop.builder().virtualTime().build(), () -> {
            var self = new AtomicReference<Task<Object>>();
            Task<Object> alice = Aio.createTask(() -> {
                try (var tg = new TaskGroup()) {
                    tg.createTask(() -> self.get().await(), "child");
                    tg.join();
                }
                return "joined";
            }, "alice");
            self.set(alice);
            Aio.waitAllTasksBlocked();
            alice.cancel("stop");
            return alice.await();
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("alice waits on TaskGroup").hasMessageContaining("child waits on task alice");
    }

    /** A waitFor whose task is part of a cycle of awaits times out as any other: the cycle ends cancelled. */
    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aWaitForOnACycleOfAwaitsTimesOut() {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            var other = new AtomicReference<Task<Object>>();
            Task<Object> alice = Aio.createTask(() -> {
                Aio.sleep(0);
                return other.get().await();
            }, "alice");
            other.set(Aio.createTask(() -> alice.await(), "bob"));
            return Aio.waitFor(alice, Duration.ofSeconds(5));
        })).isInstanceOf(TimeoutException.class);
    }

    /**
     * A task waiting on a gather or on a TaskGroup's end waits on the tasks still running in it: the report names
     * them, so that the edges of the wait-for graph can be followed from the waiting task to the blocked ones.
     */
    @Test
    void aGatherOrATaskGroupWaitedOnIsReportedWithTheTasksItStillWaitsFor() {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            var never = new Event();
            Task<Void> quick = Aio.createTask(() -> Aio.sleep(1), "quick");
            Task<Void> stuck = Aio.createTask(never::await, "stuck");
            Task<Void> stuckToo = Aio.createTask(never::await, "stuck-too");
            return Aio.gather(quick, stuck, stuckToo).await();
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("waits on GatheringFuture[pending, 1/3 children done], still waiting for task"
                        + " stuck, task stuck-too at ");
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            try (var group = new TaskGroup()) {
                group.createTask(() -> Aio.sleep(1), "quick");
                group.createTask(() -> new Event().await(), "stuck");
                group.join();
            }
            return null;
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("waits on TaskGroup[tasks=1], still waiting for task stuck at ");
    }

    /**
     * The futures Aio.wait, Aio.asCompleted and Aio.shield make to wait on are reported as the combinator and the
     * tasks it still waits for, not as a bare Future[pending] that leads nowhere.
     */
    @Test
    void aTaskInAWaitAnAsCompletedOrAShieldIsReportedWithTheTasksItStillWaitsFor() {
        Map<String, Coroutine<Object>> waits = new LinkedHashMap<>();
        waits.put("Aio.wait(FIRST_COMPLETED)", () -> Aio.wait(List.of(stuck()), ReturnWhen.FIRST_COMPLETED));
        waits.put("Aio.asCompleted()", () -> Aio.asCompleted(List.of(stuck())).iterator().next());
        waits.put("Aio.shield()", () -> Aio.shield(stuck()).await());
        waits.forEach((combinator, body) -> assertThatThrownBy(() -> TestLoops.runVirtual(body))
                .isInstanceOf(DeadlockException.class)
                .hasMessageContaining("Task-1 waits on " + combinator + ", still waiting for task stuck at "));
    }

    private static Task<Void> stuck() {
        var never = new Event();
        return Aio.createTask(never::await, "stuck");
    }

    /**
     * An offloaded call blocked in Future.get() on a future of the loop is reported with the line where it blocks, as
     * a task is with the line where it waits: the call's own code, not the task's that offloaded it.
     */
    @Test
    void anOffloadedCallBlockedOnALoopFutureIsReportedWithTheLineWhereItBlocks() {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            Future<String> never = Aio.getRunningLoop().createFuture();
            return Aio.toThread(() -> blockOn(never));
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining(" is blocked in Future.get() on Future[pending] at org.aio4j.DeadlockTest.blockOn("
                        + "DeadlockTest.java:");
    }

    /**
     * The report names an offloaded call's thread the same way wherever the call appears, without the state and
     * carrier a virtual thread's toString() adds: one report said "running on VirtualThread[#81,aio4j-to-thread]/
     * runnable@ForkJoinPool-1-worker-1 is blocked in" in one line and ".../waiting" for the same call in the next.
     */
    @Test
    void anOffloadedCallIsNamedByItsThreadAloneWhereverTheReportShowsIt() {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            Future<String> never = Aio.getRunningLoop().createFuture();
            return Aio.createTask(() -> Aio.toThread(() -> blockOn(never)), "caller").await();
        })).isInstanceOf(DeadlockException.class)
                .satisfies(e -> {
                    var thread = java.util.regex.Pattern.compile("running on (VirtualThread\\[#\\d+,aio4j-to-thread\\])"
                            + "( is blocked in| at )").matcher(e.getMessage());
                    var names = new java.util.ArrayList<String>();
                    while (thread.find()) {
                        names.add(thread.group(1));
                    }
                    assertThat(names).hasSize(2).containsOnly(names.get(0));
                });
    }

    /**
     * A combinator waiting on an offloaded call names the call, as a task awaiting the call directly does, not a bare
     * Future[pending]: JdbcCursor awaits its JDBC calls through Aio.shield, and a test's timeout dump showed only
     * "waits on Aio.shield(), still waiting for Future[pending]".
     */
    @Test
    void aCombinatorWaitingOnAnOffloadedCallIsReportedWithTheCall() {
        Map<String, java.util.function.Function<Future<String>, Coroutine<Object>>> waits = new LinkedHashMap<>();
        waits.put("Aio.shield()", call -> () -> Aio.shield(call).await());
        waits.put("GatheringFuture[pending, 0/1 children done]", call -> () -> Aio.gather(List.of(call)).await());
        waits.forEach((combinator, body) -> assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            Future<String> never = Aio.getRunningLoop().createFuture();
            Future<String> call = Aio.getRunningLoop().runInExecutor(null, () -> blockOn(never));
            return body.apply(call).call();
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("Task-1 waits on " + combinator + ", still waiting for offloaded call lambda in"
                        + " org.aio4j.DeadlockTest running on "));
    }

    private static String blockOn(Future<String> f) throws Exception {
        return f.get();
    }

    /** asyncio's debug mode names where a task was created (its repr's "created at"): the report does too. */
    @Test
    void inDebugModeTheReportSaysWhereEachTaskWasCreated() {
        assertThatThrownBy(() -> Aio.run(() -> EventLoop.builder().virtualTime().debug(true).build(), () -> {
            var never = new Event();
            Task<Void> stuck = Aio.createTask(never::await, "stuck"); // created here
            return stuck.await();
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("stuck waits on Event[")
                .hasMessageMatching("(?s).*\\n  stuck waits on [^\\n]*\\n      created at org\\.aio4j\\.DeadlockTest\\."
                        + "lambda\\$inDebugModeTheReportSaysWhereEachTaskWasCreated\\$\\d+"
                        + "\\(DeadlockTest\\.java:\\d+\\).*");
    }

    /**
     * An offloaded call blocked in Future.get() on a future of the loop waits for the loop: a virtual clock must move
     * on for it, as the real one does, instead of waiting for it for ever.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void onAVirtualClockAnOffloadedCallWaitingForALoopFutureLetsTheClockJump() throws Exception {
        String got = TestLoops.runVirtual(() -> {
            Future<String> later = Aio.getRunningLoop().createFuture();
            Aio.createTask(() -> {
                Aio.sleep(10);
                later.setResult("set at " + Aio.getRunningLoop().time());
            });
            return Aio.toThread(() -> later.get()); // the thread waits for the loop, the loop for the clock
        });
        assertThat(got).isEqualTo("set at 10.0");
    }

    /**
     * A cancelled offloaded call that swallows the interrupt and blocks in Future.get() again waits for the loop
     * again: the virtual clock must move on for it, as the real one does, instead of waiting for it for ever.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void onAVirtualClockACancelledCallBlockedAgainInGetLetsTheClockJump() throws Exception {
        var interrupts = new AtomicInteger();
        var returned = new AtomicInteger();
        double settledAt = TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<Integer> later = loop.createFuture();
            Future<Integer> call = loop.runInExecutor(null, () -> {
                for (;;) {
                    try {
                        returned.set(later.get());
                        return returned.get();
                    } catch (InterruptedException deaf) {
                        interrupts.incrementAndGet(); // swallowed: it blocks again
                    }
                }
            });
            Aio.sleep(1); // the clock moves only once the call is blocked in get()
            call.cancel();
            Aio.sleep(10); // it moves again once the call is blocked in get() again
            later.setResult(7);
            return loop.time();
        });
        assertThat(settledAt).isEqualTo(11.0);
        assertThat(interrupts.get()).isOne();
        assertThat(returned.get()).as("Aio.run's shutdown waited for the call").isEqualTo(7);
    }

    /**
     * asyncio's {@code run_coroutine_threadsafe(coro, loop).result()} in a {@code to_thread} call: the thread waits
     * for a task of the loop, which only the loop can end. A virtual clock must move on for it, as the real one does:
     * it waited for the call for ever.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void onAVirtualClockACallWaitingForACoroutineItSubmittedToTheLoopLetsTheClockJump() throws Exception {
        String got = TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            String viaGet = Aio.toThread(() -> loop.runCoroutineThreadsafe(() -> {
                Aio.sleep(10);
                return "get at " + loop.time();
            }).get());
            String viaJoin = Aio.toThread(() -> loop.runCoroutineThreadsafe(() -> {
                Aio.sleep(5);
                return "join at " + loop.time();
            }).join());
            return viaGet + ", " + viaJoin;
        });
        assertThat(got).isEqualTo("get at 10.0, join at 15.0");
    }

    /**
     * A task awaiting what {@code runCoroutineThreadsafe} returned for a coroutine of its own loop (an API handing out
     * CompletionStages made that way, awaited with {@link Aio#await}) waits for that loop's task, not for work in
     * flight: a virtual clock jumps, and a task that nothing can end is a deadlock (both hung).
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void awaitingASubmissionToTheSameLoopWaitsForItsTask() throws Exception {
        String got = TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            return Aio.await(loop.runCoroutineThreadsafe(() -> {
                Aio.sleep(10);
                return "at " + loop.time();
            }));
        });
        assertThat(got).isEqualTo("at 10.0");
        for (boolean virtual : new boolean[] {false, true}) {
            assertThatThrownBy(() -> Aio.run(() -> virtual ? EventLoop.builder().virtualTime().build()
                    : new EventLoop(), () -> {
                EventLoop loop = Aio.getRunningLoop();
                Future<String> never = loop.createFuture();
                return Aio.await(loop.runCoroutineThreadsafe(() -> never.await()));
            })).as("virtual=" + virtual)
                    .isInstanceOf(DeadlockException.class)
                    .hasMessageContaining("\n  Task-1 waits on CompletionStage of runCoroutineThreadsafe, Task[name=Task-2,"
                            + " pending, waiting on Future[pending]] at ")
                    .hasMessageContaining("\n  Task-2 waits on Future[pending] at ");
        }
    }

    /**
     * The same call, the coroutine it submitted waiting for what nothing completes: a deadlock, reported with the
     * task the call waits for, on either clock (both hung).
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aCallWaitingForACoroutineItSubmittedThatNothingCanEndIsReported() {
        for (boolean virtual : new boolean[] {false, true}) {
            assertThatThrownBy(() -> Aio.run(() -> virtual ? EventLoop.builder().virtualTime().build()
                    : new EventLoop(), () -> {
                EventLoop loop = Aio.getRunningLoop();
                Future<String> never = loop.createFuture();
                Task<String> caller = Aio.createTask(() -> Aio.toThread(() -> loop.runCoroutineThreadsafe(
                        () -> never.await()).get()), "caller");
                return caller.await();
            })).as("virtual=" + virtual)
                    .isInstanceOf(DeadlockException.class)
                    .hasMessageMatching("(?s).*\\n  offloaded call [^\\n]* running on [^\\n]* is blocked in"
                            + " get\\(\\) on the result of runCoroutineThreadsafe, Task\\[name=Task-2, pending,"
                            + " waiting on Future\\[pending\\]\\] at [^\\n]*\\(DeadlockTest\\.java:\\d+\\)\\n.*")
                    .hasMessageContaining("caller waits on offloaded call")
                    .hasMessageContaining("Task-2 waits on Future[pending]");
        }
    }

    /**
     * A deadlock of many tasks names the first thousand, in creation order, and counts the others: listing each (a
     * stack walk per task) made a report of 5.7 MB in 2 s for 50,000 tasks (some 40 s and 115 MB for a
     * million, linearly). {@link DeadlockException#tasks()} still has them all.
     */
    @Test
    void aDeadlockOfManyTasksNamesTheFirstThousandAndCountsTheRest() {
        int n = 3000;
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            var never = new Event();
            List<Task<Void>> waiters = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                waiters.add(Aio.createTask(() -> {
                    never.await();
                    return null;
                }, "waiter-" + i));
            }
            return Aio.gather(waiters).await();
        })).isInstanceOf(DeadlockException.class)
                .satisfies(e -> {
                    String report = e.getMessage();
                    assertThat(((DeadlockException) e).tasks()).hasSize(n + 1);
                    assertThat(report).contains("\n  Task-1 waits on GatheringFuture[pending, 0/3000 children done]")
                            .contains("\n  waiter-998 waits on Event[unset, waiters=3000] at ")
                            .doesNotContain("waiter-999 ")
                            .contains("\n  ... and 2001 more pending tasks, not shown (DeadlockException.tasks() has"
                                    + " them all)\n");
                    assertThat(report.lines().filter(l -> l.startsWith("  waiter-"))).hasSize(999);
                });
    }

    /**
     * Offloaded calls blocked on the loop's futures are listed as tasks are: the first thousand, the others counted.
     * Each line walks the call's thread's stack: 20,000 calls blocked so (a task each, calling toThread) made a
     * report of 4.4 MB, 21,004 lines, every call listed.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aDeadlockOfManyCallsBlockedOnTheLoopNamesTheFirstThousandAndCountsTheRest() {
        int n = 1050;
        assertThatThrownBy(() -> TestLoops.runVirtual(new CopyOnWriteArrayList<>(), () -> {
            Future<String> never = Aio.getRunningLoop().createFuture();
            List<Task<String>> callers = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                callers.add(Aio.createTask(() -> Aio.toThread(() -> never.get())));
            }
            return Aio.gather(callers).await();
        })).isInstanceOf(DeadlockException.class)
                .satisfies(e -> {
                    String report = e.getMessage();
                    assertThat(report.lines().filter(l -> l.startsWith("  offloaded call ")
                            && l.contains(" is blocked in Future.get() on "))).hasSize(1000);
                    assertThat(report).contains("\n  ... and 50 more calls that wait for the loop, not shown\n"
                            + "Pending tasks and what they wait on:");
                });
    }

    /**
     * A lock or a capacity limiter that a task which has ended still holds is the cause of the deadlock, and the
     * report says so: it named the holder as if it were still running, though the holder is not among the pending
     * tasks listed.
     */
    @Test
    void aLockOrALimiterHeldByATaskThatHasEndedIsReportedSo() {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            var lock = new Lock();
            Aio.createTask(() -> {
                lock.acquire();
                return null;
            }, "leaker").await();
            return Aio.createTask(() -> {
                lock.acquire();
                return null;
            }, "waiter").await();
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("waiter waits on Lock[locked by leaker, which has ended, waiters=1] at ");
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            Aio.createTask(() -> {
                limiter.acquire();
                return null;
            }, "leaker").await();
            return Aio.createTask(() -> {
                limiter.acquire();
                return null;
            }, "waiter").await();
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("waiter waits on CapacityLimiter[borrowed=1/1 by task leaker (ended), ");
    }

    /** An offloaded call blocked on a future nothing can complete is a deadlock, not a hang, on either clock. */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void anOffloadedCallBlockedOnALoopFutureNothingCompletesIsReported() {
        for (boolean virtual : new boolean[] {false, true}) {
            assertThatThrownBy(() -> Aio.run(() -> virtual ? EventLoop.builder().virtualTime().build()
                    : new EventLoop(), () -> {
                Future<String> never = Aio.getRunningLoop().createFuture();
                Task<String> caller = Aio.createTask(() -> Aio.toThread(() -> never.get()), "caller");
                return caller.await();
            })).as("virtual=" + virtual)
                    .isInstanceOf(DeadlockException.class)
                    .hasMessageContaining(
                            "no offloaded work is in flight but calls that wait for the loop's own futures:")
                    .hasMessageMatching("(?s).*\\n  offloaded call [^\\n]* running on [^\\n]* is blocked in"
                            + " Future.get\\(\\) on Future\\[pending\\] at [^\\n]*\\(DeadlockTest\\.java:\\d+\\)\\n.*")
                    .hasMessageContaining("caller waits on offloaded call");
        }
    }

    /**
     * Aio.run waits for offloaded work at the end for a bounded time; on a virtual clock, which stands still while
     * work is in flight, that bound is real time too: announced external work never delivered must not keep
     * Aio.run from returning.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void onAVirtualClockAioRunStopsWaitingForWorkInFlightForEverAfterItsTimeout() throws Exception {
        var reports = new CopyOnWriteArrayList<ExceptionContext>();
        EventLoop loop = EventLoop.builder().virtualTime().exceptionHandler((l, c) -> reports.add(c)).build();
        String got = Runners.run(loop, () -> {
            Aio.getRunningLoop().expectExternal(); // never delivered, never closed
            return "main done";
        }, Duration.ofMillis(100));
        assertThat(got).isEqualTo("main done");
        assertThat(loop.isClosed()).isTrue();
        assertThat(reports).anySatisfy(c -> assertThat(c.message())
                .startsWith("Offloaded work still running after PT0.1S: [external work announced"));
    }

    /**
     * Aio.run's shutdown with an offloaded call nobody awaits, blocked in Future.get() on a future of the loop that
     * nothing will settle: on either clock the call can never end by itself, so the shutdown reports it at once and
     * the close releases it, instead of waiting out the offload bound and then the executor's (ten minutes).
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aioRunReportsAndReleasesAnUnawaitedCallBlockedOnALoopFutureNothingSettles() throws Exception {
        for (boolean virtual : new boolean[] {false, true}) {
            var reports = new CopyOnWriteArrayList<ExceptionContext>();
            var callEnded = new AtomicReference<Throwable>();
            var ended = new CountDownLatch(1);
            EventLoop.Builder b = EventLoop.builder().exceptionHandler((l, c) -> reports.add(c));
            EventLoop loop = (virtual ? b.virtualTime() : b).build();
            String got = Aio.run(() -> loop, () -> {
                Future<String> never = Aio.getRunningLoop().createFuture();
                Aio.getRunningLoop().runInExecutor(null, () -> {
                    try {
                        return never.get();
                    } catch (Throwable e) {
                        callEnded.set(e);
                        throw e;
                    } finally {
                        ended.countDown();
                    }
                });
                Aio.sleep(0); // the call starts and blocks
                return "main done";
            });
            assertThat(got).as("virtual=" + virtual).isEqualTo("main done");
            assertThat(loop.isClosed()).isTrue();
            assertThat(reports).as("virtual=" + virtual).singleElement().satisfies(c -> assertThat(c.message())
                    .matches("Event loop closed while offloaded call [^\\n]* is blocked in Future.get\\(\\) on"
                            + " Future\\[pending\\] at [^\\n]*\\(DeadlockTest\\.java:\\d+\\): the call is released with an"
                            + " IllegalStateException"));
            ended.await(); // released by the close, not left blocked for ever
            assertThat(callEnded.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Event loop closed while a thread waited");
        }
    }

    /**
     * As above with deadlock detection off, on a virtual clock: the clock still tells that the call only waits for
     * the loop (it jumps over it), so the shutdown does not wait out the real-time bound for it, and it is reported
     * once, by the close that releases it.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void withoutDeadlockDetectionAVirtualClockAioRunDoesNotWaitForACallThatOnlyWaitsForTheLoop() throws Exception {
        var reports = runLeavingACallBlockedInGet(EventLoop.builder().virtualTime().deadlockDetection(false),
                false, Duration.ofHours(1));
        assertThat(reports).singleElement().satisfies(c -> assertThat(c.message())
                .startsWith("Event loop closed while offloaded call"));
    }

    /**
     * With deadlock detection off on the real clock, a call blocked in get() on a future of the loop is waited for
     * until the bound (another thread might settle that future), and then reported once: by the close that releases
     * it, not also as work still running.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aCallBlockedOnALoopFutureLeftAtTheBoundIsReportedOnceByTheClose() throws Exception {
        var reports = runLeavingACallBlockedInGet(EventLoop.builder().deadlockDetection(false),
                true, Duration.ofMillis(200)); // external work never closed: still running at the bound
        assertThat(reports).extracting(ExceptionContext::message).satisfiesExactlyInAnyOrder(
                m -> assertThat(m).startsWith("Offloaded work still running after PT0.2S: [external work")
                        .doesNotContain("offloaded call"),
                m -> assertThat(m).startsWith("Event loop closed while offloaded call"));
    }

    /**
     * Runs Aio.run (offload bound {@code bound}) on a loop of {@code builder} whose main task leaves an offloaded call
     * blocked in get() on a loop future nothing settles, and also announced external work never closed if
     * {@code external}; returns what reached the exception handler.
     */
    private static List<ExceptionContext> runLeavingACallBlockedInGet(EventLoop.Builder builder,
            boolean external, Duration bound) throws Exception {
        var reports = new CopyOnWriteArrayList<ExceptionContext>();
        var executor = Executors.newCachedThreadPool();
        try {
            EventLoop loop = builder.exceptionHandler((l, c) -> reports.add(c)).build();
            String got = Runners.run(loop, () -> {
                Future<String> never = Aio.getRunningLoop().createFuture();
                Aio.getRunningLoop().runInExecutor(executor, never::get);
                if (external) {
                    Aio.getRunningLoop().expectExternal();
                }
                Aio.sleep(0); // the call starts and blocks
                return "main done";
            }, bound);
            assertThat(got).isEqualTo("main done");
            assertThat(loop.isClosed()).isTrue();
            return reports;
        } finally {
            executor.shutdownNow();
        }
    }
}
