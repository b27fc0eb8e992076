package org.aio4j.jdbc;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link ConnectionFactory} that remembers every connection it opened and every statement prepared on them, so
 * that tests can ask the driver itself whether they were closed.
 */
final class RecordingConnections implements ConnectionFactory {

    private final ConnectionFactory real;
    final List<Connection> connections = new CopyOnWriteArrayList<>();
    final List<PreparedStatement> statements = new CopyOnWriteArrayList<>();

    RecordingConnections(ConnectionFactory real) {
        this.real = real;
    }

    @Override
    public Connection connect() throws SQLException {
        Connection c = real.connect();
        connections.add(c);
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    Object result = Reflection.invoke(c, method, args);
                    if (result instanceof PreparedStatement ps) {
                        statements.add(ps);
                    }
                    return result;
                });
    }

    /** Whether every connection and statement opened so far is closed, as the driver says. */
    boolean allClosed() throws SQLException {
        for (Connection c : connections) {
            if (!c.isClosed()) {
                return false;
            }
        }
        for (PreparedStatement s : statements) {
            if (!s.isClosed()) {
                return false;
            }
        }
        return true;
    }
}
