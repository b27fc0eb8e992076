package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 10,000 producers and consumers through a bounded queue, the consumers also passing a BoundedSemaphore, a
 * CapacityLimiter and a Lock, under random cancellation, and the queue shut down at the end. Exact counts: every item
 * is consumed once, left in the queue, or returned to its producer (its put threw); every permit, token and the lock
 * are back. Seeded; the seed is in every failure message.
 *
 * <p>Two kinds of cancellation: 2,500 at random moments, from chaos tasks; and targeted ones, where a task that just
 * handed something on (an item, a free slot, a permit, the lock) cancels the oldest waiter of that kind at once, i.e.
 * exactly the waiter that was just woken and has not run yet. That is the corner where a naive queue or lock loses an
 * item or a permit, and random timing alone almost never reaches it.
 */
class PrimitivesStressTest {

    private static final int PRODUCERS = 5_000;
    private static final int CONSUMERS = 5_000;
    private static final int CHAOS_TASKS = 100;
    private static final int CANCELS_EACH = 25;

    /** Tasks waiting for one thing, oldest first (the primitives serve them in that order). */
    private static final class Waiting extends ArrayDeque<Task<?>> {
        int targetedCancels;

        <T> T around(java.util.concurrent.Callable<T> operation) throws Exception {
            Task<?> me = Aio.currentTask();
            add(me);
            try {
                return operation.call();
            } finally {
                remove(me);
            }
        }

        /** Cancels the oldest waiter: the one just woken by what the caller handed on. */
        void cancelOldest(Random random) {
            Task<?> oldest = peekFirst();
            if (oldest != null && random.nextInt(5) == 0 && oldest.cancel()) {
                targetedCancels++;
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void nothingIsLostUnderRandomCancellation(long seed) throws Exception {
        var random = new Random(seed);
        List<Integer> consumed = new ArrayList<>();
        Set<Integer> put = new HashSet<>();
        Set<Integer> returned = new HashSet<>();
        List<Integer> left = new ArrayList<>();
        int[] insideLock = {0};
        int[] lockViolations = {0};
        var waitingPut = new Waiting();
        var waitingGet = new Waiting();
        var waitingPermit = new Waiting();
        var waitingToken = new Waiting();
        var waitingLock = new Waiting();
        String description = StressSeeds.describe(seed);

        TestLoops.runVirtual(() -> {
            Queue<Integer> queue = switch ((int) Math.floorMod(seed, 3L)) {
                case 0 -> new Queue<>(8);
                case 1 -> new LifoQueue<>(8);
                default -> new PriorityQueue<>(8);
            };
            var permits = new BoundedSemaphore(8);
            var limiter = new CapacityLimiter(5);
            var lock = new Lock();
            List<Task<?>> tasks = new ArrayList<>();
            for (int i = 0; i < PRODUCERS; i++) {
                int item = i;
                int start = random.nextInt(150);
                tasks.add(Aio.createTask(() -> {
                    try {
                        Aio.sleep(start);
                        waitingPut.around(() -> {
                            queue.put(item);
                            return null;
                        });
                        put.add(item);
                    } catch (CancellationException | QueueShutDownException e) {
                        returned.add(item);
                        throw e;
                    }
                    waitingGet.cancelOldest(random); // the getter our item was just promised to
                }));
            }
            for (int i = 0; i < CONSUMERS; i++) {
                int start = random.nextInt(100);
                double work = random.nextInt(3) * 0.05;
                double critical = random.nextInt(2) * 0.01;
                tasks.add(Aio.createTask(() -> {
                    Aio.sleep(start);
                    try (var _ = waitingPermit.around(permits::acquire);
                         var _ = waitingToken.around(limiter::acquire)) {
                        Integer item = waitingGet.around(queue::get);
                        consumed.add(item);
                        queue.taskDone();
                        waitingPut.cancelOldest(random); // the putter the freed slot was just promised to
                        Aio.sleep(work);
                        try (var _ = waitingLock.around(lock::acquire)) {
                            if (++insideLock[0] > 1) {
                                lockViolations[0]++;
                            }
                            try {
                                Aio.sleep(critical);
                            } finally {
                                insideLock[0]--;
                            }
                        }
                        waitingLock.cancelOldest(random);
                    } catch (QueueShutDownException e) {
                        return;
                    }
                    waitingPermit.cancelOldest(random);
                    waitingToken.cancelOldest(random);
                }));
            }
            List<Task<Void>> chaos = new ArrayList<>();
            for (int c = 0; c < CHAOS_TASKS; c++) {
                chaos.add(Aio.createTask(() -> {
                    for (int k = 0; k < CANCELS_EACH; k++) {
                        Aio.sleep(random.nextInt(3));
                        tasks.get(random.nextInt(tasks.size())).cancel();
                    }
                }));
            }
            Aio.gather(chaos).await();
            Aio.sleep(200);
            left.addAll(queue.shutdown(true));
            Aio.gatherWithExceptions(tasks).await();

            assertThat(queue.statistics()).as(description).isEqualTo(new Queue.Statistics(0, 8, 0, 0, 0, true));
            assertThat(permits.value()).as(description).isEqualTo(8);
            assertThat(permits.statistics().tasksWaiting()).as(description).isZero();
            assertThat(limiter.statistics()).as(description)
                    .isEqualTo(new CapacityLimiter.Statistics(0, 5, List.of(), 0));
            assertThat(lock.statistics()).as(description).isEqualTo(new Lock.Statistics(false, null, 0));
            return null;
        });

        assertThat(lockViolations[0]).as(description).isZero();
        assertThat(new HashSet<>(consumed)).as(description + ": consumed once each").hasSize(consumed.size());
        Set<Integer> accounted = new HashSet<>(consumed);
        accounted.addAll(left);
        assertThat(accounted).as(description + ": put = consumed + left in the queue").isEqualTo(put)
                .hasSize(consumed.size() + left.size());
        assertThat(returned).as(description + ": returned items were never put").doesNotContainAnyElementsOf(put);
        assertThat(put.size() + returned.size()).as(description + ": every producer's item accounted for")
                .isEqualTo(PRODUCERS);
        // The run must reach the corners, or it proves little.
        assertThat(returned).as(description).isNotEmpty();
        assertThat(consumed.size()).as(description).isGreaterThan(PRODUCERS / 2);
        for (Waiting w : List.of(waitingPut, waitingGet, waitingPermit, waitingToken, waitingLock)) {
            assertThat(w.targetedCancels).as(description + ": targeted cancellations").isGreaterThan(10);
        }
    }
}
