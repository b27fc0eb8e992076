package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 800 tasks take one {@link Lock} three times each and wait on a {@link Condition} of it, some under a
 * {@link Timeout} of a few ticks, while the lock's holders {@code signal(n)} (n from 0 to 3) or {@code signalAll()}
 * at random and sleep holding the lock (so that woken waiters queue for it), and tasks are cancelled at random
 * virtual times and right after they were signalled (so that many are interrupted while they re-acquire the lock).
 *
 * <p>A model predicts which waiter each wake-up wakes: waiters in the order they called {@code await()}; a waiter is
 * still waiting while it was neither woken nor interrupted (its task has a cancellation requested: the request, or the
 * timeout's expiry, cancelled its wait); {@code signal(n)} wakes the first n still waiting, {@code signalAll()} all of
 * them, and a waiter that leaves {@code await()} with an exception wakes the first still waiting (asyncio's wait()
 * passes on a notification it may have had). Checked exactly: a waiter that returns normally was woken by the model;
 * whenever the loop settles with the lock free, no waiter the model woke is still in {@code await()} (a wake-up the
 * library lost or gave to another waiter); a task that gets the lock, from {@code acquire()} or leaving
 * {@code await()} however it leaves, is its holder and nobody else held it; every task returns or ends cancelled,
 * and the lock is free at the end.
 * Seeded; the seed is in every failure message.
 */
class ConditionReacquireStressTest {

    private static final int TASKS = 800;
    private static final int ROUNDS = 3; // lock, wait, signal, per task
    private static final double TICK = 0.01;

    /** One task's call of {@code await()}, as the model sees it. */
    private static final class Waiter {
        final Task<?> task;
        boolean woken;

        Waiter(Task<?> task) {
            this.task = task;
        }

        boolean stillWaiting() {
            return !woken && task.cancelling() == 0;
        }
    }

    /** The model and what the run saw; touched only on the loop. */
    private static final class Model {
        final List<Waiter> waiters = new ArrayList<>(); // in await(), in the order they called it
        final Map<Task<?>, Waiter> byTask = new IdentityHashMap<>();
        final List<String> problems = new ArrayList<>();
        Task<?> owner;
        int entered;
        int timedOut;
        int raised; // cancelled, or timed out (some of them converted by their Timeout: timedOut)
        int passedOn;
        int interruptedWhileWoken; // cancelled after a wake-up, before they left await(): re-acquire interrupted
        int expiredWhileWoken; // of those, by their Timeout's expiry
        int settledChecks;

        void take(Lock lock, String where) {
            Task<?> me = Aio.currentTask();
            if (owner != null) {
                problems.add(me + " got the lock " + where + " while " + owner + " held it");
            }
            if (lock.statistics().holder() != me) {
                problems.add(me + " left " + where + " without holding the lock: " + lock.statistics());
            }
            owner = me;
        }

        void give(String where) {
            Task<?> me = Aio.currentTask();
            if (owner != me) {
                problems.add(me + " gave the lock up " + where + " though the model has " + owner + " holding it");
            }
            owner = null;
        }

        void enterAwait() {
            give("in await()");
            var w = new Waiter(Aio.currentTask());
            waiters.add(w);
            byTask.put(w.task, w);
            entered++;
        }

        void leaveAwait(Lock lock, Throwable e) {
            take(lock, e == null ? "await()" : "await() with " + e);
            Waiter me = byTask.remove(Aio.currentTask());
            waiters.remove(me);
            if (e == null) {
                if (!me.woken) {
                    problems.add(me.task + " returned from await() though no wake-up of the model was for it");
                }
            } else {
                if (me.woken) {
                    interruptedWhileWoken++;
                    if (e instanceof TimeoutCancellationException) {
                        expiredWhileWoken++;
                    }
                }
                if (wake(1) == 1) {
                    passedOn++;
                }
            }
        }

        int wake(int n) {
            int done = 0;
            for (Waiter w : waiters) {
                if (done == n) {
                    break;
                }
                if (w.stillWaiting()) {
                    w.woken = true;
                    done++;
                }
            }
            return done;
        }

        void signal(Condition condition, int kind) {
            if (kind < 4) {
                condition.signal(kind);
                wake(kind);
            } else {
                condition.signalAll();
                wake(Integer.MAX_VALUE);
            }
        }

        /** Cancels, now and then, a waiter the model woke, which is likely queued for the lock by now. */
        boolean cancelAWokenWaiter(Random random) {
            for (Waiter w : waiters) {
                if (w.woken && w.task.cancelling() == 0) {
                    return random.nextInt(3) == 0 && w.task.cancel("after its wake-up");
                }
            }
            return false;
        }

        /** Whenever the loop settles with the lock free, every waiter the model woke has left await(). */
        void checkSettled(Lock lock, double time) {
            settledChecks++;
            if (lock.locked()) {
                return;
            }
            for (Waiter w : waiters) {
                if (w.woken) {
                    problems.add("t=" + time + ": " + w.task + " was woken but is still in await() with the lock "
                            + "free: " + lock.statistics());
                }
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void everyWakeUpGoesToTheWaiterItIsForAndEveryWaiterLeavesHoldingTheLock(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        var m = new Model();
        int[] targetedCancels = {0};
        int[] tasksCancelled = {0};

        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            var condition = new Condition(lock);
            List<Task<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < TASKS; i++) {
                double start = random.nextInt(200) * TICK;
                tasks.add(Aio.createTask(() -> {
                    Aio.sleep(start);
                    for (int round = 0; round < ROUNDS; round++) {
                        int deadline = random.nextInt(3) == 0 ? random.nextInt(1, 30) : 0;
                        int signalKind = random.nextInt(6);
                        double holding = random.nextInt(3) * TICK;
                        try (var _ = condition.acquire()) {
                            m.take(lock, "acquire()");
                            try {
                                if (deadline == 0) {
                                    await(condition, lock, m);
                                } else {
                                    try (var _ = Aio.timeout(Duration.ofMillis(deadline * 10L))) {
                                        await(condition, lock, m);
                                    } catch (TimeoutCancellationException e) {
                                        if (!e.isTimeout()) {
                                            throw e;
                                        }
                                        m.timedOut++;
                                    }
                                }
                                m.signal(condition, signalKind);
                                Aio.sleep(holding);
                                if (m.cancelAWokenWaiter(random)) {
                                    targetedCancels[0]++;
                                }
                            } finally {
                                m.give("at the end of its block");
                            }
                        }
                        Aio.sleep(random.nextInt(3) * TICK);
                    }
                }));
            }
            Task<Void> chaos = Aio.createTask(() -> {
                for (int k = 0; k < 400; k++) {
                    Aio.sleep(random.nextInt(2) * TICK);
                    tasks.get(random.nextInt(tasks.size())).cancel("chaos");
                }
            });
            Task<Void> checker =
                    TestLoops.checkWhenSettled(TICK, () -> m.checkSettled(lock, Aio.getRunningLoop().time()));
            chaos.await();
            // Whoever still waits is woken until every task is done (nobody may be left pending).
            while (!tasks.stream().allMatch(Task::isDone)) {
                Aio.sleep(10 * TICK);
                try (var _ = condition.acquire()) {
                    m.take(lock, "acquire()");
                    m.signal(condition, 4);
                    m.give("after the last signals");
                }
            }
            checker.cancel();
            Aio.gatherWithExceptions(tasks).await();
            for (Task<Void> t : tasks) {
                if (t.isCancelled()) {
                    tasksCancelled[0]++;
                } else if (t.exception() != null) {
                    m.problems.add(t + " failed: " + t.exception());
                }
            }
            assertThat(lock.statistics()).as(description).isEqualTo(new Lock.Statistics(false, null, 0));
            return null;
        });

        assertThat(m.problems).as(description).isEmpty();
        // Enough of each path exercised to mean something.
        assertThat(m.entered).as(description).isGreaterThan(TASKS);
        assertThat(m.timedOut).as(description + ": timed out").isGreaterThan(50);
        assertThat(m.raised - m.timedOut).as(description + ": cancelled in await()").isGreaterThan(50);
        assertThat(tasksCancelled[0]).as(description + ": tasks cancelled").isGreaterThan(50);
        assertThat(m.interruptedWhileWoken).as(description + ": interrupted while re-acquiring").isGreaterThan(20);
        assertThat(m.expiredWhileWoken).as(description + ": timed out while re-acquiring").isGreaterThan(10);
        assertThat(m.passedOn).as(description + ": wake-ups passed on").isGreaterThan(20);
        assertThat(targetedCancels[0]).as(description).isGreaterThan(20);
        assertThat(m.settledChecks).as(description).isGreaterThan(100);
    }

    /** One await(), reported to the model as it starts and as it ends, whichever way. */
    private static void await(Condition condition, Lock lock, Model m) {
        m.enterAwait();
        try {
            condition.await();
        } catch (Throwable e) {
            m.leaveAwait(lock, e);
            m.raised++;
            throw e;
        }
        m.leaveAwait(lock, null);
    }
}
