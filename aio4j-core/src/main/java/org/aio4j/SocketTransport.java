package org.aio4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One connection of a loop: asyncio's socket transport and {@code StreamReaderProtocol} in one. It owns the socket
 * channel (in blocking mode), the {@link StreamReader} and {@link StreamWriter} over it, and the two virtual threads
 * that do the blocking I/O off the loop ({@link ReadPump}, {@link WritePump}); what they bring back reaches the loop
 * as posted callbacks, as {@link EventLoop#callSoonThreadsafe} would. Its threads are started on the JDK's scheduler,
 * not on a loop's dedicated carrier, which a blocked read would otherwise hold.
 *
 * <p>The connection is lost once, when the channel is closed: by {@link StreamWriter#close()} after the last byte is
 * written, by an I/O error of either thread, or by the loop's close. Then the reader sees the end of the stream (or
 * the error), the writer's {@code waitClosed()} returns, and both threads end.
 */
final class SocketTransport implements OpenSockets.Closer {

    private static final ThreadFactory THREADS = Schedulers.sharedThreads("aio4j-stream-io", -1);

    final EventLoop loop;
    final SocketChannel channel;
    final StreamReader reader;
    final StreamWriter writer;
    private final InetSocketAddress peer;
    private final InetSocketAddress local;
    private final ReadPump readPump = new ReadPump(this);
    private final WritePump writePump = new WritePump(this);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final java.util.function.Consumer<SocketTransport> onLost;
    private volatile Thread readThread;
    private volatile Thread writeThread;
    /** On the loop: the loss was processed (reader and writer know). */
    private boolean lost;

    /**
     * On the loop: a connection over {@code channel} (connected, in blocking mode) with a reader of {@code limit};
     * {@code onLost} runs on the loop once the connection is lost. Call {@link #start()} next.
     */
    SocketTransport(EventLoop loop, SocketChannel channel, int limit,
                    java.util.function.Consumer<SocketTransport> onLost) throws IOException {
        this.loop = loop;
        this.channel = channel;
        this.peer = (InetSocketAddress) channel.getRemoteAddress();
        this.local = (InetSocketAddress) channel.getLocalAddress();
        this.onLost = onLost;
        this.reader = new StreamReader(limit, this);
        this.writer = new StreamWriter(this);
    }

    /** On the loop: registers the connection with its loop and starts its threads. */
    void start() {
        loop.openSockets.add(this);
        readThread = THREADS.newThread(readPump);
        writeThread = THREADS.newThread(writePump);
        readThread.start();
        writeThread.start();
    }

    InetSocketAddress peer() {
        return peer;
    }

    InetSocketAddress local() {
        return local;
    }

    WritePump writePump() {
        return writePump;
    }

    /** The connection's two threads (for tests: they must end once the connection is closed). */
    Thread[] threads() {
        return new Thread[] {readThread, writeThread};
    }

    /** What a read waiting on this connection counts as while it is in flight: a new object for each wait. */
    Object readInFlight() {
        return InFlight.ioWait("a read from", this);
    }

    /** What a drain() or waitClosed() counts as while it is in flight: a new object for each wait. */
    Object writeInFlight() {
        return InFlight.ioWait("a write to", this);
    }

    /** From a pump: hands {@code callback} to the loop; false if the loop is closed, which closes the channel too. */
    boolean post(Runnable callback) {
        return loop.post(new Handle(callback, null));
    }

    // ---- on the loop, posted by the threads

    void dataReceived(byte[] data) {
        if (!lost) {
            reader.feedData(data);
        }
        readPump.delivered(); // after feedData, which may have paused reading: the thread then waits
    }

    void eofReceived() {
        if (!lost) {
            reader.feedEof();
        }
    }

    void drained() {
        writer.wakeDrainers();
    }

    void pauseReading() {
        readPump.setPaused(true);
    }

    void resumeReading() {
        readPump.setPaused(false);
    }

    private void connectionLost(IOException cause) {
        if (lost) {
            return;
        }
        lost = true;
        loop.openSockets.remove(this);
        if (cause != null) {
            reader.setException(cause);
        } else {
            reader.feedEof();
        }
        writer.connectionLost(cause);
        onLost.accept(this);
    }

    // ---- closing, from any thread

    /**
     * Closes the channel at once and ends both threads, dropping what is not written; the loss ({@code cause}, or
     * null for a close) is posted to the loop. Only the first call does anything: an error that the close itself
     * caused in a blocked thread is ignored.
     */
    void abort(IOException cause) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closed anyway
        }
        readPump.stop();
        writePump.stop();
        post(() -> connectionLost(cause));
    }

    @Override
    public void closeNow() {
        abort(null);
    }

    @Override
    public String toString() {
        return "connection " + local + " -> " + peer + (closed.get() ? " (closed)" : "");
    }
}
