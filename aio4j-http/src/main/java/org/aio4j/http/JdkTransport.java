package org.aio4j.http;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The default {@link HttpTransport}: the JDK's {@link HttpClient#sendAsync}, with the body read into a byte array.
 */
final class JdkTransport implements HttpTransport {

    private final HttpClient client;
    private final boolean owned;
    private volatile boolean closed;

    JdkTransport(HttpClient client, boolean owned) {
        this.client = client;
        this.owned = owned;
    }

    static HttpClient defaultClient() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    @Override
    public CompletableFuture<ClientResponse> send(ClientRequest request) {
        if (closed) {
            throw new IllegalStateException("HTTP transport 'jdk' is closed");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(request.uri());
        byte[] body = request.body();
        b.method(request.method(), body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, List<String>> h : request.headers().entrySet()) {
            for (String v : h.getValue()) {
                b.header(h.getKey(), v); // throws IllegalArgumentException for a restricted header such as Host
            }
        }
        if (request.timeout() != null) {
            b.timeout(request.timeout());
        }
        var exchange = new Exchange(request.method());
        exchange.raw = client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        exchange.raw.whenComplete(exchange);
        return exchange;
    }

    @Override
    public String name() {
        return "jdk";
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (owned) {
                client.shutdownNow();
            }
        }
    }

    @Override
    public String toString() {
        return "HttpTransport[jdk" + (closed ? ", closed" : "") + "]";
    }

    /**
     * The future handed to the session: completed from the JDK's future, and cancelling it cancels the JDK's
     * exchange (a dependent stage such as {@code thenApply} would not pass a cancellation upstream).
     */
    private static final class Exchange extends CompletableFuture<ClientResponse>
            implements java.util.function.BiConsumer<HttpResponse<byte[]>, Throwable> {

        private final String method;
        volatile CompletableFuture<HttpResponse<byte[]>> raw;

        Exchange(String method) {
            this.method = method;
        }

        @Override
        public void accept(HttpResponse<byte[]> r, Throwable error) {
            if (error != null) {
                completeExceptionally(error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error);
            } else {
                complete(new ClientResponse(method, r.uri(), r.statusCode(), r.headers().map(), r.body()));
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            CompletableFuture<HttpResponse<byte[]>> r = raw;
            if (cancelled && r != null) {
                r.cancel(true);
            }
            return cancelled;
        }
    }
}
