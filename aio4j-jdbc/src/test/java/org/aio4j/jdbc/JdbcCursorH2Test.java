package org.aio4j.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link JdbcCursorContract} on H2, embedded in memory, in lazy mode (rows are computed as they are fetched). The
 * database counts the rows it produces through a Java function, {@link H2Probe}.
 */
class JdbcCursorH2Test extends JdbcCursorContract {

    private final String url = "jdbc:h2:mem:aio4j_" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LAZY_QUERY_EXECUTION=TRUE";

    @BeforeEach
    void createProbe() throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            // DETERMINISTIC, or H2 computes the whole result before the first row even in lazy mode.
            s.execute("CREATE ALIAS IF NOT EXISTS PROBE DETERMINISTIC FOR '" + H2Probe.class.getName() + ".probe'");
        }
    }

    @Override
    ConnectionFactory database() {
        return () -> DriverManager.getConnection(url);
    }

    @Override
    String rangeSql() {
        return "SELECT X FROM SYSTEM_RANGE(1, ?)";
    }

    @Override
    String countedRangeSql() {
        return "SELECT PROBE(X) FROM SYSTEM_RANGE(1, ?)";
    }

    @Override
    String endlessSql() {
        return "SELECT COUNT(PROBE(X)) FROM SYSTEM_RANGE(1, 9000000000000000)";
    }

    @Override
    long produced() {
        return H2Probe.PRODUCED.get();
    }

    @Override
    void resetProduced() {
        H2Probe.PRODUCED.set(0);
    }
}
