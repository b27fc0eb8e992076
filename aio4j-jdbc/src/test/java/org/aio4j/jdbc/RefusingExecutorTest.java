package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.DriverManager;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/**
 * The query's executor refuses a call once the connection is open (a bounded pool whose queue is full, an executor
 * shut down while cursors are open): the refusal reaches the consumer, and the connection is closed all the same,
 * not leaked (a pooled connection that is never closed is lost to its pool).
 */
class RefusingExecutorTest {

    @Test
    void anExecutorThatRefusesAReadStillGetsTheConnectionClosed() throws Exception {
        var connections = new RecordingConnections(() -> DriverManager.getConnection("jdbc:h2:mem:"));
        var calls = new AtomicInteger();
        var refused = new RejectedExecutionException("queue full");
        Executor acceptsOnlyTheFirstCall = command -> {
            if (calls.getAndIncrement() > 0) {
                throw refused;
            }
            Thread.ofVirtual().start(command);
        };
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            var rows = JdbcQuery.of(connections, "SELECT X FROM SYSTEM_RANGE(1, 10)", rs -> rs.getInt(1))
                    .executor(acceptsOnlyTheFirstCall).rows();
            assertThatThrownBy(rows::hasNext).isSameAs(refused);
        });
        assertThat(calls.get()).as("open, then the refused read").isGreaterThanOrEqualTo(2);
        assertThat(connections.connections).hasSize(1);
        assertThat(connections.allClosed()).as("statement and connection closed").isTrue();
    }
}
