package org.aio4j.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CountDownLatch;
import org.aio4j.Aio;

/**
 * A {@link ConnectionFactory} standing for an exhausted pool without a timeout: {@code connect()} waits for a
 * connection that is never given back, until its thread is interrupted; then it gives up, as pools do, with the
 * interrupt status set again and an {@link SQLException}.
 */
final class ExhaustedPool implements ConnectionFactory {

    private final CountDownLatch waiting = new CountDownLatch(1);
    /** Counted down when the wait was interrupted. */
    final CountDownLatch interrupted = new CountDownLatch(1);

    /** Suspends the calling task until {@code connect()} waits (a blocking wait, done off the loop). */
    void untilConnectWaits() throws Exception {
        Aio.toThread(() -> {
            waiting.await();
            return null;
        });
    }

    @Override
    public Connection connect() throws SQLException {
        waiting.countDown();
        try {
            new CountDownLatch(1).await(); // no connection is ever given back: the pool has no timeout
            throw new AssertionError("unreachable");
        } catch (InterruptedException e) {
            interrupted.countDown();
            Thread.currentThread().interrupt(); // as a well-behaved pool does
            throw new SQLException("interrupted while waiting for a connection", e);
        }
    }
}
