package org.aio4j;

import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * {@link Aio#openConnection}, {@link Aio#startServer}, {@link Aio#openUnixConnection} and
 * {@link Aio#startUnixServer}: asyncio's {@code streams.py} functions.
 */
final class Streams {

    /** asyncio's default backlog of {@code start_server}. */
    private static final int BACKLOG = 100;

    private Streams() {
    }

    static StreamPair openConnection(String host, int port, int limit) throws IOException {
        return openConnection(host, port, null, limit);
    }

    /** {@code ssl}: the TLS context, or null for a plain connection. */
    static StreamPair openConnection(String host, int port, SSLContext ssl, int limit) throws IOException {
        return openConnection(host, port, ssl, null, 0, 0, limit);
    }

    /**
     * With asyncio's {@code server_hostname} and {@code ssl_handshake_timeout} as given to
     * {@link Aio#openConnection(String, int, SSLContext, String, double, int)}, which requires {@code ssl}.
     */
    static StreamPair openConnection(String host, int port, SSLContext ssl, String serverHostname,
                                     double sslHandshakeTimeout, int limit) throws IOException {
        requireContext("openConnection", ssl, "serverHostname and sslHandshakeTimeout");
        return openConnection(host, port, ssl, serverHostname,
                TlsHandshake.millis("openConnection", "sslHandshakeTimeout", sslHandshakeTimeout), 0, limit);
    }

    /**
     * As {@link #openConnection(String, int, SSLContext, String, double, int)} with the timeout as a
     * {@link Duration}: {@link Aio#openConnection(String, int, SSLContext, String, Duration, int)}'s.
     */
    static StreamPair openConnection(String host, int port, SSLContext ssl, String serverHostname,
                                     Duration sslHandshakeTimeout, int limit) throws IOException {
        requireContext("openConnection", ssl, "serverHostname and sslHandshakeTimeout");
        return openConnection(host, port, ssl, serverHostname,
                TlsHandshake.millis("openConnection", "sslHandshakeTimeout", sslHandshakeTimeout), 0, limit);
    }

    /**
     * With asyncio's {@code ssl_shutdown_timeout} too, as given to
     * {@link Aio#openConnection(String, int, SSLContext, String, double, double, int)}, which requires {@code ssl}.
     */
    static StreamPair openConnection(String host, int port, SSLContext ssl, String serverHostname,
                                     double sslHandshakeTimeout, double sslShutdownTimeout, int limit)
            throws IOException {
        requireContext("openConnection", ssl, "serverHostname, sslHandshakeTimeout and sslShutdownTimeout");
        return openConnection(host, port, ssl, serverHostname,
                TlsHandshake.millis("openConnection", "sslHandshakeTimeout", sslHandshakeTimeout),
                TlsHandshake.millis("openConnection", "sslShutdownTimeout", sslShutdownTimeout), limit);
    }

    /**
     * As {@link #openConnection(String, int, SSLContext, String, double, double, int)} with the timeouts as
     * {@link Duration}s: {@link Aio#openConnection(String, int, SSLContext, String, Duration, Duration, int)}'s.
     */
    static StreamPair openConnection(String host, int port, SSLContext ssl, String serverHostname,
                                     Duration sslHandshakeTimeout, Duration sslShutdownTimeout, int limit)
            throws IOException {
        requireContext("openConnection", ssl, "serverHostname, sslHandshakeTimeout and sslShutdownTimeout");
        return openConnection(host, port, ssl, serverHostname,
                TlsHandshake.millis("openConnection", "sslHandshakeTimeout", sslHandshakeTimeout),
                TlsHandshake.millis("openConnection", "sslShutdownTimeout", sslShutdownTimeout), limit);
    }

    /**
     * {@code ssl}: the TLS context, or null for a plain connection; {@code serverHostname}: the name to check
     * (null: {@code host}); {@code handshakeMillis} and {@code shutdownMillis}: the TLS timeouts, 0 for the defaults.
     */
    private static StreamPair openConnection(String host, int port, SSLContext ssl, String serverHostname,
                                             int handshakeMillis, int shutdownMillis, int limit)
            throws IOException {
        Objects.requireNonNull(host, "host must not be null");
        checkedContext("openConnection", ssl);
        EventLoop loop = checkedLoop("openConnection", port, 1, limit);
        // A server of this loop may accept the connection before the connect's outcome comes back: it keeps what
        // it accepts meanwhile, until the connect has ended, for expectAccept to match.
        long connect = loop.openStreams.connectBegins();
        try {
            TcpConnect connected;
            try {
                // The handshake is part of the call, on the same thread: a cancellation's interrupt closes the
                // channel under it, as it does a connect.
                connected = offload(loop, () -> {
                    SocketChannel ch = connectToAny(host, port);
                    return new TcpConnect(ch, ssl == null ? null
                            : handshake(ch, ssl, host, port, serverHostname, handshakeMillis));
                });
            } catch (Failed e) {
                throw e.connectError(host, port);
            } catch (UnknownHostException e) { // made on the connecting thread; the JDK's message adds the reason
                throw ThrownHere.copyOf(e, host);
            } catch (TlsFailed e) { // made on the connecting thread, naming the peer as the JDK does not
                throw ThrownHere.copyOf(e.tls(), e.tls().getMessage() + ": " + e.peer());
            } catch (IOException e) { // made on the connecting thread
                throw ThrownHere.copyOf(e);
            }
            StreamPair pair = connected(loop, connected.channel(), connected.tls(), shutdownMillis, limit,
                    s -> true);
            pair.writer().transport().dialled(host); // the server name of a later startTls(), by default
            return pair;
        } finally {
            loop.openStreams.connectEnded(connect);
        }
    }

    /** A TCP connection just made, and its TLS end once its handshake succeeded (null for a plain one). */
    private record TcpConnect(SocketChannel channel, SSLSocket tls) implements Closeable {

        /** Closes the connection: the calling task stopped waiting for it (the channel under the TLS socket). */
        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * On the connecting thread: the handshake of {@link TlsHandshake#client}; its failure (which closed the channel:
     * an {@link javax.net.ssl.SSLException}, or the reset of a peer gone meanwhile) as a {@link TlsFailed} naming
     * the peer, unless it is the interrupt of a cancellation.
     */
    private static SSLSocket handshake(SocketChannel ch, SSLContext ssl, String host, int port,
                                       String serverHostname, int handshakeMillis) throws IOException {
        String peer = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        try {
            return TlsHandshake.client(ch, ssl, host, port, serverHostname, handshakeMillis);
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new ClosedByInterruptException();
            }
            throw new TlsFailed(e, peer);
        }
    }

    /** A TLS handshake that failed on the connecting thread, with the peer to name. Never seen outside this class. */
    private static final class TlsFailed extends IOException {
        private final transient IOException tls;
        private final String peer;

        TlsFailed(IOException tls, String peer) {
            super(tls);
            this.tls = tls;
            this.peer = peer;
        }

        IOException tls() {
            return tls;
        }

        String peer() {
            return peer;
        }
    }

    /**
     * On the connecting thread: a connection to the first address of {@code host} that takes one, tried in the
     * order the resolver gives them, as asyncio's {@code create_connection} does (without
     * {@code happy_eyeballs_delay}). Throws {@link Failed} if every attempt failed, and stops at the interrupt of the
     * calling task's cancellation (a connect it interrupts closes its socket).
     */
    private static SocketChannel connectToAny(String host, int port) throws IOException {
        var tried = new ArrayList<InetSocketAddress>();
        var errors = new ArrayList<IOException>();
        for (InetAddress a : InetAddress.getAllByName(host)) {
            if (Thread.currentThread().isInterrupted()) {
                throw new ClosedByInterruptException(); // cancelled between two attempts
            }
            var address = new InetSocketAddress(a, port);
            try {
                return closedOnFailure(SocketChannel.open(), c -> {
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    c.connect(address);
                });
            } catch (ClosedByInterruptException e) {
                throw e; // cancelled during this attempt
            } catch (IOException e) {
                tried.add(address);
                errors.add(e);
            }
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new ClosedByInterruptException();
        }
        throw new Failed(tried, errors);
    }

    /**
     * What failed on the thread that connected or bound: the error of each address tried, in order, to be made again
     * in the calling task by {@link #connectError} or {@link #bindError}. Never seen outside this class.
     */
    private static final class Failed extends IOException {
        private final transient List<InetSocketAddress> addresses;
        private final transient List<IOException> errors;

        Failed(List<InetSocketAddress> addresses, List<IOException> errors) {
            super("failed: " + addresses);
            this.addresses = List.copyOf(addresses);
            this.errors = List.copyOf(errors);
        }

        /**
         * In the calling task: the error of {@code openConnection(host, port)}. One address: its error, a refusal
         * naming {@code host:port} (see {@link #refused}). Several: as asyncio's, the first error if all read the
         * same, else one whose message is {@code "Multiple exceptions: "} and each address's error naming it, of
         * the most specific class every error is of ({@link ConnectException} when every connect was refused or timed
         * out, else {@link SocketException} or {@link IOException}), its cause the first address's error and
         * the others suppressed.
         */
        IOException connectError(String host, int port) {
            if (errors.isEmpty()) {
                return new UnknownHostException(host + ": no address"); // the JDK's resolver gives one at least
            }
            if (errors.size() == 1) {
                return errors.getFirst() instanceof ConnectException e ? refused(e, host, port)
                        : ThrownHere.copyOf(errors.getFirst());
            }
            var messages = new ArrayList<String>();
            var named = new ArrayList<IOException>();
            for (int i = 0; i < errors.size(); i++) {
                IOException e = errors.get(i);
                messages.add(e.getMessage() + ": " + hostPort(addresses.get(i)));
                named.add(ThrownHere.copyOf(e, messages.getLast()));
            }
            if (messages.stream().allMatch(messages.getFirst()::equals)) { // the same address twice, say
                return named.getFirst();
            }
            String message = "Multiple exceptions: " + String.join(", ", messages);
            IOException all = errors.stream().allMatch(ConnectException.class::isInstance)
                    ? new ConnectException(message)
                    : errors.stream().allMatch(SocketException.class::isInstance)
                    ? new SocketException(message) : new IOException(message);
            all.initCause(named.getFirst());
            named.stream().skip(1).forEach(all::addSuppressed);
            return all;
        }

        /**
         * In the calling task: the error of binding the one address tried last, of its class, naming it (the JDK's
         * names none; asyncio's {@code "error while attempting to bind on address ..."}), its cause the JDK's.
         */
        IOException bindError() {
            IOException e = errors.getLast();
            return ThrownHere.copyOf(e, e.getMessage() + ": " + hostPort(addresses.getLast()));
        }
    }

    /**
     * {@code address} as {@code 127.0.0.1:8888} or {@code [::1]:8888}: an IPv6 address in brackets, its longest run
     * of zero groups shortened to {@code ::} (RFC 5952; the JDK writes every group).
     */
    static String hostPort(InetSocketAddress address) {
        String literal = address.getAddress().getHostAddress();
        if (!(address.getAddress() instanceof Inet6Address)) {
            return literal + ":" + address.getPort();
        }
        int scope = literal.indexOf('%');
        String[] groups = (scope < 0 ? literal : literal.substring(0, scope)).split(":");
        int best = -1;
        int bestLength = 1; // a single zero group stays
        for (int i = 0; i < groups.length; ) {
            int j = i;
            while (j < groups.length && groups[j].equals("0")) {
                j++;
            }
            if (j - i > bestLength) {
                best = i;
                bestLength = j - i;
            }
            i = Math.max(j, i + 1);
        }
        String shortened = best < 0 ? String.join(":", groups)
                : String.join(":", Arrays.asList(groups).subList(0, best)) + "::"
                + String.join(":", Arrays.asList(groups).subList(best + bestLength, groups.length));
        return "[" + shortened + (scope < 0 ? "" : literal.substring(scope)) + "]:" + address.getPort();
    }

    static StreamPair openUnixConnection(Path path, int limit) throws IOException {
        UnixPaths.checked("openUnixConnection", path);
        EventLoop loop = checkedLoop("openUnixConnection", limit);
        // To a server of this loop, the client binds a name of its own, by which the server knows its accept.
        boolean toOwnServer = loop.openStreams.servers.stream().anyMatch(s -> s.listensOn(path));
        long connect = loop.openStreams.connectBegins();
        try {
            UnixConnect connected;
            try {
                connected = offload(loop, () -> {
                    SocketChannel ch = closedOnFailure(SocketChannel.open(StandardProtocolFamily.UNIX), c -> {
                        Path name = toOwnServer ? UnixClientNames.bind(c) : null;
                        try {
                            c.connect(UnixDomainSocketAddress.of(path));
                        } finally {
                            if (name != null) {
                                deleteQuietly(name); // the socket keeps the name
                            }
                        }
                    });
                    return new UnixConnect(ch, toOwnServer ? UnixSocketFile.keyAt(path) : null);
                });
            } catch (IOException e) { // made on the connecting thread
                throw namingThePath(e, path);
            }
            // Only the server whose socket the path led to will accept: another of the loop at the same path may
            // have had its file deleted by a later server's bind (or another process's), and listens unreached.
            return connected(loop, connected.channel(), null, 0, limit, s -> s.isBoundTo(connected.reached()));
        } finally {
            loop.openStreams.connectEnded(connect);
        }
    }

    /**
     * A Unix-domain connection just made, and the identity of the socket file its path led to then (see
     * {@link UnixSocketFile#keyAt}; null if not looked at, for a client of no server of the loop).
     */
    private record UnixConnect(SocketChannel channel, Object reached) implements Closeable {

        /** Closes the connection: the calling task stopped waiting for it. */
        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * On the loop: the streams of {@code ch}, which a connect of the loop has just connected (over {@code tls} if
     * not null, its handshake made, its close bounded by {@code shutdownMillis}, 0 for the default); each server of
     * the loop that {@code reached} accepts expects that connection's accept.
     */
    private static StreamPair connected(EventLoop loop, SocketChannel ch, SSLSocket tls, int shutdownMillis,
                                        int limit, Predicate<Server> reached) throws IOException {
        StreamTransport t;
        try {
            t = StreamTransport.ofSocket(loop, ch, tls, shutdownMillis, limit, lost -> { });
        } catch (IOException e) { // reset before we got to it
            ch.close();
            throw e;
        }
        t.start();
        for (Server server : loop.openStreams.servers) { // a server of this loop: its accept is on its way
            if (reached.test(server)) {
                server.expectAccept(t.peer(), t.local(), t);
            }
        }
        return new StreamPair(t.reader, t.writer);
    }

    static Server startServer(ConnectionHandler handler, String host, int port, int limit) throws IOException {
        return startServer(handler, host, port, null, limit);
    }

    /** {@code ssl}: the TLS context, or null for a plain server. */
    static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl, int limit)
            throws IOException {
        return startServer(handler, host, port, ssl, 0, 0, limit);
    }

    /**
     * With asyncio's {@code ssl_handshake_timeout} as given to
     * {@link Aio#startServer(ConnectionHandler, String, int, SSLContext, double, int)}, which requires {@code ssl}.
     */
    static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl,
                              double sslHandshakeTimeout, int limit) throws IOException {
        requireContext("startServer", ssl, "sslHandshakeTimeout");
        return startServer(handler, host, port, ssl,
                TlsHandshake.millis("startServer", "sslHandshakeTimeout", sslHandshakeTimeout), 0, limit);
    }

    /**
     * As {@link #startServer(ConnectionHandler, String, int, SSLContext, double, int)} with the timeout as a
     * {@link Duration}: {@link Aio#startServer(ConnectionHandler, String, int, SSLContext, Duration, int)}'s.
     */
    static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl,
                              Duration sslHandshakeTimeout, int limit) throws IOException {
        requireContext("startServer", ssl, "sslHandshakeTimeout");
        return startServer(handler, host, port, ssl,
                TlsHandshake.millis("startServer", "sslHandshakeTimeout", sslHandshakeTimeout), 0, limit);
    }

    /**
     * With asyncio's {@code ssl_shutdown_timeout} too, as given to
     * {@link Aio#startServer(ConnectionHandler, String, int, SSLContext, double, double, int)}, which requires
     * {@code ssl}.
     */
    static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl,
                              double sslHandshakeTimeout, double sslShutdownTimeout, int limit) throws IOException {
        requireContext("startServer", ssl, "sslHandshakeTimeout and sslShutdownTimeout");
        return startServer(handler, host, port, ssl,
                TlsHandshake.millis("startServer", "sslHandshakeTimeout", sslHandshakeTimeout),
                TlsHandshake.millis("startServer", "sslShutdownTimeout", sslShutdownTimeout), limit);
    }

    /**
     * As {@link #startServer(ConnectionHandler, String, int, SSLContext, double, double, int)} with the timeouts as
     * {@link Duration}s:
     * {@link Aio#startServer(ConnectionHandler, String, int, SSLContext, Duration, Duration, int)}'s.
     */
    static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl,
                              Duration sslHandshakeTimeout, Duration sslShutdownTimeout, int limit)
            throws IOException {
        requireContext("startServer", ssl, "sslHandshakeTimeout and sslShutdownTimeout");
        return startServer(handler, host, port, ssl,
                TlsHandshake.millis("startServer", "sslHandshakeTimeout", sslHandshakeTimeout),
                TlsHandshake.millis("startServer", "sslShutdownTimeout", sslShutdownTimeout), limit);
    }

    /**
     * {@code ssl}: the TLS context, or null for a plain server; {@code handshakeMillis} and {@code shutdownMillis}:
     * the TLS timeouts, 0 for the defaults.
     */
    private static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl,
                                      int handshakeMillis, int shutdownMillis, int limit) throws IOException {
        Objects.requireNonNull(handler, "handler must not be null");
        checkedContext("startServer", ssl);
        EventLoop loop = checkedLoop("startServer", port, 0, limit);
        Listening listening;
        try {
            listening = offload(loop, () -> new Listening(bindEach(host, port), null));
        } catch (Failed e) {
            throw e.bindError();
        } catch (UnknownHostException e) { // made on the binding thread; the JDK's message adds the reason
            throw ThrownHere.copyOf(e, host);
        } catch (IOException e) { // made on the binding thread
            throw ThrownHere.copyOf(e);
        }
        return serving(loop, listening, handler, ssl, handshakeMillis, shutdownMillis, limit);
    }

    /**
     * On the binding thread: a listening socket on each address of {@code host} (each once, in the order the
     * resolver gives them), or on every interface if it is null, as asyncio's {@code create_server} does. Port 0
     * gives each a port the system chooses for it. If one cannot be bound, closes those bound and throws
     * {@link Failed}.
     */
    private static List<ServerSocketChannel> bindEach(String host, int port) throws IOException {
        // "" is every interface as null is, as CPython's create_server takes it (the JDK resolves "" to loopback)
        List<InetSocketAddress> addresses = host == null || host.isEmpty() ? List.of(new InetSocketAddress(port))
                : Arrays.stream(InetAddress.getAllByName(host)).distinct()
                        .map(a -> new InetSocketAddress(a, port)).toList();
        var bound = new ArrayList<ServerSocketChannel>();
        try {
            for (InetSocketAddress address : addresses) {
                ServerSocketChannel ch = ServerSocketChannel.open();
                bound.add(ch);
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                try {
                    ch.bind(address, BACKLOG);
                } catch (IOException e) {
                    throw new Failed(List.of(address), List.of(e));
                }
            }
            return bound;
        } catch (IOException | RuntimeException | Error e) {
            bound.forEach(Streams::closeQuietly);
            throw e;
        }
    }

    static Server startUnixServer(ConnectionHandler handler, Path path, int limit) throws IOException {
        Objects.requireNonNull(handler, "handler must not be null");
        UnixPaths.checked("startUnixServer", path);
        EventLoop loop = checkedLoop("startUnixServer", limit);
        Listening listening;
        try {
            listening = offload(loop, () -> {
                UnixSocketFile.removeStale(path);
                ServerSocketChannel ch = closedOnFailure(ServerSocketChannel.open(StandardProtocolFamily.UNIX),
                        c -> c.bind(UnixDomainSocketAddress.of(path), BACKLOG));
                return new Listening(List.of(ch), boundFile(ch, path));
            });
        } catch (IOException e) { // made on the binding thread
            throw namingThePath(e, path);
        }
        return serving(loop, listening, handler, null, 0, 0, limit);
    }

    /**
     * The listening sockets just bound (one per address for TCP, one for a Unix-domain server), and the file of the
     * Unix-domain one (else null).
     */
    private record Listening(List<ServerSocketChannel> channels, UnixSocketFile file) implements Closeable {

        /** Closes the sockets and deletes the file: the calling task stopped waiting for them. */
        @Override
        public void close() throws IOException {
            channels.forEach(Streams::closeQuietly);
            if (file != null) {
                file.delete();
            }
        }
    }

    /** The file {@code ch} was just bound to at {@code path}; closes {@code ch} if it cannot be looked at. */
    private static UnixSocketFile boundFile(ServerSocketChannel ch, Path path) throws IOException {
        try {
            return UnixSocketFile.bound(path);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** On the loop: the server of {@code listening}, serving TLS with {@code ssl} if not null, started. */
    private static Server serving(EventLoop loop, Listening listening, ConnectionHandler handler, SSLContext ssl,
                                  int handshakeMillis, int shutdownMillis, int limit) throws IOException {
        Server server;
        try {
            server = new Server(loop, listening.channels(), handler, ssl, handshakeMillis, shutdownMillis, limit,
                    listening.file());
        } catch (IOException e) {
            listening.close();
            throw e;
        }
        server.start();
        return server;
    }

    /**
     * An error of a Unix-domain connect or bind, made on another thread, made again in the calling task with
     * {@code path} named in its message (the JDK's socket errors do not name it) and the error as its cause:
     * asyncio's {@code FileNotFoundError} (no such socket, or directory) as a {@link FileNotFoundException},
     * {@code ConnectionRefusedError} (nothing listens) as a {@link ConnectException}, the address in use (a file
     * that is not a socket is there) as a {@link BindException}; any other of the same class (a file system error,
     * from deleting a stale socket, names it already).
     */
    static IOException namingThePath(IOException e, Path path) {
        if (e instanceof java.nio.file.FileSystemException) {
            return ThrownHere.copyOf(e);
        }
        String message = e.getMessage() + ": " + path;
        IOException named;
        if (e instanceof ConnectException) {
            named = new ConnectException(message);
        } else if (e instanceof BindException) {
            named = new BindException(message);
        } else if (e.getMessage() != null && e.getMessage().contains("No such file or directory")) {
            named = new FileNotFoundException(message);
        } else {
            return ThrownHere.copyOf(e, message);
        }
        named.initCause(e);
        return named;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // left in the process's own directory
        }
    }

    /** An I/O step on a channel being opened. */
    private interface Setup<C> {
        void apply(C channel) throws IOException;
    }

    /** Returns {@code channel} once {@code setup} has run on it; closes it if {@code setup} fails. */
    private static <C extends Closeable> C closedOnFailure(C channel, Setup<C> setup) throws IOException {
        try {
            setup.apply(channel);
            return channel;
        } catch (IOException | RuntimeException | Error e) {
            channel.close();
            throw e;
        }
    }

    /**
     * The JDK's {@code "Connection refused"} names no address, and comes from the thread that connected: a copy made
     * here names the address (as asyncio's {@code "Connect call failed (host, port)"}) and the caller's line.
     */
    private static ConnectException refused(ConnectException e, String host, int port) {
        var named = new ConnectException(e.getMessage() + ": " + (host.indexOf(':') >= 0 ? "[" + host + "]" : host)
                + ":" + port);
        named.initCause(e);
        return named;
    }

    /**
     * Checks the arguments of {@code method}, then returns the running loop, whose task will suspend: throws if
     * there is none.
     */
    private static EventLoop checkedLoop(String method, int port, int minPort, int limit) {
        if (port < minPort || port > 65535) {
            throw new IllegalArgumentException(method + "(): port must be in " + minPort + "..65535, got " + port);
        }
        return checkedLoop(method, limit);
    }

    /**
     * Refuses a TLS context that is not initialized (null is a plain stream): the JDK would refuse it only on the
     * thread that handshakes, once connected, and a server's every handshake would fail, reported in debug mode only.
     */
    static void checkedContext(String method, SSLContext ssl) {
        if (ssl == null) {
            return;
        }
        try {
            ssl.getSocketFactory();
        } catch (IllegalStateException notInitialized) {
            throw new IllegalArgumentException(method + "(): the SSLContext is not initialized (SSLContext.init)",
                    notInitialized);
        }
    }

    /**
     * Refuses a null {@code ssl} where TLS options ({@code options}) are given, as asyncio refuses them without
     * {@code ssl} ({@code "server_hostname is only meaningful with ssl"}).
     */
    private static void requireContext(String method, SSLContext ssl, String options) {
        if (ssl == null) {
            throw new IllegalArgumentException(method + "(): " + options + (options.contains(" and ") ? " are" : " is")
                    + " only meaningful with ssl, which is null");
        }
    }

    /** As {@link #checkedLoop(String, int, int, int)} without a port. */
    private static EventLoop checkedLoop(String method, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException(method + "(): limit must be > 0, got " + limit);
        }
        EventLoop loop = Aio.runningLoop();
        loop.taskAwaiting(method, "Aio." + method + "()");
        return loop;
    }

    /**
     * Runs {@code open} on a thread of its own, as {@link Aio#toThread} does, and returns what it opened. If the
     * calling task stops waiting (its cancellation) while it is being opened, it is discarded as soon as it is open
     * rather than lost.
     */
    static <C> C offload(EventLoop loop, Callable<C> open, Consumer<C> discard) throws IOException {
        var handover = new Handover<C>(discard);
        try {
            return Offload.submit(loop, EventLoop.toThreadExecutor(), () -> handover.offer(open.call())).await();
        } catch (IOException | RuntimeException | Error e) {
            handover.abandon();
            throw e;
        } catch (Exception e) { // open throws nothing else
            handover.abandon();
            throw new IllegalStateException(e);
        }
    }

    private static <C extends Closeable> C offload(EventLoop loop, Callable<C> open) throws IOException {
        return offload(loop, open, Streams::closeQuietly);
    }

    static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closed anyway
        }
    }

    /** What a thread opened, passed to a task that may have stopped waiting for it. */
    private static final class Handover<C> {
        private final Consumer<C> discard;
        private C value;
        private boolean abandoned;

        Handover(Consumer<C> discard) {
            this.discard = discard;
        }

        synchronized C offer(C c) throws IOException {
            if (abandoned) {
                discard.accept(c);
                throw new java.nio.channels.ClosedByInterruptException();
            }
            value = c;
            return c;
        }

        synchronized void abandon() {
            abandoned = true;
            if (value != null) {
                discard.accept(value);
            }
        }
    }
}
