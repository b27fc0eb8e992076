package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class CancelShieldTest {

    @Test
    void aCancellationInsideTheShieldIsDeferredToTheNextSuspensionPointAfterIt() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Future<String> reply = Aio.getRunningLoop().createFuture();
            Task<Void> worker = Aio.createTask(() -> {
                try (CancelShield shield = CancelShield.enter()) {
                    seen.add("got " + reply.await());
                    seen.add("cancelling " + Aio.currentTask().cancelling());
                }
                seen.add("after the shield");
                try {
                    Aio.sleep(0);
                    seen.add("not raised");
                } catch (CancellationException e) {
                    seen.add("raised: " + e.getMessage());
                    throw e;
                }
            });
            Aio.sleep(1);
            worker.cancel("stop");
            Aio.sleep(1);
            seen.add("reply cancelled? " + reply.isCancelled());
            reply.setResult("reply");
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(seen).containsExactly("reply cancelled? false", "got reply", "cancelling 1", "after the shield",
                "raised: stop");
    }

    /** A library's shielded clean-up inside the caller's shielded section leaves the caller's cancellation alone. */
    @Test
    void anInnerShieldDoesNotTakeTheInterruptionTheOuterShieldDefers() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (CancelShield outer = CancelShield.enter()) {
                    try (CancelShield inner = CancelShield.enter()) {
                        Aio.sleep(5);
                        seen.add("inner takes " + inner.takeInterruption());
                    }
                    Aio.sleep(1); // still deferred: the outer shield is open
                    RuntimeException taken = outer.takeInterruption();
                    seen.add("outer takes " + (taken == null ? null : taken.getMessage()));
                }
                Aio.sleep(0);
                seen.add("nothing raised after the shields");
            });
            Aio.sleep(1);
            worker.cancel("stop");
            worker.await();
            return null;
        });
        assertThat(seen).containsExactly("inner takes null", "outer takes stop", "nothing raised after the shields");
    }

    @Test
    void takeInterruptionHandsTheDeferredCancellationToTheCallerAndNothingIsRaisedLater() throws Exception {
        double[] woke = {-1};
        Object[] taken = {null};
        String result = TestLoops.runVirtual(() -> {
            Task<String> worker = Aio.createTask(() -> {
                try (CancelShield shield = CancelShield.enter()) {
                    Aio.sleep(5);                      // not cut short
                    woke[0] = Aio.getRunningLoop().time();
                    taken[0] = shield.takeInterruption();
                    assertThat(shield.takeInterruption()).isNull();
                }
                Aio.sleep(0);                          // nothing pending any more
                return "finished, cancelling " + Aio.currentTask().cancelling();
            });
            Aio.sleep(1);
            worker.cancel("late");
            return worker.await();
        });
        assertThat(woke[0]).isEqualTo(5.0);
        assertThat(taken[0]).isInstanceOf(CancellationException.class);
        assertThat(((CancellationException) taken[0]).getMessage()).isEqualTo("late");
        assertThat(result).isEqualTo("finished, cancelling 1");
    }

    @Test
    void aCancellationPendingWhenTheShieldIsEnteredIsDeferredToo() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                Aio.currentTask().cancel("self");
                try (CancelShield shield = CancelShield.enter()) {
                    Aio.sleep(1);
                    seen.add("slept in the shield");
                }
                try {
                    Aio.sleep(0);
                } catch (CancellationException e) {
                    seen.add("then raised: " + e.getMessage());
                }
            });
            worker.await();
            return null;
        });
        assertThat(seen).containsExactly("slept in the shield", "then raised: self");
    }

    @Test
    void aTaskThatReturnsRightAfterItsShieldWithACancellationPendingEndsCancelled() throws Exception {
        TestLoops.runVirtual(() -> {
            Future<Void> gate = Aio.getRunningLoop().createFuture();
            Task<String> worker = Aio.createTask(() -> {
                try (CancelShield shield = CancelShield.enter()) {
                    gate.await();
                }
                return "returned";
            });
            Aio.sleep(0);
            worker.cancel();
            gate.setResult(null);
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            assertThat(worker.isCancelled()).isTrue();
            return null;
        });
    }

    @Test
    void aTimeoutExpiringInsideTheShieldIsRaisedAfterItAndConvertedByItsBlock() throws Exception {
        double[] at = {-1};
        TestLoops.runVirtual(() -> {
            try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                try (CancelShield shield = CancelShield.enter()) {
                    Aio.sleep(3);
                }
                at[0] = Aio.getRunningLoop().time();
                Aio.sleep(0);
                throw new AssertionError("the expired timeout was not raised");
            } catch (TimeoutCancellationException e) {
                assertThat(e.isTimeout()).isTrue();
            }
            assertThat(Aio.currentTask().cancelling()).isZero();
            return null;
        });
        assertThat(at[0]).isEqualTo(3.0);
    }

    @Test
    void aTimeoutBlockThatEndsRightAfterTheShieldEndsNormallyButSaysItExpired() throws Exception {
        // asyncio.timeout() raises TimeoutError only if a cancellation leaves its block.
        TestLoops.runVirtual(() -> {
            Timeout timeout;
            try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                timeout = t;
                try (CancelShield shield = CancelShield.enter()) {
                    Aio.sleep(2);
                }
            }
            assertThat(timeout.expired()).isTrue();
            assertThat(Aio.currentTask().cancelling()).isZero();
            Aio.sleep(0); // nothing left pending
            return null;
        });
    }

    /** Trio's cancel scope inside a shielded one, kotlinx's withTimeout inside NonCancellable: it still expires. */
    @Test
    void aTimeoutSetInsideTheShieldStillBoundsTheShieldedWork() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (CancelShield shield = CancelShield.enter()) {
                try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                    Aio.sleep(10);
                    seen.add("slept to the end");
                } catch (TimeoutCancellationException e) {
                    seen.add("timed out at " + Aio.getRunningLoop().time() + ", timeout=" + e.isTimeout());
                }
            }
            assertThat(Aio.currentTask().cancelling()).isZero();
            Aio.sleep(0); // nothing left pending
            return null;
        });
        assertThat(seen).containsExactly("timed out at 1.0, timeout=true");
    }

    /** The shield's cancellation stays deferred while the timeout inside it expires, and is raised after the shield. */
    @Test
    void aCancellationDeferredByTheShieldOutlivesTheExpiryOfATimeoutInsideIt() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (CancelShield shield = CancelShield.enter()) {
                    try (Timeout t = Aio.timeout(Duration.ofSeconds(2))) {
                        Aio.sleep(10);
                    } catch (TimeoutCancellationException e) {
                        seen.add("timed out at " + Aio.getRunningLoop().time() + ", timeout=" + e.isTimeout());
                    }
                    Aio.sleep(1);
                    seen.add("still shielded at " + Aio.getRunningLoop().time());
                }
                suspendRecordingTheCancellation(seen);
            });
            Aio.sleep(1);
            worker.cancel("stop");
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            assertThat(worker.isCancelled()).isTrue();
            return null;
        });
        assertThat(seen).containsExactly("timed out at 2.0, timeout=true", "still shielded at 3.0",
                "raised after the shield: stop");
    }

    /** A cancellation that comes while the expiry of a timeout inside the shield is on its way is deferred too. */
    @Test
    void aCancellationArrivingRightAfterATimeoutInsideTheShieldExpiredIsDeferredToo() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                Task<?> self = Aio.currentTask();
                try (CancelShield shield = CancelShield.enter()) {
                    try (Timeout t = Aio.timeout(Duration.ofSeconds(2))) {
                        Aio.getRunningLoop().callAt(2.0, () -> self.cancel("stop")); // right after the expiry
                        Aio.sleep(10);
                    } catch (TimeoutCancellationException e) {
                        seen.add("timed out, timeout=" + e.isTimeout() + ", cancelling " + self.cancelling());
                    }
                    Aio.sleep(1);
                    seen.add("still shielded");
                }
                suspendRecordingTheCancellation(seen);
            });
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(seen).containsExactly("timed out, timeout=true, cancelling 1", "still shielded",
                "raised after the shield: stop");
    }

    /** An outer Timeout's expiry deferred by the shield is still its own when raised after it. */
    @Test
    void anOuterTimeoutDeferredByTheShieldIsStillATimeoutAfterAnInnerOneExpired() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Timeout[] outerRef = new Timeout[1];
            try (Timeout outer = Aio.timeout(Duration.ofSeconds(1))) {
                outerRef[0] = outer;
                try (CancelShield shield = CancelShield.enter()) {
                    try (Timeout inner = Aio.timeout(Duration.ofSeconds(2))) {
                        Aio.sleep(10);
                    } catch (TimeoutCancellationException e) {
                        seen.add("inner timed out at " + Aio.getRunningLoop().time());
                    }
                }
                Aio.sleep(10);
                seen.add("outer did not expire");
            } catch (TimeoutCancellationException e) {
                seen.add("outer timed out at " + Aio.getRunningLoop().time() + ", timeout=" + e.isTimeout()
                        + ", its own=" + (e.timeout() == outerRef[0]));
            }
            assertThat(Aio.currentTask().cancelling()).isZero();
            return null;
        });
        assertThat(seen).containsExactly("inner timed out at 2.0", "outer timed out at 2.0, timeout=true, its own=true");
    }

    /** A TaskGroup's abort deferred by the shield is not lost when a timeout inside the shield expires first. */
    @Test
    void aTaskGroupAbortDeferredByTheShieldOutlivesTheExpiryOfATimeoutInsideIt() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (TaskGroup g = new TaskGroup()) {
                addChildFailingAfterOneSecond(g);
                try (CancelShield shield = CancelShield.enter()) {
                    try (Timeout t = Aio.timeout(Duration.ofSeconds(2))) {
                        Aio.sleep(10);
                    } catch (TimeoutCancellationException e) {
                        seen.add("timed out at " + Aio.getRunningLoop().time());
                    }
                }
                Aio.sleep(0);
                seen.add("not aborted");
                g.join();
            } catch (TaskGroupException e) {
                seen.add("aborted: " + e.exceptions().getFirst().getMessage());
            }
            return null;
        });
        assertThat(seen).containsExactly("timed out at 2.0", "aborted: child failed");
    }

    @Test
    void aTaskGroupAbortIsDeferredUntilTheBlockLeavesItsShield() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (TaskGroup g = new TaskGroup()) {
                addChildFailingAfterOneSecond(g);
                try (CancelShield shield = CancelShield.enter()) {
                    Aio.sleep(2);
                    seen.add("shielded sleep ended at " + Aio.getRunningLoop().time());
                }
                Aio.sleep(0);
                seen.add("not aborted");
                g.join();
            } catch (TaskGroupException e) {
                seen.add("aborted: " + e.exceptions().getFirst().getMessage());
            }
            return null;
        });
        assertThat(seen).containsExactly("shielded sleep ended at 2.0", "aborted: child failed");
    }

    /**
     * The block leaves its shield and reaches join() or close() without suspending: they throw the group's errors,
     * and the abort the shield deferred is withdrawn (asyncio's TaskGroup uncancels its parent), not raised again
     * after the group.
     */
    @Test
    void aTaskGroupAbortDeferredByTheShieldIsNotRaisedAgainAfterTheGroupThrewItsErrors() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            for (boolean join : new boolean[] {true, false}) {
                try (TaskGroup g = new TaskGroup()) {
                    addChildFailingAfterOneSecond(g);
                    try (CancelShield shield = CancelShield.enter()) {
                        Aio.sleep(2);
                    }
                    if (join) {
                        g.join();
                    }
                } catch (TaskGroupException e) {
                    seen.add((join ? "join" : "close") + " threw: " + e.exceptions().getFirst().getMessage());
                }
                try {
                    Aio.sleep(0);
                    seen.add("nothing raised after the group");
                } catch (TaskGroupException again) {
                    seen.add("raised again after the group");
                }
            }
            return null;
        });
        assertThat(seen).containsExactly("join threw: child failed", "nothing raised after the group",
                "close threw: child failed", "nothing raised after the group");
    }

    /** Trio's nursery inside a shielded scope: a failing child still stops the group's block where it waits. */
    @Test
    void aTaskGroupSetInsideTheShieldStillStopsItsBlockWhenAChildFails() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (CancelShield shield = CancelShield.enter()) {
                try (TaskGroup g = new TaskGroup()) {
                    addChildFailingAfterOneSecond(g);
                    Aio.sleep(10);
                    seen.add("slept to the end");
                    g.join();
                } catch (TaskGroupException e) {
                    seen.add("aborted at " + Aio.getRunningLoop().time() + ": "
                            + e.exceptions().getFirst().getMessage());
                }
            }
            Aio.sleep(0); // nothing left pending
            return null;
        });
        assertThat(seen).containsExactly("aborted at 1.0: child failed");
    }

    /** The cancellation the shield defers outlives the abort of a group inside it, and is raised after the shield. */
    @Test
    void aCancellationDeferredByTheShieldOutlivesTheAbortOfATaskGroupInsideIt() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (CancelShield shield = CancelShield.enter()) {
                    try (TaskGroup g = new TaskGroup()) {
                        g.createTask(() -> {
                            Aio.sleep(2);
                            throw new IllegalStateException("child failed");
                        });
                        Aio.sleep(10);
                        g.join();
                    } catch (TaskGroupException e) {
                        seen.add("aborted at " + Aio.getRunningLoop().time());
                    }
                    Aio.sleep(1);
                    seen.add("still shielded");
                }
                suspendRecordingTheCancellation(seen);
            });
            Aio.sleep(1);
            worker.cancel("stop");
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            return null;
        });
        // (not its message: the group raises the cancellation again without it, as a cancellation re-armed is)
        assertThat(seen).hasSize(3).startsWith("aborted at 2.0", "still shielded");
        assertThat(seen.get(2)).startsWith("raised after the shield: ");
    }

    /** An outer group's abort the shield defers is raised after it, once a group inside it was aborted first. */
    @Test
    void anOuterGroupsAbortDeferredByTheShieldOutlivesTheAbortOfAGroupInsideIt() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (TaskGroup outer = new TaskGroup()) {
                outer.createTask(() -> {
                    Aio.sleep(1);
                    throw new IllegalStateException("outer child failed");
                });
                try (CancelShield shield = CancelShield.enter()) {
                    try (TaskGroup inner = new TaskGroup()) {
                        inner.createTask(() -> {
                            Aio.sleep(2);
                            throw new IllegalStateException("inner child failed");
                        });
                        Aio.sleep(10);
                        inner.join();
                    } catch (TaskGroupException e) {
                        seen.add("inner aborted at " + Aio.getRunningLoop().time() + ": "
                                + e.exceptions().getFirst().getMessage());
                    }
                    Aio.sleep(1);
                    seen.add("still shielded");
                }
                Aio.sleep(0);
                seen.add("not aborted");
                outer.join();
            } catch (TaskGroupException e) {
                seen.add("outer aborted: " + e.exceptions().getFirst().getMessage());
            }
            return null;
        });
        assertThat(seen).containsExactly("inner aborted at 2.0: inner child failed", "still shielded",
                "outer aborted: outer child failed");
    }

    @Test
    void nestedShieldsDeferUntilTheOutermostCloses() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (CancelShield outer = CancelShield.enter()) {
                    try (CancelShield inner = CancelShield.enter()) {
                        Aio.sleep(1);
                    }
                    Aio.sleep(1);
                    seen.add("outer still shields");
                }
                try {
                    Aio.sleep(0);
                } catch (CancellationException e) {
                    seen.add("raised after the outer");
                }
            });
            Aio.sleep(0.5);
            worker.cancel();
            worker.await();
            return null;
        });
        assertThat(seen).containsExactly("outer still shields", "raised after the outer");
    }

    @Test
    void theLoopClosingLiftsTheShieldSoThatTheTaskUnwinds() throws Exception {
        List<String> seen = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        EventLoop loop = TestLoops.virtual(errors);
        try {
            loop.runUntilComplete(loop.createTask(() -> {
                Aio.createTask(() -> {
                    try (CancelShield shield = CancelShield.enter()) {
                        Aio.getRunningLoop().createFuture().await(); // nothing ever completes it
                    } finally {
                        seen.add("finally ran");
                    }
                    return null;
                });
                Aio.sleep(0);
                return null;
            }));
        } finally {
            loop.close();
        }
        assertThat(seen).containsExactly("finally ran");
        assertThat(errors).anySatisfy(e -> assertThat(e.message()).contains("still pending when its event loop closed"));
    }

    @Test
    void misuseIsRefusedWithAClearMessage() throws Exception {
        assertThatThrownBy(CancelShield::enter)
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("no running event loop: ");
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<Throwable> fromCallback = loop.createFuture();
            loop.callSoon(() -> {
                try {
                    CancelShield.enter();
                    fromCallback.setResult(null);
                } catch (IllegalStateException e) {
                    fromCallback.setResult(e);
                }
            });
            assertThat(fromCallback.await()).hasMessageContaining("must be called from a task, not from a callback");

            CancelShield mine = CancelShield.enter();
            Task<Void> other = Aio.createTask(mine::close);
            assertThatThrownBy(other::await).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("must be called by the task that entered it");
            mine.close();
            mine.close(); // closing twice does nothing
            assertThatThrownBy(mine::takeInterruption).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the shield is closed");
            return null;
        });
    }

    @Test
    void isInterruptionTellsTheTasksOwnInterruptionsFromFailuresOfWhatItAwaited() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<?> me = Aio.currentTask();
            // a future that something else cancelled: a failure of what the task awaited
            Future<Void> cancelledElsewhere = Aio.getRunningLoop().createFuture();
            Aio.getRunningLoop().callLater(1, () -> cancelledElsewhere.cancel());
            CancellationException notMine = catchCancellation(cancelledElsewhere);
            assertThat(me.isInterruption(notMine)).isFalse();

            // the task's own cancellation
            Aio.getRunningLoop().callLater(1, () -> me.cancel("mine"));
            CancellationException mine = catchCancellation(Aio.getRunningLoop().createFuture());
            assertThat(me.uncancel()).isZero();
            assertThat(me.isInterruption(mine)).isTrue();

            // a Timeout's expiry
            try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                Aio.sleep(2);
            } catch (TimeoutCancellationException e) {
                assertThat(me.isInterruption(e)).isTrue();
            }

            // a TaskGroup's abort, thrown where the block waits
            try (TaskGroup g = new TaskGroup()) {
                g.createTask(() -> {
                    throw new IllegalArgumentException("boom");
                });
                Aio.sleep(1);
            } catch (TaskGroupException e) {
                assertThat(me.isInterruption(e)).isTrue();
            }

            assertThat(me.isInterruption(new IllegalStateException())).isFalse();
            assertThat(me.isInterruption(null)).isFalse();
            return null;
        });
    }

    private static CancellationException catchCancellation(Future<?> f) throws Exception {
        try {
            f.await();
        } catch (CancellationException e) {
            return e;
        }
        throw new AssertionError("not cancelled");
    }

    /**
     * A cancellation deferred by a shield inside a Timeout's block, then that Timeout's expiry deferred by the same
     * shield, and the block ends without suspending after the shield: the expiry is withdrawn with its block, and
     * what is raised after it is the cancellation, not the expiry of a scope already closed (found by
     * CancelScopesStressTest).
     */
    @Test
    void aCancellationDeferredBeforeTheExpiryOfATimeoutAroundTheShieldIsWhatIsRaisedAfterItsBlock() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (Timeout t = Aio.timeout(Duration.ofSeconds(2))) {
                    try (CancelShield shield = CancelShield.enter()) {
                        Aio.sleep(3);
                    }
                    seen.add("block ends, expired " + t.expired());
                }
                try {
                    Aio.sleep(0);
                } catch (CancellationException e) {
                    seen.add("raised after the block: " + e.getClass().getSimpleName() + " " + e.getMessage());
                    throw e;
                }
            });
            Aio.sleep(1);
            worker.cancel("stop");
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(seen).containsExactly("block ends, expired true",
                "raised after the block: CancellationException stop");
    }

    /**
     * A cancellation deferred by the shield is raised by the first await of a pending future after it: the task used
     * to cancel that future before it waited on it, so nothing woke it (found by CancelScopesStressTest: a
     * TaskGroup's join() after a shielded section hung).
     */
    @Test
    void aDeferredCancellationIsRaisedByAnAwaitOfAPendingFutureAfterTheShield() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Future<String> reply = Aio.getRunningLoop().createFuture();
            Task<Void> worker = Aio.createTask(() -> {
                try (CancelShield shield = CancelShield.enter()) {
                    Aio.sleep(2);
                }
                try {
                    reply.await();
                } catch (CancellationException e) {
                    seen.add("raised: " + e.getMessage() + ", reply cancelled " + reply.isCancelled());
                    throw e;
                }
            });
            Aio.sleep(1);
            worker.cancel("stop");
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(seen).containsExactly("raised: stop, reply cancelled true");
    }

    /**
     * A Timeout's expiry deferred by a shield inside its block, then a cancellation deferred too and withdrawn: the
     * block still ends with its expiry, a timeout (found by CancelScopesStressTest).
     */
    @Test
    void aDeferredExpiryStaysATimeoutWhenACancellationDeferredAfterItIsWithdrawn() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                    try (CancelShield shield = CancelShield.enter()) {
                        Aio.sleep(3);
                    }
                    Aio.sleep(1);
                } catch (TimeoutCancellationException e) {
                    seen.add("timed out, timeout=" + e.isTimeout());
                }
            });
            Aio.sleep(2);
            worker.cancel("stop");
            worker.uncancel();
            worker.await();
            return null;
        });
        assertThat(seen).containsExactly("timed out, timeout=true");
    }

    /**
     * A cancellation deferred by a shield, then the expiries of two Timeouts around the shield in the same iteration,
     * deferred too, and their blocks end without suspending: what is raised after them is the cancellation, not the
     * expiry of the inner scope (found by CancelScopesStressTest).
     */
    @Test
    void aCancellationDeferredBeforeTwoExpiriesIsWhatIsRaisedAfterTheirBlocks() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (Timeout outer = Aio.timeout(Duration.ofSeconds(2))) {
                    try (Timeout inner = Aio.timeout(Duration.ofSeconds(2))) {
                        try (CancelShield shield = CancelShield.enter()) {
                            Aio.sleep(3);
                        }
                    }
                }
                try {
                    Aio.sleep(0);
                } catch (CancellationException e) {
                    seen.add("raised after the blocks: " + e.getClass().getSimpleName() + " " + e.getMessage());
                    throw e;
                }
            });
            Aio.sleep(1);
            worker.cancel("stop");
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(seen).containsExactly("raised after the blocks: CancellationException stop");
    }

    /**
     * Two Timeouts set inside a shielded section expire in the same iteration: as without a shield, the inner one lets
     * the interruption through and the outer one turns it into its timeout; the shield, which defers nothing here,
     * used to make the inner one take it (found by CancelScopesStressTest).
     */
    @Test
    void nestedTimeoutsInsideAShieldExpiringTogetherEndAsTheOuterTimeout() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (CancelShield shield = CancelShield.enter()) {
                    Timeout outer = Aio.timeout(Duration.ofSeconds(1));
                    try (outer) {
                        try (Timeout inner = Aio.timeout(Duration.ofSeconds(1))) {
                            Aio.sleep(2);
                        } catch (TimeoutCancellationException e) {
                            seen.add("inner caught timeout=" + e.isTimeout());
                            throw e;
                        }
                    } catch (TimeoutCancellationException e) {
                        seen.add("outer caught timeout=" + e.isTimeout() + ", names outer " + (e.timeout() == outer)
                                + ", cancelling " + Aio.currentTask().cancelling());
                    }
                }
            });
            worker.await();
            return null;
        });
        assertThat(seen).containsExactly("inner caught timeout=false",
                "outer caught timeout=true, names outer true, cancelling 0");
    }

    /**
     * A cancellation deferred before a Timeout set inside the shielded section was entered stays deferred when that
     * Timeout expires there: it used to be dropped, and the task ended normally (found by CancelScopesStressTest).
     */
    @Test
    void aCancellationDeferredBeforeATimeoutInsideTheShieldWasEnteredOutlivesItsExpiry() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (CancelShield shield = CancelShield.enter()) {
                    Aio.sleep(2);
                    try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                        Aio.sleep(5);
                    } catch (TimeoutCancellationException e) {
                        seen.add("timed out, timeout=" + e.isTimeout());
                    }
                }
                suspendRecordingTheCancellation(seen);
            });
            Aio.sleep(1);
            worker.cancel("stop");
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(seen).containsExactly("timed out, timeout=true", "raised after the shield: stop");
    }

    /**
     * Around a shield, an inner Timeout expires, then the task is cancelled, then an outer Timeout expires, all
     * deferred, and the blocks end without suspending: what is raised after them is the cancellation, not the
     * expiry of the inner scope (found by CancelScopesStressTest).
     */
    @Test
    void aCancellationDeferredBetweenTwoExpiriesIsWhatIsRaisedAfterTheirBlocks() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> worker = Aio.createTask(() -> {
                try (Timeout outer = Aio.timeout(Duration.ofSeconds(3))) {
                    try (Timeout inner = Aio.timeout(Duration.ofSeconds(1))) {
                        try (CancelShield shield = CancelShield.enter()) {
                            Aio.sleep(4);
                        }
                    }
                }
                suspendRecordingTheCancellation(seen);
            });
            Aio.sleep(2);
            worker.cancel("stop");
            assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(seen).containsExactly("raised after the shield: stop");
    }

    /**
     * The expiry of a Timeout around the shield and a cancellation, both deferred, in either order, then a suspension
     * in the block: what is raised is still the expiry, which the cancellation keeps from being a timeout, but it
     * carries the cancellation's message out of the block, as asyncio's CancelledError carries the message of the
     * last cancel(). The message used to be lost.
     */
    @Test
    void aCancellationDeferredWithTheExpiryOfATimeoutAroundTheShieldKeepsItsMessage() throws Exception {
        for (boolean cancelFirst : new boolean[] {true, false}) {
            List<String> seen = new ArrayList<>();
            TestLoops.runVirtual(() -> {
                Task<Void> worker = Aio.createTask(() -> {
                    try (Timeout t = Aio.timeout(Duration.ofSeconds(2))) {
                        try (CancelShield shield = CancelShield.enter()) {
                            Aio.sleep(4);
                        }
                        Aio.sleep(1);
                    } catch (CancellationException e) {
                        seen.add("left the block: " + e.getMessage() + ", a cancellation " + Task.isCancellation(e));
                        throw e;
                    }
                });
                Aio.sleep(cancelFirst ? 1 : 3);
                worker.cancel("why");
                assertThatThrownBy(worker::await).isInstanceOf(CancellationException.class).hasMessage("why");
                assertThat(worker.isCancelled()).isTrue();
                return null;
            });
            assertThat(seen).as("cancelled first: " + cancelFirst)
                    .containsExactly("left the block: why, a cancellation true");
        }
    }

    /** Suspends once, recording in {@code seen} the cancellation raised there (a shield deferred it until now). */
    private static void suspendRecordingTheCancellation(List<String> seen) {
        try {
            Aio.sleep(0);
        } catch (CancellationException e) {
            seen.add("raised after the shield: " + e.getMessage());
            throw e;
        }
    }

    /** A child of {@code group} that fails with "child failed" one second from now. */
    private static void addChildFailingAfterOneSecond(TaskGroup group) {
        group.createTask(() -> {
            Aio.sleep(1);
            throw new IllegalStateException("child failed");
        });
    }
}
