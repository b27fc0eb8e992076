package org.aio4j.http;

import java.util.List;

/**
 * A request was redirected once too often: its {@link ClientRequest#maxRedirects() maxRedirects}-th redirect in a row
 * arrived (10 by default): aiohttp's {@code TooManyRedirects}, a {@code ClientResponseError}. It names the request the
 * caller made; {@link #response()} is the last redirect, and {@link #history()} every redirect, oldest first, as the
 * {@code history} aiohttp's carries. The message says how many there were and where the last led: {@code "GET
 * http://host/a: too many redirects: 10 in a row (maxRedirects 10), the last from http://host/j to /k"}.
 */
public class TooManyRedirectsException extends ClientResponseException {

    private static final long serialVersionUID = 1L;

    private final transient List<ClientResponse> history;

    /**
     * The error of {@code request}, whose redirects were {@code history}.
     *
     * @param request the request the caller made
     * @param history the redirects, oldest first; not empty
     */
    TooManyRedirectsException(ClientRequest request, List<ClientResponse> history) {
        this(request.method(), request.uri(), "too many redirects: " + history.size() + " in a row (maxRedirects "
                + request.maxRedirects() + "), the last from " + history.getLast().url() + " to "
                + history.getLast().header("Location"), List.copyOf(history), null);
    }

    private TooManyRedirectsException(String method, java.net.URI url, String detail, List<ClientResponse> history,
                                      Throwable cause) {
        super(method, url, detail, history.getLast(), cause);
        this.history = history;
    }

    /**
     * The same error, created anew with this one as its cause: thrown on the calling task, its stack shows where the
     * request was made.
     */
    TooManyRedirectsException copy() {
        return new TooManyRedirectsException(method(), url(), detail(), history, this);
    }

    /**
     * The redirects the request got, oldest first, the last being {@link #response()}: aiohttp's
     * {@code TooManyRedirects.history}. Their bodies are empty (see {@link ClientResponse#history()}).
     *
     * @return the redirects, oldest first; unmodifiable
     */
    public List<ClientResponse> history() {
        return history;
    }
}
