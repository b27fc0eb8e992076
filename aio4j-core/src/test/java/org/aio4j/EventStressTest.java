package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 2,000 tasks wait on one {@link Event} up to three times each while it is set, and often cleared again in the same
 * breath, at random, and tasks are cancelled at random. Checked exactly: a waiter returns only after a set() that came
 * after it started waiting, and whenever the loop settles no task still waits that a set() since its start should
 * have woken (a set() followed at once by clear() still wakes every task that was waiting, as in asyncio). Seeded;
 * the seed is in every failure message.
 */
class EventStressTest {

    private static final int WAITERS = 2_000;

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void everyWaiterASetFindsIsWokenAndNoOtherIs(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        int[] sets = {0};
        int[] returned = {0};
        int[] checks = {0};
        Map<Task<?>, Integer> waiting = new HashMap<>(); // each waiting task, and the sets counted when it began
        List<String> problems = new ArrayList<>();

        TestLoops.runVirtual(() -> {
            var event = new Event();
            List<Task<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < WAITERS; i++) {
                double start = random.nextInt(200) / 100.0;
                int rounds = random.nextInt(1, 4);
                tasks.add(Aio.createTask(() -> {
                    Aio.sleep(start);
                    for (int r = 0; r < rounds; r++) {
                        boolean wasSet = event.isSet();
                        int setsAtStart = sets[0];
                        waiting.put(Aio.currentTask(), setsAtStart);
                        try {
                            event.await();
                        } finally {
                            waiting.remove(Aio.currentTask());
                        }
                        if (!wasSet && sets[0] == setsAtStart) {
                            problems.add("a waiter returned with no set() since it began, t="
                                    + Aio.getRunningLoop().time());
                        }
                        returned[0]++;
                        Aio.sleep(random.nextInt(5) / 100.0);
                    }
                }));
            }
            Task<Void> setter = Aio.createTask(() -> {
                for (int k = 0; k < 300; k++) {
                    Aio.sleep(random.nextInt(1, 3) / 100.0);
                    sets[0]++;
                    event.set();
                    if (random.nextInt(3) != 0) {
                        event.clear(); // at once: the waiters woken by set() must still return
                    } else {
                        Aio.sleep(random.nextInt(3) / 100.0);
                        event.clear();
                    }
                    if (random.nextBoolean()) {
                        tasks.get(random.nextInt(WAITERS)).cancel();
                    }
                }
                sets[0]++;
                event.set(); // lets everybody out
            });
            Task<Void> checker = TestLoops.checkWhenSettled(0.01, () -> {
                checks[0]++;
                waiting.forEach((task, setsAtStart) -> {
                    if (setsAtStart < sets[0]) {
                        problems.add(task + " still waits though the event was set since it began, t="
                                + Aio.getRunningLoop().time());
                    }
                });
            });
            setter.await();
            Aio.gatherWithExceptions(tasks).await();
            checker.cancel();
            return null;
        });

        assertThat(problems).as(description).isEmpty();
        assertThat(returned[0]).as(description).isGreaterThan(WAITERS);
        assertThat(checks[0]).as(description).isGreaterThan(100);
    }
}
