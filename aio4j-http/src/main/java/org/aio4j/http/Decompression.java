package org.aio4j.http;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * The session's decoding of a compressed response body, as aiohttp's {@code auto_decompress=True}: a body under
 * {@code Content-Encoding: gzip} or {@code deflate} (zlib-wrapped as RFC 9110 says, or raw deflate, which aiohttp
 * accepts too) is decoded, any other encoding left as it came. Decoding stops as soon as the decoded bytes pass the
 * transport's body limit, so a small body that decodes to a huge one (a zip bomb) never fills the heap.
 */
final class Decompression {

    /** What the session asks for unless a request has an {@code Accept-Encoding} of its own: aiohttp's default. */
    static final String ACCEPT_ENCODING = "gzip, deflate";

    private Decompression() {
    }

    /**
     * {@code response} with its body decoded, or {@code response} itself if it has no encoding the session decodes,
     * or no body (the answer to a HEAD, a 204, a 304).
     *
     * @throws ClientPayloadException if the body is not valid in its encoding
     * @throws ClientException        if the decoded body is longer than {@code maxBytes}
     */
    static ClientResponse decode(ClientRequest request, ClientResponse response, int maxBytes)
            throws ClientException {
        String header = response.header("Content-Encoding");
        byte[] raw = response.rawBody();
        if (header == null || raw.length == 0) {
            return response;
        }
        String encoding = header.trim().toLowerCase(Locale.ROOT);
        boolean gzip = encoding.equals("gzip");
        if (!gzip && !encoding.equals("deflate")) {
            return response; // identity, or one aiohttp would need a library for (br, zstd): as it came
        }
        Inflater inflater = gzip ? null : new Inflater(!isZlibHeader(raw));
        try (InputStream in = gzip ? new GZIPInputStream(new ByteArrayInputStream(raw), 8192)
                : new InflaterInputStream(new ByteArrayInputStream(raw), inflater, 8192)) {
            var out = new ByteArrayOutputStream((int) Math.min(maxBytes, Math.max(64, raw.length * 4L)));
            byte[] buffer = new byte[16384];
            long decoded = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                decoded += n;
                if (decoded > maxBytes) {
                    throw new ClientException(request.method(), request.uri(), "response body too large: more than "
                            + maxBytes + " bytes decoded (Content-Encoding: " + header.trim() + ", " + raw.length
                            + " bytes as sent), the transport's limit (maxBodyBytes)", null);
                }
                out.write(buffer, 0, n);
            }
            return response.withDecodedBody(out.toByteArray());
        } catch (ClientException e) {
            throw e;
        } catch (IOException e) { // a ZipException, or an EOFException for a body cut short
            String why = e instanceof EOFException ? "cut short (" + raw.length + " bytes end before the "
                    + encoding + " stream does)" : e.getMessage();
            throw new ClientPayloadException(request.method(), request.uri(), "response body is not valid "
                    + encoding + " (Content-Encoding: " + header.trim() + "): " + why
                    + " (autoDecompress(false) gives it as it came)", e);
        } finally {
            if (inflater != null) {
                inflater.end();
            }
        }
    }

    /**
     * The encoding of a body under {@code header} (a {@code Content-Encoding}) that the session decodes, {@code gzip}
     * or {@code deflate}, or null for one it leaves as it came (none, identity, {@code br}, ...).
     */
    static String decoded(String header) {
        if (header == null) {
            return null;
        }
        String encoding = header.trim().toLowerCase(Locale.ROOT);
        return encoding.equals("gzip") || encoding.equals("deflate") ? encoding : null;
    }

    /**
     * {@code raw}, a body in {@code encoding} ({@link #decoded}), decoded as it is read: the streamed form of
     * {@link #decode}, which holds a window of the encoding (32 KiB) and a buffer, never the body. Reads the first
     * bytes of {@code raw} (a gzip header, or whether a deflate body is zlib-wrapped); an empty body decodes to an
     * empty one. Throws what {@code raw} throws as it is, and an {@link IOException} of the decoder for a body that
     * is not valid ({@link #invalid} makes it the caller's).
     */
    static InputStream decoding(String encoding, InputStream raw) throws IOException {
        var in = new java.io.PushbackInputStream(raw, 2);
        byte[] first = new byte[2];
        int n = 0;
        for (int r; n < 2 && (r = in.read(first, n, 2 - n)) >= 0; ) {
            n += r;
        }
        if (n == 0) {
            return InputStream.nullInputStream();
        }
        in.unread(first, 0, n);
        if (encoding.equals("gzip")) {
            return new GZIPInputStream(in, 8192);
        }
        byte[] head = n == 2 ? first : new byte[] {first[0]};
        return new InflaterInputStream(in, new Inflater(!isZlibHeader(head)), 8192) {
            private boolean ended;

            @Override
            public void close() throws IOException {
                if (!ended) {
                    ended = true;
                    inf.end(); // an Inflater of its own is not ended by InflaterInputStream.close()
                }
            }
        };
    }

    /**
     * What a body in {@code header}'s encoding that the decoder refused with {@code e} is to the caller: the
     * {@link ClientPayloadException} of {@link #decode}, naming the encoding.
     */
    static ClientPayloadException invalid(ClientRequest request, String header, IOException e) {
        String encoding = header.trim().toLowerCase(Locale.ROOT);
        String why = e instanceof EOFException ? "cut short (the body ends before the " + encoding + " stream does)"
                : e.getMessage();
        return new ClientPayloadException(request.method(), request.uri(), "response body is not valid "
                + encoding + " (Content-Encoding: " + header.trim() + "): " + why
                + " (autoDecompress(false) gives it as it came)", e);
    }

    /**
     * Whether {@code body} starts with a zlib header (RFC 1950: method 8, and the two bytes a multiple of 31), as a
     * {@code deflate} body should; if not, it is taken for raw deflate, as aiohttp does (it looks at the method
     * only).
     */
    private static boolean isZlibHeader(byte[] body) {
        return body.length >= 2 && (body[0] & 0x0F) == 8 && (((body[0] & 0xFF) << 8) | (body[1] & 0xFF)) % 31 == 0;
    }
}
