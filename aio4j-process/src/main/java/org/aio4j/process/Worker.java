package org.aio4j.process;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InvalidObjectException;
import java.net.ProtocolException;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * One worker JVM as its pool sees it: the process, the <em>driver</em> thread that starts it, feeds it calls one at
 * a time over their connection (see {@link Rendezvous}) and reads their outcomes, and the thread that forwards its
 * output, standard output and error as one stream, to the {@code System.Logger} {@code org.aio4j.process} (level INFO,
 * each line prefixed with the worker's id and pid).
 *
 * <p>The driver ends when the pool has no more work for the worker (it then closes the connection, and the worker
 * exits) or when the worker dies (the connection ends); either way the pool hears of it through
 * {@link ProcessPool#workerGone}.
 */
final class Worker implements Runnable {

    /** How many of its last lines of output a worker keeps, to quote when it fails. */
    private static final int OUTPUT_LINES_KEPT = 20;
    /** How much of each of those lines it keeps (the log has them whole, or in pieces if very long). */
    private static final int OUTPUT_CHARS_KEPT = 500;
    private static final Duration OUTPUT_DRAIN = Duration.ofSeconds(2);

    final int id;
    private final ProcessPool pool;
    /** The command that starts the process, once made (by the driver, in {@link #launch}). */
    private List<String> command;
    private final Object writeLock = new Object();
    private final ArrayDeque<String> lastOutputLines = new ArrayDeque<>();
    private volatile Process process;
    private volatile long pid = -1;
    private volatile boolean ready;
    /** Whether the start timeout killed the process before it was ready. */
    private volatile boolean startTimedOut;
    /** Whether {@link #stopStarting} was called: the process is killed, or not started, if it is not ready. */
    private volatile boolean startStopped;
    /** Why {@link #stopStarting} was called, for the message of the start that then fails. */
    private volatile String stopReason;
    /** Whether the pool's initializer was sent to this worker. */
    private boolean initializing;
    /** Whether the pool's initializer threw in this worker, or its process ended while it ran: that breaks the pool. */
    private boolean initializerFailed;
    /**
     * The calls whose task frame went out to this worker, which its pool's {@code maxTasksPerChild} bounds; written
     * and read by the driver only.
     */
    int callsSent;
    /** Whether the process has ended; guarded by the pool's lock. */
    boolean exited;
    /**
     * Whether a cancellation's grace period is killing this worker (guarded by the pool's lock): its driver takes no
     * call from then on, so that the kill cannot land on a call sent after the one it was for.
     */
    boolean doomed;
    /** The connection to the worker, once it has connected; closed when the driver ends. */
    private SocketChannel channel;
    private DataOutputStream toWorker;
    private DataInputStream fromWorker;
    private Thread outputPump;
    /** Whether the pool has heard whether the worker started ({@link ProcessPool#workerReady} or not). */
    private boolean startReported;
    /** The call the driver has taken and not handed back to the pool yet. */
    private PoolCall inFlight;
    /** Whether the pool has heard that the driver ended ({@link ProcessPool#workerGone}). */
    private boolean goneReported;
    /** When the wait for the last lines of output ends ({@link System#nanoTime()}), once the process has ended. */
    private volatile long drainEnd;

    Worker(int id, ProcessPool pool) {
        this.id = id;
        this.pool = pool;
    }

    /**
     * Starts the driver thread. Does not block, nor throw: a driver that cannot be started (an
     * {@link OutOfMemoryError} "unable to create native thread") is a worker that could not start.
     */
    void start() {
        try {
            startThread(this, "");
        } catch (Throwable e) {
            var broken = new BrokenWorkerException("worker " + id + " could not be started: no thread could be made"
                    + " to drive it (" + Throwables.describe(e) + ")", id, -1, -1);
            broken.initCause(e);
            pool.workerFailedToStart(this, broken);
        }
    }

    private Thread startThread(Runnable body, String suffix) {
        Thread t = pool.workerThreads.newThread(body);
        t.setName("aio4j-process-worker-" + id + suffix);
        t.start();
        return t;
    }

    long pid() {
        return pid;
    }

    boolean isReady() {
        return ready;
    }

    /**
     * Stops the worker if it is still starting, or running the pool's initializer ({@code shutdownNow()}, a broken
     * pool): its process, if made, is killed, and one not made yet is killed as soon as it is; its start then fails,
     * saying {@code why} ("it was stopped by shutdownNow() before it was ready", say). Returns at once. Else a worker
     * slow to start (or stuck, say waiting for a debugger) would keep the pool from terminating for up to its start
     * timeout, or for ever with none.
     */
    void stopStarting(String why) {
        stopReason = why;
        startStopped = true;
        Process p = process;
        if (p != null && !ready) {
            p.destroyForcibly();
        }
    }

    /** Whether {@link #stopStarting} was called: a start that then fails was stopped, not broken. */
    boolean wasStoppedStarting() {
        return startStopped;
    }

    /** Kills the process, if made: the pool is broken, and the call it runs has failed already. Returns at once. */
    void kill() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    @Override
    public void run() {
        try {
            drive();
        } catch (Throwable e) {
            driverFailed(e);
        } finally {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // Closed all the same.
                }
            }
        }
    }

    private void drive() {
        BrokenWorkerException notStarted;
        try {
            notStarted = launch();
        } catch (Throwable e) {
            notStarted = launchFailed(e);
        }
        if (notStarted != null) {
            startReported = true;
            if (initializerFailed) {
                pool.initializerFailed(this, notStarted);
            } else {
                pool.workerFailedToStart(this, notStarted);
            }
            return;
        }
        PoolCall call = null;
        try {
            while ((call = pool.nextCall(this)) != null) {
                inFlight = call;
                runCall(call);
                inFlight = null;
                call = null;
            }
            retire();
        } catch (Undelivered e) {
            diedIdle(call);
        } catch (IOException e) {
            died(call, e);
        } catch (RuntimeException | Error e) {
            // A failure of this driver itself (say an OutOfMemoryError allocating a large result): the stream may be
            // mid-frame, so the worker cannot be trusted any more. Kill it and fail its call rather than leave the
            // call waiting for ever and the process orphaned.
            process.destroyForcibly();
            PoolCall failed = call;
            pool.workerDied(this, failed, false, () -> {
                var broken = new BrokenWorkerException(name() + " was stopped while running " + failed + ": its"
                        + " driver in this process failed with " + Throwables.describe(e), id, pid, exitStatus());
                broken.initCause(e);
                return broken;
            });
        } finally {
            goneReported = true;
            pool.workerGone(this);
        }
    }

    /**
     * The last resort of a driver whose handling of a failure failed in turn (say, an {@link OutOfMemoryError} while
     * it wrote the message): the process is killed, and the pool hears of what it has not heard yet, that the worker
     * did not start or that its call failed and its driver ended, so that no call waits for ever and the pool starts
     * another worker for the calls that wait.
     */
    private void driverFailed(Throwable e) {
        if (process != null) {
            process.destroyForcibly();
        }
        var broken = new BrokenWorkerException(name() + " was stopped: its driver in this process failed with "
                + Throwables.describe(e), id, pid, -1, e);
        if (!startReported) {
            startReported = true;
            pool.workerFailedToStart(this, broken);
            return;
        }
        PoolCall call = inFlight;
        inFlight = null;
        if (call != null && pool.isRunningOn(call, this)) {
            pool.workerDied(this, call, false, () -> broken);
        }
        if (!goneReported) {
            goneReported = true;
            pool.workerGone(this);
        }
    }

    // ---- start

    private BrokenWorkerException launch() {
        try {
            command = pool.command(id);
        } catch (IOException e) {
            return new BrokenWorkerException("worker " + id + " could not be started: its class path, too long for "
                    + "a command line, could not be written to an argument file: " + e, id, -1, -1, e);
        }
        try (Rendezvous rendezvous = Rendezvous.open(pool.socketDirectory)) {
            return launch(rendezvous);
        } catch (IOException e) {
            return new BrokenWorkerException("worker " + id + " could not be started: " + e.getMessage(), id, -1,
                    -1, e);
        }
    }

    /** Starts the process, which connects to {@code rendezvous}, and waits until it is ready. */
    private BrokenWorkerException launch(Rendezvous rendezvous) {
        try {
            // Its standard output and error are one stream, the log's: the calls go over their own connection.
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new BrokenWorkerException("worker " + id + " could not be started: " + e.getMessage()
                    + " (command: " + String.join(" ", command) + ")", id, -1, -1, e);
        }
        pid = process.pid();
        if (startStopped) {   // stopStarting came before the process was made
            process.destroyForcibly();
        }
        try {
            rendezvous.sendTo(process.getOutputStream());
        } catch (IOException diedAtOnce) {
            // Its exit ends the wait for it to connect, and is reported then.
        }
        outputPump = startThread(this::pumpOutput, "-output");
        // Completed when the worker is ready or has exited, unless the start timeout comes first and kills it: one or
        // the other, so a worker that is ready is never killed for being late.
        var startInTime = unlessInTime(pool.startTimeout, () -> {
            startTimedOut = true;
            process.destroyForcibly();
        });
        process.onExit().thenRun(() -> {
            startInTime.complete(true);
            rendezvous.close();   // it will not connect any more: the wait for it ends
            pool.workerExited(this);
        });
        try {
            channel = rendezvous.accept();
            toWorker = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
            fromWorker = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 1 << 16));
            int type = fromWorker.readByte();
            if (type != Protocol.READY || fromWorker.readLong() != Protocol.MAGIC) {
                throw new ProtocolException("the worker sent something else than its READY frame (a worker of "
                        + "another version of aio4j-process on the class path?)");
            }
            fromWorker.readLong();
            if (!startInTime.complete(true)) {
                startTimedOut = true;
                throw new EOFException("ready, but after the start timeout, which kills it");
            }
            if (pool.initializer != null) {
                BrokenWorkerException initializerThrew = initialize();
                if (initializerThrew != null) {
                    return initializerThrew;
                }
            }
        } catch (IOException e) {
            String exit = exitOf(e);
            if (initializing && !startStopped) {
                // As CPython's worker whose initializer raised SystemExit: the process stopped, the pool is broken.
                initializerFailed = true;
                return new BrokenWorkerException(name() + " ended while running its initializer (" + exit + "): "
                        + POOL_BROKEN + outputTail(), id, pid, exitStatus(), e instanceof ProtocolException ? e : null);
            }
            String why = startStopped ? stopReason + ", " + exit
                    : startTimedOut ? "it was not ready within the pool's startTimeout " + pool.startTimeout
                    + " and was killed, " + exit : exit;
            // The end of the connection only tells that the worker exited, which the message says; anything else
            // (a protocol error, say) is the cause.
            boolean ended = e instanceof EOFException || e instanceof ClosedChannelException;
            return new BrokenWorkerException(name() + " could not start: " + why + outputTail(), id, pid,
                    exitStatus(), ended ? null : e);
        }
        ready = true;
        startReported = true;
        pool.workerReady(this);
        return null;
    }

    /**
     * Sends the pool's initializer and waits until the worker has run it: {@code null} if it returned; if it threw,
     * the exception that breaks the pool, once the worker has exited, with the initializer's exception (read as a
     * call's is, its suppressed {@link RemoteCallSite} naming where the initializer was given) as its cause: one this
     * JVM cannot read is asked for as a stand-in, as a call's is ({@link #settleWithException}). The connection is
     * then closed, which tells the worker to exit. The start timeout does not bound it.
     */
    private BrokenWorkerException initialize() throws IOException {
        initializing = true;
        synchronized (writeLock) {
            Protocol.writeInit(toWorker, pool.initializer);
        }
        byte type = fromWorker.readByte();
        long frameId = fromWorker.readLong();
        if (frameId != 0 || type != Protocol.INIT && type != Protocol.ERROR) {
            throw new ProtocolException("the worker sent a frame of type " + type + " for call " + frameId
                    + " where the answer to its initializer was due");
        }
        byte[] payload = Protocol.readPayload(fromWorker, pool.allowList.maxPayloadBytes);
        if (type == Protocol.INIT) {
            return null;
        }
        initializerFailed = true;
        var site = new RemoteCallSite("the initializer ran in " + name() + "; it was given here:",
                pool.initializerOrigin);
        Throwable thrown;
        try {
            thrown = decodeException(payload, pool.initializerLoader, "the initializer", site);
        } catch (Throwable e) {
            thrown = unreadable("the initializer threw an exception in " + name() + " that", e, site);
            if (e instanceof ClassNotFoundException || e instanceof NoClassDefFoundError) {
                try {
                    thrown = standIn(0, "the initializer", e, thrown, site);
                } catch (IOException workerGone) {
                    // It died (or was stopped, or broke the protocol) meanwhile: the exception that says it could not
                    // be read stands, with why there is no stand-in.
                    if (workerGone instanceof ProtocolException) {
                        process.destroyForcibly();
                    }
                    thrown.addSuppressed(workerGone);
                }
            }
        }
        synchronized (writeLock) {
            try {
                toWorker.close();   // the worker, which waits for a STANDIN frame or this end, exits
            } catch (IOException alreadyGone) {
                // It exits all the same; the exception read stands.
            }
        }
        int status = exitStatus();
        // A stand-in's message starts with the original's class name: its own would only add noise.
        String what = thrown instanceof ExceptionStandIn ? thrown.getMessage() : Throwables.describe(thrown);
        return new BrokenWorkerException(name() + "'s initializer threw " + what + " (" + describeExit(status)
                + "): " + POOL_BROKEN, id, pid, status, thrown);
    }

    /** What a failed initializer does, for the message of the exception it fails the calls with. */
    private static final String POOL_BROKEN = "the pool is broken, as CPython's BrokenProcessPool; it fails the calls "
            + "pending and refuses new ones";

    /**
     * {@code launch()} itself failed, say starting the thread that forwards its output: the process, if it was
     * created, is killed (its driver will never feed nor retire it) and the worker counts as one that could not start,
     * so that the calls waiting for it fail rather than wait for ever.
     */
    private BrokenWorkerException launchFailed(Throwable e) {
        BrokenWorkerException broken;
        if (process == null) {
            broken = new BrokenWorkerException("worker " + id + " could not be started: " + Throwables.describe(e)
                    + (command == null ? "" : " (command: " + String.join(" ", command) + ")"), id, -1, -1);
        } else {
            process.destroyForcibly();
            int status = exitStatus();
            broken = new BrokenWorkerException(name() + " could not start: starting it here failed with "
                    + Throwables.describe(e) + ", so it was killed, " + describeExit(status) + outputTail(), id, pid,
                    status);
        }
        broken.initCause(e);
        return broken;
    }

    private void pumpOutput() {
        String prefix = name() + ": ";
        try (var in = new InputStreamReader(process.getInputStream())) {
            var lines = new OutputLines(in);
            for (String line; (line = lines.next()) != null; ) {
                String kept = line.length() <= OUTPUT_CHARS_KEPT ? line : line.substring(0, OUTPUT_CHARS_KEPT)
                        + "... (" + (line.length() - OUTPUT_CHARS_KEPT) + " more characters)";
                synchronized (lastOutputLines) {
                    if (lastOutputLines.size() == OUTPUT_LINES_KEPT) {
                        lastOutputLines.removeFirst();
                    }
                    lastOutputLines.addLast(kept);
                }
                PoolLog.log(System.Logger.Level.INFO, prefix + line);
            }
        } catch (IOException processGone) {
            // The pipe broke: nothing more to forward.
        }
    }

    // ---- calls

    /** The connection to the worker had ended before the first byte of a call went out: it had died idle. */
    private static final class Undelivered extends IOException {
        Undelivered(IOException cause) {
            super(cause);
        }
    }

    private void runCall(PoolCall call) throws IOException {
        pool.beforeSend.accept(this, call);
        synchronized (writeLock) {
            if (call.cancelRequested) {
                pool.settle(call, null, null);
                return;
            }
            try {
                Protocol.writeTaskStart(toWorker, call.id);
            } catch (IOException brokenPipe) {
                throw new Undelivered(brokenPipe);
            }
            Protocol.writeTaskRest(toWorker, call.payload.own(), call.payload.bytes());
            call.frameWritten = true;
        }
        callsSent++;
        while (true) {
            byte type = fromWorker.readByte();
            long callId = fromWorker.readLong();
            if (callId != call.id
                    || type != Protocol.ACCEPTED && type != Protocol.RESULT && type != Protocol.ERROR) {
                throw new ProtocolException("the worker sent a frame of type " + type + " for call " + callId
                        + " where the frame of " + call + " was due");
            }
            switch (type) {
                case Protocol.ACCEPTED -> pool.accepted(call);
                case Protocol.RESULT -> {
                    settleWithResult(call, Protocol.readPayload(fromWorker, pool.allowList.maxPayloadBytes));
                    return;
                }
                case Protocol.ERROR -> {
                    settleWithException(call, Protocol.readPayload(fromWorker, pool.allowList.maxPayloadBytes));
                    return;
                }
                default -> throw new ProtocolException("unknown frame type " + type + " from the worker");
            }
        }
    }

    /**
     * Decodes a result; a payload the parent refuses or cannot read fails the call, and leaves the worker as it is.
     * Whatever reading throws fails the call, errors too (a {@code readObject} that throws an {@link Error}, a class
     * whose initializer fails in this JVM): were it to escape, the driver would end and the call would never be done.
     * A result that cannot be read fails the call with an {@link InvalidObjectException} that says so, the failure as
     * its cause: thrown as it is, the failure (a {@code ClassNotFoundException} for a class this JVM cannot load, say)
     * would pass for the task's own exception. A value that cannot be read is no value: it has no stand-in.
     */
    private void settleWithResult(PoolCall call, byte[] payload) {
        var site = new RemoteCallSite(id, pid, call.origin);
        Object value = null;
        Throwable error = null;
        try {
            value = Payloads.decode(payload, pool.allowList, Set.of(), call.loader,
                    "reading the result of " + call + " in the parent");
        } catch (Throwable e) {
            error = unreadable("the result of " + call + " in " + name(), e, site);
        }
        pool.answered(call, value, error);
    }

    /**
     * Settles {@code call} with the exception it threw, read from {@code payload} as {@link #decodeException} does; one
     * that cannot be read is an {@link InvalidObjectException} saying so, its read failure as its cause. One
     * of a class this JVM cannot load (defined at run time in the worker, or loaded there by a class loader of the
     * task's own) is asked for again as text, an {@link ExceptionStandIn} that the worker still has: the call fails
     * with that stand-in, which keeps the original's class name, message, trace and causes, rather than with an
     * {@code InvalidObjectException} that loses them. Asked only then, so that it costs the other calls nothing.
     *
     * @throws IOException if the connection failed while the stand-in was asked for; the call is settled first, with
     *                     the {@code InvalidObjectException}
     */
    private void settleWithException(PoolCall call, byte[] payload) throws IOException {
        var site = new RemoteCallSite(id, pid, call.origin);
        String what = call.toString();
        Throwable error;
        try {
            error = decodeException(payload, call.loader, what, site);
        } catch (Throwable e) {
            error = unreadable(what + " threw an exception in " + name() + " that", e, site);
            if (e instanceof ClassNotFoundException || e instanceof NoClassDefFoundError) {
                try {
                    error = standIn(call.id, what, e, error, site);
                } catch (IOException connectionFailed) {
                    // The worker answered the call: it keeps that answer, whatever became of the worker since.
                    pool.answered(call, null, error);
                    throw connectionFailed;
                }
            }
        }
        pool.answered(call, null, error);
    }

    /**
     * Asks the worker for the stand-in of the exception of {@code what} (frame {@code frameId}: a call's id, or 0 for
     * the initializer), which this JVM could not read ({@code readFailure}), and reads it with {@code site} added;
     * {@code unreadable} if the stand-in cannot be read either.
     *
     * @throws IOException if the connection failed meanwhile
     */
    private Throwable standIn(long frameId, String what, Throwable readFailure, Throwable unreadable,
            RemoteCallSite site) throws IOException {
        String why = "the parent could not read it: " + Throwables.describe(readFailure);
        synchronized (writeLock) {
            toWorker.writeByte(Protocol.STANDIN);
            toWorker.writeLong(frameId);
            toWorker.writeUTF(why.length() <= 4096 ? why : why.substring(0, 4096) + "...");
            toWorker.flush();
        }
        byte type = fromWorker.readByte();
        long answerId = fromWorker.readLong();
        if (type != Protocol.STANDIN || answerId != frameId) {
            throw new ProtocolException("the worker sent a frame of type " + type + " for call " + answerId
                    + " where the stand-in of the exception of " + what + " was due");
        }
        byte[] payload = Protocol.readPayload(fromWorker, pool.allowList.maxPayloadBytes);
        try {
            Throwable standIn = decodeException(payload, ExceptionStandIn.class.getClassLoader(),
                    "the stand-in of the exception of " + what, site);
            if (standIn instanceof ExceptionStandIn) {
                return standIn;
            }
        } catch (Throwable e) {
            unreadable.addSuppressed(e);
        }
        return unreadable;
    }

    /**
     * The exception {@code what} threw in this worker, read from {@code payload} with {@code site} added to it as
     * suppressed, or an {@link IllegalStateException} if the payload holds no exception.
     *
     * @throws IOException            if the payload is refused or cannot be read
     * @throws ClassNotFoundException if a class in it cannot be loaded here; its {@code readObject} may throw anything
     */
    private Throwable decodeException(byte[] payload, ClassLoader loader, String what, RemoteCallSite site)
            throws IOException, ClassNotFoundException {
        Object decoded = Payloads.decode(payload, pool.allowList, Set.of(), loader,
                "reading the exception of " + what + " in the parent");
        if (!(decoded instanceof Throwable error)) {
            return new IllegalStateException(name() + " sent a " + decoded.getClass().getName()
                    + " as the exception of " + what);
        }
        error.addSuppressed(site);
        return error;
    }

    private static InvalidObjectException unreadable(String what, Throwable readFailure, RemoteCallSite site) {
        var e = new InvalidObjectException(what + " could not be read in the parent: "
                + Throwables.describe(readFailure));
        e.initCause(readFailure);
        e.addSuppressed(site);
        return e;
    }

    /**
     * Asks the worker to interrupt {@code call}, and kills the worker if the call is still running after the grace
     * period. Returns at once. Sends nothing if the task frame has not gone out: the driver sees the request and
     * never sends it.
     *
     * <p>The CANCEL frame is written by a thread of its own: writing waits for the driver, which may be stuck writing
     * the task frame to a worker that reads no more (hung), and the caller ({@code shutdownNow()}, say) must not wait
     * with it. The grace period starts first, so killing that worker ends both waits.
     */
    void cancel(PoolCall call) {
        // Completed when the call ends, unless the grace period comes first and kills the worker if the call still
        // runs on it.
        var endedInGrace = unlessInTime(pool.gracePeriod, () -> {
            // Decided and the worker doomed in one step, killed before anything else (the log may be slow): else the
            // call could end meanwhile and the next one be sent here, to be killed in its place.
            if (pool.doomIfRunningOn(call, this)) {
                process.destroyForcibly();
                PoolLog.log(System.Logger.Level.WARNING, name() + " did not stop " + call + " within "
                        + pool.gracePeriod + " of its cancellation: killing the worker");
            }
        });
        call.ended.thenRun(() -> endedInGrace.complete(true));
        CANCEL_WRITERS.newThread(() -> sendCancel(call)).start();
    }

    /**
     * A future that {@code complete(true)} settles in time; if {@code timeout} passes first, it is completed with false
     * and {@code onTimeout} runs (on the JDK's delayer thread). Completing it in time cancels the timer's task, which
     * would otherwise hold this worker (and its pool) until the timeout had passed, for ever with no limit.
     */
    private static CompletableFuture<Boolean> unlessInTime(Duration timeout, Runnable onTimeout) {
        var inTime = new CompletableFuture<Boolean>();
        inTime.thenAccept(done -> {
            if (!done) {
                onTimeout.run();
            }
        });
        return inTime.completeOnTimeout(false, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static final ThreadFactory CANCEL_WRITERS =
            Thread.ofVirtual().name("aio4j-process-cancel-", 0).factory();

    private void sendCancel(PoolCall call) {
        synchronized (writeLock) {
            if (!call.frameWritten) {
                return;
            }
            try {
                Protocol.writeId(toWorker, Protocol.CANCEL, call.id);
            } catch (IOException dying) {
                // Its driver sees it die, and ends the call.
            }
        }
    }

    // ---- the end

    private void retire() {
        boolean diedIdle = !process.isAlive();
        synchronized (writeLock) {
            try {
                toWorker.close();
            } catch (IOException alreadyGone) {
                // It exits all the same.
            }
        }
        int status = exitStatus();
        if (diedIdle) {
            PoolLog.log(System.Logger.Level.WARNING, name() + " died while idle: " + describeExit(status)
                    + outputTail());
        } else if (status != 0) {
            PoolLog.log(System.Logger.Level.WARNING, name() + " ended with " + describeExit(status) + " when retired"
                    + " (killed if it did not exit within " + pool.gracePeriod + ")");
        }
    }

    /**
     * The worker died before {@code call} reached it (killed while idle, before its driver heard of it): the call
     * goes to another worker, and this death is not counted against it.
     */
    private void diedIdle(PoolCall call) {
        pool.undelivered(call);
        synchronized (writeLock) {
            try {
                toWorker.close();
            } catch (IOException alreadyGone) {
                // Nothing to close any more.
            }
        }
        PoolLog.log(System.Logger.Level.WARNING, name() + " died while idle, before " + call + " reached it: "
                + describeExit(exitStatus()) + outputTail());
    }

    private void died(PoolCall call, IOException cause) {
        String reason = exitOf(cause);
        boolean connectionEnded = !(cause instanceof ProtocolException); // else its ACCEPTED frame may be lost
        pool.workerDied(this, call, connectionEnded, () -> new BrokenWorkerException(name() + " died while running "
                + call + ": " + reason + outputTail(), id, pid, exitStatus()));
    }

    /** How the worker ended, once it has: a protocol error also kills it, since its frames cannot be trusted. */
    private String exitOf(IOException cause) {
        if (cause instanceof ProtocolException) {
            process.destroyForcibly();
            return "protocol error (" + cause.getMessage() + "), " + describeExit(exitStatus());
        }
        return describeExit(exitStatus());
    }

    /**
     * Waits for the process to end and for its last lines of output, and returns its exit status. A process
     * still alive after the grace period is killed. (Killing closes the pipes, losing what was not read yet: so
     * a process that is ending by itself is given the time to end.)
     */
    private int exitStatus() {
        boolean interrupted = false;
        int status;
        while (true) {
            try {
                if (!process.waitFor(pool.gracePeriod.toNanos(), TimeUnit.NANOSECONDS)) {
                    process.destroyForcibly();
                }
                status = process.waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        try {
            if (outputPump != null) {   // null if it could not be started
                // Bounded, and once for all calls: a subprocess the worker left running may keep its output open.
                if (drainEnd == 0) {
                    drainEnd = System.nanoTime() + OUTPUT_DRAIN.toNanos();
                }
                long left = drainEnd - System.nanoTime();
                if (left > 0) {
                    outputPump.join(Duration.ofNanos(left));
                }
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return status;
    }

    static String describeExit(int status) {
        if (status > 128 && status <= 128 + 64) {
            int signal = status - 128;
            String name = switch (signal) {
                case 1 -> ", SIGHUP";
                case 2 -> ", SIGINT";
                case 6 -> ", SIGABRT";
                case 9 -> ", SIGKILL";
                case 11 -> ", SIGSEGV";
                case 15 -> ", SIGTERM";
                default -> "";
            };
            return "exit status " + status + " (killed by signal " + signal + name + ")";
        }
        return "exit status " + status;
    }

    private String outputTail() {
        synchronized (lastOutputLines) {
            return lastOutputLines.isEmpty() ? ""
                    : "; its last lines of output:\n  " + String.join("\n  ", lastOutputLines);
        }
    }

    String name() {
        return "worker " + id + " (pid " + pid + ")";
    }

    @Override
    public String toString() {
        return name() + (ready ? "" : " starting");
    }
}
