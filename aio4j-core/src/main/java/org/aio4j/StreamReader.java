package org.aio4j;

import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * The receiving end of a connection or of a child's output pipe: asyncio's {@code asyncio.StreamReader}, as
 * {@link Aio#openConnection}, {@link Aio#openUnixConnection}, a {@link Server}'s {@link ConnectionHandler} and a
 * {@link Subprocess} hand it out.
 *
 * <p>Bytes the peer sends are read off the loop, by a virtual thread of the stream's own, and added to this
 * reader's buffer on the loop; the read methods take them from the buffer and suspend the calling task while it does
 * not hold enough. A read that suspends resumes when bytes arrive, the peer ends the stream (EOF) or the connection
 * fails. Other tasks run meanwhile.
 *
 * <p><b>Limit and flow control.</b> The reader has a limit ({@value #DEFAULT_LIMIT} bytes unless given, as asyncio's
 * {@code limit}). {@link #readuntil} and {@link #readline} refuse a piece longer than the limit. While more than twice
 * the limit waits in the buffer, the connection's thread stops reading from the socket (asyncio's
 * {@code pause_reading()}), so a fast sender is held back by TCP instead of filling memory; it reads again once a
 * read has brought the buffer down to the limit, or when a read has to wait for more (as asyncio's
 * {@code _wait_for_data} resumes the transport).
 *
 * <p><b>Cancellation.</b> A read either returns its bytes or throws and takes none: a task cancelled while a read
 * waits throws {@link CancellationException} and leaves every byte in the buffer for the next read. (asyncio's
 * {@code read(-1)} loses the blocks it has read so far; this one does not.)
 *
 * <p><b>Errors.</b> If the connection failed (reset by the peer, say), every read throws that {@link IOException},
 * even with bytes left in the buffer, as asyncio's do: a copy of its class and message made in the reading task, so
 * that its stack trace shows where the task read, with the connection's own exception (the reading thread's stack)
 * as its cause. A read that was waiting when bytes came before the failure goes on with them, as asyncio's does: it
 * returns them if they are what it waits for, and throws the failure only if it would have to wait again (where
 * asyncio's waits for ever).
 *
 * <p><b>The loop's close.</b> The loop's close closes a connection still open (see {@link EventLoop#close()}): the
 * reader then keeps the bytes it had received, which reads still return, and sees the end of the stream after them
 * ({@link #atEof()} is true once they are read), as after any close. asyncio's {@code loop.close()} leaves its
 * transports open, their readers never told: the end is what a reader that can receive nothing more reports here.
 *
 * <p><b>Threads.</b> A loop object, like {@link Queue}: call it from a task of its loop (or while that loop is not
 * running); other threads throw {@link IllegalStateException}. Only one task at a time may wait for data: a second
 * read that has to wait while another waits throws {@link IllegalStateException}, as asyncio's
 * {@code RuntimeError} does. A read woken by data waits until its task resumes (asyncio's stops waiting at the
 * wake-up, and a second read that waits before the first resumes is never woken).
 */
public final class StreamReader extends LoopBound {

    /** The default limit, asyncio's {@code _DEFAULT_LIMIT}: 64 KiB. */
    public static final int DEFAULT_LIMIT = 64 * 1024;

    private static final byte[] EMPTY = {};
    private static final byte[] NEWLINE = {'\n'};
    /** {@link #NEWLINE} as the separators of {@code readline()}: one array for every call (never changed). */
    private static final byte[][] LINE_SEPARATORS = {NEWLINE};

    private final int limit;
    /** The connection feeding this reader, or null for a reader fed by hand (tests). */
    private final StreamTransport transport;
    private byte[] buf = new byte[1024];
    private int start;
    private int end;
    /** How many times bytes were taken from the buffer: tells {@link Lines} whether the line it found is still first. */
    private long takes;
    private boolean eof;
    private IOException exception;
    private Future<Boolean> waiter;
    /** The connection's thread was told to stop reading (asyncio's {@code _paused}). */
    private boolean paused;
    /** The most bytes the buffer ever held (for tests of flow control). */
    private int maxBuffered;

    StreamReader(int limit, StreamTransport transport) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be > 0, got " + limit);
        }
        this.limit = limit;
        this.transport = transport;
        check("new"); // bound to the loop that makes it: another thread is refused even before the first read
    }

    /** The stream it reads (for tests). */
    StreamTransport transport() {
        return transport;
    }

    // ---- fed by the connection, on the loop

    /** asyncio's {@code feed_data}: appends {@code data} and wakes a waiting read; pauses reading above 2 × limit. */
    void feedData(byte[] data) {
        check("feedData");
        if (eof) {
            throw new IllegalStateException("feedData after feedEof");
        }
        if (data.length == 0) {
            return;
        }
        append(data);
        maxBuffered = Math.max(maxBuffered, size());
        wakeWaiter();
        if (transport != null && !paused && size() > 2L * limit) {
            paused = true;
            transport.pauseReading();
        }
    }

    /** asyncio's {@code feed_eof}: the peer sent everything; waiting and later reads see the end. */
    void feedEof() {
        check("feedEof");
        ended();
    }

    /**
     * {@link #feedEof()} unchecked, for the connection's loss, which the loop's close delivers on its own thread (that
     * thread may hold another loop, which the check would refuse).
     */
    void ended() {
        eof = true;
        wakeWaiter();
    }

    /** asyncio's {@code set_exception}: the connection failed; every read throws {@code e} from now on. */
    void setException(IOException e) {
        check("setException");
        failed(e);
    }

    /** {@link #setException} unchecked, for the connection's loss (see {@link #ended()}). */
    void failed(IOException e) {
        exception = e;
        Future<Boolean> w = waiter;
        if (w != null && !w.isDone()) {
            w.complete(Boolean.FALSE); // woken by the failure; one woken by bytes before it keeps them
        }
    }

    /** How many bytes wait in the buffer. */
    int bufferedSize() {
        return size();
    }

    /** The most bytes the buffer ever held. */
    int maxBuffered() {
        return maxBuffered;
    }

    int limit() {
        return limit;
    }

    // ---- reads

    /**
     * Reads at most {@code n} bytes, or with {@code n == -1} everything up to the end of the stream: asyncio's
     * {@code read(n)}. With {@code n > 0} it returns what the buffer holds, up to {@code n} bytes, and suspends only
     * while the buffer is empty and the stream has not ended; with {@code -1} it suspends until the end of the stream.
     *
     * @param n the most bytes to read, 0 (returns an empty array at once), or -1 for everything up to the end
     * @return the bytes read; empty if the stream has ended and the buffer is empty (asyncio's {@code b''})
     * @throws IOException              if the connection failed
     * @throws CancellationException    if the task is cancelled while it waits (no byte is taken)
     * @throws IllegalArgumentException if {@code n < -1}
     * @throws IllegalStateException    if it has to wait and is not called from a task, if another task is waiting
     *                                  for data from this reader, or if called on a thread that does not hold its loop
     */
    public byte[] read(int n) throws IOException {
        EventLoop l = check("read()");
        if (n < -1) {
            throw new IllegalArgumentException("read(n): n must be >= -1 (-1 reads to the end), got " + n);
        }
        throwIfFailed();
        if (n == 0) {
            return EMPTY;
        }
        if (n == -1) {
            while (!eof) {
                waitForData(l, "read()");
            }
            throwIfFailed(); // as asyncio's, whose last read(limit) looks at the failure first
            return take(size());
        }
        if (size() == 0 && !eof) {
            waitForData(l, "read()");
        }
        return take(Math.min(n, size()));
    }

    /**
     * Reads everything up to the end of the stream: asyncio's {@code read()} (its {@code n} defaults to -1), the same
     * as {@link #read(int) read(-1)}.
     *
     * @return the bytes read; empty if the stream had ended and the buffer was empty
     * @throws IOException           if the connection failed
     * @throws CancellationException if the task is cancelled while it waits (no byte is taken)
     * @throws IllegalStateException as {@link #read(int)}
     */
    public byte[] read() throws IOException {
        return read(-1);
    }

    /**
     * Reads one line, up to and including {@code '\n'}: asyncio's {@code readline()}. Suspends until the buffer
     * holds a whole line or the stream ends.
     *
     * @return the line with its {@code '\n'}; at the end of the stream what is left without one, or an empty array
     *         if nothing is left
     * @throws LimitOverrunException if the line is longer than the limit (not counting its {@code '\n'}). As
     *                               asyncio's {@code ValueError} there, the line is removed from the buffer if its
     *                               end was found, and the whole buffer otherwise
     * @throws IOException           if the connection failed
     * @throws CancellationException if the task is cancelled while it waits (no byte is taken)
     * @throws IllegalStateException as {@link #read(int)}
     */
    public byte[] readline() throws IOException {
        int lineEnd = findLine("readline()");
        return take(lineEnd >= 0 ? lineEnd : size()); // at the end of the stream, what is left
    }

    /**
     * Waits, as {@link #readline()} does, until the buffer holds a whole line or the stream has ended, and takes
     * nothing: the end of the line, or -1 at the end of the stream. A line over the limit is dropped, as asyncio's
     * {@code readline()} drops it before raising.
     */
    private int findLine(String method) throws IOException {
        try {
            return find(LINE_SEPARATORS, method);
        } catch (LimitOverrunException e) {
            takes++;
            if (startsWith(NEWLINE, e.consumed())) {
                start += e.consumed() + NEWLINE.length;
            } else {
                start = end;
            }
            maybeResumeReading();
            throw e;
        }
    }

    /**
     * The lines of the stream, each as {@link #readline()} returns it, until the end of the stream: asyncio's
     * {@code async for line in reader:} ({@code StreamReader.__anext__}, which is {@code readline()} until it returns
     * {@code b''}). For a {@code for} loop in a task:
     *
     * <pre>{@code
     * for (byte[] line : reader.lines()) {
     *     handle(line);
     * }
     * }</pre>
     *
     * <p>{@code hasNext()} suspends until the buffer holds a whole line or the stream has ended, and takes nothing;
     * {@code next()} takes the line. So the iterator holds no bytes of its own: reads made on the reader between
     * lines, and after a {@code break}, go on where the lines stopped, and closing the iterator (which does nothing
     * to the connection) loses nothing. At the end of the stream, the last line without its {@code '\n'} is the last
     * item. Per the {@link AsyncIterator} contract, a failure ends the iteration: the connection's
     * {@link IOException} and a line over the limit ({@link LimitOverrunException}, the line dropped as by
     * {@code readline()}) are thrown by {@code hasNext()} wrapped in a
     * {@link java.util.concurrent.CompletionException}; a cancellation as it is, no byte taken. Call
     * {@code lines()} again to go on.
     *
     * @return an iterator over the lines, for the tasks of the reader's loop
     * @throws IllegalStateException if called on a thread that does not hold the reader's loop
     */
    public AsyncIterator<byte[]> lines() {
        check("lines()");
        return new Lines();
    }

    /** {@link #lines()}: holds no line; {@code hasNext()} waits for one in the buffer, {@code next()} takes it. */
    private final class Lines implements AsyncIterator<byte[]> {
        private boolean ended;
        /**
         * The end of the line {@code hasNext()} found, -1 if none: {@code next()} takes it while nothing was taken from
         * the buffer since (at {@link #foundAt} takes), without looking at a failure that came after it (asyncio's
         * {@code __anext__} returns the line, and the next one raises).
         */
        private int foundEnd = -1;
        private long foundAt;

        @Override
        public boolean hasNext() {
            int end = nextLineEnd();
            foundEnd = end;
            foundAt = takes;
            return end >= 0;
        }

        @Override
        public byte[] next() {
            int end = foundEnd >= 0 && foundAt == takes && !ended ? foundEnd : nextLineEnd();
            foundEnd = -1;
            if (end < 0) {
                throw new java.util.NoSuchElementException("StreamReader.lines(): no more lines (the stream has ended, "
                        + "failed, or the iterator was closed)");
            }
            return StreamReader.this.take(end); // found by the wait just made: not looked for again
        }

        /**
         * {@link #hasNext()}'s wait: the end of the next line in the buffer (at the end of the stream, the last bytes:
         * all of them), or -1 once the iteration has ended. Takes nothing.
         */
        private int nextLineEnd() {
            if (ended) {
                return -1;
            }
            try {
                int end = findLine("lines()");
                if (end >= 0) {
                    return end;
                }
                if (size() > 0) {
                    return size();
                }
            } catch (IOException e) {
                ended = true;
                throw new java.util.concurrent.CompletionException(e);
            } catch (RuntimeException | Error e) {
                ended = true;
                throw e;
            }
            ended = true; // the end of the stream
            return -1;
        }

        @Override
        public void aclose() {
            ended = true;
        }

        @Override
        public String toString() {
            return "lines of " + StreamReader.this;
        }
    }

    /**
     * Reads exactly {@code n} bytes: asyncio's {@code readexactly(n)}. Suspends until the buffer holds them (however
     * many more than the limit that is) or the stream ends.
     *
     * @param n how many bytes to read; 0 returns an empty array at once
     * @return the {@code n} bytes
     * @throws IncompleteReadException  if the stream ends first; the bytes left in the buffer are its
     *                                  {@link IncompleteReadException#partial() partial}, and are taken
     * @throws IOException              if the connection failed
     * @throws CancellationException    if the task is cancelled while it waits (no byte is taken)
     * @throws IllegalArgumentException if {@code n} is negative
     * @throws IllegalStateException    as {@link #read(int)}
     */
    public byte[] readexactly(int n) throws IOException {
        EventLoop l = check("readexactly()");
        if (n < 0) {
            throw new IllegalArgumentException("readexactly(n): n must be >= 0, got " + n);
        }
        throwIfFailed();
        if (n == 0) {
            return EMPTY;
        }
        while (size() < n) {
            if (eof) {
                throw new IncompleteReadException(take(size()), n, true);
            }
            waitForData(l, "readexactly()");
        }
        return take(n);
    }

    /**
     * Reads up to and including {@code separator}: asyncio's {@code readuntil(separator)}. Suspends until the
     * buffer holds the separator, the stream ends, or the limit is overrun.
     *
     * @param separator the bytes that end the piece to read; not empty
     * @return the bytes read, ending with {@code separator}
     * @throws LimitOverrunException    if the separator is not within the limit's first bytes (found beyond them, or
     *                                  not found in more than that); the data stays in the buffer
     * @throws IncompleteReadException  if the stream ends before the separator; what the buffer held is its
     *                                  {@link IncompleteReadException#partial() partial}, and is taken
     * @throws IOException              if the connection failed
     * @throws CancellationException    if the task is cancelled while it waits (no byte is taken)
     * @throws NullPointerException     if {@code separator} is null
     * @throws IllegalArgumentException if {@code separator} is empty
     * @throws IllegalStateException    as {@link #read(int)}
     */
    public byte[] readuntil(byte[] separator) throws IOException {
        Objects.requireNonNull(separator, "separator must not be null");
        if (separator.length == 0) {
            throw new IllegalArgumentException("readuntil(separator): separator must not be empty");
        }
        return readuntil(new byte[][] {separator.clone()}, "readuntil()");
    }

    /**
     * Reads up to and including whichever of the separators ends first in the stream: asyncio's
     * {@code readuntil(separators)} with a tuple of separators (CPython 3.13), for a protocol whose lines may end in
     * {@code "\r\n"} or {@code "\n"}, say. Of two that end at the same byte, the shorter counts (its start is the one
     * held against the limit), as in asyncio, which tries them shortest first. Otherwise as
     * {@link #readuntil(byte[])}: the limit, the end of the stream and a cancellation act the same.
     *
     * @param first the first separator; not empty
     * @param more  the others; none empty
     * @return the bytes read, ending with the separator found
     * @throws LimitOverrunException    if no separator ends within the limit's first bytes (one was found whose
     *                                  start is beyond them, or none in more than that); the data stays in the buffer
     * @throws IncompleteReadException  if the stream ends before any separator; what the buffer held is its
     *                                  {@link IncompleteReadException#partial() partial}, and is taken
     * @throws IOException              if the connection failed
     * @throws CancellationException    if the task is cancelled while it waits (no byte is taken)
     * @throws NullPointerException     if a separator, or {@code more}, is null
     * @throws IllegalArgumentException if a separator is empty
     * @throws IllegalStateException    as {@link #read(int)}
     */
    public byte[] readuntil(byte[] first, byte[]... more) throws IOException {
        Objects.requireNonNull(more, "more must not be null");
        byte[][] separators = new byte[more.length + 1][];
        for (int i = 0; i < separators.length; i++) {
            byte[] sep = i == 0 ? first : more[i - 1];
            Objects.requireNonNull(sep, "separator " + i + " must not be null");
            if (sep.length == 0) {
                throw new IllegalArgumentException("readuntil(separators): separator " + i + " must not be empty");
            }
            separators[i] = sep.clone();
        }
        Arrays.sort(separators, java.util.Comparator.comparingInt(sep -> sep.length)); // stable: shortest first
        return readuntil(separators, "readuntil()");
    }

    /** {@code separators}: not empty, none empty, shortest first. */
    private byte[] readuntil(byte[][] separators, String method) throws IOException {
        int found = find(separators, method);
        if (found < 0) {
            throw new IncompleteReadException(take(size()), -1, true);
        }
        return take(found);
    }

    /**
     * {@link #readuntil}'s wait, taking nothing: the end of the first separator found within the limit, or -1 if the
     * stream ended first. {@code separators}: not empty, none empty, shortest first.
     */
    private int find(byte[][] separators, String method) throws IOException {
        EventLoop l = check(method);
        throwIfFailed();
        int minSeplen = separators[0].length;
        int maxSeplen = separators[separators.length - 1].length;
        // offset: how many bytes at the start of the buffer are known not to begin a separator.
        int offset = 0;
        int matchStart = -1;
        int matchEnd = -1;
        while (true) {
            int buflen = size();
            if (buflen - offset >= minSeplen) {
                for (byte[] sep : separators) {
                    int found = indexOf(sep, offset);
                    if (found >= 0 && (matchEnd < 0 || found + sep.length < matchEnd)) {
                        matchStart = found;
                        matchEnd = found + sep.length;
                    }
                }
                if (matchEnd >= 0) {
                    break;
                }
                offset = Math.max(0, buflen + 1 - maxSeplen);
                if (offset > limit) {
                    throw new LimitOverrunException("Separator is not found, and chunk exceed the limit", offset);
                }
            }
            // The last bytes fed may have completed the separator and ended the stream at once: EOF is looked at
            // only after the buffer.
            if (eof) {
                return -1;
            }
            waitForData(l, method);
        }
        if (matchStart > limit) {
            throw new LimitOverrunException("Separator is found, but chunk is longer than limit", matchStart);
        }
        return matchEnd;
    }

    /**
     * The error the connection failed with, if it did: asyncio's {@code exception()}. It is what every read throws
     * from then on, each a copy made in the reading task (see <b>Errors</b> above); this is the connection's own,
     * whose stack trace is that of the thread that met it.
     *
     * @return the connection's exception, or null while it has not failed (the end of the stream, a close or an
     *         abort is no failure)
     * @throws IllegalStateException if called on a thread that does not hold the reader's loop
     */
    public IOException exception() {
        check("exception");
        return exception;
    }

    /**
     * Whether the stream has ended and the buffer is empty: asyncio's {@code at_eof()}.
     *
     * @return whether every read from now on returns an empty array (or throws, at the end)
     * @throws IllegalStateException if called on a thread that does not hold the reader's loop
     */
    public boolean atEof() {
        check("atEof");
        return eof && size() == 0;
    }

    // ---- waiting

    /**
     * asyncio's {@code _wait_for_data}: suspends until data, the end or an error comes; resumes a paused reading.
     * Throws the connection's failure if it failed before the wait (asyncio's would wait for ever) or woke it; a wait
     * woken by bytes returns, the read going on with them, even if the failure came after them.
     */
    private void waitForData(EventLoop l, String method) throws IOException {
        throwIfFailed();
        Task<?> task = waitingTask(l, method);
        if (waiter != null) {
            throw new IllegalStateException("StreamReader." + method + " called while another task is already"
                    + " waiting for incoming data from " + this);
        }
        if (paused) {
            paused = false;
            transport.resumeReading();
        }
        Future<Boolean> w = newWaiter(l);
        waiter = w;
        try {
            if (transport != null) { // the bytes come from the connection's thread
                whileInFlight(l, transport.readInFlight(), () -> task.suspendOn(w));
            } else {
                task.suspendOn(w);
            }
        } finally {
            waiter = null;
        }
        if (!w.result()) {
            throwIfFailed();
        }
    }

    private void wakeWaiter() {
        Future<Boolean> w = waiter;
        if (w != null && !w.isDone()) {
            w.complete(Boolean.TRUE);
        }
    }

    private void throwIfFailed() throws IOException {
        if (exception != null) {
            throw ThrownHere.copyOf(exception);
        }
    }

    /** asyncio's {@code _maybe_resume_transport}. */
    private void maybeResumeReading() {
        if (paused && size() <= limit) {
            paused = false;
            transport.resumeReading();
        }
    }

    // ---- the buffer

    private int size() {
        return end - start;
    }

    private void append(byte[] data) {
        if (buf.length - end < data.length) {
            int size = size();
            if (buf.length - size >= data.length && size <= buf.length / 2) {
                System.arraycopy(buf, start, buf, 0, size);
            } else {
                buf = Arrays.copyOfRange(buf, start, start + Math.max(buf.length * 2, size + data.length));
            }
            start = 0;
            end = size;
        }
        System.arraycopy(data, 0, buf, end, data.length);
        end += data.length;
    }

    private byte[] take(int n) {
        takes++;
        if (n == 0) {
            return EMPTY;
        }
        byte[] out = Arrays.copyOfRange(buf, start, start + n);
        start += n;
        if (start == end) {
            start = 0;
            end = 0;
            if (buf.length > 2L * limit + 1024) {
                buf = new byte[1024]; // give back what a large read-to-the-end made it grow to
            }
        }
        maybeResumeReading();
        return out;
    }

    private int indexOf(byte[] sep, int from) {
        for (int i = start + from, last = end - sep.length; i <= last; i++) {
            if (Arrays.equals(buf, i, i + sep.length, sep, 0, sep.length)) {
                return i - start;
            }
        }
        return -1;
    }

    private boolean startsWith(byte[] sep, int at) {
        return size() - at >= sep.length && Arrays.equals(buf, start + at, start + at + sep.length, sep, 0,
                sep.length);
    }

    @Override
    public String toString() {
        return "StreamReader[" + (transport != null ? transport + ", " : "") + "buffered=" + size()
                + (eof ? ", eof" : "") + (exception != null ? ", failed: " + exception : "")
                + (paused ? ", paused" : "") + (waiter != null ? ", a task waits" : "") + "]";
    }
}
