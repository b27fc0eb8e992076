package org.aio4j.jdbc;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

/**
 * A query whose rows are read as an {@link org.aio4j.AsyncIterator}: what {@code async for row in cursor} is with
 * asyncpg, aiopg or aiosqlite. Immutable: each setting returns a new query; {@link #rows()} starts one execution.
 *
 * <pre>{@code
 * JdbcQuery<Person> adults = JdbcQuery.of(dataSource::getConnection,
 *         "select id, name from person where age >= ?", rs -> new Person(rs.getLong(1), rs.getString(2)))
 *     .parameters(18)
 *     .fetchSize(500)        // rows per round trip to the database
 *     .bufferSize(2_000);    // rows read ahead of the consumer, at most
 * try (JdbcCursor<Person> people = adults.rows()) {
 *     for (Person p : people) {           // suspends the task while rows are fetched; the loop keeps running
 *         if (p.id() > 3) break;          // closing (here, at the end of the try) closes the statement and connection
 *     }
 * }
 * }</pre>
 *
 * <p>See {@link JdbcCursor} for how rows are read, buffered, cancelled and closed. Each cursor runs on a connection
 * of its own, which it closes, in a transaction of its own, committed only once the consumer has seen the end of
 * the rows: a statement that writes and returns rows ({@code INSERT ... RETURNING}) must be read to its end (e.g. with
 * {@code rows().toList()}), or what it wrote is rolled back. There is no counterpart of asyncpg's {@code execute} for
 * a statement without rows, nor of a transaction spanning several statements ({@code async with
 * conn.transaction()}): run those with plain JDBC in {@link org.aio4j.Aio#toThread}.
 *
 * @param <R> the row type
 */
public final class JdbcQuery<R> {

    /** Default {@link #fetchSize(int)}. */
    public static final int DEFAULT_FETCH_SIZE = 500;
    /** Default {@link #bufferSize(int)}: two fetches, so one is read while the consumer works on the other. */
    public static final int DEFAULT_BUFFER_SIZE = 2 * DEFAULT_FETCH_SIZE;

    private static final ThreadFactory JDBC_THREADS = Thread.ofVirtual().name("aio4j-jdbc-", 0).factory();
    /** A new virtual thread for each blocking JDBC call, as {@link org.aio4j.Aio#toThread} does. */
    private static final Executor VIRTUAL_THREADS = command -> JDBC_THREADS.newThread(command).start();

    private final ConnectionFactory connections;
    private final String sql;
    private final RowMapper<? extends R> mapper;
    private final List<Object> parameters;
    private final int fetchSize;
    private final int bufferSize;
    private final Executor executor;

    private JdbcQuery(ConnectionFactory connections, String sql, RowMapper<? extends R> mapper,
                      List<Object> parameters, int fetchSize, int bufferSize, Executor executor) {
        this.connections = connections;
        this.sql = sql;
        this.mapper = mapper;
        this.parameters = parameters;
        this.fetchSize = fetchSize;
        this.bufferSize = bufferSize;
        this.executor = executor;
    }

    /**
     * A query of {@code sql} on a connection from {@code connections}, each row mapped by {@code mapper}; with the
     * default fetch and buffer sizes, no parameters, and JDBC calls on virtual threads.
     *
     * @param <R>         the row type
     * @param connections opens the connection each cursor runs on
     * @param sql         the query, with {@code ?} for its parameters
     * @param mapper      turns each row into a value
     * @return the query; nothing is executed yet
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code sql} is blank
     */
    public static <R> JdbcQuery<R> of(ConnectionFactory connections, String sql, RowMapper<? extends R> mapper) {
        Objects.requireNonNull(connections, "connections must not be null");
        Objects.requireNonNull(sql, "sql must not be null");
        Objects.requireNonNull(mapper, "row mapper must not be null");
        if (sql.isBlank()) {
            throw new IllegalArgumentException("sql must not be blank");
        }
        return new JdbcQuery<>(connections, sql, mapper, List.of(), DEFAULT_FETCH_SIZE, DEFAULT_BUFFER_SIZE,
                VIRTUAL_THREADS);
    }

    /**
     * This query with the values of its {@code ?} parameters, bound in order with {@code setObject}; a value may be
     * null (SQL NULL), but not the array: {@code parameters((Object) null)} binds one NULL.
     *
     * @param values the parameter values, in order
     * @return a new query; this one is unchanged
     * @throws NullPointerException if {@code values} is null, as {@code parameters(null)} passes it
     */
    public JdbcQuery<R> parameters(Object... values) {
        Objects.requireNonNull(values,
                "parameters must not be null: pass no argument for none, (Object) null for one SQL NULL");
        List<Object> copy = Collections.unmodifiableList(Arrays.asList(values.clone()));
        return new JdbcQuery<>(connections, sql, mapper, copy, fetchSize, bufferSize, executor);
    }

    /**
     * This query with {@code rows} as the JDBC fetch size (rows per round trip) and as the size of each batch read
     * off the loop.
     *
     * @param rows the fetch size and batch size, in rows
     * @return a new query; this one is unchanged
     * @throws IllegalArgumentException if {@code rows < 1}
     */
    public JdbcQuery<R> fetchSize(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("fetchSize must be >= 1, got " + rows);
        }
        return new JdbcQuery<>(connections, sql, mapper, parameters, rows, bufferSize, executor);
    }

    /**
     * This query with at most {@code rows} rows read ahead of the consumer. A buffer at least twice the fetch size
     * lets the next batch be read while the consumer works on the current one.
     *
     * @param rows the most rows read and not yet consumed
     * @return a new query; this one is unchanged
     * @throws IllegalArgumentException if {@code rows < 1}
     */
    public JdbcQuery<R> bufferSize(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("bufferSize must be >= 1, got " + rows);
        }
        return new JdbcQuery<>(connections, sql, mapper, parameters, fetchSize, rows, executor);
    }

    /**
     * This query with its statement's blocking JDBC calls (execute, fetch) run on {@code executor} (by
     * {@link org.aio4j.EventLoop#runInExecutor}) instead of a new virtual thread per call. A bounded pool caps the
     * statements executing or fetching at once, across the queries that share it; not the connections in use (a
     * cursor holds its connection between its calls, while its consumer works): cap those with a connection pool.
     * {@link ConnectionFactory#connect()} and the close (ending the transaction, closing the statement and the
     * connection) run on a new virtual thread each, whatever the executor: a cursor waiting for a pool's free
     * connection takes none of its threads, which the cursors holding the connections need to read on, and a cursor
     * giving its connection back does not wait for one. So cursors sharing a bounded executor and a pool that waits
     * for a free connection do not deadlock, however few threads and connections there are. A statement that waits
     * for a row lock held by another cursor's open transaction does hold its thread meanwhile: if every thread so
     * waits while that cursor needs one to fetch its next rows (its close needs none), they wait until the database's
     * lock timeout. A refused call fails the cursor with the {@link java.util.concurrent.RejectedExecutionException}
     * (see {@link JdbcCursor}); the connection is closed all the same.
     *
     * @param executor the executor for the statement's execute and fetch calls
     * @return a new query; this one is unchanged
     * @throws NullPointerException if {@code executor} is null
     */
    public JdbcQuery<R> executor(Executor executor) {
        Objects.requireNonNull(executor, "executor must not be null");
        return new JdbcQuery<>(connections, sql, mapper, parameters, fetchSize, bufferSize, executor);
    }

    /**
     * A new cursor over the rows of one execution of this query. Nothing happens until its first
     * {@code hasNext()}, which must be called in a task.
     *
     * @return a new cursor, which the caller must close (try-with-resources)
     */
    public JdbcCursor<R> rows() {
        return new JdbcCursor<>(this);
    }

    ConnectionFactory connections() {
        return connections;
    }

    String sql() {
        return sql;
    }

    RowMapper<? extends R> mapper() {
        return mapper;
    }

    List<Object> parameterList() {
        return parameters;
    }

    int fetchSize() {
        return fetchSize;
    }

    int bufferSize() {
        return bufferSize;
    }

    Executor executor() {
        return executor;
    }

    @Override
    public String toString() {
        return "JdbcQuery[" + sql + ", fetchSize=" + fetchSize + ", bufferSize=" + bufferSize + "]";
    }
}
