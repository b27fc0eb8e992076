package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
        var exhaustedPool = new ExhaustedPool();
        ExecutorService oneThread = Executors.newSingleThreadExecutor();
        try {
            boolean leftInterrupted = AioTesting.runTest(
                    TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(20)), () -> {
                        Task<?> consumer = Aio.createTask(() ->
                                JdbcQuery.of(exhaustedPool, "SELECT 1", rs -> 1).executor(oneThread).rows().toList());
                        exhaustedPool.untilConnectWaits();
                        consumer.cancel();
                        assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
                        // the executor's thread is not left interrupted for its next task (connect() ran on a
                        // thread of its own)
                        return Aio.getRunningLoop().runInExecutor(oneThread,
                                () -> Thread.currentThread().isInterrupted()).await();
                    });
            assertThat(exhaustedPool.interrupted.getCount()).isZero();
            assertThat(leftInterrupted).isFalse();
        } finally {
            oneThread.shutdownNow();
            assertThat(oneThread.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * A pool that does not give up its wait when interrupted (H2's {@code JdbcConnectionPool} retries until its login
     * timeout): the consumer stops waiting for it, and what it gets says what went on, not a statement cancel and a
     * connection abort that never happened. The connection that comes at last is closed by the waiting thread.
     */
    @Test
    void aPoolThatIgnoresTheInterruptIsLeftToFinishAndTheConsumerIsToldSo() throws Exception {
        var waiting = new CountDownLatch(1);
        var giveAConnection = new CountDownLatch(1);
        var closed = new CountDownLatch(1);
        ConnectionFactory deafPool = () -> {
            waiting.countDown();
            while (giveAConnection.getCount() > 0) {
                try {
                    giveAConnection.await();
                } catch (InterruptedException retry) {
                    // as a pool that retries until its timeout
                }
            }
            Connection c = DriverManager.getConnection("jdbc:h2:mem:");
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, m, args) -> {
                        Object result = Reflection.invoke(c, m, args);
                        if (m.getName().equals("close")) {
                            closed.countDown();
                        }
                        return result;
                    });
        };
        try {
            AioTesting.runTest(TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(20)), () -> {
                var seen = new AtomicReference<CancellationException>();
                Task<?> consumer = Aio.createTask(() -> {
                    try {
                        return JdbcQuery.of(deafPool, "SELECT 1", rs -> 1).rows().toList();
                    } catch (CancellationException e) { // what the consumer sees; the task's awaiter gets a new one
                        seen.set(e);
                        throw e;
                    }
                });
                Aio.toThread(() -> {
                    waiting.await();
                    return null;
                });
                consumer.cancel();
                assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
                assertThat(seen.get().getSuppressed()).singleElement().satisfies(s -> assertThat(s)
                        .hasMessage("ConnectionFactory.connect() did not give up when its thread was interrupted, and"
                                + " went on for 4000 ms; it was left to finish on its thread, which closes the"
                                + " connection it returns, query: SELECT 1")
                        .hasNoCause());

                giveAConnection.countDown();
                Aio.toThread(() -> {
                    closed.await();
                    return null;
                });
            });
        } finally {
            giveAConnection.countDown();
        }
    }

    @Test
    void anInterruptThatWasThereBeforeTheCancellationIsNotCleared() {
        // Someone else (an executor's shutdownNow) interrupts the thread waiting for a connection; the pool gives up
        // with the interrupt re-asserted, and the cursor is cancelled in that window: the interrupt is not the
        // cursor's, and the thread must still carry it when connect() returns.
        var cursor = new AtomicReference<BlockingCursor<Integer>>();
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
            assertThatThrownBy(cursor.get()::connect).isInstanceOf(SQLException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
