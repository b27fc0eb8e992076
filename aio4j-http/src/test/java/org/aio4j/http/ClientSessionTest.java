package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.Task;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The awaitable client over real HTTP to the demo server, and its contract with a transport. */
@Timeout(60)
class ClientSessionTest {

    private static DemoServer server;
    private static ClientSession http;

    @BeforeAll
    static void start() throws Exception {
        server = DemoServer.start(0, 0.001);
        http = ClientSession.builder().baseUrl(server.baseUrl()).build();
    }

    @AfterAll
    static void stop() {
        http.close();
        server.close();
    }

    @Test
    void getSuspendsUntilTheWholeBodyHasArrived() throws Exception {
        ClientResponse r = Loops.run(() -> http.get("/bytes/1024"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.ok()).isTrue();
        assertThat(r.length()).isEqualTo(1024);
        assertThat(r.text()).startsWith("abcdefghijklmnopqrstuvwxyzabc").hasSize(1024);
        assertThat(r.header("content-type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(r.url().toString()).isEqualTo(server.url("/bytes/1024"));
        assertThat(r.read()).isNotSameAs(r.read()).hasSize(1024);
    }

    @Test
    void absoluteUrlsIgnoreTheBaseUrl() throws Exception {
        try (var plain = new ClientSession()) {
            assertThat(Loops.run(() -> plain.get(server.url("/b")).text())).isEqualTo("/b");
        }
    }

    @Test
    void aBaseUrlWithAPathIsAPrefix() throws Exception {
        try (var api = ClientSession.builder().baseUrl(server.baseUrl() + "/delay/").build()) {
            ClientResponse r = Loops.run(() -> api.get("/0"));
            assertThat(r.url().getPath()).isEqualTo("/delay/0");
            assertThat(r.text()).isEqualTo("/delay/0");
        }
    }

    @Test
    void theFacadeNeverBlocksTheLoop() throws Exception {
        // The gate answers only after another task of the same loop has run: if get() blocked the loop, that task
        // could never run and the request never end.
        var arrived = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        HttpServer gate = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        gate.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        gate.createContext("/", ex -> {
            arrived.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] ok = "open".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        gate.start();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        try (var session = new ClientSession()) {
            Loops.run(() -> {
                String url = "http://127.0.0.1:" + gate.getAddress().getPort() + "/gate";
                Task<String> a = Aio.createTask(() -> {
                    events.add("A sends");
                    String text = session.get(url).text();
                    events.add("A got " + text);
                    return text;
                });
                Task<Void> b = Aio.createTask(() -> {
                    Aio.toThread(() -> {
                        arrived.await();
                        return null;
                    });
                    for (int i = 0; i < 3; i++) {
                        events.add("B step " + i + " while A waits");
                        Aio.sleep(0);
                    }
                    release.countDown();
                });
                a.await();
                b.await();
                return null;
            });
        } finally {
            gate.stop(0);
        }
        assertThat(events).containsExactly("A sends", "B step 0 while A waits", "B step 1 while A waits",
                "B step 2 while A waits", "A got open");
    }

    @Test
    void anErrorStatusIsAResponseUnlessRaiseForStatus() throws Exception {
        ClientResponse r = Loops.run(() -> http.get("/status/500"));
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.ok()).isFalse();
        assertThatThrownBy(r::raiseForStatus).isInstanceOf(ClientResponseException.class);

        try (var strict = ClientSession.builder().baseUrl(server.baseUrl()).raiseForStatus(true).build()) {
            assertThatThrownBy(() -> Loops.run(() -> strict.get("/status/503")))
                    .isInstanceOfSatisfying(ClientResponseException.class, e -> {
                        assertThat(e.status()).isEqualTo(503);
                        assertThat(e.response().text()).isEqualTo("status 503\n");
                        assertThat(e).hasMessage("GET " + server.url("/status/503") + ": HTTP status 503");
                    });
            assertThat(Loops.run(() -> strict.get("/status/204").status())).isEqualTo(204);
        }
    }

    @Test
    void aRequestThatTakesTooLongTimesOutAndTheLoopGoesOn() throws Exception {
        String message = Loops.run(() -> {
            try {
                http.get("/slow", Duration.ofMillis(100));
                return "no timeout";
            } catch (ClientTimeoutException e) {
                assertThat(e.timeout()).isEqualTo(Duration.ofMillis(100));
                assertThat(e.url().toString()).isEqualTo(server.url("/slow"));
                return e.getMessage() + " / then " + http.get("/b").text();
            }
        });
        assertThat(message).isEqualTo("GET " + server.url("/slow") + ": timed out after 100 ms / then /b");
    }

    @Test
    void theSessionTimeoutIsTheDefault() throws Exception {
        try (var quick = ClientSession.builder().baseUrl(server.baseUrl()).timeout(Duration.ofMillis(50)).build()) {
            assertThatThrownBy(() -> Loops.run(() -> quick.get("/slow")))
                    .isInstanceOfSatisfying(ClientTimeoutException.class,
                            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(50)));
            // the request's own timeout wins over the session's
            assertThat(Loops.run(() -> quick.request(ClientRequest.get("/delay/1").withTimeout(Duration.ofSeconds(30)))
                    .status())).isEqualTo(200);
        }
    }

    @Test
    void aRequestTimesOutOnAVirtualClockToo() throws Exception {
        // A virtual clock does not advance while a request is in flight: the transport's own timer ends it.
        assertThatThrownBy(() -> Aio.run(() -> EventLoop.builder().virtualTime().build(),
                () -> http.get("/slow", Duration.ofMillis(100))))
                .isInstanceOf(ClientTimeoutException.class)
                .hasMessage("GET " + server.url("/slow") + ": timed out after 100 ms");
    }

    @Test
    void aRefusedConnectionIsAClientConnectionException() throws Exception {
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/a";
        assertThatThrownBy(() -> Loops.run(() -> http.get(url)))
                .isInstanceOfSatisfying(ClientConnectionException.class, e -> {
                    assertThat(e.getMessage()).startsWith("GET " + url + ": connection failed: ");
                    assertThat(e.getCause()).isInstanceOf(java.net.ConnectException.class);
                    // created on the calling task: its stack shows this test
                    assertThat(e.getStackTrace()).anyMatch(f -> f.getClassName().equals(ClientSession.class.getName()));
                });
    }

    @Test
    void badCallsFailAtTheCallSiteBeforeAnythingIsSent() throws Exception {
        long before = server.requests();
        try (var noBase = new ClientSession()) {
            assertThatThrownBy(() -> Loops.run(() -> noBase.get("/a")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("relative URL '/a' needs a base URL: build the session with"
                            + " ClientSession.builder().baseUrl(...)");
        }
        assertThatThrownBy(() -> ClientRequest.get("ftp://host/x")).hasMessageContaining("http or https");
        assertThatThrownBy(() -> ClientRequest.get("a b")).hasMessageStartingWith("not a valid URL: 'a b'");
        assertThatThrownBy(() -> ClientRequest.get("relative/x")).hasMessageContaining("starting with '/'");
        assertThatThrownBy(() -> ClientRequest.of("GE T", "/a")).hasMessageContaining("token");
        assertThatThrownBy(() -> ClientRequest.get("/a").withTimeout(Duration.ZERO))
                .hasMessage("request timeout must be > 0, got 0 ms");
        assertThatThrownBy(() -> ClientSession.builder().timeout(Duration.ofSeconds(-1)))
                .hasMessage("session timeout must be > 0, got -1 s");
        assertThatThrownBy(() -> ClientSession.builder().baseUrl("/x"))
                .hasMessage("base URL must be an absolute http(s) URL, got '/x'");
        assertThatThrownBy(() -> http.get("/a"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("ClientSession.request() suspends the calling task: call it from a task");
        assertThatThrownBy(() -> Loops.run(() -> {
            var failure = Aio.getRunningLoop().<Throwable>createFuture();
            Aio.getRunningLoop().callSoon(() -> {
                try {
                    http.get("/a");
                } catch (Throwable e) {
                    failure.setResult(e);
                }
            });
            throw (Exception) failure.await();
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot run in a callback");
        assertThat(server.requests()).isEqualTo(before);
    }

    @Test
    void cancellingTheCallerAbortsTheExchange() throws Exception {
        var transport = new FakeTransport();
        try (var session = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            String outcome = Loops.run(() -> {
                Task<String> caller = Aio.createTask(() -> session.get("/a").text());
                while (transport.sent().isEmpty()) {
                    Aio.sleep(0);
                }
                caller.cancel();
                try {
                    return caller.await();
                } catch (CancellationException e) {
                    return "cancelled";
                }
            });
            assertThat(outcome).isEqualTo("cancelled");
            assertThat(transport.sent(0).future().isCancelled()).isTrue();
            assertThat(transport.inFlight()).isZero();
        }
        assertThat(transport.isClosed()).as("an owned transport is closed with the session").isTrue();
    }

    @Test
    void aTransportFailureIsTranslatedAndNamesTheRequest() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> s.future().completeExceptionally(new java.io.EOFException("server hung up"));
        try (var session = ClientSession.builder().transport(transport, false).baseUrl("http://x.test/api").build()) {
            assertThatThrownBy(() -> Loops.run(() -> session.get("/a?q=1")))
                    .isInstanceOf(ClientConnectionException.class)
                    .hasMessage("GET http://x.test/api/a?q=1: connection failed: EOFException: server hung up")
                    .hasCauseInstanceOf(java.io.EOFException.class);
            transport.onSend = s -> s.future().completeExceptionally(
                    new java.net.http.HttpTimeoutException("request timed out"));
            assertThatThrownBy(() -> Loops.run(() -> session.get("/b", Duration.ofSeconds(7))))
                    .isInstanceOfSatisfying(ClientTimeoutException.class,
                            e -> assertThat(e.timeout()).isEqualTo(Duration.ofSeconds(7)));
            assertThat(transport.sent()).extracting(s -> s.request().timeout())
                    .containsExactly(ClientSession.DEFAULT_TIMEOUT, Duration.ofSeconds(7));
        }
        assertThat(transport.isClosed()).as("a transport the session does not own stays open").isFalse();
    }

    @Test
    void closingTheSessionFailsTheRequestsInFlightAndRefusesNewOnes() throws Exception {
        var session = ClientSession.builder().baseUrl(server.baseUrl()).build();
        Exception inFlight = DemoServerTest.failureOfSlowRequestWhen(server, session, session::close);
        assertThat(inFlight).isInstanceOf(ClientConnectionException.class);
        assertThat(session.isClosed()).isTrue();
        assertThatThrownBy(() -> Loops.run(() -> session.get("/a")))
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("ClientSession is closed");
    }
}
