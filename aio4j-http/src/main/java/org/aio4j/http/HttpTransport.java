package org.aio4j.http;

import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * The service provider interface a {@link ClientSession} sends its requests through: the role of aiohttp's
 * {@code BaseConnector}. The default, {@link #jdk()}, is the JDK's {@link HttpClient}; the optional module
 * {@code aio4j-http-vertx} provides a faster one on Vert.x. A transport knows nothing of event loops: the session
 * wraps the future it returns with {@link org.aio4j.EventLoop#wrapFuture} so that the calling task suspends.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #send} must not block: it starts the exchange and returns at once. It is called on the thread of the
 *       task that makes the request, which holds its event loop; any blocking there would stall every task of that
 *       loop. The returned future may complete on any thread.</li>
 *   <li>The request it gets is absolute ({@code http} or {@code https}) and has a timeout. The session enforces that
 *       timeout on its loop's clock; the transport should also enforce it on the real clock, because a loop on a
 *       virtual clock does not advance while a request is in flight.</li>
 *   <li>The future completes with the whole response (body read), or exceptionally: with an
 *       {@link java.io.IOException} for a failed exchange ({@link java.net.http.HttpTimeoutException},
 *       {@link java.net.SocketTimeoutException} or {@link ClientTimeoutException} for a timeout, or any
 *       {@link ClientException}). The session turns these into {@link ClientException}s naming the request.</li>
 *   <li>A request with a read timeout ({@link ClientRequest#readTimeout()}, not null) fails with
 *       {@link ClientReadTimeoutException} (its connection closed, as on a timeout) when no byte of the response
 *       arrives for that long, counted on the real clock from when the request has its connection (or earlier: from
 *       {@code send}, for a client that does not say when) to the response's head, then from each part of the body
 *       to the next ({@link #scheduleIdleTimeout} keeps it): aiohttp's {@code sock_read}. A redirect the session
 *       follows is done with at its head: its dropped body's stall fails nothing.</li>
 *   <li>A request with a connect timeout ({@link ClientRequest#connectTimeout()}, not null; the session gives each
 *       its {@link ClientSession.Builder#connectTimeout}) fails with {@link ClientConnectionTimeoutException} when a
 *       connection it needs is not established within it, on the real clock: aiohttp's {@code sock_connect}. It
 *       does not count a wait for a pooled connection. A transport on clients of its own applies the request's (the
 *       JDK's and Vert.x's clients keep one connect timeout each, so the transport keeps a client per distinct
 *       value: usually one); one on a client of the caller's may keep that client's own instead, and reports it.</li>
 *   <li>A body longer than the transport's limit ({@link #DEFAULT_MAX_BODY_BYTES} unless configured) fails the
 *       exchange with {@link #bodyTooLarge} as soon as it is known to be (from its {@code Content-Length}, else
 *       when the limit is passed), not after it was read whole: a huge body must not exhaust the heap. The
 *       {@code Content-Length} of a response that has no body (to a HEAD, a 1xx, 204 or 304) is not checked.</li>
 *   <li>Cancelling the returned future ({@code cancel(true)}) aborts the exchange and releases its connection.</li>
 *   <li>A transport does not follow redirects: the session does, hop by hop, each hop an exchange of its own
 *       (aiohttp's {@code ClientSession._request}), so that it sees every 3xx (its cookies, {@code allow_redirects},
 *       {@code max_redirects}, {@code resp.history}). A 3xx is completed as any other response, but for one the
 *       session follows ({@link #followsRedirect}): its body is nobody's, and the exchange completes with an empty
 *       body. A body that is empty ({@code Content-Length: 0}, a HEAD's) or has ended already leaves the connection
 *       to be reused, and so does a declared one of up to 64 KiB read within a second (then the exchange completes,
 *       so that the next hop, usually to the same host, finds the connection free); any other is not waited for and
 *       its connection is closed at the response's head: a body that never ends must not hold it. Errors of that
 *       body fail nothing. (aiohttp releases a redirect's connection to the pool if its body has come whole.)</li>
 *   <li>A request without a body ({@link ClientRequest#body()} {@code null}) goes out without
 *       {@code Content-Length} if its method is GET, HEAD or DELETE, and with {@code Content-Length: 0} otherwise
 *       (RFC 9110 8.6; aiohttp sends it with a POST, PUT or PATCH, and a server may answer 411 to one without it);
 *       an empty body with {@code Content-Length: 0} whatever the method.</li>
 *   <li>A request the transport cannot express (a restricted header, say) is refused by throwing
 *       {@link IllegalArgumentException} from {@code send}.</li>
 *   <li>Implementations are thread-safe: one transport serves many tasks, and loops, at once.</li>
 * </ul>
 *
 * <h2>Streamed exchanges</h2>
 * {@link #stream} is {@link #send} for {@link ClientSession#stream}: the same contract up to the response's head
 * (timeouts, read timeout, connect timeout, cancellation, redirects dropped as above), but its future completes at
 * the head, with a {@link StreamedResponse} whose body is a {@link Flow.Publisher} read only as its subscriber asks,
 * as the body's bytes come (not decoded: the session decodes a {@code Content-Encoding}). The transport's body limit
 * ({@link #maxBodyBytes()}) does not apply to it: the session holds {@link StreamingResponse#read()} to it. Once the
 * future has completed, the exchange's timeouts are the session's: the body's read timeout and what is left of the
 * request's timeout are kept by the subscriber, which cancels its subscription when they pass. The default
 * implementation reads the whole response with {@link #send} and publishes its body as one part: correct, but
 * without the constant memory that streaming is for; {@link #jdk()} and {@code VertxTransport} stream.
 */
public interface HttpTransport extends AutoCloseable {

    /**
     * The longest response body a transport accepts unless told otherwise: what a Java byte array holds (a little
     * under 2 GiB), the whole body being handed over as one. aiohttp has no such limit ({@code resp.read()} reads
     * whatever comes); pass a lower one to {@link #jdk(int)} or {@code VertxTransport.create(int, int)} when the
     * heap cannot hold that much per request in flight.
     */
    int DEFAULT_MAX_BODY_BYTES = Integer.MAX_VALUE - 8;

    /**
     * Whether the session follows a response to {@code request} of status {@code status} with the {@code Location}
     * header {@code location} (null if it has none): a 301, 302, 303, 307 or 308 with a {@code Location} that is not
     * empty (aiohttp takes an empty one for none), to a request that follows redirects
     * ({@link ClientRequest#allowRedirects()}), as aiohttp's {@code _request} decides. Its body is then nobody's: a
     * transport completes the exchange with an empty body, reading a small declared one first, as the class comment
     * says. (The session may still refuse to follow it: a {@code Location} that is no http(s) URL, or one redirect
     * too many.)
     *
     * @param request  the request the response answers
     * @param status   the response's status
     * @param location the response's {@code Location} header, or null
     * @return whether the session follows the response
     * @throws NullPointerException if {@code request} is null
     */
    static boolean followsRedirect(ClientRequest request, int status, String location) {
        return java.util.Objects.requireNonNull(request, "request must not be null").allowRedirects()
                && location != null && !location.isBlank() && isRedirect(status);
    }

    /** Whether {@code status} is one of the redirects aiohttp follows: 301, 302, 303, 307 or 308. */
    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /**
     * Starts sending {@code request} and returns a future of its whole response, without blocking.
     *
     * @param request an absolute request with a timeout
     * @return a future that completes with the response, or exceptionally with an {@link java.io.IOException};
     *         cancelling it aborts the exchange
     * @throws IllegalArgumentException if the transport cannot send such a request
     * @throws IllegalStateException    if the transport is closed
     */
    CompletableFuture<ClientResponse> send(ClientRequest request);

    /**
     * Starts sending {@code request} and returns a future of its response's head, without blocking and without
     * reading its body, which the returned {@link StreamedResponse} publishes as its subscriber asks: for
     * {@link ClientSession#stream}, aiohttp's {@code session.get(url)} whose {@code resp.content} is read later.
     * The contract of {@link #send} holds up to the head; see the class comment for the body.
     *
     * <p>The default sends the request with {@link #send} and publishes its whole body as one part (cancelling
     * the returned future cancels that of {@code send}); a transport that can read a body as it is asked for
     * overrides it.
     *
     * @param request an absolute request with a timeout
     * @return a future that completes with the head and the body's publisher, or exceptionally as that of
     *         {@link #send}; cancelling it aborts the exchange
     * @throws IllegalArgumentException if the transport cannot send such a request
     * @throws IllegalStateException    if the transport is closed
     */
    default CompletableFuture<StreamedResponse> stream(ClientRequest request) {
        return StreamedBodies.ofWhole(send(request));
    }

    /**
     * A response whose head has arrived and whose body has not been read: what {@link #stream} completes with.
     *
     * <p>The body publisher takes one subscriber (the session subscribes once, always, if only to cancel; the JDK
     * and Vert.x transports and the default {@link #stream} refuse a second one as Reactive Streams rule 1.9 allows,
     * {@code onSubscribe} then {@code onError} with an {@link IllegalStateException} naming the request), and
     * sends it the body's bytes in parts, each part a list of buffers (what one read from the connection gave), one
     * part per unit of demand and no more; nothing is read from the connection beyond what was asked for but what
     * the transport's own fixed buffers hold, so that a consumer that does not ask stops the server (TCP's flow
     * control). It completes at the body's end, which leaves the connection to the pool, and signals
     * {@code onError} with an {@link java.io.IOException} (or a {@link ClientException}) when the body fails: the
     * connection reset, a body cut short. Cancelling the subscription before the end aborts the exchange and closes
     * its connection. The response to a HEAD, a 1xx, 204 or 304 has an empty body, and so has a redirect the session
     * follows ({@link #followsRedirect}), which the transport drops as {@link #send} does. Signals may come on any
     * thread, one at a time.
     *
     * @param head the response's method, URL, status and headers, its body empty
     * @param body the body's bytes, as asked for
     */
    record StreamedResponse(ClientResponse head, Flow.Publisher<List<ByteBuffer>> body) {

        /**
         * A streamed response.
         *
         * @param head the response's head, its body empty
         * @param body the body's publisher
         * @throws NullPointerException if an argument is null
         */
        public StreamedResponse {
            java.util.Objects.requireNonNull(head, "head must not be null");
            java.util.Objects.requireNonNull(body, "body must not be null");
        }
    }

    /**
     * The longest response body this transport accepts, in bytes: the session holds a body it decodes (aiohttp's
     * {@code auto_decompress}) to the same limit, so that a small compressed body cannot decode into more than the
     * transport would have taken. {@link #DEFAULT_MAX_BODY_BYTES} unless the transport has a lower one; aiohttp has
     * no such limit.
     *
     * @return the transport's body limit
     */
    default int maxBodyBytes() {
        return DEFAULT_MAX_BODY_BYTES;
    }

    /**
     * A short name for messages and benchmarks, e.g. {@code jdk} or {@code vertx}.
     *
     * @return the transport's name
     */
    String name();

    /**
     * Releases the transport's connections and threads, without waiting: exchanges still in flight fail with an
     * {@link java.io.IOException}. Closing twice does nothing. A transport on a client that stays the caller's
     * ({@link #jdk(HttpClient)}, {@code VertxTransport.of}) only stops taking requests: the client, and the
     * exchanges in flight on it, end when the caller closes that client.
     */
    @Override
    void close();

    /**
     * Runs {@code onTimeout} once {@code timeout} has passed on the real clock, for a transport that keeps the
     * contract's real-clock timeout itself: one timer thread serves every transport, and cancelling the returned
     * future (when the exchange ends first) removes the timer at once. A timeout too long for a {@code long} of
     * nanoseconds waits forever.
     *
     * @param timeout   how long to wait, on the real clock
     * @param onTimeout what to run then, on the timer thread; it must not block
     * @return the timer, which cancelling removes
     * @throws NullPointerException if an argument is null
     */
    static java.util.concurrent.ScheduledFuture<?> scheduleTimeout(java.time.Duration timeout, Runnable onTimeout) {
        return TransportTimers.schedule(java.util.Objects.requireNonNull(timeout, "timeout must not be null"),
                java.util.Objects.requireNonNull(onTimeout, "onTimeout must not be null"));
    }

    /**
     * Runs {@code onIdle} once {@code idle} has passed on the real clock without a {@link IdleTimer#touch()}, for a
     * transport that keeps a request's read timeout ({@link ClientRequest#readTimeout()}) itself: armed when the
     * exchange starts, touched when the response's head and each part of its body arrive, cancelled when the
     * exchange ends. On the timer thread of {@link #scheduleTimeout}; a touch costs a volatile write, no timer.
     *
     * @param idle   the longest quiet time, on the real clock
     * @param onIdle what to run then, on the timer thread; it must not block
     * @return the timer, to touch and to cancel
     * @throws NullPointerException if an argument is null
     */
    static IdleTimer scheduleIdleTimeout(java.time.Duration idle, Runnable onIdle) {
        return TransportTimers.scheduleIdle(java.util.Objects.requireNonNull(idle, "idle must not be null"),
                java.util.Objects.requireNonNull(onIdle, "onIdle must not be null"));
    }

    /** A timer of {@link #scheduleIdleTimeout}: it fires once it has not been touched for its time. */
    interface IdleTimer {

        /** Notes activity now: the quiet time starts again. Thread-safe, cheap. */
        void touch();

        /** Removes the timer: it will not fire, if it has not yet. Thread-safe; cancelling twice does nothing. */
        void cancel();
    }

    /**
     * Whether {@code e} was thrown by the code of an HTTP client whose classes are in one of {@code packagePrefixes}
     * (e.g. {@code "jdk.internal.net.http."}), rather than by code that client called back (a body handler, a
     * redirect handler of the caller's): the first frame of its stack outside the JDK's public API ({@code java.base}
     * and {@code java.*}, such as the {@code Long.parseLong} under a client's header parser) says who threw it. An
     * exception without a stack is nobody's. For a transport telling a malformed response, which a client refuses
     * with an unchecked exception of its own (an {@link IllegalArgumentException}), and which aiohttp reports as a
     * {@code ClientResponseError}, from a bug elsewhere; no asyncio counterpart.
     *
     * @param e               the exception to judge
     * @param packagePrefixes the prefixes of the client's class names
     * @return whether the client's own code threw {@code e}
     * @throws NullPointerException if an argument is null
     */
    static boolean thrownBy(Throwable e, String... packagePrefixes) {
        java.util.Objects.requireNonNull(packagePrefixes, "packagePrefixes must not be null");
        for (StackTraceElement frame : e.getStackTrace()) {
            String c = frame.getClassName();
            if (!"java.base".equals(frame.getModuleName()) && !c.startsWith("java.")) {
                for (String prefix : packagePrefixes) {
                    if (c.startsWith(prefix)) {
                        return true;
                    }
                }
                return false;
            }
        }
        return false;
    }

    /**
     * What an exchange fails with when the response body of {@code request} is longer than {@code maxBodyBytes}, the
     * transport's limit: one {@link ClientException} for every transport, whose message names the request and the
     * limit.
     *
     * @param request      the request whose response was too long
     * @param maxBodyBytes the transport's limit, in bytes
     * @return the exception to fail the exchange with (not thrown)
     * @throws NullPointerException if {@code request} is null
     */
    static ClientException bodyTooLarge(ClientRequest request, int maxBodyBytes) {
        java.util.Objects.requireNonNull(request, "request must not be null");
        return new ClientException(request.method(), request.uri(), "response body too large: more than "
                + maxBodyBytes + " bytes, the transport's limit (maxBodyBytes)", null);
    }

    /**
     * A transport on a new JDK {@link HttpClient} of its own: HTTP/1.1 (like aiohttp; see below), redirects not
     * followed ({@link HttpClient.Redirect#NEVER}: the session follows them), a pool of keep-alive connections without
     * a size limit, virtual threads as its executor, and the request's connect timeout
     * ({@link ClientRequest#connectTimeout()}) as the client's: one client per distinct connect timeout, made when a
     * request first needs it (that of the sessions' default, 30 seconds, at once). {@link #close()} shuts them down.
     *
     * <p>HTTP/1.1 rather than the JDK's default HTTP/2 because on a cleartext {@code http://} URL HTTP/2 means an
     * {@code Upgrade: h2c} round on each new connection, which plain servers ignore; pass a client of your own to
     * {@link #jdk(HttpClient)} for HTTP/2 over TLS.
     *
     * @return a new transport, which owns its client
     */
    static HttpTransport jdk() {
        return jdk(DEFAULT_MAX_BODY_BYTES);
    }

    /**
     * As {@link #jdk()}, refusing a response body longer than {@code maxBodyBytes} with {@link #bodyTooLarge}.
     *
     * @param maxBodyBytes the longest response body, in bytes
     * @return a new transport, which owns its client
     * @throws IllegalArgumentException if {@code maxBodyBytes} is negative or over {@link #DEFAULT_MAX_BODY_BYTES}
     */
    static HttpTransport jdk(int maxBodyBytes) {
        return new JdkTransport(null, checkedMaxBodyBytes(maxBodyBytes));
    }

    /**
     * A transport on {@code client}, which stays the caller's: {@link #close()} does not shut it down. Redirects are
     * the session's to follow, as with {@link #jdk()}, if {@code client} does not follow them itself
     * ({@link HttpClient.Redirect#NEVER}, {@link HttpClient#newHttpClient()}'s default). One that does
     * ({@code NORMAL}, {@code ALWAYS}) follows them inside the exchange, and the session sees only the response it
     * ends on: not the cookies of the 3xx before it, nor its {@link ClientRequest#allowRedirects()},
     * {@link ClientRequest#maxRedirects()} and {@link ClientResponse#history()}, which cover what the session sees.
     * Connections are opened within the client's own connect timeout ({@link HttpClient#connectTimeout()}; none
     * unless it was built with one), not the request's ({@link ClientRequest#connectTimeout()}): its
     * {@link java.net.http.HttpConnectTimeoutException} fails the request with a
     * {@link ClientConnectionTimeoutException} naming the client's.
     *
     * @param client the client to send with; the caller's to close
     * @return a new transport on {@code client}
     * @throws NullPointerException if {@code client} is null
     */
    static HttpTransport jdk(HttpClient client) {
        return jdk(client, DEFAULT_MAX_BODY_BYTES);
    }

    /**
     * As {@link #jdk(HttpClient)}, refusing a response body longer than {@code maxBodyBytes} with
     * {@link #bodyTooLarge}.
     *
     * @param client       the client to send with; the caller's to close
     * @param maxBodyBytes the longest response body, in bytes
     * @return a new transport on {@code client}
     * @throws IllegalArgumentException if {@code maxBodyBytes} is negative or over {@link #DEFAULT_MAX_BODY_BYTES}
     * @throws NullPointerException if {@code client} is null
     */
    static HttpTransport jdk(HttpClient client, int maxBodyBytes) {
        return new JdkTransport(java.util.Objects.requireNonNull(client, "client must not be null"),
                checkedMaxBodyBytes(maxBodyBytes));
    }

    /**
     * {@code maxBodyBytes}, checked as every transport's limit must be: for transports that take one, so that all
     * refuse the same values with the same message.
     *
     * @param maxBodyBytes the limit to check
     * @return {@code maxBodyBytes}
     * @throws IllegalArgumentException if {@code maxBodyBytes} is negative or over {@link #DEFAULT_MAX_BODY_BYTES}
     */
    static int checkedMaxBodyBytes(int maxBodyBytes) {
        if (maxBodyBytes < 0 || maxBodyBytes > DEFAULT_MAX_BODY_BYTES) {
            throw new IllegalArgumentException("maxBodyBytes must be in 0.." + DEFAULT_MAX_BODY_BYTES
                    + " (what a byte array holds), got " + maxBodyBytes);
        }
        return maxBodyBytes;
    }
}
