package org.aio4j;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Where a stream test's server listens and its clients connect, so that one scenario of {@link StreamsTest} runs over
 * TCP ({@link StreamsTest#TCP}) and over Unix-domain sockets (UnixStreamsTest's).
 */
interface StreamEndpoint {

    /** From a task: a server of its loop, running {@code handler}. */
    Server startServer(ConnectionHandler handler) throws IOException;

    /** From a task: a client of its loop, connected to {@code server}. */
    StreamPair openConnection(Server server) throws IOException;

    /** A listening socket of no loop, as another process's server (blocking). */
    ServerSocketChannel openForeignServer() throws IOException;

    /** From a task: a client of its loop, connected to {@code foreign}. */
    StreamPair openConnection(ServerSocketChannel foreign) throws IOException;

    /** A client of no loop connected to {@code server}, as another process's (blocking). */
    SocketChannel openForeignClient(Server server) throws IOException;
}
