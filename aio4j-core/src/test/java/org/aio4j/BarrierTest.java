package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class BarrierTest {

    @Test
    void partiesPassTogetherWithTheirArrivalIndexPhaseAfterPhase() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var barrier = new Barrier(3);
            assertThat(barrier.parties()).isEqualTo(3);
            List<Task<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                tasks.add(Aio.createTask(() -> {
                    for (int phase = 0; phase < 2; phase++) {
                        Aio.sleep(id + 1);
                        int index = barrier.await();
                        log.add("phase " + phase + ": t" + id + " index " + index + " at "
                                + Aio.getRunningLoop().time());
                    }
                }));
            }
            Aio.sleep(2.5);
            assertThat(barrier.nWaiting()).isEqualTo(2);
            assertThat(barrier.toString()).isEqualTo("Barrier[filling, waiters=2/3]");
            Aio.gather(tasks).await();
            assertThat(barrier.nWaiting()).isZero();
            return null;
        });
        assertThat(log).containsExactly(
                "phase 0: t2 index 2 at 3.0", "phase 0: t0 index 0 at 3.0", "phase 0: t1 index 1 at 3.0",
                "phase 1: t2 index 2 at 6.0", "phase 1: t0 index 0 at 6.0", "phase 1: t1 index 1 at 6.0");
    }

    @Test
    void tasksArrivingWhileItDrainsWaitForTheNextPhase() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var barrier = new Barrier(2);
            Task<Void> a = Aio.createTask(() -> {
                log.add("a " + barrier.await());
            });
            Aio.sleep(0);
            // b releases the phase; c arrives in the same iteration, before a has drained: c waits for d.
            Task<Void> b = Aio.createTask(() -> {
                log.add("b " + barrier.await());
            });
            Task<Void> c = Aio.createTask(() -> {
                log.add("c " + barrier.await());
            });
            Aio.sleep(1);
            assertThat(c.isDone()).isFalse();
            log.add("d " + barrier.await());
            Aio.gather(a, b, c).await();
            return null;
        });
        assertThat(log).containsExactly("b 1", "a 0", "d 1", "c 0");
    }

    @Test
    void abortBreaksItForWaitersAndNewcomersUntilReset() throws Exception {
        TestLoops.runVirtual(() -> {
            var barrier = new Barrier(3);
            Task<Integer> waiter = Aio.createTask(barrier::await);
            Aio.sleep(0);
            barrier.abort();
            assertThat(barrier.broken()).isTrue();
            assertThatThrownBy(waiter::await).isInstanceOf(BrokenBarrierException.class)
                    .hasMessageStartingWith("Barrier aborted while waiting: ");
            assertThatThrownBy(barrier::await).isInstanceOf(BrokenBarrierException.class)
                    .hasMessage("Barrier aborted: Barrier[broken, waiters=0/3]");
            barrier.reset();
            assertThat(barrier.broken()).isFalse();
            // The barrier itself works again: a full phase passes it (no task waited when it was reset).
            Task<Integer> first = Aio.createTask(barrier::await);
            Task<Integer> second = Aio.createTask(barrier::await);
            Aio.sleep(0);
            assertThat(barrier.await()).isEqualTo(2);
            assertThat(first.await()).isZero();
            assertThat(second.await()).isEqualTo(1);
            assertThat(barrier.nWaiting()).isZero();
            assertThat(new Barrier(1).await()).as("one party passes at once").isZero();
            return null;
        });
    }

    @Test
    void resetSendsWaitersOutAndStartsANewPhase() throws Exception {
        TestLoops.runVirtual(() -> {
            var barrier = new Barrier(2);
            Task<Integer> waiter = Aio.createTask(barrier::await);
            Aio.sleep(0);
            barrier.reset();
            assertThat(barrier.nWaiting()).as("none waits to pass while it resets").isZero();
            assertThatThrownBy(waiter::await).isInstanceOf(BrokenBarrierException.class)
                    .hasMessageStartingWith("Barrier reset while waiting: ");
            Task<Integer> next = Aio.createTask(barrier::await);
            assertThat(barrier.await()).isZero();
            assertThat(next.await()).isEqualTo(1);
            return null;
        });
    }

    @Test
    void aCancelledWaiterLeavesWithoutBreakingIt() throws Exception {
        TestLoops.runVirtual(() -> {
            var barrier = new Barrier(2);
            Task<Integer> cancelled = Aio.createTask(barrier::await);
            Aio.sleep(0);
            cancelled.cancel();
            assertThatThrownBy(cancelled::await).isInstanceOf(CancellationException.class);
            assertThat(barrier.nWaiting()).isZero();
            assertThat(barrier.broken()).isFalse();
            Task<Integer> other = Aio.createTask(barrier::await);
            assertThat(barrier.await()).isZero(); // this task arrives first: other has not run yet
            assertThat(other.await()).isEqualTo(1);
            return null;
        });
    }

    /**
     * Two waiters cancelled in the same step both leave with their cancellation: the first to run passes a wake-up
     * on only to a waiter still waiting, not to the other one, whose wait has already ended cancelled (as asyncio's
     * Condition.wait() notifies only futures that are not done).
     */
    @Test
    void twoWaitersCancelledTogetherBothLeaveCancelled() throws Exception {
        TestLoops.runVirtual(() -> {
            var barrier = new Barrier(3);
            Task<Integer> a = Aio.createTask(barrier::await);
            Task<Integer> b = Aio.createTask(barrier::await);
            Aio.sleep(0);
            a.cancel();
            b.cancel();
            assertThatThrownBy(a::await).isInstanceOf(CancellationException.class);
            assertThatThrownBy(b::await).isInstanceOf(CancellationException.class);
            assertThat(barrier.nWaiting()).isZero();
            Task<Integer> c = Aio.createTask(barrier::await);
            Task<Integer> d = Aio.createTask(barrier::await);
            Aio.sleep(0);
            assertThat(barrier.await()).isEqualTo(2);
            assertThat(c.await()).isZero();
            assertThat(d.await()).isEqualTo(1);
            return null;
        });
    }

    /**
     * A callback that calls await() where it would have to wait is refused before it queues: it does not pass on a
     * wake-up as a waiter leaving with a cancellation does, which would send the first task waiting to the back.
     */
    @Test
    void anAwaitRefusedToACallbackLeavesTheWaitersInTheirOrder() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var barrier = new Barrier(4);
            for (String name : List.of("a", "b")) {
                Aio.createTask(() -> out.add(name + " index " + barrier.await()));
            }
            Aio.sleep(0);
            Future<Throwable> refused = Aio.getRunningLoop().createFuture();
            Aio.getRunningLoop().callSoon(() -> {
                try {
                    barrier.await();
                } catch (Throwable e) {
                    refused.complete(e);
                }
            });
            assertThat(refused.await()).isInstanceOf(IllegalStateException.class);
            Aio.sleep(0);
            for (String name : List.of("c", "d")) {
                Aio.createTask(() -> out.add(name + " index " + barrier.await()));
            }
            for (int i = 0; i < 3; i++) {
                Aio.sleep(0);
            }
            return null;
        });
        assertThat(out).containsExactly("d index 3", "a index 0", "b index 1", "c index 2");
    }

    @Test
    void partiesMustBePositive() {
        assertThatThrownBy(() -> new Barrier(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Barrier parties must be >= 1, got 0");
    }
}
