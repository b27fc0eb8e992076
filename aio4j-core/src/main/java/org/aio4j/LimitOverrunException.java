package org.aio4j;

import java.io.IOException;

/**
 * A {@link StreamReader} looking for a separator reached its limit first: asyncio's
 * {@code asyncio.LimitOverrunError}. {@link StreamReader#readuntil(byte[])} leaves the data in the buffer, to be read
 * in pieces with {@link StreamReader#read(int)} or dropped; {@link StreamReader#readline()} removes it (see there).
 */
public final class LimitOverrunException extends IOException {

    private static final long serialVersionUID = 1L;

    private final int consumed;

    /**
     * A limit reached with {@code consumed} bytes known to come before the separator: asyncio's
     * {@code LimitOverrunError(message, consumed)}, for a reader or a test of one's own.
     *
     * @param message  the detail message (asyncio's readers say {@code "Separator is not found, and chunk exceed the
     *                 limit"} or {@code "Separator is found, but chunk is longer than limit"}); may be null
     * @param consumed how many bytes at the start of the buffer come before the separator (see {@link #consumed()})
     * @throws IllegalArgumentException if {@code consumed} is negative
     */
    public LimitOverrunException(String message, int consumed) {
        super(message);
        if (consumed < 0) {
            throw new IllegalArgumentException("consumed must be >= 0, got " + consumed);
        }
        this.consumed = consumed;
    }

    /**
     * How many bytes at the start of the buffer are known to come before the separator: asyncio's {@code consumed}.
     *
     * @return a byte count: the separator's index if it was found beyond the limit, else how far the search got
     */
    public int consumed() {
        return consumed;
    }
}
