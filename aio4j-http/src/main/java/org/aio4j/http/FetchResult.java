package org.aio4j.http;

import java.util.Objects;

/**
 * The outcome of one request of {@link ClientSession#fetchAll} or {@link ClientSession#fetchEach}: its response,
 * or the exception it failed with. One result per request, whatever happened, so that nothing is lost; asyncio's
 * counterpart is an element of {@code asyncio.gather(..., return_exceptions=True)}.
 *
 * <p>A response with an error status (a 500, say) is a response, not an error, unless the session was built with
 * {@link ClientSession.Builder#raiseForStatus(boolean) raiseForStatus(true)}: then it is a
 * {@link ClientResponseException} carrying the response.
 *
 * @param index    the position of the request in the list given to {@code fetchAll} or {@code fetchEach}
 * @param request  the request, with its URL resolved against the session's base URL
 * @param response the response, or {@code null} if the request failed
 * @param error    why the request failed (a {@link ClientException} for every failure of the exchange itself), or
 *                 {@code null} if a response arrived
 */
public record FetchResult(int index, ClientRequest request, ClientResponse response, Exception error) {

    /**
     * Checks that exactly one of response and error is there.
     *
     * @throws IllegalArgumentException if both or neither are
     */
    public FetchResult {
        Objects.requireNonNull(request, "request must not be null");
        if ((response == null) == (error == null)) {
            throw new IllegalArgumentException("a FetchResult has either a response or an error, got "
                    + (response == null ? "neither" : "both"));
        }
    }

    /**
     * Whether a response arrived (whatever its status).
     *
     * @return whether a response arrived
     */
    public boolean succeeded() {
        return response != null;
    }

    /**
     * The response, or the error thrown.
     *
     * @return the response, if there is one
     * @throws Exception the error, if the request failed
     */
    public ClientResponse responseOrThrow() throws Exception {
        if (error != null) {
            throw error;
        }
        return response;
    }

    @Override
    public String toString() {
        return "FetchResult[#" + index + " " + request.method() + " " + request.uri() + " -> "
                + (response != null ? response.status() + ", " + response.length() + " bytes" : error) + "]";
    }
}
