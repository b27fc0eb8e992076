package org.aio4j.http;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

/**
 * The default {@link HttpTransport}: the JDK's {@link HttpClient#sendAsync}, started on a virtual thread of its own,
 * with the body read into a byte array of at most the transport's limit ({@link LimitedBody}), and the request's timeout kept on {@link HttpTransport#scheduleTimeout}
 * rather than the JDK's own per-request timer (see {@link TransportTimers}). The request's connect timeout is the
 * JDK client's own ({@link HttpClient.Builder#connectTimeout}), which is one for the whole client: a transport that
 * owns its clients keeps one per connect timeout.
 */
final class JdkTransport implements HttpTransport {

    /**
     * {@link HttpClient#sendAsync} is asynchronous only from the point where it would wait: it takes a pooled
     * connection and writes the request on the calling thread (measured here: tens of microseconds per request).
     * Called on the loop, that work would be serialized on the one thread that runs every task; each request is
     * therefore started on a virtual thread of its own, which ends as soon as {@code sendAsync} returns.
     */
    private static final java.util.concurrent.ThreadFactory STARTERS =
            Thread.ofVirtual().name("aio4j-http-jdk-send").factory();

    /** Runs each command on a new virtual thread; holds no thread while idle, so it needs no shutdown. */
    private static final java.util.concurrent.Executor VIRTUAL_THREADS =
            command -> Thread.ofVirtual().name("aio4j-http-jdk").start(command);

    /** The key of {@link #clients} for requests without a connect timeout (a request's is positive). */
    private static final Duration NO_CONNECT_TIMEOUT = Duration.ZERO;

    /** The longest connect timeout given to a client: about 24 days, for longer ones are as good as none. */
    private static final Duration LONGEST_CONNECT_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

    /** The caller's client, or null if the transport owns its clients ({@link #clients}). */
    private final HttpClient callers;
    /**
     * The transport's own clients, by the connect timeout each keeps ({@link ClientRequest#connectTimeout()}: the JDK
     * client has one for all its connections), made as requests need them: usually one, that of the sessions'
     * connect timeout. Empty on a client of the caller's. Added to under this transport's lock, while not closed.
     */
    private final ConcurrentHashMap<Duration, HttpClient> clients =
            new ConcurrentHashMap<>();
    private final int maxBodyBytes;
    private volatile boolean closed;

    /** A transport on the caller's {@code client}, or, if it is null, on clients of its own. */
    JdkTransport(HttpClient client, int maxBodyBytes) {
        this(client, maxBodyBytes, ClientSession.DEFAULT_CONNECT_TIMEOUT);
    }

    /**
     * As {@link #JdkTransport(HttpClient, int)}, making the own client of {@code likelyConnectTimeout} at once, as the
     * transport's one client was (the sessions' default, or the connect timeout of the session that makes it).
     */
    JdkTransport(HttpClient client, int maxBodyBytes, Duration likelyConnectTimeout) {
        this.callers = client;
        this.maxBodyBytes = maxBodyBytes;
        if (client == null) {
            Duration key = min(likelyConnectTimeout, LONGEST_CONNECT_TIMEOUT);
            clients.put(key, defaultClient(key));
        }
    }

    /** The client {@code request} goes out on: the caller's, or the transport's own of its connect timeout. */
    private HttpClient clientFor(ClientRequest request) {
        if (callers != null) {
            return callers;
        }
        Duration key = request.connectTimeout() == null ? NO_CONNECT_TIMEOUT
                : min(request.connectTimeout(), LONGEST_CONNECT_TIMEOUT);
        HttpClient c = clients.get(key);
        return c != null ? c : newClient(key);
    }

    private synchronized HttpClient newClient(Duration connectTimeout) {
        if (closed) { // close() has shut down the clients there are: one made now would never be
            throw new IllegalStateException("HTTP transport 'jdk' is closed");
        }
        return clients.computeIfAbsent(connectTimeout,
                t -> defaultClient(t.equals(NO_CONNECT_TIMEOUT) ? null : t));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * The connect timeout that a connection for {@code request} is opened within, as the request's
     * {@link ClientConnectionTimeoutException} reports it: the request's on the transport's own clients, the client's
     * own on a client of the caller's; null if there is none.
     */
    private Duration connectTimeout(ClientRequest request) {
        return callers == null ? request.connectTimeout() : callers.connectTimeout().orElse(null);
    }

    /**
     * The client of {@link HttpTransport#jdk()}. Its executor, which runs the client's internal steps and completes
     * the response futures, is a virtual thread per task rather than the JDK's default cached pool of platform
     * threads: measured here on 10,000 GETs with 100 in flight, that halves the client's CPU time per request
     * (about 150 us against 350) and raises its throughput.
     */
    static HttpClient defaultClient() {
        return defaultClient(null);
    }

    /** A client of {@link #defaultClient()}'s kind with the connect timeout {@code connectTimeout}, if not null. */
    private static HttpClient defaultClient(Duration connectTimeout) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER) // the session follows them, see HttpTransport
                .executor(VIRTUAL_THREADS);
        if (connectTimeout != null) {
            b.connectTimeout(connectTimeout);
        }
        return b.build();
    }


    @Override
    public CompletableFuture<ClientResponse> send(ClientRequest request) {
        return start(request, new Exchange<byte[], ClientResponse>(request, connectTimeout(request),
                r -> new ClientResponse(request.method(), r.uri(), r.statusCode(), r.headers().map(), r.body()),
                head -> head, dropped -> { }),
                e -> LimitedBody.handler(request, maxBodyBytes, e::whole, e::redirect, e::touch));
    }

    /**
     * Streams the body with the JDK's {@link HttpResponse.BodyHandlers#ofPublisher()}: its publisher asks the
     * connection for the body's bytes only as its subscriber asks for them, and closes the connection when the
     * subscription is cancelled before the end. A head the exchange cannot hand over (cancelled or timed out as it
     * came) has its body released at once, so that its connection is not left taken.
     */
    @Override
    public CompletableFuture<StreamedResponse> stream(ClientRequest request) {
        return start(request, new Exchange<java.util.concurrent.Flow.Publisher<List<java.nio.ByteBuffer>>,
                StreamedResponse>(request, connectTimeout(request),
                r -> new StreamedResponse(new ClientResponse(request.method(), r.uri(), r.statusCode(),
                        r.headers().map(), new byte[0]), StreamedBodies.once(described(request), r.body())),
                head -> new StreamedResponse(head, StreamedBodies.once(described(request), StreamedBodies.empty())),
                unused -> StreamedBodies.discard(unused.body())),
                e -> LimitedBody.streamHandler(request, e::whole, e::redirect, e::touch));
    }

    /** {@code GET http://...}, as the messages name a request. */
    private static String described(ClientRequest request) {
        return request.method() + " " + request.uri();
    }

    private <B, R> Exchange<B, R> start(ClientRequest request, Exchange<B, R> exchange,
                                        java.util.function.Function<Exchange<B, R>, HttpResponse.BodyHandler<B>> reader) {
        if (closed) {
            throw new IllegalStateException("HTTP transport 'jdk' is closed");
        }
        HttpRequest built = build(request);
        HttpClient client = clientFor(request);
        if (request.timeout() != null) {
            exchange.arm(request.timeout()); // before the exchange starts, so that its end always finds the timer
        }
        if (request.readTimeout() != null) {
            // From the exchange's start, connecting included: the JDK client does not say when it has a connection.
            exchange.armRead(request.readTimeout());
        }
        HttpResponse.BodyHandler<B> handler = reader.apply(exchange);
        STARTERS.newThread(() -> exchange.start(client, built, handler)).start();
        return exchange;
    }

    /**
     * The JDK's request for {@code request}. The JDK client refuses a header it sets itself (Connection, Expect,
     * Host, Upgrade: its restricted headers, which aiohttp sends as given) with an {@link IllegalArgumentException}
     * that names neither the request nor a way out: the one thrown here does.
     */
    private static HttpRequest build(ClientRequest request) {
        HttpRequest.Builder b = HttpRequest.newBuilder(request.uri());
        byte[] body = request.body();
        // CONNECT, the one method the JDK refuses, is refused by ClientRequest already.
        if (body != null) {
            b.method(request.method(), HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            // Without a body, the JDK's GET(), HEAD() and DELETE() send no Content-Length (RFC 9110 8.6), where
            // method(m, noBody()) sends "Content-Length: 0" whatever m is: as every other method should (a POST
            // without one may get a 411), not as these three.
            switch (request.method()) {
                case "GET" -> b.GET();
                case "HEAD" -> b.HEAD();
                case "DELETE" -> b.DELETE();
                default -> b.method(request.method(), HttpRequest.BodyPublishers.noBody());
            }
        }
        for (Map.Entry<String, List<String>> h : request.headers().entrySet()) {
            for (String v : h.getValue()) {
                try {
                    b.header(h.getKey(), v);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(request.method() + " " + request.uri() + ": the JDK's"
                            + " HttpClient refuses to send the header " + h.getKey() + ", one it sets itself ("
                            + e.getMessage() + "); the JVM option -Djdk.httpclient.allowRestrictedHeaders="
                            + h.getKey().toLowerCase(java.util.Locale.ROOT) + " lets it through", e);
                }
            }
        }
        return b.build();
    }

    @Override
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    @Override
    public String name() {
        return "jdk";
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true; // no client is added from now on
        }
        for (HttpClient c : clients.values()) {
            c.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "HttpTransport[jdk" + (closed ? ", closed" : "") + "]";
    }

    /**
     * The future handed to the session: completed from the JDK's future, or with a {@link ClientTimeoutException}
     * by its timer; cancelling it, or its timing out, cancels the JDK's exchange (a dependent stage such as
     * {@code thenApply} would not pass a cancellation upstream).
     */
    private static final class Exchange<B, R> extends CompletableFuture<R>
            implements java.util.function.BiConsumer<HttpResponse<B>, Throwable> {

        private final ClientRequest request;
        /** The connect timeout the request's client keeps, or null: what a connect timeout is reported with. */
        private final Duration connectTimeout;
        /** What the exchange completes with, made of the JDK's response. */
        private final java.util.function.Function<HttpResponse<B>, R> made;
        /** What it completes with for a redirect the session follows, made of its head (its body empty). */
        private final java.util.function.Function<ClientResponse, R> ofHead;
        /** Releases a response the exchange could not complete with (cancelled or timed out as it came). */
        private final java.util.function.Consumer<R> unused;
        private volatile CompletableFuture<HttpResponse<B>> raw;
        /**
         * The response has come in whole: the JDK client may have given the connection back to its pool, or handed
         * it to another exchange, before it completes this one's future, and until then aborting this exchange
         * closes that connection under the other (which failed with "header parser received no bytes"; the JDK's
         * abort checks only whether the exchange's future is complete). Known at the last byte of a body of declared
         * length, before the client gives the connection back; for a chunked body only once its end reaches the
         * reader, just after: a cancellation in those microseconds can still close a reused connection.
         */
        private volatile boolean whole;
        private ScheduledFuture<?> timer; // written before the exchange starts, read when it ends
        /** The read timeout's timer, or null: written before the exchange starts, touched as the response comes. */
        private HttpTransport.IdleTimer idle;
        /** The head of a redirect the session follows, whose body is dropped; null for any other response. */
        private volatile HttpResponse.ResponseInfo redirect;

        Exchange(ClientRequest request, Duration connectTimeout,
                 java.util.function.Function<HttpResponse<B>, R> made,
                 java.util.function.Function<ClientResponse, R> ofHead, java.util.function.Consumer<R> unused) {
            this.request = request;
            this.connectTimeout = connectTimeout;
            this.made = made;
            this.ofHead = ofHead;
            this.unused = unused;
        }

        void arm(Duration timeout) {
            timer = HttpTransport.scheduleTimeout(timeout, this::timeOut);
        }

        void armRead(Duration readTimeout) {
            idle = HttpTransport.scheduleIdleTimeout(readTimeout, this::readTimedOut);
        }

        private void timeOut() {
            if (completeExceptionally(new ClientTimeoutException(request.method(), request.uri(), request.timeout(),
                    null))) {
                disarm();
                abortRaw();
            }
        }

        private void readTimedOut() {
            if (completeExceptionally(new ClientReadTimeoutException(request.method(), request.uri(),
                    request.readTimeout(), null))) {
                disarm();
                abortRaw();
            }
        }

        /** Bytes of the response arrived: its head, or a part of its body. */
        void touch() {
            HttpTransport.IdleTimer i = idle;
            if (i != null) {
                i.touch();
            }
        }

        private void disarm() {
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
            stopReadTimer();
        }

        private void stopReadTimer() {
            HttpTransport.IdleTimer i = idle;
            if (i != null) {
                i.cancel();
            }
        }

        void whole() {
            whole = true;
        }

        void redirect(HttpResponse.ResponseInfo head) {
            redirect = head;
            stopReadTimer(); // the body of a redirect the session follows is nobody's: its stall fails nothing
        }

        /** Aborts the JDK's exchange, closing its connection, unless it has read the whole response already. */
        private void abortRaw() {
            abort(raw);
        }

        private void abort(CompletableFuture<HttpResponse<B>> r) {
            if (r != null && !whole) {
                r.cancel(true);
            }
        }

        /** On a starter thread: sends the request, unless the exchange was cancelled meanwhile. */
        void start(HttpClient client, HttpRequest built, HttpResponse.BodyHandler<B> reader) {
            if (isDone()) {
                return;
            }
            CompletableFuture<HttpResponse<B>> r;
            try {
                r = client.sendAsync(built, reader);
            } catch (RuntimeException | Error e) {
                disarm();
                completeExceptionally(e instanceof IllegalStateException
                        ? new java.io.IOException("HTTP client is shut down: " + e.getMessage(), e) : e);
                return;
            }
            raw = r;
            r.whenComplete(this);
            if (isCompletedExceptionally()) { // cancelled or timed out before raw was set, which could not abort it
                abort(r);
            }
        }

        @Override
        public void accept(HttpResponse<B> r, Throwable error) {
            disarm();
            HttpResponse.ResponseInfo head = redirect;
            if (error != null && head != null) {
                // an error of a redirect's body, which is dropped (LimitedBody.Dropped): the redirect is the response
                complete(ofHead.apply(new ClientResponse(request.method(), request.uri(), head.statusCode(),
                        head.headers().map(), new byte[0])));
            } else if (error != null) {
                completeExceptionally(failure(error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error));
            } else {
                R response = made.apply(r);
                if (!complete(response)) { // cancelled or timed out as it came: nobody will read its body
                    unused.accept(response);
                }
            }
        }

        /**
         * What the exchange fails with: the JDK's {@link java.io.IOException}, {@link LimitedBody}'s
         * {@link ClientException}, a cancellation or an {@link Error} as it is; an
         * {@link java.io.UncheckedIOException} as the {@code IOException} it carries (a connection reset is a
         * connection failure, however it was wrapped); an {@link IllegalArgumentException} thrown by the JDK client's
         * own code, which is how it refuses a value of the response it cannot parse (a {@code NumberFormatException}
         * for a {@code Content-Length} that is not a number; most malformed responses it reports with an
         * {@code IOException} of its own), as a {@link java.net.ProtocolException}, like the JDK's own for a bad
         * status line; and any other unchecked
         * exception, which is no sign of a malformed response (a bug in a body handler, or in the client), as a
         * {@link ClientException} naming the request with that exception as its cause. The transport contract wants
         * an {@code IOException}: the caller must not get an unchecked exception without the URL.
         */
        private Throwable failure(Throwable error) {
            return switch (error) {
                case java.util.concurrent.CancellationException c -> c;
                case java.net.http.HttpConnectTimeoutException t when connectTimeout != null ->
                        new ClientConnectionTimeoutException(request.method(), request.uri(), connectTimeout, t);
                case java.io.UncheckedIOException u -> u.getCause();
                case IllegalArgumentException refused
                        when HttpTransport.thrownBy(refused, "jdk.internal.net.http.") -> {
                    var malformed = new java.net.ProtocolException("invalid HTTP response: "
                            + Failures.describe(refused));
                    malformed.initCause(refused);
                    yield malformed;
                }
                case RuntimeException other -> new ClientException(request.method(), request.uri(),
                        "failed: " + Failures.describe(other), other);
                default -> error;
            };
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                disarm();
                abortRaw();
            }
            return cancelled;
        }
    }
}
