package org.aio4j.http;

import java.net.URI;
import java.time.Duration;

/**
 * No byte of a request's response arrived for as long as its read timeout ({@link ClientRequest#withReadTimeout}):
 * aiohttp's {@code SocketTimeoutError}, raised by its {@code ClientTimeout(sock_read=...)}. The request was aborted;
 * its connection is not reused. A {@link ClientTimeoutException} whose {@link #timeout()} is the read timeout.
 */
public class ClientReadTimeoutException extends ClientTimeoutException {

    private static final long serialVersionUID = 1L;

    /**
     * A read timeout of the request {@code method url} after {@code readTimeout} without data. Public for
     * {@link HttpTransport} implementations.
     *
     * @param method      the request method, e.g. {@code GET}
     * @param url         the request's absolute URL
     * @param readTimeout the read timeout that passed
     * @param cause       the underlying error, or {@code null}
     * @throws NullPointerException if {@code readTimeout} is null
     */
    public ClientReadTimeoutException(String method, URI url, Duration readTimeout, Throwable cause) {
        super(method, url, "read timed out: no data for " + Durations.format(readTimeout) + " (readTimeout)",
                readTimeout, cause);
    }
}
