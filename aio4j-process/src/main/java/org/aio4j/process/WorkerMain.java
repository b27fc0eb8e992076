package org.aio4j.process;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.NotSerializableException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The main class of a worker JVM: connects to its pool (see {@link Rendezvous}), reads task frames from that
 * connection, runs each call on a thread of its own and sends its outcome back (see {@link Protocol}). One call runs
 * at a time; a CANCEL frame interrupts it. The worker exits when the connection ends, which happens when the pool
 * retires it and also when the parent JVM dies for any reason, {@code kill -9} included: no worker outlives its
 * parent. A pool with an initializer sends it first, in an INIT frame: the worker runs it on its main thread, before
 * any call, and if it throws, answers the parent's STANDIN frame if one comes, then exits with status 1 when the
 * connection ends; meanwhile another thread watches the connection, so that a worker whose initializer blocks still
 * exits when its parent dies.
 *
 * <p>The worker's standard streams are the task's: its standard input is empty once the worker has read from it
 * where to connect, and its standard output and error, which the pool logs, are one stream.
 *
 * <p>Arguments: the worker id, then the pool's {@link AllowList#toArgs() allow-list}.
 */
final class WorkerMain {

    private final int id;
    private final AllowList allow;
    private final DataInputStream in;
    private final DataOutputStream out;
    /** The outcomes of the calls, which {@link #sendAnswers} sends. */
    private final LinkedBlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    private volatile Call current;
    /**
     * The stand-in of the exception of the last call (or of the initializer), if it threw, until the next TASK frame
     * or the STANDIN frame that asks for it, whichever comes first (a CANCEL frame leaves it): for the parent that
     * could not read the exception and asks for its stand-in. Only the stand-in's text, made when the call failed,
     * not the exception: an idle worker keeps it until its next call, and the exception's object graph (the task's
     * buffers, what a {@code Cleaner} of an object it holds would release) must not stay reachable that long; see
     * {@link #sendStandIn}.
     */
    private volatile Failure lastFailure;
    /**
     * The first byte after the initializer's INIT frame, or -1 at the end of the connection, read by the thread that
     * watched the connection while the initializer ran ({@link #watchWhileInitializing}); {@code null} once taken, or
     * if there was no initializer. Read and cleared by the main thread only.
     */
    private CompletableFuture<Integer> readWhileInitializing;

    WorkerMain(int id, AllowList allow, DataInputStream in, DataOutputStream out) {
        this.id = id;
        this.allow = allow;
        this.in = in;
        this.out = out;
    }

    static void main(String[] args) {
        int id = Integer.parseInt(args[0]);
        SocketChannel channel;
        try {
            channel = connect();
        } catch (IOException e) {
            System.err.println("aio4j worker " + id + ": could not connect to its pool: " + e);
            System.exit(2);
            return;
        }
        // One stream for what tasks print, so that lines written to System.out and System.err keep their order.
        System.setOut(System.err);
        System.setIn(InputStream.nullInputStream());
        var worker = new WorkerMain(id, AllowList.fromArgs(Arrays.asList(args).subList(1, args.length)),
                new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 1 << 16)),
                new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16)));
        Thread.ofPlatform().name("aio4j-worker-" + id + "-sender").daemon()
                .uncaughtExceptionHandler(WorkerMain::cannotAnswer).start(worker::sendAnswers);
        int status;
        try {
            status = worker.serve();
        } catch (IOException e) {
            System.err.println("aio4j worker " + worker.id + ": " + e);
            status = 2;
        }
        System.err.flush();
        if (worker.current != null) {
            // Halt rather than exit: the call still running (the parent died) must not delay the end.
            Runtime.getRuntime().halt(status);
        }
        System.exit(status);
    }

    /**
     * Reads the socket's path and the token from standard input, which the pool then closes, connects and presents
     * the token. Standard input is read byte by byte, without a buffer, and not closed: file descriptor 0 stays
     * taken, at its end, for whatever the task or its subprocesses read there.
     */
    private static SocketChannel connect() throws IOException {
        var handshake = new DataInputStream(new FileInputStream(FileDescriptor.in));
        String path = handshake.readUTF();
        byte[] token = new byte[Protocol.TOKEN_BYTES];
        handshake.readFully(token);
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(path));
            for (var buffer = ByteBuffer.wrap(token); buffer.hasRemaining(); ) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    /**
     * Answers the pool's frames until the connection ends, then returns the worker's exit status: 0, or 1 if the
     * pool's initializer failed.
     */
    int serve() throws IOException {
        synchronized (out) {
            out.writeByte(Protocol.READY);
            out.writeLong(Protocol.MAGIC);
            out.writeLong(ProcessHandle.current().pid());
            out.flush();
        }
        while (true) {
            int type;
            try {
                type = nextFrameType();
            } catch (EOFException endOfInput) {
                return 0;
            }
            long callId = in.readLong();
            switch (type) {
                case Protocol.INIT -> {
                    Set<String> own = Protocol.readOwnClasses(in);
                    byte[] payload = Protocol.readPayload(in, allow.maxPayloadBytes);
                    if (!initialize(callId, own, payload)) {
                        answerStandInOnly();
                        return 1;
                    }
                }
                case Protocol.TASK -> {
                    lastFailure = null;
                    Set<String> own = Protocol.readOwnClasses(in);
                    byte[] payload = Protocol.readPayload(in, allow.maxPayloadBytes);
                    synchronized (out) {
                        Protocol.writeId(out, Protocol.ACCEPTED, callId);
                    }
                    var call = new Call(callId, own, payload);
                    current = call;
                    call.thread.start();
                }
                case Protocol.CANCEL -> {
                    Call c = current;
                    if (c != null && c.id == callId) {
                        c.thread.interrupt();
                    }
                }
                case Protocol.STANDIN -> sendStandIn(callId, in.readUTF());
                default -> throw new IOException("unknown frame type " + type + " from the pool");
            }
        }
    }

    /**
     * Answers the parent's STANDIN frame for call {@code callId}, whose exception it could not read ({@code why}),
     * with that exception's {@link ExceptionStandIn}, serialized and sent by a thread of its own; its text was taken
     * on the call's thread when the call failed (that runs code of the exception's, {@code getCause()},
     * {@code getMessage()}..., which must not hold up this reader). Fails as an
     * unknown frame does if that call is not the last one, or did not throw: the parent asks right after its ERROR.
     * The initializer's exception is asked for the same way, with the INIT frame's id (0).
     *
     * <p>Once the parent has read an ERROR without asking, nothing tells the worker so until the next TASK frame
     * (an acknowledgement would cost every failed call a frame): what is kept for the stand-in meanwhile is its text,
     * taken when the call failed ({@link ExceptionStandIn#unreadable}), so that the exception, and what only it
     * reaches, is unreachable as soon as the call's thread has queued its ERROR. That costs each failed call the
     * making of that text (small beside serializing the exception), even when the parent reads the exception.
     */
    private void sendStandIn(long callId, String why) throws IOException {
        Failure failure = lastFailure;
        lastFailure = null;
        if (failure == null || failure.callId != callId) {
            throw new IOException("the pool asked for a stand-in of the exception of call " + callId + ", which is "
                    + "not the last call, or did not throw");
        }
        Thread.ofPlatform().name("aio4j-worker-" + id + "-standin-" + callId).daemon()
                .uncaughtExceptionHandler(WorkerMain::cannotAnswer)
                .start(() -> answers.add(new Answer(Protocol.STANDIN, callId, failure.standIn.encode(why, allow))));
    }

    /**
     * After the initializer threw: answers the parent's STANDIN frame for its exception, if the parent could not read
     * it, until the connection ends, which the parent ends once it has what it needs (at once for an exception it
     * read). Any other frame is a protocol error.
     */
    private void answerStandInOnly() throws IOException {
        while (true) {
            int type;
            try {
                type = nextFrameType();
            } catch (EOFException endOfInput) {
                return;
            }
            long frameId = in.readLong();
            if (type != Protocol.STANDIN) {
                throw new IOException("frame type " + type + " for call " + frameId + " from the pool after the "
                        + "initializer failed, where only STANDIN or the end of the connection was due");
            }
            sendStandIn(frameId, in.readUTF());
        }
    }

    /** What a STANDIN frame for the exception a call threw is answered with. */
    private record Failure(long callId, ExceptionStandIn.Unreadable standIn) {
    }

    /** The type byte of the next frame: read by the watcher of the initializer if it ran, else read now. */
    private byte nextFrameType() throws IOException {
        CompletableFuture<Integer> watched = readWhileInitializing;
        if (watched == null) {
            return in.readByte();
        }
        readWhileInitializing = null;
        int b;
        try {
            b = watched.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        if (b < 0) {
            throw new EOFException();
        }
        return (byte) b;
    }

    /**
     * Reads, on a thread of its own, the first byte that follows the INIT frame: the pool sends nothing until it has
     * the initializer's answer, so that read waits while the initializer runs, and ends it only if the connection
     * ends, which happens when the parent dies: then, if the initializer still runs, the worker halts (the main thread,
     * which would see the end of the connection otherwise, is the initializer's). Else the byte read is the next
     * frame's type, which the main thread takes ({@link #nextFrameType}).
     *
     * @param initializing whether the initializer still runs; the main thread clears it once it has returned
     */
    private void watchWhileInitializing(AtomicBoolean initializing) {
        var next = new CompletableFuture<Integer>();
        readWhileInitializing = next;
        Thread.ofPlatform().name("aio4j-worker-" + id + "-init-watcher").daemon().start(() -> {
            try {
                int b = in.read();
                if (b < 0 && initializing.get()) {
                    System.err.println("aio4j worker " + id + ": the connection to its pool ended while the "
                            + "initializer ran (the parent died): exiting");
                    System.err.flush();
                    Runtime.getRuntime().halt(0);
                }
                next.complete(b);
            } catch (IOException | RuntimeException e) {
                if (initializing.get()) {
                    Runtime.getRuntime().halt(2);
                }
                next.completeExceptionally(e);
            }
        });
    }

    /**
     * Runs the pool's initializer, on this thread before any call, and answers INIT if it returned, or ERROR with its
     * exception (copied as a call's is) if reading or running it threw; then it also prints the exception, as
     * CPython's worker logs "Exception in initializer:", keeps it as {@link #lastFailure} for the parent that cannot
     * read it ({@link #answerStandInOnly}), and the worker is to exit: a pool whose initializer failed is broken.
     *
     * @return whether the initializer returned
     */
    private boolean initialize(long frameId, Set<String> own, byte[] payload) throws IOException {
        Throwable failure = null;
        var initializing = new AtomicBoolean(true);
        watchWhileInitializing(initializing);
        try {
            Object initializer = Payloads.decode(payload, allow, own, WorkerMain.class.getClassLoader(),
                    "reading the initializer in worker " + id);
            ((Runnable) initializer).run();
        } catch (Throwable e) {
            failure = e;
        }
        initializing.set(false);
        // An interrupt the initializer left pending is its own affair (CPython's worker looks only at whether it
        // raised): this thread's next write, to an interruptible channel, would fail on it and end the worker.
        Thread.interrupted();
        synchronized (out) {
            if (failure == null) {
                out.writeByte(Protocol.INIT);
                out.writeLong(frameId);
                Protocol.writePayload(out, new byte[0]);
                return true;
            }
            // before the answer, after which the parent may ask for it
            lastFailure = new Failure(frameId, ExceptionStandIn.unreadable(failure));
            out.writeByte(Protocol.ERROR);
            out.writeLong(frameId);
            Protocol.writePayload(out, ExceptionStandIn.encode(failure, allow));
        }
        System.err.println("aio4j worker " + id + ": exception in initializer:");
        failure.printStackTrace();
        return false;
    }

    /** The outcome of a call, to send: RESULT or ERROR. */
    private record Answer(byte type, long id, byte[] payload) {
    }

    /**
     * Sends the calls' outcomes, on a thread of its own that nothing interrupts: the connection is an interruptible
     * channel, which an interrupt closes, and a call's thread may be interrupted at any time (by a CANCEL frame, or
     * by a thread the task left behind). The reader, which nothing interrupts either, sends its frames itself.
     */
    void sendAnswers() {
        try {
            while (true) {
                Answer a = answers.take();
                synchronized (out) {
                    out.writeByte(a.type);
                    out.writeLong(a.id);
                    Protocol.writePayload(out, a.payload);
                }
            }
        } catch (IOException parentGone) {
            // The reader sees the end of the connection and ends the worker.
        } catch (InterruptedException e) {
            throw new IllegalStateException("the sender of a worker's answers was interrupted", e);
        }
    }

    /** A call that cannot even send its outcome (out of memory...): die, so the pool fails it instead of waiting. */
    private static void cannotAnswer(Thread thread, Throwable e) {
        try {
            System.err.println("aio4j worker: " + thread.getName() + " could not send its outcome: "
                    + Throwables.describe(e));
        } finally {
            Runtime.getRuntime().halt(3);   // even if printing failed: a worker that neither answers nor dies hangs
        }
    }

    /** One call: deserialized, run and answered on its own thread, so the reader stays free for CANCEL frames. */
    private final class Call implements Runnable {
        final long id;
        final Set<String> own;
        final byte[] payload;
        final Thread thread;

        Call(long id, Set<String> own, byte[] payload) {
            this.id = id;
            this.own = own;
            this.payload = payload;
            this.thread = Thread.ofPlatform().name("aio4j-worker-" + WorkerMain.this.id + "-call-" + id)
                    .daemon().uncaughtExceptionHandler(WorkerMain::cannotAnswer).unstarted(this);
        }

        @Override
        public void run() {
            byte type;
            byte[] answer;
            try {
                Object result = execute(readTask());
                answer = encodeResult(result);
                type = Protocol.RESULT;
            } catch (Throwable e) {
                answer = ExceptionStandIn.encode(e, allow);
                type = Protocol.ERROR;
                // before the answer, after which the parent may ask for it; the stand-in's text, not the exception
                lastFailure = new Failure(id, ExceptionStandIn.unreadable(e));
            }
            // No longer the call a CANCEL is for: cleared before the outcome goes out, since once the parent has read
            // it, it may send the next task at once, which the reader makes current; clearing after the send could
            // then clear the next call, whose CANCEL would be ignored.
            current = null;
            answers.add(new Answer(type, id, answer));
        }

        /**
         * The task, read from its payload. A class the worker cannot load fails the call saying where a worker loads
         * classes from: thrown as it is, the {@code ClassNotFoundException} would pass for the task's own exception.
         */
        private Object readTask() throws IOException {
            try {
                return Payloads.decode(payload, allow, own, WorkerMain.class.getClassLoader(),
                        "reading the task in worker " + WorkerMain.this.id);
            } catch (ClassNotFoundException e) {
                var clear = new InvalidClassException(e.getMessage(), "worker " + WorkerMain.this.id + " (pid "
                        + ProcessHandle.current().pid() + ") could not read the task: it cannot load class "
                        + e.getMessage() + ". A worker loads classes from the parent's class path (java.class.path),"
                        + " not from the parent's other class loaders (a plugin's, an application server's, the"
                        + " nested jars of a fat jar): put that class's jar on the class path");
                clear.initCause(e);
                throw clear;
            }
        }

        private byte[] encodeResult(Object result) throws IOException {
            try {
                return Payloads.encode(result, allow, Set.of(), "in the task's result");
            } catch (NotSerializableException e) {
                var clear = new NotSerializableException("the task's result (a " + result.getClass().getName()
                        + ") contains a " + e.getMessage() + ", which is not Serializable: return a value that"
                        + " is (make that class implement java.io.Serializable, or return what the caller needs of it,"
                        + " as a record of serializable fields), as a ProcessPoolExecutor's result must pickle");
                clear.initCause(e);
                throw clear;
            }
        }

        private Object execute(Object task) throws Exception {
            if (Thread.interrupted()) {
                // Cancelled while it was being read: it never starts.
                throw new InterruptedException("call " + id + " was cancelled before it started");
            }
            if (task instanceof Callable<?> c) {
                return c.call();
            }
            if (task instanceof Runnable r) {
                r.run();
                return null;
            }
            throw new IllegalArgumentException("a task must be a Callable or a Runnable, got " + task.getClass());
        }
    }
}
