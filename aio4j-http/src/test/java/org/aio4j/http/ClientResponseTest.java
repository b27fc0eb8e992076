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
        // Neither transport decompresses (aiohttp does): text() of a gzip body said only "not valid UTF-8 at byte 1".
        var gz = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        var r = new ClientResponse("GET", URI.create("http://127.0.0.1:1/page"), 200,
                Map.of("Content-Type", List.of("text/plain"), "Content-Encoding", List.of("gzip")), gz.toByteArray());
        assertThatThrownBy(r::text).isInstanceOf(UncheckedIOException.class)
                .hasMessage("GET http://127.0.0.1:1/page: the body is not valid UTF-8 at byte 1 of " + r.length()
                        + ": it is encoded (Content-Encoding: gzip), and the transports do not decode it");
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
}
