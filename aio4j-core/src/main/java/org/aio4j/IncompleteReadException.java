package org.aio4j;

import java.io.EOFException;

/**
 * The end of the stream came before a {@link StreamReader} read all it had to: asyncio's
 * {@code asyncio.IncompleteReadError}. Thrown by {@link StreamReader#readexactly(int)} and
 * {@link StreamReader#readuntil(byte[])}; the bytes read before the end are {@link #partial()} and are no longer in
 * the reader's buffer.
 */
public final class IncompleteReadException extends EOFException {

    private static final long serialVersionUID = 1L;

    final byte[] partial;
    private final int expected;

    IncompleteReadException(byte[] partial, int expected) {
        super(partial.length + " bytes read on a total of " + (expected < 0 ? "undefined" : String.valueOf(expected))
                + " expected bytes");
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
