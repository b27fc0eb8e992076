package org.aio4j.jdbc;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.aio4j.Aio;
import org.aio4j.AsyncGenerator;
import org.aio4j.AsyncIterator;
import org.aio4j.CancelShield;
import org.aio4j.EventLoop;
import org.aio4j.ExceptionContext;
import org.aio4j.Future;
import org.aio4j.GeneratorExit;

/**
 * The rows of one execution of a {@link JdbcQuery}, as an async iterator: asyncpg's and aiopg's cursors, iterated
 * with {@code async for}. Obtained from {@link JdbcQuery#rows()}; iterate it in a task with a {@code for} loop. For
 * rows in lists of {@code n}, as DB-API's {@code fetchmany(n)} or asyncpg's {@code cursor.fetch(n)} give them, iterate
 * {@code rows().chunked(n)} (see {@link AsyncIterator#chunked}): closing it closes the cursor.
 *
 * <h2>How rows are read</h2>
 * Every blocking JDBC call runs off the loop through {@link EventLoop#runInExecutor}; the task waiting for it
 * suspends and the loop runs other tasks. The statement's calls (execute, fetch) run on the query's executor (a new
 * virtual thread per call by default); {@link ConnectionFactory#connect()} and the close run on a new virtual thread
 * each whatever the executor, so that no thread of a bounded one waits for a pool's connection, and no connection
 * waits for one of its threads to be given back (see {@link JdbcQuery#executor}). Rows are read in batches of
 * {@code min(fetchSize, bufferSize)}, mapped by the {@link RowMapper} on the reading thread, and held in a buffer
 * until the consumer takes them. The next batch is read while the consumer works, but only while the rows held plus
 * that batch fit in {@code bufferSize}: at no time are more than {@code bufferSize} mapped rows held ahead of the
 * consumer, and the driver holds at most one fetch beyond them, so memory stays flat however many rows the query
 * returns. (The driver must stream: PostgreSQL does inside a transaction with a fetch size, which the cursor sets up;
 * H2 needs {@code LAZY_QUERY_EXECUTION=TRUE}; MySQL needs {@code useCursorFetch=true}.) The query runs in a
 * transaction of its own (autocommit off): committed when the consumer has seen the end ({@code hasNext()} returned
 * false), rolled back otherwise, even if it had taken the last row: a consumer closing the cursor cannot say whether it
 * stopped early on purpose or because its own code failed. That matters for a statement that writes and returns rows
 * ({@code INSERT ... RETURNING id}): read with {@code hasNext()} and {@code next()} once, as asyncpg's
 * {@code fetchrow} reads it, and closed, its row is rolled back though its id was delivered; read it to the end
 * ({@code rows().toList()}, or a {@code for} loop that runs out). A statement that returns no result set (a plain
 * {@code INSERT}, {@code UPDATE}, DDL) cannot run as a cursor: it fails at {@code executing}, as
 * {@code executeQuery} refuses it; run it with plain JDBC in {@link org.aio4j.Aio#toThread}.
 *
 * <h2>Errors</h2>
 * A failure of the driver or of the row mapper surfaces from {@code hasNext()} at the row where it happened, after
 * the rows before it, as a {@link java.util.concurrent.CompletionException} whose cause is the
 * {@link java.sql.SQLException} and whose message names the step (connecting, executing, reading row n, closing) and
 * the query (unchecked exceptions of the mapper as they are): a failure of {@link ConnectionFactory#connect()}, such
 * as a pool's timeout, reads {@code connecting failed, query: ...}. So does the executor's refusal to run the next
 * read, a {@link java.util.concurrent.RejectedExecutionException}, after the rows read before it. Then the cursor is
 * closed. A failure read ahead of the consumer (by the batch read while it worked on the rows before it) is not
 * dropped if the consumer never reaches it, because it closed the cursor or was cancelled first: it goes to the loop's
 * exception handler, named as at its row, as a failure read ahead by {@link AsyncIterator#buffer buffer} does, and
 * {@code aclose()} does not throw it. A read that fails once the close has cancelled its statement fails because of
 * that cancel: it is not reported.
 *
 * <h2>Closing and cancellation</h2>
 * The cursor is an {@link AsyncGenerator}'s consumer side, so it is closed when the consumer stops early and closes
 * it (try-with-resources), when it is exhausted or fails, and, if the consumer forgets, when the task that iterated
 * it ends. Closing closes the result set, the statement and the connection, in that order, off the loop, and returns
 * when they are closed. If a JDBC call is running at that moment (the consumer was cancelled while waiting for rows,
 * or stopped while the next batch was being read ahead), the statement is first cancelled with
 * {@link java.sql.Statement#cancel()} from another thread, and the call is waited for: the connection is never closed
 * under a call still using it. A call still waiting in {@link ConnectionFactory#connect()} (for a free connection of
 * an exhausted pool, say) is interrupted instead, which pools such as HikariCP, DBCP and c3p0 take as the end of the
 * wait; a connection that arrives anyway is closed. A call still waiting in the queue of the query's executor (a
 * bounded pool whose threads are all busy with other queries) is dropped, not waited for. The cancel is repeated
 * every 50 ms while the call goes on (one may find nothing to cancel yet, and pgjdbc ignores it while a result set
 * fetches); a call still running 2 s later has its connection {@linkplain java.sql.Connection#abort aborted}, which
 * ends it (the server rolls the transaction back; a statement running there may go on until the server notices).
 * Cancelling the consuming task therefore aborts a long query and closes everything before the
 * {@link CancellationException} leaves {@code hasNext()}; a second cancellation meanwhile does not cut the clean-up
 * short (it is thrown afterwards).
 *
 * <p>If the abort fails (a driver or pool proxy without it throws
 * {@link java.sql.SQLFeatureNotSupportedException}) or the call still runs 2 s after it, nothing more can end the call
 * and the consumer stops waiting for it: the call is left to finish on its thread, which closes the result set,
 * statement and connection (rolling back) when it ends. Never before: a pool would hand the connection out while the
 * call still uses it. What the consumer gets carries a {@link CompletionException} saying so, whose cause is the
 * abort's failure; a failure of that late close goes to the loop's exception handler. If the event loop closes while
 * the clean-up waits, the connection is closed the same way, or at once on a thread of its own if no call runs.
 *
 * <p>A cancellation (or a TaskGroup's abort) that comes during the clean-up of a cursor that was read to its end or
 * that its consumer closed is what {@code hasNext()} or {@code aclose()} throws, carrying a failure of the close as
 * suppressed: a {@link org.aio4j.Timeout} or {@link org.aio4j.TaskGroup} around the consumer sees its cancellation,
 * not an error, as when a task is cancelled while it awaits a future that fails. A cursor that was failing or
 * cancelled before its clean-up began goes on with that, carrying the rest.
 *
 * <h2>On a virtual clock</h2>
 * A loop on a virtual clock ({@link EventLoop.Builder#virtualTime()}, the default of aio4j-test's {@code runTest} and
 * {@code @AioTest}) does not move its clock while a JDBC call is in flight: the call runs in real time and the clock
 * waits for it. So a deadline around the consumer ({@link org.aio4j.Timeout}, {@code Aio.waitFor}) cannot pass while
 * a query runs or while {@link ConnectionFactory#connect()} waits for an exhausted pool's connection, however long
 * that takes: a test that expects a slow query or an exhausted pool to time out does not time out, and hangs until
 * the call ends or the test's real-time timeout fails it with the task dump. Test such deadlines on the real clock
 * ({@code @AioTest(realTime = true)}, {@code TestOptions.withVirtualTime(false)}), as this module's own tests do.
 * For the same reason {@link org.aio4j.Aio#waitAllTasksBlocked()}, on either clock, waits for a cursor's call in
 * flight: a test that holds a pool's last connection in one task until it has stepped past another cursor's
 * {@code connect()} (a task that waits for a free connection counts as blocked for Trio's
 * {@code wait_all_tasks_blocked}) hangs there until its timeout.
 * The dump names each call of a cursor in flight by its step and query, e.g.
 * {@code in flight: offloaded call JdbcCursor connecting, query: SELECT ...}; so does an executor's refusal.
 *
 * <p>Loop object: iterate it from the tasks of one loop. {@link #statistics()} is safe there too.
 *
 * @param <R> the row type
 */
public final class JdbcCursor<R> implements AsyncIterator<R> {

    private static final System.Logger LOG = System.getLogger("org.aio4j");

    /**
     * Runs {@link ConnectionFactory#connect()}, whatever the query's executor: a fresh virtual thread each time. A
     * wait for a pool's free connection must not take a thread of a bounded executor that the cursors holding the
     * pool's connections need to read on and give them back.
     */
    private static final Executor CONNECTOR = ownThread("aio4j-jdbc-connect");
    /**
     * Runs the close, whatever the query's executor: a fresh virtual thread each time, never queued, never refusing.
     * Giving the connection back (ending its transaction, releasing its locks) must not wait behind calls of other
     * cursors that may be waiting for exactly that, nor for a call of this cursor that was dropped from the queue.
     */
    private static final Executor CLOSER = ownThread("aio4j-jdbc-close");
    /** Runs {@code Statement.cancel()}: a fresh virtual thread each time, never queued behind the call it cancels. */
    private static final Executor CANCELLER = ownThread("aio4j-jdbc-cancel");
    /** How often {@code Statement.cancel()} is repeated while the call it cancels has not ended. */
    static final Duration RECANCEL_EVERY = Duration.ofMillis(50);
    /** How long a cancelled call may go on before its connection is aborted. */
    static final Duration ABORT_AFTER = Duration.ofSeconds(2);

    /**
     * Counters of a cursor, in the manner of Trio's {@code statistics()}: asyncpg's and aiopg's cursors have none
     * (the closest is DB-API's {@code rowcount}, which counts the rows the statement touched, not those delivered).
     *
     * @param rowsRead      rows read from the result set and mapped so far, counted when the cursor takes in their
     *                      batch: a batch read ahead while the consumer works counts from the consumer's next
     *                      {@code hasNext()}, even if its call has ended (after {@code Aio.waitAllTasksBlocked()})
     * @param rowsDelivered rows handed to the consumer so far
     * @param maxRowsAhead  the most rows ever read and not yet delivered (never above the buffer size)
     */
    public record Statistics(long rowsRead, long rowsDelivered, long maxRowsAhead) {
    }

    private final JdbcQuery<R> query;
    private final BlockingCursor<R> blocking;
    private final AsyncGenerator<R> rows;
    private final int batchSize;

    /** Stands for a row the mapper mapped to null in {@link #ready}, which holds no nulls. */
    private static final Object NULL_ROW = new Object();

    // Touched by the loop only.
    /** Rows read and not yet delivered, in order; a null row is {@link #NULL_ROW}. */
    private final ArrayDeque<Object> ready = new ArrayDeque<>();
    /** The JDBC call running now (connecting, executing or reading), or null. */
    private Future<?> inFlight;
    /** The read started and not yet taken in (it may be over: read ahead while the consumer works), or null. */
    private Future<BlockingCursor.Batch<R>> reading;
    /** How many calls (connecting, executing, reading) were submitted to an executor. */
    private int callsSubmitted;
    /** Whether the clean-up left the close to a call still running, or to a thread of its own. */
    private boolean givenUp;
    private boolean readAll;
    private Throwable readFailure;
    private long rowsRead;
    private long rowsDelivered;
    private long maxRowsAhead;

    JdbcCursor(JdbcQuery<R> query) {
        this.query = query;
        this.blocking = new BlockingCursor<>(query);
        this.batchSize = Math.min(query.fetchSize(), query.bufferSize());
        this.rows = AsyncGenerator.of(this::run);
    }

    /**
     * Whether there is another row, suspending the task while rows are fetched. See {@link AsyncIterator#hasNext()}.
     *
     * @throws java.util.concurrent.CompletionException wrapping the {@link java.sql.SQLException} of the driver
     */
    @Override
    public boolean hasNext() {
        return rows.hasNext();
    }

    /** The next row. See {@link AsyncIterator#next()}. */
    @Override
    public R next() {
        return rows.next();
    }

    /**
     * Closes the result set, statement and connection (cancelling the statement first if a call is running), and
     * waits until they are closed: asyncio's {@code aclose()}. Idempotent.
     *
     * @throws RuntimeException      a failure while closing, or of the {@code Statement.cancel()} of a read ahead
     *                               that was running (an {@link java.sql.SQLException} wrapped in
     *                               {@link java.util.concurrent.CompletionException})
     * @throws CancellationException if the task was cancelled while the cursor closed (after the close, carrying its
     *                               failure if any)
     */
    @Override
    public void aclose() {
        rows.aclose();
    }

    /**
     * The counters of this cursor. Call it on the loop.
     *
     * @return a snapshot of the counters
     */
    public Statistics statistics() {
        return new Statistics(rowsRead, rowsDelivered, maxRowsAhead);
    }

    @Override
    public String toString() {
        return "JdbcCursor[" + query.sql() + ", read=" + rowsRead + ", delivered=" + rowsDelivered + ", " + rows + "]";
    }

    // ---- the generator body, run in the consuming task

    private void run(AsyncGenerator.Emitter<R> out) throws Exception {
        EventLoop loop = Aio.getRunningLoop();
        Throwable primary = null;
        try {
            try {
                await(offload(loop, CONNECTOR, "connecting", () -> {
                    blocking.connect();
                    return null;
                }));
            } catch (Exception e) { // a pool's timeout, a refused login: not a failure of the query
                throw asException(named(e, "connecting"));
            }
            try {
                await(offload(loop, query.executor(), "executing", () -> {
                    blocking.execute();
                    return null;
                }));
            } catch (Exception e) {
                throw asException(named(e, "executing"));
            }
            for (;;) {
                if (reading == null && !readAll && ready.size() + batchSize <= query.bufferSize()) {
                    reading = startReading(loop);
                }
                if (reading != null && (ready.isEmpty() || reading.isDone())) {
                    accept(await(reading));
                    reading = null;
                } else if (!ready.isEmpty()) {
                    rowsDelivered++;
                    out.emit(takeRow());
                } else if (readFailure != null) {
                    Throwable failure = readFailure;
                    readFailure = null; // received: the consumer gets it now
                    throw asException(named(failure, "reading row " + (rowsRead + 1)));
                } else {
                    return;
                }
            }
        } catch (Throwable e) {
            primary = e;
            throw e;
        } finally {
            ready.clear(); // rows read ahead, never to be delivered: a cursor kept after its close must not hold them
            Throwable raise;
            try {
                raise = release(loop, primary);
            } finally {
                reading = null; // nor the batch read ahead and not taken in
            }
            if (raise != null) {
                throw asException(raise);
            }
        }
    }

    /**
     * Starts reading the next batch, or null if the executor refuses (its queue is full, it was shut down): that ends
     * the reading as a failure of the driver does, surfacing after the rows read before it.
     */
    private Future<BlockingCursor.Batch<R>> startReading(EventLoop loop) {
        try {
            return offload(loop, query.executor(), "reading from row " + (rowsRead + 1),
                    () -> blocking.read(batchSize));
        } catch (RejectedExecutionException refused) {
            readAll = true;
            readFailure = refused;
            return null;
        }
    }

    private <T> Future<T> offload(EventLoop loop, Executor executor, String step, Callable<T> call) {
        Future<T> f = loop.runInExecutor(executor, described(step, call));
        callsSubmitted++;
        inFlight = f;
        return f;
    }

    /**
     * {@code call} named after {@code step} and the query, e.g. {@code JdbcCursor executing, query: SELECT ...}: how
     * the loop names it in its task dumps (runTest's timeout message) and an executor in its refusal.
     */
    private <T> Callable<T> described(String step, Callable<T> call) {
        return new JdbcCall<>("JdbcCursor " + step + ", query: " + query.sql(), call);
    }

    /** A blocking call of a cursor, whose {@code toString()} says what it does. */
    private record JdbcCall<T>(String name, Callable<T> body) implements Callable<T> {
        @Override
        public T call() throws Exception {
            return body.call();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * Waits for a JDBC call. Shielded: if the task is cancelled meanwhile, the call is not interrupted here (the
     * clean-up cancels the statement and waits for the call before it closes the connection).
     */
    private <T> T await(Future<T> call) throws Exception {
        T value = Aio.shield(call).await();
        inFlight = null;
        return value;
    }

    private void accept(BlockingCursor.Batch<R> batch) {
        for (R row : batch.rows()) {
            ready.add(row == null ? NULL_ROW : row);
        }
        rowsRead += batch.rows().size();
        maxRowsAhead = Math.max(maxRowsAhead, rowsRead - rowsDelivered);
        if (batch.exhausted()) {
            readAll = true;
            readFailure = batch.failure();
        }
    }

    @SuppressWarnings("unchecked")
    private R takeRow() {
        Object row = ready.poll();
        return row == NULL_ROW ? null : (R) row;
    }

    /**
     * Closes the JDBC objects, after cancelling the statement and waiting for the call in flight if there is one,
     * inside a {@link CancelShield}: an interruption of the task meanwhile (a cancellation, its TaskGroup's abort)
     * waits until the clean-up is over. Returns what the body must throw instead of ending as it does, or null to let
     * it end as it does. Nothing is dropped: whatever does not propagate is attached to what does.
     *
     * <p>The connection is closed in every case: here, or, if the call in flight did not end when cancelled and
     * aborted, by that call's thread when it ends (see {@link #cancelRunningCall}), or, if the loop closes meanwhile
     * and lifts the shield, by a thread of its own (see {@link #closeWithoutTheLoop}).
     */
    private Throwable release(EventLoop loop, Throwable primary) {
        RuntimeException interrupted;
        Throwable cancelFailure;
        Throwable closeFailure = null;
        Throwable unreceived;
        try (CancelShield shield = CancelShield.enter()) {
            try {
                cancelFailure = cancelRunningCall(loop);
                unreceived = unreceivedReadFailure();
                if (!givenUp) {
                    closeFailure = settle(closing(loop, primary == null));
                }
            } catch (RuntimeException loopClosing) {
                closeWithoutTheLoop(loop);
                throw loopClosing;
            }
            interrupted = shield.takeInterruption();
        }
        if (unreceived != null) {
            if (primary == null || primary instanceof CancellationException) {
                // The consumer closed the cursor, or was cancelled, before it reached the failure: as an operator
                // that read a failure ahead (buffer, chunked, ...), report it; aclose() does not throw it.
                loop.callExceptionHandler(new ExceptionContext("JdbcCursor: exception was never retrieved: it was"
                        + " read ahead of the consumer, which closed the cursor (or was cancelled) before reaching it,"
                        + " query: " + query.sql(), unreceived, null, null));
            } else {
                attach(primary, unreceived);
            }
        }
        if (primary == null || primary instanceof GeneratorExit) {
            // Ended normally or closed by the consumer. An interruption that came during the clean-up is the outcome,
            // as when a task is cancelled while it awaits a future that fails meanwhile: a Timeout or TaskGroup around
            // the consumer must see its cancellation, not an error. It carries the failures of the clean-up.
            if (interrupted != null) {
                attach(interrupted, named(closeFailure, "closing"), named(cancelFailure, "cancelling the read ahead"));
                return interrupted;
            }
            // Else a close failure, or else a failure to cancel the read ahead (nothing else would carry it).
            if (closeFailure != null) {
                Throwable raise = named(closeFailure, "closing");
                attach(raise, cancelFailure);
                return raise;
            }
            return named(cancelFailure, "cancelling the read ahead");
        }
        // Failing or cancelled, before the clean-up began: that goes on, carrying the rest (a task whose coroutine
        // fails while a cancellation is pending ends failed too).
        attach(primary, cancelFailure, closeFailure, interrupted);
        return null;
    }

    /**
     * A failure of reading that the consumer has not received, named as at its row, or null: the one held behind the
     * rows read before it, or the one that ended the read ahead not yet taken in, if that read ended by itself. A read
     * that failed once the clean-up had cancelled the statement failed because of the cancel, as expected: not this.
     */
    private Throwable unreceivedReadFailure() {
        if (readFailure != null) {
            return named(readFailure, "reading row " + (rowsRead + 1));
        }
        Future<BlockingCursor.Batch<R>> r = reading;
        if (r == null || !r.isDone() || r.isCancelled() || r.exception() != null) {
            return null;
        }
        BlockingCursor.Batch<R> batch = r.result();
        if (batch.failure() == null || batch.cancelled()) {
            return null;
        }
        return named(batch.failure(), "reading row " + (rowsRead + batch.rows().size() + 1));
    }

    /**
     * The loop closes while the clean-up waits, and lifts its shield: the JDBC objects are closed without it,
     * rolling back. By the call in flight when it ends, if there is one; else now, on a thread of its own (a close
     * already under way makes this one do nothing). The close's failure is reported as a late one.
     */
    private void closeWithoutTheLoop(EventLoop loop) {
        givenUp = true;
        Consumer<Throwable> report = lateFailures(loop);
        if (!blocking.closeAfterCall(report)) {
            CLOSER.execute(() -> blocking.closeReporting(report));
        }
    }

    /**
     * Reports a failure of a close that no consumer waits for: to the loop's exception handler, or, if the loop is
     * closed, to the {@code org.aio4j} logger (where the default exception handler writes too).
     */
    private Consumer<Throwable> lateFailures(EventLoop loop) {
        return failure -> {
            var context = new ExceptionContext("JdbcCursor: closing after the consumer stopped waiting failed, query: "
                    + query.sql(), failure, null, null);
            try {
                loop.callSoonThreadsafe(() -> loop.callExceptionHandler(context));
            } catch (IllegalStateException loopClosed) {
                LOG.log(System.Logger.Level.ERROR, context.describe(), failure);
            }
        };
    }

    /**
     * Closes the JDBC objects off the loop, committing or rolling back, on a thread of its own ({@link #CLOSER}), not
     * on the query's executor: its threads may all be busy, even with statements waiting for the locks this
     * transaction holds, and it may refuse (its queue is full, it was shut down), while the connection must be given
     * back whatever it does.
     */
    private Future<Void> closing(EventLoop loop, boolean commit) {
        return loop.runInExecutor(CLOSER, described("closing", () -> {
            blocking.close(commit);
            return null;
        }));
    }

    /**
     * Cancels the statement of the call in flight, if any, and waits for both; returns the cancel's failure. The
     * cancel is repeated until the call ends, and the connection aborted if it has not ended after
     * {@link #ABORT_AFTER} (see {@link BlockingCursor#cancelUntil}). A call that has not started (it waits in the
     * executor's queue) is dropped instead of waited for. If the call still runs after that (the abort
     * failed, or did not end it), it is not waited for: the consumer must not wait for ever, and the connection must
     * not be closed under the call, so the call's own thread closes it when the call ends; the failure returned then
     * says so.
     */
    private Throwable cancelRunningCall(EventLoop loop) {
        Future<?> running = inFlight;
        inFlight = null;
        if (running == null || running.isDone()) {
            return null;
        }
        // On a thread of its own, not on the query's executor (nor the loop's default one, which may be a pool too):
        // a bounded pool's threads may all be busy, one of them with the very call to cancel.
        Future<Void> cancelling = loop.runInExecutor(CANCELLER, described("cancelling the call in flight", () -> {
            blocking.cancelUntil(RECANCEL_EVERY, ABORT_AFTER, CANCELLER);
            return null;
        }));
        Throwable cancelFailure = settle(cancelling);
        if (blocking.closeAfterCall(lateFailures(loop))) {
            givenUp = true;
            running.addDoneCallback(JdbcCursor::retrieve); // the call was cancelled on purpose: its failure is expected
            String what = blocking.isConnecting()
                    ? "ConnectionFactory.connect() did not give up when its thread was interrupted, and went on for "
                            + 2 * ABORT_AFTER.toMillis() + " ms; it was left to finish on its thread, which closes the"
                            + " connection it returns"
                    : "a JDBC call went on after its statement was cancelled for " + ABORT_AFTER.toMillis()
                            + " ms and its connection aborted (or the abort failed: see the cause); it was left to"
                            + " finish on its thread, which closes the connection when it ends";
            return new CompletionException(what + ", query: " + query.sql(), cancelFailure);
        }
        if (blocking.callsStarted() < callsSubmitted) {
            // The call has not started: it waits in the queue of a bounded executor whose threads are busy with other
            // queries, maybe for long (or its own thread has not started yet). It never starts now (the cancel
            // forbade it), so it is dropped, not waited for.
            running.cancel();
            return cancelFailure;
        }
        settle(running); // the call was cancelled on purpose: its failure is expected
        return cancelFailure;
    }

    /** An executor that starts a new virtual thread named {@code name} for each command. */
    private static Executor ownThread(String name) {
        return command -> Thread.ofVirtual().name(name).start(command);
    }

    private static void retrieve(Future<?> f) {
        if (!f.isCancelled()) {
            f.exception();
        }
    }

    private static void attach(Throwable carrier, Throwable... others) {
        if (carrier == null) {
            return;
        }
        for (Throwable t : others) {
            if (t != null && t != carrier) {
                carrier.addSuppressed(t);
            }
        }
    }

    /**
     * Waits until {@code f} is done (called inside a {@link CancelShield}, so nothing interrupts the wait) and returns
     * its failure, retrieved; null if it succeeded or was cancelled. If the loop closes meanwhile, it lifts the shield
     * and this throws; {@code f} itself is not cancelled ({@link Aio#shield}), so that a cancel and abort under way go
     * on without the loop (cancelling the future would interrupt them).
     *
     * @throws RuntimeException the loop's cancellation, if the loop closes before {@code f} is done
     */
    private static Throwable settle(Future<?> f) {
        try {
            Aio.shield(f).await();
        } catch (Exception e) {
            if (!f.isDone()) { // not f's outcome: the loop is closing and lifted the shield
                throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
        return f.isCancelled() ? null : f.exception();
    }

    /**
     * A checked failure (an {@link java.sql.SQLException}) wrapped in the {@link CompletionException} that
     * {@code hasNext()} throws anyway, with a message naming the query and the step: a PostgreSQL error does not say
     * which query failed. Unchecked failures (of the row mapper, cancellations) are returned as they are.
     */
    private Throwable named(Throwable t, String step) {
        if (t == null || t instanceof RuntimeException || t instanceof Error) {
            return t;
        }
        return new CompletionException(step + " failed, query: " + query.sql() + ": " + t, t);
    }

    private static Exception asException(Throwable t) {
        if (t instanceof Exception e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
