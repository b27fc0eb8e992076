package org.aio4j;

import static org.aio4j.StreamsTest.b;
import static org.aio4j.StreamsTest.s;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * StreamWriter.startTls: asyncio's {@code StreamWriter.start_tls} (CPython 3.13), upgrading a plain TCP connection
 * in place, STARTTLS-style, on either end, with the certificates of {@link TlsStreamsTest}.
 */
class StartTlsTest {

    private static final String HOST = "127.0.0.1";
    private static SSLContext server;
    private static SSLContext client;
    private static SSLContext otherNameServer;

    @TempDir
    static Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        TlsStreamsTest.dir = dir;
        TlsStreamsTest.certificates();
        server = TlsStreamsTest.serverContext();
        client = TlsStreamsTest.clientContext();
        otherNameServer = TlsStreamsTest.otherNameServerContext();
    }

    private static int port(Server s) {
        return s.addresses().getFirst().getPort();
    }

    /** A handler that answers STARTTLS with "220 go" and what {@code extra} holds, upgrades, then echoes a line. */
    private static ConnectionHandler startTlsServer(SSLContext ssl, String extra, AtomicReference<StreamWriter> end) {
        return (reader, writer) -> {
            assertThat(s(reader.readline())).isEqualTo("STARTTLS\n");
            writer.write(b("220 go\n" + extra));
            writer.startTls(ssl);
            end.set(writer);
            writer.write(reader.readline());
            writer.close();
        };
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // it would hang: a handshake
    void bothEndsUpgradeAPlainConnectionInPlaceAndTalkOverTls() throws Exception {
        Aio.run(() -> {
            var handlerEnd = new AtomicReference<StreamWriter>();
            try (Server s = Aio.startServer(startTlsServer(server, "", handlerEnd), HOST, 0)) {
                var conn = Aio.openConnection(HOST, port(s));
                assertThat(conn.writer().sslSession()).isNull();
                conn.writer().write(b("STARTTLS\n"));
                assertThat(s(conn.reader().readline())).isEqualTo("220 go\n");
                conn.writer().startTls(client);
                assertThat(conn.writer().sslSession()).isNotNull();
                assertThat(conn.writer().canWriteEof()).isFalse();
                conn.writer().write(b("secret\n"));
                assertThat(s(conn.reader().readline())).isEqualTo("secret\n");
                assertThat(conn.reader().read(-1)).isEmpty(); // the handler's close_notify
                assertThat(handlerEnd.get().sslSession().getCipherSuite())
                        .isEqualTo(conn.writer().sslSession().getCipherSuite());
                conn.writer().close();
                conn.writer().waitClosed();
            }
            return null;
        });
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void plainBytesTheReaderHoldsBeforeTheUpgradeAreReadFirstNotFedToTls() throws Exception {
        // As asyncio's: the reader keeps what it received before start_tls, and the TLS bytes come after.
        Aio.run(() -> {
            var handlerEnd = new AtomicReference<StreamWriter>();
            try (Server s = Aio.startServer(startTlsServer(server, "EXTRA", handlerEnd), HOST, 0)) {
                var conn = Aio.openConnection(HOST, port(s));
                conn.writer().write(b("STARTTLS\n"));
                assertThat(s(conn.reader().readline())).isEqualTo("220 go\n");
                assertThat(s(conn.reader().readexactly(5))).isEqualTo("EXTRA");
                conn.writer().startTls(client, "localhost", 60);
                conn.writer().write(b("after\n"));
                assertThat(s(conn.reader().readline())).isEqualTo("after\n");
                conn.writer().close();
            }
            return null;
        });
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCertificateThatDoesNotNameTheHostFailsTheUpgradeAndClosesTheConnection() throws Exception {
        Aio.run(() -> {
            try (Server s = Aio.startServer(upgradingServer(otherNameServer), HOST, 0)) {
                var conn = agreedToStartTls(port(s));
                assertThatThrownBy(() -> conn.writer().startTls(client, "localhost", 60))
                        .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("startTls()");
                assertThat(conn.writer().isClosing()).isTrue();
                assertThatThrownBy(() -> conn.reader().read(1)).isInstanceOf(SSLHandshakeException.class);
                // The other name is accepted when it is the one asked for.
                var again = agreedToStartTls(port(s));
                again.writer().startTls(client, "other.example", 60);
                assertThat(again.writer().sslSession()).isNotNull();
                again.writer().close();
            }
            return null;
        });
    }

    /** A plain connection to {@code port} whose server has agreed to STARTTLS ("220 go"). */
    private static StreamPair agreedToStartTls(int port) throws Exception {
        var conn = Aio.openConnection(HOST, port);
        conn.writer().write(b("STARTTLS\n"));
        assertThat(s(conn.reader().readline())).isEqualTo("220 go\n");
        return conn;
    }

    /** A server that answers STARTTLS with "220 go", upgrades with {@code ssl}, then reads to the end. */
    private static ConnectionHandler upgradingServer(SSLContext ssl) {
        return (reader, writer) -> {
            reader.readline();
            writer.write(b("220 go\n"));
            try {
                writer.startTls(ssl);
                reader.read(-1);
            } catch (java.io.IOException expected) {
                // the client refused the certificate
            }
        };
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theCertificateMustNameTheServerNameAskedForNotTheAddressDialled() throws Exception {
        // The certificate names localhost and 127.0.0.1, the address dialled: asyncio's check_hostname refuses it
        // for server_hostname="wrong.example" all the same (the JDK's check would take the peer's address instead).
        Aio.run(() -> {
            try (Server s = Aio.startServer(upgradingServer(server), HOST, 0)) {
                for (String wrong : new String[] {"wrong.example", "127.0.0.2"}) {
                    var conn = agreedToStartTls(port(s));
                    assertThatThrownBy(() -> conn.writer().startTls(client, wrong, 60))
                            .isInstanceOf(SSLHandshakeException.class).hasMessageContaining(wrong);
                    assertThat(conn.writer().isClosing()).isTrue();
                }
                var literal = agreedToStartTls(port(s));
                literal.writer().startTls(client, "127.0.0.1", 60);
                assertThat(literal.writer().sslSession()).isNotNull();
                literal.writer().close();
            }
            return null;
        });
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // it would hang: the writing thread died
    void aContextWhoseSocketsCannotLayerOverReadBytesFailsTheUpgradeAndClosesTheConnection() throws Exception {
        // SSLSocketFactory.createSocket(Socket, InputStream, boolean) is optional: a provider's factory that lacks it
        // throws UnsupportedOperationException on the writing thread.
        var real = client.getSocketFactory();
        var lacksLayering = new javax.net.ssl.SSLSocketFactory() {
            @Override
            public String[] getDefaultCipherSuites() {
                return real.getDefaultCipherSuites();
            }

            @Override
            public String[] getSupportedCipherSuites() {
                return real.getSupportedCipherSuites();
            }

            @Override
            public java.net.Socket createSocket(java.net.Socket s, String host, int port, boolean autoClose)
                    throws java.io.IOException {
                return real.createSocket(s, host, port, autoClose);
            }

            @Override
            public java.net.Socket createSocket(String host, int port) throws java.io.IOException {
                return real.createSocket(host, port);
            }

            @Override
            public java.net.Socket createSocket(String host, int port, java.net.InetAddress local,
                                                int localPort) throws java.io.IOException {
                return real.createSocket(host, port, local, localPort);
            }

            @Override
            public java.net.Socket createSocket(java.net.InetAddress host, int port)
                    throws java.io.IOException {
                return real.createSocket(host, port);
            }

            @Override
            public java.net.Socket createSocket(java.net.InetAddress host, int port,
                                                java.net.InetAddress local, int localPort)
                    throws java.io.IOException {
                return real.createSocket(host, port, local, localPort);
            }
        };
        var layersOverTheSocketAlone = ContextWithSocketFactory.of(client, lacksLayering);
        Aio.run(() -> {
            try (Server s = Aio.startServer(upgradingServer(server), HOST, 0)) {
                var conn = agreedToStartTls(port(s));
                Task<byte[]> reading = Aio.createTask(() -> conn.reader().read(1));
                assertThatThrownBy(() -> conn.writer().startTls(layersOverTheSocketAlone, "localhost", 60))
                        .isInstanceOf(javax.net.ssl.SSLException.class).hasMessageContaining("startTls()")
                        .hasRootCauseInstanceOf(UnsupportedOperationException.class);
                assertThat(conn.writer().isClosing()).isTrue();
                assertThatThrownBy(reading::await).isInstanceOf(javax.net.ssl.SSLException.class);
                for (Thread t : conn.writer().transport().threads()) {
                    t.join(); // neither thread is left waiting for the upgrade
                }
            }
            return null;
        });
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aReadBlockedAcrossTheUpgradeAndMegabytesBothWaysRightAfterItLoseNothing() throws Exception {
        // The server floods as soon as its own handshake is made, racing the client's reading thread and the
        // client's handshake; backpressure (drain) on both ends over TLS.
        byte[] big = new byte[1024 * 1024 + 7];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + (i >> 9));
        }
        Aio.run(() -> {
            try (Server s = Aio.startServer((reader, writer) -> {
                reader.readline();
                writer.write(b("220 go\n"));
                writer.startTls(server);
                writer.write(big);
                writer.drain();
                assertThat(reader.readexactly(big.length)).isEqualTo(big);
                writer.close();
            }, HOST, 0)) {
                var conn = agreedToStartTls(port(s));
                Task<byte[]> blocked = Aio.createTask(() -> conn.reader().readexactly(big.length));
                Aio.sleep(0); // the read waits before the upgrade begins
                conn.writer().startTls(client, "localhost", 60);
                conn.writer().write(big);
                conn.writer().drain();
                assertThat(blocked.await()).isEqualTo(big);
                assertThat(conn.reader().read(-1)).isEmpty();
                conn.writer().close();
            }
            return null;
        });
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // it would hang: a thread left waiting
    void theLoopClosingDuringTheUpgradeEndsBothThreadsAndClosesTheConnection() throws Exception {
        try (ServerSocketChannel silentServer = ServerSocketChannel.open().bind(new InetSocketAddress(HOST, 0))) {
            int port = ((InetSocketAddress) silentServer.getLocalAddress()).getPort();
            var threads = new java.util.ArrayList<Thread>();
            var accepted = new AtomicReference<SocketChannel>();
            Aio.run(() -> {
                var conn = Aio.openConnection(HOST, port);
                accepted.set(Aio.toThread(silentServer::accept));
                threads.addAll(conn.writer().transport().threads());
                Aio.createTask(() -> conn.reader().read(1));
                Aio.createTask(() -> {
                    conn.writer().startTls(client, "localhost", 60);
                    return null;
                });
                // The client's hello arrives; the loop then closes, the upgrade under way.
                assertThat(Aio.toThread(() -> accepted.get().read(ByteBuffer.allocate(1)))).isEqualTo(1);
                return null;
            });
            try (SocketChannel peer = accepted.get()) {
                for (Thread t : threads) {
                    t.join();
                }
                var rest = ByteBuffer.allocate(64 * 1024);
                int n;
                while ((n = peer.read(rest.clear())) > 0) {
                    // the rest of the hello
                }
                assertThat(n).isEqualTo(-1);
            }
        }
    }

    @Test
    void certificateNamesMatchAsRfc6125Says() {
        assertThat(TlsHandshake.matchesName("www.example.com", "WWW.Example.com.")).isTrue();
        assertThat(TlsHandshake.matchesName("www.example.com", "*.example.com")).isTrue();
        assertThat(TlsHandshake.matchesName("a.b.example.com", "*.example.com")).isFalse();
        assertThat(TlsHandshake.matchesName("example.com", "*.example.com")).isFalse();
        assertThat(TlsHandshake.matchesName("example.com", "*.com")).isFalse();
        assertThat(TlsHandshake.matchesName("foo.example.com", "f*.example.com")).isTrue();
        assertThat(TlsHandshake.matchesName("bar.example.com", "f*.example.com")).isFalse();
        assertThat(TlsHandshake.matchesName("www.example.com", "www.*.com")).isFalse();
        // A name of Unicode is checked in its ASCII form (IDNA), as the JDK's check and asyncio's do.
        assertThat(TlsHandshake.matchesName("b\u00fccher.example", "xn--bcher-kva.example")).isTrue();
        assertThat(TlsHandshake.matchesName("b\u00fccher.example", "*.example")).isFalse(); // two labels
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // it would hang: the handshake
    void aSilentPeerTimesTheUpgradeOutAndCancellingItClosesTheConnection() throws Exception {
        try (ServerSocketChannel silentServer = ServerSocketChannel.open().bind(new InetSocketAddress(HOST, 0))) {
            int port = ((InetSocketAddress) silentServer.getLocalAddress()).getPort();
            Aio.run(() -> {
                var conn = Aio.openConnection(HOST, port);
                try (SocketChannel accepted = Aio.toThread(silentServer::accept)) {
                    assertThatThrownBy(() -> conn.writer().startTls(client, "localhost", 0.1))
                            .isInstanceOf(SSLHandshakeException.class)
                            .hasMessageContaining("TLS handshake is taking longer than 0.1 seconds");
                    assertThat(readToTheEnd(accepted)).isEqualTo(-1);
                }
                var timedByDuration = Aio.openConnection(HOST, port);
                try (SocketChannel accepted = Aio.toThread(silentServer::accept)) {
                    assertThatThrownBy(() -> timedByDuration.writer().startTls(client, "localhost",
                            java.time.Duration.ofMillis(100))).isInstanceOf(SSLHandshakeException.class)
                            .hasMessageContaining("TLS handshake is taking longer than 0.1 seconds");
                    assertThat(readToTheEnd(accepted)).isEqualTo(-1);
                }
                var cancelled = Aio.openConnection(HOST, port);
                try (SocketChannel accepted = Aio.toThread(silentServer::accept)) {
                    Task<Void> upgrading = Aio.createTask(() -> {
                        cancelled.writer().startTls(client, "localhost", 60);
                        return null;
                    });
                    // The client's hello arrives: its handshake waits for the server's, which never comes.
                    assertThat(Aio.toThread(() -> accepted.read(ByteBuffer.allocate(1)))).isEqualTo(1);
                    // Meanwhile the connection is becoming TLS, which cannot be half-closed.
                    assertThat(cancelled.writer().canWriteEof()).isFalse();
                    assertThatThrownBy(() -> cancelled.writer().writeEof()).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("during startTls()");
                    upgrading.cancel();
                    assertThatThrownBy(upgrading::await).isInstanceOf(CancellationException.class);
                    assertThat(readToTheEnd(accepted)).isEqualTo(-1);
                }
                return null;
            });
        }
    }

    private static int readToTheEnd(SocketChannel ch) throws Exception {
        var rest = ByteBuffer.allocate(64 * 1024);
        int n;
        while ((n = Aio.toThread(() -> ch.read(rest.clear()))) > 0) {
            // what the client sent
        }
        return n;
    }

    @Test
    void badArgumentsAndStreamsThatCannotBeUpgradedAreRefused() throws Exception {
        Aio.run(() -> {
            try (Server s = Aio.startServer((reader, writer) -> reader.read(-1), HOST, 0)) {
                var conn = Aio.openConnection(HOST, port(s));
                assertThatThrownBy(() -> conn.writer().startTls(null)).isInstanceOf(NullPointerException.class);
                assertThatThrownBy(() -> conn.writer().startTls(client, "localhost", 0))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("startTls(): handshakeTimeout must be > 0 seconds, got 0.0");
                assertThatThrownBy(() -> conn.writer().startTls(client, "localhost", Double.NaN))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
                assertThatThrownBy(() -> conn.writer().startTls(client, "localhost", java.time.Duration.ZERO))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("startTls(): handshakeTimeout must be > 0, got PT0S");
                assertThatThrownBy(() -> conn.writer().startTls(client, "localhost", (java.time.Duration) null))
                        .isInstanceOf(NullPointerException.class)
                        .hasMessage("startTls(): handshakeTimeout must not be null");
                assertThatThrownBy(() -> conn.writer().startTls(SSLContext.getInstance("TLS")))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("startTls(): the SSLContext is not initialized (SSLContext.init)");
                conn.writer().close();
                assertThatThrownBy(() -> conn.writer().startTls(client))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("after close()");
            }
            Path socket = dir.resolve("plain.sock");
            try (Server s = Aio.startUnixServer((reader, writer) -> reader.read(-1), socket)) {
                var conn = Aio.openUnixConnection(socket);
                assertThatThrownBy(() -> conn.writer().startTls(client, "localhost", 60))
                        .isInstanceOf(UnsupportedOperationException.class)
                        .hasMessageContaining("only a TCP connection can be upgraded");
                conn.writer().close();
            }
            try (Server s = Aio.startServer((reader, writer) -> reader.read(-1), HOST, 0, server)) {
                var conn = Aio.openConnection(HOST, port(s), client);
                assertThatThrownBy(() -> conn.writer().startTls(client))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("already TLS");
                conn.writer().close();
            }
            return null;
        });
    }
}
