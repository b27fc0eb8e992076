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
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/**
 * The consuming task is cancelled while the cursor closes (its clean-up defers the cancellation), and the close
 * fails. The cancellation is the task's outcome, so that a Timeout or TaskGroup around it sees a cancellation and not
 * an error; the close's failure rides on it.
 */
class CancelDuringCloseTest {

    private final SQLException closeFailure = new SQLException("result set close failed");
    private final CountDownLatch closing = new CountDownLatch(1);
    private final CountDownLatch cancelled = new CountDownLatch(1);

    @Test
    void aCursorReadToTheEnd() throws Exception {
        assertCancelledCarryingTheCloseFailure(rows -> {
            while (rows.hasNext()) {
                rows.next();
            }
        });
    }

    @Test
    void aCursorClosedByItsConsumer() throws Exception {
        assertCancelledCarryingTheCloseFailure(rows -> {
            rows.next();
            rows.aclose();
        });
    }

    private interface Consumer {
        void consume(JdbcCursor<Integer> rows) throws Exception;
    }

    private void assertCancelledCarryingTheCloseFailure(Consumer consumer) throws Exception {
        ConnectionFactory slowFailingClose = () -> failingClose(DriverManager.getConnection("jdbc:h2:mem:"));
        try {
            AioTesting.runTest(TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(15)), () -> {
                var seen = new AtomicReference<Throwable>();
                Task<?> task = Aio.createTask(() -> {
                    try {
                        consumer.consume(JdbcQuery.of(slowFailingClose, "SELECT X FROM SYSTEM_RANGE(1, 3)",
                                rs -> rs.getInt(1)).rows());
                    } catch (Throwable e) {
                        seen.set(e);
                        throw e;
                    }
                    return null;
                });
                Aio.toThread(() -> {
                    closing.await();
                    return null;
                });
                task.cancel(); // deferred: the clean-up runs on
                cancelled.countDown();
                assertThatThrownBy(task::await).isInstanceOf(CancellationException.class);
                assertThat(task.isCancelled()).isTrue();
                assertThat(seen.get()).isInstanceOf(CancellationException.class);
                assertThat(seen.get().getSuppressed()).singleElement()
                        .satisfies(s -> assertThat(s).hasMessageContaining("closing failed").cause()
                                .isSameAs(closeFailure));
            });
        } finally {
            cancelled.countDown();
        }
    }

    /** {@code c}, whose result sets' {@code close()} waits until the consumer is cancelled, then fails. */
    private Connection failingClose(Connection c) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, m, args) -> {
                    Object r = invoke(c, m, args);
                    if (!(r instanceof PreparedStatement ps)) {
                        return r;
                    }
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {PreparedStatement.class},
                            (p, pm, pa) -> {
                                Object v = invoke(ps, pm, pa);
                                return v instanceof ResultSet rs ? failingClose(rs) : v;
                            });
                });
    }

    private ResultSet failingClose(ResultSet rs) {
        return (ResultSet) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ResultSet.class},
                (q, m, a) -> {
                    if (m.getName().equals("close")) {
                        invoke(rs, m, a);
                        closing.countDown();
                        cancelled.await();
                        throw closeFailure;
                    }
                    return invoke(rs, m, a);
                });
    }
}
