package org.aio4j;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UDP endpoint of a loop: what asyncio's {@code loop.create_datagram_endpoint} makes, its
 * {@code DatagramTransport} and a {@code DatagramProtocol}, in direct style. {@link Aio#createDatagramEndpoint}
 * opens one; a task {@linkplain #receive() receives} the datagrams that come to it, in the order they came, and
 * {@linkplain #sendTo(byte[], InetSocketAddress) sends} its own without waiting.
 *
 * <pre>{@code
 * try (var server = Aio.createDatagramEndpoint("127.0.0.1", 9999)) {
 *     while (true) {
 *         var d = server.receive();                   // datagram_received(data, addr)
 *         server.sendTo(d.data(), d.address());       // transport.sendto(data, addr)
 *     }
 * }
 * }</pre>
 *
 * <p><b>Receiving.</b> A virtual thread of its own blocks in the socket's receive and hands each datagram to the
 * loop, where it waits for a {@link #receive()}. At most {@link #RECEIVE_BUFFER} datagrams wait so; beyond them the
 * thread stops receiving until a task takes one, and what comes meanwhile waits in the system's socket buffer, or is
 * dropped by the system once that is full, as UDP may drop any datagram. (asyncio's protocol is handed every datagram
 * at once and keeps what it likes.) A datagram handed to a receiving task that is cancelled at that moment is not
 * lost: the next {@code receive} gets it. An error the socket reports while receiving or sending (an ICMP <i>port
 * unreachable</i> for a connected endpoint, a datagram too large for the network) is asyncio's
 * {@code error_received}: it is thrown by the {@code receive} that comes to it in the order of the datagrams, and the
 * endpoint stays open.
 *
 * <p><b>Sending.</b> {@link #sendTo} copies the datagram, queues it and returns at once, as asyncio's
 * {@code sendto} does; a thread of the endpoint's own sends the queue in order. {@link #writeBufferSize()} is the
 * bytes queued and not yet sent (asyncio's {@code get_write_buffer_size()}).
 *
 * <p><b>Closing.</b> {@link #close()} (or the loop's close) drops the datagrams not yet received, wakes the tasks
 * waiting in {@code receive} with {@link ClosedChannelException}, and closes the socket once the datagrams queued
 * before it are sent (asyncio's {@code close()}). The loop's close closes an endpoint left open the same way, and
 * returns once the datagrams queued are sent: a program that sent a datagram and ended has sent it, as under asyncio,
 * whose {@code sendto} hands it to the system at once. A task that waits in {@code receive} waits for I/O: it is
 * neither reported as deadlocked nor a reason for a virtual clock to jump, as a stream read is not.
 *
 * <p>Not provided: {@code reuse_port}, {@code allow_broadcast}, Unix-domain datagram sockets, and the
 * protocol's {@code connection_made}/{@code connection_lost} callbacks (the endpoint is open when
 * {@code createDatagramEndpoint} returns, and closed once {@code close()} has been called).
 *
 * <p>Like asyncio's transports, an endpoint is a loop object, not thread-safe: every method must be called on the
 * thread holding its loop (a task or a callback of it), else it throws {@link IllegalStateException}; from another
 * thread, go through {@link EventLoop#callSoonThreadsafe}.
 */
public final class DatagramEndpoint extends LoopBound implements AutoCloseable {

    /** The most datagrams received and not yet taken by a {@link #receive()} before the endpoint stops receiving. */
    public static final int RECEIVE_BUFFER = 256;

    /** The largest UDP payload over IPv4 (65,535 bytes less the IPv4 and UDP headers). */
    static final int MAX_IPV4_PAYLOAD = 65_507;
    /** The largest UDP payload over IPv6 without jumbograms (65,535 bytes less the UDP header). */
    static final int MAX_IPV6_PAYLOAD = 65_527;

    private static final ThreadFactory THREADS = Schedulers.sharedThreads("aio4j-datagram-io", -1);

    /**
     * One datagram received: its bytes and the address it came from (asyncio's {@code datagram_received(data,
     * addr)}). The array is the datagram's own, not shared with anything else.
     *
     * @param data    the datagram's bytes
     * @param address the address of the endpoint that sent it
     */
    public record Datagram(byte[] data, InetSocketAddress address) {

        /**
         * A datagram.
         *
         * @throws NullPointerException if {@code data} or {@code address} is null
         */
        public Datagram {
            Objects.requireNonNull(data, "data must not be null");
            Objects.requireNonNull(address, "address must not be null");
        }

        @Override
        public String toString() {
            return "Datagram[" + data.length + " bytes from " + address + "]";
        }
    }

    /**
     * A send's failure, posted by the sending thread among the datagrams (error_received): unlike what the receiving
     * thread posts, it took no place among {@link #RECEIVE_BUFFER}, so its receive gives none back.
     */
    private record SendError(IOException error) {
    }

    /** A datagram to send, or {@link #CLOSE}. */
    private record Outgoing(ByteBuffer data, SocketAddress to) {
    }

    private static final Outgoing CLOSE = new Outgoing(null, null);

    private final EventLoop loop;
    private final DatagramChannel channel;
    private final InetSocketAddress local;
    /** The address of a connected endpoint, or null. */
    private final InetSocketAddress remote;
    /**
     * On the loop: what the threads brought, in order: a {@link Datagram} or an {@link IOException} from the receiving
     * thread, a {@link SendError} from the sending one.
     */
    private final Queue<Object> received = new Queue<>().reportedAs(this);
    /** Room for what the receiving thread may bring: it takes one before each receive, a task's take gives it back. */
    private final java.util.concurrent.Semaphore room;
    private final LinkedBlockingQueue<Outgoing> outgoing = new LinkedBlockingQueue<>();
    private final AtomicLong unsentBytes = new AtomicLong();
    /** The datagrams the sending thread has sent (or failed to): the loop's close sees that they move. */
    private volatile long sent;
    /** Set once by {@link #close()} or the loop's close ({@link LoopCloser}); after it the threads end. */
    private final AtomicBoolean shut = new AtomicBoolean();
    /** On the loop: {@link #close()} was called, or the loop was closed. */
    private boolean closing;
    private final OpenStreams.Closer closer = new LoopCloser();
    private final String description;
    private final Thread receiver;
    private final Thread sender;

    private DatagramEndpoint(EventLoop loop, DatagramChannel channel, int receiveBuffer) throws IOException {
        this.loop = loop;
        this.channel = channel;
        this.local = (InetSocketAddress) channel.getLocalAddress();
        this.remote = (InetSocketAddress) channel.getRemoteAddress();
        this.room = new java.util.concurrent.Semaphore(receiveBuffer);
        this.description = "UDP endpoint " + local + (remote != null ? " -> " + remote : "");
        this.receiver = THREADS.newThread(this::receiveLoop);
        this.sender = THREADS.newThread(this::sendLoop);
    }

    /**
     * {@link Aio#createDatagramEndpoint}: from a task, opens the socket on a thread of its own (the names are
     * resolved there) and returns the endpoint, its threads started; {@code receiveBuffer} is
     * {@link #RECEIVE_BUFFER} but in tests.
     */
    static DatagramEndpoint create(String localHost, int localPort, String remoteHost, int remotePort,
                                   int receiveBuffer) throws IOException {
        String method = "createDatagramEndpoint";
        if (localPort < 0 || localPort > 65535) {
            throw new IllegalArgumentException(method + "(): localPort must be in 0..65535, got " + localPort);
        }
        if (remoteHost != null && (remotePort < 1 || remotePort > 65535)) {
            throw new IllegalArgumentException(method + "(): remotePort must be in 1..65535, got " + remotePort);
        }
        EventLoop loop = Aio.runningLoop();
        loop.taskAwaiting(method, "Aio." + method + "()");
        DatagramChannel ch;
        try {
            ch = Streams.offload(loop, () -> open(localHost, localPort, remoteHost, remotePort),
                    Streams::closeQuietly);
        } catch (IOException e) { // made on the opening thread
            throw ThrownHere.copyOf(e);
        }
        DatagramEndpoint ep;
        try {
            ep = new DatagramEndpoint(loop, ch, receiveBuffer);
        } catch (IOException | RuntimeException e) {
            Streams.closeQuietly(ch);
            throw e;
        }
        ep.check("create"); // binds it to the loop
        loop.openStreams.add(ep.closer);
        ep.receiver.start();
        ep.sender.start();
        return ep;
    }

    /** On the opening thread: a socket bound to the local address and, if a remote host is given, connected. */
    private static DatagramChannel open(String localHost, int localPort, String remoteHost, int remotePort)
            throws IOException {
        InetSocketAddress remote = remoteHost == null ? null
                : new InetSocketAddress(InetAddress.getByName(remoteHost), remotePort);
        InetSocketAddress local = localHost == null ? new InetSocketAddress(localPort)
                : new InetSocketAddress(InetAddress.getByName(localHost), localPort);
        DatagramChannel ch = DatagramChannel.open();
        try {
            ch.bind(local);
            if (remote != null) {
                ch.connect(remote);
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            Streams.closeQuietly(ch);
            throw e;
        }
    }

    /**
     * Suspends the calling task until a datagram comes, and returns it; one that came already is returned at once.
     * Datagrams come in the order the socket received them, each to one caller; tasks waiting at once are served in
     * the order they began to wait.
     *
     * @return the next datagram
     * @throws ClosedChannelException if the endpoint is closed, or closes while the task waits
     * @throws IOException            an error the socket reported since the datagram before (asyncio's
     *                                {@code error_received}, for example a {@link java.net.PortUnreachableException}
     *                                of a connected endpoint whose peer has no socket on its port): thrown once, in
     *                                its place among the datagrams; the endpoint stays open
     * @throws CancellationException  if the calling task is cancelled while it waits (no datagram is lost)
     * @throws IllegalStateException  if not called from a task of the endpoint's loop
     */
    public Datagram receive() throws IOException {
        EventLoop l = check("receive");
        Object item;
        if (!received.empty()) {
            item = received.getNowait();
        } else {
            if (closing) {
                throw closed();
            }
            waitingTask(l, "receive"); // throws unless a task calls
            Object[] got = new Object[1];
            try {
                whileInFlight(l, InFlight.ioWait("a receive on", this), () -> got[0] = received.get());
            } catch (QueueShutDownException e) {
                throw closed();
            }
            item = got[0];
        }
        if (item instanceof SendError(IOException e)) {
            throw ThrownHere.copyOf(e); // posted by the sending thread: it took no room
        }
        room.release();
        if (item instanceof IOException e) {
            throw ThrownHere.copyOf(e);
        }
        return (Datagram) item;
    }

    private ClosedChannelException closed() {
        var e = new ClosedChannelException();
        e.initCause(new IllegalStateException(this + " is closed"));
        return e;
    }

    /**
     * Sends {@code data} to the endpoint's remote address: asyncio's {@code transport.sendto(data)} on an endpoint
     * made with a {@code remote_addr}. As {@link #sendTo(byte[], InetSocketAddress)}.
     *
     * @param data the datagram (copied: the array may change once this returns)
     * @throws IllegalArgumentException if the endpoint is not connected (give an address), or {@code data} is larger
     *                                  than a UDP datagram can be
     * @throws IllegalStateException    if the endpoint is closed, or the calling thread does not hold its loop
     * @throws NullPointerException     if {@code data} is null
     */
    public void sendTo(byte[] data) {
        sendTo(data, null);
    }

    /**
     * Queues {@code data} to be sent to {@code address} and returns at once: asyncio's
     * {@code transport.sendto(data, addr)}. Datagrams are sent in the order they were queued; one the system
     * refuses (too large for the network, no route) is reported by a later {@link #receive()}, as asyncio reports it
     * to {@code error_received}. An empty datagram is sent as one.
     *
     * @param data    the datagram (copied: the array may change once this returns)
     * @param address where to send it: a resolved address, or null for a connected endpoint's remote address
     * @throws IllegalArgumentException if {@code address} is unresolved; if the endpoint is connected and
     *                                  {@code address} is another than its remote one (asyncio's
     *                                  {@code ValueError: Invalid address}), or not connected and {@code address} is
     *                                  null; if {@code data} is larger than a UDP datagram to that address can be
     *                                  (65,507 bytes over IPv4, 65,527 over IPv6)
     * @throws IllegalStateException    if the endpoint is closed, or the calling thread does not hold its loop
     * @throws NullPointerException     if {@code data} is null
     */
    public void sendTo(byte[] data, InetSocketAddress address) {
        check("sendTo");
        Objects.requireNonNull(data, "data must not be null");
        InetSocketAddress to = address == null ? remote : address;
        if (to == null) {
            throw new IllegalArgumentException("sendTo(): " + this + " is not connected: give the address to send to");
        }
        if (remote != null && !remote.equals(to)) {
            throw new IllegalArgumentException("sendTo(): invalid address " + address + ": " + this
                    + " is connected, so the address must be null or " + remote);
        }
        if (to.isUnresolved()) {
            throw new IllegalArgumentException("sendTo(): the address " + to + " is unresolved: resolve the host"
                    + " first (InetAddress.getByName in Aio.toThread)");
        }
        int max = to.getAddress() instanceof Inet4Address ? MAX_IPV4_PAYLOAD : MAX_IPV6_PAYLOAD;
        if (data.length > max) {
            throw new IllegalArgumentException("sendTo(): a UDP datagram to " + to + " holds at most " + max
                    + " bytes, got " + data.length);
        }
        if (closing || shut.get()) {
            throw new IllegalStateException("sendTo(): " + this + " is closed");
        }
        unsentBytes.addAndGet(data.length);
        outgoing.add(new Outgoing(ByteBuffer.wrap(data.clone()), to));
    }

    /**
     * The bytes queued by {@link #sendTo} and not yet sent: asyncio's {@code get_write_buffer_size()}. Thread-safe.
     *
     * @return a number of bytes, 0 when everything queued is sent
     */
    public long writeBufferSize() {
        return unsentBytes.get();
    }

    /**
     * The address the endpoint is bound to: asyncio's {@code get_extra_info('sockname')}. Its port is the one the
     * system chose if the endpoint was opened with port 0. Thread-safe.
     *
     * @return the local address
     */
    public InetSocketAddress localAddress() {
        return local;
    }

    /**
     * The address a connected endpoint sends to and receives from: asyncio's {@code get_extra_info('peername')}.
     * Thread-safe.
     *
     * @return the remote address, or null if the endpoint was opened without one
     */
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    /**
     * Closes the endpoint: asyncio's {@code transport.close()}. The datagrams not yet received are dropped, tasks
     * waiting in {@link #receive()} wake with {@link ClosedChannelException}, and the socket is closed once the
     * datagrams queued before are sent. Does nothing if it is closed already.
     *
     * @throws IllegalStateException if the calling thread does not hold the endpoint's loop
     */
    @Override
    public void close() {
        check("close");
        if (closing) {
            return;
        }
        closing = true;
        received.shutdown(true);
        endThreads();
    }

    /** From any thread: the sending thread ends once what was queued before is sent, the receiving thread at once. */
    private void endThreads() {
        if (shut.compareAndSet(false, true)) {
            outgoing.add(CLOSE);
            room.release(Integer.MAX_VALUE / 2); // the receiving thread, waiting for room, ends
        }
    }

    /**
     * Whether {@link #close()} was called (or the loop's close closed it): asyncio's {@code is_closing()}.
     *
     * @return whether the endpoint is closed or closing
     * @throws IllegalStateException if the calling thread does not hold the endpoint's loop
     */
    public boolean isClosing() {
        check("isClosing");
        return closing || shut.get();
    }

    // ---- the endpoint's threads

    private void receiveLoop() {
        ByteBuffer buffer = ByteBuffer.allocate(65_536); // a datagram longer than this is cut by the system
        try {
            while (true) {
                room.acquire();
                if (shut.get()) {
                    return;
                }
                buffer.clear();
                Object item;
                try {
                    SocketAddress from = channel.receive(buffer);
                    item = new Datagram(Arrays.copyOf(buffer.array(), buffer.position()), (InetSocketAddress) from);
                } catch (ClosedChannelException e) {
                    return; // closed: by close() once everything is sent, or by the loop's close
                } catch (IOException e) {
                    item = e; // error_received: reported in its place, the endpoint stays open
                }
                Object it = item;
                if (!loop.post(new Handle((Runnable) () -> delivered(it), null))) {
                    return; // the loop is closed (and closes the endpoint)
                }
            }
        } catch (InterruptedException e) {
            // not interrupted but by the JDK's own shutdown: nothing to hand over
        }
    }

    /** On the loop: what the receiving thread brought waits for a receive, unless the endpoint is closed. */
    void delivered(Object item) {
        if (!closing) {
            received.putNowait(item);
        }
    }

    private void sendLoop() {
        try {
            while (true) {
                Outgoing o = outgoing.take();
                if (o == CLOSE) {
                    closeChannel();
                    return;
                }
                int size = o.data().remaining();
                try {
                    channel.send(o.data(), o.to());
                } catch (ClosedChannelException e) {
                    return;
                } catch (IOException | RuntimeException e) { // a refusal of the system's or of the JDK's
                    IOException error = e instanceof IOException io ? io : new IOException(e.toString(), e);
                    loop.post(new Handle((Runnable) () -> delivered(new SendError(error)), null)); // error_received
                } finally {
                    unsentBytes.addAndGet(-size);
                    sent++; // this thread alone writes it
                }
            }
        } catch (InterruptedException e) {
            closeChannel();
        }
    }

    /** Closes the socket, which the loop's close then need not do. */
    private void closeChannel() {
        loop.openStreams.remove(closer);
        Streams.closeQuietly(channel);
    }

    /**
     * The loop's close ({@link OpenStreams#closeAll}), on the closing thread: the datagrams already queued by
     * {@link #sendTo} are sent (asyncio's {@code sendto} hands a datagram to the system before it returns, so a
     * program that sent and then ended has sent it), then the socket closes, which ends the receiving thread. The
     * datagrams not yet received are dropped, as by {@link #close()}.
     */
    private final class LoopCloser implements OpenStreams.Closer {

        @Override
        public void flushBeforeClose() {
            endThreads();
        }

        @Override
        public boolean flushing() {
            return sender.isAlive();
        }

        @Override
        public long flushProgress() {
            return sent;
        }

        @Override
        public void awaitFlushed(long nanos) throws InterruptedException {
            sender.join(java.time.Duration.ofNanos(nanos));
        }

        @Override
        public void closeNow() {
            endThreads();
            // The loop is closed: nothing runs on it any more, so this thread drops what was not received.
            closing = true;
            received.shutdown(true);
            closeChannel(); // if the sending thread has not sent everything (interrupted), the rest is dropped
        }
    }

    /** How many datagrams (and errors) wait for a receive (for tests). */
    int buffered() {
        return received.qsize();
    }

    /** The places among {@link #RECEIVE_BUFFER} that nobody holds (for tests). */
    int freeRoom() {
        return room.availablePermits();
    }

    /** Whether the socket is open (for tests). */
    boolean isOpen() {
        return channel.isOpen();
    }

    /** The endpoint's threads (for tests: they end once it is closed). */
    java.util.List<Thread> threads() {
        return java.util.List.of(receiver, sender);
    }

    @Override
    public String toString() {
        return description + (shut.get() ? " (closed)" : "");
    }
}
