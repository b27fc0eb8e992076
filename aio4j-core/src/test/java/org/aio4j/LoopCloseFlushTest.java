package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The loop's close sends what was written to the connections still open before it closes them (OpenStreams.closeAll):
 * a program that writes and ends has sent what it wrote, as under asyncio. Each peer is a plain socket of this test,
 * read on a platform thread.
 */
class LoopCloseFlushTest {

    private static final String HOST = "127.0.0.1";

    /** Accepts one connection on {@code server} and reads it to its end; the bytes, or an error's text. */
    private static Thread readAll(ServerSocket server, AtomicReference<byte[]> got) {
        return Thread.ofPlatform().start(() -> {
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                got.set(in.readAllBytes());
            } catch (Exception e) {
                got.set(("ERROR " + e).getBytes());
            }
        });
    }

    private static byte[] payload(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }

    /**
     * A client writes 400 KB in 1 KB pieces, closes, and the program ends at once: every byte reaches the peer. It
     * lost the tail in 14 runs of 20: the loop's close closed the socket under the writing thread.
     */
    @Test
    void whatAClientWroteBeforeClosingIsSentWhenTheProgramEnds() throws Exception {
        byte[] data = payload(400_000);
        for (boolean closeIt : new boolean[] {true, false}) {
            try (var server = new ServerSocket(0)) {
                var got = new AtomicReference<byte[]>();
                Thread peer = readAll(server, got);
                Aio.run(() -> {
                    var pair = Aio.openConnection(HOST, server.getLocalPort());
                    for (int off = 0; off < data.length; off += 1000) {
                        pair.writer().write(Arrays.copyOfRange(data, off, off + 1000));
                    }
                    if (closeIt) {
                        pair.writer().close();
                    }
                    return null; // no drain(), no waitClosed(): left open when closeIt is false
                });
                peer.join();
                assertThat(got.get()).as(closeIt ? "closed" : "left open").isEqualTo(data);
            }
        }
    }

    /**
     * A peer that reads nothing cannot hold the program's end for ever: once the writing thread has sent nothing for a
     * while, the loop's close closes the connection and drops the rest: here most of 64 MiB, more than the system's
     * buffers hold (the peer's receive buffer is set small, which also stops the system from growing it: it grew to
     * take all 64 MiB once).
     */
    @Test
    void aPeerThatTakesNothingDoesNotHoldTheLoopsClose() throws Exception {
        int size = 64 << 20;
        try (var server = new ServerSocket()) {
            server.setReceiveBufferSize(64 * 1024); // before bind: the accepted socket has it from the start
            server.bind(new java.net.InetSocketAddress(HOST, 0));
            var accepted = new AtomicReference<Socket>();
            Thread acceptor = Thread.ofPlatform().start(() -> {
                try {
                    accepted.set(server.accept());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Aio.run(() -> {
                var pair = Aio.openConnection(HOST, server.getLocalPort());
                pair.writer().write(new byte[size]);
                return null;
            });
            acceptor.join();
            long read = 0;
            try (Socket s = accepted.get(); InputStream in = s.getInputStream()) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) >= 0; ) { // to the end the close sent
                    read += n;
                }
            } catch (java.net.SocketException reset) {
                // the close reset the connection: as good an end
            }
            assertThat(read).isLessThan(size);
        }
    }

    /** Several connections flush at once: the loop's close waits for all of them together, and loses nothing. */
    @Test
    void severalConnectionsAreFlushedTogether() throws Exception {
        int connections = 8;
        byte[] data = payload(200_000);
        var servers = new ServerSocket[connections];
        var peers = new Thread[connections];
        var got = new AtomicReference[connections];
        try {
            for (int i = 0; i < connections; i++) {
                servers[i] = new ServerSocket(0);
                got[i] = new AtomicReference<byte[]>();
                @SuppressWarnings("unchecked")
                AtomicReference<byte[]> slot = got[i];
                peers[i] = readAll(servers[i], slot);
            }
            Aio.run(() -> {
                var writers = new ArrayList<StreamWriter>();
                for (ServerSocket server : servers) {
                    writers.add(Aio.openConnection(HOST, server.getLocalPort()).writer());
                }
                for (int off = 0; off < data.length; off += 1000) { // in turns, 1 KB to each
                    for (StreamWriter w : writers) {
                        w.write(Arrays.copyOfRange(data, off, off + 1000));
                    }
                }
                return null;
            });
            for (int i = 0; i < connections; i++) {
                peers[i].join();
                assertThat((byte[]) got[i].get()).as("connection %d", i).isEqualTo(data);
            }
        } finally {
            for (ServerSocket s : servers) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    /**
     * A peer that reads slowly but steadily (about 4 MB/s, behind a receive buffer of 64 KiB) gets all of 4 MiB. The
     * writing thread, blocked on a full send buffer, is woken only once a third of it has drained, a gap of about
     * 0.3 s here: a close that gave up after 250 ms without progress cut the tail (read 4,063,232 of 4,194,304 at
     * 1.6 MB/s). The reader's pause sets its pace; it synchronises nothing.
     */
    @Test
    void aPeerThatReadsSlowlyButSteadilyGetsEverything() throws Exception {
        int size = 4 << 20;
        try (var server = new ServerSocket()) {
            server.setReceiveBufferSize(64 * 1024);
            server.bind(new java.net.InetSocketAddress(HOST, 0));
            var read = new java.util.concurrent.atomic.AtomicLong();
            Thread peer = Thread.ofPlatform().start(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buffer = new byte[8 * 1024];
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        read.addAndGet(n);
                        java.util.concurrent.locks.LockSupport.parkNanos(2_000_000); // its pace: 8 KiB per 2 ms
                    }
                } catch (Exception e) {
                    // counted what came
                }
            });
            byte[] data = payload(64 * 1024);
            Aio.run(() -> {
                var pair = Aio.openConnection(HOST, server.getLocalPort());
                for (int off = 0; off < size; off += data.length) {
                    pair.writer().write(data);
                }
                return null;
            });
            peer.join();
            assertThat(read.get()).isEqualTo(size);
        }
    }
}
