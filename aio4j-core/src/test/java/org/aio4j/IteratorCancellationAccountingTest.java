package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Every element a source produced is accounted for under random cancellation: consumers of seeded random pipelines
 * ({@code map}, {@code filter}, {@code chunked}, {@code take}, {@code buffer}, {@code merge} over generators) are
 * cancelled at random moments, several times, catch the cancellation and go on until the iterator ends. For the
 * operators that run in the consuming task, the items delivered are exactly the items produced that the filter
 * accepts, in order, once each: a cancellation ends the generator where it waits (as asyncio's does) and
 * {@code chunked} hands over the partial list it held, so nothing produced is lost. For {@code buffer(n)} and
 * {@code merge}, which read ahead, the items delivered are the items produced in order (per source), once each, and
 * those not delivered are at most what the operator may hold ahead ({@code n}, one per source).
 */
class IteratorCancellationAccountingTest {

    private static final int CONSUMERS = 200;

    private record Outcome(String plan, List<List<Integer>> produced, List<Integer> delivered, int bodiesStarted,
                           int bodiesFinished, int cancellations) {
    }

    @Test
    void everyElementProducedIsDeliveredOnceOrHeldAheadUnderRandomCancellation() throws Exception {
        long seed = new Random().nextLong();
        List<Outcome> outcomes = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var random = new Random(seed);
            List<Task<Outcome>> consumers = new ArrayList<>();
            for (int c = 0; c < CONSUMERS; c++) {
                var consumerRandom = new Random(seed + c);
                Task<Outcome> t = Aio.createTask(() -> consume(consumerRandom));
                consumers.add(t);
                for (int k = random.nextInt(4); k > 0; k--) {
                    Aio.getRunningLoop().callLater(random.nextInt(0, 1500) / 1000.0, t::cancel);
                }
            }
            for (Task<Outcome> t : consumers) {
                outcomes.add(t.await());
            }
            assertThat(Aio.allTasks()).hasSize(1);
            return null;
        });
        List<String> wrong = new ArrayList<>();
        int cancelled = 0;
        for (Outcome o : outcomes) {
            String error = check(o);
            if (error != null) {
                wrong.add(error);
            }
            cancelled += o.cancellations() > 0 ? 1 : 0;
        }
        assertThat(wrong).as("seed %d", seed).isEmpty();
        assertThat(reports).as("seed %d", seed).isEmpty();
        assertThat(cancelled).as("consumers cancelled at least once, seed %d", seed).isGreaterThan(CONSUMERS / 10);
    }

    /** A pipeline picked at random, consumed to its end through every cancellation; what was produced and got. */
    private static Outcome consume(Random random) {
        int kind = random.nextInt(4); // 0 map/filter, 1 chunked (+take), 2 buffer, 3 merge
        int n = random.nextInt(0, 40);
        int size = random.nextInt(1, 5);
        int divisor = random.nextInt(2, 5);
        Predicate<Integer> accepted = x -> x % divisor != 0;
        List<List<Integer>> produced = new ArrayList<>();
        int[] bodies = new int[2];
        AsyncIterator<Integer> first = source(0, n, random, produced, bodies);
        AsyncIterator<List<Integer>> it = switch (kind) {
            case 0 -> first.map(x -> x * 1).filter(accepted).chunked(1);
            case 1 -> first.filter(accepted).chunked(size).take(random.nextInt(0, 12));
            case 2 -> first.buffer(size).chunked(1);
            default -> AsyncIterator.merge(first, source(1000, n, random, produced, bodies)).chunked(1);
        };
        List<Integer> delivered = new ArrayList<>();
        int cancellations = 0;
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                delivered.addAll(it.next());
                Aio.sleep(random.nextInt(0, 40) / 1000.0);
            } catch (CancellationException e) {
                cancellations++;
                Aio.currentTask().uncancel();
            }
        }
        try {
            it.aclose(); // ended already: closes nothing, so a cancellation cannot land in it
        } catch (CancellationException e) {
            cancellations++;
            Aio.currentTask().uncancel();
        }
        String plan = switch (kind) {
            case 0 -> "map.filter(%" + divisor + ")";
            case 1 -> "filter(%" + divisor + ").chunked(" + size + ").take";
            case 2 -> "buffer(" + size + ")";
            default -> "merge";
        } + " of " + n;
        return new Outcome(kind + ":" + plan, produced, delivered, bodies[0], bodies[1], cancellations);
    }

    /** A generator of from..from+n-1, recording each item as it emits it (produced) into a list of its own. */
    private static AsyncIterator<Integer> source(int from, int n, Random random, List<List<Integer>> produced,
                                                 int[] bodies) {
        List<Integer> mine = new ArrayList<>();
        produced.add(mine);
        return AsyncGenerator.of(out -> {
            bodies[0]++;
            try {
                for (int i = from; i < from + n; i++) {
                    Aio.sleep(random.nextInt(0, 30) / 1000.0);
                    mine.add(i);
                    out.emit(i);
                }
            } finally {
                bodies[1]++;
            }
        });
    }

    private static String check(Outcome o) {
        if (o.bodiesStarted() != o.bodiesFinished()) {
            return o + ": a body did not finish";
        }
        int kind = o.plan().charAt(0) - '0';
        int divisor = kind <= 1 ? Integer.parseInt(o.plan().replaceAll(".*%(\\d+).*", "$1")) : 0;
        if (kind <= 1) {
            List<Integer> expected = o.produced().getFirst().stream().filter(x -> x % divisor != 0).toList();
            return o.delivered().equals(expected) ? null : o + ": delivered is not exactly what was produced";
        }
        int ahead = kind == 2 ? Integer.parseInt(o.plan().replaceAll("2:buffer\\((\\d+)\\).*", "$1")) : 2;
        int notDelivered = 0;
        for (List<Integer> source : o.produced()) {
            List<Integer> got = o.delivered().stream().filter(source::contains).toList();
            if (!got.equals(source.subList(0, got.size()))) {
                return o + ": delivered is not a prefix of what a source produced, once each";
            }
            notDelivered += source.size() - got.size();
        }
        if (o.delivered().size() + notDelivered != o.produced().stream().mapToInt(List::size).sum()) {
            return o + ": delivered something not produced";
        }
        return notDelivered <= ahead ? null : o + ": " + notDelivered + " produced and neither delivered nor held";
    }
}
