package org.aio4j.jdbc;

import static org.aio4j.jdbc.Reflection.invoke;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

class CancelFailureAbortTest {

    /**
     * A driver whose Statement.cancel() fails (pgjdbc when it cannot open its cancel connection: the very case of a
     * call hung on the network) must still see the connection aborted after ABORT_AFTER, not a consumer hung for ever.
     */
    @Test
    void aFailingCancelStillEndsInAnAbort() throws Exception {
        var executing = new CountDownLatch(1);
        var aborted = new CountDownLatch(1);
        ConnectionFactory hanging = () -> {
            Connection c = DriverManager.getConnection("jdbc:h2:mem:");
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("abort")) {
                            aborted.countDown();
                            return null;
                        }
                        Object result = invoke(c, method, args);
                        if (!(result instanceof PreparedStatement ps)) {
                            return result;
                        }
                        return Proxy.newProxyInstance(getClass().getClassLoader(),
                                new Class<?>[] {PreparedStatement.class}, (p, m, a) -> {
                                    if (m.getName().equals("executeQuery")) {
                                        executing.countDown();
                                        aborted.await(); // hung on the network until the connection is aborted
                                        throw new SQLException("connection aborted");
                                    }
                                    if (m.getName().equals("cancel")) {
                                        throw new SQLException("cancel failed: could not connect");
                                    }
                                    return invoke(ps, m, a);
                                });
                    });
        };
        try {
            AioTesting.runTest(TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(15)), () -> {
                Task<?> consumer = Aio.createTask(() ->
                        JdbcQuery.of(hanging, "SELECT 1", rs -> rs.getLong(1)).rows().toList());
                Aio.toThread(() -> {
                    executing.await();
                    return null;
                });
                consumer.cancel();
                assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            });
        } finally {
            aborted.countDown();
        }
    }
}
