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

    LimitOverrunException(String message, int consumed) {
        super(message);
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
