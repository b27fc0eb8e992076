package org.aio4j.http;

import java.net.URI;
import java.time.Duration;

/**
 * A request's connection to the server was not established within its connect timeout
 * ({@link ClientSession.Builder#connectTimeout}): aiohttp's {@code ConnectionTimeoutError}, raised by its
 * {@code ClientTimeout(sock_connect=...)}. Nothing was sent. A {@link ClientTimeoutException} whose
 * {@link #timeout()} is the connect timeout.
 */
public class ClientConnectionTimeoutException extends ClientTimeoutException {

    private static final long serialVersionUID = 1L;

    /**
     * A connect timeout of the request {@code method url} after {@code connectTimeout}. Public for
     * {@link HttpTransport} implementations.
     *
     * @param method         the request method, e.g. {@code GET}
     * @param url            the request's absolute URL
     * @param connectTimeout the connect timeout that passed
     * @param cause          the underlying error, or {@code null}
     * @throws NullPointerException if {@code connectTimeout} is null
     */
    public ClientConnectionTimeoutException(String method, URI url, Duration connectTimeout, Throwable cause) {
        super(method, url, "connect timed out: no connection after " + Durations.format(connectTimeout)
                + " (connectTimeout)", connectTimeout, cause);
    }
}
