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

    /** {@code body} decoded by the streamed decoder, given a byte at a time; its end checked. */
    private static byte[] decodeByteByByte(String encoding, byte[] body) throws Exception {
        Decompression.Decoder d = Decompression.decoder(encoding);
        var out = new ByteArrayOutputStream();
        byte[] into = new byte[3];
        boolean ended = false;
        for (int i = 0; i < body.length && !ended; i++) {
            var in = java.nio.ByteBuffer.wrap(body, i, 1);
            for (;;) {
                int n = d.decode(in, into, 0, into.length);
                if (n == 0) {
                    break;
                }
                if (n < 0) {
                    ended = true;
                    break;
                }
                out.write(into, 0, n);
            }
        }
        if (!ended) {
            d.finish();
        }
        d.end();
        return out.toByteArray();
    }

    /**
     * A gzip header with every optional field (RFC 1952 2.3.1: FEXTRA, FNAME, FCOMMENT, FHCRC) before the deflated
     * {@code data}, and its trailer.
     */
    private static byte[] gzipWithEveryField(byte[] data, boolean goodHeaderCrc) throws Exception {
        var h = new ByteArrayOutputStream();
        h.writeBytes(new byte[] {0x1F, (byte) 0x8B, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, (byte) 0xFF});
        h.writeBytes(new byte[] {3, 0, 'a', 'b', 'c'}); // XLEN 3, then 3 bytes
        h.writeBytes("name.txt\0".getBytes(StandardCharsets.ISO_8859_1));
        h.writeBytes("a comment\0".getBytes(StandardCharsets.ISO_8859_1));
        var crc = new java.util.zip.CRC32();
        crc.update(h.toByteArray());
        int c = (int) crc.getValue() & 0xFFFF ^ (goodHeaderCrc ? 0 : 1);
        h.writeBytes(new byte[] {(byte) c, (byte) (c >> 8)});
        return withMember(h, data);
    }

    /**
     * The streamed decoder, which keeps every byte it is given so that a read cancelled between two parts loses
     * none, reads what the JDK's {@code GZIPInputStream} read before: a header with every optional field, its CRC
     * checked, whether given whole or a byte at a time; several members; what follows a member and starts no gzip
     * header is ignored, as aiohttp's zlib {@code decompressobj} leaves it in its {@code unused_data}.
     */
    @Test
    void theStreamedDecoderReadsEveryHeaderFieldAndWhatFollowsAMemberAsBefore() throws Exception {
        byte[] full = gzipWithEveryField(HELLO, true);
        assertThat(decode("gzip", full, 100)).isEqualTo(HELLO);
        assertThat(decodeByteByByte("gzip", full)).isEqualTo(HELLO);
        assertThat(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(full)).readAllBytes())
                .as("the JDK reads it so").isEqualTo(HELLO);
        assertThatThrownBy(() -> decode("gzip", gzipWithEveryField(HELLO, false), 100))
                .isInstanceOf(ClientPayloadException.class).hasMessageContaining("Corrupt GZIP header");
        byte[] two = concat(gzip(HELLO), full);
        assertThat(decodeByteByByte("gzip", two)).isEqualTo("hellohello".getBytes());
        for (byte[] after : List.of("GARBAGE".getBytes(), new byte[] {0x1F}, new byte[] {0x1F, (byte) 0x8B, 8, 0},
                new byte[] {0x1F, 0})) {
            assertThat(decode("gzip", concat(gzip(HELLO), after), 100)).isEqualTo(HELLO);
            assertThat(decodeByteByByte("gzip", concat(gzip(HELLO), after))).isEqualTo(HELLO);
        }
        // a further member whose header is whole and valid is read as one: cut short (or not valid), it fails the
        // body; one whose header's CRC is wrong is no member, ignored (as GZIPInputStream did)
        assertThat(decode("gzip", concat(gzip(HELLO), gzipWithEveryField(HELLO, false)), 100)).isEqualTo(HELLO);
        assertThatThrownBy(() -> decode("gzip", concat(gzip(HELLO), Arrays.copyOf(full, full.length - 3)), 100))
                .isInstanceOf(ClientPayloadException.class).hasMessageContaining("cut short");
        assertThatThrownBy(() -> decodeByteByByte("gzip", concat(gzip(HELLO), Arrays.copyOf(full, full.length - 3))))
                .isInstanceOf(java.io.EOFException.class);
        assertThat(decodeByteByByte("deflate", concat(deflate(HELLO, false), "XX".getBytes()))).isEqualTo(HELLO);
        assertThat(decodeByteByByte("deflate", deflate(HELLO, true))).isEqualTo(HELLO);
        assertThatThrownBy(() -> decode("gzip", "not gzip".getBytes(), 100))
                .isInstanceOf(ClientPayloadException.class).hasMessageContaining("Not in GZIP format");
        byte[] gz = gzip(HELLO);
        gz[gz.length - 8] ^= 1; // the CRC
        assertThatThrownBy(() -> decode("gzip", gz, 100))
                .isInstanceOf(ClientPayloadException.class).hasMessageContaining("Corrupt GZIP trailer");
    }

    /**
     * A gzip member of {@code data} whose header has the optional fields {@code flags} asks for (RFC 1952 2.3.1:
     * FEXTRA 4, FNAME 8, FCOMMENT 16, FHCRC 2), its header CRC right.
     */
    private static byte[] member(byte[] data, int flags) {
        var h = new ByteArrayOutputStream();
        h.writeBytes(new byte[] {0x1F, (byte) 0x8B, 8, (byte) flags, 1, 2, 3, 4, 0, 3});
        if ((flags & 4) != 0) {
            h.writeBytes(new byte[] {5, 0, 'x', 0, 'y', 0, 0x1F}); // XLEN 5: a zero and a gzip magic byte inside
        }
        if ((flags & 8) != 0) {
            h.writeBytes("f.txt\0".getBytes(StandardCharsets.ISO_8859_1));
        }
        if ((flags & 16) != 0) {
            h.writeBytes("\0".getBytes(StandardCharsets.ISO_8859_1)); // an empty comment
        }
        if ((flags & 2) != 0) {
            var crc = new java.util.zip.CRC32();
            crc.update(h.toByteArray());
            h.writeBytes(new byte[] {(byte) crc.getValue(), (byte) (crc.getValue() >> 8)});
        }
        return withMember(h, data);
    }

    /**
     * {@code body} given to the streamed decoder in the parts that {@code cuts} (positions, ascending) make, decoded
     * into pieces of at most {@code room} bytes, each part used up before the next is given; its end checked.
     */
    private static byte[] decodeInParts(String encoding, byte[] body, int room, int... cuts) throws Exception {
        Decompression.Decoder d = Decompression.decoder(encoding);
        var out = new ByteArrayOutputStream();
        byte[] into = new byte[room + 2];
        int from = 0;
        try {
            for (int i = 0; i <= cuts.length; i++) {
                int to = i < cuts.length ? cuts[i] : body.length;
                var in = java.nio.ByteBuffer.wrap(body, from, to - from);
                from = to;
                for (;;) {
                    int n = d.decode(in, into, 1, room);
                    if (n < 0) { // what the part still has follows the end: ignored
                        return out.toByteArray();
                    }
                    if (n == 0) {
                        assertThat(in.hasRemaining()).as("0 with bytes left in the part").isFalse();
                        break;
                    }
                    out.write(into, 1, n);
                }
            }
            d.finish();
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /**
     * The streamed decoder gives what the JDK's {@code GZIPInputStream} and {@code InflaterInputStream} give, each
     * byte once, wherever the body is cut into two parts (and three, for the small ones), whatever room it is given:
     * gzip bodies of one and several members, headers with each combination of the optional fields, an empty
     * member, bytes after the last member that start no member or a broken one; zlib and raw deflate bodies, with
     * bytes after their end.
     */
    @Test
    void theStreamedDecoderGivesWhatTheJdkGivesWhereverTheBodyIsCut() throws Exception {
        var random = new java.util.Random(42);
        byte[] noise = new byte[1500];
        random.nextBytes(noise);
        byte[] big = concat("line of text, line of text\n".repeat(80).getBytes(StandardCharsets.US_ASCII), noise);
        var bodies = new java.util.LinkedHashMap<String, byte[]>();
        for (int flags = 0; flags < 32; flags += 2) {
            bodies.put("gzip flags " + flags, member(HELLO, flags));
        }
        bodies.put("gzip members", concat(concat(member(HELLO, 2 | 4 | 8 | 16), gzip(new byte[0])),
                member("world".getBytes(StandardCharsets.US_ASCII), 8 | 2)));
        bodies.put("gzip garbage after", concat(member(HELLO, 8), "\u001f\u008bXY".getBytes(StandardCharsets.ISO_8859_1)));
        bodies.put("gzip a header cut after", concat(member(HELLO, 0), Arrays.copyOf(member(HELLO, 4 | 8), 14)));
        byte[] badCrc = member(HELLO, 8 | 2);
        badCrc[16] ^= 1;
        bodies.put("gzip a bad header after", concat(member(HELLO, 0), badCrc));
        bodies.put("gzip big, two members", concat(gzip(big), member(big, 16 | 2)));
        bodies.put("deflate zlib", deflate(HELLO, false));
        bodies.put("deflate raw", deflate(HELLO, true));
        bodies.put("deflate zlib, bytes after", concat(deflate(big, false), "XYZ".getBytes()));
        bodies.put("deflate raw big", deflate(big, true));
        for (var e : bodies.entrySet()) {
            byte[] body = e.getValue();
            boolean gzip = e.getKey().startsWith("gzip");
            boolean raw = e.getKey().contains("raw");
            var jdkIn = new java.io.ByteArrayInputStream(body);
            byte[] want = (gzip ? new java.util.zip.GZIPInputStream(jdkIn)
                    : new java.util.zip.InflaterInputStream(jdkIn, new java.util.zip.Inflater(raw))).readAllBytes();
            String encoding = gzip ? "gzip" : "deflate";
            for (int room : body.length < 120 ? new int[] {1, 5, 16384} : new int[] {7, 16384}) {
                for (int i = 0; i <= body.length; i++) {
                    assertThat(decodeInParts(encoding, body, room, i)).as(e.getKey() + ", room " + room + ", cut at "
                            + i).isEqualTo(want);
                    if (body.length < 120 && room != 5) {
                        for (int j = i; j <= body.length; j++) {
                            assertThat(decodeInParts(encoding, body, room, i, j)).as(e.getKey() + ", room " + room
                                    + ", cut at " + i + " and " + j).isEqualTo(want);
                        }
                    }
                }
            }
        }
    }

    /** {@code header} followed by {@code data} deflated and the gzip trailer (CRC32 and size, little-endian). */
    private static byte[] withMember(ByteArrayOutputStream header, byte[] data) {
        header.writeBytes(deflate(data, true));
        var dataCrc = new java.util.zip.CRC32();
        dataCrc.update(data);
        for (long v : new long[] {dataCrc.getValue(), data.length}) {
            header.writeBytes(new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)});
        }
        return header.toByteArray();
    }
}
