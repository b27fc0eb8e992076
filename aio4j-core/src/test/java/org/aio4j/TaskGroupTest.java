package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class TaskGroupTest {

    @Test
    void joinWaitsForEveryTask() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> a;
            Task<String> b;
            try (var tg = new TaskGroup()) {
                a = tg.createTask(() -> {
                    Aio.sleep(2);
                    log.add("a");
                    return "A";
                });
                b = tg.createTask(() -> {
                    Aio.sleep(1);
                    log.add("b");
                    return "B";
                });
                tg.join();
            }
            assertThat(a.result() + b.result()).isEqualTo("AB");
            assertThat(Aio.getRunningLoop().time()).isEqualTo(2.0);
            return null;
        });
        assertThat(log).containsExactly("b", "a");
    }

    /**
     * The documented limit of try-with-resources (see TaskGroup's Javadoc and porting.md): a cancellation that the
     * block's own exception replaced is not raised again after the group, where asyncio's group re-cancels the task
     * (its next await raises CancelledError); the task sees it in cancelling(). Found by differential fuzzing.
     */
    @Test
    void aCancellationTheBlocksOwnExceptionReplacedIsNotRaisedAgainButCancellingStillCountsIt() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> t = Aio.createTask(() -> {
                try (var tg = new TaskGroup()) {
                    try {
                        Aio.sleep(1);
                    } finally {
                        throw new IllegalStateException("thrown by the block's finally");
                    }
                } catch (IllegalStateException e) {
                    log.add("caught: " + e.getMessage());
                }
                Aio.sleep(0); // asyncio's group re-cancelled the task: CancelledError here
                return "went on, cancelling=" + Aio.currentTask().cancelling();
            });
            Aio.sleep(0);
            t.cancel();
            assertThat(t.await()).isEqualTo("went on, cancelling=1");
            return null;
        });
        assertThat(log).containsExactly("caught: thrown by the block's finally");
    }

    @Test
    void aFailingTaskCancelsItsSiblingsAndJoinThrowsEveryError() throws Exception {
        List<String> log = new ArrayList<>();
        var first = new IllegalStateException("first");
        var second = new IllegalArgumentException("second");
        TestLoops.runVirtual(() -> {
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    Aio.sleep(1);
                    throw first;
                });
                tg.createTask(() -> {
                    try {
                        Aio.sleep(10);
                    } catch (CancellationException e) {
                        log.add("sibling cancelled at " + Aio.getRunningLoop().time());
                        throw second; // fails while being cancelled: must not be lost
                    }
                });
                tg.createTask(() -> {
                    try {
                        Aio.sleep(10);
                    } finally {
                        log.add("other sibling unwound");
                    }
                });
                tg.join();
                throw new AssertionError("join returned");
            } catch (TaskGroupException e) {
                assertThat(e.exceptions()).containsExactly(first, second);
                assertThat(e.getSuppressed()).containsExactly(first, second);
                assertThat(e.getMessage()).contains("2 sub-exceptions");
            }
            assertThat(Aio.currentTask().cancelling()).isZero();
            return null;
        });
        assertThat(log).containsExactly("sibling cancelled at 1.0", "other sibling unwound");
    }

    @Test
    void aFailingTaskStopsTheBlockWhereItWaits() throws Exception {
        List<String> log = new ArrayList<>();
        var boom = new IllegalStateException("boom");
        TestLoops.runVirtual(() -> {
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    Aio.sleep(1);
                    throw boom;
                });
                try {
                    Aio.sleep(100); // the block is busy elsewhere, not in join()
                    log.add("block slept on");
                } finally {
                    log.add("block interrupted at " + Aio.getRunningLoop().time());
                }
                tg.join();
            } catch (TaskGroupException e) {
                assertThat(e.exceptions()).containsExactly(boom);
            }
            return null;
        });
        assertThat(log).containsExactly("block interrupted at 1.0");
    }

    @Test
    void closeWithoutJoinCancelsWhatIsLeftAndReportsErrors() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    try {
                        Aio.sleep(10);
                    } catch (CancellationException e) {
                        log.add("cancelled by close");
                        throw e;
                    }
                });
                Aio.sleep(1);
                throw new IllegalStateException("the block failed");
            } catch (IllegalStateException e) {
                assertThat(e).hasMessage("the block failed");
                assertThat(e.getSuppressed()).isEmpty();
            }
            assertThat(Aio.getRunningLoop().time()).isEqualTo(1.0);
            return null;
        });
        assertThat(log).containsExactly("cancelled by close");
    }

    @Test
    void nestedGroupsPropagateFailuresOutward() throws Exception {
        var deep = new IllegalStateException("deep");
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var outer = new TaskGroup()) {
                outer.createTask(() -> {
                    try (var inner = new TaskGroup()) {
                        inner.createTask(() -> {
                            Aio.sleep(1);
                            throw deep;
                        });
                        inner.createTask(() -> {
                            try {
                                Aio.sleep(10);
                            } finally {
                                log.add("inner sibling unwound");
                            }
                        });
                        inner.join();
                    }
                });
                outer.createTask(() -> {
                    try {
                        Aio.sleep(10);
                    } finally {
                        log.add("outer sibling unwound");
                    }
                });
                outer.join();
            } catch (TaskGroupException e) {
                assertThat(e.exceptions()).singleElement().isInstanceOfSatisfying(TaskGroupException.class,
                        innerGroup -> assertThat(innerGroup.exceptions()).containsExactly(deep));
            }
            return null;
        });
        assertThat(log).containsExactlyInAnyOrder("inner sibling unwound", "outer sibling unwound");
    }

    @Test
    void cancellingTheBlockWhileJoiningCancelsTheTasksThenPropagates() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> owner = Aio.createTask(() -> {
                try (var tg = new TaskGroup()) {
                    tg.createTask(() -> {
                        try {
                            Aio.sleep(10);
                        } catch (CancellationException e) {
                            Aio.sleep(1);
                            log.add("child cleaned up at " + Aio.getRunningLoop().time());
                            throw e;
                        }
                    });
                    tg.join();
                }
            });
            Aio.sleep(2);
            owner.cancel();
            assertThatThrownBy(owner::await).isInstanceOf(CancellationException.class);
            log.add("owner done at " + Aio.getRunningLoop().time());
            return null;
        });
        assertThat(log).containsExactly("child cleaned up at 3.0", "owner done at 3.0");
    }

    @Test
    void aTimeoutAroundAGroup() throws Exception {
        TestLoops.runVirtual(() -> {
            try (Timeout t = Aio.timeout(Duration.ofSeconds(1)); var tg = new TaskGroup()) {
                tg.createTask(() -> Aio.sleep(5));
                tg.join();
            } catch (TimeoutCancellationException e) {
                assertThat(e.isTimeout()).isTrue();
            }
            assertThat(Aio.getRunningLoop().time()).isEqualTo(1.0);
            return null;
        });
    }

    @Test
    void aFinishedGroupRefusesNewTasks() throws Exception {
        TestLoops.runVirtual(() -> {
            TaskGroup group;
            try (var tg = new TaskGroup()) {
                group = tg;
                tg.join();
            }
            assertThatThrownBy(() -> group.createTask(() -> 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("TaskGroup is finished: no task can be added");
            assertThatThrownBy(() -> group.createTask((Coroutine<Object>) null)).isInstanceOf(NullPointerException.class);
            return null;
        });
        assertThatThrownBy(TaskGroup::new).hasMessageStartingWith("no running event loop: ");
    }

    @Test
    void stressManyGroupsWithRandomFailuresLoseNoError() throws Exception {
        long seed = System.nanoTime();
        var random = new java.util.Random(seed);
        int groups = 200;
        int perGroup = 20;
        int[] expectedErrors = new int[groups];
        int[][] plan = new int[groups][perGroup];
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < perGroup; i++) {
                plan[g][i] = random.nextInt(10); // 0 = fail, else sleep that long
            }
        }
        int[] seenErrors = new int[groups];
        int[] completed = {0};
        TestLoops.runVirtual(() -> {
            for (int g = 0; g < groups; g++) {
                int gi = g;
                try (var tg = new TaskGroup()) {
                    for (int i = 0; i < perGroup; i++) {
                        int d = plan[gi][i];
                        tg.createTask(() -> {
                            Aio.sleep(d == 0 ? 0.5 : d);
                            if (d == 0) {
                                throw new IllegalStateException("g" + gi);
                            }
                            completed[0]++;
                        });
                    }
                    tg.join();
                } catch (TaskGroupException e) {
                    seenErrors[gi] = e.exceptions().size();
                }
            }
            return null;
        });
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < perGroup; i++) {
                if (plan[g][i] == 0) {
                    expectedErrors[g]++;
                }
            }
        }
        // Every task planned to fail sleeps 0.5 s and fails at the same moment: all its failures are carried.
        assertThat(seenErrors).as("seed " + seed).containsExactly(expectedErrors);
    }

    @Test
    void aChildsErrorWinsOverACancellationOfTheBlockInTheSameIteration() throws Exception {
        List<ExceptionContext> reports = new ArrayList<>();
        var boom = new IllegalStateException("boom");
        TestLoops.runVirtual(reports, () -> {
            Task<Void> owner = Aio.createTask(() -> {
                try (var group = new TaskGroup()) {
                    Task<Void> child = group.createTask(() -> {
                        Aio.sleep(1);
                        throw boom;
                    });
                    Task<?> me = Aio.currentTask();
                    child.addDoneCallback(c -> me.cancel()); // right after the group's own callback aborted me
                    Aio.getRunningLoop().createFuture().await();
                }
            });
            assertThatThrownBy(owner::await).isInstanceOf(TaskGroupException.class)
                    .satisfies(e -> assertThat(((TaskGroupException) e).exceptions()).containsExactly(boom));
            return null;
        });
        assertThat(reports).isEmpty();
    }

    @Test
    void aChildsErrorWinsOverATimeoutOfTheBlockThatExpiresInTheSameIteration() throws Exception {
        var boom = new IllegalStateException("boom");
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<Void> gate = loop.createFuture();
            loop.callLater(1, () -> gate.setResult(null));
            Throwable seen = null;
            try (var group = new TaskGroup()) {
                group.createTask(() -> {
                    gate.await();
                    throw boom;
                });
                gate.await(); // woken just before the child
                try (Timeout _ = Aio.timeout(Duration.ZERO)) {
                    loop.createFuture().await();
                }
                group.join();
            } catch (RuntimeException e) {
                seen = e;
            }
            assertThat(seen).isInstanceOf(TaskGroupException.class);
            assertThat(((TaskGroupException) seen).exceptions()).containsExactly(boom);
            assertThat(Aio.currentTask().cancelling()).isZero();
            Aio.sleep(1); // no cancellation left over
            return null;
        });
    }

    @Test
    void anErrorWhileACancelledBlockUnwindsFailsTheTaskInsteadOfVanishing() throws Exception {
        List<ExceptionContext> reports = new ArrayList<>();
        var cleanUpFailure = new IllegalStateException("clean-up failed");
        TestLoops.runVirtual(reports, () -> {
            Task<Void> owner = Aio.createTask(() -> {
                try (var group = new TaskGroup()) {
                    group.createTask(failsWhenCancelled(cleanUpFailure));
                    Aio.sleep(10);
                    group.join();
                }
            });
            Aio.sleep(1);
            owner.cancel();
            // asyncio: the group's errors have priority over the cancellation the block unwinds with
            assertThatThrownBy(owner::await).isInstanceOf(TaskGroupException.class)
                    .satisfies(e -> assertThat(((TaskGroupException) e).exceptions()).containsExactly(cleanUpFailure));
            assertThat(owner.isCancelled()).isFalse();
            return null;
        });
        assertThat(reports).isEmpty();
    }

    @Test
    void aCancellationOfTheBlockIsRaisedAgainAfterJoinThrowsTheGroupsErrors() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> owner = Aio.createTask(() -> {
                try (var group = new TaskGroup()) {
                    group.createTask(failsWhenCancelled(new IllegalStateException("clean-up failed")));
                    group.join();
                } catch (TaskGroupException e) {
                    log.add("caught the group's errors");
                }
                Aio.sleep(5); // asyncio's TaskGroup re-cancels its task: this raises
                log.add("went on");
            });
            Aio.sleep(1);
            owner.cancel("why");
            assertThatThrownBy(owner::await).isInstanceOf(CancellationException.class).hasMessage("why");
            return null;
        });
        assertThat(log).containsExactly("caught the group's errors");
    }

    /** The cancellation that arrived while the group's abort was on its way is raised again with its message. */
    @Test
    void aCancellationArrivingWithTheGroupsAbortIsRaisedAgainWithItsMessage() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> owner = Aio.createTask(() -> {
                try (var group = new TaskGroup()) {
                    Task<Void> child = group.createTask(() -> {
                        Aio.sleep(1);
                        throw new IllegalStateException("boom");
                    });
                    Task<?> me = Aio.currentTask();
                    child.addDoneCallback(c -> me.cancel("why")); // right after the group's own callback aborted me
                    Aio.getRunningLoop().createFuture().await();
                } catch (TaskGroupException e) {
                    log.add("caught the group's errors");
                }
                try {
                    Aio.sleep(5);
                } catch (CancellationException e) {
                    log.add("raised again: " + e.getMessage());
                    throw e;
                }
            });
            assertThatThrownBy(owner::await).isInstanceOf(CancellationException.class).hasMessage("why");
            return null;
        });
        assertThat(log).containsExactly("caught the group's errors", "raised again: why");
    }

    /**
     * The group's errors win over the expiry of a Timeout around it, which the group raises again after them: as in
     * asyncio (3.13's TaskGroup re-cancels, the timeout's exit converts the cancellation), it leaves the Timeout's
     * block as a timeout. It used to be raised again as a plain cancellation, which the timeout could not convert:
     * a task never cancelled ended cancelled (found by CancelScopesStressTest).
     */
    @Test
    void anExpiryRaisedAgainAfterTheGroupsErrorsLeavesItsTimeoutBlockAsATimeout() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                try (var group = new TaskGroup()) {
                    group.createTask(failsWhenCancelled(new IllegalStateException("clean-up failed")));
                    group.join();
                } catch (TaskGroupException e) {
                    log.add("caught the group's errors");
                }
                Aio.sleep(5); // the expiry, raised again
                log.add("went on");
            } catch (CancellationException e) {
                log.add(e.getClass().getSimpleName() + ", timeout=" + (e instanceof TimeoutCancellationException tce
                        && tce.isTimeout()));
            }
            assertThat(Aio.currentTask().cancelling()).isZero();
            Aio.sleep(0); // nothing left pending
            return null;
        });
        assertThat(log).containsExactly("caught the group's errors", "TimeoutCancellationException, timeout=true");
    }

    /**
     * A Timeout's expiry cuts the block's sleep short, and the group's abort, right after it, goes ahead of it: after
     * the group's errors, the expiry is raised again as the expiry, and leaves the Timeout's block as a timeout, as
     * in asyncio. It used to be raised again as a plain cancellation, and the task, never cancelled, ended cancelled.
     * The deadline is set once the child is queued, so that the child fails in the iteration the expiry runs in,
     * ahead of it: its group's abort then comes after the expiry cut the sleep short, before the block wakes.
     */
    @Test
    void anExpiryTheGroupsAbortWentAheadOfIsRaisedAgainAsTheTimeout() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (Timeout t = Aio.timeoutAt(Double.POSITIVE_INFINITY)) {
                try (var group = new TaskGroup()) {
                    group.createTask(() -> {
                        throw new IllegalStateException("boom");
                    });
                    t.reschedule(Aio.getRunningLoop().time()); // expires after the child's first step
                    Aio.sleep(3);
                    group.join();
                } catch (TaskGroupException e) {
                    log.add("caught the group's errors");
                }
                Aio.sleep(1); // the expiry, raised again
                log.add("went on");
            } catch (CancellationException e) {
                log.add(e.getClass().getSimpleName() + ", timeout=" + (e instanceof TimeoutCancellationException tce
                        && tce.isTimeout()));
            }
            assertThat(Aio.currentTask().cancelling()).isZero();
            return null;
        });
        assertThat(log).containsExactly("caught the group's errors", "TimeoutCancellationException, timeout=true");
    }

    /**
     * As above, but the task is also cancelled while the group waits for its child, and the group's errors leave the
     * Timeout's block: the expiry raised again must not outlive its block. After it, what is raised is the
     * cancellation still requested, not the expiry of a closed scope.
     */
    @Test
    void anExpiryRaisedAgainAfterTheGroupsErrorsDoesNotOutliveItsTimeoutBlock() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> owner = Aio.createTask(() -> {
                try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                    try (var group = new TaskGroup()) {
                        group.createTask(() -> {
                            try {
                                Aio.sleep(10);
                            } catch (CancellationException e) {
                                try (CancelShield shield = CancelShield.enter()) {
                                    Aio.sleep(1); // a clean-up that takes a while, and then fails
                                }
                                throw new IllegalStateException("clean-up failed");
                            }
                        });
                        group.join();
                    }
                } catch (TaskGroupException e) {
                    log.add("the group's errors left the timeout's block");
                }
                try {
                    Aio.sleep(0);
                } catch (CancellationException e) {
                    log.add("raised after the block: " + e.getClass().getSimpleName());
                    throw e;
                }
            });
            Aio.sleep(1.5);
            owner.cancel();
            assertThatThrownBy(owner::await).isInstanceOf(CancellationException.class);
            assertThat(owner.isCancelled()).isTrue();
            return null;
        });
        assertThat(log).containsExactly("the group's errors left the timeout's block",
                "raised after the block: CancellationException");
    }

    /** A child that waits, and fails with {@code failure} when it is cancelled (a clean-up that goes wrong). */
    private static VoidCoroutine failsWhenCancelled(RuntimeException failure) {
        return () -> {
            try {
                Aio.sleep(10);
            } catch (CancellationException e) {
                throw failure;
            }
        };
    }

    /*
     * CPython 3.11 (same code in 3.13's taskgroups.py): a body that swallows the group's cancellation still gets the
     * group's errors from __aexit__:
     *     async with asyncio.TaskGroup() as tg:
     *         tg.create_task(boom())                      # raises ValueError after 0.01 s
     *         try: await asyncio.sleep(1)
     *         except asyncio.CancelledError: print("body swallowed cancel")
     * prints "body swallowed cancel" then raises ExceptionGroup (ValueError('boom'),).
     */
    @Test
    void aBodyThatSwallowsTheGroupsAbortStillGetsTheErrorsFromClose() throws Exception {
        var boom = new IllegalStateException("boom");
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try {
                try (var tg = new TaskGroup()) {
                    tg.createTask(() -> {
                        Aio.sleep(1);
                        throw boom;
                    });
                    try {
                        Aio.sleep(100);
                    } catch (RuntimeException swallowed) {
                        log.add("body swallowed " + swallowed.getClass().getSimpleName());
                    }
                }
                log.add("no exception");
            } catch (TaskGroupException e) {
                log.add("raised " + e.exceptions());
            }
            return null;
        });
        assertThat(log).containsExactly("body swallowed TaskGroupException", "raised [" + boom + "]");
    }

    /** A body that lets the abort propagate gets it once: the copy close() throws adds one short entry to it. */
    @Test
    void aBodyThatLetsTheAbortPropagateCarriesEachErrorOnce() throws Exception {
        var boom = new IllegalStateException("boom");
        TaskGroupException[] raised = {null};
        TestLoops.runVirtual(() -> {
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    Aio.sleep(1);
                    throw boom;
                });
                Aio.sleep(100);
            } catch (TaskGroupException e) {
                raised[0] = e;
            }
            return null;
        });
        assertThat(raised[0].exceptions()).containsExactly(boom);
        assertThat(raised[0].getSuppressed()).hasSize(2).contains(boom);
        assertThat(raised[0].getSuppressed()).filteredOn(TaskGroupException.class::isInstance).singleElement()
                .satisfies(copy -> {
                    assertThat(copy.getCause()).isSameAs(raised[0]);
                    assertThat(copy.getSuppressed()).isEmpty();
                });
    }
    /**
     * The block of an inner group waits in join() when a Timeout around it expires, then an outer group's task fails:
     * the outer group's abort, which has priority over the expiry, leaves the inner group (as in asyncio, where the
     * outer group's errors are what its block raises). It used to be dropped there, the expiry left both blocks
     * instead, unconverted, with the outer errors only attached to it (found by CancelScopesStressTest).
     */
    @Test
    void anOuterGroupsAbortArrivingAfterACancellationWhileAnInnerGroupWaitsIsWhatLeavesTheInnerGroup()
            throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (TaskGroup outer = new TaskGroup()) {
                try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                    outer.createTask(() -> {
                        Aio.sleep(1); // its timer is set after the Timeout's: the expiry comes first
                        throw new IllegalStateException("child failed");
                    });
                    try (TaskGroup inner = new TaskGroup()) {
                        inner.createTask(() -> Aio.sleep(2));
                        inner.join();
                    } catch (RuntimeException e) {
                        seen.add("inner block left with " + e.getClass().getSimpleName());
                        throw e;
                    }
                }
            } catch (TaskGroupException e) {
                seen.add("outer errors " + e.exceptions().stream().map(Throwable::getMessage).toList());
            }
            return null;
        });
        assertThat(seen).containsExactly("inner block left with TaskGroupException", "outer errors [child failed]");
    }

    /**
     * A block that forgets {@code join()} has its tasks cancelled (close() cannot tell it from a block that raised):
     * a porter's crawler did nothing, and said so only at INFO. The log is a warning unless the block is being
     * cancelled, the one exit where cancelling the tasks is plainly what was meant.
     */
    @Test
    void closingWithoutJoinWarnsUnlessTheBlockIsBeingCancelled() throws Exception {
        List<String> logged;
        try (var log = new CapturedLog()) {
            TestLoops.runVirtual(() -> {
                try (var tg = new TaskGroup()) {
                    tg.createTask(() -> Aio.sleep(1)); // join() forgotten
                }
                Task<Void> cancelled = Aio.createTask(() -> {
                    try (var tg = new TaskGroup()) {
                        tg.createTask(() -> Aio.sleep(10));
                        Aio.sleep(5); // cancelled here, before its join()
                        tg.join();
                    }
                });
                Aio.sleep(1);
                cancelled.cancel();
                assertThatThrownBy(cancelled::await).isInstanceOf(CancellationException.class);
                return null;
            });
            logged = log.records.stream().filter(r -> r.getMessage().startsWith("TaskGroup closed without join()"))
                    .map(r -> r.getLevel() + " " + r.getMessage()).toList();
        }
        assertThat(logged).hasSize(2);
        assertThat(logged.get(0)).startsWith("WARNING TaskGroup closed without join(): cancelled its 1 unfinished task");
        assertThat(logged.get(1)).startsWith("INFO TaskGroup closed without join(): cancelled its 1 unfinished task");
    }

    /**
     * The loop's close resumes a task waiting in its group's join() with a cancellation so that its finally blocks
     * run; the group's wait, refused by the closing loop, must let the block unwind rather than try again until the
     * loop gives up on the task.
     */
    @Test
    void aTaskJoiningItsGroupWhenTheLoopClosesRunsItsFinallyBlocks() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        List<String> log = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        loop.runUntilComplete(() -> {
            Aio.createTask(() -> {
                try (var tg = new TaskGroup()) {
                    tg.createTask(() -> {
                        try {
                            Aio.sleep(100);
                        } finally {
                            log.add("child finally");
                        }
                        return 1;
                    });
                    tg.join();
                } finally {
                    log.add("block finally");
                }
                return null;
            }, "B");
            Aio.sleep(1);
            return null;
        });
        loop.close();
        assertThat(log).containsExactlyInAnyOrder("child finally", "block finally");
        assertThat(errors).extracting(ExceptionContext::message)
                .noneMatch(m -> m.contains("went on trying to suspend"));
    }

    /** join() and close() belong to the task that created the group: from another task, a clear error, no deadlock. */
    @Test
    void joinOrCloseFromAnotherTaskThanTheCreatorIsRefused() throws Exception {
        List<String> reached = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var tg = new TaskGroup();
            Task<Void> closer = Aio.createTask(() -> { // not the group's: its failure does not abort the group
                tg.close();
                return null;
            });
            Aio.gatherWithExceptions(closer).await();
            assertThat(closer.exception()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("TaskGroup.close() must be called by the task that created the group");
            Task<Void> joiner = tg.createTask(() -> {
                tg.join();
                return null;
            });
            assertThatThrownBy(tg::join).isInstanceOf(TaskGroupException.class);
            assertThat(joiner.exception()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("TaskGroup.join() must be called by the task that created the group");
            tg.close(); // joined: nothing left to do
            reached.add("the end of the body");
            return null;
        });
        assertThat(reached).containsExactly("the end of the body");
    }
    /**
     * A joined group takes no more tasks and cannot be joined again; close() after join() does nothing. A group
     * closed without join() likewise refuses both, and a second close() does not throw its errors again.
     */
    @Test
    void aFinishedGroupRefusesMoreWorkAndASecondCloseDoesNothing() throws Exception {
        var boom = new IllegalStateException("boom");
        TestLoops.runVirtual(() -> {
            var joined = new TaskGroup();
            joined.createTask(() -> "done");
            joined.join();
            assertThatThrownBy(() -> joined.createTask(() -> "late")).isInstanceOf(IllegalStateException.class)
                    .hasMessage("TaskGroup is finished: no task can be added");
            assertThatThrownBy(joined::join).isInstanceOf(IllegalStateException.class)
                    .hasMessage("TaskGroup was already joined or closed");
            joined.close();

            var closed = new TaskGroup();
            closed.createTask(() -> {
                Aio.sleep(0);
                throw boom;
            });
            assertThatThrownBy(() -> Aio.sleep(1)).isInstanceOf(TaskGroupException.class); // the group's abort
            assertThatThrownBy(closed::close).isInstanceOf(TaskGroupException.class);
            closed.close(); // closed already: closing again is a no-op, its errors are not thrown again
            assertThatThrownBy(closed::join).isInstanceOf(IllegalStateException.class)
                    .hasMessage("TaskGroup was already joined or closed");
            assertThatThrownBy(() -> closed.createTask(() -> "late")).isInstanceOf(IllegalStateException.class)
                    .hasMessage("TaskGroup is finished: no task can be added");
            return null;
        });
    }

    /** The createTask overloads for a coroutine without a result return the task they added, named if asked. */
    @Test
    void createTaskForAVoidCoroutineReturnsTheTask() throws Exception {
        TestLoops.runVirtual(() -> {
            try (var tg = new TaskGroup()) {
                Task<Void> plain = tg.createTask((VoidCoroutine) () -> Aio.sleep(1));
                Task<Void> named = tg.createTask((VoidCoroutine) () -> Aio.sleep(1), "named");
                assertThat(named.getName()).isEqualTo("named");
                assertThat(plain.isDone()).isFalse();
                tg.join();
                assertThat(plain.result()).isNull();
                assertThat(named.isDone()).isTrue();
            }
            return null;
        });
    }

    /**
     * With the eager task factory a task that fails in its first step aborts the group before createTask() returns:
     * the next createTask() is refused at once (asyncio's TaskGroup takes an eager task's failure in at once too).
     */
    @Test
    void aTaskFailingInItsEagerStepAbortsTheGroupAtOnce() throws Exception {
        var boom = new IllegalStateException("eager failure");
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            var tg = new TaskGroup();
            tg.createTask(() -> {
                throw boom;
            });
            assertThatThrownBy(() -> tg.createTask(() -> "next")).isInstanceOf(IllegalStateException.class)
                    .hasMessage("TaskGroup is shutting down after a failure: no task can be added");
            try {
                Aio.sleep(0);
                log.add("went on");
            } catch (TaskGroupException e) {
                log.add("aborted with " + e.exceptions());
            }
            assertThatThrownBy(tg::close).isInstanceOf(TaskGroupException.class);
            return null;
        });
        assertThat(log).containsExactly("aborted with [" + boom + "]");
    }

    /**
     * A task of a group that fails after the task that opened the group has ended (a group left open) is reported to
     * the loop's exception handler, as asyncio's TaskGroup reports a task that errored out after its parent was done.
     */
    @Test
    void aTaskFailingAfterTheGroupsParentEndedIsReported() throws Exception {
        var boom = new IllegalStateException("late failure");
        List<ExceptionContext> errors = new ArrayList<>();
        TestLoops.runVirtual(errors, () -> {
            Task<TaskGroup> parent = Aio.createTask(() -> {
                var tg = new TaskGroup(); // left open: never joined nor closed
                tg.createTask(() -> {
                    Aio.sleep(1);
                    throw boom;
                });
                return tg;
            });
            parent.await();
            Aio.sleep(2);
            return null;
        });
        assertThat(errors).singleElement().satisfies(c -> {
            assertThat(c.message()).isEqualTo("Task has errored out but its TaskGroup's parent task is already done");
            assertThat(c.exception()).isSameAs(boom);
        });
    }

    /** A group is a loop object: another thread is refused with an IllegalStateException naming the operation. */
    @Test
    void usingAGroupFromAnotherThreadIsRefused() throws Exception {
        List<String> refused = new ArrayList<>();
        Aio.run(() -> {
            var tg = new TaskGroup();
            List<Runnable> calls = List.of(() -> tg.createTask(() -> "x"), tg::join, tg::close);
            refused.addAll(FromAnotherThread.refused(calls));
            assertThat(tg.pendingTasks()).isEmpty();
            tg.join();
            return null;
        });
        assertThat(refused).containsExactly("TaskGroup.createTask", "TaskGroup.join", "TaskGroup.close");
    }

    /** join() from a callback of the loop (no task at all) is refused, saying so. */
    @Test
    void joinOutsideATaskIsRefusedSayingSo() throws Exception {
        List<String> refused = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var tg = new TaskGroup();
            Aio.getRunningLoop().callSoon(() -> {
                try {
                    tg.join();
                } catch (IllegalStateException e) {
                    refused.add(e.getMessage());
                }
            });
            Aio.sleep(0);
            tg.join();
            return null;
        });
        assertThat(refused).singleElement().asString().endsWith(", not outside a task");
    }
}
