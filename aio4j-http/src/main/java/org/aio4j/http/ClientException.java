package org.aio4j.http;

import java.io.IOException;
import java.net.URI;

/**
 * Any failure of an HTTP exchange made through a {@link ClientSession}: aiohttp's {@code ClientError}. The message
 * starts with the request ({@code "GET http://127.0.0.1:8080/a: ..."}); {@link #method()} and {@link #url()} say
 * which request failed, and the cause is what the {@link HttpTransport} reported, if anything.
 *
 * <p>The subclasses tell the usual cases apart: {@link ClientConnectionException} (could not connect, the connection
 * broke or the session was closed), {@link ClientTimeoutException} (the request took longer than its timeout) and
 * {@link ClientResponseException} (a response arrived with an error status, and
 * {@link ClientResponse#raiseForStatus()} or the session's {@code raiseForStatus} option turned it into an error).
 * A cancellation of the calling task is not a {@code ClientException}: it is thrown as the task's
 * {@link java.util.concurrent.CancellationException}.
 */
public class ClientException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The request method; see {@link #method()}. */
    private final String method;
    private final transient URI url;
    /** What went wrong, without the request: the message after {@code "METHOD URL: "}. */
    private final String detail;

    /**
     * A failure of the request {@code method url}. Public for {@link HttpTransport} implementations.
     *
     * @param method the request method, e.g. {@code GET}
     * @param url    the request's absolute URL
     * @param detail what went wrong, appended to {@code "METHOD URL: "}
     * @param cause  the underlying error, or {@code null}
     */
    public ClientException(String method, URI url, String detail, Throwable cause) {
        super(method + " " + url + ": " + detail, cause);
        this.method = method;
        this.url = url;
        this.detail = detail;
    }

    /**
     * The method of the request that failed.
     *
     * @return the request method
     */
    public String method() {
        return method;
    }

    /**
     * The absolute URL of the request that failed.
     *
     * @return the request's URL
     */
    public URI url() {
        return url;
    }

    /** What went wrong, without the request: the message after {@code "METHOD URL: "}. */
    String detail() {
        return detail;
    }
}
