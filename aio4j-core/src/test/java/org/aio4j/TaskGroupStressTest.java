package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 300 task groups, nested up to three deep, whose children succeed, fail at random moments, or fail while they are
 * being cancelled, while random tasks (children and the tasks running the blocks) are cancelled from outside.
 * Checked exactly: every error a child threw reaches the task running its block exactly once (inside a
 * {@link TaskGroupException}, or attached to the cancellation that unwound the block), nothing reaches the loop's
 * exception handler, no child outlives its group's block, and no task is left at the end. Seeded; the seed is in
 * every failure message.
 */
class TaskGroupStressTest {

    private static final int GROUPS = 300;

    /** What the run saw, to be checked after it. */
    private static final class Ledger {
        final List<Throwable> thrown = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        final List<Task<?>> all = new ArrayList<>();
        int childrenRun;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void everyChildErrorIsReportedOnceAndNoChildOutlivesItsGroup(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        var ledger = new Ledger();
        List<Throwable> delivered = new ArrayList<>();

        TestLoops.runVirtual(() -> {
            List<Task<Void>> owners = new ArrayList<>();
            for (int g = 0; g < GROUPS; g++) {
                Task<Void> owner = Aio.createTask(() -> block(random, ledger, 0));
                owners.add(owner);
                ledger.all.add(owner);
            }
            Task<Void> chaos = Aio.createTask(() -> {
                for (int k = 0; k < 400; k++) {
                    Aio.sleep(random.nextInt(10) / 100.0);
                    ledger.all.get(random.nextInt(ledger.all.size())).cancel();
                }
            });
            chaos.await();
            for (Task<Void> owner : owners) {
                try {
                    owner.await();
                } catch (Exception e) {
                    collect(e, delivered);
                }
            }
            if (Aio.allTasks().size() != 1) {
                ledger.problems.add("tasks left: " + Aio.allTasks());
            }
            return null;
        });

        assertThat(ledger.problems).as(description).isEmpty();
        assertThat(identities(delivered)).as(description + ": each child error delivered exactly once")
                .isEqualTo(identities(ledger.thrown));
        assertThat(ledger.thrown.size()).as(description).isGreaterThan(GROUPS / 4);
        assertThat(ledger.childrenRun).as(description).isGreaterThan(GROUPS);
    }

    /** Runs a group of random children; {@code depth} limits nesting. */
    private static void block(Random random, Ledger ledger, int depth) throws Exception {
        List<Task<?>> children = new ArrayList<>();
        try (var tg = new TaskGroup()) {
            int n = random.nextInt(1, 7);
            for (int i = 0; i < n; i++) {
                int kind = random.nextInt(depth < 2 ? 5 : 4);
                double delay = random.nextInt(0, 50) / 100.0;
                Task<Void> child = tg.createTask(() -> child(kind, delay, random, ledger, depth));
                children.add(child);
                ledger.all.add(child);
            }
            if (random.nextBoolean()) {
                Aio.sleep(random.nextInt(0, 30) / 100.0); // suspended in the block, not in join()
            }
            tg.join();
        } finally {
            for (Task<?> c : children) {
                if (!c.isDone()) {
                    ledger.problems.add(c + " outlived its group's block");
                }
            }
        }
    }

    private static void child(int kind, double delay, Random random, Ledger ledger, int depth) throws Exception {
        ledger.childrenRun++;
        switch (kind) {
            case 0 -> {
                Aio.sleep(delay);
                throw fail(ledger, "failed after " + delay);
            }
            case 1 -> {
                try {
                    Aio.sleep(delay + 1);
                } catch (CancellationException e) {
                    throw fail(ledger, "failed while cancelled"); // an error while the group winds down
                }
            }
            case 4 -> block(random, ledger, depth + 1);
            default -> Aio.sleep(delay);
        }
    }

    private static RuntimeException fail(Ledger ledger, String message) {
        var e = new IllegalStateException(message + " #" + ledger.thrown.size());
        ledger.thrown.add(e);
        return e;
    }

    /** The child errors carried by what a block threw; the copies close() adds as suppressed are not counted. */
    private static void collect(Throwable t, List<Throwable> into) {
        if (t instanceof TaskGroupException group) {
            for (Throwable e : group.exceptions()) {
                collect(e, into);
            }
        } else if (t instanceof CancellationException) {
            for (Throwable s : t.getSuppressed()) {
                collect(s, into);
            }
        } else {
            into.add(t);
        }
    }

    /** How many times each exception instance occurs. */
    private static Map<String, Integer> identities(List<Throwable> errors) {
        Map<String, Integer> counts = new HashMap<>();
        for (Throwable e : errors) {
            counts.merge(e.getMessage() + "@" + System.identityHashCode(e), 1, Integer::sum);
        }
        return counts;
    }
}
