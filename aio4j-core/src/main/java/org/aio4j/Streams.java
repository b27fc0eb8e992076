package org.aio4j;

import java.io.Closeable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/** {@link Aio#openConnection} and {@link Aio#startServer}: asyncio's {@code streams.py} functions. */
final class Streams {

    /** asyncio's default backlog of {@code start_server}. */
    private static final int BACKLOG = 100;

    private Streams() {
    }

    static StreamPair openConnection(String host, int port, int limit) throws IOException {
        Objects.requireNonNull(host, "host must not be null");
        EventLoop loop = checkedLoop("openConnection", port, 1, limit);
        // A server of this loop may accept the connection before the connect's outcome comes back: it keeps what
        // it accepts meanwhile, until the connect has ended, for expectAccept to match.
        long connect = loop.openStreams.connectBegins();
        try {
            SocketChannel ch;
            try {
                ch = offload(loop, () -> {
                    var address = resolve(host, port);
                    return closedOnFailure(SocketChannel.open(), c -> {
                        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        c.connect(address);
                    });
                });
            } catch (ConnectException e) {
                throw refused(e, host, port);
            } catch (IOException e) { // a reset during the connect, an unknown host: made on the connecting thread
                throw ThrownHere.copyOf(e);
            }
            StreamTransport t;
            try {
                t = StreamTransport.ofSocket(loop, ch, limit, lost -> { });
            } catch (IOException e) { // reset before we got to it
                ch.close();
                throw e;
            }
            t.start();
            for (Server server : loop.openStreams.servers) { // a server of this loop: its accept is on its way
                server.expectAccept(t.peer(), t.local(), t);
            }
            return new StreamPair(t.reader, t.writer);
        } finally {
            loop.openStreams.connectEnded(connect);
        }
    }

    static Server startServer(ConnectionHandler handler, String host, int port, int limit) throws IOException {
        Objects.requireNonNull(handler, "handler must not be null");
        EventLoop loop = checkedLoop("startServer", port, 0, limit);
        ServerSocketChannel ch = offload(loop, () -> {
            var address = host == null ? new InetSocketAddress(port) : resolve(host, port);
            return closedOnFailure(ServerSocketChannel.open(), c -> {
                c.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                c.bind(address, BACKLOG);
            });
        });
        Server server;
        try {
            server = new Server(loop, ch, handler, limit);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        server.start();
        return server;
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

    private static InetSocketAddress resolve(String host, int port) throws UnknownHostException {
        var address = new InetSocketAddress(host, port); // resolves: a blocking call, made off the loop
        if (address.isUnresolved()) {
            throw new UnknownHostException(host);
        }
        return address;
    }

    /**
     * Checks the arguments of {@code method}, then returns the running loop, whose task will suspend: throws if
     * there is none.
     */
    private static EventLoop checkedLoop(String method, int port, int minPort, int limit) {
        if (port < minPort || port > 65535) {
            throw new IllegalArgumentException(method + "(): port must be in " + minPort + "..65535, got " + port);
        }
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
