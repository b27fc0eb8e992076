package org.aio4j.http;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.aio4j.Aio;
import org.aio4j.AsyncGenerator;
import org.aio4j.AsyncIterator;
import org.aio4j.EventLoop;
import org.aio4j.Future;

/**
 * An awaitable HTTP client: aiohttp's {@code ClientSession}. Its calls suspend the calling task until the response
 * has arrived in full ({@link #stream}: until its head has, its body then read as the caller asks), and never block
 * the event loop: other tasks run meanwhile.
 *
 * <pre>{@code
 * try (var http = ClientSession.builder().baseUrl("http://127.0.0.1:8080").build()) {
 *     Aio.run(() -> {
 *         ClientResponse a = http.get("/a");                         // suspends this task only
 *         List<FetchResult> all = http.fetchAll(urls, 100, FetchOrder.COMPLETION);
 *         ...
 *     });
 * }
 * }</pre>
 *
 * <h2>How a request runs</h2>
 * The session hands the request to its {@link HttpTransport} (the JDK's {@link java.net.http.HttpClient} unless
 * another is given), which starts the exchange without blocking, and wraps the transport's future with
 * {@link EventLoop#wrapFuture}: the task suspends like on any awaited future, and is resumed by the loop when the
 * response is there.
 *
 * <h2>Credentials</h2>
 * {@link BasicAuth} credentials go as a request's {@code Authorization} header: the session's
 * ({@link Builder#auth}, to its base URL's origin only if it has one), a request's own
 * ({@link ClientRequest#withAuth}), or those written in its URL ({@code http://user:secret@host/}, taken out of the
 * URL, as aiohttp's {@code strip_auth_from_url}). A request's own replace the session's.
 *
 * <h2>Redirects</h2>
 * The session follows them, as aiohttp's {@code _request} does, hop by hop, each hop an exchange of the transport
 * (which follows none itself): a 301, 302, 303, 307 or 308 with a {@code Location} leads to a request to that
 * {@code Location}, resolved against the URL of the 3xx. Every hop's response updates the {@link #cookieJar() cookie
 * jar}, and every hop's request carries the jar's cookies for its own URL. A 303 turns any method but HEAD into a GET,
 * a 301 or 302 a POST, without the body and the headers of the body ({@code Content-*}); any other redirect keeps the
 * method and the body (RFC 9110 15.4, as aiohttp). To another origin (scheme, host, port) the request's
 * {@code Authorization} and {@code Cookie} headers, the session's {@link Builder#header headers} among them, are not
 * sent, but for an upgrade from http to https on the same host and the default ports; aiohttp drops the
 * {@code Authorization} only. From https to http is followed, as aiohttp does. The final response's
 * {@link ClientResponse#history()} holds the redirects, oldest first (their bodies dropped, see
 * {@link HttpTransport#followsRedirect}). A request may follow none ({@link ClientRequest#withAllowRedirects}, as
 * {@link #head} does) and has a limit ({@link ClientRequest#withMaxRedirects}, 10 by default), beyond which it fails
 * with {@link TooManyRedirectsException}. A 3xx without a {@code Location} is the response. A {@code Location} that is
 * no URI, or a URL without a host name, fails the request as a malformed response ({@link ClientConnectionException},
 * as the transports report one); one to a URL that is not http or https with a {@link ClientException} (aiohttp's
 * {@code NonHttpUrlRedirectClientError}). The failure of a later hop names the request the caller made, and ends with
 * the hop's: {@code "... (at GET http://b/x, after 1 redirect)"}. A transport on a client of the caller's that follows
 * redirects itself shows the session only the response it ends on (see
 * {@link HttpTransport#jdk(java.net.http.HttpClient)}).
 *
 * <h2>Timeouts</h2>
 * Every request has one: its own ({@link ClientRequest#withTimeout}) or the session's default (5 minutes, aiohttp's
 * default {@code ClientTimeout(total=300)}), covering the whole exchange, every hop of its redirects included (each
 * hop's request carries what is left of it, for the transport). It is kept on the loop's clock, like
 * {@link Aio#waitFor}; the transport is given it too, so that a request also ends on a loop with a virtual clock,
 * which does not advance while a request is in flight. On timeout the exchange is aborted and
 * {@link ClientTimeoutException} thrown. A request may also have a read timeout (aiohttp's {@code sock_read}; none
 * unless given, {@link ClientRequest#withReadTimeout} or {@link Builder#readTimeout}): the longest the response may
 * keep it waiting for its next bytes, kept by the transport on the real clock; a stall longer than that aborts the
 * exchange with {@link ClientReadTimeoutException}. Opening a connection has a timeout of its own, the session's
 * connect timeout (aiohttp's {@code sock_connect}, 30 seconds by default, {@link Builder#connectTimeout}): a
 * connection not established in time fails the request with {@link ClientConnectionTimeoutException}. aiohttp's
 * {@code connect} (connecting and the wait for a pooled connection together) has no counterpart.
 *
 * <h2>Errors</h2>
 * A failed exchange throws a {@link ClientException} naming the request: {@link ClientConnectionException},
 * {@link ClientTimeoutException}, or, with {@link Builder#raiseForStatus(boolean) raiseForStatus(true)},
 * {@link ClientResponseException} for a status of 400 or more (by default an error status is an ordinary response,
 * as in aiohttp). The exception is created on the calling task, with the transport's as its cause.
 *
 * <h2>Cancellation</h2>
 * If the calling task is cancelled while it waits (by {@link org.aio4j.Task#cancel}, a {@link org.aio4j.Timeout},
 * a failing {@link org.aio4j.TaskGroup}), the exchange in flight (whatever hop of its redirects) is aborted and the
 * task's
 * {@link CancellationException} is thrown at once. If the response arrived in the same loop iteration as the
 * cancellation, before the task could resume, the cancellation wins and the response is dropped, as in asyncio.
 *
 * <h2>Threads</h2>
 * A session is thread-safe and may be shared by the tasks of several loops. Its requesting methods must be called
 * from a task (they suspend); from elsewhere they throw {@link IllegalStateException} before sending anything.
 * {@link #close()} may be called from any thread.
 */
public final class ClientSession implements AutoCloseable {

    /** aiohttp's default total timeout. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    /** aiohttp's default connect timeout ({@code ClientTimeout(total=300, sock_connect=30)}). */
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);

    /** What a request in flight as the session closes fails with (a {@link ClientConnectionException}'s detail). */
    static final String CLOSED_IN_FLIGHT = "the session was closed while the request was in flight";

    private final HttpTransport transport;
    private final boolean ownsTransport;
    private final String baseUrl;
    private final Duration timeout;
    /** The read timeout of requests that have none of their own ({@link Builder#readTimeout}), or null for none. */
    private final Duration readTimeout;
    /** The connect timeout of every request ({@link Builder#connectTimeout}). */
    private final Duration connectTimeout;
    private final boolean raiseForStatus;
    private final Map<String, List<String>> headers;
    /** The session's credentials ({@link Builder#auth}), or null. */
    private final BasicAuth auth;
    /** The base URL parsed, whose origin alone gets {@link #auth} when there is one; null without a base URL. */
    private final URI baseUri;
    private final boolean autoDecompress;
    private final CookieJar cookieJar;
    private volatile boolean closed;

    /** A session with the defaults: a JDK transport of its own, no base URL, a 5-minute timeout. */
    public ClientSession() {
        this(builder());
    }

    private ClientSession(Builder b) {
        this.ownsTransport = b.transport == null || b.ownsTransport;
        this.transport = b.transport == null // a JDK one whose client for the session's connect timeout is made at once
                ? new JdkTransport(null, HttpTransport.DEFAULT_MAX_BODY_BYTES, b.connectTimeout) : b.transport;
        this.baseUrl = b.baseUrl;
        this.timeout = b.timeout;
        this.readTimeout = b.readTimeout;
        this.connectTimeout = b.connectTimeout;
        this.raiseForStatus = b.raiseForStatus;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.auth = b.auth;
        this.baseUri = b.baseUrl == null ? null : URI.create(b.baseUrl);
        this.autoDecompress = b.autoDecompress;
        this.cookieJar = b.cookieJar == null ? new CookieJar() : b.cookieJar;
        if (!b.cookies.isEmpty()) {
            cookieJar.updateCookies(b.cookies, null);
        }
    }

    /**
     * A builder for a session with other settings than the defaults.
     *
     * @return a new builder with the default settings
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a new {@link ClientSession}: the keyword arguments of aiohttp's {@code ClientSession()}. */
    public static final class Builder {
        private HttpTransport transport;
        private boolean ownsTransport;
        private String baseUrl;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration readTimeout;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private boolean raiseForStatus;
        private final Map<String, List<String>> headers = new LinkedHashMap<>();
        private BasicAuth auth;
        private boolean autoDecompress = true;
        private CookieJar cookieJar;
        private final Map<String, String> cookies = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Sends through {@code transport} (aiohttp's {@code connector}). The session does not close it unless
         * {@code owned} is true (aiohttp's {@code connector_owner}).
         *
         * @param transport the transport to send through
         * @param owned     whether the session's {@link ClientSession#close()} closes the transport
         * @return this builder
         * @throws NullPointerException if {@code transport} is null
         */
        public Builder transport(HttpTransport transport, boolean owned) {
            this.transport = Objects.requireNonNull(transport, "transport must not be null");
            this.ownsTransport = owned;
            return this;
        }

        /**
         * Appends relative URLs (paths starting with {@code /}) to {@code url}: aiohttp's {@code base_url}, with one
         * difference: the base is a prefix, so with base {@code http://host/api}, {@code get("/a")} fetches
         * {@code http://host/api/a} (aiohttp resolves {@code /a} by RFC 3986, to {@code http://host/a}).
         *
         * @param url the base URL, an absolute http(s) URL without query or fragment
         * @return this builder
         * @throws IllegalArgumentException if {@code url} is not an absolute http(s) URL, or has a query, a fragment
         *                                  or credentials ({@code user:password@}: see {@link #auth})
         */
        public Builder baseUrl(String url) {
            URI u = ClientRequest.parse(url);
            if (!u.isAbsolute() || u.getHost() == null
                    || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))) {
                throw new IllegalArgumentException("base URL must be an absolute http(s) URL, got '" + url + "'");
            }
            if (u.getRawQuery() != null || u.getRawFragment() != null) {
                throw new IllegalArgumentException("base URL must not have a query or fragment, got '" + url + "'");
            }
            if (u.getRawUserInfo() != null) {
                throw new IllegalArgumentException("base URL must not carry credentials, got one for '"
                        + BasicAuth.withoutUserInfo(u) + "': give them to auth(new BasicAuth(login, password))");
            }
            this.baseUrl = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            return this;
        }

        /**
         * The timeout of requests that have none of their own (default 5 minutes): aiohttp's
         * {@code timeout=ClientTimeout(total=...)}.
         *
         * @param timeout how long a whole exchange may take
         * @return this builder
         * @throws IllegalArgumentException if it is not positive
         * @throws NullPointerException if {@code timeout} is null
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Durations.positive(timeout, "session timeout");
            return this;
        }

        /**
         * The read timeout of requests that have none of their own (default none): aiohttp's
         * {@code timeout=ClientTimeout(sock_read=...)}. A request then fails with {@link ClientReadTimeoutException}
         * when no byte of its response arrives for that long, as {@link ClientRequest#withReadTimeout} says: a server
         * that stalls is given up on well before {@link #timeout the timeout of the whole exchange}, which a long
         * download needs to be long.
         *
         * @param readTimeout the longest wait for a response's next bytes
         * @return this builder
         * @throws IllegalArgumentException if it is not positive
         * @throws NullPointerException if {@code readTimeout} is null
         */
        public Builder readTimeout(Duration readTimeout) {
            this.readTimeout = Durations.positive(readTimeout, "session read timeout");
            return this;
        }

        /**
         * How long a request may wait for its transport to open a connection to the server (default 30 seconds):
         * aiohttp's {@code timeout=ClientTimeout(sock_connect=...)}, whose default is the same. A connection not
         * established in time (a server that drops the connection attempt, a host that does not answer) fails the
         * request with {@link ClientConnectionTimeoutException}, nothing sent, rather than keeping it until
         * {@link #timeout the timeout of the whole exchange} or the operating system gives up. It counts the
         * connecting only (TCP, and the TLS handshake where the transport's client counts it), not a wait for one of
         * the transport's pooled connections, nor a request sent on a kept-alive one; each hop of a redirect that
         * needs a new connection has it anew. Kept by the transport, on the real clock, by its client's own connect
         * timeout: the JDK's {@code HttpClient.Builder.connectTimeout}, Vert.x's
         * {@code HttpClientOptions.setConnectTimeout}. A transport on a client of the caller's
         * ({@link HttpTransport#jdk(java.net.http.HttpClient)}, {@code VertxTransport.of}) keeps that client's own
         * instead. A connect timeout at least as long as the request's timeout never ends a request: the timeout
         * does first. There is no "none" (aiohttp's {@code sock_connect=None}), as there is none for the timeout:
         * give a long one.
         *
         * @param connectTimeout the longest wait for a connection to be established
         * @return this builder
         * @throws IllegalArgumentException if it is not positive
         * @throws NullPointerException if {@code connectTimeout} is null
         */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Durations.positive(connectTimeout, "session connect timeout");
            return this;
        }

        /**
         * Whether a status of 400 or more throws {@link ClientResponseException} (default false): aiohttp's
         * {@code raise_for_status}.
         *
         * @param on whether an error status throws
         * @return this builder
         */
        public Builder raiseForStatus(boolean on) {
            this.raiseForStatus = on;
            return this;
        }

        /**
         * Adds {@code value} to the header {@code name} sent with every request of the session: aiohttp's
         * {@code ClientSession(headers={name: value})}, an {@code Authorization} or a {@code User-Agent}, say. Call it
         * once per header, or per value of a repeated one. A request that has a header of the same name (in any case)
         * of its own ({@link ClientRequest#withHeader}) sends its own values instead, as in aiohttp.
         *
         * @param name  the header name, an HTTP token
         * @param value the value to add, printable ASCII
         * @return this builder
         * @throws IllegalArgumentException as {@link ClientRequest#withHeader} does: if {@code name} is not an HTTP
         *                                  token, or is {@code Content-Length} or {@code Transfer-Encoding}, or
         *                                  {@code value} has a control character or one that is not ASCII
         * @throws NullPointerException     if {@code name} or {@code value} is null
         */
        public Builder header(String name, String value) {
            ClientRequest.checkHeader(name, value);
            String key = headers.keySet().stream().filter(name::equalsIgnoreCase).findFirst().orElse(name);
            headers.merge(key, List.of(value), (a, b) -> {
                var all = new ArrayList<>(a);
                all.addAll(b);
                return List.copyOf(all);
            });
            return this;
        }

        /**
         * Sends {@code auth} as the {@code Authorization} header of the session's requests: aiohttp's
         * {@code ClientSession(auth=BasicAuth(...))}. As aiohttp's, only to the origin (scheme, host, port) of the
         * {@link #baseUrl base URL} if there is one, else to every URL; a request with credentials of its own
         * ({@link ClientRequest#withAuth}, in its URL, or an {@code Authorization} header) sends those instead; a
         * redirect to another origin drops them (see {@link ClientSession}).
         *
         * @param auth the credentials
         * @return this builder
         * @throws NullPointerException if {@code auth} is null
         */
        public Builder auth(BasicAuth auth) {
            this.auth = Objects.requireNonNull(auth, "auth must not be null");
            return this;
        }

        /**
         * Whether a compressed response body is decoded (default true): aiohttp's {@code auto_decompress}. With it,
         * a body under {@code Content-Encoding: gzip} or {@code deflate} (zlib-wrapped, or raw deflate as aiohttp
         * also accepts) comes decoded to {@link ClientResponse#read()}, {@code text()} and {@code json()}, held to
         * the transport's {@link HttpTransport#maxBodyBytes() body limit} once decoded; a body that is not valid in
         * its encoding throws {@link ClientPayloadException}. Without it, the body comes as the server sent it.
         * Either way, as aiohttp does, every request asks for {@code Accept-Encoding: gzip, deflate} unless it (or
         * the session's {@link #header headers}) has an {@code Accept-Encoding} of its own.
         *
         * @param on whether to decode compressed bodies
         * @return this builder
         */
        public Builder autoDecompress(boolean on) {
            this.autoDecompress = on;
            return this;
        }

        /**
         * Keeps the session's cookies in {@code jar} (default a new {@link CookieJar}, which refuses the cookies of
         * IP address hosts): aiohttp's {@code cookie_jar}; {@link CookieJar#dummy()} (aiohttp's
         * {@code DummyCookieJar}) keeps none, {@code new CookieJar(true)} ({@code CookieJar(unsafe=True)}) those of
         * IP address hosts too. A jar may be shared by sessions.
         *
         * @param jar the jar to keep cookies in
         * @return this builder
         * @throws NullPointerException if {@code jar} is null
         */
        public Builder cookieJar(CookieJar jar) {
            this.cookieJar = Objects.requireNonNull(jar, "jar must not be null");
            return this;
        }

        /**
         * Adds a cookie that goes with every request of the session, to any host: aiohttp's
         * {@code ClientSession(cookies={name: value})}. A dummy jar drops it, as aiohttp's does.
         *
         * @param name  the cookie's name
         * @param value its value
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is not a valid cookie name, or {@code value} has a
         *                                  control character, {@code ;} or a character that is not ASCII
         * @throws NullPointerException     if {@code name} or {@code value} is null
         */
        public Builder cookie(String name, String value) {
            CookieJar.cookie(name, value); // checks them
            cookies.put(name, value);
            return this;
        }

        /**
         * Builds the session; without a transport, it creates a JDK one of its own.
         *
         * @return a new open session
         * @throws IllegalArgumentException if both {@link #auth} and an {@code Authorization} {@link #header} were
         *                                  given
         */
        public ClientSession build() {
            if (auth != null && ClientRequest.hasHeader(headers, "Authorization")) {
                throw new IllegalArgumentException("cannot combine an Authorization header with auth(" + auth
                        + "): give the session's credentials once");
            }
            return new ClientSession(this);
        }
    }

    // ---- requests

    /**
     * Sends {@code GET url} and suspends the calling task until the whole response has arrived: aiohttp's
     * {@code await session.get(url)} followed by {@code await resp.read()}.
     *
     * @param url an absolute http(s) URL, or a path starting with {@code /} (appended to the base URL)
     * @return the response, its body read
     * @throws ClientException          if the exchange fails or times out (see the class comment)
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is not valid, or relative without a base URL
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     *                                  (one the session does not own, closed by its owner)
     */
    public ClientResponse get(String url) throws ClientException {
        return request(ClientRequest.get(url));
    }

    /**
     * As {@link #get(String)}, with a timeout for this request instead of the session's.
     *
     * @param timeout how long the whole exchange may take; not {@code null}: aiohttp's {@code timeout=None} means no
     *                timeout, which aio4j does not have, and {@link #get(String)} is the one for the session's
     * @param url an absolute http(s) URL, or a path starting with {@code /} (appended to the base URL)
     * @return the response, its body read
     * @throws NullPointerException     if {@code url} or {@code timeout} is null
     * @throws IllegalArgumentException if the URL is not valid, or the timeout not positive
     * @throws ClientException          if the exchange fails or times out (see the class comment)
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     *                                  (one the session does not own, closed by its owner)
     */
    public ClientResponse get(String url, Duration timeout) throws ClientException {
        Objects.requireNonNull(timeout, "timeout must not be null: get(url) uses the session's timeout"
                + " (there is no request without one)");
        return request(ClientRequest.get(url).withTimeout(timeout));
    }

    /**
     * Sends {@code POST url} with {@code body} and suspends the calling task until the whole response has arrived:
     * aiohttp's {@code await session.post(url, data=body)}. For headers (a {@code Content-Type}, say) or a timeout of
     * its own, send {@code ClientRequest.of("POST", url).withBody(body).withHeader(...)} with {@link #request}.
     *
     * @param url  an absolute http(s) URL, or a path starting with {@code /} (appended to the base URL)
     * @param body the body to send (not copied: do not change it until this returns), or {@code null} for none
     * @return the response, its body read
     * @throws ClientException          if the exchange fails or times out (see the class comment)
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is not valid, or relative without a base URL
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     * @throws NullPointerException     if {@code url} is null
     */
    public ClientResponse post(String url, byte[] body) throws ClientException {
        return request(ClientRequest.of("POST", url).withBody(body));
    }

    /**
     * Sends {@code PUT url} with {@code body}: aiohttp's {@code await session.put(url, data=body)}; otherwise as
     * {@link #post}.
     *
     * @param url  an absolute http(s) URL, or a path starting with {@code /} (appended to the base URL)
     * @param body the body to send (not copied: do not change it until this returns), or {@code null} for none
     * @return the response, its body read
     * @throws ClientException          if the exchange fails or times out (see the class comment)
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is not valid, or relative without a base URL
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     * @throws NullPointerException     if {@code url} is null
     */
    public ClientResponse put(String url, byte[] body) throws ClientException {
        return request(ClientRequest.of("PUT", url).withBody(body));
    }

    /**
     * Sends {@code DELETE url}: aiohttp's {@code await session.delete(url)}; otherwise as {@link #get(String)}.
     *
     * @param url an absolute http(s) URL, or a path starting with {@code /} (appended to the base URL)
     * @return the response, its body read
     * @throws ClientException          if the exchange fails or times out (see the class comment)
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is not valid, or relative without a base URL
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     * @throws NullPointerException     if {@code url} is null
     */
    public ClientResponse delete(String url) throws ClientException {
        return request(ClientRequest.of("DELETE", url));
    }

    /**
     * Sends {@code HEAD url}: aiohttp's {@code await session.head(url)}; otherwise as {@link #get(String)}. The
     * response has the headers a GET would have and an empty body. As aiohttp's {@code head}, it does not follow
     * redirects: a 3xx is the response. For one that does, send
     * {@code ClientRequest.of("HEAD", url).withAllowRedirects(true)} with {@link #request} (as aiohttp's
     * {@code head(url, allow_redirects=True)}).
     *
     * @param url an absolute http(s) URL, or a path starting with {@code /} (appended to the base URL)
     * @return the response, with an empty body
     * @throws ClientException          if the exchange fails or times out (see the class comment)
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is not valid, or relative without a base URL
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     * @throws NullPointerException     if {@code url} is null
     */
    public ClientResponse head(String url) throws ClientException {
        return request(ClientRequest.of("HEAD", url).withAllowRedirects(false));
    }

    /**
     * Sends {@code PATCH url} with {@code body}: aiohttp's {@code await session.patch(url, data=body)}; otherwise as
     * {@link #post}.
     *
     * @param url  an absolute http(s) URL, or a path starting with {@code /} (appended to the base URL)
     * @param body the body to send (not copied: do not change it until this returns), or {@code null} for none
     * @return the response, its body read
     * @throws ClientException          if the exchange fails or times out (see the class comment)
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is not valid, or relative without a base URL
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     * @throws NullPointerException     if {@code url} is null
     */
    public ClientResponse patch(String url, byte[] body) throws ClientException {
        return request(ClientRequest.of("PATCH", url).withBody(body));
    }

    /**
     * Sends {@code OPTIONS url}: aiohttp's {@code await session.options(url)}; otherwise as {@link #get(String)}.
     *
     * @param url an absolute http(s) URL, or a path starting with {@code /} (appended to the base URL)
     * @return the response, its body read
     * @throws ClientException          if the exchange fails or times out (see the class comment)
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is not valid, or relative without a base URL
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     * @throws NullPointerException     if {@code url} is null
     */
    public ClientResponse options(String url) throws ClientException {
        return request(ClientRequest.of("OPTIONS", url));
    }

    /**
     * Sends {@code request} and suspends the calling task until the whole response has arrived: aiohttp's
     * {@code await session.request(...)}.
     *
     * @param request the request to send; a relative URL is appended to the base URL
     * @return the response, its body read
     * @throws ClientException          if the exchange fails or times out (see the class comment)
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is relative and the session has no base URL, or the transport
     *                                  cannot send such a request
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     *                                  (one the session does not own, closed by its owner)
     * @throws NullPointerException     if {@code request} is null
     */
    public ClientResponse request(ClientRequest request) throws ClientException {
        Objects.requireNonNull(request, "request must not be null");
        EventLoop loop = callerLoop("request");
        return send(loop, resolve(request, null));
    }

    /**
     * Sends {@code GET url} and suspends the calling task until the response's head has arrived, leaving its body to
     * be read as the caller asks: aiohttp's {@code async with session.get(url) as resp:} followed by reads of
     * {@code resp.content}. See {@link #stream(ClientRequest)}.
     *
     * @param url an absolute http(s) URL, or a path starting with {@code /} (appended to the base URL)
     * @return the response, its body not read; close it
     * @throws ClientException          if the exchange fails or times out before the head has arrived
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is not valid, or relative without a base URL
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     * @throws NullPointerException     if {@code url} is null
     */
    public StreamingResponse stream(String url) throws ClientException {
        return stream(ClientRequest.get(url));
    }

    /**
     * Sends {@code request} and suspends the calling task until the response's head (status and headers) has
     * arrived; its body is read afterwards, as the caller asks, in constant memory
     * ({@link StreamingResponse#iterChunked}, {@link StreamingResponse#readAny}): aiohttp's
     * {@code async with session.request(...) as resp:} whose {@code resp.content} is then read. Everything else is
     * as for {@link #request}: redirects followed (their bodies dropped), cookies, credentials, the session's
     * headers, {@code raiseForStatus} (which closes the response before it throws), the connect and read timeouts,
     * and the request's timeout, which covers the body too, up to its end (aiohttp's {@code total}). Close the
     * response (try-with-resources): before the body's end, that aborts the exchange and closes its connection.
     *
     * <pre>{@code
     * try (StreamingResponse r = http.stream(ClientRequest.get("/big").withReadTimeout(Duration.ofSeconds(30)))) {
     *     for (byte[] chunk : r.iterChunked(64 * 1024)) {
     *         file.write(chunk);
     *     }
     * }
     * }</pre>
     *
     * @param request the request to send; a relative URL is appended to the base URL
     * @return the response, its body not read; close it
     * @throws ClientException          if the exchange fails or times out before the head has arrived
     * @throws CancellationException    if the calling task is cancelled meanwhile (the exchange is aborted)
     * @throws IllegalArgumentException if the URL is relative and the session has no base URL, or the transport
     *                                  cannot send such a request
     * @throws IllegalStateException    if not called from a task, or the session is closed, or its transport is
     * @throws NullPointerException     if {@code request} is null
     */
    public StreamingResponse stream(ClientRequest request) throws ClientException {
        Objects.requireNonNull(request, "request must not be null");
        EventLoop loop = callerLoop("stream");
        ClientRequest r = resolve(request, null);
        double startedAt = loop.time();
        long startedNanos = System.nanoTime();
        Future<HttpTransport.StreamedResponse> response = Hops.start(Hops.STREAMED, this, loop, r);
        HttpTransport.StreamedResponse streamed;
        try {
            streamed = Aio.waitFor(response, r.timeout());
        } catch (TimeoutException e) {
            dropLateStream(response);
            throw new ClientTimeoutException(r.method(), r.uri(), r.timeout(), e);
        } catch (Exception e) {
            if (Aio.currentTask().isInterruption(e)) {
                dropLateStream(response);
                throw (RuntimeException) e;
            }
            if (e instanceof CancellationException c) {
                throw Failures.cancelledByTransport(r, transport, c);
            }
            throw failure(r, e);
        }
        long timeout = Durations.nanos(r.timeout());
        Duration loopLeft = Duration.ofNanos(Math.max(0, timeout - (long) ((loop.time() - startedAt) * 1e9)));
        Duration realLeft = timeout >= Long.MAX_VALUE / 4 ? null
                : Duration.ofNanos(Math.max(0, timeout - (System.nanoTime() - startedNanos)));
        var reader = new BodyReader(loop, r, streamed.body(), loopLeft, realLeft);
        var s = new StreamingResponse(loop, r, streamed.head(), reader, autoDecompress, transport.maxBodyBytes());
        return raiseForStatus ? s.raiseForStatus() : s;
    }

    /** As {@link #dropLateOutcome}, for a streamed response, whose body is released if it came. */
    private static void dropLateStream(Future<HttpTransport.StreamedResponse> response) {
        if (response.isDone() && !response.isCancelled()) {
            if (response.exception() == null && response.result() != null) {
                StreamedBodies.discard(response.result().body());
            }
        }
    }

    /**
     * Fetches every URL with at most {@code limit} requests in flight, and suspends the calling task until all are
     * done. The result has one {@link FetchResult} per URL, in the order {@code order} says: a failed or timed-out
     * URL is reported as such while the others go on; nothing is dropped. The pattern of the seed's "scraping 1000
     * URLs" recipe (an {@code asyncio.Semaphore} around {@code session.get}, then {@code gather} or
     * {@code as_completed}), done once.
     *
     * <p>Requests start in the order of the list. If the calling task is cancelled, the requests in flight are
     * aborted, and this returns only once they have all ended, throwing the {@link CancellationException}. A request
     * refused when its turn comes, because the session or its transport was closed meanwhile or the transport cannot
     * send it, is reported in its result with the {@link IllegalStateException} or {@link IllegalArgumentException}
     * that {@link #request} would throw, and the others go on.
     *
     * @param urls  absolute http(s) URLs or paths starting with {@code /}; all checked before any is sent
     * @param limit the most requests in flight at once, at least 1
     * @param order whether results follow the list or come as they complete
     * @return one result per URL, in the order {@code order} says
     * @throws IllegalArgumentException if a URL is not valid (the message gives its index) or {@code limit < 1}
     * @throws IllegalStateException    if not called from a task, or the session is closed
     * @throws NullPointerException     if {@code urls} or {@code order} is null (a null URL is an invalid one)
     */
    public List<FetchResult> fetchAll(List<String> urls, int limit, FetchOrder order) {
        return all(batch("fetchAll", "urls", toRequests(urls), limit, order));
    }

    /**
     * As {@link #fetchAll}, for requests of any method, headers, body and timeout.
     *
     * @param requests the requests; all checked before any is sent
     * @param limit    the most requests in flight at once, at least 1
     * @param order    whether results follow the list or come as they complete
     * @return one result per request, in the order {@code order} says
     * @throws NullPointerException     if {@code requests}, one of them or {@code order} is null
     * @throws IllegalArgumentException if a request's URL is relative and the session has no base URL (the message
     *                                  gives its index), or {@code limit < 1}
     * @throws IllegalStateException    if not called from a task, or the session is closed
     */
    public List<FetchResult> requestAll(List<ClientRequest> requests, int limit, FetchOrder order) {
        return all(batch("requestAll", "requests", requests, limit, order));
    }

    private List<FetchResult> all(Batch b) {
        return new FetchEngine(this, b.loop(), b.requests(), b.limit(), b.order(), false).all();
    }

    /**
     * Fetches every URL with at most {@code limit} requests in flight, and returns the results as an async iterator
     * that a {@code for} loop consumes as they come: the seed's recipe 9 ({@code async for} over URL fetches) with
     * recipe 7's limit. One {@link FetchResult} per URL, in the order {@code order} says; a failed or timed-out URL
     * is reported as such at its place, the others go on, nothing is dropped.
     *
     * <pre>{@code
     * try (AsyncIterator<FetchResult> pages = http.fetchEach(urls, 100, FetchOrder.COMPLETION)) {
     *     for (FetchResult page : pages) {          // async for page in ...:
     *         save(page);
     *     }
     * }
     * }</pre>
     *
     * <p>Lazy, with backpressure: nothing is sent before the first {@code hasNext()}, requests start in list order,
     * and a request counts against the limit from its start until the consumer takes its result, so at most
     * {@code limit} results are ever started and not taken, and a consumer that stops taking stops the fetching.
     * The iterator is an {@link AsyncGenerator}: closing it, or the end of the task consuming it, aborts the
     * requests in flight and waits for them. It is a loop object: consume it from one task.
     *
     * @param urls  absolute http(s) URLs or paths starting with {@code /}; all checked before any is sent
     * @param limit the most requests in flight at once, at least 1
     * @param order whether results follow the list or come as they complete
     * @return an iterator of one result per URL, in the order {@code order} says
     * @throws IllegalArgumentException if a URL is not valid (the message gives its index) or {@code limit < 1}
     * @throws IllegalStateException    if not called from a task, or the session is closed
     * @throws NullPointerException     if {@code urls} or {@code order} is null (a null URL is an invalid one)
     */
    public AsyncIterator<FetchResult> fetchEach(List<String> urls, int limit, FetchOrder order) {
        return each(batch("fetchEach", "urls", toRequests(urls), limit, order));
    }

    /**
     * As {@link #fetchEach}, for requests of any method, headers, body and timeout.
     *
     * @param requests the requests; all checked, at this call, before any is sent
     * @param limit    the most requests in flight at once, at least 1
     * @param order    whether results follow the list or come as they complete
     * @return an iterator of one result per request, in the order {@code order} says
     * @throws NullPointerException     if {@code requests}, one of them or {@code order} is null
     * @throws IllegalArgumentException if a request's URL is relative and the session has no base URL (the message
     *                                  gives its index), or {@code limit < 1}
     * @throws IllegalStateException    if not called from a task, or the session is closed
     */
    public AsyncIterator<FetchResult> requestEach(List<ClientRequest> requests, int limit, FetchOrder order) {
        return each(batch("requestEach", "requests", requests, limit, order));
    }

    private AsyncIterator<FetchResult> each(Batch b) {
        return AsyncGenerator.of(out -> {
            var engine = new FetchEngine(this, b.loop(), b.requests(), b.limit(), b.order(), true);
            try {
                FetchResult r;
                while ((r = engine.take()) != null) {
                    out.emit(r);
                }
            } finally {
                engine.stop();
            }
        });
    }

    private ClientResponse send(EventLoop loop, ClientRequest request) throws ClientException {
        checkOpen();
        Future<ClientResponse> response = Hops.start(this, loop, request);
        ClientResponse r;
        try {
            r = Aio.waitFor(response, request.timeout());
        } catch (TimeoutException e) {
            dropLateOutcome(response);
            throw new ClientTimeoutException(request.method(), request.uri(), request.timeout(), e);
        } catch (Exception e) {
            if (Aio.currentTask().isInterruption(e)) { // cancelled, or aborted by its TaskGroup: not this request's
                dropLateOutcome(response);
                throw (RuntimeException) e;
            }
            if (e instanceof CancellationException c) { // not this task's cancellation: the transport cancelled it
                throw Failures.cancelledByTransport(request, transport, c);
            }
            throw failure(request, e);
        }
        r = received(request, r);
        return raiseForStatus ? r.raiseForStatus() : r;
    }

    /**
     * The exchange ended in the same loop iteration as the task's cancellation or timeout, too late for the task to
     * see it: the cancellation or timeout wins, as in asyncio, and the outcome is dropped on purpose rather than
     * reported by the loop as an exception nobody retrieved.
     */
    private static void dropLateOutcome(Future<ClientResponse> response) {
        if (response.isDone() && !response.isCancelled()) {
            response.exception();
        }
    }

    private static List<ClientRequest> toRequests(List<String> urls) {
        Objects.requireNonNull(urls, "urls must not be null");
        var requests = new ArrayList<ClientRequest>(urls.size());
        for (int i = 0; i < urls.size(); i++) {
            try {
                requests.add(ClientRequest.get(urls.get(i)));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("urls[" + i + "]: " + e.getMessage(), e);
            }
        }
        return requests;
    }

    /** The requests of a many-requests call, checked and resolved, the loop of the task that made it, its limits. */
    private record Batch(EventLoop loop, List<ClientRequest> requests, int limit, FetchOrder order) {
    }

    /** {@code listName} is the name of the list the caller gave ({@code urls} or {@code requests}), for messages. */
    private Batch batch(String operation, String listName, List<ClientRequest> requests, int limit,
                        FetchOrder order) {
        Objects.requireNonNull(requests, "requests must not be null");
        Objects.requireNonNull(order, "order must not be null");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, got " + limit);
        }
        EventLoop loop = callerLoop(operation);
        var resolved = new ArrayList<ClientRequest>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            String place = listName + "[" + i + "]";
            resolved.add(resolve(Objects.requireNonNull(requests.get(i), place + " is null"), place));
        }
        return new Batch(loop, resolved, limit, order);
    }

    /** {@code request} with an absolute URL and a timeout; {@code place} names its place in a list, if not null. */
    private ClientRequest resolve(ClientRequest request, String place) {
        ClientRequest r = request;
        if (!r.isAbsolute()) {
            if (baseUrl == null) {
                throw new IllegalArgumentException((place != null ? place + ": " : "")
                        + "relative URL '" + r.uri() + "' needs a base URL:"
                        + " build the session with ClientSession.builder().baseUrl(...)");
            }
            r = r.withUri(URI.create(baseUrl + r.uri()));
        }
        if (auth != null && !ClientRequest.hasHeader(r.headers(), "Authorization")
                && (baseUri == null || Hops.sameOrigin(baseUri, r.uri()))) {
            r = r.withAuth(auth);
        }
        if (!headers.isEmpty()) {
            r = withSessionHeaders(r);
        }
        if (!ClientRequest.hasHeader(r.headers(), "Accept-Encoding")) {
            r = r.withHeader("Accept-Encoding", Decompression.ACCEPT_ENCODING);
        }
        if (r.readTimeout() == null && readTimeout != null) {
            r = r.withReadTimeout(readTimeout);
        }
        if (r.connectTimeout() == null) {
            r = r.withConnectTimeout(connectTimeout);
        }
        return r.timeout() == null ? r.withTimeout(timeout) : r;
    }

    /** {@code r} with the session's headers first, but for those it has of its own (by name, in any case). */
    private ClientRequest withSessionHeaders(ClientRequest r) {
        var merged = new LinkedHashMap<String, List<String>>();
        headers.forEach((name, values) -> {
            if (!ClientRequest.hasHeader(r.headers(), name)) {
                merged.put(name, values);
            }
        });
        merged.putAll(r.headers());
        return new ClientRequest(r.method(), r.uri(), merged, r.body(), r.timeout(), r.allowRedirects(),
                r.maxRedirects(), r.readTimeout(), r.connectTimeout());
    }

    /**
     * {@code response}, the final response to {@code request} (whose cookies {@link Hops} kept), as the caller gets
     * it: its body decoded if the session decodes it (see {@link Builder#autoDecompress}).
     */
    ClientResponse received(ClientRequest request, ClientResponse response) throws ClientException {
        return autoDecompress ? Decompression.decode(request, response, transport.maxBodyBytes()) : response;
    }

    /** {@code r} with the jar's cookies for its URL, as it goes to the transport: when it is sent, not made. */
    ClientRequest withCookies(ClientRequest r) {
        String own = null;
        var headers = new LinkedHashMap<String, List<String>>();
        for (var e : r.headers().entrySet()) {
            if (e.getKey().equalsIgnoreCase("Cookie")) {
                own = String.join("; ", e.getValue());
            } else {
                headers.put(e.getKey(), e.getValue());
            }
        }
        String cookie = cookieJar.cookieHeader(r.uri(), own);
        if (cookie == null || cookie.equals(own)) {
            return r;
        }
        headers.put("Cookie", List.of(cookie));
        return new ClientRequest(r.method(), r.uri(), headers, r.body(), r.timeout(), r.allowRedirects(),
                r.maxRedirects(), r.readTimeout(), r.connectTimeout());
    }

    /**
     * What the exchange of {@code request} failed with, as its caller gets it: a connection failure after
     * {@link #close()} closed the session's own transport says that the session was closed, not only what the
     * transport saw (the JDK client's "shutdownNow", Vert.x's "Connection was closed", as if the server had hung up).
     */
    ClientException failure(ClientRequest request, Exception error) {
        ClientException e = Failures.translate(request, error);
        if (closed && ownsTransport && e instanceof ClientConnectionException
                && !e.detail().startsWith(CLOSED_IN_FLIGHT)) { // one closed between two hops says so already
            return new ClientConnectionException(request.method(), request.uri(),
                    CLOSED_IN_FLIGHT + " (" + e.detail() + ")", e.getCause());
        }
        return e;
    }

    /** Throws if the session is closed. */
    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("ClientSession is closed: " + this);
        }
    }

    /** Whether an error status is turned into a {@link ClientResponseException}. */
    boolean raisesForStatus() {
        return raiseForStatus;
    }

    private EventLoop callerLoop(String operation) {
        checkOpen();
        EventLoop loop;
        try {
            loop = Aio.getRunningLoop();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("ClientSession." + operation + "() suspends the calling task: call it"
                    + " from a task of a running event loop (inside Aio.run(...)), not from a plain thread", e);
        }
        if (Aio.currentTask() == null) {
            throw new IllegalStateException("ClientSession." + operation + "() suspends the calling task and"
                    + " cannot run in a callback: start a task with Aio.createTask(...) instead");
        }
        return loop;
    }

    // ---- the session itself

    /**
     * The transport requests are sent through.
     *
     * @return the transport
     */
    public HttpTransport transport() {
        return transport;
    }

    /**
     * The timeout of requests that have none of their own.
     *
     * @return the session's timeout
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The read timeout of requests that have none of their own ({@link Builder#readTimeout}).
     *
     * @return the session's read timeout, or {@code null} if it has none
     */
    public Duration readTimeout() {
        return readTimeout;
    }

    /**
     * The connect timeout of the session's requests ({@link Builder#connectTimeout}).
     *
     * @return the session's connect timeout
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * The headers sent with every request that has none of the same name: aiohttp's {@code session.headers}.
     *
     * @return header names to values, in the order they were added; unmodifiable, empty if there are none
     */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /**
     * Whether the session decodes compressed response bodies: aiohttp's {@code session.auto_decompress}.
     *
     * @return whether bodies under {@code Content-Encoding: gzip} or {@code deflate} come decoded
     */
    public boolean autoDecompress() {
        return autoDecompress;
    }

    /**
     * The jar of the session's cookies: aiohttp's {@code session.cookie_jar}. Its cookies may be read, added and
     * cleared while the session runs.
     *
     * @return the session's cookie jar
     */
    public CookieJar cookieJar() {
        return cookieJar;
    }

    /**
     * The base URL relative URLs are appended to, or {@code null}.
     *
     * @return the base URL, or {@code null} if there is none
     */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return whether the session is closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes the session: aiohttp's {@code await session.close()}. New requests throw
     * {@link IllegalStateException}; if the session owns its transport, the transport is closed and requests still
     * in flight fail with {@link ClientConnectionException}, whose message says that the session was closed while
     * the request was in flight. Does not block. Closing twice does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ownsTransport) {
            transport.close();
        }
    }

    @Override
    public String toString() {
        return "ClientSession[" + transport.name() + (baseUrl == null ? "" : ", base " + baseUrl)
                + ", timeout " + Durations.format(timeout)
                + (readTimeout == null ? "" : ", read timeout " + Durations.format(readTimeout))
                + ", connect timeout " + Durations.format(connectTimeout) + (closed ? ", closed" : "") + "]";
    }
}
