package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ClientSession#fetchAll} on a transport the test drives: order, limit, cancellation, and a stress test. Over
 * real HTTP, with every transport, in {@link TransportContract}.
 */
@Timeout(120)
class FetchAllTest {

    @Test
    void resultsComeInInputOrCompletionOrder() throws Exception {
        for (FetchOrder order : FetchOrder.values()) {
            var transport = new FakeTransport();
            try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
                List<FetchResult> rs = Loops.run(() -> {
                    Task<List<FetchResult>> fetch = Aio.createTask(
                            () -> http.fetchAll(List.of("/a", "/b", "/c"), 3, order));
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

    @Test
    void neverMoreThanLimitInFlightAndRequestsStartInListOrder() throws Exception {
        var transport = new FakeTransport();
        int n = 50;
        int limit = 7;
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            List<FetchResult> rs = Loops.run(() -> {
                Task<List<FetchResult>> fetch = Aio.createTask(() -> http.fetchAll(
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
                    FetchOrder.INPUT))).hasMessageStartingWith("requests[1]: relative URL '/b' needs a base URL");
        }
        assertThat(transport.sent()).isEmpty();
    }

    @Test
    void cancellingTheCallerAbortsWhatIsInFlightAndWaitsForIt() throws Exception {
        var transport = new FakeTransport();
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            String outcome = Loops.run(() -> {
                Task<List<FetchResult>> fetch = Aio.createTask(() -> http.fetchAll(
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

    @Test
    void stressWithRandomOutcomesAndRandomCancellationLosesNothing() throws Exception {
        long seed = System.nanoTime();
        var rnd = new Random(seed);
        ExecutorService network = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 150; round++) {
                int n = rnd.nextInt(60);
                int limit = 1 + rnd.nextInt(10);
                int cancelAfter = rnd.nextInt(3) == 0 ? rnd.nextInt(n + 1) : -1;
                FetchOrder order = rnd.nextBoolean() ? FetchOrder.INPUT : FetchOrder.COMPLETION;
                String where = "seed " + seed + ", round " + round + " (n=" + n + ", limit=" + limit
                        + ", cancelAfter=" + cancelAfter + ", " + order + ")";
                long roundSeed = rnd.nextLong();
                runStressRound(network, n, limit, cancelAfter, order, new Random(roundSeed), where);
            }
        } finally {
            network.shutdownNow();
        }
    }

    private static void runStressRound(ExecutorService network, int n, int limit, int cancelAfter, FetchOrder order,
                                       Random rnd, String where) throws Exception {
        var transport = new FakeTransport();
        // Each exchange ends on a "network" thread: with 200, 500, or a broken connection, as the dice say.
        List<Integer> outcomes = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            outcomes.add(rnd.nextInt(3));
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
                    default -> s.future().completeExceptionally(new java.io.IOException("reset " + i));
                }
            });
        };
        List<String> urls = IntStream.range(0, n).mapToObj(i -> "/" + i).toList();
        try (var http = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            Object outcome = Loops.run(() -> {
                Task<List<FetchResult>> f = Aio.createTask(() -> http.fetchAll(urls, limit, order));
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
                    default -> assertThat(r.error()).as(where).isInstanceOf(ClientConnectionException.class)
                            .hasMessageEndingWith("reset " + r.index());
                }
            }
            if (order == FetchOrder.INPUT) {
                assertThat(rs).extracting(FetchResult::index).as(where)
                        .containsExactlyElementsOf(IntStream.range(0, n).boxed().toList());
            }
        }
    }
}
