package org.aio4j.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpCookie;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A response that has arrived in full: status, headers and the whole body: aiohttp's {@code ClientResponse} after
 * {@code await resp.read()}. Immutable and safe to share between threads.
 *
 * <p>A body the server sent compressed ({@code Content-Encoding: gzip} or {@code deflate}) is here decoded, as
 * aiohttp's {@code auto_decompress=True} does, unless the session was built with
 * {@link ClientSession.Builder#autoDecompress(boolean) autoDecompress(false)}; the headers stay as the server sent
 * them, {@code Content-Encoding} and {@code Content-Length} included, as in aiohttp.
 *
 * <p>An error status is not an exception by itself, as in aiohttp: check {@link #ok()} or call
 * {@link #raiseForStatus()}, or build the session with
 * {@link ClientSession.Builder#raiseForStatus(boolean) raiseForStatus(true)}.
 */
public final class ClientResponse {

    private final String method;
    private final URI url;
    private final int status;
    private final Map<String, List<String>> headers;
    private final byte[] body;
    /** Whether the session decoded the body from its {@code Content-Encoding}. */
    private final boolean decoded;
    /** The redirects the session followed to this response, oldest first. */
    private final List<ClientResponse> history;

    /**
     * A response to {@code method url}. Public for {@link HttpTransport} implementations.
     *
     * @param method  the method of the request
     * @param url     the URL the response came from (after redirects)
     * @param status  the status code
     * @param headers header names to values; kept as given (pass an unmodifiable map)
     * @param body    the whole body; kept as given (not copied)
     * @throws IllegalArgumentException if {@code status} is not in 100..999
     */
    public ClientResponse(String method, URI url, int status, Map<String, List<String>> headers, byte[] body) {
        this.method = Objects.requireNonNull(method, "method must not be null");
        this.url = Objects.requireNonNull(url, "url must not be null");
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("HTTP status must be in 100..999, got " + status);
        }
        this.status = status;
        this.headers = Objects.requireNonNull(headers, "headers must not be null");
        this.body = Objects.requireNonNull(body, "body must not be null (use an empty array)");
        this.decoded = false;
        this.history = List.of();
    }

    private ClientResponse(ClientResponse of, byte[] body, boolean decoded, List<ClientResponse> history) {
        this.method = of.method;
        this.url = of.url;
        this.status = of.status;
        this.headers = of.headers;
        this.body = body;
        this.decoded = decoded;
        this.history = history;
    }

    /** This response with {@code decodedBody}, decoded from its {@code Content-Encoding}, as its body. */
    ClientResponse withDecodedBody(byte[] decodedBody) {
        return new ClientResponse(this, decodedBody, true, history);
    }

    /** This response with {@code history}, the redirects followed to it, oldest first. */
    ClientResponse withHistory(List<ClientResponse> history) {
        return history.isEmpty() ? this : new ClientResponse(this, body, decoded, List.copyOf(history));
    }

    /**
     * The responses of the redirects the session followed to this one, oldest first: aiohttp's {@code resp.history}.
     * Empty if the request was not redirected, or did not follow redirects ({@link ClientRequest#withAllowRedirects}).
     * Each has its status, headers and URL, and an empty body: a followed redirect's body is nobody's, and the
     * transport drops it (see {@link HttpTransport#followsRedirect}), as aiohttp releases a redirect's response
     * without reading it for the caller. Their own {@code history()} is empty.
     *
     * @return the earlier responses, oldest first; unmodifiable
     */
    public List<ClientResponse> history() {
        return history;
    }

    /** The body itself, not a copy: for this package only. */
    byte[] rawBody() {
        return body;
    }

    /**
     * The method of the request this answers: after a redirect that turned a POST into a GET, {@code GET}, as
     * aiohttp's {@code resp.method}.
     *
     * @return the request method, e.g. {@code GET}
     */
    public String method() {
        return method;
    }

    /**
     * The URL the response came from, after the redirects the session followed ({@link #history()}): aiohttp's
     * {@code resp.url}.
     *
     * @return the final URL
     */
    public URI url() {
        return url;
    }

    /**
     * The status code: aiohttp's {@code resp.status}.
     *
     * @return the status code
     */
    public int status() {
        return status;
    }

    /**
     * Whether the status is below 400: aiohttp's {@code resp.ok}.
     *
     * @return whether the status is below 400
     */
    public boolean ok() {
        return status < 400;
    }

    /**
     * The headers, as the transport gave them (the JDK's are case-insensitive): aiohttp's {@code resp.headers}.
     *
     * @return the headers, as given to the constructor (the map is not copied)
     */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /**
     * The first value of header {@code name}, ignoring case, or {@code null} if there is none: aiohttp's
     * {@code resp.headers.get(name)}.
     *
     * @param name the header name, in any case
     * @return the header's first value, or {@code null}
     * @throws NullPointerException if {@code name} is null
     */
    public String header(String name) {
        Objects.requireNonNull(name, "header name must not be null");
        List<String> values = headers.get(name);
        if (values == null) {
            for (var e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    values = e.getValue();
                    break;
                }
            }
        }
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /**
     * A copy of the body: aiohttp's {@code await resp.read()}.
     *
     * @return a new array holding the body
     */
    public byte[] read() {
        return body.clone();
    }

    /**
     * The body's length in bytes.
     *
     * @return the body's length
     */
    public int length() {
        return body.length;
    }

    /**
     * The body decoded with the charset of the {@code Content-Type} header, or UTF-8 when it names none or an unknown
     * one: aiohttp's {@code await resp.text()}. Strict, as aiohttp's: bytes that are not valid in that charset are an
     * error, not silently replaced; {@link #text(CodingErrorAction)} decodes them anyway.
     *
     * @return the body as text
     * @throws UncheckedIOException if the body is not valid in the charset (aiohttp's {@code UnicodeDecodeError});
     *                              the message names the request, the charset and the byte offset, and the
     *                              {@code Content-Encoding} if the body has one that was not decoded (one of a
     *                              session built with {@code autoDecompress(false)}, or other than gzip and
     *                              deflate); the cause is the decoder's
     *                              {@link CharacterCodingException}
     */
    public String text() {
        return text(CodingErrorAction.REPORT);
    }

    /**
     * The body decoded as {@link #text()} does, with {@code onInvalid} applied to bytes that are not valid in the
     * charset: {@link CodingErrorAction#REPORT} throws, {@link CodingErrorAction#REPLACE} puts U+FFFD in their place
     * (aiohttp's {@code text(errors="replace")}), {@link CodingErrorAction#IGNORE} drops them.
     *
     * @param onInvalid what to do with invalid bytes
     * @return the body as text
     * @throws UncheckedIOException with {@code REPORT}, if the body is not valid in the charset
     * @throws NullPointerException if {@code onInvalid} is null
     */
    public String text(CodingErrorAction onInvalid) {
        Objects.requireNonNull(onInvalid, "onInvalid must not be null");
        Charset charset = textCharset();
        CharsetDecoder decoder = charset.newDecoder().onMalformedInput(onInvalid).onUnmappableCharacter(onInvalid);
        ByteBuffer in = ByteBuffer.wrap(body);
        try {
            return decoder.decode(in).toString();
        } catch (CharacterCodingException e) {
            String encoding = header("Content-Encoding");
            throw new UncheckedIOException(method + " " + url + ": the body is not valid " + charset.name()
                    + " at byte " + in.position() + " of " + body.length
                    + (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")
                            && !decoded
                            ? ": it is encoded (Content-Encoding: " + encoding + ") and was not decoded (the"
                                    + " session decodes gzip and deflate, unless built with autoDecompress(false))"
                            : " (text(CodingErrorAction.REPLACE) decodes it anyway)"), e);
        }
    }

    /**
     * Decodes a JSON body with the caller's JSON library: a JSON decoder, such as Jackson's
     * {@code mapper::readTree} or Gson's {@code text -> gson.fromJson(text, Page.class)}. aio4j has no JSON library
     * of its own.
     *
     * @param <T> what the decoder makes of the text
     */
    @FunctionalInterface
    public interface JsonDecoder<T> {
        /**
         * Decodes {@code json}.
         *
         * @param json the body as text, without the whitespace around it; never empty
         * @return the decoded value
         * @throws IOException if {@code json} is not valid (Jackson's {@code JsonProcessingException} is one)
         */
        T decode(String json) throws IOException;
    }

    /** aiohttp's json_re: application/json, or a structured syntax suffix {@code +json} (application/problem+json). */
    private static final Pattern JSON_TYPE = Pattern.compile("application/(?:[\\w.+-]+?\\+)?json");

    /**
     * The body decoded as JSON by {@code loads}: aiohttp's {@code await resp.json(loads=loads)}. As aiohttp's, it
     * first checks that the {@code Content-Type} is JSON ({@code application/json}, or a {@code +json} type such as
     * {@code application/problem+json}), then decodes the body as {@link #text()} does (the header's charset, else
     * UTF-8), strips the whitespace around it and hands it to {@code loads}; an empty body is {@code null} (aiohttp's
     * {@code None}) and {@code loads} is not called.
     *
     * @param <T>   the type of the decoded value
     * @param loads the JSON decoder, e.g. Jackson's {@code mapper::readTree}
     * @return what {@code loads} returns, or {@code null} for an empty body
     * @throws ClientException      if the {@code Content-Type} is not JSON (aiohttp's {@code ContentTypeError}): the
     *                              message names the request and the type; {@code loads} is not called
     * @throws IOException          what {@code loads} throws, as it is
     * @throws UncheckedIOException if the body is not valid in its charset, as {@link #text()}
     * @throws NullPointerException if {@code loads} is null
     */
    public <T> T json(JsonDecoder<? extends T> loads) throws IOException {
        return json(loads, "application/json");
    }

    /**
     * As {@link #json(JsonDecoder)}, checking the {@code Content-Type} against {@code contentType} instead:
     * aiohttp's {@code resp.json(loads=loads, content_type=...)}. {@code "application/json"} checks as
     * {@link #json(JsonDecoder)} does; another type is found if the header contains it (as aiohttp compares);
     * {@code null} (aiohttp's {@code content_type=None}) checks nothing.
     *
     * @param <T>         the type of the decoded value
     * @param loads       the JSON decoder
     * @param contentType the expected content type, or {@code null} to accept any
     * @return what {@code loads} returns, or {@code null} for an empty body
     * @throws ClientException      if the {@code Content-Type} is not the one expected; {@code loads} is not called
     * @throws IOException          what {@code loads} throws, as it is
     * @throws UncheckedIOException if the body is not valid in its charset, as {@link #text()}
     * @throws NullPointerException if {@code loads} is null
     */
    public <T> T json(JsonDecoder<? extends T> loads, String contentType) throws IOException {
        Objects.requireNonNull(loads, "loads must not be null");
        if (contentType != null) {
            String type = header("Content-Type");
            String actual = type == null ? "" : type.toLowerCase(Locale.ROOT);
            boolean expected = contentType.equals("application/json") ? JSON_TYPE.matcher(actual).lookingAt()
                    : actual.contains(contentType);
            if (!expected) {
                throw new ClientException(method, url, "attempt to decode JSON with unexpected mimetype: " + actual,
                        null);
            }
        }
        String text = stripAsciiWhitespace(text());
        return text.isEmpty() ? null : loads.decode(text);
    }

    /** {@code s} without the ASCII whitespace around it, as Python's {@code bytes.strip()} (aiohttp strips bytes). */
    private static String stripAsciiWhitespace(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && " \t\n\r\u000b\f".indexOf(s.charAt(from)) >= 0) {
            from++;
        }
        while (to > from && " \t\n\r\u000b\f".indexOf(s.charAt(to - 1)) >= 0) {
            to--;
        }
        return s.substring(from, to);
    }

    /**
     * Returns this response if its status is below 400, else throws: aiohttp's {@code raise_for_status()}.
     *
     * @return this response
     * @throws ClientResponseException if the status is 400 or more (it carries this response)
     */
    public ClientResponse raiseForStatus() throws ClientResponseException {
        if (!ok()) {
            throw new ClientResponseException(this);
        }
        return this;
    }

    /**
     * The media type of the body: the {@code Content-Type} header without its parameters, in lower case, as
     * aiohttp's {@code resp.content_type}. Without such a header, {@code application/octet-stream} (RFC 9110 8.3);
     * with one that is not a {@code type/subtype}, {@code text/plain}, as aiohttp reads it (Python's
     * {@code email.message}).
     *
     * @return the media type, e.g. {@code text/html}
     */
    public String contentType() {
        String type = header("Content-Type");
        if (type == null) {
            return "application/octet-stream";
        }
        int semicolon = type.indexOf(';');
        String media = (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        int slash = media.indexOf('/');
        return slash < 0 || media.indexOf('/', slash + 1) >= 0 ? "text/plain" : media;
    }

    /**
     * The {@code charset} parameter of the {@code Content-Type} header, as the server wrote it (without quotes), or
     * empty if it has none: aiohttp's {@code resp.charset}. {@link #text()} decodes with it when the JDK knows it.
     *
     * @return the charset the header names, if any
     */
    public Optional<String> charset() {
        String type = header("Content-Type");
        if (type != null) {
            String[] params = type.split(";");
            for (int i = 1; i < params.length; i++) {
                String p = params[i].trim();
                int eq = p.indexOf('=');
                if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("charset")) {
                    return Optional.of(p.substring(eq + 1).trim().replace("\"", ""));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The cookies this response sets, by name, from its {@code Set-Cookie} headers: aiohttp's {@code resp.cookies}.
     * In the order they came; a later one of a name replaces an earlier. Each as its header gave it: a
     * {@link HttpCookie#getDomain() domain} and {@link HttpCookie#getPath() path} only where it gave them, a
     * {@link HttpCookie#getMaxAge() maxAge} from its {@code Max-Age} or {@code Expires} (0 for one that deletes the
     * cookie, -1 for a session cookie), the value as it was set, quotes included. A header the session's
     * {@link CookieJar} ignores (without a name-value pair, with a name that is not a token, or a value that a
     * {@code Cookie} header cannot carry) is not listed. Whether the jar kept them is another matter: see
     * {@link CookieJar}; a default jar keeps none from a host that is an IP address.
     *
     * @return a new map of cookie names to cookies, empty if the response sets none
     */
    public Map<String, HttpCookie> cookies() {
        return CookieJar.setBy(headers, System.currentTimeMillis());
    }

    /** The charset {@link #text()} decodes with: the header's, else UTF-8 (also for one the JDK does not know). */
    private Charset textCharset() {
        String name = charset().orElse(null);
        if (name == null || name.isEmpty()) {
            return StandardCharsets.UTF_8;
        }
        try {
            return Charset.forName(name);
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
            return StandardCharsets.UTF_8;
        }
    }

    @Override
    public String toString() {
        return "ClientResponse[" + method + " " + url + " -> " + status + ", " + body.length + " bytes]";
    }
}
