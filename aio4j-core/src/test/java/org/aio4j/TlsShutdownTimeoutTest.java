package org.aio4j;

import static org.aio4j.StreamsTest.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS shutdown timeout: asyncio's {@code ssl_shutdown_timeout} (CPython 3.13's sslproto.py, 30 s by default), a
 * timer of the loop set by {@code close()} that aborts the connection if its close has not finished by then, so that
 * the close of a TLS connection to a peer that reads nothing ends. On a virtual clock, with the certificates of
 * {@link TlsStreamsTest}: the close waits behind more bytes than the kernel's buffers hold (the peer's receive buffer
 * is kept small), which a peer that reads nothing never takes.
 */
class TlsShutdownTimeoutTest {

    private static final String HOST = "127.0.0.1";
    /**
     * More than the sending socket's buffer (Linux autotunes it up to tcp_wmem's maximum, 4 MiB by default) and the
     * silent peer's (kept at 64 KiB) can hold: the close cannot finish while the peer reads nothing.
     */
    private static final int UNSENDABLE = unsendable();

    private static int unsendable() {
        long sendBufferMax = 4 << 20;
        try {
            String wmem = java.nio.file.Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim();
            sendBufferMax = Math.max(sendBufferMax, Long.parseLong(wmem.split("\\s+")[2]));
        } catch (IOException | RuntimeException notLinux) {
            // the default
        }
        return (int) Math.min(256 << 20, 2 * sendBufferMax);
    }

    private static SSLContext server;
    private static SSLContext client;

    @TempDir
    static Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        TlsStreamsTest.dir = dir;
        TlsStreamsTest.certificates();
        server = TlsStreamsTest.serverContext();
        client = TlsStreamsTest.clientContext();
    }

    private static int port(Server s) {
        return s.addresses().getFirst().getPort();
    }

    private static EventLoop virtualClock() {
        return EventLoop.builder().virtualTime().build();
    }

    /**
     * A TLS end of no loop, on a platform thread, with a small receive buffer: it makes its handshake, then reads
     * nothing until it is closed, or, if it {@code reads}, reads everything to the end of the stream and closes.
     */
    private static final class ForeignPeer implements AutoCloseable {
        private final ServerSocket listener;
        private final CountDownLatch closing = new CountDownLatch(1);
        private final AtomicReference<Socket> socket = new AtomicReference<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** The bytes it read, once it read the end of the stream; -1 before. */
        final AtomicLong read = new AtomicLong(-1);
        /** Counted down once it has read the end of the stream. */
        final CountDownLatch readTheEnd = new CountDownLatch(1);
        private final Thread thread;

        /** A peer listening on {@link #port()}, the server's end of the one connection it accepts. */
        static ForeignPeer server(boolean reads) throws IOException {
            return server(reads, true);
        }

        /**
         * As {@link #server(boolean)}; one that {@code reads} but does not {@code answer} stays open once it has read
         * the end, sending no close_notify of its own (the JDK's TLS 1.3 socket answers none by itself).
         */
        static ForeignPeer server(boolean reads, boolean answers) throws IOException {
            var listener = new ServerSocket();
            listener.setReceiveBufferSize(64 * 1024); // the accepted socket's, before the window is announced
            listener.bind(new InetSocketAddress(HOST, 0), 1);
            return new ForeignPeer(listener, 0, reads, answers);
        }

        /** A peer connecting to {@code port}, the client's end. */
        static ForeignPeer client(int port, boolean reads) {
            return new ForeignPeer(null, port, reads, true);
        }

        private ForeignPeer(ServerSocket listener, int port, boolean reads, boolean answers) {
            this.listener = listener;
            this.thread = Thread.ofPlatform().start(() -> {
                try {
                    Socket raw;
                    if (listener != null) {
                        raw = listener.accept();
                    } else {
                        raw = new Socket();
                        raw.setReceiveBufferSize(64 * 1024);
                        raw.connect(new InetSocketAddress(HOST, port));
                    }
                    socket.set(raw);
                    SSLContext context = listener != null ? server : client;
                    var tls = (SSLSocket) context.getSocketFactory().createSocket(raw, HOST, raw.getPort(), true);
                    tls.setUseClientMode(listener == null);
                    tls.startHandshake();
                    if (reads) {
                        read.set(tls.getInputStream().readAllBytes().length);
                        readTheEnd.countDown();
                        if (answers) {
                            tls.close(); // its close_notify, which the close waits for
                            return;
                        }
                    }
                    closing.await();
                } catch (IOException | InterruptedException e) {
                    if (closing.getCount() > 0) {
                        failure.set(e);
                    }
                }
            });
        }

        int port() {
            return listener.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            closing.countDown();
            Socket s = socket.get();
            if (s != null) {
                s.close();
            }
            if (listener != null) {
                listener.close();
            }
            thread.join();
            assertThat(failure.get()).isNull();
        }
    }

    /**
     * On a virtual clock: closes {@code conn}, whose peer reads nothing, behind {@link #UNSENDABLE} bytes, and checks
     * that the close is still waiting just before {@code timeout} seconds and has aborted the connection just after,
     * with asyncio's {@code TimeoutError} as a {@link SocketTimeoutException} that waitClosed() and the reader throw
     * (asyncio's force-close sets it on both), and that the connection's threads end.
     */
    private static void closeIsAbortedAfter(double timeout, StreamPair conn) throws Exception {
        StreamWriter writer = conn.writer();
        EventLoop loop = Aio.getRunningLoop();
        writer.write(new byte[UNSENDABLE]);
        int timers = loop.timers.live();
        writer.close();
        assertThat(loop.timers.live()).as("close() sets the shutdown timer").isEqualTo(timers + 1);
        Aio.sleep(timeout - 0.1);
        assertThat(writer.transport().isClosed()).as("the close waits for the peer before the timeout").isFalse();
        assertThat(writer.writeBufferSize()).as("bytes are still queued: the close cannot finish").isPositive();
        Aio.sleep(0.2);
        assertThat(writer.transport().isClosed()).as("the close is aborted at the timeout").isTrue();
        assertThat(writer.writeBufferSize()).isZero();
        assertThat(loop.timers.live()).isEqualTo(timers);
        assertThatThrownBy(writer::waitClosed).isInstanceOf(SocketTimeoutException.class)
                .hasMessageStartingWith("TLS shutdown timed out after " + timeout + " seconds: aborting connection ");
        assertThatThrownBy(() -> conn.reader().read(-1)).isInstanceOf(SocketTimeoutException.class);
        assertThat(writer.isClosing()).isTrue();
        for (Thread t : writer.transport().threads()) {
            Aio.toThread(() -> {
                t.join();
                return null;
            });
        }
    }

    /** It hung: the close of a TLS connection to a peer that reads nothing waited for ever, with the bytes queued. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCloseToAPeerThatReadsNothingIsAbortedAfterTheDefault30Seconds() throws Exception {
        try (var peer = ForeignPeer.server(false)) {
            Aio.run(TlsShutdownTimeoutTest::virtualClock, () -> {
                closeIsAbortedAfter(30.0, Aio.openConnection(HOST, peer.port(), client));
                return null;
            });
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anSslShutdownTimeoutInSecondsOrAsADurationBoundsTheCloseOfAClient() throws Exception {
        try (var peer = ForeignPeer.server(false)) {
            Aio.run(TlsShutdownTimeoutTest::virtualClock, () -> {
                closeIsAbortedAfter(2.5, Aio.openConnection(HOST, peer.port(), client, null, 60, 2.5,
                        StreamReader.DEFAULT_LIMIT));
                return null;
            });
        }
        try (var peer = ForeignPeer.server(false)) {
            Aio.run(TlsShutdownTimeoutTest::virtualClock, () -> {
                closeIsAbortedAfter(5.0, Aio.openConnection(HOST, peer.port(), client, null,
                        Duration.ofSeconds(60), Duration.ofSeconds(5), StreamReader.DEFAULT_LIMIT));
                return null;
            });
        }
    }

    /** asyncio's start_server(ssl_shutdown_timeout=...): the close of each connection's end of the server's. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aTlsServersShutdownTimeoutBoundsTheCloseOfItsConnections() throws Exception {
        for (boolean asDuration : List.of(false, true)) {
            Aio.run(TlsShutdownTimeoutTest::virtualClock, () -> {
                // Taken by a thread: the loop cannot see the foreign client coming, and would call a wait on a
                // queue of its own a deadlock.
                var ends = new java.util.concurrent.LinkedBlockingQueue<StreamPair>();
                ConnectionHandler handler = (reader, writer) -> ends.add(new StreamPair(reader, writer));
                try (Server s = asDuration
                        ? Aio.startServer(handler, HOST, 0, server, Duration.ofSeconds(60), Duration.ofSeconds(3),
                        StreamReader.DEFAULT_LIMIT)
                        : Aio.startServer(handler, HOST, 0, server, 60, 3, StreamReader.DEFAULT_LIMIT);
                     var peer = ForeignPeer.client(port(s), false)) {
                    closeIsAbortedAfter(3.0, Aio.toThread(ends::take));
                }
                return null;
            });
        }
    }

    /** asyncio's StreamWriter.start_tls(ssl_shutdown_timeout=...) (3.12+), 30 s by default as well. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void startTlsSetsTheShutdownTimeoutOfTheUpgradedConnection() throws Exception {
        for (int variant = 0; variant < 3; variant++) {
            int v = variant;
            try (var peer = ForeignPeer.server(false)) {
                Aio.run(TlsShutdownTimeoutTest::virtualClock, () -> {
                    var conn = Aio.openConnection(HOST, peer.port());
                    switch (v) {
                        case 0 -> conn.writer().startTls(client);
                        case 1 -> conn.writer().startTls(client, null, 60, 4);
                        default -> conn.writer().startTls(client, null, Duration.ofSeconds(60),
                                Duration.ofMillis(4500));
                    }
                    closeIsAbortedAfter(v == 0 ? 30.0 : v == 1 ? 4.0 : 4.5, conn);
                    return null;
                });
            }
        }
    }

    /**
     * A peer that reads everything: the close ends cleanly (waitClosed() throws nothing, every byte arrives), and
     * the timer, cancelled, does nothing later. Passed before the shutdown timeout existed.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aPeerThatReadsGetsEveryByteAndTheCloseEndsCleanly() throws Exception {
        try (var peer = ForeignPeer.server(true)) {
            Aio.run(TlsShutdownTimeoutTest::virtualClock, () -> {
                var conn = Aio.openConnection(HOST, peer.port(), client, null, 60, 1, StreamReader.DEFAULT_LIMIT);
                conn.writer().write(new byte[UNSENDABLE]);
                conn.writer().write(b("end"));
                conn.writer().close();
                conn.writer().waitClosed(); // in flight: the virtual clock waits for it, as for any I/O
                assertThat(Aio.getRunningLoop().timers.live()).as("the close cancelled the timer").isZero();
                Aio.sleep(60);
                assertThat(conn.reader().read(-1)).isEmpty();
                return null;
            });
            peer.thread.join();
            assertThat(peer.read.get()).isEqualTo(UNSENDABLE + 3L);
        }
    }

    /**
     * A peer that reads everything, the close_notify included, and never sends its own: the close waits for it, as
     * asyncio's does (its SHUTDOWN state), and is aborted at the shutdown timeout with the SocketTimeoutException
     * (CPython 3.13, checked: wait_closed() raised TimeoutError('SSL shutdown timed out') after ssl_shutdown_timeout
     * with a peer that answered no close_notify). The close used to close the socket right after its close_notify:
     * closed before the timeout, which the test caught.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCloseWaitsForThePeersCloseNotifyUntilTheShutdownTimeout() throws Exception {
        try (var peer = ForeignPeer.server(true, false)) {
            Aio.run(TlsShutdownTimeoutTest::virtualClock, () -> {
                var conn = Aio.openConnection(HOST, peer.port(), client, null, 60, 2, StreamReader.DEFAULT_LIMIT);
                StreamWriter writer = conn.writer();
                writer.write(b("all of it"));
                writer.close();
                Aio.toThread(() -> { // the peer has read the bytes and the close_notify
                    peer.readTheEnd.await();
                    return null;
                });
                assertThat(peer.read.get()).isEqualTo(9);
                Aio.sleep(1.9);
                assertThat(writer.transport().isClosed()).as("the close waits for the peer's close_notify").isFalse();
                assertThat(writer.isClosing()).isTrue();
                Aio.sleep(0.2);
                assertThat(writer.transport().isClosed()).as("the close is aborted at the timeout").isTrue();
                assertThatThrownBy(writer::waitClosed).isInstanceOf(SocketTimeoutException.class)
                        .hasMessageStartingWith("TLS shutdown timed out after 2.0 seconds: aborting connection ");
                return null;
            });
        }
    }

    /** abort() before the timeout: a clean close (waitClosed() throws nothing), and the timer does nothing later. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anAbortBeforeTheTimeoutIsAPlainAbort() throws Exception {
        try (var peer = ForeignPeer.server(false)) {
            Aio.run(TlsShutdownTimeoutTest::virtualClock, () -> {
                var conn = Aio.openConnection(HOST, peer.port(), client);
                conn.writer().write(new byte[UNSENDABLE]);
                conn.writer().close();
                Aio.sleep(10);
                conn.writer().abort();
                conn.writer().waitClosed();
                assertThat(Aio.getRunningLoop().timers.live()).as("the abort cancelled the timer").isZero();
                Aio.sleep(60);
                conn.writer().waitClosed();
                assertThat(conn.reader().read(-1)).isEmpty();
                return null;
            });
        }
    }

    /** As in asyncio, a plain connection has no shutdown timeout: its close waits for the peer (abort() ends it). */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aPlainConnectionsCloseHasNoTimeout() throws Exception {
        try (var listener = new ServerSocket()) {
            listener.setReceiveBufferSize(64 * 1024);
            listener.bind(new InetSocketAddress(HOST, 0), 1);
            Aio.run(TlsShutdownTimeoutTest::virtualClock, () -> {
                var conn = Aio.openConnection(HOST, listener.getLocalPort());
                try (Socket silent = Aio.toThread(listener::accept)) {
                    conn.writer().write(new byte[UNSENDABLE]);
                    conn.writer().close();
                    assertThat(Aio.getRunningLoop().timers.live()).as("no shutdown timer").isZero();
                    Aio.sleep(3600);
                    assertThat(conn.writer().transport().isClosed()).isFalse();
                    conn.writer().abort();
                    conn.writer().waitClosed();
                }
                return null;
            });
        }
    }

    @Test
    void badShutdownTimeoutsAreRefusedAtTheCallSite() throws Exception {
        Aio.run(() -> {
            for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
                assertThatThrownBy(() -> Aio.openConnection(HOST, 1, client, null, 60, bad,
                        StreamReader.DEFAULT_LIMIT)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("openConnection(): sslShutdownTimeout must be > 0 seconds, got " + bad);
                assertThatThrownBy(() -> Aio.startServer(ECHO, HOST, 0, server, 60, bad, StreamReader.DEFAULT_LIMIT))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("startServer(): sslShutdownTimeout must be > 0 seconds, got " + bad);
            }
            for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1))) {
                assertThatThrownBy(() -> Aio.openConnection(HOST, 1, client, null, Duration.ofSeconds(60), bad,
                        StreamReader.DEFAULT_LIMIT)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("openConnection(): sslShutdownTimeout must be > 0, got " + bad);
                assertThatThrownBy(() -> Aio.startServer(ECHO, HOST, 0, server, Duration.ofSeconds(60), bad,
                        StreamReader.DEFAULT_LIMIT)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("startServer(): sslShutdownTimeout must be > 0, got " + bad);
            }
            assertThatThrownBy(() -> Aio.openConnection(HOST, 1, client, null, Duration.ofSeconds(60), null,
                    StreamReader.DEFAULT_LIMIT)).isInstanceOf(NullPointerException.class)
                    .hasMessage("openConnection(): sslShutdownTimeout must not be null");
            assertThatThrownBy(() -> Aio.startServer(ECHO, HOST, 0, server, Duration.ofSeconds(60), null,
                    StreamReader.DEFAULT_LIMIT)).isInstanceOf(NullPointerException.class)
                    .hasMessage("startServer(): sslShutdownTimeout must not be null");
            // asyncio: "ssl_shutdown_timeout is only meaningful with ssl"
            assertThatThrownBy(() -> Aio.openConnection(HOST, 1, null, null, 60, 30, StreamReader.DEFAULT_LIMIT))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("openConnection(): serverHostname, sslHandshakeTimeout and sslShutdownTimeout are "
                            + "only meaningful with ssl, which is null");
            assertThatThrownBy(() -> Aio.startServer(ECHO, HOST, 0, null, Duration.ofSeconds(60),
                    Duration.ofSeconds(30), StreamReader.DEFAULT_LIMIT)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("startServer(): sslHandshakeTimeout and sslShutdownTimeout are only meaningful with "
                            + "ssl, which is null");
            try (Server s = Aio.startServer((reader, writer) -> reader.read(-1), HOST, 0)) {
                var conn = Aio.openConnection(HOST, port(s));
                assertThatThrownBy(() -> conn.writer().startTls(client, null, 60, 0))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("startTls(): shutdownTimeout must be > 0 seconds, got 0.0");
                assertThatThrownBy(() -> conn.writer().startTls(client, null, Duration.ofSeconds(60),
                        Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("startTls(): shutdownTimeout must be > 0, got PT-1S");
                assertThatThrownBy(() -> conn.writer().startTls(client, null, Duration.ofSeconds(60), null))
                        .isInstanceOf(NullPointerException.class)
                        .hasMessage("startTls(): shutdownTimeout must not be null");
                assertThat(conn.writer().sslSession()).as("nothing was begun").isNull();
                conn.writer().close();
            }
            return null;
        });
    }

    private static final ConnectionHandler ECHO = StreamsTest.ECHO;
}
