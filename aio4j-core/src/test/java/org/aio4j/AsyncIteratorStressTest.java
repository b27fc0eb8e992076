package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
                        () -> consume(kind, n, stop, width, closing, consumerRandom, counts));
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

    private static AsyncIterator<Integer> source(int from, int n, Random random, Counts counts) {
        return AsyncGenerator.of(out -> {
            counts.bodiesStarted++;
            try {
                for (int i = from; i < from + n; i++) {
                    Aio.sleep(random.nextInt(0, 30) / 1000.0);
                    out.emit(i);
                }
            } finally {
                counts.bodiesFinished++;
            }
        });
    }

    private static List<Integer> consume(int kind, int n, int stop, int width, int closing, Random random,
                                         Counts counts) throws Exception {
        CoroutineFunction<Integer, Integer> twice = x -> {
            counts.callsStarted++;
            try {
                Aio.sleep(random.nextInt(0, 50) / 1000.0);
                return x * 2;
            } finally {
                counts.callsFinished++;
            }
        };
        AsyncIterator<Integer> src = source(0, n, random, counts);
        AsyncIterator<Integer> it = switch (kind) {
            case 0 -> src.buffer(width);
            case 1 -> src.mapConcurrent(width, twice);
            case 2 -> src.mapConcurrentUnordered(width, twice);
            default -> AsyncIterator.merge(src, source(1000, n, random, counts));
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
