package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Decoding a response's body: strict by default, as aiohttp's {@code text()}, so no byte is lost unseen. */
class ClientResponseTest {

    private static ClientResponse response(String contentType, byte[] body) {
        return new ClientResponse("GET", URI.create("http://127.0.0.1:1/page"), 200,
                contentType == null ? Map.of() : Map.of("Content-Type", List.of(contentType)), body);
    }

    /** "ok " then a lone continuation byte, which is not UTF-8, then "!" */
    private static final byte[] BROKEN_UTF8 = {'o', 'k', ' ', (byte) 0x80, '!'};

    @Test
    void aBodyThatIsNotValidInItsCharsetIsAnErrorNamingTheRequestAndTheByte() {
        assertThatThrownBy(() -> response("text/plain; charset=utf-8", BROKEN_UTF8).text())
                .isInstanceOf(UncheckedIOException.class)
                .hasMessage("GET http://127.0.0.1:1/page: the body is not valid UTF-8 at byte 3 of 5"
                        + " (text(CodingErrorAction.REPLACE) decodes it anyway)")
                .hasCauseInstanceOf(CharacterCodingException.class);
    }

    @Test
    void aCompressedBodyIsAnErrorThatSaysItIsCompressed() throws Exception {
        // A body the session did not decode (autoDecompress(false), or a response made by hand as here): text() of a
        // gzip body said only "not valid UTF-8 at byte 1".
        var gz = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        var r = new ClientResponse("GET", URI.create("http://127.0.0.1:1/page"), 200,
                Map.of("Content-Type", List.of("text/plain"), "Content-Encoding", List.of("gzip")), gz.toByteArray());
        assertThatThrownBy(r::text).isInstanceOf(UncheckedIOException.class)
                .hasMessage("GET http://127.0.0.1:1/page: the body is not valid UTF-8 at byte 1 of " + r.length()
                        + ": it is encoded (Content-Encoding: gzip) and was not decoded (the session decodes gzip"
                        + " and deflate, unless built with autoDecompress(false))");
    }

    @Test
    void theInvalidBytesAreReplacedOrDroppedOnlyWhenAskedFor() {
        ClientResponse r = response(null, BROKEN_UTF8);
        assertThat(r.text(CodingErrorAction.REPLACE)).isEqualTo("ok \uFFFD!");
        assertThat(r.text(CodingErrorAction.IGNORE)).isEqualTo("ok !");
        assertThatThrownBy(() -> r.text(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("onInvalid must not be null");
    }

    @Test
    void theCharsetOfTheContentTypeDecodesTheBody() {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xE9};
        assertThat(response("text/plain; charset=ISO-8859-1", latin1).text()).isEqualTo("café");
        assertThat(response("text/plain", "café".getBytes(java.nio.charset.StandardCharsets.UTF_8)).text())
                .isEqualTo("café");
    }

    @Test
    void aNullHeaderNameIsRefusedWithAMessage() {
        // It threw a bare NullPointerException from the headers' get(null) with an immutable map (the JDK's own
        // headers are one), and returned null, as for a missing header, with a map that takes null keys.
        var headers = new java.util.LinkedHashMap<String, List<String>>();
        headers.put("X-A", List.of("1"));
        for (Map<String, List<String>> h : List.of(Map.of("X-A", List.of("1")), headers)) {
            ClientResponse r = new ClientResponse("GET", URI.create("http://127.0.0.1:1/page"), 200, h, new byte[0]);
            assertThat(r.header("x-a")).isEqualTo("1");
            assertThatThrownBy(() -> r.header(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("header name must not be null");
        }
    }

    // ---- contentType(), charset(), cookies(): aiohttp's resp.content_type, resp.charset, resp.cookies

    /** Each header against what aiohttp 3.8's {@code resp.content_type} and {@code resp.charset} give for it. */
    @Test
    void contentTypeAndCharsetReadTheHeaderAsAiohttpDoes() {
        record Case(String header, String type, String charset) {
        }
        for (Case c : List.of(
                new Case(null, "application/octet-stream", null),
                new Case("Text/HTML; Charset=\"UTF-8\"", "text/html", "UTF-8"),
                new Case("application/json;charset=latin-1; x=y", "application/json", "latin-1"),
                new Case(" application/JSON ", "application/json", null),
                new Case("text/plain; charset=", "text/plain", ""),
                new Case("text", "text/plain", null),
                new Case("", "text/plain", null),
                new Case("a/b/c", "text/plain", null))) {
            ClientResponse r = response(c.header(), new byte[0]);
            assertThat(r.contentType()).as("%s", c.header()).isEqualTo(c.type());
            assertThat(r.charset()).as("%s", c.header()).isEqualTo(java.util.Optional.ofNullable(c.charset()));
        }
        // text() decodes with a charset the JDK knows, and with UTF-8 otherwise
        byte[] cafe = "caf\u00e9".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(response("text/plain; charset=no-such-charset", cafe).text()).isEqualTo("caf\u00e9");
        assertThat(response("text/plain; Charset = \"latin1\"", new byte[] {'c', 'a', 'f', (byte) 0xE9}).text())
                .isEqualTo("caf\u00e9");
    }

    /**
     * Each Set-Cookie as its header gave it, by name, a later one of a name in place of (and after) the earlier; one
     * the jar ignores is not there. Java's {@code HttpCookie.parse}, which docs/http.md sent porters to before, reads
     * a header with both {@code Max-Age} and an {@code Expires} date as several cookies, cut at the date's comma.
     */
    @Test
    void cookiesAreThoseTheSetCookieHeadersSetAsTheyGaveThem() {
        var r = new ClientResponse("GET", URI.create("http://127.0.0.1:1/page"), 200, Map.of("Set-Cookie", List.of(
                "a=1; Path=/x; Max-Age=0",
                "b=\"q v\"; Secure; HttpOnly",
                "bad name=3",
                "c=4; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=3600",
                "d=5; Domain=.Example.COM; Path=/x; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                "a=2")), new byte[0]);
        var cookies = r.cookies();
        assertThat(cookies).containsOnlyKeys("b", "c", "d", "a");
        assertThat(List.copyOf(cookies.keySet())).containsExactly("b", "c", "d", "a");
        var a = cookies.get("a");
        assertThat(a.getValue()).isEqualTo("2");
        assertThat(a.getPath()).isNull();
        assertThat(a.getMaxAge()).isEqualTo(-1);
        var b = cookies.get("b");
        assertThat(b.getValue()).isEqualTo("\"q v\"");
        assertThat(b.getSecure()).isTrue();
        assertThat(b.isHttpOnly()).isTrue();
        assertThat(b.getDomain()).isNull();
        var c = cookies.get("c");
        assertThat(c.getValue()).isEqualTo("4");
        assertThat(c.getMaxAge()).as("Max-Age wins over Expires").isBetween(3590L, 3600L);
        var d = cookies.get("d");
        assertThat(d.getDomain()).isEqualTo("example.com");
        assertThat(d.getPath()).isEqualTo("/x");
        assertThat(d.getMaxAge()).as("an Expires date past: a deletion").isZero();
        assertThat(response("text/plain", new byte[0]).cookies()).isEmpty();
    }

    // ---- json(): aiohttp's resp.json(loads=..., content_type=...), with the caller's JSON library as loads

    @Test
    void jsonHandsTheDecodedBodyWithoutSurroundingWhitespaceToTheDecoder() throws Exception {
        List<String> given = new java.util.ArrayList<>();
        ClientResponse r = response("application/json; charset=utf-8",
                " \n{\"name\": \"caf\u00e9\"}\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Integer length = r.json(text -> {
            given.add(text);
            return text.length();
        });
        assertThat(given).containsExactly("{\"name\": \"caf\u00e9\"}");
        assertThat(length).isEqualTo(16);
        // A charset of the Content-Type is honoured, and a +json type is JSON, as aiohttp's json_re says.
        ClientResponse latin1 = response("application/problem+json; charset=ISO-8859-1",
                new byte[] {'"', 'c', 'a', 'f', (byte) 0xE9, '"'});
        assertThat(latin1.<String>json(text -> text)).isEqualTo("\"caf\u00e9\"");
    }

    @Test
    void jsonOfAnotherContentTypeIsAnErrorNamingItAndTheDecoderIsNotCalled() {
        ClientResponse html = response("text/html; charset=utf-8", "<html>busy</html>".getBytes());
        assertThatThrownBy(() -> html.json(text -> {
            throw new AssertionError("decoder called");
        })).isInstanceOf(ClientException.class)
                .hasMessage("GET http://127.0.0.1:1/page: attempt to decode JSON with unexpected mimetype:"
                        + " text/html; charset=utf-8");
        assertThatThrownBy(() -> response(null, "{}".getBytes()).json(text -> text))
                .isInstanceOf(ClientException.class).hasMessageEndingWith("unexpected mimetype: ");
    }

    @Test
    void jsonWithAnotherOrNoExpectedContentTypeChecksThatOneOrNone() throws Exception {
        ClientResponse plain = response("text/plain", "[1, 2]".getBytes());
        assertThat(plain.<String>json(text -> text, null)).isEqualTo("[1, 2]");
        assertThat(plain.<String>json(text -> text, "text/plain")).isEqualTo("[1, 2]");
        assertThatThrownBy(() -> plain.json(text -> text, "application/vnd.api+json"))
                .isInstanceOf(ClientException.class).hasMessageContaining("unexpected mimetype: text/plain");
    }

    @Test
    void jsonOfAnEmptyBodyIsNullAsAiohttpsNone() throws Exception {
        ClientResponse empty = response("application/json", " \r\n\t".getBytes());
        assertThat(empty.<Object>json(text -> {
            throw new AssertionError("decoder called");
        })).isNull();
    }

    @Test
    void theDecodersErrorAndAnInvalidBodyReachTheCallerAsTheyAre() {
        var malformed = new java.io.IOException("Unexpected end-of-input"); // as Jackson's JsonProcessingException
        assertThatThrownBy(() -> response("application/json", "{".getBytes()).json(text -> {
            throw malformed;
        })).isSameAs(malformed);
        assertThatThrownBy(() -> response("application/json", BROKEN_UTF8).json(text -> text))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("not valid UTF-8 at byte 3");
        assertThatThrownBy(() -> response("application/json", "{}".getBytes()).json(null))
                .isInstanceOf(NullPointerException.class).hasMessage("loads must not be null");
    }
}
