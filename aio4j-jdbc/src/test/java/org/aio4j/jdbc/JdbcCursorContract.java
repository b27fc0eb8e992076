package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.time.Duration;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The behaviour every database must show through {@link JdbcCursor}, run against H2 and PostgreSQL. Each test body
 * runs with {@link AioTesting#runTest}, which also fails it if a task is left pending or an error reached nobody. The
 * loops run on the real clock: JDBC calls are real I/O. No timing is asserted; the timeout only turns a hang (a
 * cancellation that does not reach the database) into a failure with a task dump.
 */
abstract class JdbcCursorContract {

    private static final TestOptions REAL_CLOCK =
            TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(120));

    /** Opens a new connection to the test database. */
    abstract ConnectionFactory database();

    /** SQL returning the integers 1..? in order, in one column. */
    abstract String rangeSql();

    /** SQL returning 1..? in order in its first column, counting each row the database produces. */
    abstract String countedRangeSql();

    /** SQL that runs until it is cancelled, and counts one produced row when it starts. */
    abstract String endlessSql();

    /** The number of rows the database produced for the counted queries since the last reset. */
    abstract long produced() throws Exception;

    abstract void resetProduced() throws Exception;

    private RecordingConnections recording() {
        return new RecordingConnections(database());
    }

    @Test
    void rowsArriveInOrderWithParameters() throws Exception {
        var connections = recording();
        List<Integer> rows = AioTesting.runTest(REAL_CLOCK, () ->
                JdbcQuery.of(connections, rangeSql(), rs -> rs.getInt(1)).parameters(5).fetchSize(2).bufferSize(3)
                        .rows().toList());
        assertThat(rows).containsExactly(1, 2, 3, 4, 5);
        assertThat(connections.connections).hasSize(1);
        assertThat(connections.allClosed()).isTrue();
    }

    @Test
    void aConsumerThatStopsAfterThreeRowsClosesTheStatementAndConnection() throws Exception {
        var connections = recording();
        List<Integer> got = new ArrayList<>();
        AioTesting.runTest(REAL_CLOCK, () -> {
            try (var rows = JdbcQuery.of(connections, rangeSql(), rs -> rs.getInt(1)).parameters(1_000_000)
                    .fetchSize(100).rows()) {
                for (int i : rows) {
                    got.add(i);
                    if (got.size() == 3) {
                        break;
                    }
                }
                assertThat(connections.statements.getFirst().isClosed()).isFalse();
            }
            assertThat(connections.statements).hasSize(1);
            assertThat(connections.statements.getFirst().isClosed()).isTrue();
            assertThat(connections.connections.getFirst().isClosed()).isTrue();
        });
        assertThat(got).containsExactly(1, 2, 3);
    }

    @Test
    void aConsumerTaskThatForgetsToCloseClosesEverythingWhenItEnds() throws Exception {
        var connections = recording();
        AioTesting.runTest(REAL_CLOCK, () -> {
            Task<Integer> consumer = Aio.createTask(() -> {
                var rows = JdbcQuery.of(connections, rangeSql(), rs -> rs.getInt(1)).parameters(10_000).rows();
                return rows.next() + rows.next();
            });
            assertThat(consumer.await()).isEqualTo(3);
            assertThat(connections.allClosed()).isTrue();
        });
    }

    @Test
    void streamingAMillionRowsHoldsAtMostBufferPlusFetchRowsAhead() throws Exception {
        int fetch = 1_000;
        int buffer = 3_000;
        int total = 1_000_000;
        resetProduced();
        var mapped = new AtomicLong();
        long[] maxMappedAhead = {0};
        long[] maxProducedAhead = {0};
        var connections = recording();
        JdbcCursor.Statistics stats = AioTesting.runTest(REAL_CLOCK, () -> {
            long consumed = 0;
            long sum = 0;
            try (var rows = JdbcQuery.of(connections, countedRangeSql(), rs -> {
                mapped.incrementAndGet();
                return rs.getLong(1);
            }).parameters(total).fetchSize(fetch).bufferSize(buffer).rows()) {
                for (long x : rows) {
                    consumed++;
                    sum += x;
                    maxMappedAhead[0] = Math.max(maxMappedAhead[0], mapped.get() - consumed);
                    if (consumed % 50_000 == 0) {
                        long producedNow = Aio.toThread(this::produced);
                        maxProducedAhead[0] = Math.max(maxProducedAhead[0], producedNow - consumed);
                    }
                }
                assertThat(consumed).isEqualTo(total);
                assertThat(sum).isEqualTo((long) total * (total + 1) / 2);
                return rows.statistics();
            }
        });
        assertThat(maxMappedAhead[0]).isLessThanOrEqualTo(buffer);
        assertThat(maxProducedAhead[0]).isLessThanOrEqualTo(buffer + fetch);
        assertThat(stats.rowsRead()).isEqualTo(total);
        assertThat(stats.rowsDelivered()).isEqualTo(total);
        assertThat(stats.maxRowsAhead()).isLessThanOrEqualTo(buffer);
        assertThat(produced()).isEqualTo(total);
        assertThat(connections.allClosed()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void cancellingTheConsumerAbortsARunningQueryAndClosesEverything(boolean oneThreadPool) throws Exception {
        resetProduced();
        var connections = recording();
        // a bounded pool, as JdbcQuery.executor suggests: its one thread is busy with the query to cancel
        ExecutorService pool = oneThreadPool ? Executors.newSingleThreadExecutor() : null;
        try {
            cancelARunningQuery(connections, pool);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private void cancelARunningQuery(RecordingConnections connections, ExecutorService pool) throws Exception {
        AioTesting.runTest(REAL_CLOCK, () -> {
            Task<List<Long>> consumer = Aio.createTask(() -> {
                JdbcQuery<Long> query = JdbcQuery.of(connections, endlessSql(), rs -> rs.getLong(1));
                return (pool == null ? query : query.executor(pool)).rows().toList();
            });
            while (Aio.toThread(this::produced) == 0 && !consumer.isDone()) {
                Aio.sleep(0.01); // waiting for the server to start the query; nothing is timed
            }
            assertThat(consumer.isDone()).as("consumer ended before it was cancelled: %s", consumer).isFalse();
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            assertThat(consumer.isCancelled()).isTrue();
            assertThat(connections.allClosed()).isTrue();
        });
    }

    @Test
    void cancellingTheConsumerWhileRowsStreamClosesEverything() throws Exception {
        var connections = recording();
        long[] got = {0};
        AioTesting.runTest(REAL_CLOCK, () -> {
            Task<Void> consumer = Aio.createTask(() -> {
                for (int ignored : JdbcQuery.of(connections, rangeSql(), rs -> rs.getInt(1)).parameters(10_000_000)
                        .fetchSize(100).bufferSize(200).rows()) {
                    got[0]++;
                }
            });
            while (got[0] < 1_000) {
                Aio.sleep(0);
            }
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            assertThat(connections.allClosed()).isTrue();
        });
        assertThat(got[0]).isBetween(1_000L, 9_999_999L);
    }

    @Test
    void aFailingRowMapperSurfacesAtThatRowAfterTheRowsBeforeIt() throws Exception {
        var connections = recording();
        var bad = new IllegalStateException("row 7 is bad");
        List<Integer> got = new ArrayList<>();
        AioTesting.runTest(REAL_CLOCK, () -> {
            var rows = JdbcQuery.of(connections, rangeSql(), rs -> {
                if (rs.getInt(1) == 7) {
                    throw bad;
                }
                return rs.getInt(1);
            }).parameters(100).fetchSize(5).rows();
            assertThatThrownBy(() -> {
                for (int i : rows) {
                    got.add(i);
                }
            }).isSameAs(bad);
            assertThat(connections.allClosed()).isTrue();
        });
        assertThat(got).containsExactly(1, 2, 3, 4, 5, 6);
    }

    /**
     * A connection on which the query was never executed (the executor refused it) holds no transaction of the
     * cursor's: it is closed without a rollback, which PostgreSQL's and MySQL's drivers refuse while autocommit is on
     * ("Cannot rollback when autoCommit is enabled"), a failure of the close carried by the executor's refusal.
     */
    @Test
    void aQueryTheExecutorRefusesClosesItsConnectionWithoutEndingATransactionItNeverBegan() throws Exception {
        var connections = recording();
        var refused = new RejectedExecutionException("queue full");
        AioTesting.runTest(REAL_CLOCK, () -> {
            var rows = JdbcQuery.of(connections, rangeSql(), rs -> rs.getInt(1)).parameters(3)
                    .executor(command -> {
                        throw refused;
                    }).rows();
            assertThatThrownBy(rows::hasNext).isSameAs(refused);
        });
        assertThat(refused.getSuppressed()).as("failures of the close").isEmpty();
        assertThat(connections.connections).hasSize(1);
        assertThat(connections.allClosed()).isTrue();
    }

    /** The sizes are limits, not allocations: the largest ones read a small result as any other. */
    @Test
    void theLargestFetchAndBufferSizesReadASmallResult() throws Exception {
        var connections = recording();
        List<Integer> rows = AioTesting.runTest(REAL_CLOCK, () ->
                JdbcQuery.of(connections, rangeSql(), rs -> rs.getInt(1)).parameters(3)
                        .fetchSize(Integer.MAX_VALUE).bufferSize(Integer.MAX_VALUE).rows().toList());
        assertThat(rows).containsExactly(1, 2, 3);
        assertThat(connections.allClosed()).isTrue();
    }

    /** A mapper may return null (the {@code rs.getString(1)} of an SQL NULL): that is a row like any other. */
    @Test
    void aRowMappedToNullIsDeliveredInItsPlace() throws Exception {
        var connections = recording();
        List<Integer> rows = AioTesting.runTest(REAL_CLOCK, () ->
                JdbcQuery.of(connections, rangeSql(), rs -> rs.getInt(1) % 3 == 0 ? null : rs.getInt(1))
                        .parameters(7).fetchSize(4).rows().toList());
        assertThat(rows).containsExactly(1, 2, null, 4, 5, null, 7);
        assertThat(connections.allClosed()).isTrue();
    }

    @Test
    void badSqlSurfacesAsAnSqlExceptionAndClosesTheConnection() throws Exception {
        var connections = recording();
        AioTesting.runTest(REAL_CLOCK, () -> {
            var rows = JdbcQuery.of(connections, "SELECT no_such_column FROM no_such_table", rs -> 1).rows();
            assertThatThrownBy(rows::hasNext).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(SQLException.class);
            assertThat(rows.hasNext()).isFalse();
            assertThat(connections.allClosed()).isTrue();
        });
    }

    @Test
    void manyConcurrentCursorsWithRandomCancellationLeaveNoConnectionOpen() throws Exception {
        long seed = new Random().nextLong();
        var connections = recording();
        int consumers = 40;
        int[] completed = {0};
        List<String> wrong = AioTesting.runTest(REAL_CLOCK, () -> {
            var random = new Random(seed);
            List<Task<Long>> tasks = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            for (int c = 0; c < consumers; c++) {
                int n = random.nextInt(0, 20_000);
                int stop = random.nextInt(0, 25_000);
                sizes.add(Math.min(n, stop));
                tasks.add(Aio.createTask(() -> countInOrder(JdbcQuery.of(connections, rangeSql(), rs -> rs.getInt(1))
                        .parameters(n).fetchSize(random.nextInt(1, 500)).bufferSize(random.nextInt(1, 1_000)).rows(),
                        stop)));
            }
            for (Task<Long> t : tasks) {
                if (random.nextInt(3) == 0) {
                    Aio.getRunningLoop().callLater(random.nextInt(0, 200) / 1000.0, t::cancel);
                }
            }
            List<String> problems = new ArrayList<>();
            for (int c = 0; c < consumers; c++) {
                try {
                    long count = tasks.get(c).await();
                    completed[0]++;
                    if (count != sizes.get(c)) {
                        problems.add("consumer " + c + " got " + count + " rows, expected " + sizes.get(c));
                    }
                } catch (CancellationException cancelled) {
                    // only the connections must be closed
                }
            }
            return problems;
        });
        assertThat(wrong).as("seed %d", seed).isEmpty();
        // a consumer cancelled while it connected may have given up before it had a connection
        assertThat(connections.connections).as("seed %d", seed).hasSizeBetween(completed[0], consumers);
        assertThat(connections.allClosed()).as("seed %d", seed).isTrue();
    }

    /**
     * Reads the rows 1, 2, 3, ... of {@code rows}, checking their order, until they end or {@code stop} rows were read
     * (then stops early: the cursor's early close); closes the cursor and returns how many were read.
     */
    static long countInOrder(JdbcCursor<Integer> rows, int stop) {
        long count = 0;
        try (rows) {
            for (int x : rows) {
                if (x != count + 1) {
                    throw new AssertionError("row " + x + " after " + count);
                }
                if (count == stop) {
                    break;
                }
                count++;
            }
        }
        return count;
    }
}
