package org.aio4j.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The blocking half of a {@link JdbcCursor}: the JDBC objects of one query, used off the loop. {@link #connect},
 * {@link #execute}, {@link #read} and {@link #close} run one after another, each on a thread off the loop, each
 * started by the loop after the previous one ended (so each sees the effects of the previous one). {@link #cancel}
 * may run at the same time as one of them, from another thread: it is JDBC's {@link java.sql.Statement#cancel()},
 * made for that, or, while {@code connect} waits for a connection, an interrupt of the waiting thread.
 *
 * <p>A call that does not end when cancelled and aborted can be left to finish on its thread
 * ({@link #closeAfterCall}): that thread then closes everything when the call ends, so that the connection is never
 * closed, nor handed back to a pool, while a call still uses it, and never lost either.
 */
final class BlockingCursor<R> {

    /**
     * Rows read by one {@link #read}, and how the reading ended: {@code cancelled} if the cursor had been cancelled when
     * the failure was caught, so that the failure may be the cancel's own doing rather than one to report.
     */
    record Batch<R>(List<R> rows, boolean exhausted, Throwable failure, boolean cancelled) {
    }

    private final JdbcQuery<R> query;
    private Connection connection;
    private ResultSet resultSet;
    /** Published under the lock for {@link #cancel} from another thread. */
    private PreparedStatement statement;
    private boolean cancelled;
    /** The thread waiting in {@code connect()} (for a pool's free connection, say), or null; under the lock. */
    private Thread connecting;
    /** Whether {@link #cancel} interrupted {@link #connecting}; under the lock. */
    private boolean interruptedConnect;
    /** Set by {@link #abort}: the connection is terminated, closing it may fail and does not matter. */
    private volatile boolean aborted;
    /** Whether {@link #execute} turned autocommit off: {@link #close} turns it on again before the connection goes. */
    private boolean restoreAutoCommit;
    /**
     * Whether {@link #execute} has the connection in a transaction (autocommit off, as it found it or turned it):
     * {@link #close} ends it. Before that, the connection holds no transaction of the cursor's, and a commit or
     * rollback with autocommit on fails with PostgreSQL's and MySQL's drivers.
     */
    private boolean inTransaction;
    /** Whether {@link #connect}, {@link #execute} or {@link #read} runs now; under the lock. */
    private boolean calling;
    /** How many calls ({@link #connect}, {@link #execute}, {@link #read}) have started, not refused; under the lock. */
    private int callsStarted;
    /** Set by {@link #closeAfterCall}: no call may start any more; under the lock. */
    private boolean givenUp;
    /** Where the call running now reports the failure of the close it does when it ends, or null; under the lock. */
    private Consumer<Throwable> closeAfterCall;
    /** Set by the first {@link #close}: a second one does nothing; under the lock. */
    private boolean closed;

    BlockingCursor(JdbcQuery<R> query) {
        this.query = query;
    }

    /**
     * Gets the connection from the {@link ConnectionFactory}: the first call of a cursor, which may wait long for a
     * pool's free connection (on a thread of its own, not on the query's executor: see {@link JdbcCursor}).
     */
    void connect() throws SQLException {
        if (!begin()) {
            throw new CancellationException("JdbcCursor given up before it connected");
        }
        try {
            Connection c = callFactory();
            if (c == null) {
                throw new SQLException("ConnectionFactory returned null instead of a connection");
            }
            synchronized (this) {
                connection = c;
                if (cancelled) { // connect() returned despite the interrupt: the clean-up closes c
                    throw new CancellationException("JdbcCursor cancelled while it connected");
                }
            }
        } finally {
            end();
        }
    }

    /**
     * Prepares and executes the query on the connection {@link #connect} got. Autocommit is turned off so that drivers
     * that stream only inside a transaction (PostgreSQL) use a server-side cursor; the fetch size is set.
     */
    void execute() throws SQLException {
        if (!begin()) {
            throw new CancellationException("JdbcCursor given up before its query was executed");
        }
        try {
            prepareAndExecute();
        } finally {
            end();
        }
    }

    private void prepareAndExecute() throws SQLException {
        Connection c = connection;
        if (c.getAutoCommit()) {
            c.setAutoCommit(false);
            restoreAutoCommit = true;
        }
        inTransaction = true;
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
        synchronized (this) {
            if (cancelled) { // the gap that repeating the cancel (cancelUntil) covers is as small as JDBC allows
                throw new CancellationException("JdbcCursor cancelled before its query was executed");
            }
        }
        resultSet = ps.executeQuery();
    }

    /**
     * Calls the factory where {@link #cancel} can interrupt it: a pool's {@code getConnection()} may wait long (for
     * ever, with no timeout) for a free connection, and interrupting is how a pool is told to stop waiting. Our
     * interrupt does not outlive the call. An interrupt that was already there when we cancelled is not ours, and is
     * left (one arriving after ours cannot be told from it).
     */
    private Connection callFactory() throws SQLException {
        synchronized (this) {
            if (cancelled) {
                throw new CancellationException("JdbcCursor cancelled before it connected");
            }
            connecting = Thread.currentThread();
        }
        try {
            return query.connections().connect();
        } finally {
            boolean clear;
            synchronized (this) {
                connecting = null; // no interrupt of ours comes after this
                clear = interruptedConnect;
            }
            if (clear) {
                Thread.interrupted();
            }
        }
    }

    /**
     * Reads and maps up to {@code max} rows. A failure of the driver or the mapper ends the batch: the rows before it
     * are returned with it, so that none is lost.
     */
    Batch<R> read(int max) {
        if (!begin()) {
            return new Batch<>(List.of(), true, new CancellationException("JdbcCursor given up before it read"),
                    true);
        }
        try {
            return readNow(max);
        } finally {
            end();
        }
    }

    private Batch<R> readNow(int max) {
        // max is a limit, maybe Integer.MAX_VALUE, not what the query returns: sized as a default batch at most
        List<R> rows = new ArrayList<>(Math.min(max, JdbcQuery.DEFAULT_FETCH_SIZE));
        RowMapper<? extends R> mapper = query.mapper();
        try {
            while (rows.size() < max) {
                if (!resultSet.next()) {
                    return new Batch<>(rows, true, null, false);
                }
                rows.add(mapper.map(resultSet));
            }
            return new Batch<>(rows, false, null, false);
        } catch (Exception | Error e) {
            return new Batch<>(rows, true, e, isCancelled());
        }
    }

    /**
     * Marks the start of a call; false if the cursor was cancelled, given up or closed, and the call must not start
     * (a call that had not started when cancelled never starts, so that the cancel's end is the call's).
     */
    private synchronized boolean begin() {
        if (givenUp || closed || cancelled) {
            return false;
        }
        calling = true;
        callsStarted++;
        return true;
    }

    /**
     * How many calls ({@link #connect}, {@link #execute}, {@link #read}) have started so far. After a {@link #cancel},
     * no more start: one submitted and not counted here will do nothing if it ever runs.
     */
    synchronized int callsStarted() {
        return callsStarted;
    }

    /** Marks the end of a call; if the cursor was given up meanwhile, closes it now, on the call's thread. */
    private void end() {
        Consumer<Throwable> report;
        synchronized (this) {
            calling = false;
            report = closeAfterCall;
            closeAfterCall = null;
            notifyAll(); // cancelUntil waits for this
        }
        if (report != null) {
            closeReporting(report);
        }
    }

    /**
     * Gives the cursor up: no call starts any more, and the call running now, if any, closes everything when it ends,
     * on its own thread, rolling back ({@link #close close(false)}), and passes the close's failure to
     * {@code report}. Returns false if no call runs now: then the caller closes. Safe from any thread.
     */
    synchronized boolean closeAfterCall(Consumer<Throwable> report) {
        givenUp = true;
        if (!calling) {
            return false;
        }
        closeAfterCall = report;
        return true;
    }

    /** Whether {@link #cancel} was called. Safe from any thread. */
    private synchronized boolean isCancelled() {
        return cancelled;
    }

    /** Whether the call running now waits in {@link ConnectionFactory#connect()}. Safe from any thread. */
    synchronized boolean isConnecting() {
        return connecting != null;
    }

    /**
     * {@link #close close(false)}, on the calling thread, passing its failure to {@code report}; for a cursor whose
     * consumer does not wait for the close. Does nothing if the cursor was closed already.
     */
    void closeReporting(Consumer<Throwable> report) {
        try {
            close(false);
        } catch (Exception | Error e) {
            report.accept(e);
        }
    }

    /**
     * Asks the driver to abort the statement being executed or fetched, if any, or interrupts the wait for a
     * connection; safe from any thread.
     */
    void cancel() throws SQLException {
        PreparedStatement ps;
        synchronized (this) {
            cancelled = true;
            ps = statement;
            // Already interrupted (an executor's shutdownNow...): the wait ends anyway, and the interrupt is not
            // ours to clear afterwards.
            if (connecting != null && !connecting.isInterrupted()) {
                interruptedConnect = true;
                connecting.interrupt();
            }
        }
        if (ps != null) {
            ps.cancel();
        }
    }

    /**
     * Cancels the call running now until it ends, at most {@code abortAfter}: a {@code Statement.cancel()} every
     * {@code every}, since one may find nothing to cancel (the statement is not executing yet: JDBC does not say when
     * it starts) or be ignored (pgjdbc ignores it while a result set fetches). No call starts after the first cancel.
     * If the call has not ended by then, the connection is {@linkplain Connection#abort aborted}, which ends any call
     * blocked on it, and the call is waited for {@code abortAfter} again (the abort may end it asynchronously).
     * Whether the call ended is read here, not from the loop, so that this stops as soon as it does even if the loop
     * closed meanwhile: a cancel or an abort after the call's close could reach a connection a pool has handed out
     * again. The call may still run when this returns or throws: the abort failed (a driver or pool proxy without it
     * throws {@link java.sql.SQLFeatureNotSupportedException}) or did not end it; {@link #closeAfterCall} says. Runs
     * on a thread of its own, in real time whatever the loop's clock.
     *
     * @throws SQLException the first failure of a cancel, or of the abort (with the cancel's failure suppressed)
     */
    void cancelUntil(Duration every, Duration abortAfter, Executor abortExecutor)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + abortAfter.toNanos();
        SQLException cancelFailure = null; // a failing cancel (pgjdbc cannot reach the server) must not skip the abort
        do {
            try {
                cancel();
            } catch (SQLException e) {
                if (cancelFailure == null) {
                    cancelFailure = e;
                }
            }
            if (awaitCallEnd(every)) {
                if (cancelFailure != null) {
                    throw cancelFailure;
                }
                return;
            }
        } while (System.nanoTime() - deadline < 0);
        abortIfCalling(abortExecutor, cancelFailure);
        awaitCallEnd(abortAfter);
        if (cancelFailure != null) {
            throw cancelFailure;
        }
    }

    /** Waits at most {@code timeout} for the call running now to end; true if none runs. */
    private synchronized boolean awaitCallEnd(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (long left = timeout.toNanos(); calling && left > 0; left = deadline - System.nanoTime()) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return !calling;
    }

    /**
     * Aborts the connection if a call still runs, under the lock: the call cannot end and close the connection (hand
     * it back to a pool) meanwhile. {@code abort} does not block (its work goes to {@code abortExecutor}).
     */
    private synchronized void abortIfCalling(Executor abortExecutor, SQLException cancelFailure) throws SQLException {
        if (!calling || connection == null) {
            return;
        }
        try {
            connection.abort(abortExecutor);
        } catch (SQLException e) { // not aborted: the close must still roll back before the connection goes
            if (cancelFailure != null) {
                e.addSuppressed(cancelFailure);
            }
            throw e;
        }
        aborted = true;
    }

    /**
     * Closes the result set, the statement and the connection, ending the transaction first if {@link #execute}
     * began one: committed if the rows were all read and closing the result set and statement succeeded, rolled back
     * otherwise (the consumer gets an error, so the transaction must not have happened). Autocommit is turned on
     * again if {@link #execute} turned it off, for a pool that does not reset it. Every step runs even if one before
     * it failed; the first failure is thrown, with the others suppressed. Never while a call runs; a second close does
     * nothing.
     */
    void close(boolean commit) throws Exception {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Exception failure = null;
        failure = step(failure, resultSet);
        failure = step(failure, statement);
        if (connection != null) {
            Connection c = connection;
            if (inTransaction && !aborted) { // an aborted connection's transaction is rolled back by the server
                failure = step(failure, commit && failure == null ? c::commit : c::rollback);
                if (restoreAutoCommit) {
                    failure = step(failure, () -> c.setAutoCommit(true));
                }
            }
            failure = step(failure, c);
        }
        if (failure != null && !aborted) { // after an abort, closing what it terminated may fail: expected
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
