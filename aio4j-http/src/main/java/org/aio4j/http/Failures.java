package org.aio4j.http;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;

/**
 * Turns what a transport failed with into the {@link ClientException} thrown to the task that made the request.
 *
 * <p>The exception is always created anew on the calling task's thread, with the transport's as its cause, so its
 * stack trace shows where the request was made rather than a transport thread (the JDK's
 * {@code HttpClient.send} does the same).
 */
final class Failures {

    private Failures() {
    }

    /**
     * The exception to throw for {@code error}, what the exchange of {@code request} failed with. An unchecked one
     * too becomes a {@link ClientException} naming the request: it is a failure of that exchange, reported by the
     * transport after {@code send} accepted the request, not a mistake at the call site.
     */
    static ClientException translate(ClientRequest request, Exception error) {
        String m = request.method();
        var u = request.uri();
        return switch (error) {
            case ClientReadTimeoutException t -> new ClientReadTimeoutException(m, u, t.timeout(), t);
            case ClientConnectionTimeoutException t -> new ClientConnectionTimeoutException(m, u, t.timeout(), t);
            case ClientTimeoutException t -> new ClientTimeoutException(m, u, t.timeout(), t);
            case TooManyRedirectsException r -> r.copy();
            case ClientResponseException r -> new ClientResponseException(r.response());
            case ClientConnectionException c -> new ClientConnectionException(m, u, c.detail(), c);
            case ClientException c -> new ClientException(m, u, c.detail(), c);
            case HttpConnectTimeoutException t when request.connectTimeout() != null -> // a transport's own JDK client
                    new ClientConnectionTimeoutException(m, u, request.connectTimeout(), t);
            case HttpTimeoutException t -> new ClientTimeoutException(m, u, request.timeout(), t);
            case SocketTimeoutException t -> new ClientTimeoutException(m, u, request.timeout(), t);
            case IOException io -> new ClientConnectionException(m, u, "connection failed: " + connection(u, io), io);
            default -> new ClientException(m, u, "failed: " + describe(error), error);
        };
    }

    /**
     * What {@code original} fails with when the exchange of {@code hop}, the request its {@code redirects}-th redirect
     * led to, failed with {@code error}: the error {@code hop} would get, of the same kind, but naming the request the
     * caller made, with where it failed at the end of its message ({@code "connection failed: ... (at GET
     * http://b/x, after 1 redirect)"}). A timeout is the timeout of the whole exchange, whose hops share it; a read
     * timeout or a connect timeout is the hop's, each hop having it anew.
     */
    static ClientException afterRedirects(ClientRequest original, ClientRequest hop, int redirects, Throwable error) {
        String m = original.method();
        var u = original.uri();
        ClientException e = error instanceof Exception ex ? translate(hop, ex)
                : new ClientException(hop.method(), hop.uri(), "failed: " + describe(error), error);
        if (e instanceof ClientReadTimeoutException t) {
            return new ClientReadTimeoutException(m, u, t.timeout(), error);
        }
        if (e instanceof ClientConnectionTimeoutException t) {
            return new ClientConnectionTimeoutException(m, u, t.timeout(), error);
        }
        if (e instanceof ClientTimeoutException) {
            return new ClientTimeoutException(m, u, original.timeout(), error);
        }
        String detail = e.detail() + " (at " + hop.method() + " " + hop.uri() + ", after " + redirects
                + (redirects == 1 ? " redirect)" : " redirects)");
        return e instanceof ClientConnectionException ? new ClientConnectionException(m, u, detail, error)
                : new ClientException(m, u, detail, error);
    }

    /** What a request fails with when {@code transport} returned {@code null} instead of a future. */
    static ClientException noFuture(ClientRequest request, HttpTransport transport) {
        return new ClientException(request.method(), request.uri(),
                "transport '" + transport.name() + "' returned no future", null);
    }

    /** What a request fails with when {@code transport} completed its exchange with {@code null}, not a response. */
    static ClientException noResponse(ClientRequest request, HttpTransport transport) {
        return new ClientException(request.method(), request.uri(),
                "transport '" + transport.name() + "' completed the exchange with no response (null)", null);
    }

    /**
     * What a request fails with when {@code transport} cancelled its exchange itself (neither the caller nor a
     * timeout did): an error of that request, not a cancellation of the task that made it.
     */
    static ClientException cancelledByTransport(ClientRequest request, HttpTransport transport, Throwable cause) {
        return new ClientException(request.method(), request.uri(),
                "cancelled by transport '" + transport.name() + "'", cause);
    }

    /**
     * What a failed connection says; when it has no message (the JDK client's {@code ConnectException}, whose cause
     * alone tells an unknown host from a refused connection), what its causes are, and which host it was.
     */
    private static String connection(java.net.URI u, IOException io) {
        String msg = io.getMessage();
        if (msg != null && !msg.isBlank()) {
            return describe(io);
        }
        var chain = new StringBuilder(io.getClass().getSimpleName());
        boolean unresolved = false;
        for (Throwable c = io.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            chain.append(": ").append(describe(c));
            unresolved |= c instanceof java.nio.channels.UnresolvedAddressException
                    || c instanceof java.net.UnknownHostException;
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                break;
            }
        }
        if (unresolved) {
            return "unknown host " + u.getHost() + " (" + chain + ")";
        }
        if (io instanceof java.net.ConnectException) {
            int port = u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
            return "cannot connect to " + u.getHost() + ":" + port + " (" + chain + ")";
        }
        return chain.toString();
    }

    /** {@code ConnectException: Connection refused}, or just the class name when there is no message. */
    static String describe(Throwable e) {
        String msg = e.getMessage();
        String name = e.getClass().getSimpleName();
        return msg == null || msg.isBlank() ? name : name + ": " + msg;
    }
}
