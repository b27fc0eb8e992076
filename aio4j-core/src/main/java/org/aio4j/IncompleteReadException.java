package org.aio4j;

import java.io.EOFException;
import java.util.Objects;

/**
 * The end of the stream came before a {@link StreamReader} read all it had to: asyncio's
 * {@code asyncio.IncompleteReadError}. Thrown by {@link StreamReader#readexactly(int)} and
 * {@link StreamReader#readuntil(byte[])}; the bytes read before the end are {@link #partial()} and are no longer in
 * the reader's buffer.
 */
public final class IncompleteReadException extends EOFException {

    private static final long serialVersionUID = 1L;

    private final byte[] partial;
    private final int expected;

    /**
     * An end of the stream met after {@code partial} was read, {@code expected} bytes having been asked for:
     * asyncio's {@code IncompleteReadError(partial, expected)}, for a reader or a test of one's own. The message is
     * asyncio's, {@code "<n> bytes read on a total of <expected> expected bytes"} ({@code undefined} for -1).
     *
     * @param partial  the bytes read before the end (copied: changing the array afterwards changes nothing)
     * @param expected how many bytes were expected, or -1 for none in particular (asyncio's {@code None}, as
     *                 {@link StreamReader#readuntil(byte[])} gives)
     * @throws NullPointerException     if {@code partial} is null
     * @throws IllegalArgumentException if {@code expected} is below -1
     */
    public IncompleteReadException(byte[] partial, int expected) {
        this(Objects.requireNonNull(partial, "partial must not be null").clone(), checked(expected), true);
    }

    /** The reader's: {@code partial} is a fresh array, taken from the buffer, that nobody else holds. */
    IncompleteReadException(byte[] partial, int expected, boolean owned) {
        super(partial.length + " bytes read on a total of " + (expected < 0 ? "undefined" : String.valueOf(expected))
                + " expected bytes");
        this.partial = partial;
        this.expected = expected;
    }

    private static int checked(int expected) {
        if (expected < -1) {
            throw new IllegalArgumentException("expected must be >= 0, or -1 for undefined, got " + expected);
        }
        return expected;
    }

    /**
     * The bytes read before the end of the stream: asyncio's {@code partial}.
     *
     * @return a copy of the bytes read, possibly empty
     */
    public byte[] partial() {
        return partial.clone();
    }

    /**
     * How many bytes were expected: asyncio's {@code expected}.
     *
     * @return the count {@code readexactly} was asked for, or -1 for {@code readuntil} (asyncio's {@code None})
     */
    public int expected() {
        return expected;
    }
}
