package org.aio4j.jdbc;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small connection pool for the tests, strict about its borrowers: a fair semaphore of {@code size} permits over
 * {@code size} H2 connections, handing out a handle per {@code connect()} whose {@code close()} gives the connection
 * back (rolled back, autocommit on, as real pools do). It records every breach of the pool contract: a handle closed
 * while a call on it (or on its statements and result sets) is still running, a handle used or closed again after it
 * was closed.
 * Waiting for a permit is interruptible, as with HikariCP or c3p0.
 */
final class SmallPool implements ConnectionFactory, AutoCloseable {

    private final int size;
    private final Semaphore permits;
    private final ArrayDeque<Connection> free = new ArrayDeque<>();
    private final List<Connection> all = new ArrayList<>();
    final List<String> breaches = new CopyOnWriteArrayList<>();
    final AtomicInteger handedOut = new AtomicInteger();
    final AtomicInteger givenBack = new AtomicInteger();
    final AtomicInteger interruptedWaits = new AtomicInteger();

    SmallPool(String url, int size) throws SQLException {
        this.size = size;
        this.permits = new Semaphore(size, true);
        for (int i = 0; i < size; i++) {
            Connection c = DriverManager.getConnection(url);
            all.add(c);
            free.add(c);
        }
    }

    @Override
    public Connection connect() throws SQLException {
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            interruptedWaits.incrementAndGet();
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a pooled connection", e);
        }
        Connection physical;
        synchronized (this) {
            physical = free.poll();
        }
        handedOut.incrementAndGet();
        return new Handle(physical).proxy;
    }

    /** Whether every connection is back and open, every permit free: the pool is as it was made. */
    synchronized String state() throws SQLException {
        int open = 0;
        for (Connection c : all) {
            open += c.isClosed() ? 0 : 1;
        }
        return "free=" + free.size() + "/" + size + " permits=" + permits.availablePermits() + " open=" + open;
    }

    String expectedState() {
        return "free=" + size + "/" + size + " permits=" + size + " open=" + size;
    }

    @Override
    public void close() throws SQLException {
        for (Connection c : all) {
            c.close();
        }
    }

    /** One borrowing of a connection: its calls in progress, whether it was given back. */
    private final class Handle {
        final Connection physical;
        final Connection proxy;
        final AtomicInteger running = new AtomicInteger();
        final List<Statement> statements = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        Handle(Connection physical) {
            this.physical = physical;
            this.proxy = (Connection) wrap(physical, Connection.class);
        }

        private Object wrap(Object target, Class<?> type) {
            return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
                String name = m.getName();
                if (type == Connection.class && name.equals("close")) {
                    giveBack();
                    return null;
                }
                if (closed && !name.equals("isClosed") && !name.equals("toString")) {
                    breaches.add(type.getSimpleName() + "." + name + " called after the connection was given back");
                }
                if (type == Connection.class && name.equals("abort")) {
                    breaches.add("a pooled connection was aborted"); // not expected in this test: no call hangs
                }
                running.incrementAndGet();
                Object result;
                try {
                    result = Reflection.invoke(target, m, args);
                } finally {
                    running.decrementAndGet();
                }
                if (result instanceof ResultSet rs && m.getReturnType() == ResultSet.class) {
                    return wrap(rs, ResultSet.class);
                }
                if (result instanceof Statement s && Statement.class.isAssignableFrom(m.getReturnType())) {
                    statements.add(s);
                    return wrap(s, m.getReturnType());
                }
                return result;
            });
        }

        private void giveBack() throws SQLException {
            synchronized (this) {
                if (closed) {
                    breaches.add("a connection was closed again after it was given back");
                    return;
                }
                closed = true;
            }
            if (running.get() != 0) {
                breaches.add("a connection was given back while " + running.get() + " call(s) on it were running");
            }
            for (Statement s : statements) {
                if (!s.isClosed()) {
                    breaches.add("a connection was given back with a statement still open");
                }
            }
            physical.rollback();
            physical.setAutoCommit(true);
            givenBack.incrementAndGet();
            synchronized (SmallPool.this) {
                free.add(physical);
            }
            permits.release();
        }
    }
}
