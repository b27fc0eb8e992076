package org.aio4j.http;

import java.net.URI;

/**
 * The connection for a request could not be made or broke before the whole response arrived (refused, reset, closed
 * by the server, name not resolved, session closed): aiohttp's {@code ClientConnectionError}. The cause is the
 * transport's own exception, e.g. a {@link java.net.ConnectException}.
 */
public class ClientConnectionException extends ClientException {

    private static final long serialVersionUID = 1L;

    /**
     * See {@link ClientException#ClientException(String, URI, String, Throwable)}.
     *
     * @param method the request method, e.g. {@code GET}
     * @param url    the request's absolute URL
     * @param detail what went wrong, appended to {@code "METHOD URL: "}
     * @param cause  the underlying error, or {@code null}
     */
    public ClientConnectionException(String method, URI url, String detail, Throwable cause) {
        super(method, url, detail, cause);
    }
}
