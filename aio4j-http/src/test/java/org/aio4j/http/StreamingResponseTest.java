package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.zip.GZIPOutputStream;
import org.aio4j.AsyncIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link StreamingResponse} over a transport that publishes a body in the parts the test gives, one part per unit of
 * demand: the reading styles mixed, line reads, gzip across parts. No network: what the transport contract tests
 * check over real connections is not repeated here.
 */
@Timeout(30)
class StreamingResponseTest {

    private static final String URL = "http://example.test/body";

    /** A transport whose every stream answers 200 with {@code headers} and a body of {@code parts}. */
    private static HttpTransport parts(Map<String, List<String>> headers, Throwable end, byte[]... parts) {
        return parts(headers, end, false, parts);
    }

    /**
     * As {@link #parts(Map, Throwable, byte[]...)}; {@code endWithLast}: the end signalled right after the last part,
     * as a transport does that reads both at once.
     */
    private static HttpTransport parts(Map<String, List<String>> headers, Throwable end, boolean endWithLast,
                                       byte[]... parts) {
        return new HttpTransport() {
            @Override
            public CompletableFuture<ClientResponse> send(ClientRequest request) {
                throw new UnsupportedOperationException("streams only");
            }

            @Override
            public CompletableFuture<StreamedResponse> stream(ClientRequest request) {
                return CompletableFuture.completedFuture(new StreamedResponse(new ClientResponse(request.method(),
                        request.uri(), 200, headers, new byte[0]), publisher(end, endWithLast, parts)));
            }

            @Override
            public String name() {
                return "parts";
            }

            @Override
            public void close() {
            }
        };
    }

    /**
     * {@code parts} one per unit of demand, then the end, or {@code end} if it is not null: at the demand after the
     * last part (the bytes before a failure are taken before it comes), or right after it if {@code endWithLast}.
     */
    private static Flow.Publisher<List<ByteBuffer>> publisher(Throwable end, boolean endWithLast, byte[]... parts) {
        return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            private int next;
            private boolean done;

            @Override
            public synchronized void request(long n) {
                for (long i = 0; i < n && !done; i++) {
                    if (next < parts.length) {
                        subscriber.onNext(List.of(ByteBuffer.wrap(parts[next++])));
                        if (next < parts.length || !endWithLast) {
                            continue;
                        }
                    }
                    done = true;
                    if (end == null) {
                        subscriber.onComplete();
                    } else {
                        subscriber.onError(end);
                    }
                }
            }

            @Override
            public synchronized void cancel() {
                done = true;
            }
        });
    }

    private static ClientSession session(HttpTransport transport) {
        return ClientSession.builder().transport(transport, true).build();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var z = new GZIPOutputStream(out)) {
            z.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... arrays) {
        var out = new ByteArrayOutputStream();
        for (byte[] a : arrays) {
            out.writeBytes(a);
        }
        return out.toByteArray();
    }

    /** {@code data} cut into parts of {@code size} bytes (the last one shorter). */
    private static byte[][] split(byte[] data, int size) {
        var out = new ArrayList<byte[]>();
        for (int i = 0; i < data.length; i += size) {
            out.add(java.util.Arrays.copyOfRange(data, i, Math.min(data.length, i + size)));
        }
        return out.toArray(byte[][]::new);
    }

    /**
     * Mixing the reading styles gives every byte once, in order: the chunk an iterator's {@code hasNext()} fetched
     * and its {@code next()} did not take is what the next {@code read(n)}, {@code read()}, or another iterator
     * gives. Before, {@code read(n)} after {@code hasNext()} skipped that chunk ("abc" lost), plain or decoded.
     */
    @Test
    void mixingReadingStylesGivesEveryByteOnceInOrder() throws Exception {
        for (boolean zipped : List.of(false, true)) {
            byte[] body = ascii("abcdefghijkl");
            var transport = zipped ? parts(Map.of("Content-Encoding", List.of("gzip")), null, split(gzip(body), 7))
                    : parts(Map.of(), null, split(body, 3));
            try (var http = session(transport)) {
                List<String> got = Loops.run(() -> {
                    var out = new ArrayList<String>();
                    try (var r = http.stream(URL)) {
                        AsyncIterator<byte[]> chunks = r.iterChunked(3);
                        assertThat(chunks.hasNext()).isTrue(); // fetches "abc", not taken
                        out.add(ascii(r.read(2)));
                        out.add(ascii(r.read(5)));
                        AsyncIterator<byte[]> any = r.iterAny();
                        assertThat(any.hasNext()).isTrue();
                        out.add(ascii(r.read(1)));
                        out.add(ascii(r.read()));
                        assertThat(chunks.hasNext()).isFalse();
                        assertThat(any.hasNext()).isFalse();
                    }
                    return out;
                });
                assertThat(String.join("", got)).as("zipped: " + zipped).isEqualTo("abcdefghijkl");
                assertThat(got.getFirst()).isEqualTo("ab");
            }
        }
    }
    /**
     * aiohttp's {@code readline()}, {@code readuntil(sep)}, {@code readexactly(n)} and {@code async for line in
     * resp.content} over a body whose lines and separators are cut across parts (a byte a part, 3, all in one), plain
     * and gzip: every line whole, the last one without its {@code '\n'}, then empty at the end, and
     * {@code atEof()}; the styles mixed give every byte once.
     */
    @Test
    void linesAndExactReadsAcrossParts() throws Exception {
        byte[] body = ascii("one\ntwo\r\nthree\nXYZfour\r\nlast");
        for (int size : new int[] {1, 3, body.length}) {
            for (boolean zipped : List.of(false, true)) {
                var transport = zipped ? parts(Map.of("Content-Encoding", List.of("gzip")), null,
                        split(gzip(body), size)) : parts(Map.of(), null, split(body, size));
                try (var http = session(transport)) {
                    List<String> got = Loops.run(() -> {
                        var out = new ArrayList<String>();
                        try (var r = http.stream(URL)) {
                            assertThat(r.atEof()).isFalse();
                            out.add(ascii(r.readline()));
                            out.add(ascii(r.readuntil(ascii("\r\n"))));
                            out.add(ascii(r.readexactly(2)));
                            out.add(ascii(r.readline()));
                            out.add(ascii(r.readexactly(3)));
                            for (byte[] line : r.lines()) {
                                out.add(ascii(line));
                            }
                            assertThat(r.readline()).isEmpty();
                            assertThat(r.readexactly(0)).isEmpty();
                            assertThat(r.atEof()).isTrue();
                        }
                        return out;
                    });
                    assertThat(got).as("parts of " + size + ", zipped: " + zipped)
                            .containsExactly("one\n", "two\r\n", "th", "ree\n", "XYZ", "four\r\n", "last");
                }
            }
        }
    }

    /**
     * The line {@code lines().hasNext()} fetched and {@code next()} has not taken is what the next read of any kind
     * gives, as a chunk of {@code iterChunked} is (and asyncio's {@code StreamReader.lines()} holds none): a
     * {@code read(n)} between the two gives the line first, {@code next()} then the line after it, and
     * {@code atEof()} is false while a line is unread. Before, the iterator held the line apart: {@code read(n)}
     * gave the bytes after it ("b\n" before "a\n") and {@code atEof()} was true with "b\n" unread.
     */
    @Test
    void theLineHasNextFetchedIsWhatTheNextReadGives() throws Exception {
        try (var http = session(parts(Map.of(), null, ascii("a\nb\nc\n")))) {
            List<Object> got = Loops.run(() -> {
                var out = new ArrayList<Object>();
                try (var r = http.stream(URL)) {
                    AsyncIterator<byte[]> lines = r.lines();
                    assertThat(lines.hasNext()).isTrue(); // fetches "a\n"
                    out.add(ascii(r.read(2)));
                    out.add(ascii(lines.next()));
                    assertThat(lines.hasNext()).isTrue(); // fetches "c\n"
                    out.add(r.atEof());
                    out.add(ascii(lines.next()));
                    out.add(lines.hasNext());
                    out.add(r.atEof());
                }
                return out;
            });
            assertThat(got).containsExactly("a\n", "b\n", false, "c\n", false, true);
        }
    }

    /**
     * A limit as large as an int goes ({@code Integer.MAX_VALUE}, "no limit" to a caller) is a limit like another:
     * the lines read whole, plain and gzip. Before, the room left for the separator overflowed and the read threw
     * {@code NegativeArraySizeException} (or {@code IllegalArgumentException} from a copy).
     */
    @Test
    void aLimitOfIntegerMaxValueReadsLines() throws Exception {
        byte[] body = ascii("one--two--three");
        for (boolean zipped : List.of(false, true)) {
            var transport = zipped ? parts(Map.of("Content-Encoding", List.of("gzip")), null, split(gzip(body), 4))
                    : parts(Map.of(), null, split(body, 4));
            try (var http = session(transport)) {
                List<String> got = Loops.run(() -> {
                    var out = new ArrayList<String>();
                    try (var r = http.stream(URL)) {
                        for (byte[] piece; (piece = r.readuntil(ascii("--"), Integer.MAX_VALUE)).length > 0; ) {
                            out.add(ascii(piece));
                        }
                    }
                    return out;
                });
                assertThat(got).as("zipped: " + zipped).containsExactly("one--", "two--", "three");
            }
        }
    }

    /**
     * {@code readexactly(n)} of a body that ends first throws asyncio's {@code IncompleteReadError}
     * ({@link org.aio4j.IncompleteReadException}) naming what was expected and holding the bytes that came, which
     * are taken; a negative {@code n} and bad {@code readuntil} arguments are refused at the call.
     */
    @Test
    void readexactlyOfABodyThatEndsFirstSaysHowMuchCame() throws Exception {
        try (var http = session(parts(Map.of(), null, ascii("ab"), ascii("cde")))) {
            Throwable[] got = Loops.run(() -> {
                try (var r = http.stream(URL)) {
                    Throwable badN = catchThrowable(() -> r.readexactly(-1));
                    Throwable emptySep = catchThrowable(() -> r.readuntil(new byte[0]));
                    Throwable badLimit = catchThrowable(() -> r.readuntil(ascii("x"), 0));
                    Throwable incomplete = catchThrowable(() -> r.readexactly(6));
                    assertThat(r.read(1)).isEmpty();
                    return new Throwable[] {badN, emptySep, badLimit, incomplete};
                }
            });
            assertThat(got[0]).isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("readexactly(n): n must be >= 0, got -1");
            assertThat(got[1]).isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("readuntil(separator, limit): separator must not be empty");
            assertThat(got[2]).isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("readuntil(separator, limit): limit must be >= 1, got 0");
            assertThat(got[3]).isExactlyInstanceOf(org.aio4j.IncompleteReadException.class)
                    .hasMessage("5 bytes read on a total of 6 expected bytes");
            var incomplete = (org.aio4j.IncompleteReadException) got[3];
            assertThat(ascii(incomplete.partial())).isEqualTo("abcde");
            assertThat(incomplete.expected()).isEqualTo(6);
        }
    }

    /**
     * A line longer than the limit is a {@link org.aio4j.LimitOverrunException} (aiohttp's and asyncio's
     * {@code ValueError}) and loses nothing: its bytes stay unread, for {@code read(n)} to skip or take, and the
     * lines after it read as before; {@code lines()} throws it from {@code hasNext()} wrapped in a
     * {@code CompletionException}. Only the limit and a separator's worth is held while a line is looked for.
     */
    @Test
    void aLineLongerThanTheLimitIsRefusedAndItsBytesStayUnread() throws Exception {
        byte[] body = ascii("0123456789abcdef\nok\n");
        try (var http = session(parts(Map.of(), null, split(body, 4)))) {
            Object[] got = Loops.run(() -> {
                try (var r = http.stream(URL)) {
                    Throwable notFound = catchThrowable(() -> r.readuntil(ascii("\n"), 8));
                    Throwable tooLong = catchThrowable(() -> r.readuntil(ascii("f\n"), 8));
                    var it = r.lines();
                    String first = ascii(r.readuntil(ascii("\n"), 16)); // 16 bytes before it: within the limit
                    String next = ascii(it.next());
                    return new Object[] {notFound, tooLong, first, next, r.readline().length};
                }
            });
            assertThat((Throwable) got[0]).isExactlyInstanceOf(org.aio4j.LimitOverrunException.class)
                    .hasMessage("the separator is not found within the limit: 9 bytes before it, more than the limit"
                            + " (8 bytes)");
            assertThat(((org.aio4j.LimitOverrunException) got[0]).consumed()).isEqualTo(9);
            assertThat((Throwable) got[1]).isExactlyInstanceOf(org.aio4j.LimitOverrunException.class);
            assertThat(got[2]).isEqualTo("0123456789abcdef\n");
            assertThat(got[3]).isEqualTo("ok\n");
            assertThat(got[4]).isEqualTo(0);
        }
        try (var http = session(parts(Map.of(), null, new byte[StreamingResponse.DEFAULT_LINE_LIMIT + 1],
                ascii("\n")))) {
            Object[] got = Loops.run(() -> {
                try (var r = http.stream(URL)) {
                    Throwable t = catchThrowable(() -> r.lines().hasNext());
                    return new Object[] {t, r.read().length};
                }
            });
            assertThat((Throwable) got[0]).isExactlyInstanceOf(java.util.concurrent.CompletionException.class)
                    .cause().isExactlyInstanceOf(org.aio4j.LimitOverrunException.class);
            assertThat(got[1]).isEqualTo(StreamingResponse.DEFAULT_LINE_LIMIT + 2);
        }
    }

    /**
     * A body that fails while a line is read throws the failure, and the bytes of the line that came before it are
     * not lost: {@code read(n)} gives them, then throws the failure again.
     */
    @Test
    void aFailureInTheMiddleOfALineLeavesItsBytesUnread() throws Exception {
        var reset = new java.io.IOException("connection reset");
        try (var http = session(parts(Map.of(), reset, ascii("ok\npart"), ascii("ial")))) {
            Object[] got = Loops.run(() -> {
                try (var r = http.stream(URL)) {
                    String ok = ascii(r.readline());
                    Throwable t = catchThrowable(r::readline);
                    String rest = ascii(r.read(100));
                    return new Object[] {ok, t, rest, catchThrowable(() -> r.read(1))};
                }
            });
            assertThat(got[0]).isEqualTo("ok\n");
            assertThat((Throwable) got[1]).isExactlyInstanceOf(ClientPayloadException.class)
                    .hasMessage("GET " + URL + ": response payload is not completed: IOException: connection reset");
            assertThat(got[2]).isEqualTo("partial");
            assertThat((Throwable) got[3]).isSameAs(got[1]);
        }
    }

    /**
     * A gzip body of several members ({@code cat a.gz b.gz}, which RFC 1952 allows) is decoded whole, streamed, the
     * members' boundary anywhere among the parts. A guard, not a fix: JDK 25's {@code GZIPInputStream} reads the next
     * member's header from the stream (it no longer asks {@code available()}, which is 0 between two parts here).
     */
    @Test
    void aGzipBodyOfSeveralMembersIsDecodedWhole() throws Exception {
        byte[] a = ascii("first member|");
        byte[] b = ascii("second member");
        byte[] zipped = concat(gzip(a), gzip(b));
        for (int size : new int[] {1, 7, gzip(a).length, zipped.length}) {
            try (var http = session(parts(Map.of("Content-Encoding", List.of("gzip")), null, split(zipped, size)))) {
                String got = Loops.run(() -> {
                    try (var r = http.stream(URL)) {
                        return ascii(r.read());
                    }
                });
                assertThat(got).as("parts of " + size).isEqualTo("first member|second member");
            }
        }
    }

    /**
     * A body that fails right after a gzip member ends (its connection reset where another member could begin) is a
     * {@link ClientPayloadException}, not an end: {@code GZIPInputStream} takes any {@code IOException} while it
     * looks for a next member for the end of the stream, and the failure is thrown by the read of the rest of the raw
     * body that follows. A guard of that path.
     */
    @Test
    void aFailureRightAfterAGzipMemberIsNotTakenForTheEnd() throws Exception {
        var reset = new java.io.IOException("connection reset");
        try (var http = session(parts(Map.of("Content-Encoding", List.of("gzip")), reset, gzip(ascii("member"))))) {
            Object[] got = Loops.run(() -> {
                try (var r = http.stream(URL)) {
                    String first = ascii(r.read(100));
                    return new Object[] {first, catchThrowable(() -> r.read(100))};
                }
            });
            assertThat(got[0]).isEqualTo("member");
            assertThat((Throwable) got[1]).isExactlyInstanceOf(ClientPayloadException.class)
                    .hasMessage("GET " + URL + ": response payload is not completed: IOException: connection reset");
        }
    }
    /**
     * The bytes that came before a transport's failure are read before it, however close behind them it comes (the
     * last part and the error in one go, as a transport reads a chunk and the reset after it), plain and decoded, by
     * {@code read(n)}, {@code read()} and the iterators; then the failure, every time. Before, a failure that
     * reached the loop before the consumer had read the part held dropped that part ("ial" lost).
     */
    @Test
    void theBytesBeforeAFailureAreReadBeforeIt() throws Exception {
        var reset = new java.io.IOException("connection reset");
        byte[] zipped = gzip(ascii("partial"));
        for (boolean gz : List.of(false, true)) {
            var transport = gz ? parts(Map.of("Content-Encoding", List.of("gzip")), reset, true,
                    java.util.Arrays.copyOf(zipped, 9), java.util.Arrays.copyOfRange(zipped, 9, zipped.length))
                    : parts(Map.of(), reset, true, ascii("part"), ascii("ial"));
            try (var http = session(transport)) {
                Object[] got = Loops.run(() -> {
                    try (var r = http.stream(URL)) {
                        Throwable whole = catchThrowable(r::read);
                        var out = new StringBuilder();
                        Throwable t = catchThrowable(() -> {
                            for (byte[] c : r.iterAny()) {
                                out.append(ascii(c));
                            }
                        });
                        return new Object[] {whole, out.toString(), t, catchThrowable(() -> r.read(1))};
                    }
                });
                assertThat((Throwable) got[0]).as("gzip: " + gz).isExactlyInstanceOf(ClientPayloadException.class)
                        .hasMessage("GET " + URL + ": response payload is not completed: IOException: connection reset");
                assertThat(got[1]).as("gzip: " + gz).isEqualTo("partial");
                assertThat(((Throwable) got[2]).getCause()).isSameAs(got[0]);
                assertThat((Throwable) got[3]).isSameAs(got[0]);
            }
        }
    }

    /**
     * A body published one part per unit of demand, each only once {@link #allow} lets it: a reader waits before
     * every part. On the loop (the session asks for parts there, the test allows them there).
     */
    private static final class Gate implements Flow.Publisher<List<ByteBuffer>> {
        private final byte[][] parts;
        private Flow.Subscriber<? super List<ByteBuffer>> subscriber;
        private int next;
        private long demand;
        private int allowed;
        private boolean done;

        Gate(byte[][] parts) {
            this.parts = parts;
        }

        @Override
        public synchronized void subscribe(Flow.Subscriber<? super List<ByteBuffer>> s) {
            subscriber = s;
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    synchronized (Gate.this) {
                        demand += n;
                        pump();
                    }
                }

                @Override
                public void cancel() {
                    synchronized (Gate.this) {
                        done = true;
                    }
                }
            });
        }

        /** Lets {@code n} more parts go (the end counts as none). */
        synchronized void allow(int n) {
            allowed += n;
            pump();
        }

        private void pump() {
            while (demand > 0 && !done && subscriber != null) {
                if (next == parts.length) {
                    done = true;
                    subscriber.onComplete();
                    return;
                }
                if (allowed == 0) {
                    return;
                }
                allowed--;
                demand--;
                subscriber.onNext(List.of(ByteBuffer.wrap(parts[next++])));
            }
        }
    }

    /**
     * A read cancelled while it waits for the next part of the body loses nothing, at whatever point of the body,
     * decoded or not, in whatever reading style: what it had taken is given by the next read (aiohttp's
     * {@code StreamReader} keeps its buffer when a read is cancelled). The body comes a byte a part, and a read is
     * cancelled at each wait: inside a gzip or deflate header, its data, a gzip trailer. Before, the cancellation
     * closed the response (the next read threw "the response is closed"), and the bytes the read had taken were
     * lost.
     */
    @Test
    void aReadCancelledAtAnyWaitLosesNoByteDecodedOrNot() throws Exception {
        byte[] text = ascii("first line\nsecond, longer line\n\nlast line, no newline at its end");
        for (String encoding : List.of("identity", "gzip", "deflate")) {
            byte[] raw = switch (encoding) {
                case "gzip" -> gzip(text);
                case "deflate" -> {
                    var d = new java.util.zip.Deflater();
                    d.setInput(text);
                    d.finish();
                    byte[] out = new byte[text.length + 64];
                    int n = d.deflate(out);
                    d.end();
                    yield java.util.Arrays.copyOf(out, n);
                }
                default -> text;
            };
            for (String style : List.of("read()", "readline()", "readexactly(7)", "lines()", "readuntil(\", \")")) {
                var gate = new Gate(split(raw, 1));
                var transport = new HttpTransport() {
                    @Override
                    public CompletableFuture<ClientResponse> send(ClientRequest request) {
                        throw new UnsupportedOperationException("streams only");
                    }

                    @Override
                    public CompletableFuture<StreamedResponse> stream(ClientRequest request) {
                        return CompletableFuture.completedFuture(new StreamedResponse(new ClientResponse(
                                request.method(), request.uri(), 200, Map.of("Content-Encoding", List.of(encoding)),
                                new byte[0]), gate));
                    }

                    @Override
                    public String name() {
                        return "gate";
                    }

                    @Override
                    public void close() {
                    }
                };
                try (var http = session(transport)) {
                    byte[] got = Loops.run(() -> {
                        var all = new ByteArrayOutputStream();
                        try (StreamingResponse r = http.stream(URL)) {
                            AsyncIterator<byte[]> lines = r.lines();
                            org.aio4j.Coroutine<byte[]> read = switch (style) {
                                case "read()" -> r::read;
                                case "readline()" -> r::readline;
                                case "readexactly(7)" -> () -> r.readexactly(7);
                                case "lines()" -> () -> lines.hasNext() ? lines.next() : new byte[0];
                                default -> () -> r.readuntil(ascii(", "));
                            };
                            for (int i = 0; i < raw.length; i++) {
                                org.aio4j.Task<byte[]> reader = org.aio4j.Aio.createTask(read);
                                org.aio4j.Aio.sleep(0); // it takes what has come, and waits for more
                                if (reader.cancel()) {
                                    assertThat(catchThrowable(reader::await)).as(encoding + " " + style + " " + i)
                                            .isInstanceOf(java.util.concurrent.CancellationException.class);
                                } else {
                                    all.writeBytes(reader.await()); // it had enough: it returned
                                }
                                gate.allow(1);
                            }
                            all.writeBytes(r.read());
                            assertThat(r.atEof()).isTrue();
                        }
                        return all.toByteArray();
                    });
                    assertThat(ascii(got)).as(encoding + " " + style).isEqualTo(ascii(text));
                }
            }
        }
    }

    /**
     * A decoded body cut short (its raw body ends inside a gzip member or a deflate stream) is a
     * {@link ClientPayloadException} at the read that reaches the cut, and, once the bytes decoded before it are read,
     * at every later read, as a transport's failure is: never an end. Before, the reads after the first returned the
     * end of the body, as if it were whole.
     */
    @Test
    void aDecodedBodyCutShortFailsEveryReadNotJustTheFirst() throws Exception {
        byte[] zipped = gzip(ascii("the whole text"));
        var d = new java.util.zip.Deflater();
        d.setInput(ascii("the whole text"));
        d.finish();
        byte[] deflated = new byte[64];
        deflated = java.util.Arrays.copyOf(deflated, d.deflate(deflated));
        d.end();
        for (var body : List.of(Map.entry("gzip", zipped), Map.entry("deflate", deflated))) {
            byte[] cut = java.util.Arrays.copyOf(body.getValue(), body.getValue().length - 3);
            try (var http = session(parts(Map.of("Content-Encoding", List.of(body.getKey())), null, cut))) {
                Object[] got = Loops.run(() -> {
                    try (var r = http.stream(URL)) {
                        Throwable first = catchThrowable(r::read);
                        byte[] before = r.read(100); // what read() had decoded before the cut, given back
                        return new Object[] {first, catchThrowable(() -> r.read(1)), catchThrowable(r::readline),
                                r.atEof(), ascii(before)};
                    }
                });
                assertThat((Throwable) got[0]).as(body.getKey()).isExactlyInstanceOf(ClientPayloadException.class)
                        .hasMessageContaining("cut short");
                assertThat((Throwable) got[1]).as(body.getKey()).isSameAs(got[0]);
                assertThat((Throwable) got[2]).as(body.getKey()).isSameAs(got[0]);
                assertThat(got[3]).as(body.getKey() + ": atEof()").isEqualTo(false);
                assertThat(got[4]).as(body.getKey()).isEqualTo("the whole text");
            }
        }
    }

    /**
     * A response closed half-way once its whole body had come (the connection back in the pool already) reads as at
     * its end afterwards, decoded or not. Before, a decoded one said its body was "not valid gzip: cut short": the
     * close had dropped the raw bytes its decoder had not taken, and the decoder took that for a body cut short.
     */
    @Test
    void aDecodedBodyClosedHalfWayAfterItCameIsNotCalledCutShort() throws Exception {
        byte[] text = ascii("the whole text");
        for (boolean zipped : List.of(false, true)) {
            var transport = zipped ? parts(Map.of("Content-Encoding", List.of("gzip")), null, true, gzip(text))
                    : parts(Map.of(), null, true, text);
            try (var http = session(transport)) {
                Object[] got = Loops.run(() -> {
                    try (var r = http.stream(URL)) {
                        byte[] first = r.read(1);
                        r.close();
                        return new Object[] {ascii(first), catchThrowable(() -> assertThat(r.read(1)).isEmpty())};
                    }
                });
                assertThat(got[0]).as("gzip: " + zipped).isEqualTo("t");
                assertThat((Throwable) got[1]).as("gzip: " + zipped).isNull();
            }
        }
    }
}
