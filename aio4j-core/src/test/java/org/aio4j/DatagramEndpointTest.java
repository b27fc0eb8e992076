package org.aio4j;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Aio.createDatagramEndpoint and DatagramEndpoint, over real UDP sockets on 127.0.0.1. */
class DatagramEndpointTest {

    private static final String HOST = "127.0.0.1";

    private static byte[] b(String s) {
        return s.getBytes(US_ASCII);
    }

    private static String s(DatagramEndpoint.Datagram d) {
        return new String(d.data(), US_ASCII);
    }

    @Test
    void twoEndpointsExchangeDatagramsEachWithItsSendersAddress() throws Exception {
        List<String> seen = Aio.run(() -> {
            try (var a = Aio.createDatagramEndpoint(HOST, 0); var b = Aio.createDatagramEndpoint(HOST, 0)) {
                a.sendTo(b("one"), b.localAddress());
                a.sendTo(new byte[0], b.localAddress());
                a.sendTo(b("three"), b.localAddress());
                var out = new ArrayList<String>();
                for (int i = 0; i < 3; i++) {
                    var d = b.receive();
                    assertThat(d.address()).isEqualTo(a.localAddress());
                    out.add(s(d));
                }
                b.sendTo(b("back"), a.localAddress());
                out.add(s(a.receive()));
                return out;
            }
        });
        assertThat(seen).containsExactly("one", "", "three", "back");
    }

    @Test
    void sendToCopiesTheDatagramAndCountsTheBytesNotYetSent() throws Exception {
        String got = Aio.run(() -> {
            try (var a = Aio.createDatagramEndpoint(HOST, 0); var b = Aio.createDatagramEndpoint(HOST, 0)) {
                byte[] data = b("before");
                a.sendTo(data, b.localAddress());
                assertThat(a.writeBufferSize()).isBetween(0L, 6L);
                System.arraycopy(b("AFTER!"), 0, data, 0, 6);
                String first = s(b.receive());
                while (a.writeBufferSize() != 0) { // the sending thread counts the datagram once it is sent
                    Aio.sleep(0);
                }
                return first;
            }
        });
        assertThat(got).isEqualTo("before");
    }

    @Test
    void aConnectedEndpointTalksToItsRemoteAddressAlone() throws Exception {
        Aio.run(() -> {
            try (var server = Aio.createDatagramEndpoint(HOST, 0);
                 var client = Aio.createDatagramEndpoint(null, 0, HOST, server.localAddress().getPort());
                 var other = Aio.createDatagramEndpoint(HOST, 0)) {
                assertThat(client.remoteAddress()).isEqualTo(server.localAddress());
                assertThat(server.remoteAddress()).isNull();
                client.sendTo(b("hello"));
                var d = server.receive();
                assertThat(s(d)).isEqualTo("hello");
                assertThat(d.address().getPort()).isEqualTo(client.localAddress().getPort());
                client.sendTo(b("again"), server.localAddress()); // its own remote address may be named
                assertThat(s(server.receive())).isEqualTo("again");
                assertThatThrownBy(() -> client.sendTo(b("x"), other.localAddress()))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("is connected, so the address must be null or "
                                + server.localAddress());
                // what another endpoint sends to it is not received: the server's answer is
                other.sendTo(b("stranger"), client.localAddress());
                server.sendTo(b("answer"), d.address());
                assertThat(s(client.receive())).isEqualTo("answer");
                assertThat(client.buffered()).isZero();
            }
            return null;
        });
    }

    @Test
    void aDatagramHandedToAReceiverCancelledAtThatMomentGoesToTheNextReceive() throws Exception {
        Aio.run(() -> {
            try (var ep = Aio.createDatagramEndpoint(HOST, 0)) {
                Task<DatagramEndpoint.Datagram> first = Aio.createTask(ep::receive);
                Aio.sleep(0); // first waits
                var d = new DatagramEndpoint.Datagram(b("kept"), new InetSocketAddress(HOST, 9));
                ep.delivered(d); // as the receiving thread's callback does: first is woken with it...
                first.cancel(); // ...and cancelled before it runs
                assertThatThrownBy(first::await).isInstanceOf(CancellationException.class);
                assertThat(ep.receive()).isSameAs(d);
            }
            return null;
        });
    }

    @Test
    void aReceiveCancelledWhileWaitingLosesNothingThatComesLater() throws Exception {
        Aio.run(() -> {
            try (var a = Aio.createDatagramEndpoint(HOST, 0); var b = Aio.createDatagramEndpoint(HOST, 0)) {
                Task<DatagramEndpoint.Datagram> waiting = Aio.createTask(b::receive);
                Aio.sleep(0);
                waiting.cancel();
                assertThatThrownBy(waiting::await).isInstanceOf(CancellationException.class);
                a.sendTo(b("later"), b.localAddress());
                assertThat(s(b.receive())).isEqualTo("later");
                // a timeout around a receive is a cancellation too
                assertThatThrownBy(() -> {
                    try (var t = Aio.timeout(Duration.ofMillis(1))) {
                        b.receive();
                    }
                }).isInstanceOf(TimeoutCancellationException.class);
                a.sendTo(b("after the timeout"), b.localAddress());
                assertThat(s(b.receive())).isEqualTo("after the timeout");
            }
            return null;
        });
    }

    @Test
    void aTaskWaitingInReceiveIsReportedWaitingOnTheEndpoint() throws Exception {
        Aio.run(() -> {
            try (var ep = Aio.createDatagramEndpoint(HOST, 0)) {
                Task<DatagramEndpoint.Datagram> waiting = Aio.createTask(ep::receive, "receiver");
                Aio.sleep(0);
                assertThat(Aio.getRunningLoop().dumpTasks())
                        .contains("receiver waits on UDP endpoint " + ep.localAddress()).doesNotContain("Queue[");
                waiting.cancel();
            }
            return null;
        });
    }

    @Test
    void closeWakesAWaitingReceiveAndClosesTheSocketOnceWhatWasQueuedIsSent() throws Exception {
        try (var peer = DatagramChannel.open().bind(new InetSocketAddress(HOST, 0))) {
            var peerAddress = (InetSocketAddress) peer.getLocalAddress();
            var endpoint = new AtomicReference<DatagramEndpoint>();
            Aio.run(() -> {
                var ep = Aio.createDatagramEndpoint(HOST, 0);
                endpoint.set(ep);
                Task<DatagramEndpoint.Datagram> waiting = Aio.createTask(ep::receive);
                Aio.sleep(0);
                for (int i = 0; i < 100; i++) {
                    ep.sendTo(b("queued " + i), peerAddress);
                }
                ep.close();
                assertThat(ep.isClosing()).isTrue();
                assertThatThrownBy(waiting::await).isInstanceOf(ClosedChannelException.class)
                        .cause().hasMessageContaining("is closed");
                assertThatThrownBy(ep::receive).isInstanceOf(ClosedChannelException.class);
                assertThatThrownBy(() -> ep.sendTo(b("too late"), peerAddress))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
                ep.close(); // a second close does nothing
                return null;
            });
            var buffer = ByteBuffer.allocate(100);
            for (int i = 0; i < 100; i++) {
                buffer.clear();
                peer.receive(buffer);
                assertThat(new String(buffer.array(), 0, buffer.position(), US_ASCII)).isEqualTo("queued " + i);
            }
            for (Thread t : endpoint.get().threads()) {
                t.join();
            }
            assertThat(endpoint.get().isOpen()).isFalse();
        }
    }

    @Test
    void theLoopsCloseClosesAnEndpointLeftOpen() throws Exception {
        var endpoint = new AtomicReference<DatagramEndpoint>();
        Aio.run(() -> {
            endpoint.set(Aio.createDatagramEndpoint(HOST, 0));
            return null;
        });
        for (Thread t : endpoint.get().threads()) {
            t.join();
        }
        assertThat(endpoint.get().isOpen()).isFalse();
    }

    /**
     * Datagrams queued by sendTo just before the program ends are sent: the loop's close, closing the endpoint left
     * open, returns once the sending thread has sent them and ended. The peer reads only after Aio.run returns, so
     * they must all have been handed to the system by then (150 small datagrams fit its receive buffer, asked for at
     * 1 MiB, and granted at least 2 × 208 KiB, Linux's smallest rmem_max).
     */
    @Test
    void theLoopsCloseSendsTheDatagramsQueuedBeforeItClosesAnEndpointLeftOpen() throws Exception {
        int count = 150;
        try (var peer = DatagramChannel.open()) {
            peer.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
            peer.bind(new InetSocketAddress(HOST, 0));
            var peerAddress = (InetSocketAddress) peer.getLocalAddress();
            var endpoint = new AtomicReference<DatagramEndpoint>();
            Aio.run(() -> {
                var ep = Aio.createDatagramEndpoint(HOST, 0);
                endpoint.set(ep);
                for (int i = 0; i < count; i++) {
                    ep.sendTo(b("last words " + i), peerAddress);
                }
                return null; // left open, its datagrams still queued
            });
            Thread sender = endpoint.get().threads().get(1);
            assertThat(sender.isAlive()).as("the sending thread, when Aio.run returns").isFalse();
            peer.socket().setSoTimeout(30_000); // a guard against a hang if one was lost, not a synchronisation
            var packet = new java.net.DatagramPacket(new byte[100], 100);
            for (int i = 0; i < count; i++) {
                peer.socket().receive(packet);
                assertThat(new String(packet.getData(), 0, packet.getLength(), US_ASCII)).isEqualTo("last words " + i);
            }
            endpoint.get().threads().get(0).join(); // the receiving thread ends as the socket closes
            assertThat(endpoint.get().isOpen()).isFalse();
        }
    }

    /**
     * The loop's close drops the datagrams not yet received, as close() does: a receive afterwards throws. It handed out
     * the datagram: what the close posted to do it was refused by the loop it closes.
     */
    @Test
    void theLoopsCloseDropsTheDatagramsNotYetReceived() throws Exception {
        var endpoint = new AtomicReference<DatagramEndpoint>();
        Aio.run(() -> {
            var ep = Aio.createDatagramEndpoint(HOST, 0);
            endpoint.set(ep);
            ep.delivered(new DatagramEndpoint.Datagram(b("left"), new InetSocketAddress(HOST, 9))); // as its thread does
            return null; // left open, a datagram not yet received
        });
        DatagramEndpoint ep = endpoint.get();
        assertThat(ep.isClosing()).isTrue();
        assertThat(ep.buffered()).isZero();
        assertThatThrownBy(ep::receive).isInstanceOf(ClosedChannelException.class);
    }

    /**
     * A send's failure, received as error_received, took no place among the receive buffer, so receiving it gives none
     * back: each one widened the bound by one. With a buffer of 1, the receiving thread holds at most its one place.
     */
    @Test
    void sendErrorsLeaveTheReceiveBufferAsItWas() throws Exception {
        int free = Aio.run(() -> {
            try (var b = DatagramEndpoint.create(HOST, 0, null, 0, 1)) {
                var nowhere = new InetSocketAddress(HOST, 0); // the system refuses to send to port 0
                for (int i = 0; i < 3; i++) {
                    b.sendTo(new byte[1], nowhere);
                    assertThatThrownBy(b::receive).isInstanceOf(java.net.SocketException.class);
                }
                return b.freeRoom();
            }
        });
        assertThat(free).as("places free, of 1 (the receiving thread may hold it)").isBetween(0, 1);
    }

    @Test
    void nothingListeningOnAConnectedEndpointsPortIsAnErrorOfTheNextReceiveAndTheEndpointStaysOpen() throws Exception {
        int freePort;
        try (var probe = DatagramChannel.open().bind(new InetSocketAddress(HOST, 0))) {
            freePort = ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        Aio.run(() -> {
            try (var ep = Aio.createDatagramEndpoint(HOST, 0, HOST, freePort)) {
                for (int round = 0; round < 2; round++) {
                    ep.sendTo(b("anyone?"));
                    assertThatThrownBy(ep::receive).isInstanceOf(PortUnreachableException.class)
                            .cause().isInstanceOf(PortUnreachableException.class); // the thread's, as its cause
                    assertThat(ep.isClosing()).isFalse();
                }
            }
            return null;
        });
    }

    @Test
    void theReceivingThreadStopsAtTheBufferAndLosesNothing() throws Exception {
        List<String> got = Aio.run(() -> {
            try (var a = Aio.createDatagramEndpoint(HOST, 0);
                 var b = DatagramEndpoint.create(HOST, 0, null, 0, 4)) {
                for (int i = 0; i < 40; i++) {
                    a.sendTo(b("d" + i), b.localAddress());
                }
                var out = new ArrayList<String>();
                for (int i = 0; i < 40; i++) {
                    assertThat(b.buffered()).isLessThanOrEqualTo(4);
                    out.add(s(b.receive()));
                    Aio.sleep(0);
                }
                return out;
            }
        });
        var expected = new ArrayList<String>();
        for (int i = 0; i < 40; i++) {
            expected.add("d" + i);
        }
        assertThat(got).isEqualTo(expected);
    }

    @Test
    void aReceiveWaitingForAnExternalPeerIsNotADeadlockNorLetsAVirtualClockJump() throws Exception {
        try (var peer = DatagramChannel.open().bind(new InetSocketAddress(HOST, 0))) {
            var peerAddress = (InetSocketAddress) peer.getLocalAddress();
            Thread echo = Thread.ofPlatform().start(() -> {
                try {
                    var buffer = ByteBuffer.allocate(100);
                    var from = peer.receive(buffer);
                    peer.send(buffer.flip(), from);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            String answer = Aio.run(() -> EventLoop.builder().virtualTime().build(), () -> {
                try (var ep = Aio.createDatagramEndpoint(HOST, 0)) {
                    ep.sendTo(b("ping"), peerAddress);
                    return s(Aio.waitFor(Aio.createTask(ep::receive), Duration.ofSeconds(10)));
                }
            });
            assertThat(answer).isEqualTo("ping");
            echo.join();
        }
    }

    @Test
    void badInputIsRefusedAtTheCallSite() throws Exception {
        assertThatThrownBy(() -> Aio.createDatagramEndpoint(HOST, 0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no running event loop");
        Aio.run(() -> {
            assertThatThrownBy(() -> Aio.createDatagramEndpoint(HOST, 65536))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("createDatagramEndpoint(): localPort must be in 0..65535, got 65536");
            assertThatThrownBy(() -> Aio.createDatagramEndpoint(HOST, 0, HOST, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("createDatagramEndpoint(): remotePort must be in 1..65535, got 0");
            assertThatThrownBy(() -> Aio.createDatagramEndpoint(HOST, 0, null, 53))
                    .isInstanceOf(NullPointerException.class).hasMessage("remoteHost must not be null");
            assertThatThrownBy(() -> Aio.createDatagramEndpoint("no-such-host.invalid", 0))
                    .isInstanceOf(java.net.UnknownHostException.class);
            try (var ep = Aio.createDatagramEndpoint(HOST, 0)) {
                assertThatThrownBy(() -> Aio.createDatagramEndpoint(HOST, ep.localAddress().getPort()))
                        .isInstanceOf(java.net.BindException.class);
                var somewhere = new InetSocketAddress(HOST, 9);
                assertThatThrownBy(() -> ep.sendTo(null, somewhere))
                        .isInstanceOf(NullPointerException.class).hasMessage("data must not be null");
                assertThatThrownBy(() -> ep.sendTo(b("x")))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("is not connected: give the address to send to");
                assertThatThrownBy(() -> ep.sendTo(b("x"), InetSocketAddress.createUnresolved("example.com", 9)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is unresolved");
                assertThatThrownBy(() -> ep.sendTo(new byte[65_508], somewhere))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("sendTo(): a UDP datagram to " + somewhere + " holds at most 65507 bytes, got"
                                + " 65508");
                var v6 = new InetSocketAddress(InetAddress.getByName("::1"), 9);
                assertThatThrownBy(() -> ep.sendTo(new byte[65_528], v6))
                        .hasMessageContaining("holds at most 65527 bytes");
                assertThat(ep.writeBufferSize()).isZero(); // nothing refused was queued
                var fromCallback = new AtomicReference<Throwable>();
                Aio.getRunningLoop().callSoon(() -> {
                    try {
                        ep.receive();
                    } catch (Throwable e) {
                        fromCallback.set(e);
                    }
                });
                Aio.sleep(0);
                assertThat(fromCallback.get()).isInstanceOf(IllegalStateException.class)
                        .hasMessage("DatagramEndpoint.receive cannot suspend in a callback: callbacks run on the loop and must"
                                + " not wait; schedule a task with createTask instead");
                var fromThread = new AtomicReference<Throwable>();
                Thread.ofPlatform().start(() -> {
                    try {
                        ep.sendTo(b("x"), somewhere);
                    } catch (Throwable e) {
                        fromThread.set(e);
                    }
                }).join();
                assertThat(fromThread.get()).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("DatagramEndpoint.sendTo");
            }
            return null;
        });
    }

    /**
     * Eight clients each make 200 round trips through an echo endpoint, their receives cancelled at random at any
     * point: every answer is received once, in order, whether by the receive that was cancelled or the next.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void roundTripsWithRandomlyCancelledReceivesLoseAndRepeatNoDatagram(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        int clients = 8;
        int rounds = 200;
        int[] cancelled = new int[1];
        int total = Aio.run(() -> {
            try (var echo = Aio.createDatagramEndpoint(HOST, 0)) {
                Task<Void> server = Aio.createTask(() -> {
                    while (true) {
                        var d = echo.receive();
                        echo.sendTo(d.data(), d.address());
                    }
                });
                var tasks = new ArrayList<Task<Integer>>();
                for (int c = 0; c < clients; c++) {
                    var random = new Random(seed + c);
                    tasks.add(Aio.createTask(() -> {
                        try (var ep = Aio.createDatagramEndpoint(null, 0, HOST, echo.localAddress().getPort())) {
                            int answered = 0;
                            for (int i = 0; i < rounds; i++) {
                                ep.sendTo(b(Integer.toString(i)));
                                Task<DatagramEndpoint.Datagram> r = Aio.createTask(ep::receive);
                                for (int turns = random.nextInt(3); turns > 0 && !r.isDone(); turns--) {
                                    Aio.sleep(0);
                                }
                                DatagramEndpoint.Datagram d;
                                if (random.nextInt(3) == 0 && r.cancel()) {
                                    cancelled[0]++;
                                    assertThatThrownBy(r::await).as(description)
                                            .isInstanceOf(CancellationException.class);
                                    d = ep.receive();
                                } else {
                                    d = r.await();
                                }
                                assertThat(s(d)).as(description).isEqualTo(Integer.toString(i));
                                answered++;
                            }
                            assertThat(ep.buffered()).as(description).isZero();
                            return answered;
                        }
                    }));
                }
                int sum = 0;
                for (var t : tasks) {
                    sum += t.await();
                }
                server.cancel();
                return sum;
            }
        });
        assertThat(total).as(description).isEqualTo(clients * rounds);
        assertThat(cancelled[0]).as(description).isPositive();
    }
}
