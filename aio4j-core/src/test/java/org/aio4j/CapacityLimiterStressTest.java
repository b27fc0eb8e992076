package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 3,000 borrowers (tasks, and objects borrowed for on behalf of) through one {@link CapacityLimiter} whose size is
 * changed at random while they come and go, under random cancellation, some of it aimed at the waiter a token was
 * just handed to. Whenever the loop settles, tokens are conserved: the limiter lends exactly as many tokens as there
 * are borrowers inside, and no token lies idle while a task waits. At the end nothing is borrowed and nobody waits.
 * Seeded; the seed is in every failure message.
 */
class CapacityLimiterStressTest {

    private static final int BORROWERS = 3_000;

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void tokensAreConservedUnderRandomCancellationAndResizing(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        int[] inside = {0};
        int[] entered = {0};
        int[] targetedCancels = {0};
        int[] checks = {0};
        List<String> problems = new ArrayList<>();
        ArrayDeque<Task<?>> waiting = new ArrayDeque<>();

        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(4);
            List<Task<?>> tasks = new ArrayList<>();
            for (int i = 0; i < BORROWERS; i++) {
                int start = random.nextInt(100);
                double hold = random.nextInt(4) * 0.05;
                boolean onBehalf = random.nextBoolean();
                tasks.add(Aio.createTask(() -> {
                    Aio.sleep(start);
                    Task<?> me = Aio.currentTask();
                    waiting.add(me);
                    Permit permit;
                    try {
                        permit = onBehalf ? limiter.acquireOnBehalfOf(new Object()) : limiter.acquire();
                    } finally {
                        waiting.remove(me);
                    }
                    try (permit) {
                        inside[0]++;
                        entered[0]++;
                        try {
                            Aio.sleep(hold);
                        } finally {
                            inside[0]--;
                        }
                    }
                    // The token just went to the oldest waiter, which has not run yet: cancel it now and then.
                    Task<?> promised = waiting.peekFirst();
                    if (promised != null && random.nextInt(4) == 0 && promised.cancel()) {
                        targetedCancels[0]++;
                    }
                }));
            }
            Task<Void> resizer = Aio.createTask(() -> {
                for (int k = 0; k < 200; k++) {
                    Aio.sleep(random.nextInt(1, 100) / 100.0);
                    limiter.setTotalTokens(random.nextInt(1, 9));
                }
            });
            Task<Void> chaos = Aio.createTask(() -> {
                for (int k = 0; k < 1_000; k++) {
                    Aio.sleep(random.nextInt(20) / 100.0);
                    tasks.get(random.nextInt(tasks.size())).cancel();
                }
            });
            // Settled, every woken waiter has run: none is promised a token and not inside.
            Task<Void> checker = TestLoops.checkWhenSettled(0.01, () -> {
                checks[0]++;
                var s = limiter.statistics();
                if (s.borrowedTokens() != inside[0]) {
                    problems.add("t=" + Aio.getRunningLoop().time() + ": " + s + " lent, " + inside[0] + " inside");
                }
                if (s.tasksWaiting() > 0 && s.borrowedTokens() < s.totalTokens()) {
                    problems.add("t=" + Aio.getRunningLoop().time() + ": a token is idle while tasks wait: " + s);
                }
            });
            Aio.gather(resizer, chaos).await();
            Aio.gatherWithExceptions(tasks).await();
            checker.cancel();
            assertThat(limiter.statistics()).as(description)
                    .isEqualTo(new CapacityLimiter.Statistics(0, limiter.totalTokens(), List.of(), 0));
            return null;
        });

        assertThat(problems).as(description).isEmpty();
        assertThat(inside[0]).as(description).isZero();
        assertThat(entered[0]).as(description).isGreaterThan(BORROWERS / 2);
        assertThat(targetedCancels[0]).as(description + ": targeted cancellations").isGreaterThan(20);
        assertThat(checks[0]).as(description + ": settled states checked").isGreaterThan(100);
    }
}
