package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class ConditionTest {

    /** Starts n tasks that each wait on cond once, in order, and log when they return. */
    private static List<Task<Void>> waiters(Condition cond, int n, List<String> log) {
        List<Task<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            tasks.add(Aio.createTask(() -> {
                try (var _ = cond.acquire()) {
                    cond.await();
                    assertThat(cond.locked()).isTrue();
                    log.add("w" + id);
                }
            }));
        }
        return tasks;
    }

    @Test
    void signalWakesExactlyNInOrderAndSignalAllTheRest() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var cond = new Condition();
            List<Task<Void>> tasks = waiters(cond, 6, log);
            Aio.sleep(1);
            try (var _ = cond.acquire()) {
                cond.signal(2);
            }
            Aio.sleep(1);
            assertThat(log).containsExactly("w0", "w1");
            try (var _ = cond.acquire()) {
                cond.signal();
            }
            Aio.sleep(1);
            assertThat(log).containsExactly("w0", "w1", "w2");
            try (var _ = cond.acquire()) {
                cond.signal(0);
            }
            Aio.sleep(1);
            assertThat(log).hasSize(3);
            try (var _ = cond.acquire()) {
                cond.signalAll();
            }
            Aio.gather(tasks).await();
            return null;
        });
        assertThat(log).containsExactly("w0", "w1", "w2", "w3", "w4", "w5");
    }

    @Test
    void waitForWaitsUntilThePredicateHoldsWithTheLockHeld() throws Exception {
        List<Integer> buffer = new ArrayList<>();
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var cond = new Condition(new Lock());
            Task<Void> consumer = Aio.createTask(() -> {
                try (var _ = cond.acquire()) {
                    cond.waitFor(() -> buffer.size() >= 2);
                    log.add("got " + buffer + " at " + Aio.getRunningLoop().time());
                }
            });
            for (int i = 1; i <= 3; i++) {
                Aio.sleep(1);
                try (var _ = cond.acquire()) {
                    buffer.add(i);
                    cond.signalAll();
                }
            }
            consumer.await();
            return null;
        });
        assertThat(log).containsExactly("got [1, 2] at 2.0");
    }

    @Test
    void awaitAndSignalNeedTheLock() throws Exception {
        TestLoops.runVirtual(() -> {
            var cond = new Condition();
            assertThatThrownBy(cond::await).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Condition.await() needs the lock");
            assertThatThrownBy(cond::signal).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Condition.signal needs the lock");
            assertThatThrownBy(cond::signalAll).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Condition.signalAll needs the lock");
            try (var _ = cond.acquire()) {
                assertThatThrownBy(() -> cond.signal(-1)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("Condition.signal(n) needs n >= 0, got -1");
            }
            assertThatThrownBy(cond::release).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Lock is not acquired");
            return null;
        });
    }

    @Test
    void aCancelledWaiterHoldsTheLockAgainWhenItThrows() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var cond = new Condition();
            Task<Void> waiter = Aio.createTask(() -> {
                try (var _ = cond.acquire()) {
                    try {
                        cond.await();
                    } catch (CancellationException e) {
                        log.add("cancelled, lock held: " + cond.locked());
                        throw e;
                    }
                }
            });
            Aio.sleep(0);
            Permit mine = cond.acquire(); // the waiter released it while waiting
            waiter.cancel();
            Aio.sleep(1);
            assertThat(log).isEmpty(); // it cannot return before it gets the lock back
            mine.close();
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(cond.locked()).isFalse();
            return null;
        });
        assertThat(log).containsExactly("cancelled, lock held: true");
    }

    @Test
    void aSignalToAWaiterCancelledBeforeItRunsIsPassedOn() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var cond = new Condition();
            List<Task<Void>> tasks = waiters(cond, 2, log);
            Aio.sleep(0);
            try (var _ = cond.acquire()) {
                cond.signal(1);         // signals w0...
                tasks.get(0).cancel();  // ...which is cancelled before it runs
            }
            tasks.get(1).await();
            assertThat(tasks.get(0).isCancelled()).isTrue();
            return null;
        });
        assertThat(log).containsExactly("w1");
    }

    /**
     * The future a signalled waiter waits on to re-acquire the lock can be cancelled by anyone (as asyncio's
     * {@code task._fut_waiter}); asyncio's {@code wait()} then tries again, so it still holds the lock when it throws.
     */
    @Test
    void aWaiterWhoseLockWaitIsCancelledDirectlyHoldsTheLockAgainBeforeItThrows() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            var cond = new Condition(lock);
            Task<Void> waiter = Aio.createTask(() -> {
                try (var _ = cond.acquire()) {
                    try {
                        cond.await();
                    } catch (CancellationException e) {
                        log.add("cancelled, holding the lock: " + (lock.statistics().holder() == Aio.currentTask()));
                        throw e;
                    }
                }
            });
            Aio.sleep(0); // the waiter waits for a signal
            try (var _ = cond.acquire()) {
                cond.signal();
                Aio.sleep(0); // the waiter is signalled and waits for the lock, which this task holds
                assertThat(waiter.waitingOn().owner).isSameAs(lock);
                waiter.waitingOn().cancel(); // its lock wait, not the task
                Aio.sleep(0);
                assertThat(waiter.isDone()).as("it waits on for the lock").isFalse();
                assertThat(lock.statistics().holder()).isSameAs(Aio.currentTask());
            }
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(lock.locked()).isFalse();
            return null;
        });
        assertThat(log).containsExactly("cancelled, holding the lock: true");
    }

    @Test
    void awaitHoldsTheLockAgainWhenItsTaskGroupAbortsItWhileItReacquires() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            var cond = new Condition(lock);
            Task<?> signaller = null;
            try (var group = new TaskGroup()) {
                group.createTask(() -> {
                    Aio.sleep(1);
                    throw new IllegalStateException("boom");
                });
                cond.acquire();
                signaller = Aio.createTask(() -> {
                    try (var _ = cond.acquire()) {
                        cond.signal();
                        Aio.sleep(5); // still holds the lock when the child fails at t=1
                    }
                });
                try {
                    cond.await(); // signalled at once, then waits to re-acquire until the group aborts it
                } finally {
                    log.add("holds the lock: " + (lock.statistics().holder() == Aio.currentTask())
                            + " at " + Math.round(Aio.getRunningLoop().time()));
                    cond.release();
                }
            } catch (TaskGroupException e) {
                log.add("group failed: " + e.exceptions().getFirst().getMessage());
            }
            signaller.await();
            assertThat(lock.locked()).isFalse();
            return null;
        });
        // aborted at t=1, it waits on for the lock until the signaller lets it go at t=5
        assertThat(log).containsExactly("holds the lock: true at 5", "group failed: boom");
    }

    @Test
    void aCancellationDeferredByTheCallersShieldIsNotThrownByAwait() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var cond = new Condition();
            Task<Void> waiter = Aio.createTask(() -> {
                try (var shield = CancelShield.enter()) {
                    try (var _ = cond.acquire()) {
                        try {
                            cond.await(); // cancelled while it waits: the shield defers that
                            log.add("await returned");
                        } catch (CancellationException e) {
                            log.add("await threw inside the shield");
                        }
                    }
                }
                try {
                    Aio.sleep(0); // the first suspension point after the shield: the deferred cancellation
                    log.add("not cancelled after the shield");
                } catch (CancellationException e) {
                    log.add("cancelled after the shield");
                    throw e;
                }
            });
            Aio.sleep(0);
            waiter.cancel();
            Aio.sleep(0);
            try (var _ = cond.acquire()) {
                cond.signal();
            }
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(cond.locked()).isFalse();
            return null;
        });
        assertThat(log).containsExactly("await returned", "cancelled after the shield");
    }
}
