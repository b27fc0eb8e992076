package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CPython's {@code ProcessPoolExecutor(max_tasks_per_child=)}: a worker exits after that many calls and a fresh one,
 * initialized again, replaces it, at once unless another worker is idle (checked against CPython 3.13's
 * {@code _adjust_process_count}); no call is lost or run twice.
 */
class MaxTasksPerChildTest {

    @Test
    void zeroOrNegativeIsRefusedAtTheBuilder() {
        assertThatThrownBy(() -> ProcessPool.builder().maxTasksPerChild(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxTasksPerChild must be >= 1, got 0");
        assertThatThrownBy(() -> ProcessPool.builder().maxTasksPerChild(-3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxTasksPerChild must be >= 1, got -3");
    }

    @Test
    void aWorkerIsReplacedAfterItsCallsAndTheReplacementIsInitializedAgain(@TempDir Path dir) throws Exception {
        String journal = dir.resolve("inits").toString();
        try (var log = new WorkerLog(); var pool = ProcessPool.builder().workers(1).maxTasksPerChild(3)
                .initializer(() -> WorkerTasks.initialize(journal, "ready")).build()) {
            var seen = new ArrayList<String>();
            for (int i = 0; i < 7; i++) {
                seen.add(pool.remote(WorkerTasks::initialized).call());
            }
            List<String> pids = seen.stream().map(s -> s.split(" ")[0]).toList();
            assertThat(seen).allSatisfy(s -> assertThat(s).endsWith(" 1 ready"));
            assertThat(pids.subList(0, 3)).containsOnly(pids.get(0));
            assertThat(pids.subList(3, 6)).containsOnly(pids.get(3));
            assertThat(List.of(pids.get(0), pids.get(3), pids.get(6))).doesNotHaveDuplicates();
            assertThat(Files.readAllLines(Path.of(journal))).containsExactly(pids.get(0), pids.get(3), pids.get(6));
            var s = pool.statistics();
            assertThat(s.workerPids()).containsExactly(Long.parseLong(pids.get(6)));
            assertThat(s.workers()).isEqualTo(1);
            assertThat(s.queuedCalls() + s.runningCalls()).isZero();
            assertThat(log.errors()).isEmpty();
        }
    }

    @Test
    void aWorkerThatRanItsLastCallIsReplacedAtOnceWhenNoOtherIsIdle(@TempDir Path dir) throws Exception {
        String journal = dir.resolve("inits").toString();
        try (var log = new WorkerLog(); var pool = ProcessPool.builder().workers(1).maxTasksPerChild(1)
                .initializer(() -> WorkerTasks.initialize(journal, "ready")).build()) {
            long first = pool.remote(WorkerTasks::pid).call();
            // No call waits: the replacement starts all the same, as CPython's does, and is ready for the next.
            List<String> initialized = log.awaitLines("init pid=", 2);
            assertThat(initialized.get(0)).endsWith("init pid=" + first);
            long replacement = Long.parseLong(initialized.get(1).substring(initialized.get(1).indexOf("init pid=")
                    + "init pid=".length()));
            assertThat(replacement).isNotEqualTo(first);
            assertThat(pool.remote(WorkerTasks::pid).call()).isEqualTo(replacement);
        }
    }

    @Test
    void twoHundredCallsOverTwoWorkersOfSevenCallsEachRunExactlyOnce(@TempDir Path dir) throws Exception {
        String journal = dir.resolve("journal").toString();
        var results = new HashSet<Long>();
        var callsByPid = new HashMap<Long, Integer>();
        try (var pool = ProcessPool.builder().workers(2).maxTasksPerChild(7).build()) {
            var futures = new ArrayList<Future<List<Long>>>();
            for (int i = 0; i < 200; i++) {
                int id = i;
                futures.add(pool.submit(() -> WorkerTasks.idAndPid(journal, id)));
            }
            for (Future<List<Long>> f : futures) {
                List<Long> idAndPid = f.get();
                assertThat(results.add(idAndPid.get(0))).as("result %d came twice", idAndPid.get(0)).isTrue();
                callsByPid.merge(idAndPid.get(1), 1, Integer::sum);
            }
            var s = pool.statistics();
            assertThat(s.queuedCalls() + s.runningCalls()).isZero();
            assertThat(s.workers()).isLessThanOrEqualTo(2);
        }
        assertThat(results).hasSize(200).allSatisfy(id -> assertThat(id).isBetween(0L, 199L));
        List<String> ran = Files.readAllLines(Path.of(journal));
        assertThat(ran).hasSize(200).doesNotHaveDuplicates();
        assertThat(callsByPid.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(7));
        assertThat(callsByPid).hasSizeGreaterThanOrEqualTo(29);   // 200 calls, 7 at most per worker
        assertThat(callsByPid.keySet()).doesNotContain(ProcessHandle.current().pid());
        assertThat(callsByPid.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(200);
    }
}
