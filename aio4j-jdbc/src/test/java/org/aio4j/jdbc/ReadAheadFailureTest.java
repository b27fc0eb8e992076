package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.aio4j.Aio;
import org.aio4j.ExceptionContext;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A failure of the driver or the row mapper that the cursor read ahead of its consumer (in the batch it read while the
 * consumer worked on the rows before it) is not dropped when the consumer stops before reaching it: as with the
 * operators that read ahead ({@code buffer}, {@code chunked}, ... see {@link org.aio4j.AsyncIterator}), it goes to the
 * loop's exception handler, and {@code aclose()} does not throw it.
 */
class ReadAheadFailureTest {

    private final RecordingConnections connections =
            new RecordingConnections(() -> DriverManager.getConnection("jdbc:h2:mem:"));

    private static final String SQL = "SELECT X FROM SYSTEM_RANGE(1, 100)";

    /** Rows 1..5 in the first batch; the read ahead maps row 6, then fails at row 7. */
    private JdbcCursor<Integer> failingAtRow7(Exception failure) {
        return JdbcQuery.<Integer>of(connections, SQL, rs -> {
            if (rs.getInt(1) == 7) {
                if (failure instanceof SQLException sql) {
                    throw sql;
                }
                throw (RuntimeException) failure;
            }
            return rs.getInt(1);
        }).fetchSize(5).bufferSize(20).rows();
    }

    /**
     * @param how {@code taken}: the consumer's next {@code hasNext()} took the failed batch in (the failure is held
     *            behind rows 2..6); {@code notTaken}: the consumer closes while the failed batch waits, its call over;
     *            {@code taskEnd}: as {@code taken}, but the consumer's task ends without closing the cursor
     */
    @ParameterizedTest
    @ValueSource(strings = {"taken", "notTaken", "taskEnd"})
    void aFailureReadAheadOfAConsumerThatStopsGoesToTheExceptionHandler(String how) throws Exception {
        var bad = new IllegalStateException("row 7 is bad");
        List<ExceptionContext> reports = new ArrayList<>();
        List<Integer> got = new ArrayList<>();
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            Aio.getRunningLoop().setExceptionHandler((loop, context) -> reports.add(context));
            Task<Void> consumer = Aio.createTask(() -> {
                var rows = failingAtRow7(bad);
                got.add(rows.next());
                Aio.waitAllTasksBlocked(); // the read ahead (row 6, then the failure) is over
                if (!how.equals("notTaken")) {
                    got.add(rows.next()); // takes the read-ahead batch in
                    got.add(rows.next());
                }
                if (!how.equals("taskEnd")) {
                    rows.aclose(); // does not throw the failure the consumer never reached
                }
                return null;
            });
            consumer.await();
            Aio.waitAllTasksBlocked();
        });
        assertThat(got).containsExactly(how.equals("notTaken") ? new Integer[] {1} : new Integer[] {1, 2, 3});
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.exception()).isSameAs(bad);
            assertThat(r.message()).contains("read ahead", SQL);
        });
        assertThat(connections.allClosed()).isTrue();
    }

    /** A checked failure is named, as at the row where it happens: the step, the row and the query. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aCheckedFailureReadAheadIsReportedNamed(boolean taken) throws Exception {
        var bad = new SQLException("row 7 is bad");
        List<ExceptionContext> reports = new ArrayList<>();
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            Aio.getRunningLoop().setExceptionHandler((loop, context) -> reports.add(context));
            try (var rows = failingAtRow7(bad)) {
                rows.next();
                Aio.waitAllTasksBlocked();
                if (taken) {
                    rows.next();
                }
            }
        });
        assertThat(reports).singleElement().satisfies(r -> assertThat(r.exception())
                .isInstanceOf(CompletionException.class).hasCause(bad)
                .hasMessageContaining("reading row 7").hasMessageContaining(SQL));
        assertThat(connections.allClosed()).isTrue();
    }
}
