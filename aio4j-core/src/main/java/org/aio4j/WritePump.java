package org.aio4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * The writing half of a {@link StreamTransport}: a virtual thread of its own that takes the bytes the loop queued
 * with {@link StreamWriter#write} and writes them to the socket, blocking as TCP requires. It then half-closes the
 * socket if {@link StreamWriter#writeEof()} asked for it, and closes the connection once everything queued before
 * {@link StreamWriter#close()} is written (asyncio's transports flush before they close, too).
 *
 * <p>The bytes queued and not yet written are the write buffer that {@link StreamWriter#drain()} watches. As
 * asyncio's flow control, writing is paused once a write takes the buffer above {@link #HIGH_WATER}, and resumed once
 * this thread has brought it down to {@link #LOW_WATER} (asyncio's transport defaults, 64 KiB and a quarter of it): a
 * drain suspends while writing is paused, however much is queued at the call, and this thread wakes it at the
 * resume.
 */
final class WritePump implements Runnable {

    static final int HIGH_WATER = 64 * 1024;
    static final int LOW_WATER = HIGH_WATER / 4;
    /** The most bytes handed to one write of the channel. */
    private static final int SLICE = 64 * 1024;

    private final StreamTransport transport;
    /** What {@link #nextToWrite} returns once the connection is closed. */
    private static final ByteBuffer STOPPED = ByteBuffer.allocate(0);
    /** The place in the queue of an upgrade to TLS: after the bytes queued before it, before those after. */
    private static final ByteBuffer UPGRADE = ByteBuffer.allocate(0);

    /** What the upgrade queued does, run by this thread in its turn (see {@link #requestUpgrade}). */
    interface Upgrade {
        void run() throws IOException;
    }

    private Upgrade upgrade;

    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private long queued;
    private boolean eofRequested;
    private boolean closeRequested;
    private boolean stopped;
    /**
     * Writing is paused (asyncio's {@code _protocol_paused}): a write took the buffer above the high-water mark, and
     * it has not yet been down to the low-water mark since.
     */
    private boolean paused;
    /** A drain() waits: post a wake-up once writing resumes. */
    private boolean drainWaiting;
    /** The bytes written so far. */
    private long written;
    /** Bytes written so far, also of a buffer being written: read by the loop's close to see that they move. */
    private volatile long progress;
    /** This thread is writing the buffer at the head of the queue: it leaves the queue once the write returns. */
    private boolean writing;
    /** Completed once the write in progress settles: see {@link #leftUnsentAfterWrite()}. */
    private CompletableFuture<Boolean> afterWrite;

    WritePump(StreamTransport transport) {
        this.transport = transport;
    }

    @Override
    public void run() {
        try {
            boolean eofDone = false;
            while (true) {
                ByteBuffer next = nextToWrite(eofDone);
                if (next == STOPPED) {
                    return;
                }
                if (next == UPGRADE) {
                    upgradeNow();
                } else if (next != null) {
                    int n = next.remaining();
                    int end = next.limit();
                    while (next.hasRemaining()) {
                        int before = next.remaining();
                        // A slice at a time: a stream's channel (TLS, a pipe) returns only once all it was given is
                        // written, and the loop's close watches the progress between writes.
                        next.limit(next.position() + Math.min(before, SLICE));
                        try {
                            transport.out.write(next);
                        } finally {
                            next.limit(end);
                        }
                        progress += before - next.remaining(); // this thread alone writes it
                    }
                    written(n);
                } else if (eofRequested && !eofDone) {
                    eofDone = true;
                    transport.halfClose();
                } else { // close requested, everything written
                    transport.closeAfterWrites();
                    return;
                }
            }
        } catch (IOException e) {
            CompletableFuture<Boolean> settled;
            synchronized (this) {
                settled = endWrite();
            }
            if (settled != null) {
                settled.complete(true); // the bytes of the failed write were not all sent
            }
            // ignored if the connection was closed already (then this is why write failed); a close over TLS once
            // the peer's end was read (see StreamTransport.writeFailure)
            transport.abort(transport.writeFailure(e));
        } catch (InterruptedException e) {
            transport.abort(null);
        }
    }

    /** Waits for work: the next bytes to write, null for an EOF or close to do, or {@link #STOPPED}. */
    private synchronized ByteBuffer nextToWrite(boolean eofDone) throws InterruptedException {
        while (!stopped && queue.isEmpty() && (eofDone || !eofRequested) && !closeRequested) {
            wait();
        }
        ByteBuffer next = stopped ? STOPPED : queue.peek();
        writing = next != null && next != STOPPED && next != UPGRADE;
        return next;
    }

    private void written(int n) {
        boolean wake;
        boolean sentAll;
        CompletableFuture<Boolean> settled;
        boolean left;
        synchronized (this) {
            if (stopped) {
                return; // stop() emptied the queue
            }
            queue.poll();
            queued -= n;
            written += n;
            settled = endWrite();
            left = queued > 0;
            wake = false;
            if (paused && queued <= LOW_WATER) { // asyncio's _maybe_resume_protocol
                paused = false;
                wake = drainWaiting;
                drainWaiting = false;
            }
            sentAll = queue.isEmpty();
        }
        if (settled != null) {
            settled.complete(left);
        }
        if (wake) {
            transport.post(transport::drained);
        } else if (sentAll && transport.hasPeerOnLoop()) {
            transport.loop.recheckWhenIdle(); // the peer's read may now wait for the loop alone: let it look again
        }
    }

    /** On the loop: queues {@code data} (which the caller no longer changes); dropped once the thread is stopped. */
    synchronized void add(byte[] data) {
        if (stopped) {
            return; // the connection is closed: nothing will write it, and it must not count as queued
        }
        queue.add(ByteBuffer.wrap(data));
        queued += data.length;
        if (queued > HIGH_WATER) { // asyncio's _maybe_pause_protocol
            paused = true;
        }
        notifyAll();
    }

    /**
     * On the loop, for drain(): whether writing is paused (see {@link #paused}); if so, a wake-up is posted once it
     * resumes, the buffer down to the low-water mark.
     */
    synchronized boolean mustDrain() {
        if (!paused) {
            return false;
        }
        drainWaiting = true; // not reset here: another task may wait in drain() already
        return true;
    }

    /**
     * On the loop: whether every byte queued is written, {@code received} bytes in all, and neither an EOF nor a
     * close is asked for: then nothing is on its way to the peer, which has read them all.
     */
    synchronized boolean sentAllOf(long received) {
        return !stopped && queue.isEmpty() && !eofRequested && !closeRequested && written == received;
    }

    /** The bytes queued and not yet written. */
    synchronized long queued() {
        return queued;
    }

    /**
     * Whether bytes are left to write, counting those of a write in progress as sent if that write returns: the
     * future completes at once if no write is in progress, otherwise when it returns (true if more is queued) or
     * fails (true). For a child's input pipe when the child exits: a write that the child read all of may return
     * only after its exit is seen, and its bytes, sent, are not left over.
     */
    synchronized CompletableFuture<Boolean> leftUnsentAfterWrite() {
        if (!writing || stopped) {
            return CompletableFuture.completedFuture(queued > 0);
        }
        if (afterWrite == null) {
            afterWrite = new CompletableFuture<>();
        }
        return afterWrite;
    }

    /**
     * Under the lock: the write in progress has ended; returns the future of {@link #leftUnsentAfterWrite()} to
     * complete once the lock is released (what depends on it may close the transport), or null.
     */
    private CompletableFuture<Boolean> endWrite() {
        writing = false;
        var f = afterWrite;
        afterWrite = null;
        return f;
    }

    /**
     * On the loop: run {@code step} on this thread once everything queued so far is written (asyncio's
     * {@code start_tls} after {@code drain()}), writing what is queued after it only then, to the TLS socket.
     */
    synchronized void requestUpgrade(Upgrade step) {
        upgrade = step;
        queue.add(UPGRADE);
        notifyAll();
    }

    private void upgradeNow() throws IOException {
        Upgrade step;
        synchronized (this) {
            if (stopped) {
                return;
            }
            queue.poll();
            step = upgrade;
            upgrade = null;
        }
        step.run();
    }

    /** On the loop: half-close once everything queued is written. */
    synchronized void requestEof() {
        eofRequested = true;
        notifyAll();
    }

    /** Bytes written so far, counted as each write returns (from any thread). */
    long progress() {
        return progress;
    }

    /** On the loop (or the thread closing it): close the connection once everything queued is written. */
    synchronized void requestClose() {
        closeRequested = true;
        notifyAll();
    }

    /** From any thread, once the channel is closed: the thread ends, dropping what is queued. */
    void stop() {
        CompletableFuture<Boolean> settled;
        synchronized (this) {
            stopped = true;
            queue.clear();
            queued = 0;
            paused = false;
            settled = endWrite();
            notifyAll();
        }
        if (settled != null) {
            settled.complete(false); // the transport is closed already: nothing more to decide
        }
    }
}
