package org.aio4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;

/**
 * The sending end of a connection or of a child's input pipe: asyncio's {@code asyncio.StreamWriter}, as
 * {@link Aio#openConnection}, {@link Aio#openUnixConnection}, a {@link Server}'s {@link ConnectionHandler} and a
 * {@link Subprocess} hand it out.
 *
 * <p>{@link #write} never suspends: it queues the bytes, and a virtual thread of the stream's own writes them to the
 * socket or pipe off the loop, in order. Pair writes with {@link #drain()}, which suspends once more than 64 KiB wait
 * to be written, until they are down to 16 KiB (asyncio's transport defaults), so that a fast writer is held back by a
 * slow peer instead of filling memory:
 *
 * <pre>{@code
 * writer.write(line);
 * writer.drain();
 * }</pre>
 *
 * <p><b>Closing.</b> {@link #close()} closes the connection once the bytes already queued are written (asyncio's
 * transports flush before they close); {@link #waitClosed()} suspends until it is closed. A TLS connection's close
 * sends a {@code close_notify} and waits for the peer's, and the end that reads the peer's {@code close_notify}
 * closes too, as asyncio's SSL transport does. A TLS connection whose close has not finished after its shutdown
 * timeout (30 s by default, asyncio's {@code ssl_shutdown_timeout}) is aborted; a plain one's close waits for the
 * peer as long as it takes, as in asyncio. The loop's close closes
 * every connection still open the same way, once what was written is sent: a program that wrote and ended has sent
 * what it wrote, as under asyncio, whose {@code write} hands the bytes to the system when it can. It waits while the
 * bytes move; a connection whose peer takes nothing for 2 s is closed with the rest dropped (a peer reading slower than
 * about 1 MB/s may show no progress that long, as a writer blocked on a full send buffer is woken only once a third of
 * it has drained). {@link #abort()} closes it at once, dropping what is not yet written (asyncio's
 * {@code transport.abort()}). A try-with-resources statement calls {@link #close()} at the end of its block, as it
 * does for a {@link Server} or a {@link DatagramEndpoint}: {@code try (StreamWriter w = conn.writer()) { ... }}.
 *
 * <p><b>Cancellation.</b> A task cancelled in {@link #drain()} or {@link #waitClosed()} throws
 * {@link CancellationException}; what it wrote stays queued and is written.
 *
 * <p><b>Threads.</b> A loop object, like {@link Queue}: call it from a task of its loop (or while that loop is not
 * running); other threads throw {@link IllegalStateException}.
 */
public final class StreamWriter extends LoopBound implements AutoCloseable {

    private final StreamTransport transport;
    private final WritePump pump;
    private boolean closing;
    /**
     * The peer's end of a TLS connection was read (its {@code close_notify}, or its TCP close), which closes this side
     * too, as asyncio's SSL transport shuts down then: writes from then on are dropped, not refused.
     */
    private boolean closedByPeer;
    private boolean eofWritten;
    private boolean lost;
    private IOException lostCause;
    private final ArrayDeque<Future<Boolean>> drainers = new ArrayDeque<>();
    private final ArrayDeque<Future<Boolean>> closeWaiters = new ArrayDeque<>();
    /** The task waiting in {@link #startTls} (at most one: a second call is refused), woken by its outcome. */
    private final ArrayDeque<Future<Boolean>> tlsWaiters = new ArrayDeque<>();
    /** A {@link #startTls} is under way (until the handshake's outcome reaches the loop). */
    private boolean upgrading;

    StreamWriter(StreamTransport transport) {
        this.transport = transport;
        this.pump = transport.writePump();
        check("new"); // bound to the loop that makes it: another thread is refused even before the first write
    }

    /**
     * Queues {@code data} to be written, without suspending: asyncio's {@code write(data)}. The array is copied. If
     * the connection is already lost, the bytes are dropped, as asyncio's are ({@link #drain()} then throws); so are
     * they once the peer's end of a TLS connection was read, which closes this side too (see {@link #close()}).
     *
     * @param data the bytes to send
     * @throws NullPointerException  if {@code data} is null
     * @throws IllegalStateException if {@link #close()} or {@link #writeEof()} was called (asyncio ignores a write
     *                               after {@code close()}), or if called on a thread that does not hold the
     *                               writer's loop
     */
    public void write(byte[] data) {
        check("write");
        Objects.requireNonNull(data, "data must not be null");
        checkWritable("write()");
        if (lostNow() || closedByPeer || data.length == 0) {
            return;
        }
        pump.add(data.clone());
    }

    /**
     * Queues each array of {@code data}, in order, as {@link #write} would, without suspending: asyncio's
     * {@code writelines(data)}. The iterable is gone through once, and every array copied, before anything is queued:
     * a null array is refused with nothing written, and changing the arrays afterwards changes nothing sent.
     *
     * @param data the arrays of bytes to send, one after the other
     * @throws NullPointerException  if {@code data} or one of its arrays is null (then nothing is written)
     * @throws IllegalStateException as {@link #write}: after {@link #close()} or {@link #writeEof()}, or if called on
     *                               a thread that does not hold the writer's loop
     */
    public void writelines(Iterable<byte[]> data) {
        check("writelines");
        Objects.requireNonNull(data, "data must not be null");
        var copies = new ArrayList<byte[]>();
        int index = 0;
        for (byte[] d : data) {
            if (d == null) {
                throw new NullPointerException("writelines(): array " + index + " of data is null; nothing was "
                        + "written");
            }
            if (d.length > 0) {
                copies.add(d.clone());
            }
            index++;
        }
        checkWritable("writelines()");
        if (lostNow() || closedByPeer) {
            return;
        }
        for (byte[] copy : copies) {
            pump.add(copy);
        }
    }

    /** Refuses a write after {@link #close()} or {@link #writeEof()}. */
    private void checkWritable(String method) {
        if (closing) {
            throw new IllegalStateException("StreamWriter." + method + " after close() or abort(): " + transport);
        }
        if (eofWritten) {
            throw new IllegalStateException("StreamWriter." + method + " after writeEof(): " + transport);
        }
    }

    /**
     * Suspends while writing is paused: asyncio's {@code drain()}. As asyncio's flow control, writing is paused once a
     * write takes the bytes not yet written above the high-water mark (64 KiB), and resumes once they are down to the
     * low-water mark (16 KiB): a drain called in between, with less than 64 KiB queued but the buffer not yet down to
     * 16 KiB since it went above, waits for that too. Returns at once while writing is not paused. A drain waiting
     * when the connection is closed without an error (once {@link #close()} has written the last byte) returns, as
     * asyncio's does.
     *
     * @throws IOException           the connection's error, if it failed (a copy made in the calling task, so that
     *                               its stack trace shows the task's line, the connection's own as its cause); a
     *                               {@link SocketException}
     *                               {@code "Connection lost"} if it was closed before the call (asyncio's
     *                               {@code ConnectionResetError})
     * @throws CancellationException if the task is cancelled while it waits (what was written stays queued)
     * @throws IllegalStateException if it has to wait and is not called from a task, or if called on a thread that
     *                               does not hold the writer's loop
     */
    public void drain() throws IOException {
        EventLoop l = check("drain()");
        while (true) {
            throwIfLost();
            if (!pump.mustDrain()) {
                return;
            }
            waitIn(drainers, l, "drain()");
            if (lost && lostCause == null) {
                return; // asyncio's connection_lost(None) wakes a waiting drain with a result, not an error
            }
        }
    }

    /**
     * Half-closes the connection once the bytes queued are written: the peer's reader sees the end of the stream, while
     * this side can still read: asyncio's {@code write_eof()}. On a child's input pipe, closes the pipe. Does nothing
     * if already called, or after {@link #close()}. A TLS connection cannot be half-closed (see
     * {@link #canWriteEof()}).
     *
     * @throws UnsupportedOperationException on a TLS connection, as asyncio's SSL transport raises
     *                                       {@code NotImplementedError}
     * @throws IllegalStateException         while {@link #startTls} is under way (the connection is becoming a TLS
     *                                       one), or if called on a thread that does not hold the writer's loop
     */
    public void writeEof() {
        check("writeEof");
        if (upgrading) {
            throw new IllegalStateException("StreamWriter.writeEof() during startTls(): " + transport);
        }
        if (transport.sslSession() != null) {
            throw new UnsupportedOperationException("StreamWriter.writeEof(): a TLS connection cannot be half-closed "
                    + "(asyncio's SSL transport neither): " + transport);
        }
        if (closing || eofWritten || lost) {
            return;
        }
        eofWritten = true;
        pump.requestEof();
    }

    /**
     * Whether {@link #writeEof()} is supported: asyncio's {@code can_write_eof()}.
     *
     * @return {@code true} for a plain TCP or Unix-domain connection, which can be half-closed, and a pipe, which
     *         can be closed; {@code false} for a TLS connection, as asyncio's SSL transport's, and for one that
     *         {@link #startTls} is upgrading
     * @throws IllegalStateException if called on a thread that does not hold the writer's loop
     */
    public boolean canWriteEof() {
        check("canWriteEof");
        return transport.sslSession() == null && !upgrading;
    }

    /**
     * The TLS session of the connection: asyncio's {@code get_extra_info("ssl_object")}, whose
     * {@code getpeercert()} and {@code cipher()} are the session's {@link SSLSession#getPeerCertificates()},
     * {@link SSLSession#getProtocol()} and {@link SSLSession#getCipherSuite()} here. The handshake is made by the
     * time a writer is handed out, so the session is complete.
     *
     * @return the session (kept after the connection is closed), or null for a plain connection or a pipe
     */
    public SSLSession sslSession() {
        return transport.sslSession();
    }

    /**
     * Upgrades this plain TCP connection to TLS in place, as asyncio's {@code StreamWriter.start_tls(sslcontext)}
     * does (3.11+), for STARTTLS-style protocols (SMTP, IMAP, PostgreSQL...): as
     * {@link #startTls(SSLContext, String, double)} with the server name defaulting as it says and asyncio's default
     * {@code ssl_handshake_timeout}, 60 seconds, and {@code ssl_shutdown_timeout}, 30 seconds.
     *
     * @param ssl the context to make the TLS connection with
     * @throws IOException                   as {@link #startTls(SSLContext, String, double)}
     * @throws CancellationException         as {@link #startTls(SSLContext, String, double)}
     * @throws IllegalArgumentException      if {@code ssl} is not initialized
     * @throws IllegalStateException         as {@link #startTls(SSLContext, String, double)}
     * @throws UnsupportedOperationException as {@link #startTls(SSLContext, String, double)}
     */
    public void startTls(SSLContext ssl) throws IOException {
        upgrade(ssl, null, 0, 0);
    }

    /**
     * Upgrades this plain TCP connection to TLS in place, suspending until the handshake is made: asyncio's
     * {@code StreamWriter.start_tls(sslcontext, server_hostname=..., ssl_handshake_timeout=...)} (3.11+). A writer
     * of {@link Aio#openConnection} makes the client's end; a writer a {@link Server} handed to its handler the
     * server's, as asyncio's decides by the stream's {@code client_connected_cb}. Both ends must call it, each once
     * the other has agreed to (after STARTTLS and its answer, say).
     *
     * <p>As asyncio's, it first waits until the bytes written before it are sent: the handshake begins after them
     * (what is written during the handshake is sent after it, over TLS). The reader keeps what it received before the
     * call, in the clear, which reads return before what comes over TLS, as asyncio's {@code StreamReader} does;
     * what reaches the socket from the call on is the TLS handshake's. Reads made meanwhile wait for the
     * decrypted bytes. Afterwards, {@link #sslSession()} is the session, {@link #writeEof()} is refused and
     * {@link #close()} sends a {@code close_notify} and waits for the peer's, as on a connection opened over TLS,
     * bounded by asyncio's default {@code ssl_shutdown_timeout}, 30 seconds (see
     * {@link #startTls(SSLContext, String, double, double)}).
     *
     * <p>If the handshake fails (an untrusted certificate, one that does not name the server, the peer's close...)
     * or takes longer than {@code handshakeTimeout}, the connection is closed: this call throws its error and the
     * reader throws it too, as asyncio's transport, force-closed, sets it on the reader. If the calling task is
     * cancelled meanwhile, the connection is closed, as asyncio's {@code start_tls} closes its transport.
     *
     * @param ssl              the context to make the TLS connection with
     * @param serverHostname   a client's end: the name the server's certificate must carry, which is also sent as
     *                         the server name (SNI) unless it is an address literal; {@code null} for the host
     *                         {@link Aio#openConnection} dialled; {@code ""} for none, neither sent nor checked
     *                         (the certificate chain is still checked by {@code ssl}'s trust managers), as
     *                         asyncio's {@code server_hostname=''} with a context whose {@code check_hostname} is
     *                         off. A server's end ignores it, as asyncio's does. An address literal is checked
     *                         against the certificate's IP addresses
     * @param handshakeTimeout the most seconds the handshake may take, as a whole (asyncio's
     *                         {@code ssl_handshake_timeout}, 60 by default)
     * @throws IOException                   the handshake's failure, a copy made in the calling task naming
     *                                       {@code startTls()} and the connection, of the JDK's class
     *                                       ({@link javax.net.ssl.SSLHandshakeException} for a refused certificate or
     *                                       the timeout, asyncio's {@code "... is taking longer than ... seconds"})
     *                                       with its exception as the cause; or the connection's error if it was
     *                                       lost before (as {@link #drain()}). The connection is closed
     * @throws CancellationException         if the task is cancelled meanwhile (the connection is closed)
     * @throws IllegalArgumentException      if {@code ssl} is not initialized, or {@code handshakeTimeout} is not a
     *                                       positive number of seconds
     * @throws IllegalStateException         if the connection is TLS already (asyncio refuses its SSL transport),
     *                                       another {@code startTls} is under way, after {@link #close()} or
     *                                       {@link #writeEof()}, if not called from a task, or on a thread that
     *                                       does not hold the writer's loop
     * @throws UnsupportedOperationException on a Unix-domain connection or a pipe (the JDK's TLS socket layers over
     *                                       a TCP socket only)
     * @throws NullPointerException          if {@code ssl} is null
     */
    public void startTls(SSLContext ssl, String serverHostname, double handshakeTimeout) throws IOException {
        check("startTls()");
        upgrade(ssl, serverHostname, TlsHandshake.millis("startTls", "handshakeTimeout", handshakeTimeout), 0);
    }

    /**
     * As {@link #startTls(SSLContext, String, double)} with the handshake timeout as a {@link java.time.Duration}
     * (asyncio's {@code ssl_handshake_timeout}, rounded to the millisecond).
     *
     * @param ssl              the context to make the TLS connection with
     * @param serverHostname   as {@link #startTls(SSLContext, String, double)}: a client's end checks the server's
     *                         certificate against it; {@code null} for the host dialled, {@code ""} for none
     * @param handshakeTimeout the most time the handshake may take, as a whole (60 seconds by default)
     * @throws IOException                   as {@link #startTls(SSLContext, String, double)}
     * @throws CancellationException         as {@link #startTls(SSLContext, String, double)}
     * @throws IllegalArgumentException      if {@code ssl} is not initialized, or {@code handshakeTimeout} is zero or
     *                                       negative
     * @throws IllegalStateException         as {@link #startTls(SSLContext, String, double)}
     * @throws UnsupportedOperationException as {@link #startTls(SSLContext, String, double)}
     * @throws NullPointerException          if {@code ssl} or {@code handshakeTimeout} is null
     */
    public void startTls(SSLContext ssl, String serverHostname, java.time.Duration handshakeTimeout)
            throws IOException {
        check("startTls()");
        upgrade(ssl, serverHostname, TlsHandshake.millis("startTls", "handshakeTimeout", handshakeTimeout), 0);
    }

    /**
     * As {@link #startTls(SSLContext, String, double)}, with the upgraded connection's shutdown timeout too: asyncio's
     * {@code StreamWriter.start_tls(sslcontext, server_hostname=..., ssl_handshake_timeout=...,
     * ssl_shutdown_timeout=...)} (3.12+). A {@link #close()} from this call on (once the upgrade is under way) that
     * has not finished {@code shutdownTimeout} after it aborts the connection, as {@link #close()} says.
     *
     * @param ssl              the context to make the TLS connection with
     * @param serverHostname   as {@link #startTls(SSLContext, String, double)}: a client's end checks the server's
     *                         certificate against it; {@code null} for the host dialled, {@code ""} for none
     * @param handshakeTimeout the most seconds the handshake may take, as a whole (asyncio's
     *                         {@code ssl_handshake_timeout}, 60 by default)
     * @param shutdownTimeout  the most seconds a {@link #close()} may take before the connection is aborted (asyncio's
     *                         {@code ssl_shutdown_timeout}, 30 by default)
     * @throws IOException                   as {@link #startTls(SSLContext, String, double)}
     * @throws CancellationException         as {@link #startTls(SSLContext, String, double)}
     * @throws IllegalArgumentException      if {@code ssl} is not initialized, or {@code handshakeTimeout} or
     *                                       {@code shutdownTimeout} is not a positive number of seconds (the message
     *                                       names it); nothing is begun then
     * @throws IllegalStateException         as {@link #startTls(SSLContext, String, double)}
     * @throws UnsupportedOperationException as {@link #startTls(SSLContext, String, double)}
     * @throws NullPointerException          if {@code ssl} is null
     */
    public void startTls(SSLContext ssl, String serverHostname, double handshakeTimeout, double shutdownTimeout)
            throws IOException {
        check("startTls()");
        upgrade(ssl, serverHostname, TlsHandshake.millis("startTls", "handshakeTimeout", handshakeTimeout),
                TlsHandshake.millis("startTls", "shutdownTimeout", shutdownTimeout));
    }

    /**
     * As {@link #startTls(SSLContext, String, double, double)} with the timeouts as {@link java.time.Duration}s
     * (asyncio's {@code ssl_handshake_timeout} and {@code ssl_shutdown_timeout}, rounded to the millisecond).
     *
     * @param ssl              the context to make the TLS connection with
     * @param serverHostname   as {@link #startTls(SSLContext, String, double)}: a client's end checks the server's
     *                         certificate against it; {@code null} for the host dialled, {@code ""} for none
     * @param handshakeTimeout the most time the handshake may take, as a whole (60 seconds by default)
     * @param shutdownTimeout  the most time a {@link #close()} may take before the connection is aborted (30 seconds
     *                         by default)
     * @throws IOException                   as {@link #startTls(SSLContext, String, double)}
     * @throws CancellationException         as {@link #startTls(SSLContext, String, double)}
     * @throws IllegalArgumentException      if {@code ssl} is not initialized, or {@code handshakeTimeout} or
     *                                       {@code shutdownTimeout} is zero or negative (the message names it)
     * @throws IllegalStateException         as {@link #startTls(SSLContext, String, double)}
     * @throws UnsupportedOperationException as {@link #startTls(SSLContext, String, double)}
     * @throws NullPointerException          if {@code ssl}, {@code handshakeTimeout} or {@code shutdownTimeout} is
     *                                       null
     */
    public void startTls(SSLContext ssl, String serverHostname, java.time.Duration handshakeTimeout,
                         java.time.Duration shutdownTimeout) throws IOException {
        check("startTls()");
        upgrade(ssl, serverHostname, TlsHandshake.millis("startTls", "handshakeTimeout", handshakeTimeout),
                TlsHandshake.millis("startTls", "shutdownTimeout", shutdownTimeout));
    }

    /** {@link #startTls}, its timeouts in milliseconds (0: the defaults). */
    private void upgrade(SSLContext ssl, String serverHostname, int timeout, int shutdownTimeout) throws IOException {
        EventLoop l = check("startTls()");
        Objects.requireNonNull(ssl, "ssl must not be null");
        Streams.checkedContext("startTls", ssl);
        if (!transport.isTcp()) {
            throw new UnsupportedOperationException("StreamWriter.startTls(): only a TCP connection can be upgraded "
                    + "to TLS, not " + transport);
        }
        if (transport.sslSession() != null) {
            throw new IllegalStateException("StreamWriter.startTls(): the connection is already TLS: " + transport);
        }
        if (upgrading) {
            throw new IllegalStateException("StreamWriter.startTls(): another startTls() is under way: " + transport);
        }
        checkWritable("startTls()");
        throwIfLost();
        boolean client = transport.dialled() != null;
        String name = serverHostname != null ? serverHostname : client ? transport.dialled() : "";
        upgrading = true;
        transport.startTls(ssl, client, name, timeout, shutdownTimeout, () -> {
            upgrading = false;
            wakeAll(tlsWaiters);
        });
        try {
            while (upgrading && !lost) {
                waitIn(tlsWaiters, l, "startTls()");
            }
        } catch (CancellationException e) {
            transport.abort(null); // asyncio's start_tls closes its transport
            throw e;
        } finally {
            upgrading = false; // made, failed or cancelled: the connection is TLS, or lost
        }
        if (lostCause != null) {
            throw ThrownHere.copyOf(lostCause, "startTls(): " + lostCause.getMessage() + ": " + transport);
        }
        throwIfLost();
    }

    /**
     * Closes the connection once the bytes queued are written, without suspending: asyncio's {@code close()}. The
     * reader then sees the end of the stream. Closing again does nothing.
     *
     * <p>A TLS connection shuts TLS down as asyncio's SSL transport does (CPython 3.13): it sends its
     * {@code close_notify} after those bytes, then waits for the peer's (or for the peer's TCP close), reading on and
     * dropping what the peer sends meanwhile, and only then closes the socket; {@link #waitClosed()} returns then.
     * The reader gets nothing more once the {@code close_notify} is sent. So bytes the peer sends after this side's
     * last read (the rest of a request not read, say) reach an open socket, whose kernel does not answer them with a
     * TCP reset that would drop the end of what this side wrote before the peer has read it. The end that reads the
     * peer's {@code close_notify} closes the same way on its own, as asyncio's does: {@link #isClosing()} turns true,
     * what was queued is still written, and a write from then on is dropped (neither sent nor refused, as asyncio
     * drops it), so that a peer of this library, or of asyncio, answers without calling {@code close()}.
     *
     * <p>A TLS connection's close is bounded by its shutdown timeout, asyncio's {@code ssl_shutdown_timeout} (30
     * seconds unless {@link Aio#openConnection(String, int, SSLContext, String, double, double, int)},
     * {@link Aio#startServer(ConnectionHandler, String, int, SSLContext, double, double, int)} or
     * {@link #startTls(SSLContext, String, double, double)} set it): as asyncio's, it is a timer of the loop (loop
     * time) set by this call, covering both the writing of what is queued and the wait for the peer's
     * {@code close_notify}, as asyncio's does. If the connection is not closed when it fires (the peer reads nothing,
     * so what is queued, or the {@code close_notify}, cannot be sent, or it answers no {@code close_notify}), it is
     * aborted as by {@link #abort()}, the bytes not yet written dropped, with a
     * {@link java.net.SocketTimeoutException} ("TLS shutdown timed out after 30.0 seconds: aborting connection ...",
     * asyncio's {@code TimeoutError('SSL shutdown timed out')}) that {@link #waitClosed()} and the reader's reads then
     * throw, as asyncio's {@code wait_closed()} and reader raise its error. A close that
     * ends first (or an {@link #abort()}) cancels the timer. A plain connection has no such timeout, as in asyncio:
     * its close waits for a peer that reads nothing until the loop closes (end it with {@link #abort()}).
     *
     * @throws IllegalStateException if called on a thread that does not hold the writer's loop
     */
    @Override
    public void close() {
        check("close");
        if (closing) {
            return;
        }
        closing = true;
        if (!lost) {
            pump.requestClose();
            transport.closeRequested(); // a TLS connection's shutdown timeout
        }
    }

    /**
     * Closes the connection at once, dropping the bytes not yet written, without suspending: asyncio's
     * {@code transport.abort()} (reached there through the writer's {@code transport}). The reader keeps what it had
     * received and then sees the end of the stream; a task waiting in {@link #drain()} or {@link #waitClosed()}
     * returns; the connection's threads end. It is the way out when {@link #close()} cannot finish, as with a peer
     * that reads nothing, whose plain connection would otherwise stay open with its bytes queued until the loop
     * closes (a TLS connection is aborted after its shutdown timeout, 30 seconds by default; see {@link #close()}):
     *
     * <pre>{@code
     * writer.close();
     * try {
     *     Aio.waitFor(writer::waitClosed, 5);
     * } catch (TimeoutException peerReadsNothing) {
     *     writer.abort();
     * }
     * }</pre>
     *
     * <p>A TLS connection is closed without its {@code close_notify}; a {@link #startTls} under way fails; a child's
     * input pipe is closed. Aborting again, or a connection that is lost already, does nothing; a write after it is
     * refused as after {@link #close()}.
     *
     * @throws IllegalStateException if called on a thread that does not hold the writer's loop
     */
    public void abort() {
        check("abort");
        closing = true;
        if (!lost) {
            transport.abort(null);
            transport.deliverAbortNow(); // the reader and the tasks waiting here learn of it now, not a turn later
        }
    }

    /**
     * Whether the connection is closed or being closed: asyncio's {@code is_closing()}.
     *
     * @return whether {@link #close()} or {@link #abort()} was called, the peer's end of a TLS connection was read
     *         (its {@code close_notify}, which closes this side too: see {@link #close()}), or the connection is lost
     *         (closed by an error, the peer's reset, or the loop's close)
     * @throws IllegalStateException if called on a thread that does not hold the writer's loop
     */
    public boolean isClosing() {
        check("isClosing");
        return closing || closedByPeer || lost || transport.isClosed();
    }

    /** Whether {@link #write} throws: {@link #close()} or {@link #writeEof()} was called (a lost stream drops). */
    boolean refusesWrites() {
        return closing || eofWritten;
    }

    /**
     * Suspends until the connection is closed (by {@link #close()}, the peer's reset or an error), and returns at
     * once if it is: asyncio's {@code wait_closed()}. After {@link #close()} of a TLS connection, that is once the
     * peer's {@code close_notify} (or TCP close) has come, or the shutdown timeout has aborted the connection (see
     * {@link #close()}); the loop's close, {@link #abort()} and {@link Server#abortClients()} end the wait at once.
     *
     * @throws IOException           the error the connection failed with, if any (copied as {@link #drain()}'s): a
     *                               {@link java.net.SocketTimeoutException} if the close of a TLS connection was
     *                               aborted at its shutdown timeout (see {@link #close()})
     * @throws CancellationException if the task is cancelled while it waits
     * @throws IllegalStateException if it has to wait and is not called from a task, or if called on a thread that
     *                               does not hold the writer's loop
     */
    public void waitClosed() throws IOException {
        EventLoop l = check("waitClosed()");
        if (!lost) {
            waitIn(closeWaiters, l, "waitClosed()");
        }
        if (lostCause != null) {
            throw ThrownHere.copyOf(lostCause);
        }
    }

    /**
     * The address of the peer: asyncio's {@code get_extra_info("peername")} of a TCP connection.
     *
     * @return the remote address of the connection (kept after it is closed), or null for a pipe or a Unix-domain
     *         connection (see {@link #peerPath()})
     */
    public InetSocketAddress peername() {
        return transport.peer() instanceof InetSocketAddress address ? address : null;
    }

    /**
     * The local address of the connection: asyncio's {@code get_extra_info("sockname")} of a TCP connection.
     *
     * @return the local address of the connection (kept after it is closed), or null for a pipe or a Unix-domain
     *         connection (see {@link #sockPath()})
     */
    public InetSocketAddress sockname() {
        return transport.local() instanceof InetSocketAddress address ? address : null;
    }

    /**
     * The path of the peer's socket: asyncio's {@code get_extra_info("peername")} of a Unix-domain connection. A
     * client's is the server's path; a handler's is the client's, empty for a client that did not bind its socket
     * to a path (asyncio's {@code ''}), as {@link Aio#openUnixConnection}'s does not.
     *
     * @return the path (kept after the connection is closed), or null for a TCP connection or a pipe
     */
    public Path peerPath() {
        return transport.peerPath();
    }

    /**
     * The path of this end's socket: asyncio's {@code get_extra_info("sockname")} of a Unix-domain connection: the
     * server's path for a handler's end, empty for {@link Aio#openUnixConnection}'s (asyncio's {@code ''}).
     *
     * @return the path (kept after the connection is closed), or null for a TCP connection or a pipe
     */
    public Path sockPath() {
        return transport.localPath();
    }

    /** The bytes queued and not yet written (for tests). */
    long writeBufferSize() {
        return pump.queued();
    }

    /** The connection (for tests). */
    StreamTransport transport() {
        return transport;
    }

    // ---- on the loop, from the connection

    void wakeDrainers() {
        wakeAll(drainers);
    }

    /**
     * On the loop: the reader has read the peer's end of this TLS connection, which closes it as asyncio's SSL
     * transport shuts down at the peer's {@code close_notify}: what is queued is written, then this side's
     * {@code close_notify}, within the shutdown timeout, and writes from now on are dropped, as asyncio's are.
     */
    void peerEnded() {
        if (closedByPeer || closing || lost) {
            return;
        }
        closedByPeer = true;
        pump.requestClose();
        transport.closeRequested();
    }

    void connectionLost(IOException cause) {
        lost = true;
        lostCause = cause;
        wakeAll(drainers);
        wakeAll(closeWaiters);
        wakeAll(tlsWaiters);
    }

    /**
     * Whether the connection is lost, counting a failure that a thread of the connection has met and posted to the
     * loop, which has not yet processed it: that is processed now, so that a write is dropped and a drain throws at
     * once (asyncio's write sends at once and sees the error there).
     */
    private boolean lostNow() {
        if (!lost) {
            transport.deliverFailureNow();
        }
        return lost;
    }

    private void throwIfLost() throws IOException {
        lostNow();
        if (lostCause != null) {
            throw ThrownHere.copyOf(lostCause);
        }
        if (lost) {
            throw new SocketException("Connection lost: " + transport);
        }
    }

    /** Suspends on a waiter in {@code waiters}; the wait counts as I/O in flight, as the connection's thread ends it. */
    private void waitIn(ArrayDeque<Future<Boolean>> waiters, EventLoop l, String method) {
        Task<?> task = waitingTask(l, method);
        whileInFlight(l, transport.writeInFlight(), () -> suspendIn(waiters, newWaiter(l), task));
    }

    @Override
    public String toString() {
        return "StreamWriter[" + transport + (closing || closedByPeer ? ", closing" : "")
                + (eofWritten ? ", eof written" : "") + (lost ? ", lost" : "") + "]";
    }
}
