package org.aio4j.jdbc;

import static org.aio4j.jdbc.Reflection.invoke;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/**
 * The state a cursor leaves its connection in when it gives it back, as a home-made pool behind a
 * {@link ConnectionFactory} sees it (one that resets nothing: its {@code close()} only takes the connection back).
 */
class ConnectionHandBackTest {

    /** What the cursor did to the connection, in order: commit, rollback, setAutoCommit(..), close. */
    private final List<String> calls = new CopyOnWriteArrayList<>();

    @Test
    void autocommitIsOnAgainWhenTheConnectionGoesBack() throws Exception {
        try (Connection raw = DriverManager.getConnection("jdbc:h2:mem:")) {
            ConnectionFactory pool = () -> recording(raw, null);
            AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
                var rows = JdbcQuery.of(pool, "SELECT X FROM SYSTEM_RANGE(1, 3)", rs -> rs.getInt(1)).rows();
                int sum = 0;
                while (rows.hasNext()) {
                    sum += rows.next();
                }
                assertThat(sum).isEqualTo(6);
            });
            assertThat(calls).containsExactly("setAutoCommit(false)", "commit", "setAutoCommit(true)", "close");
            assertThat(raw.getAutoCommit()).isTrue();
        }
    }

    @Test
    void aResultSetThatFailsToCloseRollsTheTransactionBackInsteadOfCommittingIt() throws Exception {
        var closeFailure = new SQLException("result set close failed");
        try (Connection raw = DriverManager.getConnection("jdbc:h2:mem:")) {
            ConnectionFactory pool = () -> recording(raw, closeFailure);
            AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
                var rows = JdbcQuery.of(pool, "SELECT X FROM SYSTEM_RANGE(1, 3)", rs -> rs.getInt(1)).rows();
                assertThatThrownBy(() -> {
                    while (rows.hasNext()) {
                        rows.next();
                    }
                }).hasRootCause(closeFailure);
            });
            // The consumer got an error: the transaction must not have been committed.
            assertThat(calls).containsExactly("setAutoCommit(false)", "rollback", "setAutoCommit(true)", "close");
        }
    }

    /**
     * {@code raw} as a pool hands it out: {@code close()} gives it back without closing or resetting it; the result
     * sets of its statements fail to close with {@code closeFailure} if it is not null.
     */
    private Connection recording(Connection raw, SQLException closeFailure) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, m, args) -> {
                    switch (m.getName()) {
                        case "close" -> {
                            calls.add("close");
                            return null;
                        }
                        case "commit", "rollback" -> calls.add(m.getName());
                        case "setAutoCommit" -> calls.add("setAutoCommit(" + args[0] + ")");
                        default -> { }
                    }
                    Object r = invoke(raw, m, args);
                    return r instanceof PreparedStatement ps && closeFailure != null ? failingClose(ps, closeFailure) : r;
                });
    }

    private static PreparedStatement failingClose(PreparedStatement ps, SQLException closeFailure) {
        return (PreparedStatement) Proxy.newProxyInstance(ConnectionHandBackTest.class.getClassLoader(),
                new Class<?>[] {PreparedStatement.class}, (p, m, a) -> {
                    Object r = invoke(ps, m, a);
                    if (!(r instanceof ResultSet rs)) {
                        return r;
                    }
                    return Proxy.newProxyInstance(ConnectionHandBackTest.class.getClassLoader(),
                            new Class<?>[] {ResultSet.class}, (q, rm, ra) -> {
                                Object v = invoke(rs, rm, ra);
                                if (rm.getName().equals("close")) {
                                    throw closeFailure;
                                }
                                return v;
                            });
                });
    }
}
