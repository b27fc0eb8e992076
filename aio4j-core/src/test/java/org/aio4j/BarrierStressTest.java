package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 1,500 tasks pass a {@link Barrier} of 4 parties up to three times each, while tasks are cancelled at random and the
 * barrier is now and then aborted and reset. Checked exactly: the parties released by one trip return indices in
 * range, the last arrival's first; a trip releases fewer than 4 only for parties cancelled or broken after it; a
 * broken barrier lets nobody through; whenever the loop settles, the tasks waiting are exactly the barrier's count
 * and fewer than its parties (a full phase never stays stuck); a pass ends with its index, broken or cancelled,
 * nothing else, and every task returns or ends cancelled. Seeded; the seed is in every failure message.
 */
class BarrierStressTest {

    private static final int TASKS = 1_500;
    private static final int PARTIES = 4;

    /** What the run saw. */
    private static final class Ledger {
        final List<List<Integer>> trips = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        final List<Task<?>> waiting = new ArrayList<>();
        int inside;
        int cancelledInside;
        int broken;
        boolean aborted;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void everyTripReleasesItsPartiesOnceUnderCancellationAndAborts(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        var ledger = new Ledger();
        int[] settledChecks = {0};

        TestLoops.runVirtual(() -> {
            var barrier = new Barrier(PARTIES);
            List<Task<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < TASKS; i++) {
                double start = random.nextInt(300) / 100.0;
                int passes = random.nextInt(1, 4);
                tasks.add(Aio.createTask(() -> {
                    Aio.sleep(start);
                    for (int p = 0; p < passes; p++) {
                        pass(barrier, ledger);
                        Aio.sleep(random.nextInt(3) / 100.0);
                    }
                }));
            }
            Task<Void> chaos = Aio.createTask(() -> {
                for (int k = 0; k < 300; k++) {
                    Aio.sleep(random.nextInt(2) / 100.0);
                    List<? extends Task<?>> targets =
                            random.nextBoolean() && !ledger.waiting.isEmpty() ? ledger.waiting : tasks;
                    targets.get(random.nextInt(targets.size())).cancel();
                    if (random.nextInt(40) == 0) {
                        barrier.abort();
                        ledger.aborted = true;
                        Aio.sleep(random.nextInt(3) / 100.0);
                        barrier.reset();
                        ledger.aborted = false;
                    }
                }
            });
            Task<Void> checker = TestLoops.checkWhenSettled(0.01, () -> {
                settledChecks[0]++;
                if (ledger.inside != barrier.nWaiting() || ledger.inside >= PARTIES) {
                    ledger.problems.add("t=" + Aio.getRunningLoop().time() + ": " + ledger.inside
                            + " tasks wait in " + barrier);
                }
            });
            chaos.await();
            Aio.sleep(5); // every task has arrived
            checker.cancel();
            Aio.waitAllTasksBlocked();
            barrier.abort(); // sends the last, incomplete phase out
            Aio.gatherWithExceptions(tasks).await();
            barrier.reset();
            for (Task<Void> t : tasks) {
                if (!t.isCancelled() && t.exception() != null) {
                    ledger.problems.add(t + " failed: " + t.exception());
                }
            }
            assertThat(barrier.nWaiting()).as(description).isZero();
            assertThat(barrier.broken()).as(description).isFalse();
            return null;
        });

        assertThat(ledger.problems).as(description).isEmpty();
        int shortfall = 0;
        for (List<Integer> trip : ledger.trips) {
            assertThat(trip.getFirst()).as(description + ": trip " + trip).isEqualTo(PARTIES - 1);
            // Not distinct: a party cancelled while the phase fills frees its index for the next arrival, so two
            // parties of one trip can share an index (asyncio's Barrier does the same).
            assertThat(trip).as(description + ": trip " + trip).allMatch(i -> i >= 0 && i < PARTIES);
            assertThat(trip.size()).as(description + ": trip " + trip).isBetween(1, PARTIES);
            shortfall += PARTIES - trip.size();
        }
        // A party released by a trip still throws if it is cancelled, or the barrier aborted, before it runs (as in
        // asyncio): only those can be missing from a trip.
        assertThat(shortfall).as(description + ": released parties missing")
                .isLessThanOrEqualTo(ledger.cancelledInside + ledger.broken);
        assertThat(ledger.trips.size()).as(description).isGreaterThan(TASKS / PARTIES);
        assertThat(ledger.broken).as(description).isPositive();
        assertThat(ledger.cancelledInside).as(description + ": cancelled while in the barrier").isGreaterThan(20);
        assertThat(settledChecks[0]).as(description).isGreaterThan(100);
    }

    /** One pass through the barrier, recorded in the ledger. */
    private static void pass(Barrier barrier, Ledger ledger) {
        boolean brokenBefore = ledger.aborted;
        ledger.inside++;
        ledger.waiting.add(Aio.currentTask());
        try {
            int index = barrier.await();
            if (brokenBefore) {
                ledger.problems.add("a task passed a broken barrier with index " + index);
            }
            if (index == PARTIES - 1) {
                ledger.trips.add(new ArrayList<>()); // the last arrival returns at once: a new trip
            }
            if (ledger.trips.isEmpty()) {
                ledger.problems.add("index " + index + " returned before any trip");
            } else {
                ledger.trips.getLast().add(index);
            }
        } catch (BrokenBarrierException e) {
            ledger.broken++;
        } catch (CancellationException e) {
            ledger.cancelledInside++;
            throw e;
        } catch (RuntimeException | Error e) {
            ledger.problems.add("a pass ended with " + e);
            throw e;
        } finally {
            ledger.inside--;
            ledger.waiting.remove(Aio.currentTask());
        }
    }
}
