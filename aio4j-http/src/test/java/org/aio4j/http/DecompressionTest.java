package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The session's decoding of a body ({@link Decompression}, aiohttp's {@code auto_decompress}) at its edges: the
 * limit, the forms of the header, bodies cut short or followed by more. Over real HTTP in {@link TransportContract}.
 */
class DecompressionTest {

    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    private static byte[] gzip(byte[] data) throws Exception {
        var out = new ByteArrayOutputStream();
        try (var z = new GZIPOutputStream(out)) {
            z.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] data, boolean raw) {
        var d = new Deflater(Deflater.DEFAULT_COMPRESSION, raw);
        d.setInput(data);
        d.finish();
        byte[] out = new byte[data.length + 64];
        int n = d.deflate(out);
        d.end();
        return Arrays.copyOf(out, n);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static byte[] decode(String encoding, byte[] body, int max) throws ClientException {
        var response = new ClientResponse("GET", URI.create("http://example.test/"), 200,
                Map.of("Content-Encoding", List.of(encoding), "Content-Length", List.of("" + body.length)), body);
        ClientResponse r = Decompression.decode(ClientRequest.get("http://example.test/"), response, max);
        assertThat(r.header("Content-Length")).as("headers as sent").isEqualTo("" + body.length);
        return r.read();
    }

    @Test
    void theLimitHoldsForTheDecodedBodyExactlyAtItAndOneOver() throws Exception {
        assertThat(decode("gzip", gzip(HELLO), 5)).isEqualTo(HELLO);
        assertThatThrownBy(() -> decode("gzip", gzip(HELLO), 4)).isExactlyInstanceOf(ClientException.class)
                .hasMessageContaining("more than 4 bytes decoded");
    }

    @Test
    void theHeaderIsReadWhateverItsCaseAndOtherCodingsComeAsSentAsInAiohttp() throws Exception {
        assertThat(decode(" GZip ", gzip(HELLO), 100)).isEqualTo(HELLO);
        assertThat(decode("DEFLATE", deflate(HELLO, false), 100)).isEqualTo(HELLO);
        assertThat(decode("identity", HELLO, 100)).isEqualTo(HELLO);
        assertThat(decode("br", HELLO, 100)).isEqualTo(HELLO);
        byte[] twice = gzip(HELLO);
        assertThat(decode("gzip, deflate", twice, 100)).isEqualTo(twice); // aiohttp 3.8 decodes one coding only
    }

    @Test
    void emptyBodiesAndEmptyStreamsDecodeToNothing() throws Exception {
        assertThat(decode("gzip", new byte[0], 100)).isEmpty();
        assertThat(decode("gzip", gzip(new byte[0]), 100)).isEmpty();
        assertThat(decode("deflate", deflate(new byte[0], true), 100)).isEmpty();
    }

    @Test
    void rawDeflateAndTrailingBytesAfterTheStreamDecode() throws Exception {
        assertThat(decode("deflate", deflate(HELLO, true), 100)).isEqualTo(HELLO);
        assertThat(decode("deflate", concat(deflate(HELLO, false), "XX".getBytes()), 100)).isEqualTo(HELLO);
        assertThat(decode("gzip", concat(gzip(HELLO), "GARBAGE".getBytes()), 100)).isEqualTo(HELLO);
        // every member of a gzip body, as RFC 1952 has it (aiohttp 3.8 gives the first member only)
        assertThat(decode("gzip", concat(gzip(HELLO), gzip(HELLO)), 100)).isEqualTo("hellohello".getBytes());
    }

    /** A body cut short says so: a gzip one's EOFException has no message, and "null" was all it said. */
    @Test
    void aBodyCutShortSaysSo() throws Exception {
        byte[] gz = gzip(HELLO);
        assertThatThrownBy(() -> decode("gzip", Arrays.copyOf(gz, gz.length - 4), 100))
                .isInstanceOf(ClientPayloadException.class).hasMessageContaining("gzip")
                .hasMessageContaining("cut short").hasMessageNotContaining("null");
        assertThatThrownBy(() -> decode("deflate", Arrays.copyOf(deflate(HELLO, false), 5), 100))
                .isInstanceOf(ClientPayloadException.class).hasMessageContaining("cut short");
    }
}
