package org.aio4j.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.aio4j.Aio;
import org.aio4j.AsyncIterator;
import org.aio4j.EventLoop;
import org.aio4j.Future;
import org.aio4j.IncompleteReadException;
import org.aio4j.LimitOverrunException;
import org.aio4j.Task;

/**
 * A response whose head (status, headers) has arrived and whose body is read as the caller asks:
 * aiohttp's {@code ClientResponse} inside {@code async with session.get(url) as resp:}, before {@code resp.content}
 * is read. Made by {@link ClientSession#stream}; close it (try-with-resources), as aiohttp's {@code async with}
 * releases the response.
 *
 * <pre>{@code
 * try (StreamingResponse r = http.stream("/big.iso").raiseForStatus()) {   // async with s.get(url) as r:
 *     for (byte[] chunk : r.iterChunked(64 * 1024)) {                       //   async for chunk in r.content.iter_chunked(65536):
 *         out.write(chunk);
 *     }
 * }
 * }</pre>
 *
 * <p><b>Backpressure.</b> The body is read from the connection only as the caller reads it (one part ahead, a part
 * being what one read from the connection gave, typically 16 to 64 KiB): a caller that does not read stops the
 * transport, and the server with it, so a body of any size is read in constant memory. A body under
 * {@code Content-Encoding: gzip} or {@code deflate} is decoded as it is read, as {@link ClientResponse}'s is (unless the
 * session was built with {@code autoDecompress(false)}); the headers stay as sent.
 *
 * <p><b>Timeouts.</b> The request's timeout (aiohttp's {@code total}) covers the body too, from the call to
 * {@link ClientSession#stream} to the body's end, on the loop's clock as for any request (and the real one): a read
 * that it interrupts throws {@link ClientTimeoutException}. The read timeout (aiohttp's {@code sock_read}) bounds
 * each wait for the next bytes, not the time the caller takes between reads: {@link ClientReadTimeoutException}.
 *
 * <p><b>Failures.</b> A body that fails in the middle (the connection reset, a body cut short, a chunked encoding
 * broken, bytes that are not valid gzip) throws {@link ClientPayloadException} (aiohttp's {@code ClientPayloadError})
 * naming the request, after the bytes that came before it. After a failure, every read throws it again, once the
 * bytes the response had taken from the body and not given (those of a line or an exact read that the failure
 * interrupted, a chunk an iterator's {@code hasNext()} fetched) have been given.
 *
 * <p><b>Reading styles.</b> {@link #read(int)}, {@link #readAny()}, {@link #read()}, {@link #readline()},
 * {@link #readuntil}, {@link #readexactly}, and the iterators {@link #iterChunked}, {@link #iterAny} and
 * {@link #lines()} read the same body and may be mixed: each byte is given once, in order, whichever asks for it
 * (what an iterator's {@code hasNext()} fetched is what the next read of any kind gives).
 *
 * <p><b>Closing.</b> {@link #close()} before the body's end aborts the exchange and closes its connection, as
 * aiohttp's {@code release()} of a body not read whole does; after its end the connection went back to the
 * transport's pool already. A read after a close before the end throws {@link ClientConnectionException} (aiohttp's
 * {@code ClientConnectionError: Connection closed}); one after the end returns the end. The response belongs to the
 * task that streamed it: that task's end closes it, if the task did not.
 *
 * <p><b>Cancellation.</b> A read interrupted by the cancellation of the reading task (a {@link org.aio4j.Task#cancel},
 * an {@code Aio.timeout}, a failing {@code TaskGroup}) while it waits for more of the body throws the
 * {@link java.util.concurrent.CancellationException} and leaves the response open with nothing lost, as aiohttp's
 * {@code StreamReader} keeps its buffer: the bytes the read had taken (the first part of a line, of an exact read, of
 * {@link #read()}'s rest) are given by the next read, which goes on where the cancelled one stopped, each byte once,
 * a decoded body's too (its decoder keeps what it was given). An iterator whose {@code hasNext()} was cancelled goes
 * on too. The exchange goes on meanwhile, within its timeouts: close the response (try-with-resources) to abort it.
 *
 * <p><b>Threads.</b> A loop object: read and close it from the task that streamed it (or another task of its loop),
 * as an {@link AsyncIterator}; reads from elsewhere throw {@link IllegalStateException}. {@link #close()} from
 * another thread is handed to the loop.
 */
public final class StreamingResponse implements AutoCloseable {

    /** The most bytes {@link #readAny()} gives of a decoded body at once. */
    static final int ANY_BYTES = 64 * 1024;

    /**
     * The longest line {@link #readline()} and {@link #readuntil(byte[])} take unless given a limit, its separator not
     * counted: asyncio's {@code StreamReader} default limit, 64 KiB.
     */
    public static final int DEFAULT_LINE_LIMIT = org.aio4j.StreamReader.DEFAULT_LIMIT;

    private static final byte[] EMPTY = {};
    private static final byte[] NEWLINE = {'\n'};

    private final EventLoop loop;
    private final ClientRequest request;
    private final ClientResponse head;
    private final BodyReader reader;
    /** The {@code Content-Encoding} header of a body the session decodes, or null. */
    private final String encoding;
    private final int maxBodyBytes;
    /** The decoder of a body the session decodes, made at the first read. */
    private Decompression.Decoder decoder;
    /**
     * What the decoder found wrong with the body, thrown by every read from then on: the reader keeps no failure
     * found once the raw body has ended (a body cut short inside its encoded stream).
     */
    private ClientPayloadException invalid;
    /** The task whose end closes the response, and the callback that does. */
    private final Task<?> owner;
    private final Consumer<Future<?>> closeAtEnd;
    private boolean closed;
    /**
     * Bytes taken from the body and not yet given to the caller, from {@link #pendingAt} on: the chunk an iterator's
     * {@code hasNext()} fetched, the rest of a chunk after a line. Every read gives them first.
     */
    private byte[] pending = EMPTY;
    private int pendingAt;
    /** A read met the body's end (decoded, for a decoded body). */
    private boolean ended;

    StreamingResponse(EventLoop loop, ClientRequest request, ClientResponse head, BodyReader reader,
                      boolean autoDecompress, int maxBodyBytes) {
        this.loop = loop;
        this.request = request;
        this.head = head;
        this.reader = reader;
        String header = head.header("Content-Encoding");
        this.encoding = autoDecompress && Decompression.decoded(header) != null ? header : null;
        this.maxBodyBytes = maxBodyBytes;
        this.owner = Aio.currentTask();
        this.closeAtEnd = done -> close();
        if (owner != null) {
            owner.addDoneCallback(closeAtEnd);
        }
    }

    /**
     * The response's head, with an empty body: its {@link ClientResponse#contentType()},
     * {@link ClientResponse#charset()}, {@link ClientResponse#cookies()} and the rest.
     *
     * @return the response without its body
     */
    public ClientResponse head() {
        return head;
    }

    /**
     * The method of the request this answers: aiohttp's {@code resp.method}.
     *
     * @return the request method
     */
    public String method() {
        return head.method();
    }

    /**
     * The URL the response came from, after the redirects the session followed: aiohttp's {@code resp.url}.
     *
     * @return the final URL
     */
    public URI url() {
        return head.url();
    }

    /**
     * The status code: aiohttp's {@code resp.status}.
     *
     * @return the status code
     */
    public int status() {
        return head.status();
    }

    /**
     * Whether the status is below 400: aiohttp's {@code resp.ok}.
     *
     * @return whether the status is below 400
     */
    public boolean ok() {
        return head.ok();
    }

    /**
     * The headers, as the transport gave them: aiohttp's {@code resp.headers}.
     *
     * @return the headers
     */
    public Map<String, List<String>> headers() {
        return head.headers();
    }

    /**
     * The first value of header {@code name}, ignoring case, or {@code null}: aiohttp's
     * {@code resp.headers.get(name)}.
     *
     * @param name the header name, in any case
     * @return the header's first value, or {@code null}
     * @throws NullPointerException if {@code name} is null
     */
    public String header(String name) {
        return head.header(name);
    }

    /**
     * The responses of the redirects the session followed to this one, oldest first: aiohttp's {@code resp.history}.
     *
     * @return the earlier responses, oldest first, their bodies empty; unmodifiable
     */
    public List<ClientResponse> history() {
        return head.history();
    }

    /**
     * Returns this response if its status is below 400; else closes it (its body unread) and throws: aiohttp's
     * {@code resp.raise_for_status()}, which releases the connection too.
     *
     * @return this response
     * @throws ClientResponseException if the status is 400 or more (it carries {@link #head()})
     */
    public StreamingResponse raiseForStatus() throws ClientResponseException {
        if (!ok()) {
            close();
            throw new ClientResponseException(head);
        }
        return this;
    }

    /**
     * Up to {@code maxBytes} bytes of the body, suspending the calling task until at least one has arrived; an empty
     * array at the body's end: aiohttp's {@code await resp.content.read(n)}. It returns what has arrived, not waiting
     * for {@code maxBytes} to.
     *
     * @param maxBytes the most bytes to return, at least 1
     * @return the next bytes of the body (decoded, if it is), or an empty array at its end
     * @throws ClientPayloadException   if the body failed (see the class comment)
     * @throws ClientTimeoutException   if the request's timeout or read timeout passed
     * @throws ClientConnectionException if the response was closed before the body's end
     * @throws IllegalArgumentException if {@code maxBytes < 1}
     * @throws IllegalStateException    if not called from a task of the response's loop
     * @throws java.util.concurrent.CancellationException if the calling task is cancelled meanwhile (nothing is
     *                                  lost: see the class comment)
     */
    public byte[] read(int maxBytes) throws ClientException {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, got " + maxBytes);
        }
        checkCaller("read");
        return chunk(maxBytes);
    }

    /**
     * The bytes of the body that have arrived, at least one, suspending the calling task until one has; an empty
     * array at the body's end: aiohttp's {@code await resp.content.readany()}. What one read from the connection
     * brought, or, for a decoded body, up to 64 KiB of what it decodes to.
     *
     * @return the next bytes of the body, or an empty array at its end
     * @throws ClientException       as {@link #read(int)}
     * @throws IllegalStateException if not called from a task of the response's loop
     */
    public byte[] readAny() throws ClientException {
        return read(encoding == null ? Integer.MAX_VALUE : ANY_BYTES);
    }

    /**
     * The rest of the body, suspending the calling task until it has all arrived: aiohttp's {@code await resp.read()}
     * after a partial read. Held to the transport's body limit ({@link HttpTransport#maxBodyBytes()}), decoded bytes
     * counted, as {@link ClientSession#get} is: the point of streaming is not to hold a large body.
     *
     * @return the rest of the body (decoded, if it is); empty at its end
     * @throws ClientException       as {@link #read(int)}, or one saying the body is longer than the limit (the
     *                               response is then closed); a failure or timeout of the body leaves the bytes
     *                               read before it unread, for {@code read(n)} to give before it throws it again
     * @throws IllegalStateException if not called from a task of the response's loop
     */
    public byte[] read() throws ClientException {
        checkCaller("read");
        var all = new ByteArrayOutputStream();
        try {
            for (byte[] chunk; (chunk = read(ANY_BYTES)).length > 0; ) {
                if ((long) all.size() + chunk.length > maxBodyBytes) {
                    ClientException tooLarge = HttpTransport.bodyTooLarge(request, maxBodyBytes);
                    reader.fail(tooLarge);
                    all.reset(); // dropped with the body
                    throw tooLarge;
                }
                all.write(chunk, 0, chunk.length);
            }
        } catch (ClientException | CancellationException e) {
            unread(all.toByteArray()); // what came before the failure or cancellation, for the next read to give
            throw e;
        }
        return all.toByteArray();
    }

    /**
     * The body in chunks of at most {@code maxBytes} bytes, for a {@code for} loop in a task: aiohttp's
     * {@code async for chunk in resp.content.iter_chunked(n)}. Each chunk is what {@link #read(int)} returns (what
     * has arrived, up to {@code maxBytes}); the iterator ends at the body's end. A failure is thrown from
     * {@code hasNext()} as {@link AsyncIterator} says: wrapped in a {@link CompletionException} whose cause is the
     * {@link ClientException} {@code read} throws. Closing the iterator closes this response.
     *
     * @param maxBytes the most bytes of a chunk, at least 1
     * @return an iterator of the body's chunks
     * @throws IllegalArgumentException if {@code maxBytes < 1}
     */
    public AsyncIterator<byte[]> iterChunked(int maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, got " + maxBytes);
        }
        return new Pieces(maxBytes);
    }

    /**
     * The body in chunks as they arrive, each what {@link #readAny()} returns: aiohttp's
     * {@code async for data in resp.content.iter_any()}. Otherwise as {@link #iterChunked}.
     *
     * @return an iterator of the body's chunks
     */
    public AsyncIterator<byte[]> iterAny() {
        return new Pieces(Pieces.ANY);
    }

    /**
     * The next line of the body, up to and including its {@code '\n'}, suspending the calling task until it has
     * arrived: aiohttp's {@code await resp.content.readline()}. At the body's end, what is left without a
     * {@code '\n'}, or an empty array if nothing is (as aiohttp's; asyncio's alike). The same as
     * {@link #readuntil(byte[], int) readuntil(new byte[] {'\n'}, DEFAULT_LINE_LIMIT)}.
     *
     * @return the line with its {@code '\n'}; the rest of the body without one at its end; empty at the end
     * @throws LimitOverrunException if the line is longer than {@link #DEFAULT_LINE_LIMIT} bytes before its
     *                               {@code '\n'} (see {@link #readuntil(byte[], int)}: its bytes stay unread)
     * @throws ClientException       as {@link #read(int)}
     * @throws IllegalStateException if not called from a task of the response's loop
     */
    public byte[] readline() throws ClientException, LimitOverrunException {
        checkCaller("readline");
        return until(NEWLINE, DEFAULT_LINE_LIMIT);
    }

    /**
     * The body up to and including the next {@code separator}, at most {@link #DEFAULT_LINE_LIMIT} bytes before it:
     * aiohttp's {@code await resp.content.readuntil(separator)}. As {@link #readuntil(byte[], int)}.
     *
     * @param separator the bytes that end the piece to read; not empty
     * @return the bytes up to and including the separator; the rest of the body without one at its end; empty at
     *         the end
     * @throws LimitOverrunException    if the separator does not come within the limit (its bytes stay unread)
     * @throws ClientException          as {@link #read(int)}
     * @throws NullPointerException     if {@code separator} is null
     * @throws IllegalArgumentException if {@code separator} is empty
     * @throws IllegalStateException    if not called from a task of the response's loop
     */
    public byte[] readuntil(byte[] separator) throws ClientException, LimitOverrunException {
        return readuntil(separator, DEFAULT_LINE_LIMIT);
    }

    /**
     * The body up to and including the next {@code separator}, suspending the calling task until it has arrived:
     * aiohttp's {@code await resp.content.readuntil(separator)} (and {@code readline()} for {@code '\n'}), with
     * asyncio's limit. At the body's end, what is left without the separator, or an empty array if nothing is, as
     * aiohttp's (asyncio's {@code readuntil} throws {@code IncompleteReadError} there).
     *
     * <p>The limit bounds what is held while the separator is looked for: if it has not come within the
     * {@code limit} bytes that follow, a {@link LimitOverrunException} is thrown (aiohttp's and asyncio's
     * {@code ValueError}), whose {@link LimitOverrunException#consumed() consumed} says how many bytes are known to
     * come before it. Unlike aiohttp and asyncio's {@code readline()}, which drop them, those bytes stay unread: the
     * next read gives them (skip them with {@link #read(int)}). A failure or timeout of the body while the piece is
     * read leaves the bytes that came unread too, for {@code read(n)} to give before it throws the failure again.
     *
     * @param separator the bytes that end the piece to read; not empty
     * @param limit     the most bytes of the piece before its separator, at least 1
     * @return the bytes up to and including the separator; the rest of the body without one at its end; empty at
     *         the end
     * @throws LimitOverrunException    if the separator does not come within {@code limit} bytes (they stay unread)
     * @throws ClientException          as {@link #read(int)}
     * @throws NullPointerException     if {@code separator} is null
     * @throws IllegalArgumentException if {@code separator} is empty or {@code limit < 1}
     * @throws IllegalStateException    if not called from a task of the response's loop
     * @throws java.util.concurrent.CancellationException if the calling task is cancelled meanwhile (nothing is
     *                                  lost: see the class comment)
     */
    public byte[] readuntil(byte[] separator, int limit) throws ClientException, LimitOverrunException {
        Objects.requireNonNull(separator, "separator must not be null");
        if (separator.length == 0) {
            throw new IllegalArgumentException("readuntil(separator, limit): separator must not be empty");
        }
        if (limit < 1) {
            throw new IllegalArgumentException("readuntil(separator, limit): limit must be >= 1, got " + limit);
        }
        checkCaller("readuntil");
        return until(separator.clone(), limit);
    }

    /**
     * Exactly {@code n} bytes of the body, suspending the calling task until they have all arrived: aiohttp's
     * {@code await resp.content.readexactly(n)}. A body that ends first throws {@link IncompleteReadException}
     * (asyncio's {@code IncompleteReadError}, which aiohttp raises) with the bytes that came as its
     * {@link IncompleteReadException#partial() partial} and {@code n} as its {@link IncompleteReadException#expected()
     * expected}; they are taken. A failure or timeout of the body meanwhile leaves the bytes that came unread, for
     * {@code read(n)} to give before it throws the failure again.
     *
     * @param n how many bytes to read; 0 returns an empty array at once
     * @return the {@code n} bytes (decoded, if the body is)
     * @throws IncompleteReadException  if the body ends before {@code n} bytes
     * @throws ClientException          as {@link #read(int)}
     * @throws IllegalArgumentException if {@code n < 0}
     * @throws IllegalStateException    if not called from a task of the response's loop
     * @throws java.util.concurrent.CancellationException if the calling task is cancelled meanwhile (nothing is
     *                                  lost: see the class comment)
     */
    public byte[] readexactly(int n) throws ClientException, IncompleteReadException {
        if (n < 0) {
            throw new IllegalArgumentException("readexactly(n): n must be >= 0, got " + n);
        }
        checkCaller("readexactly");
        var got = new ByteArrayOutputStream(Math.min(n, ANY_BYTES));
        try {
            while (got.size() < n) {
                byte[] c = chunk(n - got.size());
                if (c.length == 0) {
                    throw new IncompleteReadException(got.toByteArray(), n);
                }
                got.writeBytes(c);
            }
        } catch (ClientException | CancellationException e) {
            unread(got.toByteArray());
            throw e;
        }
        return got.toByteArray();
    }

    /**
     * The body's lines, for a {@code for} loop in a task: aiohttp's {@code async for line in resp.content}. Each is
     * what {@link #readline()} returns (with its {@code '\n'}, the last one without if the body does not end with
     * one); the iterator ends at the body's end. A failure is thrown from {@code hasNext()} wrapped in a
     * {@link CompletionException} whose cause is the {@link ClientException} or {@link LimitOverrunException}
     * {@code readline} throws. Closing the iterator closes this response.
     *
     * @return an iterator of the body's lines
     */
    public AsyncIterator<byte[]> lines() {
        return new Pieces(Pieces.LINES);
    }

    /**
     * Whether the body has ended and every byte of it was read: aiohttp's {@code resp.content.at_eof()}. It does not
     * wait: false while the end has not come (or, for a decoded body, no read has met it yet), even if the next read
     * then returns it.
     *
     * @return whether every read from now on returns the end
     * @throws IllegalStateException if not called on the response's loop
     */
    public boolean atEof() {
        if (!onLoop()) {
            throw new IllegalStateException("StreamingResponse.atEof() reads the response's state: call it on the"
                    + " loop that streamed it (" + request.method() + " " + request.uri() + ")");
        }
        return pendingAt == pending.length && (ended || encoding == null && reader.ended()
                || encoding != null && decoder == null && reader.ended());
    }

    /**
     * Releases the response: aiohttp's {@code resp.release()} / {@code resp.close()}, the end of its
     * {@code async with}. Before the body's end, the exchange is aborted and its connection closed; after it, the
     * connection is the transport's pool's already. The end of a body of declared {@code Content-Length} is its last
     * byte: closed right after reading it, the connection is kept. That of a chunked body is its last chunk, which
     * the consumer sees as an empty read (or {@link #atEof()}): closed after its data but before that, the close
     * races the last chunk, and the connection is kept if the client had read it, closed otherwise (no other
     * exchange fails for it, on either transport). Idempotent; from another thread than the loop's, it is handed to
     * the loop.
     */
    @Override
    public void close() {
        if (!onLoop()) {
            try {
                loop.callSoonThreadsafe(this::close);
            } catch (IllegalStateException loopClosed) {
                // the loop has ended: its tasks' ends closed their responses
            }
            return;
        }
        if (closed) {
            return;
        }
        closed = true;
        pending = EMPTY;
        pendingAt = 0;
        if (decoder != null) {
            decoder.end();
        }
        if (owner != null) {
            owner.removeDoneCallback(closeAtEnd);
        }
        reader.release();
    }

    /**
     * Up to {@code max} bytes of the body, the {@link #pending} ones first; an empty array at the end. Suspends until
     * one has come.
     */
    private byte[] chunk(int max) throws ClientException {
        if (pendingAt < pending.length) {
            int n = Math.min(max, pending.length - pendingAt);
            byte[] out = pendingAt == 0 && n == pending.length ? pending // ours (see unread): handed on whole
                    : java.util.Arrays.copyOfRange(pending, pendingAt, pendingAt + n);
            pendingAt += n;
            if (pendingAt == pending.length) {
                pending = EMPTY;
                pendingAt = 0;
            }
            return out;
        }
        if (encoding == null) {
            ByteBuffer part = reader.next();
            if (part == null) {
                ended = true;
                return EMPTY;
            }
            return take(part, max);
        }
        byte[] into = new byte[Math.min(max, ANY_BYTES)];
        int n = decoded(into, into.length);
        if (n < 0) {
            ended = true;
            return EMPTY;
        }
        return n == into.length ? into : java.util.Arrays.copyOf(into, n);
    }

    /**
     * Gives {@code bytes} back, to be read before the {@link #pending} ones. They are kept as they are, not copied:
     * a fresh array that the caller no longer uses.
     */
    private void unread(byte[] bytes) {
        if (bytes.length == 0 || closed) {
            return;
        }
        byte[] rest = bytes;
        if (pendingAt < pending.length) {
            var both = new ByteArrayOutputStream(rest.length + pending.length - pendingAt);
            both.writeBytes(rest);
            both.write(pending, pendingAt, pending.length - pendingAt);
            rest = both.toByteArray();
        }
        pending = rest;
        pendingAt = 0;
    }

    /** {@link #readuntil(byte[], int)}, the arguments checked. */
    private byte[] until(byte[] separator, int limit) throws ClientException, LimitOverrunException {
        byte[] got = EMPTY;
        int length = 0;
        int searched = 0; // bytes of got known not to start the separator
        try {
            for (;;) {
                int found = indexOf(got, length, separator, searched);
                if (found >= 0) {
                    if (found > limit) {
                        throw new LimitOverrunException("the separator is found, but the piece before it is longer"
                                + " than the limit (" + found + " > " + limit + " bytes)", found);
                    }
                    unread(java.util.Arrays.copyOfRange(got, found + separator.length, length));
                    return java.util.Arrays.copyOf(got, found + separator.length);
                }
                searched = Math.max(0, length - separator.length + 1);
                if (searched > limit) {
                    throw new LimitOverrunException("the separator is not found within the limit: " + searched
                            + " bytes before it, more than the limit (" + limit + " bytes)", searched);
                }
                // no more than it takes to find the separator within the limit, or to know it is not there (in
                // long: a limit near Integer.MAX_VALUE plus the separator overflows an int)
                long most = (long) limit + separator.length;
                byte[] c = chunk((int) Math.min(Integer.MAX_VALUE, most - length));
                if (c.length == 0) {
                    return java.util.Arrays.copyOf(got, length);
                }
                if (length + c.length > got.length) {
                    got = java.util.Arrays.copyOf(got, (int) Math.max(length + c.length, Math.min(2L * got.length,
                            Math.min(most, Integer.MAX_VALUE - 8))));
                }
                System.arraycopy(c, 0, got, length, c.length);
                length += c.length;
            }
        } catch (ClientException | LimitOverrunException | CancellationException e) {
            unread(java.util.Arrays.copyOf(got, length)); // nothing taken: the next read gives them
            throw e;
        }
    }

    /** Where {@code separator} starts in the first {@code length} bytes of {@code bytes}, from {@code from} on. */
    private static int indexOf(byte[] bytes, int length, byte[] separator, int from) {
        outer:
        for (int i = from; i <= length - separator.length; i++) {
            for (int j = 0; j < separator.length; j++) {
                if (bytes[i + j] != separator[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * Reads decoded bytes into {@code into}, up to {@code max}; -1 at the end. The decoder keeps what it was given:
     * a cancellation where this waits for the next part loses nothing.
     */
    private int decoded(byte[] into, int max) throws ClientException {
        if (invalid != null) {
            throw invalid;
        }
        if (decoder == null) {
            decoder = Decompression.decoder(encoding.trim().toLowerCase(java.util.Locale.ROOT));
        }
        try {
            for (;;) {
                ByteBuffer part = reader.next();
                if (part == null) {
                    if (!closed) { // a close dropped what the decoder had not taken: the end, as for a plain body
                        decoder.finish(); // throws if the body ended before its encoded stream
                    }
                    return -1;
                }
                int n = decoder.decode(part, into, 0, max);
                reader.took(part);
                if (n > 0) {
                    return n;
                }
                if (n < 0) {
                    drain();
                    return -1;
                }
            }
        } catch (ClientException e) {
            throw e;
        } catch (IOException e) { // the decoder's: the body is not valid in its encoding
            invalid = Decompression.invalid(request, encoding, e);
            reader.fail(invalid);
            throw invalid;
        }
    }

    /** The decoded stream has ended: reads the rest of the raw body (bytes after it), so that the exchange ends. */
    private void drain() throws ClientException {
        ByteBuffer rest;
        while ((rest = reader.next()) != null) {
            rest.position(rest.limit());
            reader.took(rest);
        }
    }

    /** Up to {@code max} bytes of {@code part}, taken from it. */
    private byte[] take(ByteBuffer part, int max) {
        byte[] out = new byte[Math.min(max, part.remaining())];
        part.get(out);
        reader.took(part);
        return out;
    }

    private boolean onLoop() {
        try {
            return Aio.getRunningLoop() == loop;
        } catch (IllegalStateException noLoop) {
            return false;
        }
    }

    private void checkCaller(String operation) {
        if (!onLoop() || Aio.currentTask() == null) {
            throw new IllegalStateException("StreamingResponse." + operation + "() suspends the calling task: call"
                    + " it from a task of the loop that streamed the response (" + request.method() + " "
                    + request.uri() + ")");
        }
    }

    @Override
    public String toString() {
        return "StreamingResponse[" + head.method() + " " + head.url() + " -> " + head.status()
                + (closed ? ", closed" : reader.ended() ? ", read" : "") + "]";
    }

    /**
     * {@link #iterChunked}, {@link #iterAny} and {@link #lines}: chunks of at most {@code max} bytes, or what
     * {@code readAny} gives ({@link #ANY}), or lines ({@link #LINES}). What {@code hasNext()} fetches waits in
     * {@link #pending}, so that any read of the response gives it next, whichever asks first (a line too: next()
     * reads it again from there, without waiting).
     */
    private final class Pieces implements AsyncIterator<byte[]> {
        static final int ANY = -1;
        static final int LINES = -2;
        private final int max;
        /** hasNext() put a line back at the start of pending, and next() has not taken it. */
        private boolean fetched;
        private boolean done;

        Pieces(int max) {
            this.max = max;
        }

        @Override
        public boolean hasNext() {
            if ((max != LINES || fetched) && pendingAt < pending.length) {
                return true;
            }
            if (done) {
                return false;
            }
            byte[] piece;
            try {
                piece = piece();
            } catch (ClientException | LimitOverrunException e) {
                done = true;
                throw new CompletionException(e);
            } catch (CancellationException e) { // nothing lost: the iterator goes on where it stopped
                throw e;
            } catch (RuntimeException | Error e) {
                done = !(e instanceof IllegalStateException && !reader.broken()); // a wrong caller changes nothing
                throw e;
            }
            if (piece.length == 0) {
                done = true;
                return false;
            }
            unread(piece);
            fetched = max == LINES;
            return true;
        }

        @Override
        public byte[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException("the body of " + request.method() + " " + request.uri()
                        + " has ended");
            }
            fetched = false;
            try { // from pending: no wait, no failure
                return piece();
            } catch (ClientException | LimitOverrunException e) {
                throw new CompletionException(e);
            }
        }

        /** The next piece: a line, what {@code readAny} gives, or a chunk of at most {@code max} bytes. */
        private byte[] piece() throws ClientException, LimitOverrunException {
            return max == LINES ? readline() : max == ANY ? readAny() : read(max);
        }

        @Override
        public void aclose() {
            done = true;
            fetched = false;
            StreamingResponse.this.close();
        }

        @Override
        public String toString() {
            return (max == LINES ? "lines()" : max == ANY ? "iterAny()" : "iterChunked(" + max + ")") + " of "
                    + StreamingResponse.this;
        }
    }
}
