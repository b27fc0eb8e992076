package org.aio4j;

/**
 * The code a {@link Server} runs for each connection it accepts, in a task of its own: asyncio's
 * {@code client_connected_cb} of {@code asyncio.start_server()} and {@code asyncio.start_unix_server()}.
 *
 * <p>The connection stays open when the handler returns (so that it can hand the streams to other tasks), as in
 * asyncio: close the writer when done. If the handler throws, the exception goes to the loop's exception handler
 * and the connection is closed. The loop's close closes every connection still open.
 */
@FunctionalInterface
public interface ConnectionHandler {

    /**
     * Serves one connection; runs in a task of the server's loop, so it may suspend.
     *
     * @param reader what the client sends
     * @param writer what goes to the client
     * @throws Exception anything; reported to the loop's exception handler, and the connection is closed
     */
    void handle(StreamReader reader, StreamWriter writer) throws Exception;
}
