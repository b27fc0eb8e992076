package org.aio4j.http;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

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
        String encoding = decoded(header);
        if (encoding == null || raw.length == 0) {
            return response; // identity, or one aiohttp would need a library for (br, zstd): as it came
        }
        Decoder decoder = decoder(encoding);
        try {
            var in = ByteBuffer.wrap(raw);
            var out = new ByteArrayOutputStream((int) Math.min(maxBytes, Math.max(64, raw.length * 4L)));
            byte[] buffer = new byte[16384];
            long decoded = 0;
            int n;
            while ((n = decoder.decode(in, buffer, 0, buffer.length)) > 0) {
                decoded += n;
                if (decoded > maxBytes) {
                    throw new ClientException(request.method(), request.uri(), "response body too large: more than "
                            + maxBytes + " bytes decoded (Content-Encoding: " + header.trim() + ", " + raw.length
                            + " bytes as sent), the transport's limit (maxBodyBytes)", null);
                }
                out.write(buffer, 0, n);
            }
            if (n == 0) { // the raw body has ended: the stream too?
                decoder.finish();
            }
            return response.withDecodedBody(out.toByteArray());
        } catch (ClientException e) {
            throw e;
        } catch (IOException e) { // a ZipException, or an EOFException for a body cut short
            throw invalid(request, header, e, raw.length + " bytes end");
        } finally {
            decoder.end();
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
     * A decoder of a body in {@code encoding} ({@link #decoded}) that is given the raw body part by part
     * ({@link Decoder#decode}): the streamed form of {@link #decode}, which holds a window of the encoding (32 KiB),
     * never the body.
     */
    static Decoder decoder(String encoding) {
        return new Decoder(encoding.equals("gzip"));
    }

    /**
     * A gzip or deflate decoder that keeps every byte it was given in its own state (the inflater's, or a header or
     * trailer read so far), and never waits for input: a caller that stops between two calls (a read cancelled while
     * it waits for the next part) loses nothing, and the next call goes on where the last stopped. A gzip body may be
     * several members, each decoded in turn (RFC 1952); bytes after a member that are not a whole, valid gzip header,
     * and bytes after a deflate stream, are ignored, as aiohttp's zlib {@code decompressobj} ignores what follows the
     * stream (its {@code unused_data}) and as the JDK's {@code GZIPInputStream} does. Not thread-safe.
     */
    static final class Decoder {
        /** Where the decoder is: a gzip header, a stream's data, a gzip trailer, or past the end. */
        private enum Phase { HEADER, DATA, TRAILER, DONE }

        /** The fields of a gzip header, in order, with the flag that says whether a header has the optional ones. */
        private enum Field {
            FIXED(0), XLEN(4), EXTRA(0), NAME(8), COMMENT(16), HCRC(2);

            final int flag;

            Field(int flag) {
                this.flag = flag;
            }
        }

        private final boolean gzip;
        private Phase phase = Phase.HEADER;
        private Inflater inflater;
        /** The decoded bytes of the gzip member being read, for its trailer's CRC. */
        private final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        /** A gzip trailer (or a deflate body's first two bytes) read so far. */
        private final ByteArrayOutputStream held = new ByteArrayOutputStream(8);
        /** The gzip members decoded whole. */
        private int members;
        /** The gzip header being read: its bytes so far, the field, the bytes of it so far, its value, the flags. */
        private int headerBytes;
        private Field field = Field.FIXED;
        private int fieldAt;
        private int value;
        private int flags;
        private final java.util.zip.CRC32 headerCrc = new java.util.zip.CRC32();
        /** The two bytes of a deflate body that said whether it is zlib-wrapped, still to inflate. */
        private ByteBuffer head;
        private boolean broken;

        private Decoder(boolean gzip) {
            this.gzip = gzip;
        }

        /**
         * Decodes from {@code in} (taking the bytes it uses: its position moves) into {@code into}, up to {@code len}
         * bytes at {@code off}: the number decoded, at least one; 0 once {@code in} has nothing more to give (the
         * next part is needed); -1 once the body is decoded whole (what {@code in} still has is after its end,
         * ignored).
         *
         * @throws IOException (a {@link ZipException}) if the body is not valid in its encoding
         */
        int decode(ByteBuffer in, byte[] into, int off, int len) throws IOException {
            if (broken) {
                throw new ZipException("the body was not valid before");
            }
            try {
                for (;;) {
                    switch (phase) {
                        case DONE -> {
                            in.position(in.limit()); // after the end: ignored
                            return -1;
                        }
                        case HEADER -> {
                            if (!header(in)) {
                                return phase == Phase.DONE ? -1 : 0;
                            }
                        }
                        case DATA -> {
                            int n = inflate(in, into, off, len);
                            if (n != 0) {
                                return n;
                            }
                            if (phase == Phase.DATA) {
                                return 0;
                            }
                        }
                        case TRAILER -> {
                            if (!trailer(in)) {
                                return 0;
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                broken = true;
                end();
                throw e;
            }
        }

        /**
         * The raw body has ended: throws an {@link EOFException} if it ended before the encoded stream (a gzip body
         * between two members, or after one and a start of something that is no member, has ended whole; an empty
         * body is an empty stream).
         */
        void finish() throws IOException {
            boolean whole = phase == Phase.DONE
                    || phase == Phase.HEADER && (members > 0 || headerBytes == 0 && held.size() == 0);
            end();
            if (!whole && !broken) {
                broken = true;
                throw new EOFException();
            }
        }

        /** Frees the inflater (idempotent). */
        void end() {
            if (inflater != null) {
                inflater.end();
                inflater = null;
            }
        }

        /** Reads the gzip header (or a deflate body's first bytes) from {@code in}; true once it is whole. */
        private boolean header(ByteBuffer in) throws IOException {
            if (!gzip) {
                while (held.size() < 2 && in.hasRemaining()) {
                    held.write(in.get());
                }
                if (held.size() < 2) {
                    return false;
                }
                byte[] first = held.toByteArray();
                inflater = new Inflater(!isZlibHeader(first));
                head = ByteBuffer.wrap(first);
                held.reset();
                phase = Phase.DATA;
                return true;
            }
            while (in.hasRemaining()) {
                int got = headerByte(in.get() & 0xFF);
                if (got < 0) { // no gzip header
                    if (members == 0) {
                        throw new ZipException("Not in GZIP format");
                    }
                    phase = Phase.DONE; // what follows a member and is none: ignored
                    return false;
                }
                if (got > 0) {
                    headerBytes = 0;
                    crc.reset();
                    inflater = inflater == null ? new Inflater(true) : inflater;
                    inflater.reset();
                    phase = Phase.DATA;
                    return true;
                }
            }
            return false;
        }

        /**
         * Takes byte {@code b} of a gzip header (RFC 1952 2.3.1), in one pass: 1 if the header is whole with it, 0 if
         * more bytes are needed, -1 if the bytes start no gzip header.
         */
        private int headerByte(int b) throws ZipException {
            headerBytes++;
            if (field != Field.HCRC) {
                headerCrc.update(b);
            }
            switch (field) {
                case FIXED -> { // ID1 ID2 CM FLG MTIME(4) XFL OS
                    if (fieldAt == 0 && b != 0x1F || fieldAt == 1 && b != 0x8B || fieldAt == 2 && b != 8) {
                        return -1;
                    }
                    if (fieldAt == 3) {
                        flags = b;
                    }
                    return ++fieldAt < 10 ? 0 : next(Field.XLEN);
                }
                case XLEN -> { // little-endian
                    value |= b << (8 * fieldAt);
                    if (++fieldAt < 2) {
                        return 0;
                    }
                    if (value == 0) {
                        return next(Field.NAME);
                    }
                    field = Field.EXTRA;
                    fieldAt = 0;
                    return 0;
                }
                case EXTRA -> {
                    return ++fieldAt < value ? 0 : next(Field.NAME);
                }
                case NAME -> {
                    return b == 0 ? next(Field.COMMENT) : 0;
                }
                case COMMENT -> {
                    return b == 0 ? next(Field.HCRC) : 0;
                }
                default -> { // HCRC: the low 16 bits of the CRC32 of the header before it, little-endian
                    value |= b << (8 * fieldAt);
                    if (++fieldAt < 2) {
                        return 0;
                    }
                    if ((headerCrc.getValue() & 0xFFFF) != value) {
                        if (members > 0) {
                            return -1; // no member: what follows the last one, ignored (as GZIPInputStream does)
                        }
                        throw new ZipException("Corrupt GZIP header");
                    }
                    return next(null);
                }
            }
        }

        /**
         * On to the first field from {@code from} on that the header has (its flags say which): 0; or, if none is
         * left ({@code from} null), 1: the header is whole, and the parse starts again for the next one.
         */
        private int next(Field from) {
            if (from != null) {
                for (Field f : Field.values()) {
                    if (f.ordinal() >= from.ordinal() && f.flag != 0 && (flags & f.flag) != 0) {
                        field = f;
                        fieldAt = 0;
                        value = 0;
                        return 0;
                    }
                }
            }
            field = Field.FIXED;
            fieldAt = 0;
            value = 0;
            headerCrc.reset();
            return 1;
        }

        /** Inflates what {@code in} (after a deflate body's first bytes) has: the bytes decoded, or 0. */
        private int inflate(ByteBuffer in, byte[] into, int off, int len) throws IOException {
            for (;;) {
                ByteBuffer from = head != null && head.hasRemaining() ? head : in;
                inflater.setInput(from);
                int before = from.position();
                int n;
                try {
                    n = inflater.inflate(into, off, len);
                } catch (java.util.zip.DataFormatException e) {
                    throw new ZipException(e.getMessage() != null ? e.getMessage() : "Invalid " + (gzip ? "gzip"
                            : "deflate") + " data");
                }
                if (gzip && n > 0) {
                    crc.update(into, off, n);
                }
                if (inflater.finished()) {
                    phase = gzip ? Phase.TRAILER : Phase.DONE;
                    if (!gzip) {
                        end();
                    }
                    return n > 0 ? n : 0;
                }
                if (inflater.needsDictionary()) {
                    throw new ZipException("a preset dictionary is needed");
                }
                if (n > 0) {
                    return n;
                }
                if (from == in && !in.hasRemaining()) {
                    return 0;
                }
                if (from.position() == before && len > 0) {
                    throw new ZipException("Invalid " + (gzip ? "gzip" : "deflate") + " data: no progress");
                }
            }
        }

        /** Reads a gzip member's trailer from {@code in} and checks it; true once it is whole. */
        private boolean trailer(ByteBuffer in) throws IOException {
            while (held.size() < 8 && in.hasRemaining()) {
                held.write(in.get());
            }
            if (held.size() < 8) {
                return false;
            }
            byte[] t = held.toByteArray();
            held.reset();
            long crcValue = uint(t, 0);
            long size = uint(t, 4);
            if (crcValue != crc.getValue() || size != (inflater.getBytesWritten() & 0xFFFFFFFFL)) {
                throw new ZipException("Corrupt GZIP trailer");
            }
            members++;
            phase = Phase.HEADER; // another member, or the end
            return true;
        }

        private static long uint(byte[] b, int at) {
            return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
        }
    }

    /**
     * What a body in {@code header}'s encoding that the decoder refused with {@code e} is to the caller: the
     * {@link ClientPayloadException} of {@link #decode}, naming the encoding.
     */
    static ClientPayloadException invalid(ClientRequest request, String header, IOException e) {
        return invalid(request, header, e, "the body ends");
    }

    /** As {@link #invalid(ClientRequest, String, IOException)}; {@code ends}: what ends, for a body cut short. */
    private static ClientPayloadException invalid(ClientRequest request, String header, IOException e, String ends) {
        String encoding = header.trim().toLowerCase(Locale.ROOT);
        String why = e instanceof EOFException ? "cut short (" + ends + " before the " + encoding + " stream does)"
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
