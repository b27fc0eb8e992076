package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.ExceptionContext;
import org.aio4j.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The event loop closes while a cancelled consumer's clean-up waits for the JDBC call it cancelled: the close lifts
 * the clean-up's shield, and the consumer's task unwinds. The connection must still be closed, by the call's thread
 * when the call ends (not before: it is busy), with nothing left waiting on the closed loop.
 */
class LoopClosingDuringCleanupTest {

    private final List<ExceptionContext> reports = new CopyOnWriteArrayList<>();

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // the old code never closed the connection: this waited for ever
    void theConnectionIsClosedWhenTheCallEnds() throws Exception {
        var hanging = new HungCallDriver(new SQLFeatureNotSupportedException("no abort"));
        List<String> events = hanging.events;
        EventLoop loop = EventLoop.builder().exceptionHandler((l, context) -> reports.add(context)).build();
        try {
            loop.runUntilComplete(() -> {
                Task<?> consumer = Aio.createTask(() ->
                        JdbcQuery.of(hanging, "SELECT 1", rs -> rs.getLong(1)).rows().toList());
                Aio.toThread(() -> {
                    hanging.executing.await();
                    return null;
                });
                consumer.cancel();
                Aio.toThread(() -> { // the consumer's clean-up waits for the call it cancels
                    hanging.cancelRequested.await();
                    return null;
                });
                return null;
            });
        } finally {
            loop.close(); // lifts the clean-up's shield: the consumer unwinds while the call runs on
            assertThat(events).as("nothing closed under the running call").isEmpty();
            hanging.released.countDown();
        }
        hanging.closed.await();
        assertThat(events).containsExactly("call ended", "rollback", "close");
        assertThat(reports).extracting(ExceptionContext::message)
                .containsExactly("Task was still pending when its event loop closed; it was cancelled");
    }
}
