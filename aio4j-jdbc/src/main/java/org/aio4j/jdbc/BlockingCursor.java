package org.aio4j.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * The blocking half of a {@link JdbcCursor}: the JDBC objects of one query, used off the loop. {@link #open},
 * {@link #read} and {@link #close} run one after another, each on an executor thread, each started by the loop after
 * the previous one ended (so each sees the effects of the previous one). {@link #cancel} may run at the same time
 * as one of them, from another thread: it is JDBC's {@link java.sql.Statement#cancel()}, made for that.
 */
final class BlockingCursor<R> {

    /** Rows read by one {@link #read}, and how the reading ended. */
    record Batch<R>(List<R> rows, boolean exhausted, Throwable failure) {
    }

    private final JdbcQuery<R> query;
    private Connection connection;
    private ResultSet resultSet;
    /** Published under the lock for {@link #cancel} from another thread. */
    private PreparedStatement statement;
    private boolean cancelled;

    BlockingCursor(JdbcQuery<R> query) {
        this.query = query;
    }

    /**
     * Connects, prepares and executes the query. Autocommit is turned off so that drivers that stream only inside a
     * transaction (PostgreSQL) use a server-side cursor; the fetch size is set.
     */
    void open() throws SQLException {
        Connection c = query.connections().connect();
        if (c == null) {
            throw new SQLException("ConnectionFactory returned null instead of a connection");
        }
        connection = c;
        c.setAutoCommit(false);
        PreparedStatement ps = c.prepareStatement(query.sql(), ResultSet.TYPE_FORWARD_ONLY,
                ResultSet.CONCUR_READ_ONLY);
        synchronized (this) {
            statement = ps;
            if (cancelled) {
                throw new CancellationException("JdbcCursor cancelled before its query was executed");
            }
        }
        ps.setFetchSize(query.fetchSize());
        List<Object> parameters = query.parameterList();
        for (int i = 0; i < parameters.size(); i++) {
            ps.setObject(i + 1, parameters.get(i));
        }
        resultSet = ps.executeQuery();
    }

    /**
     * Reads and maps up to {@code max} rows. A failure of the driver or the mapper ends the batch: the rows before it
     * are returned with it, so that none is lost.
     */
    Batch<R> read(int max) {
        List<R> rows = new ArrayList<>(max);
        RowMapper<? extends R> mapper = query.mapper();
        try {
            while (rows.size() < max) {
                if (!resultSet.next()) {
                    return new Batch<>(rows, true, null);
                }
                rows.add(mapper.map(resultSet));
            }
            return new Batch<>(rows, false, null);
        } catch (Exception | Error e) {
            return new Batch<>(rows, true, e);
        }
    }

    /** Asks the driver to abort the statement being executed or fetched, if any; safe from any thread. */
    void cancel() throws SQLException {
        PreparedStatement ps;
        synchronized (this) {
            cancelled = true;
            ps = statement;
        }
        if (ps != null) {
            ps.cancel();
        }
    }

    /**
     * Closes the result set, the statement and the connection, ending the transaction first: committed if the
     * rows were all read, rolled back otherwise. Every step runs even if one before it failed; the first failure is
     * thrown, with the others suppressed.
     */
    void close(boolean commit) throws Exception {
        Exception failure = null;
        failure = step(failure, resultSet);
        failure = step(failure, statement);
        if (connection != null) {
            Connection c = connection;
            failure = step(failure, commit ? c::commit : c::rollback);
            failure = step(failure, c);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static Exception step(Exception failure, AutoCloseable action) {
        if (action == null) {
            return failure;
        }
        try {
            action.close();
        } catch (Exception e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
        }
        return failure;
    }
}
