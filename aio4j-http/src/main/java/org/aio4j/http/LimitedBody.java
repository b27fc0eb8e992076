package org.aio4j.http;

import java.net.ProtocolException;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * The JDK transport's body reader: the body into a byte array, as {@code BodySubscribers.ofByteArray()} does, but
 * refused with {@link HttpTransport#bodyTooLarge} as soon as it is longer than the transport's limit. The JDK's own
 * reader keeps every part until the end and only then finds that more than 2 GiB cannot make an array: the heap had
 * to hold it all first. A {@code Content-Length} over the limit is refused before any of the body is read, and so is a
 * body whose end the JDK client would misread ({@link #badFraming}).
 */
final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {

    private final ClientRequest request;
    private final int maxBytes;
    private final long declaredLength; // -1 if unknown
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private final List<ByteBuffer> parts = new ArrayList<>();
    private long received;
    private Flow.Subscription subscription;

    private final String badFraming; // why the body's end cannot be known, or null
    private final Runnable whole;
    private final Runnable arrived;
    private boolean wholeTold;

    private LimitedBody(ClientRequest request, int maxBytes, long declaredLength, String badFraming, Runnable whole,
                        Runnable arrived) {
        this.request = request;
        this.maxBytes = maxBytes;
        this.declaredLength = declaredLength;
        this.badFraming = badFraming;
        this.whole = whole;
        this.arrived = arrived;
    }

    /**
     * The body handler of {@code request}'s exchange. {@code whole} is run once the response has come in whole, no
     * later than the JDK client can give its connection back to its pool (for a body of declared length, as its last
     * bytes arrive, before the client sees its end), and never for a response refused or cut short. {@code redirect}
     * is given the head of a redirect the session follows, whose body is {@link Dropped}: the JDK client may still
     * fail the exchange with an error of that body (one cut short), which the exchange then ignores. {@code arrived}
     * is run when the response's head arrives and when each part of its body does, for the read timeout.
     */
    static HttpResponse.BodyHandler<byte[]> handler(ClientRequest request, int maxBytes, Runnable whole,
                                                    java.util.function.Consumer<HttpResponse.ResponseInfo> redirect,
                                                    Runnable arrived) {
        return info -> {
            arrived.run();
            if (info.statusCode() / 100 == 3 && HttpTransport.followsRedirect(request, info.statusCode(),
                    info.headers().firstValue("Location").orElse(null))) { // the header read for a 3xx only
                whole.run(); // the response's end is the body's (Dropped): aborting later must not close a reused connection
                redirect.accept(info);
                // A HEAD's 3xx has no body whatever its length says; one whose framing makes its end unknown is
                // never read by its length (the connection would go back to the pool with the rest still coming).
                return new Dropped(hasNoBody(request.method(), info.statusCode()) ? 0
                        : badFraming(info.headers()) != null ? -1 : declaredLength(info.headers()));
            }
            if (hasNoBody(request.method(), info.statusCode())) {
                whole.run();
                return new LimitedBody(request, maxBytes, -1, null, () -> { }, arrived);
            }
            var body = new LimitedBody(request, maxBytes, declaredLength(info.headers()), badFraming(info.headers()),
                    whole, arrived);
            if (body.declaredLength == 0 && body.badFraming == null) {
                body.tellWhole();
            }
            return body;
        };
    }

    /**
     * The body handler of {@code request}'s streamed exchange ({@link HttpTransport#stream}): the JDK's
     * {@link HttpResponse.BodySubscribers#ofPublisher()}, which reads the body only as its subscriber asks; a
     * redirect the session follows has its body {@link Dropped} and an empty publisher, as with {@link #handler}; a
     * response without a body (to a HEAD, a 1xx, 204 or 304) an empty one, whatever came read and dropped; a body
     * whose end cannot be known ({@link #badFraming}) fails the exchange at its head. {@code whole},
     * {@code redirect} and {@code arrived} as for {@link #handler}, up to the head: the body's bytes are the
     * subscriber's to time.
     */
    static HttpResponse.BodyHandler<Flow.Publisher<List<ByteBuffer>>> streamHandler(
            ClientRequest request, Runnable whole, java.util.function.Consumer<HttpResponse.ResponseInfo> redirect,
            Runnable arrived) {
        return info -> {
            arrived.run();
            int status = info.statusCode();
            if (status / 100 == 3 && HttpTransport.followsRedirect(request, status,
                    info.headers().firstValue("Location").orElse(null))) {
                whole.run();
                redirect.accept(info);
                return HttpResponse.BodySubscribers.mapping(new Dropped(hasNoBody(request.method(), status) ? 0
                        : badFraming(info.headers()) != null ? -1 : declaredLength(info.headers())),
                        dropped -> StreamedBodies.empty());
            }
            if (hasNoBody(request.method(), status)) {
                whole.run();
                return HttpResponse.BodySubscribers.replacing(StreamedBodies.empty());
            }
            String bad = badFraming(info.headers());
            if (bad != null) { // fails at its subscription, before any of the body is read
                return HttpResponse.BodySubscribers.mapping(new LimitedBody(request, Integer.MAX_VALUE, -1, bad,
                        () -> { }, () -> { }), never -> StreamedBodies.empty());
            }
            long declared = declaredLength(info.headers());
            if (declared == 0) {
                whole.run();
            }
            if (declared > 0) { // closed right after its last byte, it is not aborted: see StreamedBodies.upTo
                return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofPublisher(),
                        body -> StreamedBodies.upTo(body, declared));
            }
            return HttpResponse.BodySubscribers.ofPublisher();
        };
    }

    private void tellWhole() {
        if (!wholeTold) {
            wholeTold = true;
            whole.run();
        }
    }

    /**
     * Why the end of a body framed by {@code headers} is unknown, where the JDK client would read it anyway, or null
     * (RFC 9112 6.3): with both a {@code Transfer-Encoding} and a {@code Content-Length} it reads the body by its
     * length, the chunks' framing as data, where the Transfer-Encoding overrides the length; of two lengths that
     * differ it takes the first; a negative one it takes for none, reading up to the connection's end. Netty refuses
     * the last two, and aiohttp all three.
     */
    private static String badFraming(HttpHeaders headers) {
        List<String> lengths = headers.allValues("Content-Length");
        if (lengths.isEmpty()) {
            return null;
        }
        var te = headers.firstValue("Transfer-Encoding");
        if (te.isPresent()) {
            return "both Transfer-Encoding (" + te.get() + ") and Content-Length (" + String.join(", ", lengths) + ")";
        }
        if (lengths.stream().map(String::trim).distinct().count() > 1) {
            return "Content-Length values differ: " + lengths;
        }
        return lengths.getFirst().trim().startsWith("-") ? "negative Content-Length: " + lengths.getFirst() : null;
    }

    /**
     * Whether a response to {@code method} with {@code status} has no body whatever its {@code Content-Length} says
     * (RFC 9110 6.4.1, 8.6): that of a HEAD is the length a GET would get, that of a 304 the cached body's. Its
     * length is then no reason to refuse it; bytes that do come are still counted.
     */
    static boolean hasNoBody(String method, int status) {
        return method.equalsIgnoreCase("HEAD") || status / 100 == 1 || status == 204 || status == 304;
    }

    /** The {@code Content-Length}, or -1; a malformed one is the JDK's to refuse, not this reader's. */
    private static long declaredLength(HttpHeaders headers) {
        try {
            return headers.firstValueAsLong("Content-Length").orElse(-1);
        } catch (NumberFormatException notANumber) {
            return -1;
        }
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (badFraming != null) {
            fail(new ProtocolException("invalid HTTP response: " + badFraming));
        } else if (declaredLength > maxBytes) {
            refuse();
        } else {
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (body.isDone()) {
            return; // refused: what was already on its way is dropped
        }
        arrived.run();
        for (ByteBuffer b : items) {
            received += b.remaining();
            if (received > maxBytes) {
                refuse();
                return;
            }
            parts.add(b); // the client hands over its buffers, as to the JDK's own byte-array reader
        }
        if (received == declaredLength) {
            tellWhole();
        }
    }

    @Override
    public void onError(Throwable error) {
        parts.clear();
        body.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
        if (body.isDone()) {
            return; // refused: nothing to assemble
        }
        byte[] all = new byte[(int) received];
        int at = 0;
        for (ByteBuffer b : parts) {
            int n = b.remaining();
            b.get(all, at, n);
            at += n;
        }
        parts.clear();
        tellWhole();
        body.complete(all);
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return body;
    }

    /** Stops reading (the JDK then closes the connection, not reused) and fails the body as too large. */
    private void refuse() {
        fail(HttpTransport.bodyTooLarge(request, maxBytes));
    }

    /** Stops reading (the JDK then closes the connection, not reused) and fails the body with {@code error}. */
    private void fail(Exception error) {
        subscription.cancel();
        parts.clear();
        body.completeExceptionally(error);
    }

    /**
     * The body of a redirect the session follows, which is nobody's (see {@link HttpTransport#followsRedirect}): it is
     * empty. A {@code Content-Length: 0} is read (nothing comes), and so is a small declared body
     * ({@link #DRAINED_REDIRECT_BYTES}), for at most {@link #DRAIN_BOUND}, so that the client can reuse the connection
     * for the next hop; any other body is not waited for (cancelling the subscription closes the connection), as the
     * JDK client did not wait for one of unknown length when it followed redirects ({@code Http1Response.ignoreBody}):
     * one that never came would hold the connection for ever. Its errors fail nothing here; should the JDK client
     * fail the exchange with one, the exchange ignores it (see {@link #handler}).
     */
    private static final class Dropped implements HttpResponse.BodySubscriber<byte[]> {

        private final long declaredLength;
        private final CompletableFuture<byte[]> dropped = new CompletableFuture<>();
        /** Set once the body has come whole or ended, or the bound passed: whichever first decides. */
        private final java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();
        private long received;
        private volatile java.util.concurrent.ScheduledFuture<?> bound;

        Dropped(long declaredLength) {
            this.declaredLength = declaredLength;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            if (declaredLength == 0) {
                s.request(Long.MAX_VALUE);
                dropped.complete(new byte[0]);
            } else if (declaredLength > 0 && declaredLength <= DRAINED_REDIRECT_BYTES) {
                // Read, so that the connection goes back to the pool for the next hop (usually the same host), but
                // for a bounded time: a body that does not come then costs its connection, not the request.
                bound = HttpTransport.scheduleTimeout(DRAIN_BOUND, () -> {
                    if (settled.compareAndSet(false, true)) { // not once the last bytes came: the pool may have it
                        s.cancel();
                        dropped.complete(new byte[0]);
                    }
                });
                s.request(Long.MAX_VALUE);
            } else {
                s.cancel();
                dropped.complete(new byte[0]);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) { // dropped, counted
                received += b.remaining();
            }
            if (declaredLength > 0 && received >= declaredLength) {
                settled.set(true); // whole: the JDK client may give the connection back before onComplete
            }
        }

        @Override
        public void onError(Throwable error) {
            ended(); // nobody's
        }

        @Override
        public void onComplete() {
            ended(); // the connection goes back to the pool
        }

        private void ended() {
            settled.set(true);
            var b = bound;
            if (b != null) {
                b.cancel(false);
            }
            dropped.complete(new byte[0]);
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return dropped;
        }
    }

    /**
     * The longest declared body of a redirect the session follows that is read rather than dropped with its
     * connection, for at most {@link #DRAIN_BOUND}: a small one usually came with the head, and reading it keeps the
     * connection for the next hop (aiohttp keeps it when the body has come, closes it otherwise).
     */
    static final long DRAINED_REDIRECT_BYTES = 64 * 1024;

    /** How long a redirect's small body is waited for before its connection is closed instead. */
    static final java.time.Duration DRAIN_BOUND = java.time.Duration.ofSeconds(1);
}
