package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link JdbcCursorContract} on a real PostgreSQL server that the test run starts ({@link PostgresServer}). The
 * server counts the rows it produces with a sequence, {@code probe}: {@code nextval} is evaluated for each row as the
 * cursor fetches it, and a sequence is visible to other sessions at once.
 */
@ExtendWith(PostgresServer.class)
class JdbcCursorPostgresTest extends JdbcCursorContract {

    private final PostgresServer server;

    JdbcCursorPostgresTest(PostgresServer server) {
        this.server = server;
    }

    @BeforeEach
    void createProbe() throws Exception {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SEQUENCE IF NOT EXISTS probe");
        }
    }

    @Override
    ConnectionFactory database() {
        return server::connect;
    }

    @Override
    String rangeSql() {
        return "SELECT g FROM generate_series(1, ?) AS g";
    }

    @Override
    String countedRangeSql() {
        return "SELECT g, nextval('probe') FROM generate_series(1, ?) AS g";
    }

    @Override
    String endlessSql() {
        return "SELECT nextval('probe'), pg_sleep(3600)";
    }

    @Override
    long produced() throws Exception {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT last_value, is_called FROM probe")) {
            rs.next();
            return rs.getBoolean(2) ? rs.getLong(1) : 0;
        }
    }

    @Override
    void resetProduced() throws Exception {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("ALTER SEQUENCE probe RESTART");
        }
    }

    /**
     * The query has returned its first row; fetching the second one takes an hour. Cancelling the consumer must end
     * that fetch, as JdbcCursor's Javadoc says. pgjdbc's {@code Statement.cancel()} does nothing once
     * {@code executeQuery} has returned (the statement is IDLE while the result set fetches), so the cursor aborts
     * the connection when repeated cancels have not ended the call.
     */
    @Test
    void cancellingTheConsumerAbortsASlowFetchAfterTheFirstRows() throws Exception {
        var connections = new RecordingConnections(database());
        long[] got = {0};
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(20)), () -> {
            Task<Void> consumer = Aio.createTask(() -> {
                for (long ignored : JdbcQuery.of(connections,
                        "SELECT g FROM generate_series(1, 2) AS g WHERE g = 1 OR pg_sleep(3600) IS NOT NULL",
                        rs -> rs.getLong(1)).fetchSize(1).bufferSize(1).rows()) {
                    got[0]++;
                }
            });
            while (!Aio.toThread(this::secondFetchIsRunning)) {
                Aio.sleep(0.01); // waiting for the server to be in pg_sleep; nothing is timed
            }
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            assertThat(connections.allClosed()).isTrue();
        });
        assertThat(got[0]).isEqualTo(1);
    }

    private boolean secondFetchIsRunning() throws Exception {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                     + " AND wait_event = 'PgSleep'")) {
            rs.next();
            return rs.getInt(1) > 0;
        }
    }
}
