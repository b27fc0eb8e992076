package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Many pipelines (generator sources, buffer, mapConcurrent in both orders, merge) consumed by tasks that stop early,
 * forget to close, or are cancelled at random moments. Checked exactly: every generator body that started ran its
 * {@code finally} once, every mapping call that started ended, no task is left, and every consumer that finished got
 * exactly the items it should have.
 */
class AsyncIteratorStressTest {

    private static final int CONSUMERS = 300;

    private static final class Counts {
        int bodiesStarted;
        int bodiesFinished;
        int callsStarted;
        int callsFinished;
    }

    private record Plan(int kind, int n, int stop, int width, int closing, Task<List<Integer>> task) {
    }

    @Test
    void randomPipelinesWithRandomCancellationLoseNothingAndLeakNothing() throws Exception {
        long seed = new Random().nextLong();
        var counts = new Counts();
        List<String> problems = TestLoops.runVirtual(() -> {
            var random = new Random(seed);
            List<Plan> plans = new ArrayList<>();
            for (int c = 0; c < CONSUMERS; c++) {
                int kind = random.nextInt(4);
                int n = random.nextInt(0, 40);
                int stop = random.nextInt(0, 50); // >= n: consume everything
                int width = random.nextInt(1, 6);
                int closing = random.nextInt(3); // 0 try-with-resources, 1 forget to close, 2 toList
                var consumerRandom = new Random(seed + c);
                Task<List<Integer>> task = Aio.createTask(
                        () -> consume(kind, n, stop, width, closing, consumerRandom, counts, null));
                plans.add(new Plan(kind, n, stop, width, closing, task));
            }
            // Cancel a third of them at random moments.
            for (Plan p : plans) {
                if (random.nextInt(3) == 0) {
                    Task<List<Integer>> t = p.task();
                    Aio.getRunningLoop().callLater(random.nextInt(0, 2000) / 1000.0, t::cancel);
                }
            }
            List<String> wrong = new ArrayList<>();
            for (Plan p : plans) {
                try {
                    List<Integer> got = p.task().await();
                    String error = check(p, got);
                    if (error != null) {
                        wrong.add(error);
                    }
                } catch (CancellationException expected) {
                    // cancelled: only the counts below must hold
                }
            }
            if (Aio.allTasks().size() != 1) {
                wrong.add("tasks left: " + Aio.allTasks());
            }
            return wrong;
        });
        assertThat(problems).as("seed %d", seed).isEmpty();
        assertThat(counts.bodiesFinished).as("generator bodies that ran finally, seed %d", seed)
                .isEqualTo(counts.bodiesStarted);
        assertThat(counts.callsFinished).as("mapping calls that ended, seed %d", seed)
                .isEqualTo(counts.callsStarted);
        assertThat(counts.bodiesStarted).as("seed %d", seed).isGreaterThan(CONSUMERS / 2);
    }

    /**
     * The same pipelines, with sources whose clean-up fails, consumers cancelled at random moments, and only half of
     * the consumers awaited (the others are waited for with {@link Aio#wait}, which retrieves nothing). Checked
     * exactly: every clean-up failure surfaces once, either delivered (in what an awaited consumer raised, as itself,
     * its cause or suppressed, however deep) or reported to the exception handler (by an operator, or by the loop as an
     * exception never retrieved, or as a failure attached to the cancellation of a consumer nobody awaited). A
     * failure attached to a cancellation was lost.
     */
    @Test
    void cleanUpFailuresUnderRandomCancellationAreEachDeliveredOrReportedExactlyOnce() throws Exception {
        long seed = new Random().nextLong();
        var counts = new Counts();
        List<RuntimeException> cleanupFailures = new ArrayList<>();
        List<Throwable> delivered = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var random = new Random(seed);
            List<Task<List<Integer>>> awaited = new ArrayList<>();
            List<Task<List<Integer>>> notAwaited = new ArrayList<>();
            for (int c = 0; c < CONSUMERS; c++) {
                int kind = random.nextInt(4);
                int n = random.nextInt(0, 40);
                int stop = random.nextInt(0, 50);
                int width = random.nextInt(1, 6);
                int closing = random.nextInt(3);
                var consumerRandom = new Random(seed + c);
                Task<List<Integer>> task = Aio.createTask(
                        () -> consume(kind, n, stop, width, closing, consumerRandom, counts, cleanupFailures));
                (random.nextBoolean() ? awaited : notAwaited).add(task);
                if (random.nextInt(3) == 0) {
                    Aio.getRunningLoop().callLater(random.nextInt(0, 2000) / 1000.0, task::cancel);
                }
            }
            Aio.wait(notAwaited);
            for (Task<List<Integer>> t : awaited) {
                try {
                    t.await();
                } catch (Exception e) {
                    delivered.add(e);
                }
            }
            return null;
        });
        List<Throwable> surfaced = new ArrayList<>(delivered);
        reports.forEach(r -> surfaced.add(r.exception()));
        Map<Throwable, Integer> times = new IdentityHashMap<>();
        for (Throwable root : surfaced) {
            Set<Throwable> inRoot = Collections.newSetFromMap(new IdentityHashMap<>());
            allWithin(root, inRoot);
            inRoot.forEach(f -> times.merge(f, 1, Integer::sum));
        }
        List<String> wrong = new ArrayList<>();
        for (RuntimeException f : cleanupFailures) {
            int n = times.getOrDefault(f, 0);
            if (n != 1) {
                wrong.add(f.getMessage() + " surfaced " + n + " times");
            }
        }
        assertThat(wrong).as("seed %d, reports: %s", seed, reports.stream().map(ExceptionContext::describe).toList())
                .isEmpty();
        assertThat(counts.bodiesFinished).as("seed %d", seed).isEqualTo(counts.bodiesStarted);
        assertThat(cleanupFailures).as("seed %d", seed).hasSizeGreaterThan(CONSUMERS / 10);
    }

    /** {@code t}, its causes and what is suppressed on them, however deep. */
    private static void allWithin(Throwable t, Set<Throwable> into) {
        if (t == null || !into.add(t)) {
            return;
        }
        allWithin(t.getCause(), into);
        for (Throwable s : t.getSuppressed()) {
            allWithin(s, into);
        }
    }

    /**
     * A generator source; with {@code cleanupFailures} not null, its finally block fails one time in three, with a
     * failure of its own that it records there.
     */
    private static AsyncIterator<Integer> source(int from, int n, Random random, Counts counts,
                                                 List<RuntimeException> cleanupFailures) {
        boolean failing = cleanupFailures != null && random.nextInt(3) == 0;
        return AsyncGenerator.of(out -> {
            counts.bodiesStarted++;
            try {
                for (int i = from; i < from + n; i++) {
                    Aio.sleep(random.nextInt(0, 30) / 1000.0);
                    out.emit(i);
                }
            } finally {
                counts.bodiesFinished++;
                if (failing) {
                    var failure = new CleanupFailure(cleanupFailures.size());
                    cleanupFailures.add(failure);
                    throw failure;
                }
            }
        });
    }

    /**
     * A source's failing clean-up, unique per source, so that each can be counted where it surfaces. Without a stack
     * trace, but able to carry suppressed failures: what an operator attaches to the failure it throws.
     */
    private static final class CleanupFailure extends RuntimeException {
        CleanupFailure(int n) {
            super("clean-up " + n, null, true, false);
        }
    }

    private static List<Integer> consume(int kind, int n, int stop, int width, int closing, Random random,
                                         Counts counts, List<RuntimeException> cleanupFailures) throws Exception {
        CoroutineFunction<Integer, Integer> twice = x -> {
            counts.callsStarted++;
            try {
                Aio.sleep(random.nextInt(0, 50) / 1000.0);
                return x * 2;
            } finally {
                counts.callsFinished++;
            }
        };
        AsyncIterator<Integer> src = source(0, n, random, counts, cleanupFailures);
        AsyncIterator<Integer> it = switch (kind) {
            case 0 -> src.buffer(width);
            case 1 -> src.mapConcurrent(width, twice);
            case 2 -> src.mapConcurrentUnordered(width, twice);
            default -> AsyncIterator.merge(src, source(1000, n, random, counts, cleanupFailures));
        };
        if (closing == 2) {
            return it.take(stop).toList();
        }
        List<Integer> got = new ArrayList<>();
        if (closing == 0) {
            try (it) {
                collect(it, stop, got);
            }
        } else {
            collect(it, stop, got); // not closed: the end of this task closes what it drove
        }
        Aio.sleep(random.nextInt(0, 20) / 1000.0);
        return got;
    }

    private static void collect(AsyncIterator<Integer> it, int stop, List<Integer> into) {
        for (int x : it) {
            if (into.size() == stop) {
                break;
            }
            into.add(x);
        }
    }

    /** What a consumer that was not cancelled must have got; null if right. */
    private static String check(Plan p, List<Integer> got) {
        int expectedSize = p.kind() == 3 ? Math.min(2 * p.n(), p.stop()) : Math.min(p.n(), p.stop());
        if (got.size() != expectedSize) {
            return p + " got " + got.size() + " items, expected " + expectedSize;
        }
        List<Integer> all = switch (p.kind()) {
            case 0 -> IntStream.range(0, p.n()).boxed().toList();
            case 1, 2 -> IntStream.range(0, p.n()).map(x -> 2 * x).boxed().toList();
            default -> IntStream.concat(IntStream.range(0, p.n()), IntStream.range(1000, 1000 + p.n())).boxed()
                    .toList();
        };
        boolean ordered = p.kind() <= 1;
        if (ordered && !got.equals(all.subList(0, got.size()))) {
            return p + " got " + got + ", not a prefix of " + all;
        }
        Set<Integer> distinct = new HashSet<>(got);
        if (distinct.size() != got.size() || !all.containsAll(distinct)) {
            return p + " got " + got + ": duplicates or items not in " + all;
        }
        return null;
    }
}
