package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A cancellation passed on to what a task waits on is not withdrawn by {@link Task#uncancel()}, and a waiter future
 * that anyone cancels ends the wait with a cancellation: asyncio's task wake-up reads the awaited future's outcome
 * (python3: both print "cancelled"). Every primitive relies on it: a wait that returns normally means the waiter was
 * promised its item or permit.
 */
class PassedOnCancellationTest {

    private static final Consumer<Task<String>> CANCEL_THEN_UNCANCEL = t -> {
        t.cancel();
        assertThat(t.uncancel()).isZero();
    };
    private static final Consumer<Task<String>> CANCEL_ITS_WAITER = t -> t.waitingOn().cancel();

    /**
     * Starts a task that runs {@code wait}, lets it suspend, {@code disturb}s it, lets it run again and returns how
     * it ended: what {@code wait} returned, "cancelled", or "pending".
     */
    private static String waitDisturbedBy(Coroutine<String> wait, Consumer<Task<String>> disturb) throws Exception {
        Task<String> t = Aio.createTask(() -> {
            try {
                return wait.call();
            } catch (CancellationException e) {
                return "cancelled";
            }
        });
        Aio.sleep(0);
        disturb.accept(t);
        Aio.sleep(0);
        Aio.sleep(0);
        return t.isDone() ? t.result() : "pending";
    }

    @Test
    void aLockWaiterDoesNotAlsoGetTheLock() throws Exception {
        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            try (Permit held = lock.acquire()) {
                for (var disturb : java.util.List.of(CANCEL_THEN_UNCANCEL, CANCEL_ITS_WAITER)) {
                    assertThat(waitDisturbedBy(() -> {
                        lock.acquire();
                        return "acquired while another task holds it";
                    }, disturb)).isEqualTo("cancelled");
                }
            }
            assertThat(lock.locked()).isFalse();
            return null;
        });
    }

    @Test
    void aSemaphoreWaiterGetsNoPermitFromNowhere() throws Exception {
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(0);
            assertThat(waitDisturbedBy(() -> {
                sem.acquire();
                return "acquired";
            }, CANCEL_THEN_UNCANCEL)).isEqualTo("cancelled");
            assertThat(sem.locked()).isTrue();
            return null;
        });
    }

    @Test
    void aQueueGetterIsCancelledNotToldOfAShutdownThatNeverHappened() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            assertThat(waitDisturbedBy(q::get, CANCEL_THEN_UNCANCEL)).isEqualTo("cancelled");
            q.putNowait("item");
            assertThat(q.getNowait()).isEqualTo("item");
            return null;
        });
    }

    @Test
    void aCapacityLimiterWaiterDoesNotExceedTheTotal() throws Exception {
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            try (Permit held = limiter.acquire()) {
                assertThat(waitDisturbedBy(() -> {
                    limiter.acquire();
                    return "acquired, borrowed=" + limiter.borrowedTokens();
                }, CANCEL_THEN_UNCANCEL)).isEqualTo("cancelled");
                assertThat(limiter.borrowedTokens()).isEqualTo(1);
            }
            return null;
        });
    }

    @Test
    void aSleepCutShortByACancellationRaisesItEvenIfItIsWithdrawn() throws Exception {
        String r = TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Task<String> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                    return "slept until " + loop.time();
                } catch (CancellationException e) {
                    return "cancelled at " + loop.time();
                }
            });
            Aio.sleep(1);
            CANCEL_THEN_UNCANCEL.accept(t);
            return t.await();
        });
        assertThat(r).isEqualTo("cancelled at 1.0");
    }

    @Test
    void uncancelDoesNotWithdrawATaskGroupsPendingAbort() throws Exception {
        String r = TestLoops.runVirtual(() -> {
            try (TaskGroup g = new TaskGroup()) {
                Task<?> child = g.createTask(() -> {
                    throw new IllegalStateException("child failed");
                });
                Task<?> me = Aio.currentTask();
                child.addDoneCallback(f -> { // runs right after the group's own callback has aborted the block
                    me.cancel();
                    me.uncancel();
                });
                Aio.sleep(1);
                return "not aborted";
            } catch (TaskGroupException e) {
                return "aborted: " + e.exceptions().getFirst().getMessage();
            }
        });
        assertThat(r).isEqualTo("aborted: child failed");
    }
}
