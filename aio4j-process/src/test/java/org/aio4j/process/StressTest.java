package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many remote calls from many tasks, with seeded random cancellations and two workers killed along the way: every
 * call ends exactly one way, nothing runs twice, nothing is lost. Run with {@code -Dstress.seed=N} to replay.
 */
class StressTest {

    private static final int CALLS = 200;

    @Test
    void randomCancellationsAndKilledWorkersLoseAndDuplicateNothing(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("stress.seed", System.nanoTime());
        String journal = dir.resolve("journal").toString();
        var random = new Random(seed);
        var succeeded = new HashSet<Integer>();
        var cancelled = new HashSet<Integer>();
        var broken = new HashSet<Integer>();
        var killed = new ArrayList<Long>();
        try (var pool = ProcessPool.builder().workers(2).gracePeriod(Duration.ofMillis(300)).build()) {
            Aio.run(() -> {
                EventLoop loop = Aio.getRunningLoop();
                var tasks = new ArrayList<Task<Integer>>();
                int[] finished = {0};
                for (int i = 0; i < CALLS; i++) {
                    int id = i;
                    int spin = random.nextInt(2000);
                    Task<Integer> t = Aio.createTask(() -> {
                        try {
                            return loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.journal(journal, id, spin)))
                                    .await();
                        } finally {
                            if (++finished[0] % 70 == 0) {
                                killOne(pool, random, killed);
                            }
                        }
                    });
                    tasks.add(t);
                    int mode = random.nextInt(10);
                    if (mode < 2) {
                        t.cancel();
                    } else if (mode < 5 && i > 0) {
                        // Cancel it when a call a little ahead of it ends: about when it is queued or starts.
                        tasks.get(Math.max(0, i - 1 - random.nextInt(6))).addDoneCallback(f -> t.cancel());
                    }
                }
                Aio.gatherWithExceptions(tasks).await();
                for (int i = 0; i < CALLS; i++) {
                    Task<Integer> t = tasks.get(i);
                    if (t.isCancelled()) {
                        cancelled.add(i);
                    } else if (t.exception() instanceof BrokenWorkerException) {
                        broken.add(i);
                    } else {
                        assertThat(t.exception()).as("seed %d, call %d", seed, i).isNull();
                        assertThat(t.result()).as("seed %d, call %d", seed, i).isEqualTo(2 * i);
                        succeeded.add(i);
                    }
                }
                return null;
            });
            var s = pool.statistics();
            assertThat(s.queuedCalls() + s.runningCalls()).as("seed %d", seed).isZero();
        }
        List<String> lines = Files.exists(Path.of(journal)) ? Files.readAllLines(Path.of(journal)) : List.of();
        Set<Integer> ran = new HashSet<>();
        for (String l : lines) {
            assertThat(ran.add(Integer.parseInt(l))).as("seed %d: call %s ran twice", seed, l).isTrue();
        }
        assertThat(succeeded.size() + cancelled.size() + broken.size()).as("seed %d", seed).isEqualTo(CALLS);
        assertThat(ran).as("seed %d: every call that succeeded ran", seed).containsAll(succeeded);
        assertThat(broken.size()).as("seed %d: only calls running on a killed worker fail", seed)
                .isLessThanOrEqualTo(killed.size());
        var ranWithoutSuccess = new HashSet<>(ran);
        ranWithoutSuccess.removeAll(succeeded);
        var cancelledOrBroken = new HashSet<>(cancelled);
        cancelledOrBroken.addAll(broken);
        assertThat(cancelledOrBroken).as("seed %d", seed).containsAll(ranWithoutSuccess);
        System.out.printf("stress seed %d: %d succeeded, %d cancelled, %d broken, %d ran, workers killed %s%n", seed,
                succeeded.size(), cancelled.size(), broken.size(), ran.size(), killed);
        for (long pid : killed) {
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        }
    }

    private static void killOne(ProcessPool pool, Random random, List<Long> killed) {
        List<Long> pids = pool.statistics().workerPids();
        if (!pids.isEmpty()) {
            long pid = pids.get(random.nextInt(pids.size()));
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            killed.add(pid);
        }
    }
}
