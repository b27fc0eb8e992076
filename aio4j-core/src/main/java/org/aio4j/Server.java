package org.aio4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Listening sockets whose connections are served by tasks: asyncio's {@code asyncio.Server}, as
 * {@link Aio#startServer} (a TCP socket on each address its host resolves to) and {@link Aio#startUnixServer} (one
 * Unix-domain socket) return it, already serving.
 *
 * <p>A virtual thread of the server's own per socket blocks in {@code accept()}, off the loop; for each connection,
 * the loop runs the {@link ConnectionHandler} in a new task with the connection's {@link StreamReader} and
 * {@link StreamWriter}. A TLS server ({@link Aio#startServer(ConnectionHandler, String, int,
 * javax.net.ssl.SSLContext)}) first makes each connection's handshake on a virtual thread of the connection's own,
 * so that a client slow to handshake holds up neither the accepts nor the other handshakes, and runs the handler
 * only once it has succeeded.
 *
 * <p>An accept that fails for want of a system resource (too many open files, no buffer space or memory: a burst of
 * connections up to the process's limit) goes to the loop's exception handler, and the socket accepts again a second
 * later, as asyncio's does; any other failure of an accept goes there too and closes the server.
 *
 * <pre>{@code
 * try (Server server = Aio.startServer((reader, writer) -> {
 *     for (byte[] line; (line = reader.readline()).length > 0; ) {
 *         writer.write(line);
 *         writer.drain();
 *     }
 *     writer.close();
 * }, "127.0.0.1", 8888)) {
 *     server.serveForever();
 * }
 * }</pre>
 *
 * <p><b>Not quite {@code async with server}.</b> Leaving the try-with-resources block calls {@link #close()}, which
 * does not suspend: the connections already accepted stay open and their handlers run on. asyncio's
 * {@code async with server:} also awaits {@code wait_closed()} on the way out, which waits for them (CPython 3.12 and
 * later); in aio4j call {@link #waitClosed()} after the block (and {@link #closeClients()} or {@link #abortClients()}
 * first, not to wait for the clients to leave).
 *
 * <p><b>Deadlock detection.</b> A connection that may come is I/O in flight only while a task waits in
 * {@link #serveForever()} or {@link #waitClosed()} (as a read or a drain is while a task waits in it). A program
 * whose tasks all wait for what only a future connection would bring, with none of them waiting there, is reported
 * as deadlocked: serve in a task with {@code serveForever()}. A read from a connection whose other end is the loop's
 * own (a client of the loop connected to one of its servers) is not in flight once it has had every byte that end
 * wrote and no end of stream is on its way: only the loop's tasks can send more, so a client and its handler each
 * waiting to read what the other will not send are reported as deadlocked. A Unix-domain client of the loop is known
 * as such when it connects to the path its server was started with (the same path, made absolute and normalized; not
 * through another link to the socket) while the socket file there is still the one that server bound (not once a
 * later server at the path, of this loop or another, has replaced it).
 *
 * <p><b>Threads.</b> A loop object, like {@link Queue}: call it from a task of its loop (or while that loop is not
 * running); other threads throw {@link IllegalStateException}. The loop's close closes the listening sockets if
 * they are still open.
 */
public final class Server extends LoopBound implements AutoCloseable {

    private static final ThreadFactory THREADS = Schedulers.sharedThreads("aio4j-server-accept", -1);

    /**
     * How long an accepting thread waits, after an accept that failed for want of a system resource, before it
     * accepts again: asyncio's {@code ACCEPT_RETRY_DELAY}, 1 second (shorter in tests).
     */
    static volatile long acceptRetryNanos = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    private final EventLoop loop;
    /** The listening sockets: one per address of a TCP server's host, one for a Unix-domain server. */
    private final List<ServerSocketChannel> channels;
    /** Each TCP socket's address, in the order of {@code channels}. */
    private final List<InetSocketAddress> addresses;
    /** The socket's file if it is a Unix-domain server, or null. */
    private final UnixSocketFile socketFile;
    /** {@code socketFile}'s path made absolute and normalized, or null. */
    private final Path absolutePath;
    private final ConnectionHandler handler;
    /** The context of a TLS server, or null: a plain one. */
    private final SSLContext ssl;
    /** The TLS handshake timeout in milliseconds, or 0 for the default (asyncio's {@code ssl_handshake_timeout}). */
    private final int handshakeMillis;
    /**
     * The TLS shutdown timeout of each connection in milliseconds, or 0 for the default (asyncio's
     * {@code ssl_shutdown_timeout}).
     */
    private final int shutdownMillis;
    /**
     * The connections of a TLS server whose handshake is in progress, each on a thread of its own, until the loop has
     * the handshake's outcome: closed with the listening sockets (as the connections the loop has not yet been handed
     * are) and by {@link #closeClients()} and {@link #abortClients()}, which take them out, so that a handshake made
     * meanwhile hands the loop a connection it drops. Guarded by itself.
     */
    private final java.util.Set<SocketChannel> handshaking = new java.util.HashSet<>();
    private final int limit;
    private final AtomicBoolean socketClosed = new AtomicBoolean();
    /** What an accepting thread pausing after a lack of resources waits on: the close wakes it. */
    private final Object acceptPause = new Object();
    private final OpenStreams.Closer closer = this::closeSocket;
    /** A thread per listening socket, blocked in its accept. */
    private volatile List<Thread> acceptThreads = List.of();
    private boolean serving;
    /** Connections accepted and not yet lost. */
    private final java.util.LinkedHashSet<StreamTransport> connections = new java.util.LinkedHashSet<>();
    private final ArrayDeque<Future<Boolean>> closeWaiters = new ArrayDeque<>();
    private Future<Boolean> servingForever;
    /**
     * Connections that a client of this same loop has made and this server has not accepted yet (they wait in the
     * kernel's backlog), by the client's address: each is I/O in flight until accepted, so that the client's task
     * awaiting what the handler will do is not reported as deadlocked.
     */
    private final java.util.Map<SocketAddress, Expected> expected = new java.util.HashMap<>();

    /** An accept in flight ({@code pending}, in the loop's in-flight set) of a connection from {@code client}. */
    private record Expected(Object pending, StreamTransport client) {
    }

    /**
     * A connection accepted unmatched ({@link #acceptedUnmatched}): {@code connect}, the last connect of the loop
     * begun when it was accepted; {@code end}, the server's end of it once made (null if the connection failed).
     */
    private static final class Unmatched {
        final long connect;
        StreamTransport end;

        Unmatched(long connect) {
            this.connect = connect;
        }
    }
    /**
     * Connections accepted that no client of this loop was known to expect while a connect of the loop was in
     * progress, each with the last connect begun when it was accepted (see {@link OpenStreams#connectBegins()}): it
     * may be that connect's, whose outcome the loop learns of after the accept. Kept until every connect begun by
     * then has ended (the others are another process's clients), in the order accepted.
     */
    private final java.util.SequencedMap<SocketAddress, Unmatched> acceptedUnmatched =
            new java.util.LinkedHashMap<>();

    /**
     * On the loop: a server over {@code channels} (bound, in blocking mode: one or more TCP sockets, or one
     * Unix-domain socket), with {@code socketFile} the file of the socket if it is a Unix-domain one (else null),
     * deleted when the socket closes, and {@code ssl} the TLS context of a TLS server (else null), whose handshakes
     * take at most {@code handshakeMillis} and whose connections' closes at most {@code shutdownMillis} (0: the
     * defaults). Call {@link #start()} next.
     */
    Server(EventLoop loop, List<ServerSocketChannel> channels, ConnectionHandler handler, SSLContext ssl,
           int handshakeMillis, int shutdownMillis, int limit, UnixSocketFile socketFile) throws IOException {
        this.loop = loop;
        this.ssl = ssl;
        this.handshakeMillis = handshakeMillis;
        this.shutdownMillis = shutdownMillis;
        this.channels = List.copyOf(channels);
        var tcp = new java.util.ArrayList<InetSocketAddress>();
        for (ServerSocketChannel ch : this.channels) {
            if (ch.getLocalAddress() instanceof InetSocketAddress a) {
                tcp.add(a);
            }
        }
        this.addresses = List.copyOf(tcp);
        this.socketFile = socketFile;
        this.absolutePath = socketFile != null ? socketFile.path().toAbsolutePath().normalize() : null;
        this.handler = handler;
        this.limit = limit;
    }

    /** On the loop: registers the sockets with its loop and starts accepting on each. */
    void start() {
        check("start");
        loop.openStreams.add(closer);
        loop.openStreams.servers.add(this);
        serving = true;
        acceptThreads = channels.stream().map(ch -> THREADS.newThread(() -> acceptConnections(ch))).toList();
        acceptThreads.forEach(Thread::start);
    }

    private void acceptConnections(ServerSocketChannel channel) {
        while (true) {
            SocketChannel ch;
            try {
                ch = channel.accept();
            } catch (IOException e) {
                if (e instanceof ClosedChannelException || socketClosed.get()) {
                    return;
                }
                if (outOfResources(e)) { // as asyncio: reported, and accepting again a little later
                    if (!loop.post(new Handle((Runnable) () -> acceptPaused(e), null)) || !pauseAccepting()) {
                        return; // the loop or the server is closed
                    }
                    continue;
                }
                loop.post(new Handle((Runnable) () -> acceptFailed(e), null));
                return;
            }
            if (ssl != null) {
                if (!startHandshake(ch)) {
                    return; // the server is closed
                }
            } else if (!loop.post(new Handle((Runnable) () -> accepted(ch, null, null), null))) {
                Streams.closeQuietly(ch); // the loop is closed
                return;
            }
        }
    }

    /**
     * On the accepting thread of a TLS server: starts the handshake of {@code ch} on a thread of its own, so that a
     * client slow to handshake holds up no other. False if the server is closed ({@code ch} is then closed).
     */
    private boolean startHandshake(SocketChannel ch) {
        synchronized (handshaking) {
            if (socketClosed.get()) {
                Streams.closeQuietly(ch);
                return false;
            }
            handshaking.add(ch);
        }
        THREADS.newThread(() -> handshake(ch)).start();
        return true;
    }

    /**
     * On a handshake's thread: makes the handshake of {@code ch}, then hands the connection to the loop; or, if it
     * failed (the channel is then closed), its failure. The handler runs only
     * after a handshake that succeeded.
     */
    private void handshake(SocketChannel ch) {
        SocketAddress peer;
        try {
            peer = ch.getRemoteAddress();
        } catch (IOException e) {
            peer = null; // reset already: the handshake fails too
        }
        SocketAddress from = peer;
        Runnable outcome;
        try {
            ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true); // before the handshake's round trips
            SSLSocket tls = TlsHandshake.server(ch, ssl, handshakeMillis);
            outcome = () -> accepted(ch, tls, from);
        } catch (IOException | RuntimeException e) {
            outcome = () -> handshakeFailed(ch, from, e);
        }
        // It stays in handshaking until the loop has the outcome: a closeClients() meanwhile still reaches it.
        if (!loop.post(new Handle(outcome, null))) {
            endHandshake(ch);
            Streams.closeQuietly(ch); // the loop is closed
        }
    }

    /**
     * On the loop, with a handshake's outcome: takes {@code ch} out of the handshakes in progress; false if it was
     * taken out already, closed by {@link #closeHandshakes()} (then it must not be served).
     */
    private boolean endHandshake(SocketChannel ch) {
        synchronized (handshaking) {
            return handshaking.remove(ch);
        }
    }

    /**
     * From any thread: closes the connections whose TLS handshake is in progress (their threads end, failing) and
     * takes them out, so that a handshake that succeeds meanwhile is dropped when its outcome reaches the loop.
     */
    private void closeHandshakes() {
        synchronized (handshaking) {
            handshaking.forEach(Streams::closeQuietly);
            handshaking.clear();
        }
    }

    /**
     * On the loop: the handshake of {@code ch}, a connection from {@code peer} (null if unknown), failed and closed
     * it. An accept of the loop's own client is matched as {@link #accepted} would (it is no longer in flight); the
     * failure goes to the loop's exception handler in debug mode only (not when the server's close,
     * {@link #closeClients()} or {@link #abortClients()} ended it), as CPython 3.13's server reports it ("Error on
     * transport creation for incoming connection") then and only then.
     */
    private void handshakeFailed(SocketChannel ch, SocketAddress peer, Exception e) {
        boolean endedHere = !endHandshake(ch);
        if (peer != null) {
            matchAccept(peer);
        }
        if (loop.isDebug() && !endedHere && !socketClosed.get()) { // not the server ending it
            loop.callExceptionHandler(new ExceptionContext("TLS handshake failed with " + peer + " on " + this
                    + "; the connection is closed", e, null, null));
        }
    }

    /**
     * On the loop: an accepted connection from {@code peer} is matched with the loop's own client that expects it,
     * or kept as unmatched while a connect of the loop is in progress.
     */
    private Accept matchAccept(SocketAddress peer) {
        Expected e = expected.remove(peer);
        if (e != null) {
            loop.removeInFlight(e.pending());
            return new Accept(e.client(), null);
        } else if (loop.openStreams.connecting()) {
            // Maybe a client of this loop whose connect has not come back to it yet: expectAccept will match it.
            var unmatched = new Unmatched(loop.openStreams.lastConnectBegun());
            acceptedUnmatched.putLast(peer, unmatched); // kept in order
            return new Accept(null, unmatched);
        }
        return new Accept(null, null);
    }

    /** What {@link #matchAccept} found: the loop's own client's end, or the entry kept unmatched, or neither. */
    private record Accept(StreamTransport client, Unmatched unmatched) {
    }

    /**
     * On the loop: a connection came (over {@code tls}, its handshake made, if it is not null), from {@code from}
     * (null if not known yet: then asked of {@code ch}, which a TLS connection's close during its handshake has
     * closed already).
     */
    private void accepted(SocketChannel ch, SSLSocket tls, SocketAddress from) {
        boolean dropped = tls != null && !endHandshake(ch); // closed by closeClients() during its handshake
        StreamTransport client = null;
        Unmatched unmatched = null;
        try {
            SocketAddress peer = from != null ? from : ch.getRemoteAddress();
            Accept match = matchAccept(peer); // a dropped one too: the loop's own client expects no accept then
            client = match.client();
            unmatched = match.unmatched();
        } catch (IOException resetAlready) {
            // an accept expected from this loop's own client stays in flight until the close
        }
        if (!serving || dropped) {
            Streams.closeQuietly(ch);
            return;
        }
        StreamTransport t;
        try {
            if (socketFile == null) {
                ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            }
            t = StreamTransport.ofSocket(loop, ch, tls, shutdownMillis, limit, this::connectionLost);
        } catch (IOException e) { // reset before we got to it
            Streams.closeQuietly(ch);
            return;
        }
        if (client != null) {
            StreamTransport.pairOnLoop(client, t);
        } else if (unmatched != null) {
            unmatched.end = t;
        }
        connections.add(t);
        t.start();
        Task<Void> task = loop.createQueuedTask(() -> {
            handler.handle(t.reader, t.writer);
            return null;
        }, "stream handler of " + t);
        task.addDoneCallback(f -> {
            if (f.isCancelled()) {
                t.writer.close();
            } else if (f.peekException() != null) {
                f.markRetrieved();
                loop.callExceptionHandler(new ExceptionContext("Unhandled exception in the connection handler of "
                        + this + " (asyncio's client_connected_cb); the connection is closed", f.peekException(), f,
                        null));
                t.writer.close();
            }
        });
    }

    /**
     * Whether {@code e}, thrown by accept(), is the system's lack of a resource that may come back (descriptors,
     * buffers, memory: asyncio's {@code EMFILE}, {@code ENFILE}, {@code ENOBUFS}, {@code ENOMEM}), which the JDK
     * names in its message alone.
     */
    static boolean outOfResources(IOException e) {
        String m = e.getMessage();
        return m != null && (m.contains("Too many open files") || m.contains("No buffer space available")
                || m.contains("Cannot allocate memory"));
    }

    /**
     * On an accepting thread, once accept() failed for want of a resource: waits {@link #acceptRetryNanos}, or
     * until the server's close; whether to accept again (the server is not closed).
     */
    private boolean pauseAccepting() {
        long deadline = System.nanoTime() + acceptRetryNanos;
        synchronized (acceptPause) {
            for (long left; !socketClosed.get() && (left = deadline - System.nanoTime()) > 0; ) {
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(acceptPause, left);
                } catch (InterruptedException e) {
                    return false;
                }
            }
        }
        return !socketClosed.get();
    }

    /**
     * On the loop: accept() failed for want of a resource of the system; the server accepts again after a pause, as
     * asyncio's does, which logs {@code "socket.accept() out of system resource"}.
     */
    private void acceptPaused(IOException e) {
        if (serving) {
            loop.callExceptionHandler(new ExceptionContext("socket.accept() out of system resource on " + this
                    + "; accepting again in " + java.time.Duration.ofNanos(acceptRetryNanos).toMillis() + " ms", e,
                    null, null));
        }
    }

    /** On the loop: accept() failed for a reason other than the close or a lack of resources; the server closes. */
    private void acceptFailed(IOException e) {
        loop.callExceptionHandler(new ExceptionContext("accept() failed on " + this + "; the server is closed", e,
                null, null));
        if (serving) {
            close();
        }
    }

    private void connectionLost(StreamTransport t) {
        connections.remove(t);
        wakeIfClosed();
    }

    private void wakeIfClosed() {
        if (!serving && connections.isEmpty()) {
            wakeAll(closeWaiters);
        }
    }

    /**
     * The loop the server runs on, the one that started it: asyncio's {@code Server.get_loop()}. Safe from any
     * thread (to post to it with {@link EventLoop#callSoonThreadsafe}, say).
     *
     * @return the server's loop
     */
    public EventLoop getLoop() {
        return loop;
    }

    /**
     * Whether the server accepts connections: asyncio's {@code is_serving()}.
     *
     * @return {@code true} until {@link #close()}, or until the loop's close has closed the listening sockets
     * @throws IllegalStateException if called on a thread that does not hold the server's loop
     */
    public boolean isServing() {
        check("isServing");
        return serving && !socketClosed.get();
    }

    /**
     * The addresses the server listens on, one per listening socket: asyncio's {@code sockets} (their
     * {@code getsockname()}). A host that resolved to several addresses has a socket on each, in the order the
     * resolver gave them (asyncio's order is that of a set); with port 0, each on the port the system chose for it
     * (as asyncio's: they may differ). A {@code null} host has one socket, on every interface (the JDK's wildcard
     * socket takes IPv4 and IPv6 connections; asyncio binds {@code 0.0.0.0} and {@code ::} apart).
     *
     * @return the addresses, unmodifiable; none for a Unix-domain server (see {@link #path()})
     */
    public List<InetSocketAddress> addresses() {
        return addresses;
    }

    /**
     * The path of the Unix-domain socket the server listens on, as {@link Aio#startUnixServer} was given it:
     * asyncio's {@code sockets[0].getsockname()} of a Unix server.
     *
     * @return the path, or null for a TCP server (see {@link #addresses()})
     */
    public Path path() {
        return socketFile != null ? socketFile.path() : null;
    }

    /**
     * Stops listening, without suspending: asyncio's {@code close()}. The listening sockets are closed when it returns
     * (it waits the moment the accepting threads take to end), and a task
     * waiting in {@link #serveForever()} is cancelled; the connections already accepted stay open, but for those of
     * a TLS server whose handshake is still in progress, which are closed (their handler never runs). Closing again
     * does nothing. This is also what the end of a try-with-resources block does, where asyncio's
     * {@code async with server:} goes on to await {@code wait_closed()}: call {@link #waitClosed()} for that.
     *
     * <p>A Unix-domain server's socket file is deleted with the socket, if the file at its path is still the one it
     * bound (asyncio's {@code cleanup_socket=True}, 3.13's default); the loop's close deletes it too. A failure to
     * delete it goes to the loop's exception handler.
     *
     * @throws IllegalStateException if called on a thread that does not hold the server's loop
     */
    @Override
    public void close() {
        check("close");
        if (!serving) {
            return;
        }
        serving = false;
        closeSocket();
        loop.openStreams.remove(closer);
        loop.openStreams.servers.remove(this);
        for (Expected e : expected.values()) {
            loop.removeInFlight(e.pending()); // closed with the listening socket: no accept will come
        }
        expected.clear();
        if (servingForever != null) {
            servingForever.cancel();
        }
        wakeIfClosed();
    }

    /**
     * Closes every connection the server accepted that is still open, once the bytes queued on it are written:
     * asyncio's {@code close_clients()} (CPython 3.13), i.e. {@link StreamWriter#close()} on each. Their readers, and
     * the clients, see the end of the stream. A TLS server's connections whose handshake is still in progress are
     * closed too, at once (nothing was queued on them), and their handler never runs, even if the handshake was
     * being completed as this was called: asyncio's server tracks a connection from its accept, handshake or not.
     *
     * @throws IllegalStateException if called on a thread that does not hold the server's loop
     */
    public void closeClients() {
        check("closeClients");
        closeHandshakes();
        for (StreamTransport t : List.copyOf(connections)) {
            t.writer.close();
        }
    }

    /**
     * Closes every connection the server accepted that is still open at once, dropping the bytes queued on it:
     * asyncio's {@code abort_clients()} (CPython 3.13), i.e. {@link StreamWriter#abort()} on each. Their readers
     * see the end of the stream, and the connections leave the server before this returns: the way out when
     * {@link #closeClients()} leaves {@link #waitClosed()} waiting for peers that read nothing (or, over TLS, that
     * answer no {@code close_notify}). A TLS server's
     * connections whose handshake is still in progress are closed too, as by {@link #closeClients()}.
     *
     * @throws IllegalStateException if called on a thread that does not hold the server's loop
     */
    public void abortClients() {
        check("abortClients");
        closeHandshakes();
        for (StreamTransport t : List.copyOf(connections)) {
            t.writer.abort();
        }
    }

    /**
     * Suspends until the server is closed and every connection it accepted is closed too: asyncio's
     * {@code wait_closed()} (since 3.12). Returns at once if that is so, as once the loop's close has closed them.
     *
     * @throws CancellationException if the task is cancelled while it waits
     * @throws IllegalStateException if it has to wait and is not called from a task, or if called on a thread that
     *                               does not hold the server's loop
     */
    public void waitClosed() {
        EventLoop l = check("waitClosed()");
        while ((serving && !socketClosed.get()) || !connections.isEmpty()) { // socketClosed alone: the loop's close
            Task<?> task = waitingTask(l, "waitClosed()");
            whileInFlight(l, InFlight.ioWait("the close of", this), () -> suspendIn(closeWaiters, newWaiter(l), task));
        }
    }

    /**
     * Suspends the calling task until it is cancelled or the server is closed, serving meanwhile: asyncio's
     * {@code serve_forever()}. Cancelling the task closes the server (as asyncio's does; the connections stay
     * open, and unlike asyncio's it does not wait for them).
     *
     * @throws CancellationException if the task is cancelled, or the server was closed while it waited
     * @throws IllegalStateException if the server is closed, if another task serves it forever already, if not
     *                               called from a task, or if called on a thread that does not hold the server's
     *                               loop
     */
    public void serveForever() {
        EventLoop l = check("serveForever()");
        if (servingForever != null) {
            throw new IllegalStateException("Server.serveForever(): " + this + " is already served forever by"
                    + " another task");
        }
        if (!serving) {
            throw new IllegalStateException("Server.serveForever(): " + this + " is closed");
        }
        Task<?> task = waitingTask(l, "serveForever()");
        Future<Boolean> forever = newWaiter(l);
        servingForever = forever;
        try {
            whileInFlight(l, InFlight.ioWait("a connection to", this), () -> task.suspendOn(forever));
        } catch (CancellationException e) {
            close();
            throw e;
        } finally {
            servingForever = null;
        }
    }

    /**
     * On the loop, from {@link Aio#openConnection} and {@link Aio#openUnixConnection}: if this server listens where
     * a client of its loop has just connected to ({@code remote}, from {@code local}), its accept of that connection
     * is in flight until it comes. A server listening on every address takes a connection to its port only if it
     * was made to this host: to a loopback address, or to the address it came from (a connection to one of this
     * host's own addresses comes from that address); a connection to another host at the same port (a proxy's to its
     * upstream, say) is not its to accept. A Unix-domain server takes a connection to its path from a client named
     * by {@link UnixClientNames} (any other it could not tell from another process's).
     */
    void expectAccept(SocketAddress remote, SocketAddress local, StreamTransport client) {
        if (serving && isTo(remote, local)) {
            Unmatched accepted = acceptedUnmatched.remove(local);
            if (accepted != null) { // accepted already, before the connect's outcome reached the loop
                if (accepted.end != null && client != null) {
                    StreamTransport.pairOnLoop(client, accepted.end);
                }
                return;
            }
            Object pending = InFlight.ioWait("the accept of " + local + " by", this);
            expected.put(local, new Expected(pending, client));
            loop.addInFlight(pending);
        }
    }

    /** Whether a connection to {@code remote} from {@code local} is one this server would accept. */
    private boolean isTo(SocketAddress remote, SocketAddress local) {
        if (socketFile != null) {
            return remote instanceof UnixDomainSocketAddress path && listensOn(path.getPath())
                    && UnixClientNames.isOne(local);
        }
        if (!(remote instanceof InetSocketAddress to) || !(local instanceof InetSocketAddress from)) {
            return false;
        }
        boolean toThisHost = to.getAddress().isLoopbackAddress() || to.getAddress().equals(from.getAddress());
        for (InetSocketAddress listening : addresses) {
            if (listening.getPort() == to.getPort() && (listening.getAddress().isAnyLocalAddress() ? toThisHost
                    : listening.getAddress().equals(to.getAddress()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * On the loop: whether a connection that reached the socket file of identity {@code fileKey} (see
     * {@link UnixSocketFile#keyAt}) may be this server's: any for a TCP server; for a Unix-domain one, only if that
     * file is the one it bound. Another socket bound at its path since (by a later server, which deletes the file
     * first, as asyncio's does) takes the connections to the path, and this one is no longer reached.
     */
    boolean isBoundTo(Object fileKey) {
        return socketFile == null || fileKey != null && fileKey.equals(socketFile.key());
    }

    /**
     * On the loop: whether this is a Unix-domain server serving at {@code path} (the same path made absolute and
     * normalized), so that a client of the loop connecting there is one whose accept it will match.
     */
    boolean listensOn(Path path) {
        return serving && absolutePath != null && absolutePath.equals(path.toAbsolutePath().normalize());
    }

    /**
     * On the loop, once a connect of the loop has ended: forgets the connections accepted unmatched while only
     * connects that have all ended were in progress ({@code firstInProgress}: the first connect still in progress,
     * or {@link Long#MAX_VALUE} if none is), as none of them can be a client's of this loop now.
     */
    void forgetUnmatchedAccepts(long firstInProgress) {
        for (var it = acceptedUnmatched.values().iterator(); it.hasNext() && it.next().connect < firstInProgress; ) {
            it.remove();
        }
    }

    /** How many accepted connections wait to be matched with a connect of the loop (for tests). */
    int unmatchedAccepts() {
        return acceptedUnmatched.size();
    }

    /** The accepting threads, one per listening socket (for tests: they must end once the server is closed). */
    List<Thread> acceptThreads() {
        return acceptThreads;
    }

    /**
     * Closes the listening sockets, from any thread, and waits for the accepting threads to end. The JDK defers the
     * close of a socket in which a virtual thread is blocked until that thread has woken, and meanwhile the kernel
     * still accepts connections on it: the join makes it closed on return, as asyncio's is. It takes the few
     * microseconds the threads need to run. Then deletes a Unix-domain socket's file, if still its own; a failure to
     * delete it goes to the loop's exception handler (asyncio logs it). The connections of a TLS server whose
     * handshake is in progress are closed too: the loop has not been handed them.
     */
    private void closeSocket() {
        if (socketClosed.compareAndSet(false, true)) {
            channels.forEach(Streams::closeQuietly);
            closeHandshakes(); // none is added once socketClosed is set
            synchronized (acceptPause) { // a thread pausing after a lack of resources ends
                acceptPause.notifyAll();
            }
            for (Thread t : acceptThreads) {
                boolean interrupted = false;
                while (true) {
                    try {
                        t.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            if (socketFile != null) {
                try {
                    socketFile.delete();
                } catch (IOException e) {
                    loop.callExceptionHandler(new ExceptionContext("Unable to delete the socket file of " + this, e,
                            null, null));
                }
            }
        }
    }

    @Override
    public String toString() {
        return "Server[" + (socketFile != null ? socketFile.path().toString()
                : String.join(", ", addresses.stream().map(String::valueOf).toList()))
                + (socketClosed.get() ? ", closed" : "") + "]";
    }
}
