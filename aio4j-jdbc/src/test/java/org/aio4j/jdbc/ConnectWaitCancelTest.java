package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/**
 * A consumer cancelled while its cursor waits in {@link ConnectionFactory#connect()} for a connection of an exhausted
 * pool: the wait is interrupted (as pools such as HikariCP, DBCP and c3p0 expect), so the cancellation ends the
 * consumer instead of waiting for the pool's timeout, or for ever with a pool that has none.
 */
class ConnectWaitCancelTest {

    @Test
    void aConsumerCancelledWhileWaitingForAPooledConnectionEndsAndLeavesNoInterruptBehind() throws Exception {
        var waiting = new CountDownLatch(1);
        var interrupted = new CountDownLatch(1);
        ConnectionFactory exhaustedPool = () -> {
            waiting.countDown();
            try {
                new CountDownLatch(1).await(); // no connection is ever given back: the pool has no timeout
                throw new AssertionError("unreachable");
            } catch (InterruptedException e) {
                interrupted.countDown();
                Thread.currentThread().interrupt(); // as a well-behaved pool does
                throw new SQLException("interrupted while waiting for a connection", e);
            }
        };
        ExecutorService oneThread = Executors.newSingleThreadExecutor();
        try {
            boolean leftInterrupted = AioTesting.runTest(
                    TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(20)), () -> {
                        Task<?> consumer = Aio.createTask(() ->
                                JdbcQuery.of(exhaustedPool, "SELECT 1", rs -> 1).executor(oneThread).rows().toList());
                        Aio.toThread(() -> {
                            waiting.await();
                            return null;
                        });
                        consumer.cancel();
                        assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
                        // the executor's thread, which ran connect(), is not left interrupted for its next task
                        return Aio.getRunningLoop().runInExecutor(oneThread,
                                () -> Thread.currentThread().isInterrupted()).await();
                    });
            assertThat(interrupted.getCount()).isZero();
            assertThat(leftInterrupted).isFalse();
        } finally {
            oneThread.shutdownNow();
            assertThat(oneThread.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void anInterruptThatWasThereBeforeTheCancellationIsNotCleared() {
        // Someone else (an executor's shutdownNow) interrupts the thread waiting for a connection; the pool gives up
        // with the interrupt re-asserted, and the cursor is cancelled in that window: the interrupt is not the
        // cursor's, and the thread must still carry it when open() returns.
        var cursor = new java.util.concurrent.atomic.AtomicReference<BlockingCursor<Integer>>();
        ConnectionFactory interruptedPool = () -> {
            Thread.currentThread().interrupt(); // the foreign interrupt, which the pool kept as it should
            try {
                cursor.get().cancel();
            } catch (SQLException e) {
                throw new AssertionError(e);
            }
            throw new SQLException("interrupted while waiting for a connection");
        };
        cursor.set(new BlockingCursor<>(JdbcQuery.of(interruptedPool, "SELECT 1", rs -> 1)));
        try {
            assertThatThrownBy(cursor.get()::open).isInstanceOf(SQLException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
