package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.aio4j.Aio;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Transports that fail in ways a request does not normally fail: refusing from {@code send}, returning a future that
 * is already cancelled, or none at all, or failing it with an unchecked exception rather than an IOException. Every URL still gets exactly one result, however many there are, and a single
 * request fails with a {@link ClientException}, never as if the calling task had been cancelled.
 */
@Timeout(120)
class MisbehavingTransportTest {

    /** A transport that answers each request with what {@code behaviour} returns (or throws). */
    private record Scripted(Function<ClientRequest, CompletableFuture<ClientResponse>> behaviour)
            implements HttpTransport {

        @Override
        public CompletableFuture<ClientResponse> send(ClientRequest request) {
            return behaviour.apply(request);
        }

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public void close() {
        }
    }

    private static int index(ClientRequest r) {
        return Integer.parseInt(r.uri().getPath().substring(1));
    }

    private static CompletableFuture<ClientResponse> ok(ClientRequest r) {
        return CompletableFuture.completedFuture(new ClientResponse(r.method(), r.uri(), 200, Map.of(), new byte[0]));
    }

    private static CompletableFuture<ClientResponse> cancelled() {
        var f = new CompletableFuture<ClientResponse>();
        f.cancel(false);
        return f;
    }

    private static ClientSession session(HttpTransport t) {
        return ClientSession.builder().transport(t, true).baseUrl("http://x.test").build();
    }

    private static List<String> urls(int n) {
        return IntStream.range(0, n).mapToObj(i -> "/" + i).toList();
    }

    @ParameterizedTest
    @EnumSource(FetchAllTest.Api.class)
    void twentyThousandRefusedRequestsGiveOneErrorEachWithoutOverflowingTheStack(FetchAllTest.Api api)
            throws Exception {
        // Each refusal is recorded while the engine is starting requests; that must not nest a frame per request.
        int n = 20_000;
        var t = new Scripted(r -> {
            throw new IllegalArgumentException("refused " + r.uri().getPath());
        });
        try (var http = session(t)) {
            for (FetchOrder order : FetchOrder.values()) {
                List<FetchResult> rs = Loops.run(() -> api.fetch(http, urls(n), 100, order));
                assertThat(rs).hasSize(n);
                assertThat(rs).extracting(FetchResult::index).doesNotHaveDuplicates();
                assertThat(rs).allSatisfy(r -> assertThat(r.error()).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("refused /" + r.index()));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(FetchAllTest.Api.class)
    void aFutureCancelledByTheTransportNoFutureOrNoResponseIsAnErrorAtThatUrl(FetchAllTest.Api api)
            throws Exception {
        int n = 300;
        var t = new Scripted(r -> switch (index(r) % 5) {
            case 0 -> ok(r);
            case 1 -> cancelled();
            case 2 -> null;
            case 3 -> CompletableFuture.completedFuture(null); // a response that is not there
            default -> CompletableFuture.failedFuture(new IllegalStateException("parser broke"));
        });
        try (var http = session(t)) {
            List<FetchResult> rs = Loops.run(() -> api.fetch(http, urls(n), 10, FetchOrder.INPUT));
            assertThat(rs).extracting(FetchResult::index).containsExactlyElementsOf(IntStream.range(0, n).boxed()
                    .toList());
            for (FetchResult r : rs) {
                switch (r.index() % 5) {
                    case 0 -> assertThat(r.response().status()).isEqualTo(200);
                    case 1 -> assertThat(r.error()).isExactlyInstanceOf(ClientException.class)
                            .hasMessage("GET http://x.test/" + r.index() + ": cancelled by transport 'scripted'");
                    case 2 -> assertThat(r.error()).isExactlyInstanceOf(ClientException.class)
                            .hasMessage("GET http://x.test/" + r.index() + ": transport 'scripted' returned no future");
                    case 3 -> assertThat(r.error()).isExactlyInstanceOf(ClientException.class)
                            .hasMessage("GET http://x.test/" + r.index() + ": " + NO_RESPONSE);
                    default -> assertThat(r.error()).isExactlyInstanceOf(ClientException.class)
                            .hasMessage("GET http://x.test/" + r.index() + ": " + UNCHECKED);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(FetchAllTest.Api.class)
    void aSessionClosedDuringAFetchFailsTheRestWithoutLosingAny(FetchAllTest.Api api) throws Exception {
        int n = 5_000;
        var sent = new java.util.concurrent.atomic.AtomicInteger();
        ClientSession[] self = new ClientSession[1];
        var t = new Scripted(r -> {
            if (sent.incrementAndGet() == 50) {
                self[0].close();
            }
            return ok(r);
        });
        try (var http = session(t)) {
            self[0] = http;
            List<FetchResult> rs = Loops.run(() -> api.fetch(http, urls(n), 100, FetchOrder.INPUT));
            assertThat(rs).hasSize(n);
            assertThat(rs.stream().filter(FetchResult::succeeded).count()).isEqualTo(50);
            assertThat(rs.subList(50, n)).allSatisfy(r -> assertThat(r.error())
                    .isInstanceOf(IllegalStateException.class));
        }
    }

    /**
     * A transport that breaks the session's own handling of its responses (here its {@code maxBodyBytes()}, which
     * decoding a response needs, throws): every URL still gets a result, an error with what was thrown, as a single
     * request throws it. It was thrown in the exchange's done callback, to the loop's exception handler, before the
     * result was recorded: the fetch never got its results (nothing else running, the loop found it deadlocked).
     */
    @ParameterizedTest
    @EnumSource(FetchAllTest.Api.class)
    @Timeout(30)
    void aResponseTheSessionFailsToHandleIsAnErrorAtThatUrl(FetchAllTest.Api api) throws Exception {
        int n = 30;
        var t = new HttpTransport() {
            @Override
            public CompletableFuture<ClientResponse> send(ClientRequest r) {
                return ok(r);
            }

            @Override
            public int maxBodyBytes() {
                throw new IllegalStateException("maxBodyBytes broke");
            }

            @Override
            public String name() {
                return "broken";
            }

            @Override
            public void close() {
            }
        };
        try (var http = session(t)) {
            for (FetchOrder order : FetchOrder.values()) {
                List<FetchResult> rs = Loops.run(() -> api.fetch(http, urls(n), 4, order));
                assertThat(rs).extracting(FetchResult::index).containsExactlyInAnyOrderElementsOf(
                        IntStream.range(0, n).boxed().toList());
                assertThat(rs).allSatisfy(r -> assertThat(r.error()).isExactlyInstanceOf(IllegalStateException.class)
                        .hasMessage("maxBodyBytes broke"));
            }
            assertThatThrownBy(() -> Loops.run(() -> http.get("/0")))
                    .isExactlyInstanceOf(IllegalStateException.class).hasMessage("maxBodyBytes broke");
        }
    }

    /**
     * A transport whose exchange throws when cancelled, and never ends: a request that times out still lets go of it
     * (the cancel's failure goes to the exception handler), so that the loop can tell a deadlock afterwards. The
     * cancel threw in the request's done callback before the loop's future of the exchange was cancelled, which
     * therefore stayed in flight for ever, and a wait for what nothing completes hung (here: until the test's
     * timeout) instead of raising a DeadlockException.
     */
    @org.junit.jupiter.api.Test
    @Timeout(30)
    void anExchangeWhoseCancelThrowsIsLetGoWhenItsRequestTimesOut() throws Exception {
        var t = new Scripted(r -> new CompletableFuture<>() { // never completes
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                throw new IllegalStateException("cancel broke");
            }
        });
        var errors = new java.util.ArrayList<org.aio4j.ExceptionContext>();
        try (var http = ClientSession.builder().transport(t, true).baseUrl("http://x.test")
                .timeout(java.time.Duration.ofMillis(50)).build()) {
            assertThatThrownBy(() -> Aio.run(() -> org.aio4j.EventLoop.builder()
                    .exceptionHandler((loop, ctx) -> errors.add(ctx)).build(), () -> {
                        assertThatThrownBy(() -> http.get("/0")).isInstanceOf(ClientTimeoutException.class);
                        // nothing can complete it, and nothing of the loop is in flight any more
                        return Aio.getRunningLoop().createFuture().await();
                    })).isInstanceOf(org.aio4j.DeadlockException.class);
        }
        assertThat(errors).isNotEmpty().allSatisfy(e -> assertThat(e.exception()).hasMessage("cancel broke"));
    }

    @ParameterizedTest
    @EnumSource(value = Kind.class)
    void aSingleRequestFailsWithAClientExceptionNotACancellation(Kind kind) throws Exception {
        var t = new Scripted(r -> switch (kind) {
            case CANCELLED -> cancelled();
            case NO_FUTURE -> null;
            case NO_RESPONSE -> CompletableFuture.completedFuture(null);
            case UNCHECKED -> CompletableFuture.failedFuture(new IllegalStateException("parser broke"));
        });
        try (var http = session(t)) {
            String outcome = Loops.run(() -> {
                try {
                    http.get("/1");
                    return "no exception";
                } catch (ClientException e) {
                    return e.getMessage() + " / still running: " + !Aio.currentTask().isCancelled();
                }
            });
            assertThat(outcome).isEqualTo("GET http://x.test/1: " + switch (kind) {
                case CANCELLED -> "cancelled by transport 'scripted'";
                case NO_FUTURE -> "transport 'scripted' returned no future";
                case NO_RESPONSE -> NO_RESPONSE;
                case UNCHECKED -> UNCHECKED;
            } + " / still running: true");
        }
    }

    enum Kind { CANCELLED, NO_FUTURE, NO_RESPONSE, UNCHECKED }

    private static final String NO_RESPONSE = "transport 'scripted' completed the exchange with no response (null)";

    /** An exchange failed with an unchecked exception: an error of that request too, naming it, not passed as is. */
    private static final String UNCHECKED = "failed: IllegalStateException: parser broke";
}
