package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ContextVar}s under interleaving, cancellation and other threads: thousands of tasks set, nest
 * ({@link Context#run}), suspend and are cancelled at random while platform threads post callbacks with values of their
 * own; every read anywhere sees exactly the value its own code set, every cancelled block has reset what it set, and
 * every count is exact. Seeded; the seed is in every failure message.
 */
class ContextVarStressTest {

    private static final ContextVar<String> OWNER = new ContextVar<>("owner", "nobody");
    private static final ContextVar<Integer> LEVEL = new ContextVar<>("level", 0);
    private static final int THREADS = 4;
    private static final int POSTS_PER_THREAD = 500;

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void everyReadSeesItsOwnValueAndEveryCancelledBlockResets(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        int n = 2_000;
        var random = new Random(seed);
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        int[] finished = {0};
        int[] cancelled = {0};
        int[] callbacksRan = {0};
        boolean[] started = new boolean[n];

        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            List<Task<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                String me = "task-" + i;
                int pauses = random.nextInt(4);
                boolean nested = random.nextBoolean();
                boolean spawns = random.nextInt(4) == 0;
                tasks.add(Aio.createTask(() -> {
                    started[index] = true;
                    OWNER.set(me);
                    try {
                        try (var _ = LEVEL.set(1)) {
                            for (int p = 0; p < pauses; p++) {
                                Aio.sleep(p % 2 == 0 ? 0 : 0.001);
                                check(problems, me, 1);
                            }
                            if (nested) {
                                new Context().run(() -> {
                                    check(problems, "nobody", 0);
                                    try (var _ = LEVEL.set(2)) {
                                        OWNER.set(me + "/nested");
                                        Aio.sleep(0);
                                        check(problems, me + "/nested", 2);
                                    }
                                    return null;
                                });
                                check(problems, me, 1);
                            }
                            if (spawns) {
                                Aio.createTask(() -> check(problems, me, 1)).await();
                            }
                            Aio.sleep(0);
                            check(problems, me, 1);
                        }
                        check(problems, me, 0);
                        finished[0]++;
                    } catch (CancellationException e) {
                        check(problems, me, 0); // the blocks it was cancelled in have reset what they set
                        cancelled[0]++;
                        throw e;
                    }
                }));
            }
            var start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            try (var _ = loop.expectExternal()) { // virtual time waits for the threads (and so do the tasks' timers)
                for (int t = 0; t < THREADS; t++) {
                    String poster = "thread-" + t;
                    threads.add(Thread.ofPlatform().start(() -> {
                        try (var _ = OWNER.set(poster)) {
                            start.await();
                            for (int k = 0; k < POSTS_PER_THREAD; k++) {
                                loop.callSoonThreadsafe(() -> {
                                    check(problems, poster, 0);
                                    callbacksRan[0]++;
                                });
                            }
                        } catch (InterruptedException e) {
                            problems.add(poster + " interrupted");
                        }
                    }));
                }
                start.countDown();
                for (int k = 0; k < n / 4; k++) {
                    tasks.get(random.nextInt(n)).cancel();
                    if (k % 8 == 0) {
                        Aio.sleep(0);
                    }
                }
                for (Thread t : threads) {
                    Aio.toThread(() -> {
                        t.join();
                        return null;
                    });
                }
            } // the threads are done: the clock may jump to the tasks' timers
            Aio.gatherWithExceptions(tasks).await();
            Aio.sleep(0); // the last posted callbacks run
            check(problems, "nobody", 0);
            int neverStarted = 0;
            for (int i = 0; i < n; i++) {
                if (!started[i]) {
                    neverStarted++;
                    assertThat(tasks.get(i).isCancelled()).as(description).isTrue();
                }
            }
            long cancelledTasks = tasks.stream().filter(Task::isCancelled).count();
            assertThat(cancelledTasks).as(description).isEqualTo(cancelled[0] + neverStarted).isPositive();
            assertThat(finished[0]).as(description).isEqualTo(n - cancelledTasks).isPositive();
            return null;
        });
        assertThat(problems).as(description).isEmpty();
        assertThat(callbacksRan[0]).as(description).isEqualTo(THREADS * POSTS_PER_THREAD);
    }

    private static void check(List<String> problems, String owner, int level) {
        String o = OWNER.get();
        int l = LEVEL.get();
        if (!owner.equals(o) || l != level) {
            problems.add("expected " + owner + "@" + level + ", saw " + o + "@" + l);
        }
    }
}
