package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The socket a worker connects to: private to this user, open to the worker's token only, and gone once the worker
 * has connected or could not.
 */
class RendezvousTest {

    /** What a worker reads on its standard input: the socket's path and the token. */
    private record Handshake(String path, byte[] token) {
    }

    private static Handshake handshake(Rendezvous r) throws Exception {
        var bytes = new ByteArrayOutputStream();
        r.sendTo(bytes);
        var in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
        String path = in.readUTF();
        byte[] token = in.readNBytes(Protocol.TOKEN_BYTES + 1);
        return new Handshake(path, token);
    }

    private static SocketChannel connect(String path, byte[] token) throws Exception {
        var channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(path));
        channel.write(ByteBuffer.wrap(token));
        return channel;
    }

    @Test
    void theSocketIsInADirectoryOnlyThisUserMayEnterAndTheWorkerLearnsWhereFromItsInput(@TempDir Path base)
            throws Exception {
        try (var r = Rendezvous.open(base)) {
            Handshake h = handshake(r);
            assertThat(h.token()).hasSize(Protocol.TOKEN_BYTES);
            Path socket = Path.of(h.path());
            assertThat(socket.getParent().getParent()).isEqualTo(base);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())))
                    .isEqualTo("rwx------");
            assertThat(socket).exists();
            assertThat(handshake(r).token()).isEqualTo(h.token());
            try (var other = Rendezvous.open(base)) {
                assertThat(handshake(other).token()).isNotEqualTo(h.token());
            }
        }
        assertThat(base).isEmptyDirectory();
    }

    @Test
    void theWorkerPresentingItsTokenIsAcceptedAndNothingIsLeftForAnotherToConnectTo(@TempDir Path base)
            throws Exception {
        try (var r = Rendezvous.open(base)) {
            Handshake h = handshake(r);
            var worker = CompletableFuture.supplyAsync(() -> {
                try {
                    return connect(h.path(), h.token());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SocketChannel accepted = r.accept(); SocketChannel connected = worker.join()) {
                assertThat(base).isEmptyDirectory();
                assertThatThrownBy(() -> connect(h.path(), h.token())).isInstanceOf(IOException.class);
                connected.write(ByteBuffer.wrap(new byte[] {42}));
                var read = ByteBuffer.allocate(1);
                accepted.read(read);
                assertThat(read.get(0)).isEqualTo((byte) 42);
            }
        }
    }

    @Test
    void aConnectionWithoutTheTokenIsRefusedSayingSoAndEndsTheWait(@TempDir Path base) throws Exception {
        try (var r = Rendezvous.open(base)) {
            Handshake h = handshake(r);
            byte[] wrong = h.token().clone();
            wrong[0] ^= 1;
            try (var impostor = connect(h.path(), wrong)) {
                assertThatThrownBy(r::accept)
                        .isInstanceOf(ProtocolException.class)
                        .hasMessage("a process that is not the worker connected to its socket " + h.path()
                                + " (it did not present the worker's token)");
                assertThat(impostor.read(ByteBuffer.allocate(1))).isEqualTo(-1);   // closed
            }
            assertThat(base).isEmptyDirectory();
        }
    }

    @Test
    void closingEndsAWaitForAWorkerThatNeverConnectsAndDeletesTheSocket(@TempDir Path base) throws Exception {
        try (var r = Rendezvous.open(base)) {
            var waiting = CompletableFuture.runAsync(() -> {
                try {
                    r.accept();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            r.close();   // as when the worker died before it connected
            // AsynchronousCloseException, or ClosedChannelException if it was closed before accept() began
            assertThatThrownBy(waiting::join).cause().cause().isInstanceOf(ClosedChannelException.class);
            assertThat(base).isEmptyDirectory();
        }
    }

    @Test
    void aTemporaryDirectoryTooDeepForASocketAddressFallsBackToAShortOne(@TempDir Path base) throws Exception {
        // A socket's path must fit in about 100 bytes: under a deep java.io.tmpdir (a build sandbox's, say) every
        // worker failed to start with "Unix domain path too long".
        Path deep = Files.createDirectories(base.resolve("d".repeat(60)).resolve("e".repeat(60)));
        Path shallow = Files.createDirectory(base.resolve("s"));
        try (var r = Rendezvous.open(deep, shallow)) {
            Path socket = Path.of(handshake(r).path());
            assertThat(socket.getParent().getParent()).isEqualTo(shallow);
            try (var worker = connect(socket.toString(), handshake(r).token())) {
                assertThat(r.accept()).isNotNull();
            }
        }
        assertThat(deep).isEmptyDirectory();
        assertThat(shallow).isEmptyDirectory();
        // Without a fallback, or with one too deep as well, the error says what is wrong.
        assertThatThrownBy(() -> Rendezvous.open(deep, deep))
                .isInstanceOf(IOException.class)
                .hasMessage("could not make the socket a worker connects to, in " + deep + ": its path would be "
                        + "too long for a Unix domain socket address; set java.io.tmpdir to a shorter directory");
        assertThat(deep).isEmptyDirectory();
    }

    @Test
    void aWaitEndedByACloseOnAnotherThreadReturnsOnlyOnceTheSocketIsGone(@TempDir Path base) throws Exception {
        // The worker's exit closes its rendezvous on another thread; the driver, woken, reports the failed start,
        // and whoever then looks must not find the socket that close() had not yet deleted.
        for (int i = 0; i < 500; i++) {
            var r = Rendezvous.open(base);
            var closer = Thread.ofPlatform().start(r::close);
            assertThatThrownBy(r::accept).isInstanceOf(ClosedChannelException.class);
            assertThat(base).as("after close number %d", i).isEmptyDirectory();
            closer.join();
        }
    }

    @Test
    void aPoolLeavesNoSocketBehindWhetherItsWorkersStartOrNot(@TempDir Path base) throws Exception {
        try (var pool = ProcessPool.builder().workers(1).build()) {
            pool.socketDirectory = base;
            assertThat(pool.remote(WorkerTasks::pid).call()).isPositive();
            assertThat(base).isEmptyDirectory();
        }
        try (var broken = ProcessPool.builder().workers(1).jvmOptions("-Xmx1k").build()) {
            broken.socketDirectory = base;
            assertThatThrownBy(() -> broken.remote(WorkerTasks::pid).call()).isInstanceOf(BrokenWorkerException.class);
            assertThat(base).isEmptyDirectory();
        }
        try (var slow = ProcessPool.builder().workers(1).startTimeout(java.time.Duration.ofMillis(1)).build()) {
            slow.socketDirectory = base;
            assertThatThrownBy(() -> slow.remote(WorkerTasks::pid).call()).isInstanceOf(BrokenWorkerException.class);
            assertThat(base).isEmptyDirectory();
        }
    }

    @Test
    void aParentThatExitsWhileAWorkerStartsLeavesNoSocketBehind(@TempDir Path base) throws Exception {
        // The socket and its directory were deleted only by the worker's driver, a daemon thread the exit stopped.
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process parent = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ExitingParent.class.getName(), base.toString())
                .redirectError(new java.io.File("target/exiting-parent.log")).start();
        long worker;
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(parent.getInputStream()))) {
            String first = out.readLine();
            assertThat(first).as("the parent's first line").startsWith("worker ");
            worker = Long.parseLong(first.substring("worker ".length()));
        }
        try {
            assertThat(parent.waitFor()).isZero();
            assertThat(base).isEmptyDirectory();
        } finally {
            ProcessHandle.of(worker).ifPresent(ProcessHandle::destroyForcibly);   // it waits for a debugger
        }
    }
}
