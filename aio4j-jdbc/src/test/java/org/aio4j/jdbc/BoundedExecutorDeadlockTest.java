package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Cursors sharing a bounded executor ({@link JdbcQuery#executor}) with a single thread wait for one another through
 * what one holds and the other wants: a pool's connection, the locks of a transaction. The call waiting for it must
 * not take the thread that the cursor holding it needs to give it back, and the call giving it back must not wait
 * behind the calls that wait for it: either way no cursor could go on, until the pool's or the lock's timeout (here
 * longer than the test's).
 */
class BoundedExecutorDeadlockTest {

    private static final TestOptions REAL_CLOCK =
            TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(20));

    private final ExecutorService oneThread = Executors.newFixedThreadPool(1);

    @AfterEach
    void shutDown() {
        oneThread.shutdownNow();
    }

    @Test
    void aCursorWaitingForAPooledConnectionLetsTheCursorHoldingItReadOnAndGiveItBack() throws Exception {
        String url = "jdbc:h2:mem:aio4j_bounded_" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (var pool = new SmallPool(url, 1)) { // waits for a free connection without a timeout
            List<Integer> got = new ArrayList<>();
            List<Integer> waiterGot = AioTesting.runTest(REAL_CLOCK, () -> {
                var holder = JdbcQuery.of(pool, "SELECT X FROM SYSTEM_RANGE(1, 3)", rs -> rs.getInt(1))
                        .fetchSize(1).bufferSize(1).executor(oneThread).rows(); // no read ahead
                Task<List<Integer>> waiter;
                try (holder) {
                    got.add(holder.next()); // the holder has the pool's only connection
                    waiter = Aio.createTask(() -> JdbcQuery.of(pool, "SELECT 7", rs -> rs.getInt(1))
                            .executor(oneThread).rows().toList());
                    Aio.sleep(0); // the waiter's cursor waits for that connection, before the holder reads on
                    for (int x : holder) {
                        got.add(x);
                    }
                }
                return waiter.await();
            });
            assertThat(got).containsExactly(1, 2, 3);
            assertThat(waiterGot).containsExactly(7);
            assertThat(pool.breaches).isEmpty();
            assertThat(pool.givenBack.get()).isEqualTo(pool.handedOut.get()).isEqualTo(2);
            assertThat(pool.state()).isEqualTo(pool.expectedState());
        }
    }

    @Test
    void aCursorsCloseDoesNotWaitBehindAStatementWaitingForTheLockItsTransactionHolds() throws Exception {
        String url = "jdbc:h2:mem:aio4j_locks_" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=600000";
        try (Connection admin = DriverManager.getConnection(url)) {
            admin.createStatement().execute("CREATE TABLE T(ID INT PRIMARY KEY, V INT); INSERT INTO T VALUES (1, 10)");
            var executing = new CountDownLatch(2); // the holder's statement, then the waiter's
            var connections = new RecordingConnections(() -> countingExecutions(DriverManager.getConnection(url),
                    executing));
            JdbcQuery<Integer> lockTheRow = JdbcQuery.of(connections, "SELECT V FROM T WHERE ID = 1 FOR UPDATE",
                    rs -> rs.getInt(1)).executor(oneThread);
            List<Integer> waiterGot = AioTesting.runTest(REAL_CLOCK, () -> {
                Task<List<Integer>> waiter;
                try (var holder = lockTheRow.rows()) {
                    assertThat(holder.next()).isEqualTo(10); // all its rows read; its transaction locks the row
                    waiter = Aio.createTask(() -> lockTheRow.rows().toList());
                    Aio.toThread(() -> {
                        executing.await(); // the waiter's statement has the thread; it waits for the row's lock
                        return null;
                    });
                } // the holder's close commits, and the waiter's statement goes on
                return waiter.await();
            });
            assertThat(waiterGot).containsExactly(10);
            assertThat(connections.connections).hasSize(2);
            assertThat(connections.allClosed()).isTrue();
        }
    }

    /** {@code c}, whose statements count {@code executing} down as their {@code executeQuery} begins. */
    private static Connection countingExecutions(Connection c, CountDownLatch executing) {
        return (Connection) Proxy.newProxyInstance(BoundedExecutorDeadlockTest.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    Object result = Reflection.invoke(c, method, args);
                    if (result instanceof PreparedStatement ps) {
                        return Proxy.newProxyInstance(BoundedExecutorDeadlockTest.class.getClassLoader(),
                                new Class<?>[] {PreparedStatement.class}, (p, m, a) -> {
                                    if (m.getName().equals("executeQuery")) {
                                        executing.countDown();
                                    }
                                    return Reflection.invoke(ps, m, a);
                                });
                    }
                    return result;
                });
    }
}
