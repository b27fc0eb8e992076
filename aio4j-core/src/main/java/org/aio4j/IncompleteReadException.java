package org.aio4j;

import java.io.EOFException;

/**
 * The end of the stream came before a {@link StreamReader} read all it had to: asyncio's
 * {@code asyncio.IncompleteReadError}. Thrown by {@link StreamReader#readexactly(int)} and
 * {@link StreamReader#readuntil(byte[])} (and by aio4j-http's streamed response's {@code readexactly}); the bytes
 * read before the end are {@link #partial()} and are no longer in the reader's buffer.
 */
public final class IncompleteReadException extends EOFException {

    private static final long serialVersionUID = 1L;

    final byte[] partial;
    private final int expected;

    /**
     * An incomplete read: asyncio's {@code IncompleteReadError(partial, expected)}, for a reader of another kind of
     * stream that reports it the same way (a streamed HTTP body's {@code readexactly}).
     *
     * @param partial  the bytes read before the end (kept as given, not copied)
     * @param expected how many bytes were expected, or -1 if that is not known
     * @throws NullPointerException if {@code partial} is null
     */
    public IncompleteReadException(byte[] partial, int expected) {
        super(java.util.Objects.requireNonNull(partial, "partial must not be null").length + " bytes read on a total"
                + " of " + (expected < 0 ? "undefined" : String.valueOf(expected)) + " expected bytes");
        this.partial = partial;
        this.expected = expected;
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
