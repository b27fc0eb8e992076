package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
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

    private final RecordingConnections connections =
            new RecordingConnections(() -> DriverManager.getConnection("jdbc:h2:mem:"));
    private final AtomicInteger calls = new AtomicInteger();
    private final RejectedExecutionException refused = new RejectedExecutionException("queue full");

    /** An executor that runs the first {@code accepted} calls on virtual threads and refuses the others. */
    private Executor accepting(int accepted) {
        return command -> {
            if (calls.getAndIncrement() >= accepted) {
                throw refused;
            }
            Thread.ofVirtual().start(command);
        };
    }

    @Test
    void anExecutorThatRefusesAReadStillGetsTheConnectionClosed() throws Exception {
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            var rows = JdbcQuery.of(connections, "SELECT X FROM SYSTEM_RANGE(1, 10)", rs -> rs.getInt(1))
                    .executor(accepting(1)).rows();
            assertThatThrownBy(rows::hasNext).isSameAs(refused);
        });
        assertThat(calls.get()).as("open, then the refused read").isGreaterThanOrEqualTo(2);
        assertThat(connections.connections).hasSize(1);
        assertThat(connections.allClosed()).as("statement and connection closed").isTrue();
    }

    /** A refused read ahead is a failure of reading like another: it surfaces after the rows read before it. */
    @Test
    void anExecutorThatRefusesAReadAheadFailsAfterTheRowsReadBeforeIt() throws Exception {
        List<Integer> got = new ArrayList<>();
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            var rows = JdbcQuery.of(connections, "SELECT X FROM SYSTEM_RANGE(1, 10)", rs -> rs.getInt(1))
                    .fetchSize(2).bufferSize(4).executor(accepting(2)).rows(); // open, read 1-2, read ahead
            assertThatThrownBy(() -> {
                for (int i : rows) {
                    got.add(i);
                }
            }).isSameAs(refused);
        });
        assertThat(got).containsExactly(1, 2);
        assertThat(connections.allClosed()).as("statement and connection closed").isTrue();
    }
}
