package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.DriverManager;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/**
 * A cursor's blocking calls say what they are, the step and the query, wherever the loop names an offloaded call: in
 * its task dump (so in runTest's timeout message, for a consumer stuck on an exhausted pool) and in an executor's
 * refusal.
 */
class JdbcCallNamesTest {

    private static final TestOptions REAL_CLOCK =
            TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(20));

    @Test
    void aCallWaitingForAPooledConnectionIsNamedInTheTaskDumpWithItsQuery() throws Exception {
        var exhaustedPool = new ExhaustedPool();
        String dump = AioTesting.runTest(REAL_CLOCK, () -> {
            Task<?> consumer = Aio.createTask(() -> JdbcQuery.of(exhaustedPool, "SELECT 1", rs -> 1).rows().toList());
            exhaustedPool.untilConnectWaits();
            String d = Aio.getRunningLoop().dumpTasks();
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            return d;
        });
        assertThat(dump).contains("in flight: offloaded call JdbcCursor connecting, query: SELECT 1 running on ");
        assertThat(dump).as("the consumer is shown waiting at the line of its query, not inside the JDBC module")
                .containsPattern("Task-1 waits on .* at org\\.aio4j\\.jdbc\\.JdbcCallNamesTest\\.lambda\\$");
    }

    @Test
    void anExecutorsRefusalNamesTheStepAndTheQuery() throws Exception {
        ExecutorService shutDown = Executors.newSingleThreadExecutor();
        shutDown.shutdown();
        AioTesting.runTest(REAL_CLOCK, () -> {
            var rows = JdbcQuery.of(() -> DriverManager.getConnection("jdbc:h2:mem:"), "SELECT 42", rs -> 1)
                    .executor(shutDown).rows();
            assertThatThrownBy(rows::hasNext).isInstanceOf(RejectedExecutionException.class)
                    .hasMessageStartingWith("Task offloaded call JdbcCursor executing, query: SELECT 42 (queued)"
                            + " rejected from ");
        });
    }
}
