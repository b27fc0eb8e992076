package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class SemaphoreTest {

    @Test
    void atMostValueTasksHoldAPermitAndTheyGetThemInArrivalOrder() throws Exception {
        int[] running = {0};
        int[] peak = {0};
        List<Integer> order = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(3);
            List<Task<Void>> tasks = new ArrayList<>();
            int[] seconds = {2, 1, 3, 0, 0, 0, 2, 0, 1};
            for (int i = 0; i < seconds.length; i++) {
                int id = i;
                tasks.add(Aio.createTask(() -> {
                    try (var _ = sem.acquire()) {
                        order.add(id);
                        running[0]++;
                        peak[0] = Math.max(peak[0], running[0]);
                        Aio.sleep(seconds[id]);
                        running[0]--;
                    }
                }));
            }
            Aio.gather(tasks).await();
            assertThat(sem.value()).isEqualTo(3);
            assertThat(sem.statistics()).isEqualTo(new Semaphore.Statistics(3, 0));
            return null;
        });
        assertThat(peak[0]).isEqualTo(3);
        assertThat(order).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8);
    }

    /**
     * CPython 3.11 prints "locked=True", "A acquired", "main acquired", "locked=True": a waiter handed a permit that
     * has not run yet still counts, so a newcomer queues behind it even with a spare permit (found by a review).
     */
    @Test
    void aWokenWaiterThatHasNotRunYetStillMakesTheSemaphoreLocked() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(0);
            Task<Void> a = Aio.createTask(() -> {
                sem.acquire();
                log.add("A acquired");
            });
            Aio.sleep(0);
            sem.release();
            sem.release();
            log.add("after two releases locked=" + sem.locked());
            sem.acquire();
            log.add("main acquired");
            a.await();
            log.add("end value=" + sem.value() + " locked=" + sem.locked());
            return null;
        });
        assertThat(log).containsExactly("after two releases locked=true", "A acquired", "main acquired",
                "end value=0 locked=true");
    }

    /** A woken waiter cancelled before it runs gives its permit on, and stops counting as a waiter. */
    @Test
    void aWokenWaiterCancelledBeforeItRunsNoLongerKeepsTheSemaphoreLocked() throws Exception {
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(0);
            Task<Void> a = Aio.createTask(() -> {
                sem.acquire();
            });
            Aio.sleep(0);
            sem.release();
            a.cancel();
            assertThat(sem.locked()).as("handed to A, which has not run").isTrue();
            assertThatThrownBy(a::await).isInstanceOf(CancellationException.class);
            assertThat(sem.locked()).isFalse();
            assertThat(sem.value()).isEqualTo(1);
            return null;
        });
    }

    /**
     * Permits that come free while a woken waiter has not run yet go, once it runs, to every task that queued behind
     * it meanwhile, as many as there are permits (asyncio's acquire() wakes the next waiter while its value is
     * positive): not just to the first of them.
     */
    @Test
    void aWokenWaiterRunningHandsTheSparePermitsToEveryTaskQueuedBehindIt() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(0);
            List<Task<Void>> tasks = new ArrayList<>();
            tasks.add(Aio.createTask(() -> {
                sem.acquire();
                log.add("A");
            }));
            Aio.sleep(0);
            for (String name : List.of("B", "C")) { // they run before A resumes: they queue behind it
                tasks.add(Aio.createTask(() -> {
                    log.add(name + " arrives, locked=" + sem.locked());
                    sem.acquire();
                    log.add(name);
                }));
            }
            sem.release(); // handed to A, which has not run
            sem.release();
            sem.release();
            Aio.sleep(0); // B and C queue, then A runs: both permits are handed on before B or C runs again
            assertThat(log).containsExactly("B arrives, locked=true", "C arrives, locked=true", "A");
            assertThat(sem.statistics()).isEqualTo(new Semaphore.Statistics(0, 0));
            Aio.gather(tasks).await();
            assertThat(sem.statistics()).isEqualTo(new Semaphore.Statistics(0, 0));
            assertThat(sem.locked()).isTrue();
            return null;
        });
        assertThat(log).containsExactly("B arrives, locked=true", "C arrives, locked=true", "A", "B", "C");
    }

    /** What a permit's toString() says: held until closed, released after. */
    @Test
    void aPermitSaysWhetherItIsHeld() throws Exception {
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(2);
            Permit p = sem.acquire();
            assertThat(p).hasToString("Permit[held, of Semaphore[value=1, waiters=0]]");
            p.close();
            assertThat(p).hasToString("Permit[released, of Semaphore[value=2, waiters=0]]");
            p.close(); // a second close does nothing
            assertThat(sem.value()).isEqualTo(2);
            return null;
        });
    }

    @Test
    void whileTasksWaitANewAcquirerWaitsEvenIfAPermitIsFree() throws Exception {
        List<String> order = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(1);
            Permit held = sem.acquire();
            Task<Void> waiter = Aio.createTask(() -> {
                try (var _ = sem.acquire()) {
                    order.add("waiter");
                }
            });
            Aio.sleep(0);
            assertThat(sem.toString()).isEqualTo("Semaphore[value=0, waiters=1]");
            held.close();
            // The permit went to the waiter with the wake-up: the value stays 0 and a newcomer must wait.
            assertThat(sem.value()).isZero();
            assertThat(sem.locked()).isTrue();
            try (var _ = sem.acquire()) {
                order.add("newcomer");
            }
            waiter.await();
            return null;
        });
        assertThat(order).containsExactly("waiter", "newcomer");
    }

    @Test
    void aPermitHandedToACancelledWaiterGoesBackAndOn() throws Exception {
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(2);
            Permit a = sem.acquire();
            Permit b = sem.acquire();
            List<Task<Permit>> waiters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                waiters.add(Aio.createTask(sem::acquire));
            }
            Aio.sleep(0);
            a.close();
            b.close();                // permits handed to waiters 0 and 1...
            waiters.get(0).cancel();  // ...0 is cancelled before it runs: its permit goes to 2
            assertThatThrownBy(waiters.get(0)::await).isInstanceOf(CancellationException.class);
            waiters.get(2).await();
            assertThat(waiters.get(1).isDone()).isTrue();
            assertThat(waiters.get(3).isDone()).isFalse();
            waiters.get(3).cancel();
            Aio.sleep(0);
            waiters.get(1).result().close();
            waiters.get(2).result().close();
            assertThat(sem.value()).isEqualTo(2);
            assertThat(sem.locked()).isFalse();
            return null;
        });
    }

    @Test
    void aSemaphoreOfZeroWaitsForARelease() throws Exception {
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(0);
            Task<Permit> waiter = Aio.createTask(sem::acquire);
            Aio.sleep(1);
            assertThat(waiter.isDone()).isFalse();
            sem.release();
            waiter.await().close();
            assertThat(sem.value()).isEqualTo(1);
            return null;
        });
    }

    @Test
    void boundedSemaphoreRefusesAReleaseTooMany() throws Exception {
        TestLoops.runVirtual(() -> {
            var sem = new BoundedSemaphore(2);
            Permit p = sem.acquire();
            sem.release();
            assertThatThrownBy(sem::release).isInstanceOf(IllegalStateException.class)
                    .hasMessage("BoundedSemaphore released too many times: its value is already 2, the initial value"
                            + " (BoundedSemaphore[value=2, waiters=0])");
            assertThatThrownBy(p::close).isInstanceOf(IllegalStateException.class); // a double release, caught
            assertThat(sem.value()).isEqualTo(2);
            return null;
        });
    }

    /**
     * Python's counter has no upper limit; an int does. The old code let a release wrap the value to
     * Integer.MIN_VALUE, after which locked() said false and every acquire waited forever.
     */
    @Test
    void aReleaseThatWouldOverflowTheValueIsRefused() throws Exception {
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(Integer.MAX_VALUE);
            assertThatThrownBy(sem::release).isInstanceOf(IllegalStateException.class)
                    .hasMessage("Semaphore.release(): the value is already Integer.MAX_VALUE, the most permits it can"
                            + " count; one more release would overflow (Semaphore[value=2147483647, waiters=0])");
            assertThat(sem.value()).isEqualTo(Integer.MAX_VALUE);
            sem.acquire().close();
            assertThat(sem.value()).isEqualTo(Integer.MAX_VALUE);
            return null;
        });
    }

    @Test
    void negativeValuesAreRefused() {
        assertThatThrownBy(() -> new Semaphore(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Semaphore value must be >= 0, got -1");
        assertThatThrownBy(() -> new BoundedSemaphore(-3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("BoundedSemaphore value must be >= 0, got -3");
    }

    @Test
    void cancelledWaitersLetANewAcquirerThrough() throws Exception {
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(1);
            Permit held = sem.acquire();
            Task<Permit> waiter = Aio.createTask(sem::acquire);
            Aio.sleep(0);
            waiter.cancel();
            held.close();
            // The cancelled waiter has not run its cleanup yet; it does not count as waiting.
            assertThat(sem.locked()).isFalse();
            sem.acquire().close();
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(sem.value()).isEqualTo(1);
            return null;
        });
    }
}
