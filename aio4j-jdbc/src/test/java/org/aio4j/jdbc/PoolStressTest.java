package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many cursors through a pool of 3 connections, with random early stops and cancellations at random points: while
 * rows stream, while the query runs, and while waiting for a connection of the exhausted pool. Each consumer that is
 * not cancelled gets exactly its rows in order, and only those the test cancels end cancelled; afterwards the pool is
 * as it was made (every connection back and open, every permit free), every borrowed connection was given back
 * exactly once, with its statements closed, and never while a call on it was still running or used after (see
 * {@link SmallPool}). The same with a bounded executor of fewer threads than the pool has connections: the cursors
 * waiting for a connection must not take the threads that the cursors holding one need to read on and give it back.
 */
class PoolStressTest {

    static Stream<Long> seeds() {
        return Stream.of(42L, System.nanoTime());
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void manyCursorsWithRandomCancellationThroughASmallPoolGiveEveryConnectionBack(long seed) throws Exception {
        manyCursorsThroughASmallPool(seed, null);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void theSameOnABoundedExecutorWithFewerThreadsThanConnectionsNeverHangs(long seed) throws Exception {
        ExecutorService twoThreads = Executors.newFixedThreadPool(2);
        try {
            manyCursorsThroughASmallPool(seed, twoThreads);
        } finally {
            twoThreads.shutdownNow();
        }
    }

    /** {@code executor} null: the default one, a new virtual thread per call. */
    private static void manyCursorsThroughASmallPool(long seed, Executor executor) throws Exception {
        String described = "seed " + seed + " (rerun with this seed to reproduce)";
        int consumers = 150;
        String url = "jdbc:h2:mem:aio4j_pool_" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LAZY_QUERY_EXECUTION=TRUE";
        try (var pool = new SmallPool(url, 3)) {
            List<String> wrong = AioTesting.runTest(
                    TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(120)), () -> {
                        var random = new Random(seed);
                        List<Task<Long>> tasks = new ArrayList<>();
                        List<Long> expected = new ArrayList<>();
                        for (int c = 0; c < consumers; c++) {
                            int n = random.nextInt(0, 3_000);
                            int stop = random.nextInt(0, 4_000);
                            int fetch = random.nextInt(1, 200);
                            int buffer = random.nextInt(1, 400);
                            expected.add((long) Math.min(n, stop));
                            tasks.add(Aio.createTask(() -> consume(pool, executor, n, stop, fetch, buffer)));
                        }
                        Set<Integer> toCancel = new HashSet<>();
                        for (int c = 0; c < consumers; c++) {
                            Task<Long> t = tasks.get(c);
                            if (random.nextInt(3) == 0) {
                                toCancel.add(c);
                                int ticks = random.nextInt(0, 400);
                                Aio.createTask(() -> {
                                    for (int i = 0; i < ticks; i++) {
                                        Aio.sleep(0);
                                    }
                                    t.cancel();
                                });
                            }
                        }
                        List<String> problems = new ArrayList<>();
                        int finished = 0;
                        int cancelled = 0;
                        for (int c = 0; c < consumers; c++) {
                            try {
                                long got = tasks.get(c).await();
                                finished++;
                                if (got != expected.get(c)) {
                                    problems.add("consumer " + c + " got " + got + " rows, expected " + expected.get(c));
                                }
                            } catch (CancellationException e) { // its connection must be back, checked below
                                cancelled++;
                                if (!toCancel.contains(c)) {
                                    problems.add("consumer " + c + " was cancelled, but not by the test");
                                }
                            }
                        }
                        if (finished + cancelled != consumers) {
                            problems.add(finished + " finished and " + cancelled + " cancelled of " + consumers);
                        }
                        return problems;
                    });
            assertThat(wrong).as(described).isEmpty();
            assertThat(pool.breaches).as(described).isEmpty();
            assertThat(pool.state()).as(described).isEqualTo(pool.expectedState());
            assertThat(pool.givenBack.get()).as(described).isEqualTo(pool.handedOut.get());
        }
    }

    private static long consume(SmallPool pool, Executor executor, int n, int stop, int fetch, int buffer) {
        JdbcQuery<Integer> query = JdbcQuery.of(pool, "SELECT X FROM SYSTEM_RANGE(1, ?)", rs -> rs.getInt(1))
                .parameters(n).fetchSize(fetch).bufferSize(buffer);
        return JdbcCursorContract.countInOrder((executor == null ? query : query.executor(executor)).rows(), stop);
    }
}
