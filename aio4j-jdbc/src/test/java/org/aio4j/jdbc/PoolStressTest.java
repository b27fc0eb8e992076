package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CancellationException;
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
 * not cancelled gets exactly its rows in order; afterwards the pool is as it was made (every connection back and
 * open, every permit free), every borrowed connection was given back exactly once, with its statements closed, and
 * never while a call on it was still running or used after (see {@link SmallPool}).
 */
class PoolStressTest {

    static Stream<Long> seeds() {
        return Stream.of(42L, System.nanoTime());
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void manyCursorsWithRandomCancellationThroughASmallPoolGiveEveryConnectionBack(long seed) throws Exception {
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
                            tasks.add(Aio.createTask(() -> consume(pool, n, stop, fetch, buffer)));
                        }
                        for (Task<Long> t : tasks) {
                            if (random.nextInt(3) == 0) {
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
                        for (int c = 0; c < consumers; c++) {
                            try {
                                long got = tasks.get(c).await();
                                if (got != expected.get(c)) {
                                    problems.add("consumer " + c + " got " + got + " rows, expected " + expected.get(c));
                                }
                            } catch (CancellationException cancelled) {
                                // its connection must be back, checked below
                            }
                        }
                        return problems;
                    });
            assertThat(wrong).as(described).isEmpty();
            assertThat(pool.breaches).as(described).isEmpty();
            assertThat(pool.state()).as(described).isEqualTo(pool.expectedState());
            assertThat(pool.givenBack.get()).as(described).isEqualTo(pool.handedOut.get());
        }
    }

    private static long consume(SmallPool pool, int n, int stop, int fetch, int buffer) {
        return JdbcCursorContract.countInOrder(JdbcQuery.of(pool, "SELECT X FROM SYSTEM_RANGE(1, ?)",
                rs -> rs.getInt(1)).parameters(n).fetchSize(fetch).bufferSize(buffer).rows(), stop);
    }
}
