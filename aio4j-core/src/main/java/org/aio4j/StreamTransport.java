package org.aio4j;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * One byte stream of a loop, a TCP or Unix-domain connection or a pipe of a subprocess: asyncio's transport and
 * {@code StreamReaderProtocol} in one. It owns the channel (blocking), the {@link StreamReader} and/or
 * {@link StreamWriter} over it, and the virtual threads that do the blocking I/O off the loop ({@link ReadPump},
 * {@link WritePump}); what they bring back reaches the loop as posted callbacks, as
 * {@link EventLoop#callSoonThreadsafe} would. Its threads are started on the JDK's scheduler, not on a loop's
 * dedicated carrier, which a blocked read would otherwise hold. A connection has both a reader and a writer; a
 * subprocess's stdin only a writer, its stdout and stderr only a reader. A TLS connection's threads read and write
 * the streams of the JDK's {@link SSLSocket} layered over the channel (see {@link TlsHandshake}), which they may do
 * at once, each under its own lock of the socket's.
 *
 * <p>The stream is lost once, when the channel is closed: by {@link StreamWriter#close()} after the last byte is
 * written, by an I/O error of a thread, by the end of a pipe, or by the loop's close. Then the reader sees the end
 * of the stream (or the error), the writer's {@code waitClosed()} returns, and the threads end. A TLS connection's
 * close sends its {@code close_notify} and waits for the peer's before it closes the channel, as asyncio's SSL
 * transport does, bounded by its shutdown timeout, a timer of the loop from {@link StreamWriter#close()} (asyncio's
 * {@code ssl_shutdown_timeout}; see {@link #closeRequested()}).
 */
final class StreamTransport implements OpenStreams.Closer {

    private static final ThreadFactory THREADS = Schedulers.sharedThreads("aio4j-stream-io", -1);
    /**
     * The threads of a pipe's pumps (a child's stdin, stdout, stderr): platform threads. A pipe is read and written as
     * a file, which a virtual thread cannot leave its carrier for while it blocks, and the JDK's scheduler makes up
     * for only so many carriers blocked that way: a few children with idle pipes left no carrier for the loop's tasks,
     * and the program hung.
     */
    private static final ThreadFactory PIPE_THREADS = Thread.ofPlatform().daemon().name("aio4j-pipe-io").factory();

    /** An I/O step of the transport's own, run by its writing thread. */
    private interface IoStep {
        void run() throws IOException;
    }

    final EventLoop loop;
    /** Where the reading thread reads, or null: nothing to read (the TLS socket's stream once upgraded). */
    volatile ReadableByteChannel in;
    /** Where the writing thread writes, or null: nothing to write (the TLS socket's stream once upgraded). */
    volatile WritableByteChannel out;
    final StreamReader reader;
    final StreamWriter writer;
    private final Closeable channel;
    /** The TLS socket layered over the channel, or null: a plain stream (set once if upgraded). */
    private volatile SSLSocket tls;
    /** Its session, read once its handshake is made (the JDK's socket then gives it without a lock), or null. */
    private volatile SSLSession session;
    /**
     * The TLS shutdown timeout in milliseconds (asyncio's {@code ssl_shutdown_timeout}), or 0: none, a plain stream.
     * Set with {@link #tls} (a connection opened over TLS), or when {@link #startTls} begins. Loop-confined.
     */
    private int shutdownMillis;
    /** The timer that aborts the connection if its close takes longer than {@link #shutdownMillis}, or null. */
    private TimerHandle shutdownTimer;
    /** What {@link StreamWriter#writeEof()} does once everything queued is written. */
    private volatile IoStep halfClose;
    /** The addresses of the two ends, as the channel gives them (a Unix-domain one may be a client's name). */
    private final SocketAddress peer;
    private final SocketAddress local;
    private volatile String description;
    /**
     * The host a TCP client dialled ({@link Aio#openConnection}'s), the default server name of its upgrade to TLS;
     * null for a server's end or another stream.
     */
    private String dialled;
    private final ReadPump readPump;
    private final WritePump writePump;
    /** The thread of {@link #writePump}, once {@link #start()}ed: the loop's close waits for it to write what is queued. */
    private volatile Thread writeThread;
    /** A child's pipe, whose pumps run on {@link #PIPE_THREADS}: set by {@link #ofPipe} before {@link #start()}. */
    private boolean pipe;
    /**
     * Null while open; once {@link #abort} has run, the loss it posted, or {@link #CLOSED_CLEANLY} for a close: set in
     * one step, so that {@link #deliverAbortNow} never sees the stream closed without its cause.
     */
    private final AtomicReference<Object> closedBy = new AtomicReference<>();
    private static final Object CLOSED_CLEANLY = new Object();
    private final Consumer<StreamTransport> onLost;
    private final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** On the loop: the loss was processed (reader and writer know). */
    private boolean lost;
    /**
     * The other end of this connection when it is a connection of the same loop (a client's and the server's end
     * of its accept), or null: set on the loop, read by the writing thread.
     */
    private volatile StreamTransport peerOnLoop;
    /** The reading thread has read the end of the stream: over TLS, the peer's close_notify (or TCP close). */
    private volatile boolean endRead;
    /**
     * A TLS close has sent its {@code close_notify} and waits for the peer's (or its TCP close): the reading thread
     * reads on, dropping what it reads, and closes the connection at the end (see {@link #closeAfterWrites()}).
     */
    private volatile boolean shuttingDown;
    /** On the loop: the bytes fed to the reader so far. */
    private long received;

    private StreamTransport(EventLoop loop, ReadableByteChannel in, WritableByteChannel out, Closeable channel,
                            IoStep halfClose, SSLSocket tls, SocketAddress peer, SocketAddress local,
                            String description, int limit, Consumer<StreamTransport> onLost) {
        this.loop = loop;
        this.in = in;
        this.out = out;
        this.channel = channel;
        this.tls = tls;
        this.session = tls != null ? tls.getSession() : null;
        this.halfClose = halfClose != null ? halfClose : () -> abort(null);
        this.peer = peer;
        this.local = local;
        this.description = description;
        this.onLost = onLost;
        this.readPump = in != null ? new ReadPump(this) : null;
        this.writePump = out != null ? new WritePump(this) : null;
        this.reader = in != null ? new StreamReader(limit, this) : null;
        this.writer = out != null ? new StreamWriter(this) : null;
    }

    /**
     * On the loop: a connection over {@code channel} (connected, in blocking mode) with a reader of {@code limit};
     * {@code onLost} runs on the loop once the connection is lost. Call {@link #start()} next.
     */
    static StreamTransport ofSocket(EventLoop loop, SocketChannel channel, int limit, Consumer<StreamTransport> onLost)
            throws IOException {
        return ofSocket(loop, channel, null, 0, limit, onLost);
    }

    /**
     * As {@link #ofSocket(EventLoop, SocketChannel, int, Consumer)}, over {@code tls} if it is not null: the TLS
     * socket layered over {@code channel}, its handshake made. Its threads read and write the TLS socket's streams;
     * a close sends its {@code close_notify} once everything queued is written, then closes {@code channel} once the
     * peer's has come (see {@link #closeAfterWrites()}), and an abort closes {@code channel} alone: never the TLS
     * socket, whose close from another thread may wait for the locks of a read or write blocked in it. A close that
     * takes longer than {@code shutdownMillis} (0: the default,
     * {@link TlsHandshake#SHUTDOWN_TIMEOUT_MILLIS}) is aborted (see {@link #closeRequested()}).
     */
    static StreamTransport ofSocket(EventLoop loop, SocketChannel channel, SSLSocket tls, int shutdownMillis,
                                    int limit, Consumer<StreamTransport> onLost) throws IOException {
        SocketAddress peer = channel.getRemoteAddress();
        SocketAddress local = channel.getLocalAddress();
        String description = "connection " + named(local) + " -> " + named(peer) + (tls != null ? " over TLS" : "");
        if (tls == null) {
            return new StreamTransport(loop, channel, channel, channel, channel::shutdownOutput, null, peer, local,
                    description, limit, onLost);
        }
        var t = new StreamTransport(loop, Channels.newChannel(tls.getInputStream()),
                Channels.newChannel(tls.getOutputStream()), channel, null, tls, peer, local, description, limit,
                onLost);
        t.shutdownMillis = TlsHandshake.shutdownOrDefault(shutdownMillis);
        return t;
    }

    /** How the description names {@code address}: a Unix-domain socket by its path, or as unnamed. */
    private static String named(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress) {
            Path path = reported(address);
            return path.toString().isEmpty() ? "unnamed" : path.toString();
        }
        return String.valueOf(address);
    }

    /**
     * The path of a Unix-domain {@code address} as the loop's user sees it: the empty path (an unnamed socket) for a
     * name of {@link UnixClientNames}, which is the loop's own business.
     */
    private static Path reported(SocketAddress address) {
        return UnixClientNames.isOne(address) ? Path.of("") : ((UnixDomainSocketAddress) address).getPath();
    }

    /** On the loop: a subprocess's output pipe, read with a reader of {@code limit}. Call {@link #start()} next. */
    static StreamTransport ofPipe(EventLoop loop, InputStream pipe, int limit, String description) {
        ReadableByteChannel ch = Channels.newChannel(pipe);
        var t = new StreamTransport(loop, ch, null, ch, null, null, null, null, description, limit, lost -> { });
        t.pipe = true;
        return t;
    }

    /**
     * On the loop: the input pipe of subprocess {@code child}, written with a writer whose {@code writeEof()} closes
     * it. Call {@link #start()} next.
     */
    static StreamTransport ofPipe(EventLoop loop, OutputStream pipe, String description, ProcessHandle child) {
        // The JDK's process input is buffered: each write is flushed, as the writer's thread is the only buffer.
        WritableByteChannel ch = Channels.newChannel(new java.io.FilterOutputStream(pipe) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    out.write(b, off, len);
                    out.flush();
                } catch (IOException e) { // "Stream closed" once the JDK saw the child exit, naming neither
                    throw new IOException(description + ": " + e.getMessage()
                            + (child.isAlive() ? "" : " (the child has exited)"), e);
                }
            }
        });
        var t = new StreamTransport(loop, null, ch, ch, null, null, null, null, description, 1, lost -> { });
        t.pipe = true;
        return t;
    }

    /** On the loop: registers the stream with its loop and starts its threads. */
    void start() {
        loop.openStreams.add(this);
        loop.openStreams.started(this);
        for (Runnable pump : new Runnable[] {readPump, writePump}) {
            if (pump != null) {
                Thread t = (pipe ? PIPE_THREADS : THREADS).newThread(pump);
                threads.add(t);
                if (pump == writePump) {
                    writeThread = t;
                }
                t.start();
            }
        }
    }

    /** The peer's address as the channel gives it (a Unix-domain client's name included), or null for a pipe. */
    SocketAddress peer() {
        return peer;
    }

    /** The local address as the channel gives it, or null for a pipe. */
    SocketAddress local() {
        return local;
    }

    /** The peer's path if this is a Unix-domain connection (empty if unnamed), else null. */
    Path peerPath() {
        return peer instanceof UnixDomainSocketAddress ? reported(peer) : null;
    }

    /** The local path if this is a Unix-domain connection (empty if unnamed), else null. */
    Path localPath() {
        return local instanceof UnixDomainSocketAddress ? reported(local) : null;
    }

    WritePump writePump() {
        return writePump;
    }

    /** Whether its reading thread was told to stop reading (for tests of flow control). */
    boolean readingPaused() {
        return readPump.isPaused();
    }

    /** The writing thread, once {@link #start()}ed, or null (for tests: it ends once its close_notify is sent). */
    Thread writeThread() {
        return writeThread;
    }

    /** The stream's threads (for tests: they must end once it is closed). */
    List<Thread> threads() {
        return new ArrayList<>(threads);
    }

    /**
     * What a read waiting on this stream counts as while it is in flight: a new object for each wait. Its bytes may
     * come at any time, unless the other end is a connection of the same loop that has nothing on its way: then
     * only the loop's tasks can send them, and a loop with nothing else to do is deadlocked.
     */
    Object readInFlight() {
        return new InFlight.LoopIo() {
            @Override
            public boolean waitsForTheLoop() {
                StreamTransport p = peerOnLoop;
                return p != null && !lost && !p.isClosed() && p.writePump.sentAllOf(received);
            }

            @Override
            public String toString() {
                return "a read from " + StreamTransport.this;
            }
        };
    }

    /** On the loop: {@code a} and {@code b} are the two ends of one connection, both of this loop. */
    static void pairOnLoop(StreamTransport a, StreamTransport b) {
        a.peerOnLoop = b;
        b.peerOnLoop = a;
    }

    /** Whether the other end of this connection is a connection of the same loop. */
    boolean hasPeerOnLoop() {
        return peerOnLoop != null;
    }

    /** What a drain() or waitClosed() counts as while it is in flight: a new object for each wait. */
    Object writeInFlight() {
        return InFlight.ioWait("a write to", this);
    }

    /** From a thread: hands {@code callback} to the loop; false if the loop is closed, which closes the stream too. */
    boolean post(Runnable callback) {
        return loop.post(new Handle(callback, null));
    }

    /** The TLS session of a TLS connection (its handshake made), or null for a plain stream. */
    SSLSession sslSession() {
        return session;
    }

    /**
     * From the writing thread, once everything queued before {@link StreamWriter#close()} is written: closes the
     * connection, a TLS one as asyncio's SSL transport shuts TLS down (CPython 3.13's {@code sslproto.py}, its
     * {@code SHUTDOWN} state): it sends its {@code close_notify}, then waits for the peer's, or for its TCP close,
     * before it closes the socket. Meanwhile the reading thread reads on, whatever the reader's flow control, and
     * drops what it reads (asyncio delivers nothing once it has sent its {@code close_notify}); the shutdown timeout
     * bounds the wait (see {@link #closeRequested()}). Closing the socket at once, as this did, left what the peer
     * sends meanwhile to a closed socket, whose kernel answers with a TCP reset that drops the part of the last bytes
     * written not yet sent. A {@code close_notify} that cannot be sent (the peer gone) closes the socket at once.
     */
    void closeAfterWrites() {
        if (tls != null && !isClosed()) {
            try {
                tls.shutdownOutput(); // the close_notify, then the TCP half-close (the TLS socket owns the channel)
            } catch (IOException e) {
                abort(null);
                return;
            }
            shuttingDown = true;
            if (readPump != null && !endRead) { // else its end came already: nothing more to wait for
                readPump.readToTheEnd();
                return; // the reading thread closes it at the end (both may: abort() acts once)
            }
        }
        abort(null);
    }

    /** From the reading thread: whether what it reads is dropped, a TLS close waiting for the peer's end. */
    boolean shuttingDown() {
        return shuttingDown;
    }

    /**
     * On the loop (or while it is not running), as {@link StreamWriter#close()} asks the writing thread to close: the
     * close of a TLS connection, or of one that {@link #startTls} is upgrading, is bounded by its shutdown timeout,
     * as asyncio's {@code ssl_shutdown_timeout} bounds its SSL transport's (a timer of the loop set by
     * {@code close()}, covering the flush of what is queued, the {@code close_notify} and the wait for the peer's):
     * if the connection is still open when the timer fires, it is aborted, dropping what is not written, with a
     * {@link SocketTimeoutException} (asyncio's {@code TimeoutError}) that the writer's {@code waitClosed()} and the
     * reader then throw. The timer is
     * cancelled once the connection is lost. A plain stream has none, as in asyncio.
     */
    void closeRequested() {
        int millis = shutdownMillis;
        if (millis == 0 || shutdownTimer != null || isClosed() || loop.isClosed()) {
            return;
        }
        shutdownTimer = loop.scheduleAfter(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis),
                (Runnable) () -> {
                    shutdownTimer = null;
                    if (!isClosed()) {
                        abort(new SocketTimeoutException("TLS shutdown timed out after " + millis / 1000.0
                                + " seconds: aborting " + description));
                        deliverAbortNow(); // the reader and the tasks waiting learn of it now, as after abort()
                    }
                });
    }

    /** On the loop: this is a TCP client's end, which dialled {@code host}. */
    void dialled(String host) {
        dialled = host;
    }

    /** The host a TCP client dialled, or null for a server's end or another stream. */
    String dialled() {
        return dialled;
    }

    /** Whether this is a TCP connection (a Unix-domain one or a pipe cannot be upgraded to TLS here). */
    boolean isTcp() {
        return channel instanceof SocketChannel && peer instanceof java.net.InetSocketAddress;
    }

    /**
     * On the loop: upgrades this plain TCP connection to TLS in place, as asyncio's {@code loop.start_tls} does: the
     * reading thread hands over what it reads from now on, and the writing thread, once everything queued before is
     * written, makes the handshake ({@link TlsHandshake#upgrade}) and then reads and writes the TLS socket's streams;
     * {@code done} runs on the loop once it succeeded. A failure closes the connection with the handshake's error,
     * which the writer and reader then see. A close requested from now on is bounded by {@code shutdownMillis} (0:
     * the default; see {@link #closeRequested()}).
     */
    void startTls(SSLContext ssl, boolean client, String serverHostname, int timeoutMillis, int shutdownMillis,
                  Runnable done) {
        this.shutdownMillis = TlsHandshake.shutdownOrDefault(shutdownMillis); // a close from now on is bounded
        ReadPump.Consumed consumed = readPump.handOver();
        writePump.requestUpgrade(() -> {
            SSLSocket s;
            try {
                s = TlsHandshake.upgrade((SocketChannel) channel, consumed, ssl, client, serverHostname,
                        timeoutMillis);
            } catch (RuntimeException e) { // the context's code (a provider's factory that cannot layer, say)
                throw new javax.net.ssl.SSLException("the TLS upgrade failed in the SSLContext's code: " + e, e);
            }
            tls = s;
            session = s.getSession();
            in = Channels.newChannel(s.getInputStream());
            out = Channels.newChannel(s.getOutputStream());
            halfClose = () -> abort(null);
            description = description + " over TLS";
            readPump.resume();
            post(done);
        });
    }

    /** From the reading thread (under its pump's monitor), before it posts the end of the stream: it has read it. */
    void endRead() {
        endRead = true;
    }

    /**
     * From the reading thread, once it has posted the end of the stream: closes the connection if a TLS close was
     * waiting for it (see {@link #closeAfterWrites()}, which closes it itself if it saw the end first).
     */
    void endReadWhileShuttingDown() {
        if (shuttingDown) {
            abort(null);
        }
    }

    /**
     * From the writing thread: the loss that the write error {@code e} makes, {@code e} itself but over TLS once the
     * peer's end was read: then it is a close (null). The JDK answers a TLS 1.2 {@code close_notify} with its own
     * and closes its side, so a write after it fails; asyncio's SSL transport shuts down at the peer's end and drops
     * what is written after it, its {@code drain()} and {@code wait_closed()} raising nothing. The JDK closes its side
     * within the read that takes the {@code close_notify}, before that read returns: a write in progress fails then,
     * so the outcome of the read in progress is waited for before the peer's end is looked at.
     */
    IOException writeFailure(IOException e) {
        if (tls == null) {
            return e;
        }
        if (!endRead && readPump != null) {
            readPump.awaitReadOutcome();
        }
        return endRead ? null : e;
    }

    /** From the writing thread, once everything queued is written: {@link StreamWriter#writeEof()}'s half-close. */
    void halfClose() throws IOException {
        halfClose.run();
    }

    // ---- on the loop, posted by the threads

    void dataReceived(byte[] data) {
        if (readPump.takenOver(data)) {
            return; // read once an upgrade began: the TLS socket's (see ReadPump#handOver)
        }
        received += data.length;
        if (!lost) {
            reader.feedData(data);
        }
        readPump.delivered(); // after feedData, which may have paused reading: the thread then waits
    }

    void eofReceived() {
        if (!lost) {
            reader.feedEof();
            if (tls != null && writer != null) {
                writer.peerEnded(); // asyncio's SSL transport shuts down at the peer's close_notify
            }
        }
        if (out == null) {
            abort(null); // a pipe that only reads is done
        }
    }

    void drained() {
        writer.wakeDrainers();
    }

    void pauseReading() {
        readPump.setPaused(true);
    }

    void resumeReading() {
        readPump.setPaused(false);
    }

    private void connectionLost(IOException cause) {
        if (lost) {
            return;
        }
        lost = true;
        loop.openStreams.settled(this);
        if (shutdownTimer != null) { // asyncio's connection_lost cancels its shutdown timer
            shutdownTimer.cancel();
            shutdownTimer = null;
        }
        if (reader != null) { // on the loop, or on the thread closing it (which may hold another loop)
            if (cause != null) {
                reader.failed(cause);
            } else {
                reader.ended();
            }
        }
        if (writer != null) {
            writer.connectionLost(cause);
        }
        onLost.accept(this);
    }

    // ---- closing, from any thread

    /**
     * Closes the channel at once and ends the threads, dropping what is not written; the loss ({@code cause}, or
     * null for a close) is posted to the loop. Only the first call does anything: an error that the close itself
     * caused in a blocked thread is ignored. The stream leaves the loop's open streams here, as it is closed, not
     * when the loop learns of the loss (a task woken by the end of the stream may look before that).
     */
    void abort(IOException cause) {
        if (!closedBy.compareAndSet(null, cause == null ? CLOSED_CLEANLY : cause)) {
            return;
        }
        loop.openStreams.remove(this);
        try {
            channel.close();
        } catch (IOException ignored) {
            // closed anyway
        }
        if (readPump != null) {
            readPump.stop();
        }
        if (writePump != null) {
            writePump.stop();
        }
        post(() -> connectionLost(cause));
    }

    /**
     * On the loop (or on the thread closing it, once the stream is closed): if {@link #abort} was called, lets the
     * reader and writer know of the loss now rather than when the loop reaches what abort posted (which then does
     * nothing).
     */
    void deliverAbortNow() {
        Object by = closedBy.get();
        if (by != null) {
            connectionLost(by instanceof IOException cause ? cause : null);
        }
    }

    /**
     * On the loop: if {@link #abort} was called with an error (by a thread that read or wrote), lets the reader and
     * writer know of it now. A clean close is left to its turn, behind the bytes the reading thread posted before it;
     * a failure loses nothing so, as every read throws it once it is known.
     */
    void deliverFailureNow() {
        if (closedBy.get() instanceof IOException cause) {
            connectionLost(cause);
        }
    }

    /** Whether {@link #abort} has run. */
    boolean isClosed() {
        return closedBy.get() != null;
    }

    /**
     * The loop's close: the writing thread writes what is queued (and a TLS connection's {@code close_notify}), then
     * closes the connection, as after {@link StreamWriter#close()}.
     */
    @Override
    public void flushBeforeClose() {
        if (writePump != null && !isClosed()) {
            writePump.requestClose();
        }
    }

    @Override
    public boolean flushing() {
        Thread t = writeThread;
        return t != null && t.isAlive();
    }

    @Override
    public long flushProgress() {
        return writePump != null ? writePump.progress() : 0;
    }

    @Override
    public void awaitFlushed(long nanos) throws InterruptedException {
        Thread t = writeThread;
        if (t != null) {
            t.join(java.time.Duration.ofNanos(nanos));
        }
    }

    @Override
    public void closeNow() {
        abort(null);
    }

    @Override
    public String toString() {
        return description + (isClosed() ? " (closed)" : "");
    }
}
