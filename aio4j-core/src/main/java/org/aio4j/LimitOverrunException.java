package org.aio4j;

import java.io.IOException;

/**
 * A {@link StreamReader} looking for a separator reached its limit first: asyncio's
 * {@code asyncio.LimitOverrunError}. {@link StreamReader#readuntil(byte[])} leaves the data in the buffer, to be read
 * in pieces with {@link StreamReader#read(int)} or dropped; {@link StreamReader#readline()} removes it (see there).
 * aio4j-http's streamed response throws it from its {@code readline} and {@code readuntil}, leaving the data unread.
 */
public final class LimitOverrunException extends IOException {

    private static final long serialVersionUID = 1L;

    private final int consumed;

    /**
     * A limit overrun: asyncio's {@code LimitOverrunError(message, consumed)}, for a reader of another kind of stream
     * that reports it the same way (a streamed HTTP body's {@code readline}).
     *
     * @param message  what was looked for, and the limit
     * @param consumed how many bytes are known to come before the separator
     */
    public LimitOverrunException(String message, int consumed) {
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
