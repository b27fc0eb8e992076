package org.aio4j.http;

import java.net.URI;

/**
 * A response arrived but its body is not what its headers say: aiohttp's {@code ClientPayloadError} (raised there
 * for a {@code ContentEncodingError}), e.g. a {@code Content-Encoding: gzip} body that is not valid gzip or is cut
 * short. The message names the request and the encoding.
 */
public class ClientPayloadException extends ClientException {

    private static final long serialVersionUID = 1L;

    /**
     * A bad body of the response to {@code method url}. Public for {@link HttpTransport} implementations.
     *
     * @param method the request method, e.g. {@code GET}
     * @param url    the request's absolute URL
     * @param detail what is wrong with the body, appended to {@code "METHOD URL: "}
     * @param cause  the underlying error, or {@code null}
     */
    public ClientPayloadException(String method, URI url, String detail, Throwable cause) {
        super(method, url, detail, cause);
    }
}
