package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Aio#waitAllTasksBlocked()}, Trio's {@code wait_all_tasks_blocked}. */
class WaitAllTasksBlockedTest {

    @Test
    void onAVirtualClockTheOtherTasksRunAsFarAsTheyCanAndTheClockDoesNotJump() throws Exception {
        TestLoops.runVirtual(() -> {
            int[] steps = {0};
            boolean[] slept = {false};
            var event = new Event();
            var queue = new Queue<String>();
            Task<Void> stepper = Aio.createTask(() -> {
                for (int i = 0; i < 100; i++) {
                    Aio.sleep(0);
                    steps[0]++;
                }
                queue.put("stepped");
                Aio.sleep(10);
                slept[0] = true;
            });
            Task<Void> waiter = Aio.createTask(() -> {
                event.await();
            });
            Aio.waitAllTasksBlocked();
            assertThat(steps[0]).isEqualTo(100);
            assertThat(queue.getNowait()).isEqualTo("stepped");
            assertThat(slept[0]).as("a sleeping task is blocked: the clock did not jump to wake it").isFalse();
            assertThat(Aio.getRunningLoop().time()).isZero();
            Aio.sleep(10);
            assertThat(slept[0]).isTrue();
            event.set();
            Aio.gather(stepper, waiter).await();
            return null;
        });
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES) // guards against a hang only: it returns long before the timer
    void onTheRealClockItReturnsBeforeTheLoopWaitsForTheNextTimer() throws Exception {
        Aio.run(() -> {
            boolean[] woke = {false};
            Task<Void> sleeper = Aio.createTask(() -> {
                Aio.sleep(3600);
                woke[0] = true;
            });
            Aio.waitAllTasksBlocked();
            assertThat(woke[0]).isFalse();
            assertThat(sleeper.isDone()).isFalse();
            sleeper.cancel();
            return null;
        });
    }

    @Test
    void anOffloadedCallInFlightIsNotBlocked() throws Exception {
        var release = new CountDownLatch(1);
        TestLoops.runVirtual(() -> {
            int[] got = {0};
            Task<Void> worker = Aio.createTask(() -> {
                got[0] = Aio.toThread(() -> {
                    release.await();
                    return 7;
                });
            });
            Aio.sleep(0); // the worker starts its call
            Thread.ofPlatform().start(release::countDown);
            Aio.waitAllTasksBlocked();
            assertThat(got[0]).as("the call ended and the worker ran on before the wait ended").isEqualTo(7);
            assertThat(worker.isDone()).isTrue();
            return null;
        });
    }

    @Test
    void waitersAreWokenTogetherInOrderAndACancelledOneIsForgotten() throws Exception {
        TestLoops.runVirtual(() -> {
            List<String> woken = new ArrayList<>();
            Task<Void> first = Aio.createTask(() -> {
                Aio.waitAllTasksBlocked();
                woken.add("first");
            });
            Task<Void> cancelled = Aio.createTask(() -> {
                Aio.waitAllTasksBlocked();
                woken.add("cancelled");
            });
            Task<Void> second = Aio.createTask(() -> {
                Aio.waitAllTasksBlocked();
                woken.add("second");
            });
            Aio.sleep(0); // all three wait
            cancelled.cancel();
            Aio.waitAllTasksBlocked();
            woken.add("main");
            assertThat(woken).containsExactly("first", "second", "main");
            assertThat(cancelled.isCancelled()).isTrue();
            assertThat(Aio.getRunningLoop().blockedWaiters.any()).as("no waiter left behind").isFalse();
            Aio.gather(first, second).await();
            return null;
        });
    }

    @Test
    void outsideATaskItIsRefused() throws Exception {
        assertThatThrownBy(Aio::waitAllTasksBlocked).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("no running event loop: ");
        TestLoops.runVirtual(() -> {
            var loop = Aio.getRunningLoop();
            Future<Throwable> thrown = loop.createFuture();
            loop.callSoon(() -> {
                try {
                    Aio.waitAllTasksBlocked();
                    thrown.setResult(null);
                } catch (IllegalStateException e) {
                    thrown.setResult(e);
                }
            });
            assertThat(thrown.await()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot suspend in a callback");
            return null;
        });
    }

    @Test
    void aCancelledWaiterThrowsCancellation() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<Void> waiter = Aio.createTask(Aio::waitAllTasksBlocked);
            Aio.sleep(0);
            waiter.cancel();
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            return null;
        });
    }
}
