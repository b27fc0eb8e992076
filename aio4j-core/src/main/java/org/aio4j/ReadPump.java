package org.aio4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The reading half of a {@link StreamTransport}: a virtual thread of its own that blocks in the socket's
 * {@code read} and posts each chunk to the loop (asyncio's {@code data_received}, {@code eof_received}).
 *
 * <p>At most one chunk is on its way to the loop at a time: the thread reads again only once the loop has fed the
 * last one to the reader, so bytes never pile up in the loop's inbox; and it does not read while the reader has
 * paused it (asyncio's {@code pause_reading()}). The reader decides to pause on the loop, in the same callback that
 * hands the chunk over, before this thread may read again, so the reader's buffer holds at most its pause threshold
 * plus one chunk. (Its monitor does not pin the virtual thread: JDK 24 and later unmount one that waits.)
 */
final class ReadPump implements Runnable {

    /** The most bytes read from the socket at once. */
    static final int CHUNK = 64 * 1024;

    private final StreamTransport transport;
    private boolean paused;
    private boolean inTransit;
    private boolean stopped;
    /** It reads on, paused or not: a TLS close waits for the peer's end (see {@link #readToTheEnd()}). */
    private boolean toTheEnd;
    /** The thread is in (or about to be in) a read of the socket. */
    private boolean reading;
    /** What the TLS socket of an upgrade under way reads first (see {@link #handOver()}), or null. */
    private Consumed consumed;

    ReadPump(StreamTransport transport) {
        this.transport = transport;
    }

    @Override
    public void run() {
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        try {
            while (awaitTurn()) {
                chunk.clear();
                int n;
                try {
                    n = transport.in.read(chunk);
                } catch (IOException e) {
                    if (handedOver(e, null, false, false)) {
                        continue; // the upgrade's handshake fails with it
                    }
                    throw e;
                }
                byte[] data = n > 0 ? Arrays.copyOf(chunk.array(), n) : null;
                boolean dropped = n > 0 && transport.shuttingDown(); // read after a TLS close's close_notify
                if (handedOver(null, n < 0 ? null : data, dropped, n < 0) || dropped) {
                    continue; // the TLS socket of an upgrade reads it (its peer's first record), or it is dropped
                }
                if (n < 0) { // handedOver noted the end (StreamTransport.endRead)
                    transport.post(transport::eofReceived);
                    transport.endReadWhileShuttingDown();
                    return;
                }
                if (n > 0 && !transport.post(() -> transport.dataReceived(data))) {
                    return; // the loop is closed (and closes the connection)
                }
            }
        } catch (IOException e) {
            transport.abort(e); // ignored if the connection was closed already (then this is why read failed)
        } catch (InterruptedException e) {
            transport.abort(null);
        }
    }

    private synchronized boolean awaitTurn() throws InterruptedException {
        while (!stopped && ((paused && !toTheEnd) || inTransit || consumed != null)) {
            wait();
        }
        reading = !stopped;
        return !stopped;
    }

    /**
     * After a read: hands what it read ({@code data}, null for the {@code end} of the stream, or the error
     * {@code e}) to the upgrade under way and returns true; else notes the end, or marks {@code data} in transit to
     * the loop unless it is {@code dropped}, and returns false.
     */
    private synchronized boolean handedOver(IOException e, byte[] data, boolean dropped, boolean end) {
        reading = false;
        notifyAll(); // a failed write of the TLS socket waits for this read's outcome (see awaitReadOutcome)
        if (consumed != null) {
            consumed.complete(data, e);
            return true;
        }
        if (end) {
            transport.endRead(); // under the monitor: a failed write that waited for this read sees it
        }
        if (e == null && data != null && !dropped) {
            inTransit = true;
        }
        return false;
    }

    /**
     * On the loop, as {@code StreamWriter.startTls()} begins: what this thread reads from now on, or the chunk on its
     * way to the loop, is the TLS socket's (its peer may send its first record as soon as it has our answer), and the
     * thread then waits until {@link #resume()}. Returns the stream the TLS socket reads first.
     */
    synchronized Consumed handOver() {
        consumed = new Consumed();
        if (!reading && !inTransit) {
            consumed.complete(null, null); // the thread is not reading: nothing is taken from the socket
        }
        return consumed;
    }

    /**
     * On the loop: the chunk in transit, if an upgrade took it over; then it goes to the TLS socket, not the reader.
     */
    synchronized boolean takenOver(byte[] data) {
        if (consumed == null || consumed.isComplete()) {
            return false;
        }
        consumed.complete(data, null);
        inTransit = false;
        return true;
    }

    /** From the upgrading thread, its handshake made: the thread reads again, from the TLS socket. */
    synchronized void resume() {
        consumed = null;
        notifyAll();
    }

    /** On the loop: the chunk in transit was fed to the reader. */
    synchronized void delivered() {
        inTransit = false;
        notifyAll();
    }

    /**
     * From the writing thread, once a TLS close has sent its {@code close_notify}: the thread reads on to the end of
     * the stream, paused or not, dropping what it reads (see {@link StreamTransport#closeAfterWrites()}).
     */
    synchronized void readToTheEnd() {
        toTheEnd = true;
        notifyAll();
    }

    /**
     * From the writing thread of a TLS connection whose write failed: waits until the read in progress, if any, has
     * returned and its outcome is noted. The JDK answers a TLS 1.2 {@code close_notify} within the read that takes
     * it, closing its side there, so a write in progress fails before that read returns; the read then returns at
     * once with the end of the stream (any other failure of the TLS socket closes it, and the read fails as soon).
     */
    synchronized void awaitReadOutcome() {
        boolean interrupted = false;
        while (reading && !stopped) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether {@link #setPaused} last paused it (for tests). */
    synchronized boolean isPaused() {
        return paused;
    }

    /** On the loop: asyncio's {@code pause_reading()} / {@code resume_reading()}. */
    synchronized void setPaused(boolean pause) {
        paused = pause;
        notifyAll();
    }

    /** From any thread, once the channel is closed: the thread ends if it waits for its turn. */
    synchronized void stop() {
        stopped = true;
        if (consumed != null) {
            consumed.complete(null, new java.net.SocketException("Socket closed"));
        }
        notifyAll();
    }

    /**
     * The bytes the reading thread took from the socket once an upgrade to TLS began (none, or one chunk), which the
     * TLS socket reads before the socket's own stream: waits until they are known, then gives them and the end.
     */
    static final class Consumed extends java.io.InputStream {
        private boolean complete;
        private byte[] data;
        private int pos;
        private IOException error;

        synchronized void complete(byte[] bytes, IOException e) {
            if (complete) {
                return;
            }
            complete = true;
            data = bytes;
            error = e;
            notifyAll();
        }

        synchronized boolean isComplete() {
            return complete;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            while (!complete) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while upgrading to TLS");
                }
            }
            if (error != null) {
                throw error;
            }
            if (data == null || pos == data.length) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int n = Math.min(len, data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }
}
