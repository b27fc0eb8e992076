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
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/**
 * The consumer stops while the next batch is read ahead; the cursor cancels that read, and the driver's
 * {@code Statement.cancel()} fails (pgjdbc cannot reach the server for its cancel request), though the read then
 * ends. Nothing else fails: the cancel's failure is what closing the cursor throws, not dropped.
 */
class CancelFailureOnCloseTest {

    @Test
    void aFailingCancelOfTheReadAheadReachesTheConsumerThatClosedTheCursor() throws Exception {
        var cancelFailure = new SQLException("cancel failed: could not connect");
        var released = new CountDownLatch(1);
        ConnectionFactory failingCancel = () -> {
            Connection c = DriverManager.getConnection("jdbc:h2:mem:");
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        Object result = invoke(c, method, args);
                        if (!(result instanceof PreparedStatement ps)) {
                            return result;
                        }
                        return Proxy.newProxyInstance(getClass().getClassLoader(),
                                new Class<?>[] {PreparedStatement.class}, (p, m, a) -> {
                                    if (m.getName().equals("cancel")) {
                                        released.countDown(); // the read ends on its own ...
                                        throw cancelFailure;  // ... but the cancel request failed
                                    }
                                    Object r = invoke(ps, m, a);
                                    return r instanceof ResultSet rs ? slowSecondRow(rs, released) : r;
                                });
                    });
        };
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(15)), () -> {
            var rows = JdbcQuery.of(failingCancel, "SELECT X FROM SYSTEM_RANGE(1, 10)", rs -> rs.getInt(1))
                    .fetchSize(1).bufferSize(2).rows();
            assertThat(rows.next()).isEqualTo(1); // the read of row 2 is under way
            assertThatThrownBy(rows::aclose).isInstanceOf(CompletionException.class)
                    .hasMessageContaining("cancelling the read ahead failed").cause().isSameAs(cancelFailure);
        });
    }

    /** A result set whose second {@code next()} waits until {@code released}. */
    private static ResultSet slowSecondRow(ResultSet rs, CountDownLatch released) {
        var calls = new AtomicInteger();
        return (ResultSet) Proxy.newProxyInstance(ResultSet.class.getClassLoader(), new Class<?>[] {ResultSet.class},
                (p, m, a) -> {
                    if (m.getName().equals("next") && calls.incrementAndGet() == 2) {
                        released.await();
                    }
                    return invoke(rs, m, a);
                });
    }
}
