package org.aio4j;

import java.util.Objects;

/**
 * The two ends of a connection that {@link Aio#openConnection(String, int)} or
 * {@link Aio#openUnixConnection(java.nio.file.Path)} opened: the {@code (reader, writer)} tuple of asyncio's
 * {@code asyncio.open_connection()} and {@code asyncio.open_unix_connection()}. Closing the pair closes the
 * connection ({@link StreamWriter#close()}), so that {@code try (var conn = Aio.openConnection(host, port)) { ... }}
 * does what asyncio code does with {@code writer.close()} in a {@code finally} block.
 *
 * @param reader what the peer sends
 * @param writer what goes to the peer; closing it closes the connection
 */
public record StreamPair(StreamReader reader, StreamWriter writer) implements AutoCloseable {

    /**
     * Checks the two ends.
     *
     * @throws NullPointerException if either is null
     */
    public StreamPair {
        Objects.requireNonNull(reader, "reader must not be null");
        Objects.requireNonNull(writer, "writer must not be null");
    }

    /**
     * Closes the connection once the bytes queued are written, without suspending: {@code writer().close()}. Closing
     * again does nothing; {@code writer().waitClosed()} waits until it is closed.
     *
     * @throws IllegalStateException if called on a thread that does not hold the connection's loop
     */
    @Override
    public void close() {
        writer.close();
    }
}
