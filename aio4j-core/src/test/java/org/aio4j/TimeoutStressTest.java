package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 4,000 operations under a deadline on the virtual clock: a {@link Timeout} block, nested timeouts,
 * {@link Aio#waitFor} on a coroutine, a task, a plain future, and a shielded task. Each races its own completion
 * against its deadline and, for most, against a cancellation of its task from outside, on a coarse time grid so
 * that many of them tie. Checked exactly: each operation ends one way (its result, its own timeout, or the outside
 * cancellation), the one that came first (either one on a tie); a timeout never swallows an outside cancellation
 * (the task still ends cancelled) and never leaks one (a task nobody cancelled ends normally); a task waited for
 * is done when waitFor throws; a shielded task is never cancelled by the timeout. Seeded; the seed is in every
 * failure message.
 */
class TimeoutStressTest {

    private static final int OPERATIONS = 4_000;
    private static final int KINDS = 6;
    private static final double TICK = 0.01;
    private static final double END = 1.0; // every operation's times are below this

    /** One operation: its kind, when its work completes, its deadlines, and when it is cancelled (0: never). */
    private record Plan(int index, int kind, int work, int deadline, int innerDeadline, int cancelAt) {

        /** The outcomes allowed: those whose moment is the earliest. */
        List<String> allowed() {
            List<String> firsts = new ArrayList<>();
            int first = Math.min(work, Math.min(deadline, cancelAt == 0 ? Integer.MAX_VALUE : cancelAt));
            if (kind == 1) {
                first = Math.min(first, innerDeadline);
                if (innerDeadline == first) {
                    firsts.add("inner timeout");
                }
            }
            if (work == first) {
                firsts.add("result");
            }
            if (deadline == first) {
                firsts.add("timeout");
            }
            if (cancelAt == first) {
                firsts.add("cancelled");
            }
            return firsts;
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void eachOperationEndsExactlyOneWayAndNoCancellationIsLostOrLeaked(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        List<Plan> plans = new ArrayList<>();
        for (int i = 0; i < OPERATIONS; i++) {
            plans.add(new Plan(i, random.nextInt(KINDS), random.nextInt(1, 20), random.nextInt(1, 20),
                    random.nextInt(1, 20), random.nextInt(3) == 0 ? 0 : random.nextInt(1, 20)));
        }
        String[] outcomes = new String[OPERATIONS];
        List<String> problems = new ArrayList<>();

        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            List<Task<Void>> tasks = new ArrayList<>();
            for (Plan p : plans) {
                Task<Void> task = Aio.createTask(() -> {
                    outcomes[p.index()] = "running";
                    try {
                        outcomes[p.index()] = operation(p, problems);
                    } catch (TimeoutCancellationException e) {
                        if (!e.isTimeout()) {
                            outcomes[p.index()] = "cancelled";
                        } else {
                            problems.add(p + ": an unconverted timeout escaped: " + e);
                        }
                        throw e;
                    } catch (CancellationException e) {
                        outcomes[p.index()] = "cancelled";
                        throw e;
                    }
                    Aio.sleep(END); // an outside cancellation still pending must land here
                });
                tasks.add(task);
                if (p.cancelAt() != 0) {
                    loop.callLater(p.cancelAt() * TICK, task::cancel);
                }
            }
            Aio.gatherWithExceptions(tasks).await();
            Aio.sleep(END); // the shielded tasks are done too
            for (Plan p : plans) {
                Task<Void> task = tasks.get(p.index());
                String outcome = outcomes[p.index()];
                if (!p.allowed().contains(outcome)) {
                    problems.add(p + " ended with " + outcome + ", allowed " + p.allowed());
                }
                if (task.isCancelled() != (p.cancelAt() != 0)) {
                    problems.add(p + " (" + outcome + "): task " + (task.isCancelled()
                            ? "ended cancelled though nobody cancelled it"
                            : "was cancelled from outside but did not end cancelled: " + task.exception()));
                }
                if (!task.isCancelled() && task.exception() != null) {
                    problems.add(p + " failed: " + task.exception());
                }
            }
            return null;
        });

        assertThat(problems).as(description).isEmpty();
        assertThat(new HashSet<>(List.of(outcomes))).as(description + ": every way to end was reached")
                .containsExactlyInAnyOrder("result", "timeout", "inner timeout", "cancelled");
    }

    /** Runs {@code p}'s operation; returns "result", "timeout" or "inner timeout", or throws the cancellation. */
    private static String operation(Plan p, List<String> problems) throws Exception {
        EventLoop loop = Aio.getRunningLoop();
        double work = p.work() * TICK;
        Duration deadline = Duration.ofMillis(p.deadline() * 10L);
        int value = p.index();
        switch (p.kind()) {
            case 0 -> {
                try (var _ = Aio.timeout(deadline)) {
                    Aio.sleep(work);
                } catch (TimeoutCancellationException e) {
                    return timeoutOrCancellation(e);
                }
                return "result";
            }
            case 1 -> {
                try (var _ = Aio.timeout(deadline)) {
                    try (var _ = Aio.timeout(Duration.ofMillis(p.innerDeadline() * 10L))) {
                        Aio.sleep(work);
                    } catch (TimeoutCancellationException e) {
                        return "inner " + timeoutOrCancellation(e);
                    }
                } catch (TimeoutCancellationException e) {
                    return timeoutOrCancellation(e);
                }
                return "result";
            }
            case 2 -> {
                try {
                    int got = Aio.waitFor(() -> {
                        Aio.sleep(work);
                        return value;
                    }, deadline);
                    return checked(got, value, p, problems);
                } catch (TimeoutException e) {
                    return "timeout";
                }
            }
            case 3 -> {
                Task<Integer> inner = Aio.createTask(() -> {
                    Aio.sleep(work);
                    return value;
                });
                try {
                    return checked(Aio.waitFor(inner, deadline), value, p, problems);
                } catch (TimeoutException e) {
                    return "timeout";
                } finally {
                    if (!inner.isDone()) {
                        problems.add(p + ": waitFor ended before the task it waited for");
                    }
                }
            }
            case 4 -> {
                Future<Integer> future = loop.createFuture();
                loop.callLater(work, () -> {
                    if (!future.isDone()) {
                        future.setResult(value);
                    }
                });
                try {
                    return checked(Aio.waitFor(future, deadline), value, p, problems);
                } catch (TimeoutException e) {
                    return "timeout";
                }
            }
            default -> {
                Task<Integer> shielded = Aio.createTask(() -> {
                    Aio.sleep(work);
                    return value;
                });
                try (var _ = Aio.timeout(deadline)) {
                    return checked(Aio.shield(shielded).await(), value, p, problems);
                } catch (TimeoutCancellationException e) {
                    return timeoutOrCancellation(e);
                } finally {
                    shielded.addDoneCallback(t -> {
                        if (t.isCancelled() || t.resultNow() != value) {
                            problems.add(p + ": the shielded task ended " + t);
                        }
                    });
                }
            }
        }
    }

    /** A timeout of the block returns "timeout"; an outside cancellation goes on. */
    private static String timeoutOrCancellation(TimeoutCancellationException e) {
        if (e.isTimeout()) {
            return "timeout";
        }
        throw e;
    }

    private static String checked(int got, int value, Plan p, List<String> problems) {
        if (got != value) {
            problems.add(p + " returned " + got);
        }
        return "result";
    }
}
