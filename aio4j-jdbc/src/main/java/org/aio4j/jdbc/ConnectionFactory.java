package org.aio4j.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Opens the connection a {@link JdbcQuery} runs on: {@code dataSource::getConnection}, or
 * {@code () -> DriverManager.getConnection(url)}. It is called off the event loop (it may block), once per
 * {@link JdbcCursor}, on a new virtual thread whatever the query's executor (so that a wait for a pool's free
 * connection takes no thread of a bounded executor; see {@link JdbcQuery#executor}); the cursor owns the connection
 * and closes it (a pool's connection goes back to the pool). If the cursor is cancelled while this waits, the
 * waiting thread is interrupted: give up the wait (throw) on an interrupt, as pools do (HikariCP does; H2's
 * {@code JdbcConnectionPool} 2.3 does not: it keeps retrying, busy, until its login timeout, 30 s by default, so set
 * a short one there); the interrupt status is cleared after the call.
 * A cancelled consumer waits 4 s at most for a factory that goes on: it is then left to finish on its thread, which
 * closes the connection it returns, and the consumer's exception carries a
 * {@link java.util.concurrent.CompletionException} saying so.
 * The role of asyncpg's {@code connect()} / {@code pool.acquire()}.
 */
@FunctionalInterface
public interface ConnectionFactory {

    /**
     * A new (or pooled) connection.
     *
     * @return an open connection, which the cursor closes
     * @throws SQLException if no connection can be had; it surfaces from the cursor's {@code hasNext()} wrapped in a
     *                      {@link java.util.concurrent.CompletionException}
     */
    Connection connect() throws SQLException;
}
