package org.aio4j;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Aio.openConnection, Aio.startServer, StreamReader and StreamWriter over real sockets on 127.0.0.1. */
class StreamsTest {

    private static final String HOST = "127.0.0.1";

    static byte[] b(String s) {
        return s.getBytes(US_ASCII);
    }

    static String s(byte[] bytes) {
        return new String(bytes, US_ASCII);
    }

    /** A server on an address of 127.0.0.1 the system chooses. */
    static final StreamEndpoint TCP = new TcpEndpoint(HOST, false);

    /**
     * A server of the loop on {@code serverHost}, on port 0, whose clients connect to its first address or, if
     * {@code toLast}, its last; foreign servers listen on 127.0.0.1.
     */
    private record TcpEndpoint(String serverHost, boolean toLast) implements StreamEndpoint {

        private InetSocketAddress target(Server server) {
            return toLast ? server.addresses().getLast() : server.addresses().getFirst();
        }

        @Override
        public Server startServer(ConnectionHandler handler) throws IOException {
            return Aio.startServer(handler, serverHost, 0);
        }

        @Override
        public StreamPair openConnection(Server server) throws IOException {
            InetSocketAddress to = target(server);
            return Aio.openConnection(to.getAddress().getHostAddress(), to.getPort());
        }

        @Override
        public ServerSocketChannel openForeignServer() throws IOException {
            return ServerSocketChannel.open().bind(new InetSocketAddress(HOST, 0), 1);
        }

        @Override
        public StreamPair openConnection(ServerSocketChannel foreign) throws IOException {
            return Aio.openConnection(HOST, port(foreign));
        }

        @Override
        public SocketChannel openForeignClient(Server server) throws IOException {
            return SocketChannel.open(target(server));
        }
    }

    /** A handler that echoes every line until the end of the stream, then closes. */
    static final ConnectionHandler ECHO = (reader, writer) -> {
        for (byte[] line; (line = reader.readline()).length > 0; ) {
            writer.write(line);
            writer.drain();
        }
        writer.close();
    };

    @Test
    void anEchoServerAnswersAClientOnAPortTheSystemChose() throws Exception {
        Aio.run(() -> {
            try (Server server = Aio.startServer(ECHO, HOST, 0)) {
                assertThat(server.isServing()).isTrue();
                assertThat(server.getLoop()).isSameAs(Aio.getRunningLoop());
                assertThat(Aio.toThread(server::getLoop)).isSameAs(Aio.getRunningLoop()); // from any thread
                InetSocketAddress address = server.addresses().getFirst();
                assertThat(address.getPort()).isPositive();
                var conn = Aio.openConnection(HOST, address.getPort());
                StreamWriter writer = conn.writer();
                assertThat(writer.peername()).isEqualTo(address);
                assertThat(writer.sockname().getAddress()).isEqualTo(InetAddress.getByName(HOST));
                assertThat(writer.canWriteEof()).isTrue();
                for (String line : List.of("hello\n", "world\n")) {
                    writer.write(b(line));
                    writer.drain();
                    assertThat(s(conn.reader().readline())).isEqualTo(line);
                }
                writer.writeEof(); // the handler's loop ends, and it closes: we see the end of the stream
                assertThat(conn.reader().read(-1)).isEmpty();
                assertThat(conn.reader().atEof()).isTrue();
                assertThat(writer.isClosing()).isFalse();
                writer.close();
                assertThat(writer.isClosing()).isTrue();
                writer.waitClosed();
                assertThatThrownBy(() -> writer.write(b("late"))).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("write() after close()");
                assertThatThrownBy(writer::drain).isInstanceOf(java.net.SocketException.class)
                        .hasMessageContaining("Connection lost");
                server.close();
                assertThat(server.isServing()).isFalse();
                server.waitClosed();
            }
            return null;
        });
    }

    @Test
    void writelinesQueuesEachArrayInOrderAndANullArrayWritesNothing() throws Exception {
        Aio.run(() -> {
            Future<byte[]> received = Aio.getRunningLoop().createFuture();
            try (Server server = Aio.startServer(readingAllInto(received), HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort());
                StreamWriter writer = conn.writer();
                byte[] first = b("first ");
                writer.writelines(List.of(first, new byte[0], b("second\n")));
                first[0] = 'F'; // copied by writelines: the change is not sent
                var withANull = new ArrayList<byte[]>(List.of(b("never ")));
                withANull.add(null);
                withANull.add(b("sent\n"));
                assertThatThrownBy(() -> writer.writelines(withANull)).isInstanceOf(NullPointerException.class)
                        .hasMessage("writelines(): array 1 of data is null; nothing was written");
                assertThatThrownBy(() -> writer.writelines(null)).isInstanceOf(NullPointerException.class)
                        .hasMessage("data must not be null");
                writer.writelines(List.of());
                writer.writelines(new java.util.ArrayDeque<>(List.of(b("third"), b("\n"))));
                writer.drain();
                writer.writeEof();
                assertThatThrownBy(() -> writer.writelines(List.of(b("late"))))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("writelines() after writeEof()");
                assertThat(s(received.await())).isEqualTo("first second\nthird\n");
                writer.close();
                assertThatThrownBy(() -> writer.writelines(List.of(b("late"))))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("writelines() after close()");
                writer.waitClosed();
            }
            return null;
        });
    }

    /**
     * A writer is closed by a try-with-resources statement, as a {@link Server} and a {@link DatagramEndpoint} are:
     * the bytes queued are sent, then the peer reads the end of the stream.
     */
    @Test
    void aWriterClosedByTryWithResourcesSendsWhatIsQueuedThenTheEnd() throws Exception {
        closingAtTheBlocksEndSendsWhatWasQueuedThenTheEnd(StreamPair::writer);
    }

    @Test
    void aConnectionOpenedInTryWithResourcesIsClosedAtItsEndAfterWhatWasQueued() throws Exception {
        closingAtTheBlocksEndSendsWhatWasQueuedThenTheEnd(conn -> conn);
    }

    /** A connection whose {@code resource} (its writer, or the pair itself) a try-with-resources block closes. */
    private static void closingAtTheBlocksEndSendsWhatWasQueuedThenTheEnd(
            java.util.function.Function<StreamPair, AutoCloseable> resource) throws Exception {
        Aio.run(() -> {
            Future<byte[]> received = Aio.getRunningLoop().createFuture();
            try (Server server = Aio.startServer(readingAllInto(received), HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort());
                try (AutoCloseable _ = resource.apply(conn)) {
                    conn.writer().write(b("queued, then closed"));
                }
                assertThat(conn.writer().isClosing()).isTrue();
                assertThat(s(received.await())).isEqualTo("queued, then closed");
                conn.writer().waitClosed();
            }
            return null;
        });
    }

    @Test
    void aRefusedConnectionThrowsAConnectExceptionNamingTheAddressAndTheCallersLine() throws Exception {
        int port;
        try (var probe = ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress(HOST, 0));
            port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
        } // closed: nothing listens there now
        Aio.run(() -> {
            // asyncio: "Connect call failed ('127.0.0.1', PORT)"; the JDK's says only "Connection refused", from the
            // thread that connected, with no frame of the task that asked
            Throwable refused = catchThrowable(() -> Aio.openConnection(HOST, port));
            assertThat(refused).isInstanceOf(ConnectException.class)
                    .hasMessage("Connection refused: " + HOST + ":" + port)
                    .hasCauseInstanceOf(ConnectException.class);
            assertThat(refused.getStackTrace()).anyMatch(f -> f.getClassName().startsWith(StreamsTest.class.getName()));
            // any other failure of the connect is made in the task too, the connecting thread's as its cause
            Throwable unknown = catchThrowable(() -> Aio.openConnection("no-such-host.invalid", 80));
            assertThat(unknown).isExactlyInstanceOf(java.net.UnknownHostException.class)
                    .hasMessage("no-such-host.invalid").hasCauseExactlyInstanceOf(java.net.UnknownHostException.class);
            assertThat(unknown.getStackTrace()).anyMatch(f -> f.getClassName().startsWith(StreamsTest.class.getName()));
            return null;
        });
    }

    /** Resolves to 127.0.0.1, then ::1 (by {@link TestResolver}, whatever this machine's resolver says). */
    static final String V4_AND_V6 = "v4-and-v6.aio4j.test";
    /** Resolves to 127.0.0.1 alone. */
    private static final String V4_ONLY = "v4-only.aio4j.test";
    /** Resolves to 127.0.0.1, then 224.0.0.1 (multicast: no TCP connection can be made to it). */
    private static final String V4_AND_MULTICAST = "v4-and-multicast.aio4j.test";

    static {
        TestResolver.define(V4_AND_V6, "127.0.0.1", "::1");
        TestResolver.define(V4_ONLY, "127.0.0.1");
        TestResolver.define(V4_AND_MULTICAST, "127.0.0.1", "224.0.0.1");
    }

    /** A server on both addresses of {@link #V4_AND_V6}; the loop's clients connect to the second, ::1. */
    static final StreamEndpoint TCP_ON_TWO_ADDRESSES = new TcpEndpoint(V4_AND_V6, true);

    private static int port(java.nio.channels.NetworkChannel channel) throws IOException {
        return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    /**
     * A socket bound to {@code literal}:{@code port} (0: one the system chooses) that does not listen: a connection
     * to that address is refused, and no other socket can listen there while it is open.
     */
    private static SocketChannel refusing(String literal, int port) throws IOException {
        return SocketChannel.open().bind(new InetSocketAddress(literal, port));
    }

    @Test
    void aHostOfSeveralAddressesIsConnectedToAtTheFirstThatAccepts() throws Exception {
        // asyncio's open_connection tries each address getaddrinfo gives in turn, until one connects: a server on ::1
        // alone is reached by a name whose first address, 127.0.0.1, refuses (as "localhost" may resolve)
        try (SocketChannel refused = refusing("127.0.0.1", 0)) {
            int port = port(refused);
            Aio.run(() -> {
                try (Server server = Aio.startServer(ECHO, "::1", port)) {
                    var conn = Aio.openConnection(V4_AND_V6, port);
                    assertThat(conn.writer().peername()).isEqualTo(server.addresses().getFirst())
                            .isEqualTo(new InetSocketAddress("::1", port));
                    conn.writer().write(b("over ::1\n"));
                    assertThat(s(conn.reader().readline())).isEqualTo("over ::1\n");
                    // the loop's own client of its own server: matched with the server's end
                    assertThat(conn.writer().transport().hasPeerOnLoop()).isTrue();
                    conn.writer().close();
                }
                return null;
            });
        }
    }

    @Test
    void whenEveryAddressFailsTheExceptionNamesEachAddressAndItsError() throws Exception {
        try (SocketChannel v4 = refusing("127.0.0.1", 0); SocketChannel v6 = refusing("::1", port(v4))) {
            int port = port(v4);
            Aio.run(() -> {
                // asyncio (CPython 3.13): OSError "Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1',
                // PORT), [Errno 111] Connect call failed ('::1', PORT, 0, 0)"; here a ConnectException still, as
                // every attempt was refused, its cause the first attempt's error and the others suppressed
                Throwable refused = catchThrowable(() -> Aio.openConnection(V4_AND_V6, port));
                assertThat(refused).isExactlyInstanceOf(ConnectException.class)
                        .hasMessage("Multiple exceptions: Connection refused: 127.0.0.1:" + port
                                + ", Connection refused: [::1]:" + port);
                assertThat(refused.getCause()).isExactlyInstanceOf(ConnectException.class)
                        .hasMessage("Connection refused: 127.0.0.1:" + port);
                assertThat(refused.getSuppressed()).singleElement().isInstanceOf(ConnectException.class)
                        .hasToString(ConnectException.class.getName() + ": Connection refused: [::1]:" + port);
                assertThat(refused.getStackTrace())
                        .anyMatch(f -> f.getClassName().startsWith(StreamsTest.class.getName()));
                // errors of several kinds: an IOException of the most specific class they all are
                Throwable mixed = catchThrowable(() -> Aio.openConnection(V4_AND_MULTICAST, port));
                assertThat(mixed).isInstanceOf(java.net.SocketException.class)
                        .isNotInstanceOf(ConnectException.class)
                        .hasMessageStartingWith("Multiple exceptions: Connection refused: 127.0.0.1:" + port + ", ")
                        .hasMessageEndingWith(": 224.0.0.1:" + port);
                // one address: its error alone, naming the host as given, as before
                assertThat(catchThrowable(() -> Aio.openConnection(V4_ONLY, port)))
                        .isExactlyInstanceOf(ConnectException.class)
                        .hasMessage("Connection refused: " + V4_ONLY + ":" + port).getCause()
                        .isExactlyInstanceOf(ConnectException.class).hasMessage("Connection refused");
                return null;
            });
        }
    }

    @Test
    void anAddressInAMessageIsWrittenShortestWithAnIpv6OneInBrackets() {
        // RFC 5952: the longest run of two zero groups or more (the first of equal ones) is "::"; the JDK writes all
        assertThat(Streams.hostPort(address("127.0.0.1", 80))).isEqualTo("127.0.0.1:80");
        assertThat(Streams.hostPort(address("::1", 80))).isEqualTo("[::1]:80");
        assertThat(Streams.hostPort(address("::", 80))).isEqualTo("[::]:80");
        assertThat(Streams.hostPort(address("2001:db8:0:1:0:0:0:1", 80))).isEqualTo("[2001:db8:0:1::1]:80");
        assertThat(Streams.hostPort(address("2001:0:0:1:0:0:1:1", 80))).isEqualTo("[2001::1:0:0:1:1]:80");
        assertThat(Streams.hostPort(address("2001:db8:0:1:1:1:1:1", 80))).isEqualTo("[2001:db8:0:1:1:1:1:1]:80");
        assertThat(Streams.hostPort(address("fe80::1%1", 80))).isEqualTo("[fe80::1%1]:80");
    }

    @Test
    void aConnectCancelledWhileItsHostResolvesMakesNoAttempt() throws Exception {
        // The cancellation interrupts the connecting thread: here it comes while the host resolves (this resolver
        // holds on to the interrupt), so none of its addresses may be tried, and no socket is left open.
        String held = "held.aio4j.test";
        var resolving = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.Semaphore(0);
        TestResolver.define(held, () -> {
            resolving.countDown();
            release.acquireUninterruptibly(); // returns with the thread's interrupt status set, if it was interrupted
            return List.of(TestResolver.literal("127.0.0.1"), TestResolver.literal("::1"));
        });
        try (var v4 = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             var v6 = ServerSocketChannel.open().bind(new InetSocketAddress("::1", port(v4)))) {
            Aio.run(() -> {
                Task<StreamPair> connect = Aio.createTask(() -> Aio.openConnection(held, port(v4)));
                Aio.toThread(() -> {
                    resolving.await();
                    return null;
                });
                connect.cancel();
                assertThatThrownBy(connect::await).isInstanceOf(CancellationException.class);
                release.release();
                Aio.getRunningLoop().inFlightDrained().await(); // the connecting thread is done
                return null;
            });
            v4.configureBlocking(false);
            v6.configureBlocking(false);
            assertThat(v4.accept()).isNull(); // no connection was made (a closed one would wait to be accepted)
            assertThat(v6.accept()).isNull();
        }
    }

    @Test
    void aServerOnAHostOfSeveralAddressesListensOnEachOnAPortOfItsOwnForPortZero() throws Exception {
        // asyncio's start_server binds a socket for each address getaddrinfo gives, server.sockets lists them all;
        // with port 0 each is bound on its own, on a port of its own (CPython 3.13)
        Aio.run(() -> {
            Server server = Aio.startServer(ECHO, V4_AND_V6, 0);
            List<InetSocketAddress> addresses = server.addresses();
            assertThat(addresses).extracting(InetSocketAddress::getAddress)
                    .containsExactly(TestResolver.literal("127.0.0.1"), TestResolver.literal("::1"));
            assertThat(addresses).allSatisfy(a -> assertThat(a.getPort()).isPositive());
            assertThat(server).hasToString("Server[" + addresses.get(0) + ", " + addresses.get(1) + "]");
            List<Thread> threads = server.acceptThreads();
            assertThat(threads).hasSize(2);
            Task<Void> serving = Aio.createTask(server::serveForever);
            for (InetSocketAddress a : addresses) {
                var conn = Aio.openConnection(a.getAddress().getHostAddress(), a.getPort());
                assertThat(conn.writer().peername()).isEqualTo(a);
                conn.writer().write(b("to " + a + "\n"));
                assertThat(s(conn.reader().readline())).isEqualTo("to " + a + "\n");
                conn.writer().close();
            }
            serving.cancel(); // closes the server: every socket of it
            assertThatThrownBy(serving::await).isInstanceOf(CancellationException.class);
            assertThat(server.isServing()).isFalse();
            assertThat(server).hasToString("Server[" + addresses.get(0) + ", " + addresses.get(1) + ", closed]");
            for (Thread t : threads) {
                assertThat(t.isAlive()).isFalse(); // the close waits for the accepting threads
            }
            for (InetSocketAddress a : addresses) {
                assertThatThrownBy(() -> SocketChannel.open(a).close()).isInstanceOf(ConnectException.class);
            }
            server.waitClosed();
            return null;
        });
    }

    @Test
    void aServerOnTheEmptyHostListensOnEveryInterfaceAsOnANullOne() throws Exception {
        // CPython 3.13's create_server: "if host == '': hosts = [None]", every interface; the JDK resolves "" to the
        // loopback address, which is what aio4j bound before
        Aio.run(() -> {
            try (Server server = Aio.startServer(ECHO, "", 0)) {
                assertThat(server.addresses()).hasSize(1)
                        .allSatisfy(a -> assertThat(a.getAddress().isAnyLocalAddress()).isTrue());
            }
            return null;
        });
    }

    @Test
    void aServerOnAHostOfSeveralAddressesBindsEachOnAGivenPortOrNoneOfThem() throws Exception {
        int port;
        try (SocketChannel v4 = refusing("127.0.0.1", 0); SocketChannel v6 = refusing("::1", port(v4))) {
            port = port(v4); // free on both
        }
        Aio.run(() -> {
            try (Server server = Aio.startServer(ECHO, V4_AND_V6, port)) {
                assertThat(server.addresses()).containsExactly(new InetSocketAddress("127.0.0.1", port),
                        new InetSocketAddress("::1", port));
            }
            // asyncio: OSError "error while attempting to bind on address ('::1', PORT, 0, 0): [errno 98] address
            // already in use", the sockets bound before it closed
            try (SocketChannel taken = refusing("::1", port)) {
                Throwable inUse = catchThrowable(() -> Aio.startServer(ECHO, V4_AND_V6, port));
                assertThat(inUse).isExactlyInstanceOf(java.net.BindException.class)
                        .hasMessage("Address already in use: [::1]:" + port)
                        .hasCauseExactlyInstanceOf(java.net.BindException.class);
                assertThat(inUse.getStackTrace())
                        .anyMatch(f -> f.getClassName().startsWith(StreamsTest.class.getName()));
                ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", port)).close(); // left free
            }
            return null;
        });
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a read counted as I/O in flight hangs
    void theLoopsClientOfItsServerOnSeveralAddressesIsKnownAtAnyOfThem() throws Exception {
        // the scenarios of a server on one address, with the client connecting to the second of two
        aClientAwaitingWhatItsHandlerDoesRightAfterConnectingIsNotADeadlock(TCP_ON_TWO_ADDRESSES);
        anAcceptTheLoopRunsBeforeItsClientsConnectReturnsIsMatchedHoweverManyOthersComeBetween(TCP_ON_TWO_ADDRESSES);
        aClientAndItsHandlerEachWaitingToReadWhatTheOtherWillNotSendAreADeadlock(TCP_ON_TWO_ADDRESSES);
    }

    @Test
    void badArgumentsAreRefusedAtTheCallSite() throws Exception {
        Aio.run(() -> {
            assertThatThrownBy(() -> Aio.openConnection(null, 80)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("host");
            assertThatThrownBy(() -> Aio.openConnection(HOST, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("port must be in 1..65535, got 0");
            assertThatThrownBy(() -> Aio.openConnection(HOST, 65536)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Aio.openConnection(HOST, 80, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("limit must be > 0");
            assertThatThrownBy(() -> Aio.startServer(null, HOST, 0)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("handler");
            assertThatThrownBy(() -> Aio.startServer(ECHO, HOST, -1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("port must be in 0..65535, got -1");
            return null;
        });
        assertThatThrownBy(() -> Aio.openConnection(HOST, 80)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no running event loop");
    }

    @Test
    void closingTheServerAndItsClientsGivesTheClientsTheEndOfTheStream() throws Exception {
        Aio.run(() -> {
            var greeted = new Queue<String>();
            Server server = Aio.startServer((reader, writer) -> {
                writer.write(b("hi\n"));
                greeted.putNowait("one");
            }, HOST, 0);
            int port = server.addresses().getFirst().getPort();
            List<StreamPair> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clients.add(Aio.openConnection(HOST, port));
                greeted.get();
            }
            server.close();
            assertThatThrownBy(() -> Aio.openConnection(HOST, port)).isInstanceOf(ConnectException.class);
            Task<Void> closed = Aio.createTask(server::waitClosed);
            server.closeClients();
            for (StreamPair c : clients) {
                assertThat(s(c.reader().read(-1))).isEqualTo("hi\n");
                assertThat(c.reader().atEof()).isTrue();
                c.writer().close();
            }
            closed.await();
            return null;
        });
    }

    /**
     * close() writes what is queued first, for ever if the peer reads nothing: with no abort() (asyncio's
     * transport.abort()), such a connection, its socket and its threads stayed open until the loop closed.
     */
    @Test
    void abortClosesAtOnceAConnectionWhosePeerReadsNothingDroppingWhatIsQueued() throws Exception {
        int size = 32 << 20; // more than the kernel's socket buffers can hold
        var aborted = new java.util.concurrent.CountDownLatch(1);
        var received = new AtomicLong();
        var threads = new ArrayList<Thread>();
        try (var external = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            Thread peer = Thread.ofPlatform().start(() -> {
                try (Socket s = external.accept(); InputStream in = s.getInputStream()) {
                    s.getOutputStream().write(b("hello"));
                    aborted.await();
                    received.set(in.transferTo(OutputStream.nullOutputStream()));
                } catch (java.net.SocketException reset) {
                    received.set(-1);
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            Aio.run(() -> {
                var conn = Aio.openConnection(HOST, external.getLocalPort());
                StreamReader reader = conn.reader();
                StreamWriter writer = conn.writer();
                while (reader.bufferedSize() < 5) {
                    Aio.sleep(0);
                }
                writer.write(new byte[size]);
                Task<Void> drain = Aio.createTask(writer::drain);
                Task<Void> closed = Aio.createTask(() -> {
                    writer.close();
                    writer.waitClosed();
                });
                Aio.sleep(0); // both wait: the peer reads nothing
                assertThat(drain.isDone()).isFalse();
                assertThat(closed.isDone()).isFalse();
                threads.addAll(writer.transport().threads());
                writer.abort();
                assertThat(writer.isClosing()).isTrue();
                drain.await(); // a clean close: they return, as asyncio's connection_lost(None) wakes them
                closed.await();
                writer.waitClosed();
                writer.abort(); // again: nothing
                assertThat(s(reader.read(-1))).isEqualTo("hello"); // what was received stays, then the end
                assertThat(reader.atEof()).isTrue();
                assertThatThrownBy(() -> writer.write(b("late"))).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("after close() or abort()");
                assertThat(Aio.getRunningLoop().openStreams.size()).isZero();
                return null;
            });
            aborted.countDown();
            peer.join();
        }
        assertThat(received.get()).isLessThan(size);
        for (Thread t : threads) {
            t.join();
        }
    }

    /**
     * closeClients() leaves server.waitClosed() waiting while a client reads nothing of what its handler queued;
     * asyncio 3.13's abort_clients() closes them at once. There was none.
     */
    @Test
    void abortClientsClosesTheServersConnectionsAtOnceSoThatWaitClosedReturns() throws Exception {
        int size = 32 << 20;
        Aio.run(() -> {
            var queued = new Queue<String>();
            Task<?>[] handler = new Task<?>[1];
            Server server = Aio.startServer((reader, writer) -> {
                handler[0] = Aio.currentTask();
                writer.write(new byte[size]);
                queued.putNowait("queued");
                writer.drain(); // waits: the client reads nothing
                assertThat(writer.isClosing()).isTrue();
            }, HOST, 0);
            var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort());
            queued.get();
            server.close();
            server.closeClients();
            Task<Void> closed = Aio.createTask(server::waitClosed);
            Aio.sleep(0);
            assertThat(closed.isDone()).isFalse(); // the handler's bytes cannot all be written
            server.abortClients();
            closed.await();
            handler[0].await(); // its drain returned
            long got = conn.reader().read(-1).length; // what the kernel had sent already, then the end
            assertThat(got).isLessThan(size);
            assertThat(conn.reader().atEof()).isTrue();
            conn.writer().close();
            conn.writer().waitClosed();
            return null;
        });
    }

    @Test
    void cancellingTheTaskServingForeverClosesTheListeningSocket() throws Exception {
        Aio.run(() -> {
            Server server = Aio.startServer(ECHO, HOST, 0);
            int port = server.addresses().getFirst().getPort();
            Task<Void> serving = Aio.createTask(server::serveForever);
            Aio.sleep(0);
            assertThatThrownBy(server::serveForever).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already served forever");
            var conn = Aio.openConnection(HOST, port);
            conn.writer().write(b("ping\n"));
            assertThat(s(conn.reader().readline())).isEqualTo("ping\n");
            serving.cancel();
            assertThatThrownBy(serving::await).isInstanceOf(CancellationException.class);
            assertThat(server.isServing()).isFalse();
            assertThatThrownBy(() -> Aio.openConnection(HOST, port)).isInstanceOf(ConnectException.class);
            conn.writer().write(b("still open\n")); // the connection accepted before stays open
            assertThat(s(conn.reader().readline())).isEqualTo("still open\n");
            conn.writer().close();
            server.waitClosed();
            for (Thread t : server.acceptThreads()) {
                t.join();
            }
            return null;
        });
    }

    /**
     * An accept() that fails for want of file descriptors (EMFILE: a burst of connections up to the process's limit)
     * closed the server for good. asyncio reports it ("socket.accept() out of system resource"), waits a second and
     * accepts again; so does the server now.
     */
    @Test
    void anAcceptFailingForWantOfFileDescriptorsIsReportedAndTheServerAcceptsAgain() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        long retry = Server.acceptRetryNanos;
        Server.acceptRetryNanos = 0; // asyncio's second, not to be waited for here
        try {
            Aio.run(() -> EventLoop.builder().exceptionHandler((loop, ctx) -> errors.add(ctx)).build(), () -> {
                var listening = new FailingAccepts(ServerSocketChannel.open().bind(new InetSocketAddress(HOST, 0)),
                        new IOException("Too many open files"), 3);
                var server = new Server(Aio.getRunningLoop(), List.of(listening), ECHO, null, 0, 0,
                        StreamReader.DEFAULT_LIMIT, null);
                server.start();
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort());
                conn.writer().write(b("still served\n"));
                assertThat(s(conn.reader().readline())).isEqualTo("still served\n");
                assertThat(server.isServing()).isTrue();
                conn.writer().close();
                server.close();
                server.waitClosed();
                for (Thread t : server.acceptThreads()) {
                    t.join();
                }
                return null;
            });
        } finally {
            Server.acceptRetryNanos = retry;
        }
        assertThat(errors).hasSize(3).allSatisfy(ctx -> {
            assertThat(ctx.message()).contains("out of system resource").contains("accepting again");
            assertThat(ctx.exception()).hasMessage("Too many open files");
        });
    }

    @Test
    @Timeout(60)
    void closingAServerWhoseAcceptingThreadPausesForWantOfResourcesEndsItAtOnce() throws Exception {
        long retry = Server.acceptRetryNanos;
        Server.acceptRetryNanos = Duration.ofHours(1).toNanos();
        try {
            var reported = new Event();
            Aio.run(() -> EventLoop.builder().exceptionHandler((loop, ctx) -> reported.set()).build(), () -> {
                var listening = new FailingAccepts(ServerSocketChannel.open().bind(new InetSocketAddress(HOST, 0)),
                        new IOException("Too many open files"), 1);
                var server = new Server(Aio.getRunningLoop(), List.of(listening), ECHO, null, 0, 0,
                        StreamReader.DEFAULT_LIMIT, null);
                server.start();
                Task<Void> serving = Aio.createTask(server::serveForever); // a connection may come meanwhile
                reported.await(); // the thread pauses for an hour
                server.close(); // returns once the accepting thread has ended
                assertThatThrownBy(serving::await).isInstanceOf(CancellationException.class);
                assertThat(server.acceptThreads()).noneMatch(Thread::isAlive);
                return null;
            });
        } finally {
            Server.acceptRetryNanos = retry;
        }
    }

    /** A listening socket whose first {@code failures} accepts throw {@code error}: a process out of descriptors. */
    private static final class FailingAccepts extends ServerSocketChannel {
        private final ServerSocketChannel socket;
        private final IOException error;
        private int failures;

        FailingAccepts(ServerSocketChannel socket, IOException error, int failures) {
            super(socket.provider());
            this.socket = socket;
            this.error = error;
            this.failures = failures;
        }

        @Override
        public SocketChannel accept() throws IOException {
            synchronized (this) {
                if (failures > 0) {
                    failures--;
                    throw error;
                }
            }
            return socket.accept();
        }

        @Override
        public ServerSocketChannel bind(java.net.SocketAddress local, int backlog) throws IOException {
            socket.bind(local, backlog);
            return this;
        }

        @Override
        public <T> ServerSocketChannel setOption(java.net.SocketOption<T> name, T value) throws IOException {
            socket.setOption(name, value);
            return this;
        }

        @Override
        public <T> T getOption(java.net.SocketOption<T> name) throws IOException {
            return socket.getOption(name);
        }

        @Override
        public java.util.Set<java.net.SocketOption<?>> supportedOptions() {
            return socket.supportedOptions();
        }

        @Override
        public ServerSocket socket() {
            return socket.socket();
        }

        @Override
        public java.net.SocketAddress getLocalAddress() throws IOException {
            return socket.getLocalAddress();
        }

        @Override
        protected void implCloseSelectableChannel() throws IOException {
            socket.close();
        }

        @Override
        protected void implConfigureBlocking(boolean block) throws IOException {
            socket.configureBlocking(block);
        }
    }

    @Test
    void aHandlerThatThrowsIsReportedAndItsConnectionClosed() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        Aio.run(() -> EventLoop.builder().exceptionHandler((loop, ctx) -> errors.add(ctx)).build(), () -> {
            try (Server server = Aio.startServer((reader, writer) -> {
                writer.write(b("partial"));
                throw new IllegalStateException("handler bug");
            }, HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort());
                assertThat(s(conn.reader().read(-1))).isEqualTo("partial");
                conn.writer().close();
            }
            return null;
        });
        assertThat(errors).singleElement().satisfies(ctx -> {
            assertThat(ctx.message()).contains("Unhandled exception in the connection handler");
            assertThat(ctx.exception()).hasMessage("handler bug");
        });
    }

    @Test
    void aReadCancelledWhileBytesArriveLosesNone() throws Exception {
        int rounds = 40;
        Aio.run(() -> {
            var go = new Queue<Integer>();
            try (Server server = Aio.startServer((reader, writer) -> {
                for (int round = 0; round < rounds; round++) {
                    byte[] message = message(round);
                    int cut = go.get();
                    writer.write(Arrays.copyOf(message, cut));
                    writer.drain();
                    go.get();
                    writer.write(Arrays.copyOfRange(message, cut, message.length));
                    writer.drain();
                }
                writer.close();
            }, HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort());
                StreamReader reader = conn.reader();
                long total = 0;
                for (int round = 0; round < rounds; round++) {
                    byte[] message = message(round);
                    int cut = 1 + round * 37 % (message.length - 1);
                    Task<byte[]> read = Aio.createTask(() -> reader.readexactly(message.length));
                    go.putNowait(cut);
                    if (round % 2 == 0) {
                        while (reader.bufferedSize() < cut) { // the first part arrived: cancel with it buffered
                            Aio.sleep(0);
                        }
                    } // else: cancel while it may be on its way
                    read.cancel();
                    assertThatThrownBy(read::await).isInstanceOf(CancellationException.class);
                    go.putNowait(0);
                    byte[] got = reader.readexactly(message.length);
                    assertThat(got).isEqualTo(message);
                    total += got.length;
                }
                assertThat(reader.read(-1)).isEmpty();
                assertThat(total).isEqualTo(rounds * 1000L);
                conn.writer().close();
            }
            return null;
        });
    }

    private static byte[] message(int round) {
        byte[] m = new byte[1000];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) (round * 31 + i);
        }
        return m;
    }

    @Test
    void aSlowReaderHoldsAFastWriterBackWithBoundedBuffers() throws Exception {
        int limit = 16 * 1024;
        int piece = 32 * 1024;
        long total = 8L << 20;
        var maxQueued = new AtomicLong();
        Aio.run(() -> {
            try (Server server = Aio.startServer((reader, writer) -> {
                byte[] data = new byte[piece];
                for (long sent = 0; sent < total; sent += piece) {
                    Arrays.fill(data, (byte) (sent / piece));
                    writer.write(data);
                    maxQueued.accumulateAndGet(writer.writeBufferSize(), Math::max);
                    writer.drain();
                }
                writer.close();
            }, HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort(), limit);
                StreamReader reader = conn.reader();
                // Read nothing until the reader has paused its socket: from then on nothing more arrives.
                while (!reader.toString().contains("paused")) {
                    Aio.sleep(0);
                }
                long received = 0;
                long wrong = 0;
                for (byte[] chunk; (chunk = reader.read(4096)).length > 0; ) {
                    for (byte x : chunk) {
                        wrong += x == (byte) (received++ / piece) ? 0 : 1;
                    }
                }
                assertThat(received).isEqualTo(total);
                assertThat(wrong).isZero();
                assertThat(reader.maxBuffered()).isGreaterThan(2 * limit).isLessThanOrEqualTo(2 * limit
                        + ReadPump.CHUNK);
                conn.writer().close();
            }
            return null;
        });
        assertThat(maxQueued.get()).isLessThanOrEqualTo(WritePump.HIGH_WATER + piece);
    }

    /**
     * With a limit above 2^30 bytes, "twice the limit" overflowed to a negative int: the reader paused its socket
     * after every chunk, however little it held.
     */
    @Test
    void aReaderWithALimitOverAGibibyteDoesNotPauseOnItsFirstBytes() throws Exception {
        Aio.run(() -> {
            try (Server server = Aio.startServer((reader, writer) -> {
                writer.write(b("hello"));
                writer.close();
            }, HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort(), Integer.MAX_VALUE);
                StreamReader reader = conn.reader();
                while (reader.bufferedSize() == 0) {
                    Aio.sleep(0);
                }
                assertThat(reader.toString()).doesNotContain("paused");
                assertThat(s(reader.read(-1))).isEqualTo("hello");
                conn.writer().close();
            }
            return null;
        });
    }

    /**
     * asyncio's flow control exactly: {@code feed_data} pauses the transport once the buffer holds more than twice the
     * limit, and a read that leaves at most the limit (or a readline dropping a line over it) resumes it.
     */
    @Test
    void theReaderPausesItsSocketAboveTwiceTheLimitAndResumesItAtTheLimit() throws Exception {
        Aio.run(() -> {
            try (Server server = Aio.startServer((reader, writer) -> {
                reader.read(-1); // sends nothing
                writer.close();
            }, HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort(), 4);
                StreamReader reader = conn.reader();
                StreamTransport transport = reader.transport();
                reader.feedData(new byte[8]);
                assertThat(transport.readingPaused()).as("twice the limit").isFalse();
                assertThat(reader.toString()).doesNotContain("paused");
                reader.feedData(new byte[1]);
                assertThat(transport.readingPaused()).as("one byte more").isTrue();
                assertThat(reader.toString()).contains("paused");
                reader.read(4);
                assertThat(transport.readingPaused()).as("one byte over the limit").isTrue();
                reader.read(1);
                assertThat(transport.readingPaused()).as("the limit").isFalse();
                assertThat(reader.toString()).doesNotContain("paused");
                reader.feedData(new byte[8]);
                assertThat(transport.readingPaused()).isTrue();
                assertThatThrownBy(reader::readline).isInstanceOf(LimitOverrunException.class);
                assertThat(reader.bufferedSize()).isZero();
                assertThat(transport.readingPaused()).as("the line over the limit dropped").isFalse();
                conn.writer().close();
            }
            return null;
        });
    }

    @Test
    void drainSuspendsWhileThePeerDoesNotReadAndACancelledDrainLosesNothing() throws Exception {
        int size = 32 << 20; // more than the kernel's socket buffers and the peer's reader can hold
        Aio.run(() -> {
            var release = new Event();
            var received = new AtomicLong();
            try (Server server = Aio.startServer((reader, writer) -> {
                release.await();
                received.set(reader.read(-1).length);
                writer.close();
            }, HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort());
                StreamWriter writer = conn.writer();
                writer.write(new byte[size]);
                Task<Void> drain = Aio.createTask(writer::drain);
                Aio.sleep(0); // the drain runs, and waits: the peer's socket cannot take 32 MiB unread
                assertThat(drain.isDone()).isFalse();
                assertThat(writer.writeBufferSize()).isGreaterThan(WritePump.HIGH_WATER);
                drain.cancel();
                assertThatThrownBy(drain::await).isInstanceOf(CancellationException.class);
                writer.write(new byte[7]);
                release.set();
                writer.drain(); // returns once the buffer is down to the low-water mark
                assertThat(writer.writeBufferSize()).isLessThanOrEqualTo(WritePump.LOW_WATER);
                writer.writeEof();
                assertThat(conn.reader().read(-1)).isEmpty();
                assertThat(received.get()).isEqualTo(size + 7L);
                writer.close();
                writer.waitClosed();
            }
            return null;
        });
    }

    /**
     * A stream whose writes take only the bytes the test allows, then block until it allows more; the test learns
     * when the writer has taken all it may and waits for more. Written to in pieces of 8 KiB (the JDK's channel over
     * an output stream).
     */
    private static final class MeteredPipe extends java.io.OutputStream {
        private long allowed;
        private long taken;
        private boolean stalled;

        synchronized void allow(long n) {
            allowed += n;
            notifyAll();
        }

        /** On a thread: waits until the writer has taken everything allowed and waits in a write for more. */
        synchronized Void awaitStalled() throws InterruptedException {
            while (!stalled || taken != allowed) {
                wait();
            }
            return null;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            while (taken + len > allowed) {
                stalled = true;
                notifyAll();
                try {
                    wait();
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
            }
            stalled = false;
            taken += len;
        }
    }

    /**
     * asyncio's protocol remembers that writing is paused: above the high-water mark it is paused, and resumed only
     * once the buffer is down to the low-water mark, so a drain() called in between waits. Here drain() waited only
     * while more than 64 KiB were queued at the call: with 48 KiB queued after the buffer had held 96 KiB, it
     * returned at once. Failed before the fix: the drain was done at once. Deterministic: the writer takes only the
     * bytes the test allows.
     */
    @Test
    void aDrainCalledWhileWritingIsPausedWaitsUntilTheBufferIsDownToTheLowWaterMark() throws Exception {
        int piece = 16 << 10;
        Aio.run(() -> {
            var pipe = new MeteredPipe();
            StreamTransport t = StreamTransport.ofPipe(Aio.getRunningLoop(), pipe, "a metered pipe",
                    ProcessHandle.current());
            t.start();
            StreamWriter writer = t.writer;
            for (int i = 0; i < 6; i++) {
                writer.write(new byte[piece]); // 96 KiB: above the high-water mark, writing is paused
            }
            pipe.allow(3L * piece);
            Aio.toThread(pipe::awaitStalled);
            assertThat(writer.writeBufferSize()).isEqualTo(3L * piece); // 48 KiB: below the high-water mark
            Task<Void> drain = Aio.createTask(writer::drain);
            Aio.sleep(0);
            Aio.sleep(0);
            assertThat(drain.isDone()).as("a drain while paused, 48 KiB queued").isFalse();
            pipe.allow(piece);
            Aio.toThread(pipe::awaitStalled);
            Aio.sleep(0);
            Aio.sleep(0);
            assertThat(drain.isDone()).as("a drain while paused, 32 KiB queued").isFalse();
            pipe.allow(piece); // 16 KiB left: the low-water mark
            drain.await();
            assertThat(writer.writeBufferSize()).isEqualTo(piece);
            // Resumed: 48 KiB queued again does not pause (it never went above the high-water mark).
            Aio.toThread(pipe::awaitStalled);
            writer.write(new byte[2 * piece]);
            writer.drain();
            assertThat(writer.writeBufferSize()).isEqualTo(3L * piece);
            pipe.allow(Long.MAX_VALUE / 2);
            writer.close();
            writer.waitClosed();
            return null;
        });
    }

    /**
     * A connection reset while a task writes: drain() threw the writing thread's exception itself, whose stack trace
     * had only that thread's frames and no line of the task. It throws a copy made in the task, the original as its
     * cause; so does waitClosed().
     */
    @Test
    void aWriteErrorIsThrownInTheWritingTaskWithTheThreadsErrorAsItsCause() throws Exception {
        var connected = new java.util.concurrent.CountDownLatch(1);
        try (var external = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            Thread peer = Thread.ofPlatform().start(() -> {
                try (Socket s = external.accept()) {
                    connected.await(); // a reset before the connect has returned fails the connect instead
                    s.setSoLinger(true, 0); // its close resets the connection
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            Aio.run(() -> {
                StreamWriter writer = Aio.openConnection(HOST, external.getLocalPort()).writer();
                connected.countDown();
                Throwable failed = catchThrowable(() -> {
                    for (int i = 0; i < 1000; i++) { // until the reset reaches the writing thread
                        writer.write(new byte[64 << 10]);
                        writer.drain();
                    }
                });
                assertThat(failed).as("drain after the reset").isInstanceOf(IOException.class)
                        .cause().isInstanceOf(IOException.class).hasMessage(failed.getMessage());
                assertThat(failed.getStackTrace()).anyMatch(f -> f.getClassName().equals(StreamsTest.class.getName()));
                assertThat(failed.getCause().getStackTrace())
                        .noneMatch(f -> f.getClassName().equals(StreamsTest.class.getName()));
                assertThatThrownBy(writer::waitClosed).isInstanceOf(failed.getClass()).cause()
                        .isSameAs(failed.getCause());
                return null;
            });
            peer.join();
        }
    }

    /**
     * A write and drain() after the connection had failed, before the loop had processed the failure the reading
     * thread posted: drain() returned as if the bytes were on their way, and they were dropped (queued to the
     * stopped writing thread, where writeBufferSize() counted them for good). asyncio's write() sends at once, sees
     * the error, and its drain() raises it.
     */
    @Test
    void aDrainAfterTheConnectionFailedThrowsEvenBeforeTheLoopHasProcessedTheFailure() throws Exception {
        var connected = new java.util.concurrent.CountDownLatch(1);
        try (var external = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            Thread peer = Thread.ofPlatform().start(() -> {
                try (Socket s = external.accept()) {
                    connected.await();
                    s.setSoLinger(true, 0); // its close resets the connection
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            Aio.run(() -> {
                var conn = Aio.openConnection(HOST, external.getLocalPort());
                StreamWriter writer = conn.writer();
                connected.countDown();
                while (!writer.transport().isClosed()) { // the reading thread saw the reset: the loop has not yet
                    Thread.onSpinWait();
                }
                writer.write(b("dropped"));
                assertThatThrownBy(writer::drain).isInstanceOf(java.net.SocketException.class)
                        .hasMessageContaining("reset");
                assertThat(writer.writeBufferSize()).isZero();
                assertThat(writer.isClosing()).isTrue();
                assertThatThrownBy(() -> conn.reader().read(1)).isInstanceOf(java.net.SocketException.class);
                return null;
            });
            peer.join();
        }
    }

    @Test
    void aDrainWaitingWhenClosingFlushesTheLastByteReturnsAsInAsyncio() throws Exception {
        // asyncio's drain() returns when the connection is closed cleanly while it waits (connection_lost(None)
        // wakes it with a result); it raises only when called after the loss. Here it raised 'Connection lost'
        // whenever the loss reached the loop before the woken drain ran again: forced by holding the loop.
        int size = 32 << 20;
        var go = new java.util.concurrent.CountDownLatch(1);
        try (var external = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            var received = new AtomicLong();
            Thread peer = Thread.ofPlatform().start(() -> {
                try (Socket s = external.accept(); InputStream in = s.getInputStream()) {
                    go.await();
                    received.set(in.transferTo(OutputStream.nullOutputStream()));
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            Aio.run(() -> {
                EventLoop loop = Aio.getRunningLoop();
                var conn = Aio.openConnection(HOST, external.getLocalPort());
                StreamWriter writer = conn.writer();
                writer.write(new byte[size]);
                Task<Void> drain = Aio.createTask(writer::drain);
                Aio.sleep(0); // it waits: the peer reads nothing yet
                assertThat(drain.isDone()).isFalse();
                writer.close();
                go.countDown();
                holdTheLoopUntilPosted(loop, 2); // the wake-up of the drain, then the loss once all is written
                drain.await();
                assertThatThrownBy(writer::drain).isInstanceOf(java.net.SocketException.class)
                        .hasMessageContaining("Connection lost"); // called after the loss
                writer.waitClosed();
                return null;
            });
            peer.join();
            assertThat(received.get()).isEqualTo(size);
        }
    }

    @Test
    void awaitingSocketDataIsNotADeadlockNorLetsAVirtualClockJump() throws Exception {
        awaitingSocketDataIsNotADeadlockNorLetsAVirtualClockJump(TCP);
    }

    static void awaitingSocketDataIsNotADeadlockNorLetsAVirtualClockJump(StreamEndpoint endpoint) throws Exception {
        try (ServerSocketChannel external = endpoint.openForeignServer()) {
            Thread peer = Thread.ofPlatform().start(() -> {
                try (SocketChannel s = external.accept(); InputStream in = Channels.newInputStream(s);
                     OutputStream out = Channels.newOutputStream(s)) {
                    while (in.read() != '\n') {
                        // the request line
                    }
                    out.write(b("answer\n"));
                    in.read(); // until the client closes
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            String answer = Aio.run(() -> EventLoop.builder().virtualTime().build(), () -> {
                var conn = endpoint.openConnection(external);
                conn.writer().write(b("question\n"));
                try {
                    return s(Aio.waitFor(Aio.createTask(conn.reader()::readline), Duration.ofSeconds(10)));
                } finally {
                    conn.writer().close();
                }
            });
            assertThat(answer).isEqualTo("answer\n");
            peer.join();
        }
    }

    @Test
    void aClientAwaitingWhatItsHandlerDoesRightAfterConnectingIsNotADeadlock() throws Exception {
        aClientAwaitingWhatItsHandlerDoesRightAfterConnectingIsNotADeadlock(TCP);
    }

    static void aClientAwaitingWhatItsHandlerDoesRightAfterConnectingIsNotADeadlock(StreamEndpoint endpoint)
            throws Exception {
        // Until the server's thread has accepted it, the connection waits in the kernel's backlog: nothing of the
        // loop waits for I/O, yet the handler will run. The accept of a connection of the loop's own client is in
        // flight from the moment the connect returns.
        Aio.run(() -> {
            var handled = new Queue<Integer>();
            try (Server server = endpoint.startServer((reader, writer) -> {
                handled.putNowait(1);
                writer.close();
            })) {
                for (int i = 0; i < 200; i++) {
                    var conn = endpoint.openConnection(server);
                    assertThat(handled.get()).isEqualTo(1);
                    conn.writer().close();
                }
            }
            return null;
        });
    }

    @Test
    void anAcceptTheLoopRunsBeforeItsClientsConnectReturnsIsMatchedHoweverManyOthersComeBetween() throws Exception {
        anAcceptTheLoopRunsBeforeItsClientsConnectReturnsIsMatchedHoweverManyOthersComeBetween(TCP);
    }

    static void anAcceptTheLoopRunsBeforeItsClientsConnectReturnsIsMatchedHoweverManyOthersComeBetween(
            StreamEndpoint endpoint) throws Exception {
        // The server's thread may accept a connection of the loop's own client, and the loop run that accept,
        // before the client's task learns that its connect succeeded. The accept is then matched when it does.
        // Connections from elsewhere accepted meanwhile (here 100 plain sockets) must not make the server forget
        // it: the accept would stay in flight until the server closes, and no deadlock could be reported.
        int others = 100;
        Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            var handled = new Queue<Integer>();
            try (Server server = endpoint.startServer((reader, writer) -> {
                handled.putNowait(1);
                writer.close();
            })) {
                Task<StreamPair> client = Aio.createTask(() -> endpoint.openConnection(server));
                Aio.sleep(0); // the client's connect is on its way, off the loop
                // Hold the loop until the connect has come back (posted, not yet run), then until the server's
                // thread has accepted the client and the others: the loop runs those accepts first.
                holdTheLoopUntilPosted(loop, 1);
                var sockets = new ArrayList<SocketChannel>();
                for (int i = 0; i < others; i++) {
                    sockets.add(endpoint.openForeignClient(server));
                }
                holdTheLoopUntilPosted(loop, 1 + 1 + others);
                for (int i = 0; i < 1 + others; i++) {
                    handled.get();
                }
                StreamWriter writer = client.await().writer();
                assertThat(writer.transport().hasPeerOnLoop()).isTrue(); // matched with the server's end
                writer.close();
                assertThat(loop.inFlightSnapshot()).isEmpty();
                assertThat(server.unmatchedAccepts()).isZero(); // no connect in progress: the others are forgotten
                for (SocketChannel s : sockets) {
                    s.close();
                }
            }
            return null;
        });
    }

    @Test
    void aConnectToAnotherHostAtThePortOfAServerOnEveryAddressIsNotItsAcceptInFlight() throws Exception {
        // A proxy listening on every address at port P that connects to its upstream at port P on another host
        // made each such connection an accept of its own server in flight, for as long as the server listened:
        // none would ever come. Another host cannot be reached from a test, so the server is told of the connect
        // as openConnection tells it, with a remote address of TEST-NET-1 (RFC 5737), from this host's 10.1.2.3.
        Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            try (Server server = Aio.startServer(ECHO, null, 0)) {
                int port = server.addresses().getFirst().getPort();
                server.expectAccept(address("192.0.2.1", port), address("10.1.2.3", 40000), null);
                assertThat(loop.inFlightSnapshot()).isEmpty();
                // To this host: to a loopback address, or to one of its own addresses (the connect comes from it).
                server.expectAccept(address("127.0.0.1", port), address("127.0.0.1", 40001), null);
                server.expectAccept(address("10.1.2.3", port), address("10.1.2.3", 40002), null);
                assertThat(loop.inFlightSnapshot()).hasSize(2);
            } // the close drops what it expected
            assertThat(loop.inFlightSnapshot()).isEmpty();
            return null;
        });
    }

    private static InetSocketAddress address(String literal, int port) {
        return new InetSocketAddress(literal, port);
    }

    /** Blocks the loop's thread (on purpose) until at least {@code posts} posts wait in its inbox. */
    private static void holdTheLoopUntilPosted(EventLoop loop, int posts) {
        while (loop.postsWaiting() < posts) {
            Thread.onSpinWait();
        }
    }

    @Test
    void aTaskWaitingForWhatNothingWillCompleteIsStillADeadlockWithAConnectionOpen() {
        assertThatThrownBy(() -> Aio.run(() -> {
            // An open connection nobody waits on is no work in flight (a task waiting in a read would be).
            try (Server server = Aio.startServer((reader, writer) -> { }, HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort());
                conn.writer().write(b("x\n"));
                Aio.getRunningLoop().createFuture().await();
            }
            return null;
        })).isInstanceOf(DeadlockException.class);
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // it hung: a read counted as I/O in flight
    void aClientAndItsHandlerEachWaitingToReadWhatTheOtherWillNotSendAreADeadlock() {
        aClientAndItsHandlerEachWaitingToReadWhatTheOtherWillNotSendAreADeadlock(TCP);
    }

    static void aClientAndItsHandlerEachWaitingToReadWhatTheOtherWillNotSendAreADeadlock(StreamEndpoint endpoint) {
        // A read waits for bytes that may come at any time, so it is I/O in flight; but when the other end is a
        // connection of the same loop and everything it sent has been read, only the loop's tasks can send more.
        assertThatThrownBy(() -> Aio.run(() -> {
            try (Server server = endpoint.startServer((reader, writer) -> {
                writer.write(b("hello\n"));
                reader.readline(); // the client's request, which it never sends
            })) {
                var conn = endpoint.openConnection(server);
                conn.writer().write(b("partial request, no end of line"));
                assertThat(s(conn.reader().readline())).isEqualTo("hello\n");
                conn.reader().readline(); // a second line, which the handler never sends
            }
            return null;
        })).isInstanceOf(DeadlockException.class).hasMessageContaining("a read from connection")
                .hasMessageContaining("whose other end is a connection of this loop with nothing on its way");
    }

    @Test
    void theLoopsCloseClosesWhatWasLeftOpenAndItsThreadsEnd() throws Exception {
        theLoopsCloseClosesWhatWasLeftOpenAndItsThreadsEnd(TCP);
    }

    static void theLoopsCloseClosesWhatWasLeftOpenAndItsThreadsEnd(StreamEndpoint endpoint) throws Exception {
        var threads = new ArrayList<Thread>();
        var open = new AtomicReference<OpenStreams>();
        var left = new AtomicReference<Server>();
        var leftWriter = new AtomicReference<StreamWriter>();
        var leftReader = new AtomicReference<StreamReader>();
        Aio.run(() -> {
            var served = new Event();
            Server server = endpoint.startServer((reader, writer) -> {
                served.set();
                reader.readline();
            });
            left.set(server);
            var conn = endpoint.openConnection(server);
            leftWriter.set(conn.writer());
            leftReader.set(conn.reader());
            conn.writer().write(b("unfinished"));
            served.await(); // the server's end is open too
            threads.addAll(server.acceptThreads());
            threads.addAll(conn.writer().transport().threads());
            open.set(Aio.getRunningLoop().openStreams);
            assertThat(open.get().size()).isEqualTo(3); // the server, the client's end and the server's end
            return null;
        });
        assertThat(open.get().size()).isZero();
        for (Thread t : threads) {
            t.join();
        }
        // Closed by the loop's close: they said they were still serving and open.
        assertThat(left.get().isServing()).as("isServing() once the loop's close closed the server").isFalse();
        assertThat(leftWriter.get().isClosing()).as("isClosing() once the loop's close closed the connection")
                .isTrue();
        assertThat(leftReader.get().atEof()).as("atEof() once the loop's close closed the connection").isTrue();
        // Closed, with no connection left: waitClosed() returns at once (it threw, outside a task, as if it had to
        // wait for a server that isServing() said was closed).
        left.get().waitClosed();
    }

    /**
     * The loop's close closes a connection left open, but its reader and writer were never told (the loss it posted
     * was refused by the closed loop): atEof() stayed false although nothing more could come, read(-1) had to wait
     * (an IllegalStateException outside a task), and so did waitClosed(). asyncio's loop.close() leaves its
     * transports open (the garbage collector closes the sockets, no connection_lost); aio4j closes them, so its
     * reader and writer say so as after any close. Failed before the fix: atEof() was false.
     */
    @Test
    void aConnectionTheLoopsCloseClosedEndsItsStreamAndItsWriterIsClosed() throws Exception {
        var done = new java.util.concurrent.CountDownLatch(1);
        try (var external = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            Thread peer = Thread.ofPlatform().start(() -> {
                try (Socket s = external.accept()) {
                    s.getOutputStream().write(b("hello\n"));
                    done.await(); // the connection stays open until the loop's close has closed it
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            StreamPair conn = Aio.run(() -> {
                var c = Aio.openConnection(HOST, external.getLocalPort());
                assertThat(s(c.reader().readline())).isEqualTo("hello\n");
                assertThat(c.reader().atEof()).isFalse();
                return c;
            });
            try {
                assertThat(conn.reader().atEof()).as("atEof() once the loop's close closed the connection").isTrue();
                assertThat(conn.reader().read(-1)).isEmpty();
                assertThat(conn.reader().exception()).isNull();
                assertThat(conn.writer().isClosing()).isTrue();
                conn.writer().waitClosed(); // closed: returns at once, outside a task too
            } finally {
                done.countDown();
                peer.join();
            }
        }
    }

    @Test
    void aWriterUsedFromAThreadThatDoesNotHoldItsLoopIsRefused() throws Exception {
        Aio.run(() -> {
            try (Server server = Aio.startServer(ECHO, HOST, 0)) {
                var conn = Aio.openConnection(HOST, server.addresses().getFirst().getPort());
                Object error = Aio.toThread(() -> {
                    try {
                        conn.writer().write(b("x"));
                        return null;
                    } catch (IllegalStateException e) {
                        return e;
                    }
                });
                assertThat(error).isInstanceOf(IllegalStateException.class)
                        .asString().contains("StreamWriter.write", "does not hold");
                conn.writer().close();
            }
            return null;
        });
    }

    /** A server's handler that reads each connection to its end into {@code received}, then closes it. */
    private static ConnectionHandler readingAllInto(Future<byte[]> received) {
        return (reader, writer) -> {
            received.setResult(reader.read(-1));
            writer.close();
        };
    }
}
