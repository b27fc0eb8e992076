package org.aio4j.jdbc;

import static org.aio4j.jdbc.Reflection.invoke;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/**
 * A call hung on the network, with a driver (or pool proxy) whose {@code Connection.abort} is not supported and whose
 * {@code Statement.cancel()} does nothing: nothing can end the call. The cancelled consumer must not wait for it, and
 * the connection must be closed when the call ends, not before (a pool would hand it out while it is busy).
 */
class AbortUnsupportedTest {

    private final List<String> events = new CopyOnWriteArrayList<>();

    @Test
    void aConsumerCancelledDuringACallThatCannotBeAbortedEndsAndTheCallClosesTheConnectionWhenItEnds()
            throws Exception {
        var executing = new CountDownLatch(1);
        var released = new CountDownLatch(1);
        var closed = new CountDownLatch(1);
        var abortFailure = new SQLFeatureNotSupportedException("abort is not supported");
        ConnectionFactory unabortable = () -> {
            Connection c = DriverManager.getConnection("jdbc:h2:mem:");
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "abort" -> throw abortFailure;
                            case "rollback", "commit" -> events.add(method.getName());
                            case "close" -> {
                                events.add("close");
                                closed.countDown();
                            }
                            default -> { }
                        }
                        Object result = invoke(c, method, args);
                        if (!(result instanceof PreparedStatement ps)) {
                            return result;
                        }
                        return Proxy.newProxyInstance(getClass().getClassLoader(),
                                new Class<?>[] {PreparedStatement.class}, (p, m, a) -> {
                                    if (m.getName().equals("executeQuery")) {
                                        executing.countDown();
                                        released.await(); // hung on the network; nothing the cursor does ends it
                                        events.add("call ended");
                                        throw new SQLException("connection reset");
                                    }
                                    if (m.getName().equals("cancel")) {
                                        return null; // the cancel request is lost
                                    }
                                    return invoke(ps, m, a);
                                });
                    });
        };
        try {
            AioTesting.runTest(TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(20)), () -> {
                var seen = new java.util.concurrent.atomic.AtomicReference<CancellationException>();
                Task<?> consumer = Aio.createTask(() -> {
                    try {
                        return JdbcQuery.of(unabortable, "SELECT 1", rs -> rs.getLong(1)).rows().toList();
                    } catch (CancellationException e) { // what the consumer sees; the task's awaiter gets a new one
                        seen.set(e);
                        throw e;
                    }
                });
                Aio.toThread(() -> {
                    executing.await();
                    return null;
                });
                consumer.cancel();
                assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
                assertThat(seen.get().getSuppressed()).singleElement()
                        .satisfies(s -> assertThat(s).hasMessageContaining("left to finish on its thread")
                                .cause().isSameAs(abortFailure));
                assertThat(events).as("nothing closed under the running call").isEmpty();

                released.countDown();
                Aio.toThread(() -> {
                    closed.await();
                    return null;
                });
                assertThat(events).containsExactly("call ended", "rollback", "close");
            });
        } finally {
            released.countDown();
        }
    }
}
