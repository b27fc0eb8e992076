package org.aio4j.jdbc;

import static org.aio4j.jdbc.Reflection.invoke;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A driver the cursor cannot stop: H2 connections whose query hangs (as on a dead network) until {@link #released},
 * whose {@code Statement.cancel()} is lost and whose {@code Connection.abort} throws {@code abortFailure}. It records,
 * in order, the end of the call, the transaction's end and the connection's close.
 */
final class HungCallDriver implements ConnectionFactory {

    /** "call ended", "rollback" / "commit", "close", as they happen. */
    final List<String> events = new CopyOnWriteArrayList<>();
    /** Counted down when the query starts executing. */
    final CountDownLatch executing = new CountDownLatch(1);
    /** Counted down when the cursor asks the statement to cancel. */
    final CountDownLatch cancelRequested = new CountDownLatch(1);
    /** The test counts it down to let the hung query end (with "connection reset"). */
    final CountDownLatch released = new CountDownLatch(1);
    /** Counted down when the connection is closed. */
    final CountDownLatch closed = new CountDownLatch(1);
    private final SQLException abortFailure;

    HungCallDriver(SQLException abortFailure) {
        this.abortFailure = abortFailure;
    }

    @Override
    public Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:h2:mem:");
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "abort" -> throw abortFailure;
                        case "rollback", "commit" -> events.add(method.getName());
                        case "close" -> {
                            events.add("close");
                            closed.countDown();
                        }
                        default -> { }
                    }
                    Object result = invoke(c, method, args);
                    return result instanceof PreparedStatement ps ? hanging(ps) : result;
                });
    }

    private PreparedStatement hanging(PreparedStatement ps) {
        return (PreparedStatement) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {PreparedStatement.class}, (p, m, a) -> {
                    if (m.getName().equals("executeQuery")) {
                        executing.countDown();
                        released.await(); // nothing the cursor does ends it
                        events.add("call ended");
                        throw new SQLException("connection reset");
                    }
                    if (m.getName().equals("cancel")) {
                        cancelRequested.countDown();
                        return null; // the cancel request is lost
                    }
                    return invoke(ps, m, a);
                });
    }
}
