package org.aio4j.jdbc;

import static org.aio4j.jdbc.Reflection.invoke;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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

    /**
     * The consumer is cancelled when the statement is about to be executed, after the cursor's last look at its
     * cancelled flag. {@code Statement.cancel()} then finds nothing running (H2 and PostgreSQL both ignore it), and
     * the query starts anyway: only a cancel repeated while the call goes on stops it (the query here is endless).
     */
    @Test
    void aCancellationJustBeforeTheQueryIsExecutedIsNotLost() throws Exception {
        var aboutToExecute = new CountDownLatch(1);
        var cancelCalled = new CountDownLatch(1);
        var real = new AtomicReference<PreparedStatement>();
        ConnectionFactory pausing = () -> {
            Connection c = database().connect();
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        Object result = invoke(c, method, args);
                        if (!(result instanceof PreparedStatement ps)) {
                            return result;
                        }
                        real.set(ps);
                        return Proxy.newProxyInstance(getClass().getClassLoader(),
                                new Class<?>[] {PreparedStatement.class}, (p, m, a) -> {
                                    if (m.getName().equals("executeQuery")) {
                                        aboutToExecute.countDown();
                                        cancelCalled.await(); // the cancellation arrives now
                                    }
                                    Object r = invoke(ps, m, a);
                                    if (m.getName().equals("cancel")) {
                                        cancelCalled.countDown();
                                    }
                                    return r;
                                });
                    });
        };
        try {
            AioTesting.runTest(TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(15)), () -> {
                Task<?> consumer = Aio.createTask(() ->
                        JdbcQuery.of(pausing, endlessSql(), rs -> rs.getLong(1)).rows().toList());
                Aio.toThread(() -> {
                    aboutToExecute.await();
                    return null;
                });
                consumer.cancel();
                assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            });
        } finally {
            if (real.get() != null && !real.get().isClosed()) {
                real.get().cancel(); // stop the runaway query if the cursor did not
            }
        }
        assertThat(real.get().isClosed()).isTrue();
    }
}
