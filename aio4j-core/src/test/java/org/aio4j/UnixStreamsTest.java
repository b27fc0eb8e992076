package org.aio4j;

import static org.aio4j.StreamsTest.ECHO;
import static org.aio4j.StreamsTest.b;
import static org.aio4j.StreamsTest.s;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Aio.openUnixConnection and Aio.startUnixServer over real Unix-domain sockets, where their code differs from the
 * TCP streams' of StreamsTest (the reader, the writer and the threads are the same). Checked against CPython 3.13.0's
 * asyncio.open_unix_connection and start_unix_server.
 */
class UnixStreamsTest {

    @TempDir
    Path dir;

    /** A socket file that nothing listens on: bound, then closed, as a server that did not clean up leaves it. */
    private static void staleSocketAt(Path path) throws Exception {
        try (var s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(path));
        }
        assertThat(path).exists();
    }

    private static void assertMadeInTheTest(Throwable e) {
        assertThat(e.getStackTrace()).anyMatch(f -> f.getClassName().startsWith(UnixStreamsTest.class.getName()));
    }

    @Test
    void anEchoServerAnswersAClientAndItsCloseDeletesItsSocketFile() throws Exception {
        Path path = dir.resolve("echo.sock");
        Aio.run(() -> {
            var handlerEnd = new AtomicReference<StreamWriter>();
            try (Server server = Aio.startUnixServer((reader, writer) -> {
                handlerEnd.set(writer);
                writer.write(reader.readexactly(5));
                ECHO.handle(reader, writer);
            }, path)) {
                assertThat(server.path()).isEqualTo(path);
                assertThat(server.addresses()).isEmpty();
                assertThat(server).hasToString("Server[" + path + "]");
                assertThat(path).exists();
                var conn = Aio.openUnixConnection(path);
                StreamWriter writer = conn.writer();
                // asyncio: peername is the server's path, sockname '' (the client's socket is unnamed)
                assertThat(writer.peerPath()).isEqualTo(path);
                assertThat(writer.sockPath()).isEqualTo(Path.of(""));
                assertThat(writer.peername()).isNull();
                assertThat(writer.sockname()).isNull();
                writer.write(b("hello"));
                assertThat(s(conn.reader().readexactly(5))).isEqualTo("hello");
                for (String line : List.of("one\n", "two\n")) {
                    writer.write(b(line));
                    writer.drain();
                    assertThat(s(conn.reader().readline())).isEqualTo(line);
                }
                // the handler's end: peername '' (the client is unnamed), sockname the server's path
                assertThat(handlerEnd.get().peerPath()).isEqualTo(Path.of(""));
                assertThat(handlerEnd.get().sockPath()).isEqualTo(path);
                assertThat(handlerEnd.get().toString()).contains("connection " + path + " -> unnamed");
                assertThat(writer.canWriteEof()).isTrue();
                writer.writeEof();
                assertThat(conn.reader().read()).isEmpty();
                writer.close();
                writer.waitClosed();
                server.close();
                assertThat(server).hasToString("Server[" + path + ", closed]");
                assertThat(path).doesNotExist(); // cleanup_socket=True
                server.waitClosed();
            }
            return null;
        });
    }

    @Test
    void aStaleSocketIsReplacedAndAFileOfAnotherKindIsABindExceptionNamingIt() throws Exception {
        Path stale = dir.resolve("stale.sock");
        staleSocketAt(stale);
        Path file = dir.resolve("not-a-socket");
        Files.writeString(file, "kept");
        Path nowhere = dir.resolve("no-such-dir").resolve("s.sock");
        Aio.run(() -> {
            try (Server server = Aio.startUnixServer(ECHO, stale)) {
                var conn = Aio.openUnixConnection(stale);
                conn.writer().write(b("served\n"));
                assertThat(s(conn.reader().readline())).isEqualTo("served\n");
                conn.writer().close();
            }
            // asyncio deletes any socket at the path, even one that another server listens on: its clients come here
            Path live = dir.resolve("live.sock");
            try (var other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                other.bind(UnixDomainSocketAddress.of(live));
                try (Server takingOver = Aio.startUnixServer(ECHO, live)) {
                    var conn = Aio.openUnixConnection(live);
                    conn.writer().write(b("here\n"));
                    assertThat(s(conn.reader().readline())).isEqualTo("here\n");
                    conn.writer().close();
                }
            }
            // asyncio: OSError "[Errno 98] Address '...' is already in use", the file left as it was
            for (Path taken : List.of(file, dir)) {
                Throwable inUse = catchThrowable(() -> Aio.startUnixServer(ECHO, taken));
                assertThat(inUse).isExactlyInstanceOf(BindException.class)
                        .hasMessage("Address already in use: " + taken).hasCauseInstanceOf(BindException.class);
                assertMadeInTheTest(inUse);
            }
            assertThat(Files.readString(file)).isEqualTo("kept");
            Throwable noDir = catchThrowable(() -> Aio.startUnixServer(ECHO, nowhere));
            assertThat(noDir).isExactlyInstanceOf(FileNotFoundException.class).hasMessageEndingWith(": " + nowhere);
            assertMadeInTheTest(noDir);
            return null;
        });
    }

    @Test
    void theServerDeletesOnlyItsOwnSocketFileAndTheLoopsCloseDeletesItToo() throws Exception {
        Path path = dir.resolve("replaced.sock");
        Path leftOpen = dir.resolve("left-open.sock");
        var threads = new ArrayList<Thread>();
        try (var other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            Aio.run(() -> {
                Server server = Aio.startUnixServer(ECHO, path);
                Files.delete(path);
                other.bind(UnixDomainSocketAddress.of(path)); // another socket's file at the path now
                server.close();
                assertThat(path).exists();
                Server open = Aio.startUnixServer(ECHO, leftOpen);
                threads.addAll(open.acceptThreads());
                var conn = Aio.openUnixConnection(leftOpen);
                conn.writer().write(b("unfinished"));
                threads.addAll(conn.writer().transport().threads());
                return null;
            });
            assertThat(path).exists();
            assertThat(leftOpen).doesNotExist();
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // it hung: an accept in flight for ever
    void aServerWhosePathAnotherSocketTookExpectsNoAcceptOfTheLoopsClients() {
        // A second server at the path deletes the first one's socket file, as asyncio's does; the first keeps
        // listening, on a socket no path reaches. A client of the loop connecting to the path reaches the second.
        Path path = dir.resolve("taken.sock");
        assertThatThrownBy(() -> Aio.run(() -> {
            try (Server first = Aio.startUnixServer((reader, writer) -> { }, path);
                 Server second = Aio.startUnixServer((reader, writer) -> { }, path)) {
                var conn = Aio.openUnixConnection(path);
                conn.writer().write(b("x\n"));
                Aio.getRunningLoop().createFuture().await(); // nothing completes it
            }
            return null;
        })).isInstanceOf(DeadlockException.class);
    }

    /**
     * A JVM whose loop serves a foreign client and is a foreign server's client, which then says "connected" and
     * waits for the end of its input: none of its connections is to a server of its own loop, so it makes no
     * directory of client names (one a JVM killed by SIGKILL would leave behind).
     */
    static final class ForeignConnectionsOnly {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            Aio.run(() -> {
                try (Server server = Aio.startUnixServer(ECHO, dir.resolve("served.sock"));
                     var foreignServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    var served = Aio.toThread(() -> SocketChannel.open(UnixDomainSocketAddress.of(server.path())));
                    foreignServer.bind(UnixDomainSocketAddress.of(dir.resolve("foreign.sock")));
                    var conn = Aio.openUnixConnection(dir.resolve("foreign.sock"));
                    var accepted = Aio.toThread(foreignServer::accept);
                    Aio.toThread(() -> served.write(java.nio.ByteBuffer.wrap(b("x\n"))));
                    Aio.toThread(() -> served.read(java.nio.ByteBuffer.allocate(2))); // echoed: its handler ran
                    assertThat(conn.writer().peerPath()).isEqualTo(dir.resolve("foreign.sock"));
                    System.out.println("connected");
                    Aio.toThread(() -> System.in.read());
                    served.close();
                    accepted.close();
                }
                return null;
            });
        }
    }

    @Test
    void aJvmWhoseLoopIsNoClientOfItsOwnServersMakesNoDirectoryOfClientNames() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "-Djava.io.tmpdir=" + tmp,
                ForeignConnectionsOnly.class.getName(), dir.toString()).redirectErrorStream(true).start();
        // A guard against a hang, not a measure, as SignalHandlerTest's: killed, the child ends its output.
        Thread.ofPlatform().daemon().start(() -> {
            try {
                if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        });
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            assertThat(lines.readLine()).isEqualTo("connected");
            try (var made = Files.list(tmp)) {
                assertThat(made.map(Path::getFileName).map(Path::toString)).isEmpty(); // it was aio4j-unix-*
            }
            p.getOutputStream().close();
            assertThat(p.waitFor()).isZero();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aFailedConnectIsMadeInTheCallersTaskNamingThePath() throws Exception {
        Path missing = dir.resolve("missing.sock");
        Path stale = dir.resolve("stale.sock");
        staleSocketAt(stale);
        Path file = dir.resolve("not-a-socket");
        Files.writeString(file, "x");
        Aio.run(() -> {
            // asyncio: FileNotFoundError(2, 'No such file or directory'); the JDK's SocketException names no path
            Throwable notFound = catchThrowable(() -> Aio.openUnixConnection(missing));
            assertThat(notFound).isExactlyInstanceOf(FileNotFoundException.class)
                    .hasMessage("No such file or directory: " + missing)
                    .hasCauseExactlyInstanceOf(java.net.SocketException.class);
            assertMadeInTheTest(notFound);
            // asyncio: ConnectionRefusedError(111, 'Connection refused'), for a stale socket and for a plain file
            for (Path refusing : List.of(stale, file)) {
                Throwable refused = catchThrowable(() -> Aio.openUnixConnection(refusing));
                assertThat(refused).isExactlyInstanceOf(ConnectException.class)
                        .hasMessage("Connection refused: " + refusing).hasCauseInstanceOf(ConnectException.class);
                assertMadeInTheTest(refused);
            }
            return null;
        });
    }

    @Test
    void badArgumentsAreRefusedAtTheCallSite() throws Exception {
        // The JDK takes a path of up to 106 bytes on Linux (CPython one more): the check refuses no path it takes.
        Path longest = dir.resolve("x".repeat(UnixPaths.LIMIT - UnixPaths.bytes(dir) - 1));
        Path tooLong = dir.resolve("x".repeat(UnixPaths.LIMIT - UnixPaths.bytes(dir)));
        assertThat(UnixPaths.bytes(longest)).isEqualTo(UnixPaths.LIMIT);
        Aio.run(() -> {
            try (Server server = Aio.startUnixServer(ECHO, longest)) {
                Aio.openUnixConnection(longest).writer().close();
            }
            String expected = "path " + tooLong + " is " + (UnixPaths.LIMIT + 1) + " bytes long, over the "
                    + UnixPaths.LIMIT + " bytes a Unix-domain socket's path may have here";
            assertThatThrownBy(() -> Aio.openUnixConnection(tooLong)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("openUnixConnection(): " + expected);
            assertThatThrownBy(() -> Aio.startUnixServer(ECHO, tooLong)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("startUnixServer(): " + expected);
            assertThatThrownBy(() -> Aio.openUnixConnection(Path.of(""))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("openUnixConnection(): path must not be empty");
            assertThatThrownBy(() -> Aio.openUnixConnection(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("path must not be null");
            assertThatThrownBy(() -> Aio.openUnixConnection(longest, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("limit must be > 0");
            assertThatThrownBy(() -> Aio.startUnixServer(null, longest)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("handler");
            assertThatThrownBy(() -> Aio.startUnixServer(ECHO, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("path must not be null");
            assertThatThrownBy(() -> Aio.startUnixServer(ECHO, longest, -1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit must be > 0");
            return null;
        });
        assertThat(tooLong).doesNotExist();
        assertThatThrownBy(() -> Aio.openUnixConnection(longest)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no running event loop");
    }

    @Test
    void closingTheServerAndItsClientsGivesTheClientsTheEndOfTheStream() throws Exception {
        Path path = dir.resolve("s.sock");
        Aio.run(() -> {
            var greeted = new Queue<String>();
            Server server = Aio.startUnixServer((reader, writer) -> {
                writer.write(b("hi\n"));
                greeted.putNowait("one");
            }, path);
            List<StreamPair> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clients.add(Aio.openUnixConnection(path));
                greeted.get();
            }
            server.close();
            // the socket file went with the server, as asyncio's: FileNotFoundError, not a refused connect
            assertThatThrownBy(() -> Aio.openUnixConnection(path)).isInstanceOf(FileNotFoundException.class);
            Task<Void> closed = Aio.createTask(server::waitClosed);
            server.closeClients();
            for (StreamPair c : clients) {
                assertThat(s(c.reader().read())).isEqualTo("hi\n");
                assertThat(c.reader().atEof()).isTrue();
                c.writer().close();
            }
            closed.await();
            return null;
        });
    }

    /** Servers at new paths in {@code dir}. */
    private record UnixEndpoint(Path dir, AtomicInteger servers) implements StreamEndpoint {

        UnixEndpoint(Path dir) {
            this(dir, new AtomicInteger());
        }

        @Override
        public Server startServer(ConnectionHandler handler) throws IOException {
            return Aio.startUnixServer(handler, dir.resolve("s" + servers.incrementAndGet() + ".sock"));
        }

        @Override
        public StreamPair openConnection(Server server) throws IOException {
            return Aio.openUnixConnection(server.path());
        }

        @Override
        public ServerSocketChannel openForeignServer() throws IOException {
            return ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                    .bind(UnixDomainSocketAddress.of(dir.resolve("foreign.sock")), 1);
        }

        @Override
        public StreamPair openConnection(ServerSocketChannel foreign) throws IOException {
            return Aio.openUnixConnection(((UnixDomainSocketAddress) foreign.getLocalAddress()).getPath());
        }

        @Override
        public SocketChannel openForeignClient(Server server) throws IOException {
            return SocketChannel.open(UnixDomainSocketAddress.of(server.path())); // unnamed, as asyncio's
        }
    }

    @Test
    void awaitingSocketDataIsNotADeadlockNorLetsAVirtualClockJump() throws Exception {
        StreamsTest.awaitingSocketDataIsNotADeadlockNorLetsAVirtualClockJump(new UnixEndpoint(dir));
    }

    // The scenarios of the loop's own clients, whose accepts are I/O in flight until matched and whose two ends know
    // each other: an unbound Unix-domain client cannot be told from another, hence the name it binds for the connect
    // (UnixClientNames), which neither end shows. Without it, the first fails as a deadlock and the last hangs.

    @Test
    void aClientAwaitingWhatItsHandlerDoesRightAfterConnectingIsNotADeadlock() throws Exception {
        StreamsTest.aClientAwaitingWhatItsHandlerDoesRightAfterConnectingIsNotADeadlock(new UnixEndpoint(dir));
    }

    @Test
    void anAcceptTheLoopRunsBeforeItsClientsConnectReturnsIsMatchedHoweverManyOthersComeBetween() throws Exception {
        StreamsTest.anAcceptTheLoopRunsBeforeItsClientsConnectReturnsIsMatchedHoweverManyOthersComeBetween(
                new UnixEndpoint(dir));
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // it would hang: a read in flight for ever
    void aClientAndItsHandlerEachWaitingToReadWhatTheOtherWillNotSendAreADeadlock() {
        StreamsTest.aClientAndItsHandlerEachWaitingToReadWhatTheOtherWillNotSendAreADeadlock(new UnixEndpoint(dir));
    }
}
