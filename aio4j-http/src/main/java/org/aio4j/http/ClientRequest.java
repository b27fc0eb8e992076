package org.aio4j.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to send: method, URL, headers, body and timeout: the arguments of aiohttp's
 * {@code ClientSession.request(method, url, headers=..., data=..., timeout=...)}. Immutable; the {@code with...}
 * methods return a changed copy.
 *
 * <pre>{@code
 * ClientRequest r = ClientRequest.get("/items").withHeader("Accept", "application/json")
 *                                .withTimeout(Duration.ofSeconds(2));
 * ClientResponse page = session.request(r);
 * }</pre>
 *
 * <p>The URL may be relative (it then starts with {@code /}); the {@link ClientSession} it is sent through appends it
 * to its base URL. A {@code null} timeout means the session's default.
 *
 * <p>Redirects are followed by the session, as aiohttp's {@code allow_redirects=True, max_redirects=10} do: see
 * {@link #withAllowRedirects} and {@link #withMaxRedirects}, and the class comment of {@link ClientSession}.
 *
 * @param method         the method, e.g. {@code GET}; upper-cased, as aiohttp does ({@code "post"} sends
 *                       {@code POST})
 * @param uri            the URL, absolute ({@code http} or {@code https}) or a path starting with {@code /}
 * @param headers        header names to values, in insertion order; unmodifiable
 * @param body           the body to send, or {@code null} for none; not copied, do not change it after sending
 * @param timeout        how long the whole exchange may take, redirects included, or {@code null} for the
 *                       session's default
 * @param allowRedirects whether the session follows a redirect answering it: aiohttp's {@code allow_redirects}
 * @param maxRedirects   the redirect at which the session stops following and fails, 0 for no limit: aiohttp's
 *                       {@code max_redirects} (see {@link #withMaxRedirects})
 * @param readTimeout    how long the response may keep the request waiting for its next bytes (its head, then each
 *                       part of its body), or {@code null} for the session's default: aiohttp's
 *                       {@code ClientTimeout(sock_read=...)} (see {@link #withReadTimeout})
 * @param connectTimeout how long the transport may take to open a connection for it, or {@code null} for the
 *                       session's: aiohttp's {@code ClientTimeout(sock_connect=...)}. A session-wide setting
 *                       ({@link ClientSession.Builder#connectTimeout}), which the session puts on each request it
 *                       sends; a request normally leaves it {@code null}. A transport's own client applies each
 *                       distinct value with a client (a pool of connections) of its own, so a few values are meant,
 *                       not one per request (see {@link HttpTransport})
 */
public record ClientRequest(String method, URI uri, Map<String, List<String>> headers, byte[] body,
                            Duration timeout, boolean allowRedirects, int maxRedirects, Duration readTimeout,
                            Duration connectTimeout) {

    /** aiohttp's default {@code max_redirects}. */
    static final int DEFAULT_MAX_REDIRECTS = 10;

    /**
     * Checks the request.
     *
     * @throws IllegalArgumentException if the method or a header name is not an HTTP token, the method is
     *                                  {@code CONNECT} (a tunnel, not a request), a header is
     *                                  {@code Content-Length} or {@code Transfer-Encoding} (the transport frames the
     *                                  body), a header value has a control character (CR and LF among them: they
     *                                  would end the header and start another) or a character that is not ASCII,
     *                                  the URL is neither absolute http(s) nor a path starting with {@code /}, the
     *                                  timeout, the read timeout or the connect timeout is not positive, or
     *                                  {@code maxRedirects} is negative
     * @throws NullPointerException     if the method, the URL, a header name, value list or value is null
     */
    public ClientRequest {
        Objects.requireNonNull(method, "method must not be null");
        if (method.isEmpty() || !method.chars().allMatch(ClientRequest::isTokenChar)) {
            throw new IllegalArgumentException("HTTP method must be a token such as GET or POST, got '" + method + "'");
        }
        method = method.toUpperCase(java.util.Locale.ROOT); // as aiohttp does: request("post", ...) sends POST
        if (method.equals("CONNECT")) {
            // Answered 200, it turns its connection into a tunnel, which a transport's pool would hand on.
            throw new IllegalArgumentException("HTTP method CONNECT is not supported: it asks a proxy for a tunnel,"
                    + " not a server for a response");
        }
        Objects.requireNonNull(uri, "uri must not be null");
        checkUrl(uri);
        headers = copyHeaders(headers);
        if (uri.getRawUserInfo() != null) {
            // aiohttp's strip_auth_from_url: the credentials go as a header, never in the URL (nor in a message)
            BasicAuth auth = BasicAuth.fromUri(uri);
            uri = BasicAuth.withoutUserInfo(uri);
            headers = withAuthorization(headers, auth, "credentials in the URL " + uri);
        }
        if (timeout != null) {
            Durations.positive(timeout, "request timeout");
        }
        checkMaxRedirects(maxRedirects);
        if (readTimeout != null) {
            Durations.positive(readTimeout, "request read timeout");
        }
        if (connectTimeout != null) {
            Durations.positive(connectTimeout, "request connect timeout");
        }
    }

    /**
     * A request without a connect timeout of its own (the session's applies): the record's first eight components.
     *
     * @param method         the method, e.g. {@code GET}; upper-cased
     * @param uri            the URL, absolute ({@code http} or {@code https}) or a path starting with {@code /}
     * @param headers        header names to values, in insertion order
     * @param body           the body to send, or {@code null} for none
     * @param timeout        how long the whole exchange may take, or {@code null} for the session's default
     * @param allowRedirects whether the session follows a redirect answering it
     * @param maxRedirects   the redirect at which the session stops following and fails, 0 for no limit
     * @param readTimeout    the longest wait for the response's next bytes, or {@code null} for the session's
     * @throws IllegalArgumentException as the canonical constructor
     * @throws NullPointerException     as the canonical constructor
     */
    public ClientRequest(String method, URI uri, Map<String, List<String>> headers, byte[] body, Duration timeout,
                         boolean allowRedirects, int maxRedirects, Duration readTimeout) {
        this(method, uri, headers, body, timeout, allowRedirects, maxRedirects, readTimeout, null);
    }

    /**
     * A request without a read timeout or a connect timeout of its own (the session's apply): the record's first
     * seven components.
     *
     * @param method         the method, e.g. {@code GET}; upper-cased
     * @param uri            the URL, absolute ({@code http} or {@code https}) or a path starting with {@code /}
     * @param headers        header names to values, in insertion order
     * @param body           the body to send, or {@code null} for none
     * @param timeout        how long the whole exchange may take, or {@code null} for the session's default
     * @param allowRedirects whether the session follows a redirect answering it
     * @param maxRedirects   the redirect at which the session stops following and fails, 0 for no limit
     * @throws IllegalArgumentException as the canonical constructor
     * @throws NullPointerException     as the canonical constructor
     */
    public ClientRequest(String method, URI uri, Map<String, List<String>> headers, byte[] body, Duration timeout,
                         boolean allowRedirects, int maxRedirects) {
        this(method, uri, headers, body, timeout, allowRedirects, maxRedirects, null, null);
    }

    /**
     * A request that follows redirects, up to aiohttp's default limit (10): the record's first five components, for
     * a request built whole.
     *
     * @param method  the method, e.g. {@code GET}; upper-cased
     * @param uri     the URL, absolute ({@code http} or {@code https}) or a path starting with {@code /}
     * @param headers header names to values, in insertion order
     * @param body    the body to send, or {@code null} for none
     * @param timeout how long the whole exchange may take, or {@code null} for the session's default
     * @throws IllegalArgumentException as the canonical constructor
     * @throws NullPointerException     as the canonical constructor
     */
    public ClientRequest(String method, URI uri, Map<String, List<String>> headers, byte[] body, Duration timeout) {
        this(method, uri, headers, body, timeout, true, DEFAULT_MAX_REDIRECTS);
    }

    /**
     * A {@code GET} of {@code url} (absolute, or a path starting with {@code /}).
     *
     * @param url an absolute http(s) URL, or a path starting with {@code /}
     * @return the request, without headers, body or timeout of its own
     * @throws NullPointerException     if {@code url} is null
     * @throws IllegalArgumentException if {@code url} is not a valid URL of either kind
     */
    public static ClientRequest get(String url) {
        return of("GET", url);
    }

    /**
     * A request {@code method url} without headers or body.
     *
     * @param method the HTTP method, an HTTP token; sent upper-cased
     * @param url    an absolute http(s) URL, or a path starting with {@code /}
     * @return the request, without headers, body or timeout of its own
     * @throws NullPointerException     if {@code method} or {@code url} is null
     * @throws IllegalArgumentException if {@code method} is not an HTTP token or is {@code CONNECT} (a tunnel, not a
     *                                  request), or {@code url} is not a valid URL of either kind
     */
    public static ClientRequest of(String method, String url) {
        return new ClientRequest(method, parse(url), Map.of(), null, null);
    }

    /**
     * This request with {@code value} added to the header {@code name}.
     *
     * @param name  the header name, an HTTP token
     * @param value the value to add, printable ASCII
     * @return a new request; this one is unchanged
     * @throws IllegalArgumentException if {@code name} is not an HTTP token, or is {@code Content-Length} or
     *                                  {@code Transfer-Encoding}, or {@code value} has a control character or a
     *                                  character that is not ASCII (the JDK client would send it as {@code ?},
     *                                  Vert.x as ISO-8859-1, aiohttp as UTF-8: encode it first), or {@code name} is
     *                                  {@code Authorization} and the request has one already (credentials in its
     *                                  URL, {@link #withAuth}, an earlier {@code Authorization}: aiohttp's "Cannot
     *                                  combine AUTHORIZATION header with AUTH argument or credentials encoded in
     *                                  URL")
     * @throws NullPointerException     if {@code name} or {@code value} is null
     */
    public ClientRequest withHeader(String name, String value) {
        checkHeader(name, value);
        if (name.equalsIgnoreCase("Authorization") && hasHeader(headers, "Authorization")) {
            // two Authorization fields: the transports sent both, the credentials of the URL or withAuth and these
            throw new IllegalArgumentException("cannot add an Authorization header to " + method + " " + uri
                    + ", which has one already (from credentials in its URL, withAuth or withHeader): give the"
                    + " credentials once");
        }
        var h = new LinkedHashMap<String, List<String>>(headers);
        h.merge(name, List.of(value), (a, b) -> concat(a, b));
        return new ClientRequest(method, uri, h, body, timeout, allowRedirects, maxRedirects,
                readTimeout, connectTimeout);
    }

    /**
     * This request with {@code auth} as its {@code Authorization} header: aiohttp's {@code request(..., auth=auth)}.
     * It goes with a redirect to the same origin only, as any {@code Authorization} header does, and replaces the
     * session's {@link ClientSession.Builder#auth auth} and {@code Authorization} header for this request.
     *
     * @param auth the credentials
     * @return a new request; this one is unchanged
     * @throws IllegalArgumentException if the request already has an {@code Authorization} header (aiohttp: "Cannot
     *                                  combine AUTHORIZATION header with AUTH argument"), credentials in its URL among
     *                                  them
     * @throws NullPointerException     if {@code auth} is null
     */
    public ClientRequest withAuth(BasicAuth auth) {
        Objects.requireNonNull(auth, "auth must not be null");
        return new ClientRequest(method, uri, withAuthorization(headers, auth, "withAuth(" + auth + ")"), body,
                timeout, allowRedirects, maxRedirects, readTimeout, connectTimeout);
    }

    /**
     * {@code headers} and an {@code Authorization} header of {@code auth}, which {@code source} gave.
     *
     * @throws IllegalArgumentException if {@code headers} already have one
     */
    private static Map<String, List<String>> withAuthorization(Map<String, List<String>> headers, BasicAuth auth,
                                                               String source) {
        if (hasHeader(headers, "Authorization")) {
            throw new IllegalArgumentException("cannot combine an Authorization header with " + source
                    + ": give the credentials once");
        }
        var h = new LinkedHashMap<String, List<String>>(headers);
        h.put("Authorization", List.of(auth.encode()));
        return java.util.Collections.unmodifiableMap(h);
    }

    /** Whether {@code headers} have {@code name}, in any case. */
    static boolean hasHeader(Map<String, List<String>> headers, String name) {
        for (String h : headers.keySet()) {
            if (h.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * This request with the query parameter {@code name=value} added to its URL: aiohttp's
     * {@code params={name: value}}. Both are encoded as an HTML form encodes them (UTF-8, a space as {@code +},
     * {@code &}, {@code =} and every other reserved character escaped), so a value cannot add parameters of its own.
     * Call it once per parameter, or per value of a repeated one; a query already in the URL is kept, before the
     * added parameters, and a fragment stays at the end.
     *
     * <pre>{@code
     * ClientRequest.get("/search").withParam("q", "event loop").withParam("page", "2")   // /search?q=event+loop&page=2
     * }</pre>
     *
     * @param name  the parameter's name, not empty
     * @param value its value, possibly empty
     * @return a new request; this one is unchanged
     * @throws NullPointerException     if {@code name} or {@code value} is null
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public ClientRequest withParam(String name, String value) {
        Objects.requireNonNull(name, "param name must not be null");
        Objects.requireNonNull(value, () -> "value of param " + name + " must not be null");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("param name must not be empty (value '" + value + "')");
        }
        String raw = uri.toString();
        String fragment = uri.getRawFragment();
        String beforeFragment = fragment == null ? raw : raw.substring(0, raw.length() - fragment.length() - 1);
        String separator = uri.getRawQuery() == null ? "?"
                : beforeFragment.endsWith("?") || beforeFragment.endsWith("&") ? "" : "&";
        String changed = beforeFragment + separator + formEncoded(name) + "=" + formEncoded(value)
                + (fragment == null ? "" : "#" + fragment);
        return new ClientRequest(method, URI.create(changed), headers, body, timeout, allowRedirects, maxRedirects,
                readTimeout, connectTimeout);
    }

    /** The media type of an HTML form's body, aiohttp's for {@code data={...}}. */
    private static final String FORM = "application/x-www-form-urlencoded";

    /**
     * This request with the form field {@code name=value} added to its body: aiohttp's {@code data={name: value}}, what
     * an HTML form posts (a login, an OAuth token request). Both are encoded as {@link #withParam} encodes them, the
     * fields joined with {@code &}, and the request gets the header {@code Content-Type:
     * application/x-www-form-urlencoded} unless it has it already. Call it once per field, or per value of a repeated
     * one.
     *
     * <pre>{@code
     * ClientRequest.of("POST", "/login").withForm("user", "ann").withForm("pass", "s3cr&t")   // user=ann&pass=s3cr%26t
     * }</pre>
     *
     * @param name  the field's name, not empty
     * @param value its value, possibly empty
     * @return a new request; this one is unchanged
     * @throws NullPointerException     if {@code name} or {@code value} is null
     * @throws IllegalArgumentException if {@code name} is empty
     * @throws IllegalStateException    if the request has a {@code Content-Type} other than a form's, or a body without
     *                                  a form's {@code Content-Type}: fields are added to a form only
     */
    public ClientRequest withForm(String name, String value) {
        Objects.requireNonNull(name, "form field name must not be null");
        Objects.requireNonNull(value, () -> "value of form field " + name + " must not be null");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("form field name must not be empty (value '" + value + "')");
        }
        String type = headers.entrySet().stream().filter(h -> h.getKey().equalsIgnoreCase("Content-Type"))
                .flatMap(h -> h.getValue().stream()).findFirst().orElse(null);
        if (type != null && !type.split(";")[0].trim().equalsIgnoreCase(FORM)) {
            throw new IllegalStateException(method + " " + uri + " has the Content-Type " + type + ", not a form's:"
                    + " withForm adds fields to a form only");
        }
        if (type == null && body != null) {
            throw new IllegalStateException(method + " " + uri + " already has a body that is not a form (no"
                    + " Content-Type " + FORM + "): withForm adds fields to a form only");
        }
        byte[] field = ((body == null || body.length == 0 ? "" : "&") + formEncoded(name) + "=" + formEncoded(value))
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] fields = body == null ? field : java.util.Arrays.copyOf(body, body.length + field.length);
        System.arraycopy(field, 0, fields, fields.length - field.length, field.length);
        return new ClientRequest(method, uri, headers, fields, timeout, allowRedirects, maxRedirects, readTimeout,
                connectTimeout)
                .withHeaderIfAbsent("Content-Type", FORM);
    }

    private ClientRequest withHeaderIfAbsent(String name, String value) {
        return hasHeader(headers, name) ? this : withHeader(name, value);
    }

    private static String formEncoded(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * This request with {@code body} (not copied), or none if {@code null}.
     *
     * @param body the body, or {@code null} for none
     * @return a new request; this one is unchanged
     */
    public ClientRequest withBody(byte[] body) {
        return new ClientRequest(method, uri, headers, body, timeout, allowRedirects, maxRedirects,
                readTimeout, connectTimeout);
    }

    /**
     * This request with its own timeout; {@code null} restores the session's default (not aiohttp's
     * {@code timeout=None}, which means no timeout: every aio4j request has one).
     *
     * @param timeout how long the whole exchange may take, or {@code null} for the session's
     * @return a new request; this one is unchanged
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public ClientRequest withTimeout(Duration timeout) {
        return new ClientRequest(method, uri, headers, body, timeout, allowRedirects, maxRedirects,
                readTimeout, connectTimeout);
    }

    /**
     * This request with its own read timeout: aiohttp's {@code ClientTimeout(sock_read=...)}. The request fails with
     * {@link ClientReadTimeoutException} (its connection closed) when no byte of the response arrives for that long:
     * counted from when the request has its connection (as aiohttp; the JDK transport, whose client does not say when
     * it has one, counts from the exchange's start, connecting included) until the response's head, the sending of the
     * request's body included, then from each part of the response's body to the next. Each hop of a redirect has it
     * anew. It bounds a stall, not the exchange: a
     * body that keeps coming, however slowly, ends only with {@link #withTimeout the timeout}. {@code null} restores
     * the session's default ({@link ClientSession.Builder#readTimeout}; none unless set). It is kept by the transport,
     * on the real clock, whatever the loop's clock.
     *
     * @param readTimeout the longest wait for the response's next bytes, or {@code null} for the session's
     * @return a new request; this one is unchanged
     * @throws IllegalArgumentException if {@code readTimeout} is not positive
     */
    public ClientRequest withReadTimeout(Duration readTimeout) {
        return new ClientRequest(method, uri, headers, body, timeout, allowRedirects, maxRedirects,
                readTimeout, connectTimeout);
    }

    /**
     * This request with redirects followed or not: aiohttp's {@code allow_redirects}. Followed by default, as
     * aiohttp's requests do, but for {@link ClientSession#head}'s, as aiohttp's {@code head}; without, a 3xx is the
     * response, its body read as any other's.
     *
     * @param allow whether the session follows a redirect answering this request
     * @return a new request; this one is unchanged
     */
    public ClientRequest withAllowRedirects(boolean allow) {
        return new ClientRequest(method, uri, headers, body, timeout, allow, maxRedirects, readTimeout, connectTimeout);
    }

    /**
     * This request with another limit on redirects: aiohttp's {@code max_redirects} (default 10), counted as aiohttp
     * counts it: the request fails with {@link TooManyRedirectsException} when the {@code max}-th redirect in a row
     * arrives (with the default, nine are followed and the tenth is the error); 0 sets no limit, as in aiohttp (a
     * redirect loop then ends only with the request's timeout). Ignored when redirects are not followed.
     *
     * @param max the redirect at which to stop and fail, or 0 for no limit
     * @return a new request; this one is unchanged
     * @throws IllegalArgumentException if {@code max} is negative
     */
    public ClientRequest withMaxRedirects(int max) {
        return new ClientRequest(method, uri, headers, body, timeout, allowRedirects, max, readTimeout, connectTimeout);
    }

    private static void checkMaxRedirects(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("maxRedirects must be >= 0 (0 for no limit), got " + max);
        }
    }

    /** This request with the absolute URL {@code uri} (used by the session to resolve a relative one). */
    ClientRequest withUri(URI uri) {
        return new ClientRequest(method, uri, headers, body, timeout, allowRedirects, maxRedirects,
                readTimeout, connectTimeout);
    }

    /** This request with the connect timeout {@code connectTimeout} (the session's, set as it sends it). */
    ClientRequest withConnectTimeout(Duration connectTimeout) {
        return new ClientRequest(method, uri, headers, body, timeout, allowRedirects, maxRedirects, readTimeout,
                connectTimeout);
    }

    /** Whether the URL is absolute, so that no base URL is needed. */
    boolean isAbsolute() {
        return uri.isAbsolute();
    }

    @Override
    public String toString() {
        return method + " " + uri + (timeout == null ? "" : " (timeout " + Durations.format(timeout) + ")")
                + (readTimeout == null ? "" : " (read timeout " + Durations.format(readTimeout) + ")")
                + (connectTimeout == null ? "" : " (connect timeout " + Durations.format(connectTimeout) + ")")
                + (allowRedirects ? "" : " (redirects not followed)");
    }

    /** Parses {@code url}, naming it in the error. */
    static URI parse(String url) {
        Objects.requireNonNull(url, "url must not be null");
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid URL: '" + url + "' (" + e.getReason() + ")", e);
        }
    }

    private static void checkUrl(URI uri) {
        if (uri.isAbsolute()) {
            String scheme = uri.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("URL scheme must be http or https, got '" + uri + "'");
            }
            if (uri.getHost() == null) {
                // java.net.URI leaves the host null when it cannot parse it (an underscore, say), not only when it is
                // missing: say which.
                throw new IllegalArgumentException(uri.getRawAuthority() == null || uri.getRawAuthority().isEmpty()
                        ? "URL has no host: '" + uri + "'"
                        : "URL's host is not a valid host name (letters, digits, '-' and '.'; no '_'): '"
                                + uri.getRawAuthority() + "' in '" + uri + "'");
            }
        } else if (uri.getRawPath() == null || !uri.getRawPath().startsWith("/") || uri.getRawAuthority() != null) {
            throw new IllegalArgumentException("URL must be absolute (http://host/path) or a path starting with '/'"
                    + " to be appended to the session's base URL, got '" + uri + "'");
        }
    }

    private static Map<String, List<String>> copyHeaders(Map<String, List<String>> headers) {
        if (headers == null || headers.isEmpty()) {
            return Map.of();
        }
        var copy = new LinkedHashMap<String, List<String>>();
        headers.forEach((name, values) -> {
            Objects.requireNonNull(values, () -> "values of header " + name + " must not be null");
            values.forEach(v -> checkHeader(name, v));
            copy.put(name, List.copyOf(values));
        });
        return java.util.Collections.unmodifiableMap(copy);
    }

    /**
     * Checks a header line before any transport sees it: a name that is not a token, or a CR or LF in a value, would
     * let the header end early and the rest be read as another header or a request of its own (header injection); a
     * {@code Content-Length} or {@code Transfer-Encoding} of the caller's would frame the body a second way, and a
     * wrong length leaves the rest of the body on the keep-alive connection as the start of the next request (the
     * JDK client refuses {@code Content-Length}; Vert.x sent it, and {@code Transfer-Encoding} both did).
     * RFC 9110's field-value allows visible characters, spaces, tabs and obs-text, no other control character.
     *
     * <p>Only ASCII, not obs-text (bytes 0x80-0xFF) nor any other character: RFC 9110 keeps obs-text for old
     * ISO-8859-1 text that recipients treat as opaque, and the transports cannot send it alike. The JDK client writes
     * U+0080-U+00FF as {@code ?} and refuses anything above, Vert.x writes U+0080-U+00FF as ISO-8859-1 bytes, and
     * aiohttp writes the UTF-8 bytes of any character: an {@code é} would reach the server three different ways, or
     * as a {@code ?} nobody sees. Refused here, it reaches nobody wrong; the caller encodes it as the server expects.
     */
    static void checkHeader(String name, String value) {
        Objects.requireNonNull(name, "header name must not be null");
        Objects.requireNonNull(value, () -> "value of header " + name + " must not be null");
        if (name.isEmpty() || !name.chars().allMatch(ClientRequest::isTokenChar)) {
            throw new IllegalArgumentException("header name must be an HTTP token, got '" + name + "'");
        }
        if (name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")) {
            throw new IllegalArgumentException("header " + name + " must not be set: the transport frames the body"
                    + " itself, and a second framing would corrupt the connection");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw new IllegalArgumentException(String.format("value of header %s must not contain control"
                        + " characters (CR and LF among them), got U+%04X at index %d", name, (int) c, i));
            }
            if (c > 0x7f) {
                throw new IllegalArgumentException(String.format("value of header %s must be ASCII, got U+%04X at"
                        + " index %d: encode it first (percent-encoding, or RFC 8187's UTF-8''... in a parameter)",
                        name, (int) c, i));
            }
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        var out = new java.util.ArrayList<String>(a);
        out.addAll(b);
        return out;
    }

    private static boolean isTokenChar(int c) {
        return c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
    }
}
