package org.aio4j.http.vertx;

import io.vertx.core.http.HttpConnection;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The exception handler of the connections of a transport's own client: logs an error of a connection only when none
 * of the transport's exchanges is in flight on it.
 *
 * <p>Without a handler, Vert.x logs every error of a connection at {@code SEVERE} ({@code ConnectionBase}), and then
 * also passes it to the requests in flight on that connection. For those the transport reports it to the caller (a
 * malformed response is a {@code ClientConnectionException} naming the request), so the log was a second, detached
 * report of the same error. An error of an idle connection (the server sends garbage or resets it between requests)
 * reaches no request: that one is still logged, here, so that nothing is lost silently, at a level that says what it
 * cost: none. A reset or other I/O error of an idle keep-alive connection (the server closed it abruptly, a proxy or
 * NAT dropped it) is routine, and the pool drops the connection: {@code DEBUG}. Anything else on an idle connection
 * (the server sent bytes that are no HTTP response, a TLS error) is the server's or the network's fault but loses no
 * request either: {@code WARNING}. (aiohttp's connector logs neither; it has no background reader on an idle
 * connection.)
 */
final class ConnectionErrors {

    private static final System.Logger LOG = System.getLogger("org.aio4j.http.vertx");

    /** Connections with exchanges in flight, and how many (one, unless the client pipelines). */
    private final ConcurrentMap<HttpConnection, Integer> busy = new ConcurrentHashMap<>();

    /** Installs the handler on a new connection of the client ({@code HttpClientBuilder.withConnectHandler}). */
    void watch(HttpConnection connection) {
        connection.exceptionHandler(error -> report(connection, error));
    }

    /** An exchange started on {@code connection}: its errors are now that exchange's to report. */
    void busy(HttpConnection connection) {
        busy.merge(connection, 1, Integer::sum);
    }

    /** An exchange on {@code connection} ended. */
    void idle(HttpConnection connection) {
        busy.computeIfPresent(connection, (c, n) -> n == 1 ? null : n - 1);
    }

    private void report(HttpConnection connection, Throwable error) {
        // Vert.x calls this before it passes the error to the connection's requests: an exchange still counts as
        // in flight here, and will get the error right after.
        if (busy.containsKey(connection)) {
            return;
        }
        if (error instanceof IOException && !(error instanceof javax.net.ssl.SSLException)) { // a reset, say
            LOG.log(System.Logger.Level.DEBUG, () -> "HTTP connection to " + connection.remoteAddress()
                    + " closed while idle (no request in flight; the pool drops it): " + error);
        } else {
            LOG.log(System.Logger.Level.WARNING, "HTTP connection to " + connection.remoteAddress()
                    + " failed with no request in flight: " + error, error);
        }
    }
}
