package org.aio4j.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeEach;
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
}
