package org.aio4j.http;

/**
 * A response arrived with an error status (400 or more) and was turned into an error by
 * {@link ClientResponse#raiseForStatus()} or a session built with
 * {@link ClientSession.Builder#raiseForStatus(boolean) raiseForStatus(true)}: aiohttp's {@code ClientResponseError}.
 * The response, body included, is kept: nothing the server sent is lost.
 */
public class ClientResponseException extends ClientException {

    private static final long serialVersionUID = 1L;

    private final transient ClientResponse response;

    /**
     * An error for {@code response}, whose status is 400 or more.
     *
     * @param response the response whose status is 400 or more
     * @throws NullPointerException if {@code response} is null
     */
    public ClientResponseException(ClientResponse response) {
        super(response.method(), response.url(), "HTTP status " + response.status(), null);
        this.response = response;
    }

    /** An error of the request {@code method url} for {@code response}, saying {@code detail}: for subclasses. */
    ClientResponseException(String method, java.net.URI url, String detail, ClientResponse response,
                            Throwable cause) {
        super(method, url, detail, cause);
        this.response = response;
    }

    /**
     * The status code, e.g. 500.
     *
     * @return the status code
     */
    public int status() {
        return response.status();
    }

    /**
     * The response, with its headers and body.
     *
     * @return the response
     */
    public ClientResponse response() {
        return response;
    }
}
