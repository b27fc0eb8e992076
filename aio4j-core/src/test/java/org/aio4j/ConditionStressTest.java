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
 * A bounded buffer built from one {@link Lock} and two {@link Condition}s on it (not full, not empty), 20 rounds of
 * 100 producers and 125 consumers, signalled with {@code signal()}, {@code signal(n)} or {@code signalAll()} at random,
 * and cancelled at random moments (some of them right after being signalled). Checked exactly: the lock is never
 * held by two tasks, a waiter that throws holds the lock as it throws, every item is consumed once, left in the
 * buffer or returned to its producer, and at the end of each round, once everything has settled, no task waits for
 * a condition that holds (a lost signal would leave one waiting for ever). Seeded; the seed is in every failure
 * message.
 */
class ConditionStressTest {

    private static final int ROUNDS = 20;
    private static final int PRODUCERS = 100; // per round
    private static final int CONSUMERS = 125;
    private static final int CAPACITY = 4;

    /** The buffer's state, touched only with the lock held. */
    private static final class Buffer {
        final ArrayDeque<Integer> items = new ArrayDeque<>();
        int holders;
        int exclusionViolations;
        int lockNotHeldOnThrow;
        final ArrayDeque<Task<?>> producersWaiting = new ArrayDeque<>();
        final ArrayDeque<Task<?>> consumersWaiting = new ArrayDeque<>();
        int targetedCancels;
        boolean closed;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void aBoundedBufferOnTwoConditionsLosesNoItemAndNoSignal(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        var b = new Buffer();
        Set<Integer> put = new HashSet<>();
        Set<Integer> returned = new HashSet<>();
        List<Integer> consumed = new ArrayList<>();
        List<String> stuck = new ArrayList<>();

        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            var notFull = new Condition(lock);
            var notEmpty = new Condition(lock);
            List<Task<?>> tasks = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                for (int i = 0; i < PRODUCERS; i++) {
                    int item = round * PRODUCERS + i;
                    int start = random.nextInt(10);
                    int signalKind = random.nextInt(12);
                    double critical = random.nextInt(2) * 0.01;
                    tasks.add(Aio.createTask(() -> {
                        boolean done = false;
                        try {
                            Aio.sleep(start);
                            try (var _ = lock.acquire()) {
                                b.producersWaiting.add(Aio.currentTask());
                                try {
                                    notFull.waitFor(() -> b.items.size() < CAPACITY || b.closed);
                                } finally {
                                    b.producersWaiting.remove(Aio.currentTask());
                                    checkHeld(lock, b);
                                }
                                enter(b);
                                try {
                                    if (b.items.size() < CAPACITY) {
                                        b.items.add(item);
                                        put.add(item);
                                        done = true;
                                        signal(notEmpty, signalKind);
                                        cancelOldest(b.consumersWaiting, random, b); // just signalled, not run yet
                                    }
                                    Aio.sleep(critical); // holding the lock across a suspension
                                } finally {
                                    b.holders--;
                                }
                            }
                        } finally {
                            if (!done) {
                                returned.add(item);
                            }
                        }
                    }));
                }
                for (int i = 0; i < CONSUMERS; i++) {
                    int start = random.nextInt(12);
                    int signalKind = random.nextInt(12);
                    double critical = random.nextInt(2) * 0.01;
                    double work = random.nextInt(3) * 0.01;
                    tasks.add(Aio.createTask(() -> {
                        Aio.sleep(start);
                        try (var _ = lock.acquire()) {
                            b.consumersWaiting.add(Aio.currentTask());
                            try {
                                notEmpty.waitFor(() -> !b.items.isEmpty() || b.closed);
                            } finally {
                                b.consumersWaiting.remove(Aio.currentTask());
                                checkHeld(lock, b);
                            }
                            enter(b);
                            try {
                                if (!b.items.isEmpty()) {
                                    consumed.add(b.items.poll());
                                    signal(notFull, signalKind);
                                    cancelOldest(b.producersWaiting, random, b);
                                }
                                Aio.sleep(critical);
                            } finally {
                                b.holders--;
                            }
                        }
                        Aio.sleep(work);
                    }));
                }
                // Cancel at random moments, besides the targeted cancellations right after a signal.
                List<Task<Void>> chaos = new ArrayList<>();
                for (int c = 0; c < 10; c++) {
                    chaos.add(Aio.createTask(() -> {
                        for (int k = 0; k < 5; k++) {
                            Aio.sleep(random.nextInt(12) * 0.05);
                            tasks.get(random.nextInt(tasks.size())).cancel();
                        }
                    }));
                }
                Aio.gather(chaos).await();
                Aio.sleep(20); // every start time of the round has passed
                Aio.waitAllTasksBlocked();
                // Settled: a task still waiting for a condition that holds missed its signal.
                try (var _ = lock.acquire()) {
                    if (b.items.size() < CAPACITY && !b.producersWaiting.isEmpty()) {
                        stuck.add("round " + round + ": " + b.producersWaiting.size()
                                + " producers wait though the buffer has room: " + b.items);
                    }
                    if (!b.items.isEmpty() && !b.consumersWaiting.isEmpty()) {
                        stuck.add("round " + round + ": " + b.consumersWaiting.size()
                                + " consumers wait though the buffer holds " + b.items);
                    }
                }
            }
            try (var _ = lock.acquire()) {
                b.closed = true;
                notFull.signalAll();
                notEmpty.signalAll();
            }
            Aio.gatherWithExceptions(tasks).await();
            assertThat(lock.statistics()).as(description).isEqualTo(new Lock.Statistics(false, null, 0));
            return null;
        });

        assertThat(stuck).as(description + ": lost signals").isEmpty();
        assertThat(b.exclusionViolations).as(description + ": lock held by two").isZero();
        assertThat(b.lockNotHeldOnThrow).as(description + ": a waiter returned or threw without the lock").isZero();
        assertThat(new HashSet<>(consumed)).as(description + ": consumed once each").hasSize(consumed.size());
        Set<Integer> accounted = new HashSet<>(consumed);
        accounted.addAll(b.items);
        assertThat(accounted).as(description + ": put = consumed + left").isEqualTo(put)
                .hasSize(consumed.size() + b.items.size());
        assertThat(put.size() + returned.size()).as(description + ": every producer's item accounted for")
                .isEqualTo(ROUNDS * PRODUCERS);
        assertThat(returned).as(description).doesNotContainAnyElementsOf(put).isNotEmpty();
        assertThat(consumed.size()).as(description).isGreaterThan(ROUNDS * PRODUCERS / 2);
        assertThat(b.targetedCancels).as(description + ": targeted cancellations").isGreaterThan(50);
    }

    private static void enter(Buffer b) {
        if (++b.holders > 1) {
            b.exclusionViolations++;
        }
    }

    /** After await() returned or threw, the caller must hold the lock again. */
    private static void checkHeld(Lock lock, Buffer b) {
        if (lock.statistics().holder() != Aio.currentTask()) {
            b.lockNotHeldOnThrow++;
        }
    }

    /** Cancels, now and then, the oldest waiter: the one a signal just woke. */
    private static void cancelOldest(ArrayDeque<Task<?>> waiting, Random random, Buffer b) {
        Task<?> oldest = waiting.peekFirst();
        if (oldest != null && random.nextInt(3) == 0 && oldest.cancel()) {
            b.targetedCancels++;
        }
    }

    private static void signal(Condition condition, int kind) {
        switch (kind) {
            case 0 -> condition.signalAll();
            case 1, 2 -> condition.signal(2);
            default -> condition.signal();
        }
    }
}
