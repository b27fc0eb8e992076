package org.aio4j.http;

import java.net.URI;
import java.time.Duration;

/**
 * A request did not complete within its timeout (connecting, sending, and receiving the whole response): aiohttp's
 * {@code ServerTimeoutError}, or the {@code asyncio.TimeoutError} raised by its {@code ClientTimeout(total=...)}.
 * The request was aborted; its connection is not reused.
 */
public class ClientTimeoutException extends ClientException {

    private static final long serialVersionUID = 1L;

    /** The timeout that passed; see {@link #timeout()}. */
    private final Duration timeout;

    /**
     * A timeout of the request {@code method url} after {@code timeout}. Public for {@link HttpTransport}
     * implementations.
     *
     * @param method  the request method, e.g. {@code GET}
     * @param url     the request's absolute URL
     * @param timeout the timeout that passed
     * @param cause   the underlying error, or {@code null}
     * @throws NullPointerException if {@code timeout} is null
     */
    public ClientTimeoutException(String method, URI url, Duration timeout, Throwable cause) {
        this(method, url, "timed out after " + Durations.format(timeout), timeout, cause);
    }

    /** A timeout of the request {@code method url} after {@code timeout}, saying {@code detail}: for subclasses. */
    ClientTimeoutException(String method, URI url, String detail, Duration timeout, Throwable cause) {
        super(method, url, detail, cause);
        this.timeout = java.util.Objects.requireNonNull(timeout, "timeout must not be null");
    }

    /**
     * The timeout that passed.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return timeout;
    }
}
