package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.aio4j.Aio;
import org.aio4j.Event;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A consumer cancelled while its cursor's next call waits, not started, in the queue of the query's executor: a
 * bounded pool (see {@link JdbcQuery#executor}, to cap the statements running at once) whose only thread is busy with
 * another query; or while it connects, which does not wait for that thread. The cancellation must end the consumer,
 * with its connection closed, instead of waiting until the other query frees the thread: the queued call is dropped,
 * and the cursor does not queue its close there either.
 */
class QueuedCallCancelTest {

    private static final TestOptions REAL_CLOCK =
            TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(20));

    private final ConnectionFactory database = () -> DriverManager.getConnection("jdbc:h2:mem:");
    private final ExecutorService oneThread = Executors.newFixedThreadPool(1);
    private final CountDownLatch threadTaken = new CountDownLatch(1);
    /** Counted down when the test is over: the other query gives the pool's thread back. */
    private final CountDownLatch giveTheThreadBack = new CountDownLatch(1);

    @AfterEach
    void shutDown() {
        giveTheThreadBack.countDown();
        oneThread.shutdownNow();
    }

    @Test
    void aConsumerCancelledBeforeItsQueryStarted() throws Exception {
        var connections = new RecordingConnections(database);
        AioTesting.runTest(REAL_CLOCK, () -> {
            Task<List<Integer>> other = takeThePoolsThread();
            var queryQueued = new Event();
            Executor oneThreadTelling = command -> { // called on the loop, by runInExecutor
                oneThread.execute(command);
                queryQueued.set();
            };
            Task<List<Integer>> consumer = Aio.createTask(() ->
                    JdbcQuery.of(connections, "SELECT 1", rs -> 1).executor(oneThreadTelling).rows().toList());
            queryQueued.await(); // connected (not on the pool's thread), its query waits for the thread
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            assertThat(connections.connections).hasSize(1);
            assertThat(connections.allClosed()).isTrue();
            giveTheThreadBack.countDown();
            assertThat(other.await()).containsExactly(1, 2, 3);
        });
    }

    /** Cancelled while it waits for a pool's free connection: interrupted there, it closes nothing, and ends. */
    @Test
    void aConsumerCancelledWhileItConnects() throws Exception {
        var exhaustedPool = new ExhaustedPool();
        AioTesting.runTest(REAL_CLOCK, () -> {
            Task<List<Integer>> other = takeThePoolsThread();
            Task<List<Integer>> consumer = Aio.createTask(() ->
                    JdbcQuery.of(exhaustedPool, "SELECT 1", rs -> 1).executor(oneThread).rows().toList());
            exhaustedPool.untilConnectWaits();
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            assertThat(exhaustedPool.interrupted.getCount()).isZero();
            giveTheThreadBack.countDown();
            assertThat(other.await()).containsExactly(1, 2, 3);
        });
    }

    @Test
    void aConsumerCancelledWhileItsNextBatchWaitsForTheThread() throws Exception {
        var connections = new RecordingConnections(database);
        AioTesting.runTest(REAL_CLOCK, () -> {
            var nextBatchQueued = new Event();
            Task<List<Integer>>[] other = new Task[1];
            Task<Integer> consumer = Aio.createTask(() -> {
                var rows = JdbcQuery.of(connections, "SELECT X FROM SYSTEM_RANGE(1, 3)", rs -> rs.getInt(1))
                        .fetchSize(1).bufferSize(1).executor(oneThread).rows(); // no read ahead
                assertThat(rows.next()).isEqualTo(1);
                other[0] = takeThePoolsThread();
                nextBatchQueued.set(); // the test body runs when the next() below has submitted its read
                return rows.next();
            });
            nextBatchQueued.await();
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            assertThat(connections.connections).hasSize(1);
            assertThat(connections.allClosed()).isTrue();
            giveTheThreadBack.countDown();
            assertThat(other[0].await()).containsExactly(1, 2, 3);
        });
    }

    /** Starts another query, whose mapper holds the pool's only thread until the test is over. */
    private Task<List<Integer>> takeThePoolsThread() throws Exception {
        Task<List<Integer>> other = Aio.createTask(() ->
                JdbcQuery.of(database, "SELECT X FROM SYSTEM_RANGE(1, 3)", rs -> {
                    threadTaken.countDown();
                    try {
                        giveTheThreadBack.await();
                    } catch (InterruptedException e) {
                        throw new SQLException(e);
                    }
                    return rs.getInt(1);
                }).executor(oneThread).rows().toList());
        Aio.toThread(() -> {
            threadTaken.await();
            return null;
        });
        return other;
    }
}
