package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.aio4j.Aio;
import org.aio4j.AsyncIterator;
import org.aio4j.Task;
import org.aio4j.TaskGroup;
import org.aio4j.TaskGroupException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link ClientSession#fetchAll} on a transport the test drives: order, limit, cancellation, and a stress test. Over
 * real HTTP, with every transport, in {@link TransportContract}.
 */
@Timeout(120)
class FetchAllTest {

    /** The two ways to fetch many: a list when all are done, or an async iterator consumed by a for loop. */
    enum Api {
        FETCH_ALL {
            @Override
            List<FetchResult> request(ClientSession http, List<ClientRequest> requests, int limit, FetchOrder order) {
                return http.requestAll(requests, limit, order);
            }
        },
        FETCH_EACH {
            @Override
            List<FetchResult> request(ClientSession http, List<ClientRequest> requests, int limit, FetchOrder order) {
                List<FetchResult> out = new ArrayList<>();
                try (AsyncIterator<FetchResult> each = http.requestEach(requests, limit, order)) {
                    for (FetchResult r : each) {
                        out.add(r);
                    }
                }
                return out;
            }
        };

        abstract List<FetchResult> request(ClientSession http, List<ClientRequest> requests, int limit,
                                           FetchOrder order);

        List<FetchResult> fetch(ClientSession http, List<String> urls, int limit, FetchOrder order) {
            return request(http, urls.stream().map(ClientRequest::get).toList(), limit, order);
        }
    }

    @ParameterizedTest
    @EnumSource(Api.class)
    void resultsComeInInputOrCompletionOrder(Api api) throws Exception {
        for (FetchOrder order : FetchOrder.values()) {
            var transport = new FakeTransport();
            try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
                List<FetchResult> rs = Loops.run(() -> {
                    Task<List<FetchResult>> fetch = Aio.createTask(
                            () -> api.fetch(http, List.of("/a", "/b", "/c"), 3, order));
                    while (transport.sent().size() < 3) {
                        Aio.sleep(0);
                    }
                    // the seed's latencies: /b (1) ends first, then /a (3), then /c (4)
                    transport.sent(1).respond(200, "/b");
                    Aio.sleep(0);
                    transport.sent(0).respond(200, "/a");
                    Aio.sleep(0);
                    transport.sent(2).respond(200, "/c");
                    return fetch.await();
                });
                List<String> bodies = rs.stream().map(r -> r.response().text()).toList();
                assertThat(bodies).as("%s", order).containsExactlyElementsOf(order == FetchOrder.INPUT
                        ? List.of("/a", "/b", "/c") : List.of("/b", "/a", "/c"));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Api.class)
    void neverMoreThanLimitInFlightAndRequestsStartInListOrder(Api api) throws Exception {
        var transport = new FakeTransport();
        int n = 50;
        int limit = 7;
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            List<FetchResult> rs = Loops.run(() -> {
                Task<List<FetchResult>> fetch = Aio.createTask(() -> api.fetch(http,
                        IntStream.range(0, n).mapToObj(i -> "/" + i).toList(), limit, FetchOrder.COMPLETION));
                int answered = 0;
                while (answered < n) {
                    Aio.sleep(0);
                    assertThat(transport.inFlight()).isLessThanOrEqualTo(limit);
                    List<FakeTransport.Sent> sent = transport.sent();
                    if (answered < sent.size()) {
                        sent.get(answered).respond(200, "#" + answered); // oldest first
                        answered++;
                    }
                }
                return fetch.await();
            });
            assertThat(transport.peak()).isEqualTo(limit);
            assertThat(transport.sent()).extracting(s -> s.request().uri().getPath())
                    .containsExactlyElementsOf(IntStream.range(0, n).mapToObj(i -> "/" + i).toList());
            assertThat(rs).hasSize(n);
        }
    }

    @Test
    void badArgumentsFailBeforeAnythingIsSent() throws Exception {
        var transport = new FakeTransport();
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            assertThatThrownBy(() -> Loops.run(() -> http.fetchAll(List.of("/a", "b c"), 2, FetchOrder.INPUT)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("urls[1]: not a valid URL");
            assertThatThrownBy(() -> Loops.run(() -> http.fetchAll(List.of("/a"), 0, FetchOrder.INPUT)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("limit must be >= 1, got 0");
            assertThat(Loops.run(() -> http.fetchAll(List.of(), 5, FetchOrder.INPUT))).isEmpty();
        }
        try (var noBase = ClientSession.builder().transport(transport, true).build()) {
            assertThatThrownBy(() -> Loops.run(() -> noBase.fetchAll(List.of("http://x.test/a", "/b"), 2,
                    FetchOrder.INPUT))).hasMessageStartingWith("urls[1]: relative URL '/b' needs a base URL");
            // Each names the list its caller gave: fetchAll's said requests[1], a list it had made itself.
            assertThatThrownBy(() -> Loops.run(() -> noBase.requestAll(List.of(ClientRequest.get("/b")), 2,
                    FetchOrder.INPUT))).hasMessageStartingWith("requests[0]: relative URL '/b' needs a base URL");
            assertThatThrownBy(() -> Loops.run(() -> noBase.fetchEach(List.of("/b"), 2, FetchOrder.INPUT)))
                    .hasMessageStartingWith("urls[0]: relative URL '/b' needs a base URL");
        }
        assertThat(transport.sent()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Api.class)
    void aRequestRefusedWhenItsTurnComesIsReportedInItsResultAndTheOthersGoOn(Api api) throws Exception {
        // The transport is the caller's, closed by its owner once the first request is out: the second is refused
        // as request() would refuse it, with the transport's IllegalStateException, in its result.
        var transport = new FakeTransport();
        transport.onSend = s -> {
            transport.close();
            s.respond(200, "first");
        };
        try (var http = ClientSession.builder().transport(transport, false).baseUrl("http://x.test").build()) {
            List<FetchResult> results = Loops.run(() -> api.fetch(http, List.of("/a", "/b"), 1, FetchOrder.INPUT));
            assertThat(results).hasSize(2);
            assertThat(results.get(0).response().text()).isEqualTo("first");
            assertThat(results.get(1).error()).isInstanceOf(IllegalStateException.class)
                    .hasMessage("fake transport closed");
            assertThatThrownBy(() -> Loops.run(() -> http.get("/c"))).isInstanceOf(IllegalStateException.class)
                    .hasMessage("fake transport closed");
        }
    }

    @ParameterizedTest
    @EnumSource(Api.class)
    void cancellingTheCallerAbortsWhatIsInFlightAndWaitsForIt(Api api) throws Exception {
        var transport = new FakeTransport();
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            String outcome = Loops.run(() -> {
                Task<List<FetchResult>> fetch = Aio.createTask(() -> api.fetch(http,
                        IntStream.range(0, 20).mapToObj(i -> "/" + i).toList(), 4, FetchOrder.INPUT));
                for (int answered = 0; answered < 5; answered++) {
                    while (transport.sent().size() <= answered) {
                        Aio.sleep(0);
                    }
                    transport.sent(answered).respond(200, "ok");
                }
                while (transport.sent().size() < 9) {
                    Aio.sleep(0);
                }
                fetch.cancel();
                try {
                    fetch.await();
                    return "not cancelled";
                } catch (CancellationException e) {
                    return "cancelled, tasks left: " + (Aio.allTasks().size() - 1);
                }
            });
            assertThat(outcome).isEqualTo("cancelled, tasks left: 0");
            assertThat(transport.sent()).hasSize(9);
            assertThat(transport.sent()).allSatisfy(s -> assertThat(s.future()).isDone());
            assertThat(transport.sent().subList(5, 9)).allSatisfy(s -> assertThat(s.future()).isCancelled());
        }
    }

    @ParameterizedTest
    @EnumSource(Api.class)
    void aCallerAbortedByItsTaskGroupAbortsWhatIsInFlightAndThrowsTheGroupsError(Api api) throws Exception {
        var transport = new FakeTransport();
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            String outcome = Loops.run(() -> {
                try (var group = new TaskGroup()) {
                    group.createTask(() -> {
                        while (transport.sent().size() < 4) {
                            Aio.sleep(0);
                        }
                        throw new IllegalStateException("boom");
                    });
                    api.fetch(http, IntStream.range(0, 20).mapToObj(i -> "/" + i).toList(), 4, FetchOrder.INPUT);
                    return "not aborted";
                } catch (TaskGroupException e) {
                    return "aborted by " + e.exceptions().getFirst().getMessage() + ", tasks left: "
                            + (Aio.allTasks().size() - 1);
                }
            });
            assertThat(outcome).isEqualTo("aborted by boom, tasks left: 0");
            assertThat(transport.sent()).hasSize(4);
            assertThat(transport.sent()).allSatisfy(s -> assertThat(s.future()).isCancelled());
        }
    }

    @Test
    void fetchEachIsLazyAndAConsumerThatStopsEarlyAbortsTheRest() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> s.respond(200, s.request().uri().getPath());
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            List<String> taken = Loops.run(() -> {
                List<String> out = new ArrayList<>();
                try (AsyncIterator<FetchResult> each = http.fetchEach(
                        IntStream.range(0, 20).mapToObj(i -> "/" + i).toList(), 4, FetchOrder.INPUT)) {
                    Aio.sleep(0);
                    out.add("sent before the first hasNext: " + transport.sent().size());
                    for (FetchResult r : each) {
                        out.add(r.response().text());
                        if (out.size() == 4) {
                            break;
                        }
                    }
                }
                return out;
            });
            assertThat(taken).containsExactly("sent before the first hasNext: 0", "/0", "/1", "/2");
            // at most 3 taken + 4 in flight were ever sent, and none is left running
            assertThat(transport.sent().size()).isBetween(3, 7);
            assertThat(transport.inFlight()).isZero();
        }
    }

    @Test
    void fetchEachHoldsBackWhenTheConsumerDoesNotTake() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> s.respond(200, "ok");
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            int sent = Loops.run(() -> {
                try (AsyncIterator<FetchResult> each = http.fetchEach(
                        IntStream.range(0, 100).mapToObj(i -> "/" + i).toList(), 5, FetchOrder.COMPLETION)) {
                    each.next();
                    for (int i = 0; i < 10; i++) {
                        Aio.sleep(0);   // the consumer dawdles: every request in flight ends meanwhile
                    }
                    return transport.sent().size();
                }
            });
            assertThat(sent).as("the one taken, the limit, and no more until the consumer takes again")
                    .isEqualTo(1 + 5);
        }
    }

    @ParameterizedTest
    @EnumSource(Api.class)
    void stressWithRandomOutcomesAndRandomCancellationLosesNothing(Api api) throws Exception {
        long seed = System.nanoTime();
        var rnd = new Random(seed);
        ExecutorService network = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 300; round++) {
                int n = rnd.nextInt(60);
                int limit = 1 + rnd.nextInt(10);
                int cancelAfter = rnd.nextInt(3) == 0 ? rnd.nextInt(n + 1) : -1;
                FetchOrder order = rnd.nextBoolean() ? FetchOrder.INPUT : FetchOrder.COMPLETION;
                String where = api + ", seed " + seed + ", round " + round + " (n=" + n + ", limit=" + limit
                        + ", cancelAfter=" + cancelAfter + ", " + order + ")";
                long roundSeed = rnd.nextLong();
                runStressRound(api, network, n, limit, cancelAfter, order, new Random(roundSeed), where);
            }
        } finally {
            network.shutdownNow();
        }
    }

    private static void runStressRound(Api api, ExecutorService network, int n, int limit, int cancelAfter,
                                       FetchOrder order, Random rnd, String where) throws Exception {
        var transport = new FakeTransport();
        // Each exchange ends on a "network" thread: with 200, 500, or a broken connection, as the dice say.
        List<Integer> outcomes = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            outcomes.add(rnd.nextInt(4));
        }
        AtomicInteger sends = new AtomicInteger();
        List<Task<?>> fetcher = new ArrayList<>(1);
        transport.onSend = s -> {
            int i = Integer.parseInt(s.request().uri().getPath().substring(1));
            if (sends.incrementAndGet() == cancelAfter) {
                Aio.getRunningLoop().callSoon(() -> fetcher.get(0).cancel());
            }
            network.execute(() -> {
                switch (outcomes.get(i)) {
                    case 0 -> s.respond(200, "ok " + i);
                    case 1 -> s.respond(500, "bad " + i);
                    case 2 -> s.future().completeExceptionally(new java.io.IOException("reset " + i));
                    default -> { } // never answered: its timeout ends it
                }
            });
        };
        // the requests never answered have a timeout of 5 ms; the others the session's 5 minutes
        List<ClientRequest> requests = IntStream.range(0, n).mapToObj(i -> ClientRequest.get("/" + i)
                .withTimeout(outcomes.get(i) == 3 ? Duration.ofMillis(5) : null)).toList();
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            Object outcome = Loops.run(() -> {
                Task<List<FetchResult>> f = Aio.createTask(() -> api.request(http, requests, limit, order));
                fetcher.add(f);
                try {
                    return f.await();
                } catch (CancellationException e) {
                    return "cancelled";
                }
            });
            assertThat(transport.peak()).as(where).isLessThanOrEqualTo(limit);
            assertThat(transport.inFlight()).as(where + ": exchanges left in flight").isZero();
            if (outcome instanceof String) {
                assertThat(cancelAfter).as(where).isBetween(1, n);
                return;
            }
            @SuppressWarnings("unchecked")
            List<FetchResult> rs = (List<FetchResult>) outcome;
            assertThat(rs).as(where).hasSize(n);
            assertThat(rs).extracting(FetchResult::index).as(where).doesNotHaveDuplicates();
            for (FetchResult r : rs) {
                switch (outcomes.get(r.index())) {
                    case 0 -> assertThat(r.response().text()).as(where).isEqualTo("ok " + r.index());
                    case 1 -> assertThat(r.response().status()).as(where).isEqualTo(500);
                    case 2 -> assertThat(r.error()).as(where).isInstanceOf(ClientConnectionException.class)
                            .hasMessageEndingWith("reset " + r.index());
                    default -> assertThat(r.error()).as(where).isInstanceOf(ClientTimeoutException.class);
                }
            }
            if (order == FetchOrder.INPUT) {
                assertThat(rs).extracting(FetchResult::index).as(where)
                        .containsExactlyElementsOf(IntStream.range(0, n).boxed().toList());
            }
        }
    }
}
