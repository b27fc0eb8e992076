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

    ReadPump(StreamTransport transport) {
        this.transport = transport;
    }

    @Override
    public void run() {
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        try {
            while (awaitTurn()) {
                chunk.clear();
                int n = transport.in.read(chunk);
                if (n < 0) {
                    transport.endRead();
                    transport.post(transport::eofReceived);
                    return;
                }
                if (n > 0) {
                    byte[] data = Arrays.copyOf(chunk.array(), n);
                    setInTransit();
                    if (!transport.post(() -> transport.dataReceived(data))) {
                        return; // the loop is closed (and closes the connection)
                    }
                }
            }
        } catch (IOException e) {
            transport.abort(e); // ignored if the connection was closed already (then this is why read failed)
        } catch (InterruptedException e) {
            transport.abort(null);
        }
    }

    private synchronized boolean awaitTurn() throws InterruptedException {
        while (!stopped && (paused || inTransit)) {
            wait();
        }
        return !stopped;
    }

    private synchronized void setInTransit() {
        inTransit = true;
    }

    /** On the loop: the chunk in transit was fed to the reader. */
    synchronized void delivered() {
        inTransit = false;
        notifyAll();
    }

    /** On the loop: asyncio's {@code pause_reading()} / {@code resume_reading()}. */
    synchronized void setPaused(boolean pause) {
        paused = pause;
        notifyAll();
    }

    /** From any thread, once the channel is closed: the thread ends if it waits for its turn. */
    synchronized void stop() {
        stopped = true;
        notifyAll();
    }
}
