package org.aio4j.http.vertx;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ProtocolException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import org.aio4j.http.ClientConnectionException;
import org.aio4j.http.ClientConnectionTimeoutException;
import org.aio4j.http.ClientException;
import org.aio4j.http.ClientReadTimeoutException;
import org.aio4j.http.ClientRequest;
import org.aio4j.http.ClientResponse;
import org.aio4j.http.ClientTimeoutException;
import org.aio4j.http.HttpTransport;

/**
 * An {@link HttpTransport} on Vert.x 5's HTTP client: the faster transport for {@link org.aio4j.http.ClientSession}
 * (1.3 to 1.4 times the JDK client's throughput on many small requests; see {@code docs/benchmarks.md}). The same
 * role as aiohttp's {@code TCPConnector}, on Netty's event loops instead of asyncio's.
 *
 * <pre>{@code
 * try (var http = ClientSession.builder().transport(VertxTransport.create(), true).build()) { ... }
 * }</pre>
 *
 * <p>Contract: that of {@link HttpTransport}. {@link #send} only hands the request to a Vert.x event loop and returns;
 * the response, body included, completes the future on that event loop's thread. Cancelling the future resets the
 * request (its connection is closed, not reused). The request's timeout is also kept on the real clock, for the whole
 * exchange, by {@link HttpTransport#scheduleTimeout} (so that a request ends on a loop with a virtual clock, however
 * slowly the server trickles its answer), and set as Vert.x's own idle timeout ({@link RequestOptions#setTimeout}).
 * A request's read timeout ({@link ClientRequest#readTimeout()}) is kept by
 * {@link HttpTransport#scheduleIdleTimeout}, from when the request has its connection (a wait for one of the pool's
 * connections is not counted, as aiohttp's {@code sock_read} does not count it), touched by the response's head and
 * each part of its body. A request's connect timeout ({@link ClientRequest#connectTimeout()}) is Netty's, set by
 * {@link HttpClientOptions#setConnectTimeout} on the transport's own client for that value (one client per distinct
 * value, on the one Vert.x instance; that of the sessions' default, 30 seconds, made at once): a connection not
 * established in time fails the request with {@link ClientConnectionTimeoutException}, as does the connect timeout of
 * a client of the caller's ({@link #of}), which keeps its own (Netty's default 60 seconds), not the request's. A wait
 * for one of the pool's connections is not counted.
 * Redirects are not followed, by Vert.x nor by the transport, on a client of its own or of the caller's (Vert.x
 * follows one only if the request asks it to, whatever the client's redirect handler): the session follows them, hop
 * by hop, and the body of a redirect it follows is dropped as the {@link HttpTransport} contract says. A URL that is
 * not ASCII goes on the wire in its ASCII form ({@link URI#toASCIIString()}, percent-encoded UTF-8) as with the JDK
 * client. Failures are Vert.x's and Netty's own
 * {@link java.io.IOException}s (a {@link java.net.ConnectException}, say, or the {@link javax.net.ssl.SSLException} of
 * a TLS failure, in the handshake or after it, which Netty reports wrapped in a {@code DecoderException}; for a
 * handshake, the JDK's own one that says why, not Vert.x's "Failed to create SSL connection" around it), a
 * {@link ClientTimeoutException} for Vert.x's own timeout of the request (a checked
 * {@link java.util.concurrent.TimeoutException}), a {@link ClientTimeoutException} /
 * {@link ClientConnectionException} for Vert.x's and Netty's unchecked timeout and connection errors (a connection
 * closed in the middle of the response's head, or the client closed while a request waits for a connection, say), a
 * {@link java.net.ProtocolException} for a malformed response, and a {@link ClientException} naming the request for any
 * other unchecked exception (see {@code Exchange.failure}).
 *
 * <p>{@link #stream} (for {@link org.aio4j.http.ClientSession#stream}) pauses the response at its head and
 * {@link HttpClientResponse#fetch fetches} one part of its body per unit of the subscriber's demand, on the
 * response's context: Vert.x stops reading the connection once its inbound queue is full, so a consumer that does not
 * read stops the server. Cancelling the subscription before the body's end resets the request (its connection
 * closed); the body's end leaves the connection to the pool. The body's timeouts are then the session's.
 *
 * <p>A response body longer than the transport's limit ({@link HttpTransport#DEFAULT_MAX_BODY_BYTES} unless given)
 * fails the exchange with {@link HttpTransport#bodyTooLarge} as soon as it is known to be, and resets the request:
 * the body is read chunk by chunk, never kept whole past the limit.
 *
 * <p>Thread-safe. A transport from {@link #create()} owns its Vert.x instance, whose threads keep the JVM alive
 * until {@link #close()}.
 */
public final class VertxTransport implements HttpTransport {

    /** aiohttp's {@code TCPConnector(limit=100)}: at most this many connections per host by default. */
    public static final int DEFAULT_MAX_CONNECTIONS = 100;

    /**
     * The most bytes the headers of a response may take together on the transport's own clients: the JDK client's
     * default ({@code jdk.http.maxHeaderSize}, 384 KiB). Netty's default, 8 KiB for all of them, refused as malformed
     * a response that aiohttp (8,190 bytes a header line, no total) and the JDK transport read: a dozen headers of a
     * kilobyte, large cookies or a long {@code Content-Security-Policy}.
     */
    private static final int MAX_HEADER_BYTES = 384 * 1024;

    /** aiohttp's default {@code sock_connect}, the sessions' default connect timeout, in milliseconds. */
    private static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 30_000;

    private final Vertx vertx;
    /** The caller's client, or null if the transport owns its clients ({@link #clients}). */
    private final HttpClient client;
    private final boolean owned;
    /** Makes a client of the transport's own with a connect timeout in milliseconds (0: none); null if not owned. */
    private final java.util.function.IntFunction<HttpClient> newClient;
    /**
     * The transport's own clients, by the connect timeout each keeps in milliseconds (Vert.x's
     * {@link HttpClientOptions#setConnectTimeout} is one for all a client's connections), made as requests need them:
     * usually one, that of the sessions' connect timeout. Added to under this transport's lock, while not closed.
     */
    private final java.util.concurrent.ConcurrentHashMap<Integer, HttpClient> clients =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final ConnectionErrors connectionErrors;
    private final int maxBodyBytes;
    private volatile boolean closed;

    private VertxTransport(Vertx vertx, HttpClient client, java.util.function.IntFunction<HttpClient> newClient,
                           ConnectionErrors connectionErrors, int maxBodyBytes) {
        this.vertx = vertx;
        this.client = client;
        this.owned = client == null;
        this.newClient = newClient;
        this.connectionErrors = connectionErrors;
        this.maxBodyBytes = maxBodyBytes;
        if (owned) { // the sessions' default connect timeout's, made at once as the transport's one was
            clients.put(DEFAULT_CONNECT_TIMEOUT_MILLIS, newClient.apply(DEFAULT_CONNECT_TIMEOUT_MILLIS));
        }
    }

    /** The client {@code request} goes out on: the caller's, or the transport's own of its connect timeout. */
    private HttpClient clientFor(ClientRequest request) {
        if (!owned) {
            return client;
        }
        int key = request.connectTimeout() == null ? 0
                : (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis(request.connectTimeout())));
        HttpClient c = clients.get(key);
        return c != null ? c : ownClient(key);
    }

    private synchronized HttpClient ownClient(int connectTimeoutMillis) {
        if (closed) { // close() has closed the clients there are: one made now would never be
            throw new IllegalStateException("HTTP transport 'vertx' is closed");
        }
        return clients.computeIfAbsent(connectTimeoutMillis, newClient::apply);
    }

    /**
     * A transport on a Vert.x instance of its own, with up to {@value #DEFAULT_MAX_CONNECTIONS} connections per
     * host. It follows no redirect: the session does (see {@link HttpTransport}).
     *
     * @return a new transport, which owns its Vert.x instance and client
     */
    public static VertxTransport create() {
        return create(DEFAULT_MAX_CONNECTIONS);
    }

    /**
     * A transport on a Vert.x instance of its own, with up to {@code maxConnectionsPerHost} keep-alive HTTP/1.1
     * connections per host (requests beyond that wait for one, in the order they came). The limit is that of each of
     * the transport's clients, one per distinct connect timeout (see the class comment): sessions of different
     * {@code connectTimeout}s sharing the transport have a pool each, and so up to that many connections each.
     *
     * @param maxConnectionsPerHost the most connections per host; at least 1
     * @return a new transport, which owns its Vert.x instance and client
     * @throws IllegalArgumentException if {@code maxConnectionsPerHost < 1}
     */
    public static VertxTransport create(int maxConnectionsPerHost) {
        return create(maxConnectionsPerHost, DEFAULT_MAX_BODY_BYTES);
    }

    /**
     * As {@link #create(int)}, refusing a response body longer than {@code maxBodyBytes} with
     * {@link HttpTransport#bodyTooLarge}, as {@link HttpTransport#jdk(int)} does.
     *
     * @param maxConnectionsPerHost the most connections per host; at least 1
     * @param maxBodyBytes          the longest response body, in bytes
     * @return a new transport, which owns its Vert.x instance and client
     * @throws IllegalArgumentException if {@code maxConnectionsPerHost < 1}, or {@code maxBodyBytes} is negative or
     *                                  over {@link HttpTransport#DEFAULT_MAX_BODY_BYTES}
     */
    public static VertxTransport create(int maxConnectionsPerHost, int maxBodyBytes) {
        return create(maxConnectionsPerHost, maxBodyBytes, null);
    }

    /** As {@link #create(int, int)}, trusting the server certificates {@code trust} trusts, if not null (tests). */
    static VertxTransport create(int maxConnectionsPerHost, int maxBodyBytes, TrustOptions trust) {
        HttpTransport.checkedMaxBodyBytes(maxBodyBytes);
        if (maxConnectionsPerHost < 1) {
            throw new IllegalArgumentException("maxConnectionsPerHost must be >= 1, got " + maxConnectionsPerHost);
        }
        Vertx vertx = Vertx.vertx();
        var errors = new ConnectionErrors();
        java.util.function.IntFunction<HttpClient> newClient = connectTimeoutMillis -> {
            var options = new HttpClientOptions().setKeepAlive(true).setPipelining(false).setTcpNoDelay(true)
                    .setConnectTimeout(connectTimeoutMillis).setMaxHeaderSize(MAX_HEADER_BYTES);
            if (trust != null) {
                options.setTrustOptions(trust);
            }
            return vertx.httpClientBuilder()
                    .with(options)
                    .with(new PoolOptions().setHttp1MaxSize(maxConnectionsPerHost).setMaxWaitQueueSize(-1))
                    .withConnectHandler(errors::watch)
                    .build();
        };
        return new VertxTransport(vertx, null, newClient, errors, maxBodyBytes);
    }

    /**
     * A transport on {@code client}, which stays the caller's: {@link #close()} does not close it, and the exception
     * handlers of its connections stay the caller's too (without one, Vert.x logs an error of a connection, a
     * malformed response say, even though the transport also reports it to the caller). Redirects are the session's to follow, as
     * with {@link #create()}: the transport never asks {@code client} to follow one, whatever its redirect handler
     * (Vert.x follows one only for a request that asks it to), so the session sees every 3xx.
     *
     * @param client the client to send with; the caller's to close
     * @return a new transport on {@code client}
     * @throws NullPointerException if {@code client} is null
     */
    public static VertxTransport of(HttpClient client) {
        return of(client, DEFAULT_MAX_BODY_BYTES);
    }

    /**
     * As {@link #of(HttpClient)}, refusing a response body longer than {@code maxBodyBytes} with
     * {@link HttpTransport#bodyTooLarge}.
     *
     * @param client       the client to send with; the caller's to close
     * @param maxBodyBytes the longest response body, in bytes
     * @return a new transport on {@code client}
     * @throws IllegalArgumentException if {@code maxBodyBytes} is negative or over
     *                                  {@link HttpTransport#DEFAULT_MAX_BODY_BYTES}
     * @throws NullPointerException if {@code client} is null
     */
    public static VertxTransport of(HttpClient client, int maxBodyBytes) {
        Objects.requireNonNull(client, "client must not be null");
        return new VertxTransport(null, client, null, null, HttpTransport.checkedMaxBodyBytes(maxBodyBytes));
    }

    @Override
    public CompletableFuture<ClientResponse> send(ClientRequest request) {
        return start(request, new Exchange<>(request, connectionErrors, maxBodyBytes, owned, head -> head, null));
    }

    /**
     * Streams the body: the response is paused at its head, and each part the subscriber asks for is fetched
     * ({@link HttpClientResponse#fetch}); Vert.x reads no further from the connection than its inbound queue holds.
     * Cancelling the subscription before the end resets the request, closing its connection.
     */
    @Override
    public CompletableFuture<StreamedResponse> stream(ClientRequest request) {
        return start(request, new Exchange<>(request, connectionErrors, maxBodyBytes, owned,
                head -> new StreamedResponse(head, emptyBody(request)), StreamedResponse::new));
    }

    private <R> CompletableFuture<R> start(ClientRequest request, Exchange<R> exchange) {
        if (closed) {
            throw new IllegalStateException("HTTP transport 'vertx' is closed");
        }
        var options = withTimeout(request, new RequestOptions()
                .setMethod(HttpMethod.valueOf(request.method()))
                // ASCII, percent-encoded as UTF-8, like the JDK client's: Vert.x would write other characters into
                // the request line as they are, in UTF-8, and a request line must be ASCII (RFC 9112 3.2)
                .setAbsoluteURI(request.uri().toASCIIString()));
        for (Map.Entry<String, List<String>> h : request.headers().entrySet()) {
            for (String v : h.getValue()) {
                options.addHeader(h.getKey(), v);
            }
        }
        HttpClient sender = clientFor(request);
        if (request.timeout() != null) {
            exchange.arm(request.timeout()); // before the exchange starts, so that its end always finds the timer
        }
        Future<HttpClientRequest> created;
        try {
            created = sender.request(options);
        } catch (IllegalStateException e) {
            if (!Exchange.clientClosed(e)) {
                throw e;
            }
            // a client of the caller's that the caller closed: the exchange fails as those in flight on it did
            exchange.fail(e);
            return exchange;
        }
        created.onComplete(exchange.guarded(exchange::sendOn), exchange::fail);
        return exchange;
    }

    /** {@code options} with the timeout of {@code request}, if it has one, as Vert.x's own idle timeout. */
    private static RequestOptions withTimeout(ClientRequest request, RequestOptions options) {
        return request.timeout() == null ? options : options.setTimeout(Math.max(1, millis(request.timeout())));
    }

    private static long millis(Duration d) {
        try {
            return d.toMillis();
        } catch (ArithmeticException beyondLongMillis) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    @Override
    public String name() {
        return "vertx";
    }

    /** Closes the transport's own clients and its Vert.x instance, not a client of the caller's; does not wait. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true; // no client is added from now on
        }
        if (owned) {
            var closing = clients.values().stream().map(c -> c.close()).toList();
            Future.join(closing).onComplete(done -> vertx.close());
        }
    }

    @Override
    public String toString() {
        return "HttpTransport[vertx" + (closed ? ", closed" : "") + "]";
    }

    /**
     * One exchange: the future handed to the session, which resets the Vert.x request when cancelled or timed out.
     */
    private static final class Exchange<R> extends CompletableFuture<R> {

        private final ClientRequest request;
        /** What the exchange completes with for a response without a body to read (a redirect dropped). */
        private final java.util.function.Function<ClientResponse, R> ofHead;
        /** What a streamed exchange completes with, of the head and the body's publisher; null for a whole one. */
        private final java.util.function.BiFunction<ClientResponse, Flow.Publisher<List<ByteBuffer>>, R> streamed;
        /** Completed when the exchange is done with its connection: at its end, or a streamed body's end. */
        private final CompletableFuture<Void> released = new CompletableFuture<>();
        private final ConnectionErrors connectionErrors; // null on a client of the caller's
        private final int maxBodyBytes;
        /** Whether the request goes out on a client of the transport's own, which keeps its connect timeout. */
        private final boolean ownClient;
        private HttpClientRequest sent; // guarded by this
        private ScheduledFuture<?> timer; // written before the exchange starts
        /**
         * The read timeout's timer, or null: armed once the request has its connection, touched as the response comes.
         */
        private volatile HttpTransport.IdleTimer idle;

        Exchange(ClientRequest request, ConnectionErrors connectionErrors, int maxBodyBytes, boolean ownClient,
                 java.util.function.Function<ClientResponse, R> ofHead,
                 java.util.function.BiFunction<ClientResponse, Flow.Publisher<List<ByteBuffer>>, R> streamed) {
            this.request = request;
            this.ofHead = ofHead;
            this.streamed = streamed;
            // a whole exchange is done with its connection when it ends; a streamed one also when it fails
            whenComplete((r, e) -> {
                if (streamed == null || e != null) {
                    released.complete(null);
                }
            });
            this.ownClient = ownClient;
            this.connectionErrors = connectionErrors;
            this.maxBodyBytes = maxBodyBytes;
        }

        void arm(Duration timeout) {
            timer = HttpTransport.scheduleTimeout(timeout, this::timeOut);
        }

        /** Arms the read timeout, if the request has one: once it has its connection, as aiohttp's sock_read. */
        private void armRead() {
            if (request.readTimeout() != null) {
                idle = HttpTransport.scheduleIdleTimeout(request.readTimeout(), this::readTimedOut);
                if (isDone()) { // ended meanwhile: its end may not have seen the timer
                    stopReadTimer();
                }
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

        /** Bytes of the response arrived: its head, or a part of its body. */
        private void touch() {
            HttpTransport.IdleTimer i = idle;
            if (i != null) {
                i.touch();
            }
        }

        private void timeOut() {
            expire(new ClientTimeoutException(request.method(), request.uri(), request.timeout(), null));
        }

        private void readTimedOut() {
            expire(new ClientReadTimeoutException(request.method(), request.uri(), request.readTimeout(), null));
        }

        /** Fails the exchange with {@code timeout}, on the timer thread, and resets its request. */
        private void expire(ClientTimeoutException timeout) {
            HttpClientRequest req;
            boolean timedOut;
            synchronized (this) {
                timedOut = completeExceptionally(timeout);
                req = sent;
            }
            if (timedOut) {
                disarm();
                if (req != null) {
                    req.reset();
                }
            }
        }

        void sendOn(HttpClientRequest req) {
            // Set before anything can reset the request: the reset a cancel or timeout makes is reported to this
            // handler (a no-op then, the exchange being done), where Vert.x would otherwise log it as an error.
            req.exceptionHandler(this::fail);
            if (!own(req)) { // cancelled or timed out before the request existed
                return;
            }
            armRead();
            send(req);
        }

        /**
         * Makes {@code req} the request a cancel, timeout or refusal resets, and counts its connection as the
         * exchange's ({@link #watchConnection}); false, with {@code req} reset and not to be sent, if the exchange has
         * ended meanwhile. The exception handler of {@code req} must already be set, to take the reset.
         */
        private boolean own(HttpClientRequest req) {
            synchronized (this) {
                if (isDone()) {
                    req.reset();
                    return false;
                }
                sent = req;
            }
            watchConnection(req);
            return true;
        }

        /**
         * Sends {@code req}, with the request's body, and reads its response as the exchange's. Without a body, a
         * method other than GET, HEAD and DELETE goes with an empty one, which Vert.x frames with
         * {@code Content-Length: 0}, as the JDK client frames it (RFC 9110 8.6; a POST without one may get a 411):
         * Vert.x sent no framing at all.
         */
        private void send(HttpClientRequest req) {
            byte[] body = request.body();
            String method = req.getMethod().name();
            Future<HttpClientResponse> response;
            if (body != null) {
                response = req.send(Buffer.buffer(body));
            } else if (method.equals("GET") || method.equals("HEAD") || method.equals("DELETE")) {
                response = req.send();
            } else {
                response = req.send(Buffer.buffer());
            }
            response.onComplete(guarded(this::read), this::fail);
        }

        /**
         * {@code handler}, ending the exchange with what it throws: Vert.x only logs an exception thrown by a handler
         * ("Unhandled exception") and the exchange would never end.
         */
        <T> Handler<T> guarded(Handler<T> handler) {
            return event -> {
                try {
                    handler.handle(event);
                } catch (RuntimeException | Error e) {
                    abort(failure(e));
                }
            };
        }

        /**
         * Counts the connection of {@code req} as busy with this exchange until it ends, so that its errors, which the
         * exchange reports, are not also logged as those of an idle connection.
         */
        private void watchConnection(HttpClientRequest req) {
            if (connectionErrors != null) {
                HttpConnection connection = req.connection();
                connectionErrors.busy(connection);
                released.whenComplete((r, e) -> connectionErrors.idle(connection));
            }
        }

        /** The most that a declared Content-Length pre-sizes a body's buffer to. */
        private static final int PRESIZE_LIMIT = 1 << 20;

        /**
         * Reads the body of {@code r} (on its event loop), refusing it with {@link HttpTransport#bodyTooLarge} as
         * soon as it is longer than the limit: not {@code r.body()}, which keeps whatever comes until the end.
         */
        private void read(HttpClientResponse r) {
            r.exceptionHandler(this::fail); // first: a refusal resets the response, which Vert.x would log without it
            touch();
            int status = r.statusCode();
            if (status < 100 || status > 999) {
                // Netty takes any code >= 0; ClientResponse would refuse it in the end handler, where Vert.x only
                // logs an exception, and the exchange would never end. The JDK client refuses it as this.
                abort(protocolError("status " + status + ", not in 100..999", null));
                return;
            }
            if (status == 101) {
                // The transport switches to no other protocol (the JDK client refuses an Upgrade header): what follows
                // on the connection is no HTTP it can read. Vert.x returned it as a response; the JDK client refuses
                // it as this.
                abort(protocolError("status 101 Switching Protocols, to a request that switches to no other"
                        + " protocol", null));
                return;
            }
            if (status / 100 == 3 && HttpTransport.followsRedirect(request, status, r.getHeader("Location"))) {
                drop(r, request.method().equalsIgnoreCase("HEAD"));
                return;
            }
            // A HEAD's or a 304's Content-Length is that of a body that does not come (RFC 9110 6.4.1, 8.6).
            boolean noBody = request.method().equalsIgnoreCase("HEAD") || status / 100 == 1 || status == 204
                    || status == 304;
            long declared = noBody ? -1 : declaredLength(r);
            if (streamed != null) {
                stream(r);
                return;
            }
            if (declared > maxBodyBytes) {
                refuse();
                return;
            }
            // Sized by the Content-Length only up to PRESIZE_LIMIT: the length is the server's word, not bytes that
            // arrived, and a buffer of a declared gigabyte would be allocated before the first byte (and for nothing,
            // if the connection then closes). Beyond that the buffer grows as the body comes, as r.body()'s did.
            Buffer body = Buffer.buffer(declared >= 0 ? (int) Math.min(declared, PRESIZE_LIMIT) : 0);
            r.handler(guarded(chunk -> {
                if (isDone()) {
                    return; // refused, timed out or cancelled: what was already on its way is dropped
                }
                touch();
                if ((long) body.length() + chunk.length() > maxBodyBytes) {
                    refuse();
                } else {
                    body.appendBuffer(chunk);
                }
            }));
            // the request's URL as the caller gave it (as the JDK client does), not the ASCII form it went as
            r.endHandler(guarded(end -> succeed(new ClientResponse(request.method(), request.uri(), r.statusCode(),
                    new MultiMapView(r.headers()), body.getBytes()))));
        }

        /**
         * Completes a streamed exchange with the head of {@code r}, paused, and its body's publisher; a head that
         * comes after the exchange was cancelled or timed out has its request reset, its connection closed.
         */
        private void stream(HttpClientResponse r) {
            r.pause();
            var body = new Body(r, request, () -> released.complete(null));
            var head = new ClientResponse(request.method(), request.uri(), r.statusCode(), new MultiMapView(r.headers()),
                    new byte[0]);
            disarm(); // the body's timeouts are its subscriber's
            if (!complete(streamed.apply(head, body))) {
                body.cancel();
            }
        }

        /**
         * Completes the exchange with {@code r}, a redirect the session follows, and an empty body: that body
         * is nobody's (see {@link HttpTransport#followsRedirect}). Vert.x, when it followed redirects, waited for it
         * (for ever if it never ended) and failed the exchange on its errors. A body that is empty
         * ({@code Content-Length: 0}, a HEAD's) or has ended already leaves its connection to the pool, and so does a
         * small declared one read within a second (the exchange completes once it is); any other is not waited for:
         * its request is reset, its connection closed (one that never came would hold the connection until the
         * request's idle timeout). Its errors fail nothing.
         */
        private void drop(HttpClientResponse r, boolean noBody) {
            stopReadTimer(); // the body is nobody's: its stall fails nothing
            r.exceptionHandler(ofADroppedBody -> { });
            r.handler(dropped -> { });
            Future<Void> end = r.end();
            long declared = noBody ? 0 : declaredLength(r);
            var redirect = new ClientResponse(request.method(), request.uri(), r.statusCode(),
                    new MultiMapView(r.headers()), new byte[0]);
            if (declared > 0 && declared <= DRAINED_REDIRECT_BYTES && !end.isComplete()) {
                // Read, for a bounded time, so that the connection goes back to the pool for the next hop
                // On the response's own context, as its end handler: a body that ends as the bound passes is either
                // whole (its connection kept) or reset, never both.
                io.vertx.core.Context context = io.vertx.core.Vertx.currentContext(); // the response handler's
                Handler<Void> late = ignored -> {
                    if (!end.isComplete()) {
                        succeed(redirect);
                        r.request().reset();
                    }
                };
                var bound = HttpTransport.scheduleTimeout(DRAIN_BOUND,
                        () -> {
                            if (context != null) {
                                context.runOnContext(late);
                            } else {
                                late.handle(null);
                            }
                        });
                end.onComplete(ended -> {
                    bound.cancel(false);
                    succeed(redirect);
                });
                return;
            }
            succeed(redirect);
            if (declared != 0 && !end.isComplete()) {
                r.request().reset();
            }
        }

        /** As the JDK transport's: a redirect's declared body read, not dropped with its connection, up to this. */
        private static final long DRAINED_REDIRECT_BYTES = 64 * 1024;
        /** How long such a body is waited for before its connection is closed instead. */
        private static final java.time.Duration DRAIN_BOUND = java.time.Duration.ofSeconds(1);

        /** The {@code Content-Length}, or -1; Vert.x has refused a malformed one before the response gets here. */
        private static long declaredLength(HttpClientResponse r) {
            String length = r.getHeader("Content-Length");
            try {
                return length == null ? -1 : Long.parseLong(length.trim());
            } catch (NumberFormatException notANumber) {
                return -1;
            }
        }

        /** Fails the exchange with the body-too-large error and resets the request, closing its connection. */
        private void refuse() {
            abort(HttpTransport.bodyTooLarge(request, maxBodyBytes));
        }

        /** Fails the exchange with {@code failure} and resets the request, closing its connection. */
        private void abort(Throwable failure) {
            disarm();
            HttpClientRequest req;
            boolean aborted;
            synchronized (this) {
                aborted = completeExceptionally(failure);
                req = sent;
            }
            if (aborted && req != null) {
                req.reset();
            }
        }

        private void succeed(ClientResponse response) {
            disarm();
            complete(ofHead.apply(response));
        }

        /** Fails the exchange with {@link #failure}{@code (error)}. */
        void fail(Throwable error) {
            disarm();
            completeExceptionally(failure(error));
        }

        /**
         * What the exchange fails with, what the transport contract wants (an {@link java.io.IOException}, or a
         * {@link ClientException} naming the request; never an unchecked exception without the URL):
         * Vert.x's and Netty's own {@code IOException} as it is; Vert.x's timeout of the request (Vert.x 5's is a
         * checked {@link java.util.concurrent.TimeoutException}) and its unchecked timeout and connection errors as
         * a {@link ClientTimeoutException} / {@link ClientConnectionException}; an
         * {@link java.io.UncheckedIOException} as the {@code IOException} it carries; a Netty
         * {@link io.netty.handler.codec.DecoderException} that carries an {@code IOException} as that
         * {@code IOException}, a connection failure (it is how Netty's TLS handler reports a TLS error after the
         * handshake: a record that is no TLS record or fails its integrity check, an {@code SSLException}); Netty's
         * unchecked {@link io.netty.handler.codec.PrematureChannelClosureException} (the connection closed in the
         * middle of the response's head) as a {@link ClientConnectionException}; an
         * {@link IllegalArgumentException} or any other Netty {@code DecoderException} thrown by
         * Netty's or Vert.x's own code, which is how they refuse a malformed response (Netty's decoder: a bad status
         * line or chunk size, a {@code Content-Length} that is not a number, a header over its limit), and the
         * {@link IllegalStateException} with which
         * Vert.x refuses a response of a version other than HTTP/1.0 or 1.1 ("Unsupported HTTP version: HTTP/2.0"),
         * as a {@link java.net.ProtocolException}, as the JDK client reports a bad status line; the
         * {@code IllegalStateException} "Client is closed" with which Vert.x fails a request still waiting for a
         * connection when its client is closed as a {@link ClientConnectionException}, as the JDK client's requests in
         * flight end when it is shut down (they were a {@code ClientException} "failed: ..."); and any other
         * unchecked exception, which is no sign of a malformed response, as a {@link ClientException}
         * {@code failed: ...} naming the request with that exception as its cause, as {@code HttpTransport.jdk} does.
         */
        private Throwable failure(Throwable error) {
            return switch (error) {
                case io.netty.channel.ConnectTimeoutException t when connectTimeout(t) != null ->
                        new ClientConnectionTimeoutException(request.method(), request.uri(), connectTimeout(t), t);
                case IOException io -> tlsReason(io);
                case VertxException v when v.getClass().getSimpleName().contains("Timeout") ->
                        new ClientTimeoutException(request.method(), request.uri(), request.timeout(), v);
                case java.util.concurrent.TimeoutException t -> // Vert.x 5's own request timeout, a checked one
                        new ClientTimeoutException(request.method(), request.uri(), request.timeout(), t);
                case VertxException v -> new ClientConnectionException(request.method(), request.uri(),
                        "connection failed: " + v.getMessage(), v);
                case UncheckedIOException u -> u.getCause();
                case io.netty.handler.codec.DecoderException d
                        when d.getCause() instanceof IOException io -> tlsReason(io);
                case io.netty.handler.codec.PrematureChannelClosureException closed ->
                        new ClientConnectionException(request.method(), request.uri(),
                                "connection failed: " + describe(closed), closed);
                case RuntimeException refused when (refused instanceof IllegalArgumentException
                        || refused instanceof io.netty.handler.codec.DecoderException)
                        && HttpTransport.thrownBy(refused, "io.netty.", "io.vertx.") ->
                        protocolError(describe(refused), refused);
                case IllegalStateException unsupported when refusedVersion(unsupported) ->
                        protocolError(describe(unsupported), unsupported);
                case IllegalStateException closed when clientClosed(closed) ->
                        new ClientConnectionException(request.method(), request.uri(),
                                "connection failed: " + describe(closed), closed);
                case RuntimeException other -> new ClientException(request.method(), request.uri(),
                        "failed: " + describe(other), other);
                default -> error;
            };
        }

        /**
         * The JDK's own exception under Vert.x's {@link javax.net.ssl.SSLHandshakeException} "Failed to create SSL
         * connection", which says why the handshake failed ("PKIX path building failed: ...", "No name matching
         * localhost found"), as the JDK transport reports it; {@code io} itself otherwise.
         */
        private static IOException tlsReason(IOException io) {
            if (io instanceof javax.net.ssl.SSLHandshakeException
                    && io.getCause() instanceof javax.net.ssl.SSLException why
                    && why.getMessage() != null && !why.getMessage().isBlank()) {
                return why;
            }
            return io;
        }

        /** How Netty's connect timeout names its time: "connection timed out after 60000 ms: ...". */
        private static final java.util.regex.Pattern NETTY_CONNECT_TIMEOUT =
                java.util.regex.Pattern.compile("timed out after (\\d{1,10}) ms");

        /**
         * The connect timeout that Netty's {@code timedOut} reports: the request's on a client of the transport's own,
         * which keeps it; on a client of the caller's, the one Netty's message names ("connection timed out after
         * 60000 ms: ..."), the client's own. Null if it cannot be told (the failure is then a connection failure).
         */
        private Duration connectTimeout(io.netty.channel.ConnectTimeoutException timedOut) {
            if (ownClient) {
                return request.connectTimeout();
            }
            var said = NETTY_CONNECT_TIMEOUT.matcher(String.valueOf(timedOut.getMessage()));
            return said.find() ? Duration.ofMillis(Long.parseLong(said.group(1))) : null;
        }

        /**
         * Whether {@code e} is Vert.x's refusal of a response's version: the exception its check of each response
         * message ({@code Http1xClientConnection.validateMessage}) makes, which also passes on Netty's decoding
         * failures, and which makes no other {@code IllegalStateException}. Not every one Vert.x throws: most are
         * a misuse of its API, no sign of a malformed response.
         */
        private static boolean refusedVersion(IllegalStateException e) {
            StackTraceElement[] stack = e.getStackTrace();
            return stack.length > 0 && stack[0].getClassName().equals("io.vertx.core.http.impl.Http1xClientConnection")
                    && stack[0].getMethodName().equals("validateMessage");
        }

        /**
         * Whether {@code e} is how Vert.x fails a request of a client that is closed, or closing while the request
         * waits for a connection ({@code "Client is closed"}, from its check before a request or a new connection):
         * the end of every exchange still in flight when the transport, or a caller's client, is closed.
         */
        private static boolean clientClosed(IllegalStateException e) {
            return "Client is closed".equals(e.getMessage()) && HttpTransport.thrownBy(e, "io.vertx.");
        }

        /** {@code NumberFormatException: For input string: "abc"}, or the class name alone without a message. */
        private static String describe(Throwable e) {
            String m = e.getMessage();
            return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
        }

        private static ProtocolException protocolError(String what, Throwable cause) {
            var e = new ProtocolException("invalid HTTP response: " + what);
            e.initCause(cause);
            return e;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            HttpClientRequest req;
            boolean cancelled;
            synchronized (this) {
                cancelled = super.cancel(mayInterruptIfRunning);
                req = sent;
            }
            if (cancelled) {
                disarm();
                if (req != null) {
                    req.reset();
                }
            }
            return cancelled;
        }
    }

    /**
     * An empty body, for the head of a streamed redirect, whose body is dropped; for one subscriber, as
     * {@link Body}.
     */
    private static Flow.Publisher<List<ByteBuffer>> emptyBody(ClientRequest request) {
        var subscribed = new java.util.concurrent.atomic.AtomicBoolean();
        return subscriber -> {
            Objects.requireNonNull(subscriber, "subscriber must not be null");
            if (!subscribed.compareAndSet(false, true)) {
                refuse(request, subscriber);
                return;
            }
            var done = new java.util.concurrent.atomic.AtomicBoolean();
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    if (done.compareAndSet(false, true)) {
                        subscriber.onComplete();
                    }
                }

                @Override
                public void cancel() {
                    done.set(true);
                }
            });
        };
    }

    /**
     * Refuses {@code s}, a second subscriber to the body of {@code request}'s response, as Reactive Streams allows
     * (rule 1.9: its {@code onSubscribe}, with a subscription that does nothing, then {@code onError}), with an
     * {@link IllegalStateException} naming the request, as the JDK transport does.
     */
    private static void refuse(ClientRequest request, Flow.Subscriber<? super List<ByteBuffer>> s) {
        s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        });
        s.onError(new IllegalStateException(request.method() + " " + request.uri() + ": the response body has a"
                + " subscriber already (a body is read once; Reactive Streams rule 1.9: onSubscribe, then onError)"));
    }

    /**
     * The body of a streamed response: Vert.x's response, paused, each part fetched as the subscriber asks, on the
     * response's context (where Vert.x calls its handlers). An error or the end that comes before the subscriber is
     * kept for it. For one subscriber.
     */
    private static final class Body implements Flow.Publisher<List<ByteBuffer>>, Flow.Subscription {

        private final HttpClientResponse response;
        /** The request the response answers, which a refused second subscriber's error names. */
        private final ClientRequest request;
        private final io.vertx.core.Context context;
        /** Run once the body is done with its connection: ended, failed or cancelled. */
        private final Runnable released;
        private final java.util.concurrent.atomic.AtomicBoolean subscribed =
                new java.util.concurrent.atomic.AtomicBoolean();
        // on the context:
        private Flow.Subscriber<? super List<ByteBuffer>> subscriber;
        private boolean terminated;
        /** The end (null) or error that came before the subscriber, to be given to it; {@link #early} says which. */
        private Throwable earlyError;
        private boolean early;
        /** Parts asked for and not delivered. */
        private long demand;
        /**
         * The error of the connection, while the parts Vert.x still held when it came are drained into
         * {@link #leftover}, to be delivered as asked before it: Vert.x reports the error at once, ahead of the
         * parts of a paused response it has read and not handed over, which the Body dropped (the bytes before a
         * reset or a body cut short were lost about one time in two).
         */
        private Throwable failing;
        private boolean drained;
        private final java.util.ArrayDeque<ByteBuffer> leftover = new java.util.ArrayDeque<>();

        Body(HttpClientResponse response, ClientRequest request, Runnable released) {
            this.response = response;
            this.request = request;
            this.context = io.vertx.core.Vertx.currentContext();
            this.released = released;
            response.handler(part -> {
                ByteBuffer b = ByteBuffer.wrap(part.getBytes());
                if (failing != null) {
                    leftover.add(b);
                } else if (subscriber != null && !terminated) {
                    demand--;
                    subscriber.onNext(List.of(b));
                }
            });
            response.exceptionHandler(this::failed);
            response.endHandler(end -> terminate(null));
        }

        /** The connection failed with {@code error}: the parts Vert.x holds are drained first, then it is given. */
        private void failed(Throwable error) {
            if (terminated || failing != null) {
                return;
            }
            failing = error;
            response.fetch(Long.MAX_VALUE);
            if (context == null) {
                drained = true;
                flush();
                return;
            }
            context.runOnContext(v -> { // after the drain the fetch scheduled
                drained = true;
                flush();
            });
        }

        /** Delivers the drained parts as asked, then the error. */
        private void flush() {
            if (terminated || !drained) {
                return;
            }
            while (subscriber != null && demand > 0 && !leftover.isEmpty()) {
                demand--;
                subscriber.onNext(List.of(leftover.poll()));
                if (terminated) {
                    return; // cancelled meanwhile
                }
            }
            if (leftover.isEmpty()) {
                terminate(failing);
            }
        }

        private void terminate(Throwable error) {
            if (terminated) {
                return;
            }
            terminated = true;
            released.run();
            if (subscriber == null) {
                early = true;
                earlyError = error;
            } else if (error == null) {
                subscriber.onComplete();
            } else {
                subscriber.onError(error);
            }
        }

        private void onContext(Runnable action) {
            if (context == null || io.vertx.core.Vertx.currentContext() == context) {
                action.run();
            } else {
                context.runOnContext(v -> action.run());
            }
        }

        @Override
        public void subscribe(Flow.Subscriber<? super List<ByteBuffer>> s) {
            Objects.requireNonNull(s, "subscriber must not be null");
            if (!subscribed.compareAndSet(false, true)) {
                refuse(request, s);
                return;
            }
            onContext(() -> {
                subscriber = s;
                s.onSubscribe(this);
                if (early) {
                    early = false;
                    if (earlyError == null) {
                        s.onComplete();
                    } else {
                        s.onError(earlyError);
                    }
                }
            });
        }

        @Override
        public void request(long n) {
            onContext(() -> {
                if (terminated) {
                    return;
                }
                if (n <= 0) {
                    cancelHere();
                    subscriber.onError(new IllegalArgumentException("non-positive request: " + n
                            + " (Reactive Streams rule 3.9)"));
                    return;
                }
                demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                if (failing != null) {
                    flush();
                    return;
                }
                response.fetch(n);
            });
        }

        @Override
        public void cancel() {
            onContext(this::cancelHere);
        }

        private void cancelHere() {
            if (!terminated) {
                terminated = true;
                leftover.clear();
                released.run();
                response.request().reset();
            }
        }
    }

    /** Vert.x's case-insensitive headers as a read-only {@code Map}, without copying them. */
    private static final class MultiMapView extends AbstractMap<String, List<String>> {

        private final MultiMap headers;

        MultiMapView(MultiMap headers) {
            this.headers = headers;
        }

        @Override
        public List<String> get(Object key) {
            if (!(key instanceof String name)) {
                return null;
            }
            List<String> all = headers.getAll(name);
            return all.isEmpty() ? null : List.copyOf(all);
        }

        @Override
        public boolean containsKey(Object key) {
            return key instanceof String name && headers.contains(name);
        }

        @Override
        public Set<Entry<String, List<String>>> entrySet() {
            // Vert.x lists a name once per spelling the server used ("X-A" and "x-a"), each with every value of
            // the name: one entry per name, case-insensitively, under its first spelling
            var out = new LinkedHashMap<String, List<String>>();
            var seen = new java.util.HashSet<String>();
            for (String name : headers.names()) {
                if (seen.add(name.toLowerCase(java.util.Locale.ROOT))) {
                    out.put(name, List.copyOf(headers.getAll(name)));
                }
            }
            return Collections.unmodifiableMap(out).entrySet();
        }
    }
}
