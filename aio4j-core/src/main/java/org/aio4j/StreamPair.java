package org.aio4j;

import java.util.Objects;

/**
 * The two ends of a connection that {@link Aio#openConnection(String, int)} or
 * {@link Aio#openUnixConnection(java.nio.file.Path)} opened: the {@code (reader, writer)} tuple of asyncio's
 * {@code asyncio.open_connection()} and {@code asyncio.open_unix_connection()}.
 *
 * @param reader what the peer sends
 * @param writer what goes to the peer; closing it closes the connection
 */
public record StreamPair(StreamReader reader, StreamWriter writer) {

    /**
     * Checks the two ends.
     *
     * @throws NullPointerException if either is null
     */
    public StreamPair {
        Objects.requireNonNull(reader, "reader must not be null");
        Objects.requireNonNull(writer, "writer must not be null");
    }
}
