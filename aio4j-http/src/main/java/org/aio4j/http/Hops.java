package org.aio4j.http;

import java.net.ProtocolException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.aio4j.EventLoop;
import org.aio4j.Future;

/**
 * One request of a session, from the request the caller made to its final response: aiohttp's
 * {@code ClientSession._request} loop. Each hop is an exchange of the transport, which follows no redirect; a
 * redirect's response updates the cookie jar and leads to the next hop, which carries the jar's cookies for its own
 * URL. The one place where a request becomes a final response, for {@link ClientSession#request} (whose task awaits
 * {@link #start}'s future) and for {@link FetchEngine} (which adds a done callback to it): no task of its own, each
 * hop is started from the done callback of the one before, on the loop.
 *
 * <p>The outcome future completes with the final response, its {@link ClientResponse#history()} set and its cookies
 * kept (not yet decoded: the caller does that, see {@link ClientSession#received}); or with what the first hop's
 * exchange failed with, as the transport gave it, for the caller to translate against its request as before; or, for
 * a later hop, with a {@link ClientException} already naming the caller's request and the hop
 * ({@link Failures#afterRedirects}); or with a {@link TooManyRedirectsException}. A hop the transport cancelled
 * itself cancels the outcome. Cancelling the outcome (the caller's cancellation or timeout) cancels the hop in flight.
 *
 * <p>Timeout: the caller keeps the request's on the loop's clock, over the outcome, for the whole exchange
 * (aiohttp's {@code total}); each hop also carries what is left of it on the real clock, for the transport.
 *
 * <p>Loop-confined: every method runs on the loop.
 */
final class Hops<R> {

    /**
     * What the hops' exchanges give: a whole response ({@link HttpTransport#send}) or a streamed one
     * ({@link HttpTransport#stream}).
     */
    interface Kind<R> {
        /** Starts the exchange of {@code request} on {@code transport}. */
        CompletableFuture<R> send(HttpTransport transport, ClientRequest request);

        /** The response's status, headers and URL (its body, if it has one here, is not read). */
        ClientResponse head(R response);

        /** {@code response} with {@code history}, the redirects followed to it. */
        R withHistory(R response, List<ClientResponse> history);

        /**
         * Releases a response nobody will read: a redirect followed, or one that came too late for its caller. On the
         * loop, or on the transport's thread for one that completed an exchange already cancelled on the loop.
         */
        void discard(R response);
    }

    /** Whole responses, their bodies read by the transport. */
    static final Kind<ClientResponse> WHOLE = new Kind<>() {
        @Override
        public CompletableFuture<ClientResponse> send(HttpTransport transport, ClientRequest request) {
            return transport.send(request);
        }

        @Override
        public ClientResponse head(ClientResponse response) {
            return response;
        }

        @Override
        public ClientResponse withHistory(ClientResponse response, List<ClientResponse> history) {
            return response.withHistory(history);
        }

        @Override
        public void discard(ClientResponse response) {
        }
    };

    /** Streamed responses, their bodies read as the caller asks ({@link ClientSession#stream}). */
    static final Kind<HttpTransport.StreamedResponse> STREAMED = new Kind<>() {
        @Override
        public CompletableFuture<HttpTransport.StreamedResponse> send(HttpTransport transport,
                                                                     ClientRequest request) {
            return transport.stream(request);
        }

        @Override
        public ClientResponse head(HttpTransport.StreamedResponse response) {
            return response.head();
        }

        @Override
        public HttpTransport.StreamedResponse withHistory(HttpTransport.StreamedResponse response,
                                                         List<ClientResponse> history) {
            return history.isEmpty() ? response
                    : new HttpTransport.StreamedResponse(response.head().withHistory(history), response.body());
        }

        @Override
        public void discard(HttpTransport.StreamedResponse response) {
            StreamedBodies.discard(response.body());
        }
    };

    private final Kind<R> kind;
    private final ClientSession session;
    private final EventLoop loop;
    private final ClientRequest request;
    private final Future<R> outcome;
    /** When the request's timeout passes on the real clock ({@link System#nanoTime()}), if {@link #bounded}. */
    private final long deadline;
    private final boolean bounded;
    /** The redirects followed so far, oldest first; made at the first (most requests have none). */
    private List<ClientResponse> history = List.of();
    /** The request of the hop in flight, or of the last one, as the session made it (without the jar's cookies). */
    private ClientRequest hop;
    /** How many redirects led to {@link #hop}. */
    private int redirects;
    private Future<R> inFlight;
    /** The transport's future of {@link #inFlight}. */
    private CompletableFuture<R> exchange;

    private Hops(Kind<R> kind, ClientSession session, EventLoop loop, ClientRequest request) {
        this.kind = kind;
        this.session = session;
        this.loop = loop;
        this.request = request;
        this.outcome = loop.createFuture();
        long nanos = Durations.nanos(request.timeout());
        this.bounded = nanos < Long.MAX_VALUE / 4; // so that deadline - now cannot overflow
        this.deadline = System.nanoTime() + (bounded ? nanos : 0);
    }

    /**
     * Sends {@code request} (absolute, with a timeout) and returns the future of its final response, completed as
     * the class comment says.
     *
     * @throws ClientException          if the transport returned no future
     * @throws IllegalArgumentException if the transport refuses the request
     * @throws IllegalStateException    if the transport is closed
     */
    static Future<ClientResponse> start(ClientSession session, EventLoop loop, ClientRequest request)
            throws ClientException {
        return start(WHOLE, session, loop, request);
    }

    /** As {@link #start(ClientSession, EventLoop, ClientRequest)}, for responses of {@code kind}. */
    static <R> Future<R> start(Kind<R> kind, ClientSession session, EventLoop loop, ClientRequest request)
            throws ClientException {
        var hops = new Hops<>(kind, session, loop, request);
        hops.send(request);
        hops.outcome.addDoneCallback(hops::ended);
        return hops.outcome;
    }

    /** Starts the exchange of {@code next}. */
    private void send(ClientRequest next) throws ClientException {
        hop = next;
        CompletableFuture<R> exchange = kind.send(session.transport(), session.withCookies(next));
        if (exchange == null) {
            throw Failures.noFuture(next, session.transport());
        }
        Future<R> f = loop.wrapFuture(exchange);
        this.exchange = exchange;
        inFlight = f;
        f.addDoneCallback(this::arrived);
    }

    /**
     * The outcome is done: if the caller cancelled it, the hop in flight is aborted, the transport's exchange at once
     * (this is the outcome's first done callback: a caller that counts on the exchange's end, such as
     * {@link FetchEngine} starting the next request, finds it ended), the loop's future of it with it, also if the
     * exchange's cancel throws (which goes to the exception handler): else that future, never cancelled, would stay
     * in flight for as long as the exchange it follows, which a transport that breaks so may never end.
     */
    private void ended(Future<R> done) {
        Future<R> f = inFlight;
        if (done.isCancelled() && f != null) {
            CompletableFuture<R> x = exchange;
            try {
                x.cancel(true);
            } finally {
                if (f.cancel()) {
                    // The exchange may have completed already (its completion posted to the loop, which f now
                    // ignores) or complete in spite of the cancel: a response nobody will see, released here (a
                    // streamed body's connection), as settle releases one that f delivers.
                    x.thenAccept(r -> {
                        if (r != null) {
                            kind.discard(r);
                        }
                    });
                }
            }
        }
    }

    /**
     * The exchange of {@link #hop} has ended: the outcome, or the next hop. A failure of the session's own code on the
     * way (a bug, a jar that throws) fails the outcome, rather than leave the caller waiting for its timeout while
     * the loop reports it.
     */
    private void arrived(Future<R> f) {
        try {
            settle(f);
        } catch (RuntimeException e) {
            if (outcome.isDone()) {
                throw e;
            }
            outcome.setException(e);
        }
    }

    private void settle(Future<R> f) {
        inFlight = null;
        exchange = null;
        if (outcome.isDone()) { // cancelled meanwhile: what the hop ended with is dropped on purpose
            if (!f.isCancelled() && f.exception() == null && f.result() != null) {
                kind.discard(f.result()); // a streamed body's connection released
            }
            return;
        }
        if (f.isCancelled()) { // by the transport itself: neither the caller nor a timeout cancelled the outcome
            outcome.cancel();
            return;
        }
        Throwable error = f.exception();
        if (error != null) {
            fail(error);
            return;
        }
        R response = f.result();
        if (response == null) {
            fail(Failures.noResponse(hop, session.transport()));
            return;
        }
        ClientResponse r = kind.head(response);
        if (r == null) {
            fail(Failures.noResponse(hop, session.transport()));
            return;
        }
        session.cookieJar().store(r.url(), r.headers()); // aiohttp: from every response, each redirect's too
        String location = r.header("Location");
        if (!HttpTransport.followsRedirect(hop, r.status(), location)) {
            outcome.setResult(kind.withHistory(response, history));
            return;
        }
        kind.discard(response); // a redirect's body is nobody's
        if (history.isEmpty()) {
            history = new ArrayList<>(2);
        }
        history.add(r);
        int max = request.maxRedirects();
        if (max > 0 && history.size() >= max) {
            outcome.setException(new TooManyRedirectsException(request, history));
            return;
        }
        ClientRequest next;
        try {
            next = next(r, location);
        } catch (ClientException | ProtocolException e) {
            fail(e);
            return;
        }
        if (next == null) {
            outcome.setException(new ClientTimeoutException(request.method(), request.uri(), request.timeout(),
                    null));
            return;
        }
        redirects = history.size();
        if (session.isClosed()) { // closed between two hops: as one closed while a hop was in flight
            outcome.setException(new ClientConnectionException(request.method(), request.uri(),
                    ClientSession.CLOSED_IN_FLIGHT + " (at " + next.method() + " " + next.uri() + ", after "
                    + redirects + (redirects == 1 ? " redirect)" : " redirects)"), null));
            return;
        }
        try {
            send(next);
        } catch (RuntimeException | ClientException e) {
            fail(e);
        }
    }

    /** Fails the outcome with {@code error}, what {@link #hop} failed with. */
    private void fail(Throwable error) {
        outcome.setException(redirects == 0 ? error : Failures.afterRedirects(request, hop, redirects, error));
    }

    /**
     * The request the redirect {@code r} to {@link #hop} leads to, to {@code location}, as aiohttp's
     * {@code _request} makes it, or null if the request's timeout has passed on the real clock. The {@code Location}
     * is resolved against the URL of {@code r}. A 303 turns any method but HEAD into a GET, a 301 or 302 a POST; the
     * GET goes without the body, and without the headers of the body ({@code Content-*}); any other redirect keeps
     * the method and the body. To another origin, the {@code Authorization} and {@code Cookie} headers of the request
     * are not sent (aiohttp drops the first only), but from http to https on the same host and default ports, which
     * aiohttp counts as the same origin upgraded; the jar's cookies go with every hop, by its URL.
     *
     * @throws ProtocolException if the {@code Location} is no URI, or leads to a URL without a host name, with a
     *                           port out of range or with credentials that cannot be sent (a malformed response, as
     *                           the transports report one)
     * @throws ClientException   if it leads to a URL that is not http or https (aiohttp's
     *                           {@code NonHttpUrlRedirectClientError})
     */
    private ClientRequest next(ClientResponse r, String location) throws ProtocolException, ClientException {
        URI to;
        try {
            to = new URI(requote(location.strip()));
        } catch (URISyntaxException e) {
            throw protocolError("redirect to a Location that is not a URI: " + e.getMessage(), e);
        }
        String scheme = to.getScheme() == null ? null : to.getScheme().toLowerCase(Locale.ROOT);
        if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
            throw new ClientException(hop.method(), hop.uri(), "redirect to " + location
                    + ", not an http or https URL: not followed", null);
        }
        URI next;
        try {
            next = resolve(r.url(), to);
        } catch (URISyntaxException e) {
            throw protocolError("redirect to " + location + ", which does not resolve to a URL: " + e.getMessage(), e);
        }
        if (next.getHost() == null) {
            // an authority that is no host name (":-1", "a_b", a name not in its IDNA form)
            throw protocolError("redirect to " + shown(location, next) + ", which has no host name to connect to", null);
        }
        if (next.getPort() > 65535) {
            throw protocolError("redirect to " + shown(location, next) + ", whose port is out of range", null);
        }
        String method = hop.method();
        byte[] body = hop.body();
        Map<String, List<String>> headers = new LinkedHashMap<>(hop.headers());
        int status = r.status();
        if (status == 303 && !method.equals("HEAD") || (status == 301 || status == 302) && method.equals("POST")) {
            method = "GET";
            body = null;
            headers.keySet().removeIf(name -> name.regionMatches(true, 0, "Content-", 0, 8));
        }
        if (!keepsCredentials(hop.uri(), next)) {
            headers.keySet().removeIf(name -> name.equalsIgnoreCase("Authorization")
                    || name.equalsIgnoreCase("Cookie"));
        } else if (next.getRawUserInfo() != null) {
            // The Location's own credentials (made the hop's Authorization when the request is made) replace those
            // the request carried to that origin.
            headers.keySet().removeIf(name -> name.equalsIgnoreCase("Authorization"));
        }
        Duration left = request.timeout();
        if (bounded) {
            long nanos = deadline - System.nanoTime();
            if (nanos <= 0) {
                return null;
            }
            left = Duration.ofNanos(nanos);
        }
        try {
            return new ClientRequest(method, next, headers, body, left, hop.allowRedirects(), hop.maxRedirects(),
                    hop.readTimeout(), hop.connectTimeout());
        } catch (IllegalArgumentException e) { // the Location's credentials: its URL was checked above
            URI shown = next.getRawUserInfo() != null ? BasicAuth.withoutUserInfo(next) : next;
            throw protocolError("redirect to " + shown + ", whose credentials cannot be sent: " + e.getMessage(), e);
        }
    }

    /**
     * Whether a redirect from {@code from} to {@code to} keeps the request's credentials: to the same origin (scheme,
     * host and port), or from http to https on the same host and the schemes' default ports, the upgrade aiohttp
     * keeps them on (its check of that case compared the hosts only, but a port is part of the origin).
     */
    private static boolean keepsCredentials(URI from, URI to) {
        return sameOrigin(from, to) || from.getHost().equalsIgnoreCase(to.getHost())
                && from.getScheme().equalsIgnoreCase("http") && to.getScheme().equalsIgnoreCase("https")
                && port(from) == 80 && port(to) == 443;
    }

    /** Whether {@code a} and {@code b} have the same origin: scheme, host and port (the scheme's default if none). */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    /**
     * {@code ref} resolved against {@code base} by RFC 3986 5.2 (as aiohttp's yarl {@code URL.join}):
     * {@code java.net.URI.resolve} follows RFC 2396, which drops the last segment of the base path for a reference
     * that is a query alone ({@code ?q} from {@code /a/b} gives {@code /a/?q}, not {@code /a/b?q}) and keeps the dot
     * segments that climb above the root ({@code ../../x} from {@code /a} gives {@code /../x}). Raw (percent-encoded)
     * components throughout, so nothing is decoded on the way.
     */
    static URI resolve(URI base, URI ref) throws URISyntaxException {
        String scheme;
        String authority;
        String path;
        String query;
        if (ref.getScheme() != null) {
            scheme = ref.getScheme();
            authority = ref.getRawAuthority();
            path = removeDotSegments(nullToEmpty(ref.getRawPath()));
            query = ref.getRawQuery();
        } else {
            scheme = base.getScheme();
            if (ref.getRawAuthority() != null) {
                authority = ref.getRawAuthority();
                path = removeDotSegments(nullToEmpty(ref.getRawPath()));
                query = ref.getRawQuery();
            } else {
                authority = base.getRawAuthority();
                String refPath = nullToEmpty(ref.getRawPath());
                String basePath = nullToEmpty(base.getRawPath());
                if (refPath.isEmpty()) {
                    path = basePath;
                    query = ref.getRawQuery() != null ? ref.getRawQuery() : base.getRawQuery();
                } else {
                    path = removeDotSegments(refPath.startsWith("/") ? refPath
                            : authority != null && basePath.isEmpty() ? "/" + refPath
                            : basePath.substring(0, basePath.lastIndexOf('/') + 1) + refPath);
                    query = ref.getRawQuery();
                }
            }
        }
        if (authority != null && path.isEmpty()) {
            path = "/";
        }
        var u = new StringBuilder(scheme).append(':');
        if (authority != null) {
            u.append("//").append(authority);
        }
        u.append(path);
        if (query != null) {
            u.append('?').append(query);
        }
        if (ref.getRawFragment() != null) {
            u.append('#').append(ref.getRawFragment());
        }
        return new URI(u.toString());
    }

    /** RFC 3986 5.2.4: a path without its "." and ".." segments, a ".." above the root dropped. */
    static String removeDotSegments(String path) {
        String in = path;
        var out = new StringBuilder();
        while (!in.isEmpty()) {
            if (in.startsWith("../")) {
                in = in.substring(3);
            } else if (in.startsWith("./")) {
                in = in.substring(2);
            } else if (in.startsWith("/./")) {
                in = in.substring(2);
            } else if (in.equals("/.")) {
                in = "/";
            } else if (in.startsWith("/../") || in.equals("/..")) {
                in = "/" + in.substring(in.equals("/..") ? 3 : 4);
                out.setLength(Math.max(out.lastIndexOf("/"), 0));
            } else if (in.equals(".") || in.equals("..")) {
                in = "";
            } else {
                int next = in.indexOf('/', 1);
                int end = next < 0 ? in.length() : next;
                out.append(in, 0, end);
                in = in.substring(end);
            }
        }
        return out.toString();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    /**
     * {@code location} with the ASCII characters a URI cannot hold but a server may send (a space, {@code |},
     * {@code {}, {@code "}, a control character) percent-encoded, as aiohttp requotes a redirect's URL
     * ({@code requote_redirect_url=True}, its default); what is percent-encoded already stays as it is, and so does
     * a character that is not ASCII, which a URI holds as itself and sends in UTF-8, percent-encoded.
     */
    static String requote(String location) {
        StringBuilder out = null;
        for (int i = 0; i < location.length(); i++) {
            char c = location.charAt(i);
            boolean quote = c <= 0x20 || c == 0x7f || "\"<>\\^`{|}".indexOf(c) >= 0;
            if (quote && out == null) {
                out = new StringBuilder(location.length() + 16).append(location, 0, i);
            }
            if (out != null) {
                if (!quote) {
                    out.append(c);
                } else {
                    out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
                }
            }
        }
        return out == null ? location : out.toString();
    }

    /** A redirect's target for a message: the {@code Location} as the server sent it, and what it resolved to. */
    private static String shown(String location, URI resolved) {
        return location.equals(resolved.toString()) ? location : location + " (" + resolved + ")";
    }

    private static ProtocolException protocolError(String what, Throwable cause) {
        var e = new ProtocolException("invalid HTTP response: " + what);
        e.initCause(cause);
        return e;
    }
}
