package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 1,000 consumers each start a few children that succeed or fail at random moments, and wait for them with
 * {@link Aio#gather}, {@link Aio#gatherWithExceptions}, {@link Aio#wait} (every {@link ReturnWhen}, with and without
 * a timeout) or {@link Aio#asCompleted}, while children and consumers are cancelled at random. Checked exactly:
 * gatherWithExceptions gives each child's own result, exception or cancellation in its place; gather gives every
 * result or one child's own failure; a cancelled gather ends only once its children are done; wait splits the
 * children into done and pending as its condition says; asCompleted yields each child once, done. Seeded; the seed is
 * in every failure message.
 */
class CombinatorsStressTest {

    private static final int CONSUMERS = 1_000;
    private static final double TICK = 0.01;

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void everyResultAndErrorIsDeliveredOnceUnderRandomCancellation(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        List<String> problems = new ArrayList<>();
        int[] checked = new int[6]; // per kind, and [5]: cancelled gathers seen

        TestLoops.runVirtual(() -> {
            List<Task<?>> all = new ArrayList<>();
            List<Task<?>> consumers = new ArrayList<>();
            for (int c = 0; c < CONSUMERS; c++) {
                int kind = random.nextInt(5);
                List<Task<Integer>> children = new ArrayList<>();
                int n = random.nextInt(1, 6);
                for (int i = 0; i < n; i++) {
                    int value = c * 10 + i;
                    double delay = random.nextInt(20) * TICK;
                    boolean fails = random.nextInt(4) == 0;
                    children.add(Aio.createTask(() -> {
                        Aio.sleep(delay);
                        if (fails) {
                            throw new IllegalStateException("child " + value);
                        }
                        return value;
                    }));
                }
                all.addAll(children);
                var consumerRandom = new Random(seed + c);
                Task<Void> consumer = Aio.createTask(() -> {
                    String problem = consume(kind, children, consumerRandom, checked);
                    checked[kind]++;
                    if (problem != null) {
                        problems.add("consumer of kind " + kind + ": " + problem);
                    }
                });
                consumers.add(consumer);
                all.add(consumer);
            }
            for (int k = 0; k < CONSUMERS; k++) { // while the children run, often on the tick one of them ends
                Task<?> victim = all.get(random.nextInt(all.size()));
                Aio.getRunningLoop().callLater(random.nextInt(20) * TICK, victim::cancel);
            }
            Aio.sleep(1);
            Aio.gatherWithExceptions(all).await(); // retrieves the errors nobody asked for
            if (Aio.allTasks().size() != 1) {
                problems.add("tasks left: " + Aio.allTasks());
            }
            return null;
        });

        assertThat(problems).as(description).isEmpty();
        for (int kind = 0; kind < 5; kind++) {
            assertThat(checked[kind]).as(description + ": consumers of kind " + kind + " that ended")
                    .isGreaterThan(CONSUMERS / 20);
        }
        assertThat(checked[5]).as(description + ": consumers cancelled in gather").isGreaterThan(5);
    }

    /** Waits for the children one way; returns what went wrong, or null. */
    private static String consume(int kind, List<Task<Integer>> children, Random random, int[] checked)
            throws Exception {
        return switch (kind) {
            case 0 -> gatherWithExceptions(children);
            case 1 -> gather(children, checked);
            case 2, 3 -> waitFor(children, random, kind == 3);
            default -> asCompleted(children);
        };
    }

    private static String gatherWithExceptions(List<Task<Integer>> children) throws Exception {
        List<Object> got = Aio.gatherWithExceptions(children).await();
        for (int i = 0; i < children.size(); i++) {
            Task<Integer> child = children.get(i);
            Object expected = !child.isDone() ? "not done"
                    : child.isCancelled() ? "cancelled"
                    : child.exception() != null ? child.exception() : child.result();
            Object actual = got.get(i) instanceof CancellationException ? "cancelled" : got.get(i);
            if (expected != actual && !expected.equals(actual)) {
                return "child " + i + " is " + expected + " but gather gave " + actual;
            }
        }
        return null;
    }

    private static String gather(List<Task<Integer>> children, int[] checked) {
        Future<List<Integer>> gathering = Aio.gather(children);
        try {
            List<Integer> got = gathering.await();
            for (int i = 0; i < children.size(); i++) {
                if (!children.get(i).isDone() || !got.get(i).equals(children.get(i).result())) {
                    return "child " + i + " is " + children.get(i) + " but gather gave " + got.get(i);
                }
            }
            return null;
        } catch (CancellationException e) {
            if (Aio.currentTask().cancelling() > 0) {
                // We were cancelled: that cancelled the gather, which ends once every child is done.
                for (Task<Integer> c : children) {
                    if (!c.isDone()) {
                        return "a cancelled gather ended before its child " + c;
                    }
                }
                checked[5]++;
                throw e;
            }
            return children.stream().anyMatch(Task::isCancelled) ? null : "cancelled, but no child was: " + e;
        } catch (Exception e) {
            for (Task<Integer> c : children) {
                if (c.isDone() && !c.isCancelled() && c.exception() == e) {
                    return null;
                }
            }
            return "failed with " + e + ", which no child threw";
        }
    }

    private static String waitFor(List<Task<Integer>> children, Random random, boolean withTimeout)
            throws Exception {
        ReturnWhen when = ReturnWhen.values()[random.nextInt(ReturnWhen.values().length)];
        int timeoutTicks = random.nextInt(20);
        double start = Aio.getRunningLoop().time();
        WaitResult<Task<Integer>> r = withTimeout
                ? Aio.wait(children, Duration.ofMillis(timeoutTicks * 10L), when)
                : Aio.wait(children, when);
        Set<Task<Integer>> union = new HashSet<>(r.done());
        union.addAll(r.pending());
        if (union.size() != children.size() || !union.containsAll(children)
                || r.done().size() + r.pending().size() != children.size()) {
            return "done " + r.done() + " and pending " + r.pending() + " do not split " + children;
        }
        if (r.done().stream().anyMatch(f -> !f.isDone()) || r.pending().stream().anyMatch(Future::isDone)) {
            return "a future in the wrong set: " + r;
        }
        boolean timedOut = withTimeout && Aio.getRunningLoop().time() >= start + timeoutTicks * TICK - 1e-9;
        boolean met = switch (when) {
            case ALL_COMPLETED -> r.pending().isEmpty();
            case FIRST_COMPLETED -> !r.done().isEmpty();
            case FIRST_EXCEPTION -> r.pending().isEmpty()
                    || r.done().stream().anyMatch(f -> !f.isCancelled() && f.exception() != null);
        };
        return met || timedOut ? null : when + " returned before its condition held: " + r;
    }

    private static String asCompleted(List<Task<Integer>> children) {
        Set<Future<Integer>> seen = new HashSet<>();
        for (Future<Integer> f : Aio.asCompleted(children)) {
            if (!f.isDone() || !seen.add(f) || !children.contains(f)) {
                return "asCompleted yielded " + f + " (seen " + seen + ")";
            }
        }
        return seen.size() == children.size() ? null : "asCompleted yielded " + seen + " of " + children;
    }
}
