package org.aio4j.http;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A transport whose exchanges the test completes by hand (from any thread): it records every request and counts how
 * many are in flight, and the most that ever were.
 */
final class FakeTransport implements HttpTransport {

    /** One request sent, and the future the session waits on. */
    record Sent(ClientRequest request, CompletableFuture<ClientResponse> future) {

        void respond(int status, String body) {
            respond(status, Map.of(), body);
        }

        void respond(int status, Map<String, List<String>> headers, String body) {
            future.complete(new ClientResponse(request.method(), request.uri(), status, headers,
                    body.getBytes(StandardCharsets.UTF_8)));
        }

        /** Answers with a 302 to {@code location}. */
        void redirect(String location) {
            respond(302, Map.of("Location", List.of(location)), "");
        }
    }

    private final List<Sent> sent = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private volatile boolean closed;
    /** Called with each new exchange, on the sending thread, after it is recorded. */
    volatile java.util.function.Consumer<Sent> onSend = s -> { };

    @Override
    public CompletableFuture<ClientResponse> send(ClientRequest request) {
        if (closed) {
            throw new IllegalStateException("fake transport closed");
        }
        var f = new CountedExchange(inFlight, peak);
        var s = new Sent(request, f);
        synchronized (sent) {
            sent.add(s);
        }
        onSend.accept(s);
        return f;
    }

    List<Sent> sent() {
        synchronized (sent) {
            return List.copyOf(sent);
        }
    }

    Sent sent(int i) {
        return sent().get(i);
    }

    int inFlight() {
        return inFlight.get();
    }

    int peak() {
        return peak.get();
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public void close() {
        closed = true;
    }

    static URI uri(String s) {
        return URI.create(s);
    }
}
