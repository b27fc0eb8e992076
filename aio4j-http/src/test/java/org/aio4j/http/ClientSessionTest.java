package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.TaskGroup;
import org.aio4j.TaskGroupException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The session itself: URL resolution, argument checks, and its side of the transport contract (cancellation, error
 * translation) on a transport the test drives. What it does over real HTTP is in {@link TransportContract}.
 */
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

    /**
     * aiohttp's params=: each parameter is form-encoded into the URL's query, so a value's '&' or '=' cannot add a
     * parameter; a query and a fragment of the URL are kept; a relative URL takes its query to the base URL.
     */
    @Test
    void queryParametersAreEncodedIntoTheUrlAndKeepWhatItHad() throws Exception {
        assertThat(ClientRequest.get("/search").withParam("q", "a b&admin=1").withParam("lang", "\u00e9")
                .withParam("q", "").uri()).hasToString("/search?q=a+b%26admin%3D1&lang=%C3%A9&q=");
        assertThat(ClientRequest.get("http://h/x?page=2#top").withParam("n", "1").uri())
                .hasToString("http://h/x?page=2&n=1#top");
        assertThat(ClientRequest.get("http://h/x?").withParam("n", "1").uri()).hasToString("http://h/x?n=1");
        assertThatThrownBy(() -> ClientRequest.get("/a").withParam("", "v"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("param name must not be empty (value 'v')");
        assertThatThrownBy(() -> ClientRequest.get("/a").withParam("k", null))
                .isInstanceOf(NullPointerException.class).hasMessage("value of param k must not be null");
        var fake = new FakeTransport();
        fake.onSend = sent -> sent.respond(200, "ok");
        try (var s = ClientSession.builder().transport(fake, true).baseUrl("http://example.test/api").build()) {
            Loops.run(() -> s.request(ClientRequest.get("/items").withParam("tag", "a/b c")));
        }
        assertThat(fake.sent()).singleElement().satisfies(sent -> assertThat(sent.request().uri())
                .hasToString("http://example.test/api/items?tag=a%2Fb+c"));
    }

    /**
     * aiohttp's {@code data={...}}: form fields encoded into the body as an HTML form posts them (the same encoding
     * as withParam's), with the form's Content-Type; a body that is no form is not silently added to.
     */
    @Test
    void formFieldsAreEncodedIntoTheBodyWithTheFormsContentType() {
        ClientRequest login = ClientRequest.of("POST", "/login").withForm("user", "a b&admin=1")
                .withForm("lang", "\u00e9").withForm("empty", "");
        assertThat(new String(login.body(), StandardCharsets.US_ASCII))
                .isEqualTo("user=a+b%26admin%3D1&lang=%C3%A9&empty=");
        assertThat(login.headers()).containsExactly(
                java.util.Map.entry("Content-Type", List.of("application/x-www-form-urlencoded")));
        assertThatThrownBy(() -> ClientRequest.of("POST", "/a").withBody(new byte[] {1}).withForm("k", "v"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("POST /a already has a body that is not a form (no Content-Type"
                        + " application/x-www-form-urlencoded): withForm adds fields to a form only");
        assertThatThrownBy(() -> ClientRequest.of("POST", "/a").withHeader("Content-Type", "application/json")
                .withForm("k", "v")).isInstanceOf(IllegalStateException.class)
                .hasMessage("POST /a has the Content-Type application/json, not a form's: withForm adds fields to a"
                        + " form only");
        assertThatThrownBy(() -> ClientRequest.of("POST", "/a").withForm("", "v"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("form field name must not be empty (value 'v')");
        assertThatThrownBy(() -> ClientRequest.of("POST", "/a").withForm("k", null))
                .isInstanceOf(NullPointerException.class).hasMessage("value of form field k must not be null");
    }

    /**
     * A session closed between two hops of a redirect says so once, naming the request made and the hop it had
     * reached. It said it twice: "... in flight (the session was closed while the request was in flight (at GET
     * .../next, after 1 redirect))", the between-hops failure wrapped again as one of a request in flight.
     */
    @Test
    void aSessionClosedBetweenTwoHopsSaysSoOnce() throws Exception {
        var fake = new FakeTransport();
        var s = ClientSession.builder().transport(fake, true).baseUrl("http://example.test").build();
        Throwable t = Loops.run(() -> {
            Task<ClientResponse> request = Aio.createTask(() -> s.get("/start"));
            while (fake.sent().isEmpty()) {
                Aio.sleep(0);
            }
            s.close();
            fake.sent(0).redirect("/next");
            return catchThrowable(request::await);
        });
        assertThat(t).isExactlyInstanceOf(ClientConnectionException.class)
                .hasMessage("GET http://example.test/start: the session was closed while the request was in flight"
                        + " (at GET http://example.test/next, after 1 redirect)");
    }

    /** aiohttp's session.post/put/delete: the method, the body as given, the base URL and the session's timeout. */
    /**
     * aiohttp's {@code ClientSession(headers=...)}: the session's headers go with every request, fetchAll's too, and a
     * request's own header of the same name (in any case) replaces the session's values, as aiohttp's do.
     */
    @Test
    void theSessionsHeadersGoWithEveryRequestUnlessTheRequestHasItsOwn() throws Exception {
        var fake = new FakeTransport();
        fake.onSend = sent -> sent.respond(200, "");
        try (var s = ClientSession.builder().transport(fake, true).baseUrl("http://example.test")
                .header("Authorization", "Bearer t0k3n").header("X-Tag", "a").header("X-Tag", "b").build()) {
            Loops.run(() -> {
                s.get("/plain");
                s.request(ClientRequest.get("/own").withHeader("x-tag", "mine").withHeader("Accept", "text/csv"));
                s.fetchAll(List.of("/batch"), 1, FetchOrder.INPUT);
                return null;
            });
            assertThatThrownBy(() -> ClientSession.builder().header("X-A", "line\r\nX-B: injected"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("value of header X-A must not contain control characters");
            assertThatThrownBy(() -> ClientSession.builder().header("Content-Length", "3"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("header Content-Length must not be set");
        }
        assertThat(fake.sent()).extracting(sent -> sent.request().uri().getPath() + " " + sent.request().headers())
                .containsExactly(
                        "/plain {Authorization=[Bearer t0k3n], X-Tag=[a, b], Accept-Encoding=[gzip, deflate]}",
                        "/own {Authorization=[Bearer t0k3n], x-tag=[mine], Accept=[text/csv],"
                                + " Accept-Encoding=[gzip, deflate]}",
                        "/batch {Authorization=[Bearer t0k3n], X-Tag=[a, b], Accept-Encoding=[gzip, deflate]}");
    }

    /**
     * A transport that only implements {@code send} streams too, by the default {@code stream}: the whole body
     * published as one part, the redirects followed by the session, chunks of at most the size asked for; the
     * caller's cancellation while the head is awaited cancels the exchange. Bad arguments and callers are refused
     * at the call, naming the problem.
     */
    @Test
    void aTransportWithoutStreamingOfItsOwnStreamsTheWholeBody() throws Exception {
        var fake = new FakeTransport();
        fake.onSend = sent -> {
            if (sent.request().uri().getPath().equals("/old")) {
                sent.redirect("/new");
            } else if (!sent.request().uri().getPath().equals("/never")) {
                sent.respond(200, "0123456789");
            }
        };
        try (var s = ClientSession.builder().transport(fake, true).baseUrl("http://example.test").build()) {
            List<String> chunks = Loops.run(() -> {
                try (var r = s.stream("/old")) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.url().toString()).isEqualTo("http://example.test/new");
                    assertThat(r.history()).extracting(ClientResponse::status).containsExactly(302);
                    assertThatThrownBy(() -> r.iterChunked(0)).isInstanceOf(IllegalArgumentException.class)
                            .hasMessage("maxBytes must be >= 1, got 0");
                    var out = new java.util.ArrayList<String>();
                    for (byte[] c : r.iterChunked(4)) {
                        out.add(new String(c, java.nio.charset.StandardCharsets.US_ASCII));
                    }
                    assertThat(r.read()).isEmpty();
                    return out;
                }
            });
            assertThat(chunks).containsExactly("0123", "4567", "89");
            Throwable cancelled = Loops.run(() -> {
                var caller = Aio.createTask(() -> s.stream("/never"));
                Aio.sleep(0);
                caller.cancel();
                return org.assertj.core.api.Assertions.catchThrowable(caller::await);
            });
            assertThat(cancelled).isInstanceOf(java.util.concurrent.CancellationException.class);
            assertThat(fake.inFlight()).isZero();
            StreamingResponse kept = Loops.run(() -> s.stream("/x"));
            assertThatThrownBy(kept::readAny).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("StreamingResponse.read() suspends the calling task");
            assertThatThrownBy(() -> s.stream("/x")).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("ClientSession.stream() suspends the calling task");
        }
    }

    /**
     * A streamed response belongs to the task that streamed it: handed out of that task, it is closed by the task's
     * end, and a read says so, naming that cause among the others (before, the message named a close or a cancelled
     * read only, neither of which the caller did).
     */
    @Test
    void aStreamedResponseReadAfterTheTaskThatStreamedItEndedSaysWhy() throws Exception {
        Throwable t = Loops.run(() -> {
            StreamingResponse r = Aio.createTask(() -> http.stream("/trickle")).await();
            return org.assertj.core.api.Assertions.catchThrowable(r::readAny);
        });
        assertThat(t).isExactlyInstanceOf(ClientConnectionException.class).hasMessage("GET " + server.url("/trickle")
                + ": the response is closed: its body was released before its end (closed, or the task that streamed"
                + " it ended)");
    }

    /**
     * A head that the transport completes with as the caller is cancelled (its completion posted to the loop, not yet
     * seen) is not lost with its connection: the session releases its body (subscribes and cancels), as it does for a
     * head that comes after the cancellation. Before, the loop's future of the exchange was cancelled and the head it
     * had completed with dropped, its body never subscribed to: a connection the JDK client, or a paused Vert.x
     * response, held for ever.
     */
    @Test
    void aHeadThatArrivesAsTheCallerIsCancelledHasItsBodyReleased() throws Exception {
        var heads = new java.util.concurrent.LinkedBlockingQueue<
                java.util.concurrent.CompletableFuture<HttpTransport.StreamedResponse>>();
        var released = new java.util.concurrent.atomic.AtomicInteger();
        HttpTransport transport = new HttpTransport() {
            @Override
            public java.util.concurrent.CompletableFuture<ClientResponse> send(ClientRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.util.concurrent.CompletableFuture<StreamedResponse> stream(ClientRequest request) {
                var f = new java.util.concurrent.CompletableFuture<StreamedResponse>();
                heads.add(f);
                return f;
            }

            @Override
            public String name() {
                return "heads";
            }

            @Override
            public void close() {
            }
        };
        java.util.concurrent.Flow.Publisher<List<java.nio.ByteBuffer>> body = subscriber ->
                subscriber.onSubscribe(new java.util.concurrent.Flow.Subscription() {
                    @Override
                    public void request(long n) {
                    }

                    @Override
                    public void cancel() {
                        released.incrementAndGet();
                    }
                });
        try (var s = ClientSession.builder().transport(transport, true).baseUrl("http://example.test").build()) {
            Throwable cancelled = Loops.run(() -> {
                Task<StreamingResponse> caller = Aio.createTask(() -> s.stream("/x"));
                Aio.sleep(0); // the caller waits for the head
                heads.take().complete(new HttpTransport.StreamedResponse(
                        new ClientResponse("GET", java.net.URI.create("http://example.test/x"), 200, java.util.Map.of(),
                                new byte[0]), body)); // its completion is posted to the loop
                caller.cancel();
                Throwable t = org.assertj.core.api.Assertions.catchThrowable(caller::await);
                Aio.sleep(0);
                return t;
            });
            assertThat(cancelled).isInstanceOf(CancellationException.class);
            assertThat(released).as("the late head's body released").hasValue(1);
        }
    }

    @Test
    void postPutAndDeleteSendTheirMethodAndBody() throws Exception {
        var fake = new FakeTransport();
        fake.onSend = sent -> sent.respond(200, sent.request().method());
        List<String> replies = new java.util.ArrayList<>();
        try (var s = ClientSession.builder().transport(fake, true).baseUrl("http://example.test")
                .timeout(Duration.ofSeconds(7)).build()) {
            Loops.run(() -> {
                replies.add(s.post("/items", "new".getBytes(StandardCharsets.UTF_8)).text());
                replies.add(s.put("/items/1", "changed".getBytes(StandardCharsets.UTF_8)).text());
                replies.add(s.delete("/items/1").text());
                replies.add(s.post("/ping", null).text());
                return null;
            });
        }
        assertThat(replies).containsExactly("POST", "PUT", "DELETE", "POST");
        assertThat(fake.sent()).extracting(sent -> sent.request().method() + " " + sent.request().uri() + " "
                + (sent.request().body() == null ? "-" : new String(sent.request().body(), StandardCharsets.UTF_8))
                + " " + sent.request().timeout().toSeconds()).containsExactly(
                "POST http://example.test/items new 7", "PUT http://example.test/items/1 changed 7",
                "DELETE http://example.test/items/1 - 7", "POST http://example.test/ping - 7");
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
        assertThatThrownBy(() -> ClientRequest.get("http:///x")).hasMessage("URL has no host: 'http:///x'");
        assertThatThrownBy(() -> ClientRequest.get("http://my_host/x")).hasMessage("URL's host is not a valid host"
                + " name (letters, digits, '-' and '.'; no '_'): 'my_host' in 'http://my_host/x'");
        assertThatThrownBy(() -> ClientRequest.of("GE T", "/a")).hasMessageContaining("token");
        assertThatThrownBy(() -> ClientRequest.get("/a").withTimeout(Duration.ZERO))
                .hasMessage("request timeout must be > 0, got 0 ms");
        assertThatThrownBy(() -> ClientSession.builder().timeout(Duration.ofSeconds(-1)))
                .hasMessage("session timeout must be > 0, got -1 s");
        assertThatThrownBy(() -> ClientRequest.get("/a").withReadTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("request read timeout must be > 0, got 0 ms");
        assertThatThrownBy(() -> ClientSession.builder().readTimeout(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("session read timeout must be > 0, got -5 ms");
        assertThatThrownBy(() -> ClientSession.builder().connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("session connect timeout must be > 0, got 0 ms");
        assertThatThrownBy(() -> ClientSession.builder().connectTimeout(Duration.ofSeconds(-2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("session connect timeout must be > 0, got -2 s");
        assertThatThrownBy(() -> ClientSession.builder().connectTimeout(null))
                .isInstanceOf(NullPointerException.class).hasMessage("session connect timeout must not be null");
        assertThatThrownBy(() -> new ClientRequest("GET", java.net.URI.create("/a"), java.util.Map.of(), null, null, true, 10, null,
                Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("request connect timeout must be > 0, got -1 ms");
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
    void invalidHeadersAreRefusedWhenTheRequestIsBuilt() {
        // A CR or LF in a value ends the header early: what follows is read as a header (or a request) of its own.
        // Only the transport caught it, each in its own words (the JDK: 'invalid header value: "v<CR><LF>..."'), and a
        // transport of the user's own would have sent it; a header name given through the canonical constructor was
        // not checked at all.
        var url = java.net.URI.create("http://x.test/a");
        assertThatThrownBy(() -> ClientRequest.get("/a").withHeader("X-A", "v\r\nX-Injected: 1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("value of header X-A must not contain control characters (CR and LF among them),"
                        + " got U+000D at index 1");
        assertThatThrownBy(() -> ClientRequest.get("/a").withHeader("X-A", "v\u0000"))
                .hasMessageEndingWith("got U+0000 at index 1");
        assertThatThrownBy(() -> new ClientRequest("GET", url, java.util.Map.of("X-A", java.util.List.of("a\nb")),
                null, null)).hasMessageEndingWith("got U+000A at index 1");
        assertThatThrownBy(() -> new ClientRequest("GET", url, java.util.Map.of("X B", java.util.List.of("v")),
                null, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("header name must be an HTTP token, got 'X B'");
        var nullValue = new java.util.HashMap<String, java.util.List<String>>();
        nullValue.put("X-A", java.util.Arrays.asList("v", null));
        assertThatThrownBy(() -> new ClientRequest("GET", url, nullValue, null, null))
                .isInstanceOf(NullPointerException.class).hasMessage("value of header X-A must not be null");
        // what a header may hold: tabs, spaces and visible ASCII characters
        assertThat(ClientRequest.get("/a").withHeader("X-A", "a\tb c~").headers())
                .containsEntry("X-A", java.util.List.of("a\tb c~"));
    }

    @Test
    void aHeaderValueThatIsNotAsciiIsRefusedWhenTheRequestIsBuilt() {
        // "é" reached the server as "?" through the JDK client and as the ISO-8859-1 byte E9 through Vert.x (aiohttp
        // sends UTF-8); "€" was refused by the JDK client only when sent, and sent as "?" by Vert.x.
        for (String value : java.util.List.of("caf\u00e9", "caf\u20ac")) {
            assertThatThrownBy(() -> ClientRequest.get("/a").withHeader("X-A", value))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(String.format("value of header X-A must be ASCII, got U+%04X at index 3: encode it"
                            + " first (percent-encoding, or RFC 8187's UTF-8''... in a parameter)",
                            (int) value.charAt(3)));
        }
        assertThatThrownBy(() -> new ClientRequest("GET", java.net.URI.create("http://x.test/a"),
                java.util.Map.of("X-A", java.util.List.of("\u00e9")), null, null))
                .hasMessageStartingWith("value of header X-A must be ASCII, got U+00E9 at index 0");
    }

    @Test
    void framingHeadersAreRefusedWhenTheRequestIsBuilt() {
        // The transport frames the body. Through Vert.x, POST /echo with "Content-Length: 2" and body "hello" sent
        // "he" as the body and left "llo" on the keep-alive connection: the next request on it reached the server as
        // "lloPOST /echo"; "Content-Length: 9" hung until the timeout; "Transfer-Encoding: chunked" (sent by both
        // transports, next to their own Content-Length) got a 400.
        for (String name : java.util.List.of("Content-Length", "content-length", "Transfer-Encoding")) {
            assertThatThrownBy(() -> ClientRequest.of("POST", "/echo").withHeader(name, "2"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("header " + name + " must not be set: the transport frames the body itself, and a"
                            + " second framing would corrupt the connection");
        }
        assertThatThrownBy(() -> new ClientRequest("POST", java.net.URI.create("http://x.test/a"),
                java.util.Map.of("Transfer-Encoding", java.util.List.of("chunked")), new byte[5], null))
                .hasMessageStartingWith("header Transfer-Encoding must not be set");
    }

    @Test
    void aMethodInLowerCaseIsSentInUpperCaseAsAiohttpDoes() throws Exception {
        // ClientRequest documents its method as upper case; aiohttp upper-cases it (request("post", ...) sends POST).
        // It was sent as given: "post", a method no server knows (methods are case-sensitive).
        assertThat(ClientRequest.of("post", "/echo").method()).isEqualTo("POST");
        assertThat(Loops.run(() -> http.request(ClientRequest.of("post", "/echo").withBody(new byte[] {'x'})).text()))
                .isEqualTo("POST /echo\n\nx");
    }

    @Test
    void getWithANullTimeoutIsRefusedNotSentWithTheSessionsTimeout() throws Exception {
        // It was sent with the session's timeout, undocumented; aiohttp's timeout=None means no timeout at all.
        var transport = new FakeTransport();
        transport.onSend = s -> s.respond(200, "ok");
        try (var session = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            assertThatThrownBy(() -> Loops.run(() -> session.get("/a", null)))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessage("timeout must not be null: get(url) uses the session's timeout (there is no request"
                            + " without one)");
            assertThat(transport.sent()).isEmpty();
            // where null is allowed, it means the session's timeout, as documented
            Loops.run(() -> session.request(ClientRequest.get("/a").withTimeout(null)));
            assertThat(transport.sent(0).request().timeout()).isEqualTo(session.timeout());
        }
    }

    /**
     * The session's connect timeout, aiohttp's default {@code sock_connect=30} unless set, goes to the transport with
     * every request (a transport has no other way to learn it); a request that carries one of its own keeps it.
     */
    @Test
    void theSessionsConnectTimeoutGoesWithEveryRequest() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> s.respond(200, "ok");
        try (var defaults = ClientSession.builder().transport(transport, false).baseUrl("http://x.test").build();
             var quick = ClientSession.builder().transport(transport, false).baseUrl("http://x.test")
                     .connectTimeout(Duration.ofMillis(1500)).build()) {
            assertThat(defaults.connectTimeout()).isEqualTo(Duration.ofSeconds(30));
            Loops.run(() -> defaults.get("/a"));
            assertThat(transport.sent(0).request().connectTimeout()).isEqualTo(Duration.ofSeconds(30));
            Loops.run(() -> quick.get("/a"));
            assertThat(transport.sent(1).request().connectTimeout()).isEqualTo(Duration.ofMillis(1500));
            assertThat(quick.toString()).contains("connect timeout 1.5 s");
            Loops.run(() -> quick.request(new ClientRequest("GET", java.net.URI.create("/a"), java.util.Map.of(),
                    null, null, true, 10, null, Duration.ofSeconds(2))));
            assertThat(transport.sent(2).request().connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        }
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
    void aCallerAbortedByItsTaskGroupGetsTheGroupsErrorNotAClientException() throws Exception {
        var transport = new FakeTransport();
        try (var session = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            String outcome = Loops.run(() -> {
                try (var group = new TaskGroup()) {
                    group.createTask(() -> {
                        while (transport.sent().isEmpty()) {
                            Aio.sleep(0);
                        }
                        throw new IllegalStateException("boom");
                    });
                    return session.get("/a").text();
                } catch (TaskGroupException e) {
                    return "aborted by " + e.exceptions().getFirst().getMessage();
                }
            });
            assertThat(outcome).isEqualTo("aborted by boom");
            assertThat(transport.sent(0).future().isCancelled()).isTrue();
            assertThat(transport.inFlight()).isZero();
        }
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

    /**
     * A request that a {@link ClientSession#close()} ends, when the session owns its transport, says so: the JDK
     * client's shutdown failed it with "connection failed: IOException: shutdownNow", Vert.x's with "connection
     * failed: Connection was closed", as if the server had hung up (aiohttp's message names the closed session too).
     */
    @Test
    void aRequestEndedByClosingTheSessionSaysSo() throws Exception {
        var transport = new FakeTransport();
        var session = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build();
        List<String> outcomes = Loops.run(() -> {
            Task<ClientResponse> one = Aio.createTask(() -> session.get("/one"));
            Task<List<FetchResult>> many = Aio.createTask(
                    () -> session.fetchAll(List.of("/a", "/b"), 2, FetchOrder.INPUT));
            while (transport.sent().size() < 3) {
                Aio.sleep(0);
            }
            session.close();
            // what a transport's close does to the exchanges in flight (the JDK client's shutdownNow)
            transport.sent().forEach(s -> s.future().completeExceptionally(new java.io.IOException("shutdownNow")));
            var out = new java.util.ArrayList<String>();
            try {
                one.await();
            } catch (ClientConnectionException e) {
                out.add(e.getMessage());
            }
            many.await().forEach(r -> out.add(r.error().getClass().getSimpleName() + ": " + r.error().getMessage()));
            return out;
        });
        String closed = ": the session was closed while the request was in flight (connection failed: IOException:"
                + " shutdownNow)";
        assertThat(outcomes).containsExactly("GET http://x.test/one" + closed,
                "ClientConnectionException: GET http://x.test/a" + closed,
                "ClientConnectionException: GET http://x.test/b" + closed);
    }

    /**
     * The timeout covers every hop (aiohttp's {@code total}): the request a redirect leads to carries what is left of
     * it, for the transport's real-clock timer, and a hop that times out fails the request the caller made, with its
     * whole timeout, as any timeout of it.
     */
    @Test
    void theTimeoutCoversEveryHop() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> {
            if (s.request().uri().getPath().equals("/a")) {
                s.redirect("/b");
            } else { // what the transport's timer does when the timeout it was given passes
                s.future().completeExceptionally(new ClientTimeoutException(s.request().method(), s.request().uri(),
                        s.request().timeout(), null));
            }
        };
        Duration total = Duration.ofSeconds(7);
        try (var session = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            assertThatThrownBy(() -> Aio.run(() -> org.aio4j.EventLoop.builder().virtualTime().build(),
                    () -> session.get("/a", total)))
                    .isInstanceOfSatisfying(ClientTimeoutException.class,
                            e -> assertThat(e.timeout()).isEqualTo(total))
                    .hasMessage("GET http://x.test/a: timed out after 7 s");
            assertThat(transport.sent()).extracting(s -> s.request().uri().getPath()).containsExactly("/a", "/b");
            assertThat(transport.sent(0).request().timeout()).isEqualTo(total);
            assertThat(transport.sent(1).request().timeout()).isPositive().isLessThan(total);
            // a timeout that has passed on the real clock by the time the redirect arrives: no further hop is sent
            var passed = new FakeTransport();
            passed.onSend = s -> s.redirect("/b");
            try (var quick = ClientSession.builder().transport(passed, true).baseUrl("http://x.test").build()) {
                assertThatThrownBy(() -> Loops.run(() -> quick.get("/a", Duration.ofNanos(1))))
                        .isInstanceOf(ClientTimeoutException.class);
                assertThat(passed.sent()).hasSize(1);
            }
        }
    }

    /** Cancelling the caller while a later hop is in flight aborts that hop; nothing more is sent. */
    @Test
    void cancellingTheCallerAbortsTheHopInFlight() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> {
            if (s.request().uri().getPath().equals("/a")) {
                s.redirect("/b");
            }
        };
        try (var session = ClientSession.builder().transport(transport, true).baseUrl("http://x.test").build()) {
            String outcome = Loops.run(() -> {
                Task<ClientResponse> caller = Aio.createTask(() -> session.get("/a"));
                while (transport.sent().size() < 2) {
                    Aio.sleep(0);
                }
                caller.cancel();
                try {
                    caller.await();
                    return "not cancelled";
                } catch (CancellationException e) {
                    return "cancelled";
                }
            });
            assertThat(outcome).isEqualTo("cancelled");
            assertThat(transport.sent()).hasSize(2);
            assertThat(transport.sent(1).future().isCancelled()).isTrue();
            assertThat(transport.inFlight()).isZero();
        }
    }

    /**
     * aiohttp's rules for a redirected request's headers: the Authorization (the session's as well as the request's)
     * and Cookie go to the same origin only, or to https on the same host from http on the default ports; other
     * headers go on. A redirect to a URL that is not http(s) is refused (aiohttp's NonHttpUrlRedirectClientError), a
     * negative maxRedirects when the request is made.
     */
    @Test
    void credentialsGoToTheSameOriginOrItsHttpsUpgradeOnly() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> {
            switch (s.request().uri().toString()) {
                case "http://x.test/a" -> s.redirect("https://x.test/b");
                case "https://x.test/b" -> s.redirect("https://x.test:8443/c");
                case "https://x.test:8443/c" -> s.redirect("ftp://x.test/d");
                default -> s.respond(200, "");
            }
        };
        try (var session = ClientSession.builder().transport(transport, true).header("Authorization", "Bearer t")
                .build()) {
            assertThatThrownBy(() -> Loops.run(() -> session.request(ClientRequest.get("http://x.test/a")
                    .withHeader("Cookie", "own=1").withHeader("X-Mine", "kept"))))
                    .isExactlyInstanceOf(ClientException.class)
                    .hasMessage("GET http://x.test/a: redirect to ftp://x.test/d, not an http or https URL: not"
                            + " followed (at GET https://x.test:8443/c, after 2 redirects)");
        }
        assertThat(transport.sent()).extracting(s -> s.request().uri().toString() + " "
                        + s.request().headers().keySet().stream().filter(h -> !h.equals("Accept-Encoding")).toList())
                .containsExactly("http://x.test/a [Authorization, Cookie, X-Mine]",
                        "https://x.test/b [Authorization, Cookie, X-Mine]",
                        "https://x.test:8443/c [X-Mine]");
        assertThatThrownBy(() -> ClientRequest.get("/a").withMaxRedirects(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxRedirects must be >= 0 (0 for no limit), got -1");
    }

    private static String decoded(ClientRequest sent) {
        String value = sent.headers().get("Authorization").getFirst();
        assertThat(value).startsWith("Basic ");
        return new String(java.util.Base64.getDecoder().decode(value.substring(6)), StandardCharsets.ISO_8859_1);
    }

    /**
     * aiohttp's strip_auth_from_url: credentials in a URL go as a Basic Authorization header, percent-decoded, and
     * never in the URL sent (nor in a message); a user without ':' has an empty password. With an Authorization
     * header of the request's own they are refused, in either order, as aiohttp refuses to combine them.
     */
    @Test
    void credentialsInTheUrlBecomeTheAuthorizationHeader() throws Exception {
        var fake = new FakeTransport();
        fake.onSend = sent -> sent.respond(200, "");
        try (var s = ClientSession.builder().transport(fake, true).build()) {
            Loops.run(() -> {
                s.get("http://alice:s%40cr%3At@x.test:8080/a?q=1#f");
                s.get("http://bob@x.test/b");
                return null;
            });
        }
        assertThat(fake.sent()).extracting(sent -> sent.request().uri().toString() + " " + decoded(sent.request()))
                .containsExactly("http://x.test:8080/a?q=1#f alice:s@cr:t", "http://x.test/b bob:");
        assertThat(ClientRequest.get("http://alice:secret@x.test/").toString()).doesNotContain("secret");
        assertThatThrownBy(() -> ClientRequest.get("http://alice:secret@x.test/").withAuth(new BasicAuth("b", "c")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot combine an Authorization header with withAuth(BasicAuth[login=b, password=***,"
                        + " encoding=ISO-8859-1]): give the credentials once");
        assertThatThrownBy(() -> new ClientRequest("GET", java.net.URI.create("http://alice:secret@x.test/"),
                java.util.Map.of("authorization", List.of("Bearer t")), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot combine an Authorization header with credentials in the URL http://x.test/: give"
                        + " the credentials once");
        // the other order: an Authorization header added to a request that has credentials already was sent along
        // with them, two Authorization fields
        assertThatThrownBy(() -> ClientRequest.get("http://alice:secret@x.test/").withHeader("Authorization", "Bearer t"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot add an Authorization header to GET http://x.test/, which has one already (from"
                        + " credentials in its URL, withAuth or withHeader): give the credentials once");
        assertThatThrownBy(() -> ClientRequest.get("http://x.test/").withAuth(new BasicAuth("b", "c"))
                .withHeader("authorization", "Bearer t"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot add an Authorization header to GET http://x.test/, which has one")
                .hasMessageNotContaining("Bearer");
    }

    /**
     * aiohttp's ClientSession(auth=...): the session's credentials go to its base URL's origin only (to every URL
     * without a base URL); a request's own credentials replace them; given with an Authorization header of the
     * session's own, they are refused when the session is built.
     */
    @Test
    void theSessionsAuthGoesToTheBaseUrlsOriginUnlessTheRequestHasItsOwn() throws Exception {
        var fake = new FakeTransport();
        fake.onSend = sent -> sent.respond(200, "");
        try (var s = ClientSession.builder().transport(fake, true).baseUrl("http://api.test/v1")
                .auth(new BasicAuth("svc", "pw")).build()) {
            Loops.run(() -> {
                s.get("/items");
                s.get("http://api.test:80/other");
                s.get("http://elsewhere.test/x");
                s.request(ClientRequest.get("/mine").withAuth(new BasicAuth("me", "mine")));
                s.get("http://u:p@api.test/url");
                s.fetchAll(List.of("/batch"), 1, FetchOrder.INPUT);
                return null;
            });
        }
        assertThat(fake.sent()).extracting(sent -> sent.request().uri() + " "
                        + (sent.request().headers().containsKey("Authorization") ? decoded(sent.request()) : "-"))
                .containsExactly("http://api.test/v1/items svc:pw", "http://api.test:80/other svc:pw",
                        "http://elsewhere.test/x -", "http://api.test/v1/mine me:mine", "http://api.test/url u:p",
                        "http://api.test/v1/batch svc:pw");
        var unbased = new FakeTransport();
        unbased.onSend = sent -> sent.respond(200, "");
        try (var s = ClientSession.builder().transport(unbased, true).auth(new BasicAuth("any", "where")).build()) {
            Loops.run(() -> s.get("http://elsewhere.test/x"));
        }
        assertThat(decoded(unbased.sent().getFirst().request())).isEqualTo("any:where");
        assertThatThrownBy(() -> ClientSession.builder().header("Authorization", "Bearer t")
                .auth(new BasicAuth("a", "b")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot combine an Authorization header with auth(BasicAuth[login=a,");
        assertThatThrownBy(() -> ClientSession.builder().baseUrl("http://u:secret@api.test/v1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("base URL must not carry credentials, got one for 'http://api.test/v1': give them to"
                        + " auth(new BasicAuth(login, password))");
    }

    /**
     * A redirect keeps the credentials to the same origin and drops them to another, the session's as well as the
     * request's; a Location with credentials of its own sends those.
     */
    @Test
    void aRedirectKeepsCredentialsToTheSameOriginAndTakesTheLocationsOwn() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> {
            switch (s.request().uri().toString()) {
                case "http://x.test/a" -> s.redirect("/b");
                case "http://x.test/b" -> s.redirect("http://y.test/c");
                case "http://y.test/c" -> s.redirect("http://z:zz@y.test/d");
                case "http://y.test/d" -> s.redirect("http://w:ww@y.test/e");
                default -> s.respond(200, "");
            }
        };
        try (var session = ClientSession.builder().transport(transport, true).auth(new BasicAuth("s", "ss"))
                .build()) {
            Loops.run(() -> session.get("http://x.test/a"));
        }
        assertThat(transport.sent()).extracting(sent -> sent.request().uri() + " "
                        + (sent.request().headers().containsKey("Authorization") ? decoded(sent.request()) : "-"))
                .containsExactly("http://x.test/a s:ss", "http://x.test/b s:ss", "http://y.test/c -",
                        "http://y.test/d z:zz", "http://y.test/e w:ww");
    }

    /**
     * A Location whose credentials cannot be sent (a login with a character ISO-8859-1 cannot encode) fails the
     * request at once as a malformed response: the refusal, thrown in the redirect's done callback, left the request
     * waiting for its timeout.
     */
    @Test
    void aLocationWithCredentialsThatCannotBeSentFailsTheRequestAtOnce() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> {
            if (s.request().uri().getPath().equals("/a")) {
                s.redirect("http://%E2%82%AC:x@x.test/b");
            } else {
                s.respond(200, "");
            }
        };
        try (var session = ClientSession.builder().transport(transport, true).timeout(Duration.ofMinutes(10))
                .build()) {
            assertThatThrownBy(() -> Loops.run(() -> session.get("http://x.test/a")))
                    .isInstanceOf(ClientConnectionException.class)
                    .hasMessageContaining("redirect to http://x.test/b, whose credentials cannot be sent")
                    .hasMessageNotContaining("%E2%82%AC");
        }
        assertThat(transport.sent()).hasSize(1);
    }

    /**
     * A transport's response that the session's own code cannot handle (here a redirect whose URL is relative, which
     * no URL resolves against) fails the request with what the session threw, at once: thrown in the redirect's done
     * callback, it went to the loop's exception handler and left the request waiting for its timeout.
     */
    @Test
    void aResponseTheSessionCannotHandleFailsTheRequestAtOnce() throws Exception {
        var transport = new FakeTransport();
        transport.onSend = s -> s.future().complete(new ClientResponse("GET", java.net.URI.create("/relative"), 302,
                java.util.Map.of("Location", List.of("/next")), new byte[0]));
        try (var session = ClientSession.builder().transport(transport, true).timeout(Duration.ofMinutes(10))
                .build()) {
            assertThatThrownBy(() -> Loops.run(() -> session.get("http://x.test/a")))
                    .isInstanceOf(ClientException.class);
        }
        assertThat(transport.sent()).hasSize(1);
    }

    @Test
    void basicAuthChecksItsCredentialsAndHidesThePassword() {
        // RFC 7617's example
        assertThat(new BasicAuth("Aladdin", "open sesame").encode()).isEqualTo("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assertThat(new BasicAuth("us\u00e9r", "\u20ac", StandardCharsets.UTF_8).encode())
                .isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString(
                        "us\u00e9r:\u20ac".getBytes(StandardCharsets.UTF_8)));
        assertThat(new BasicAuth("a", "hidden").toString()).doesNotContain("hidden");
        assertThatThrownBy(() -> new BasicAuth("a:b", "c")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a ':' is not allowed in a Basic auth login (RFC 7617), got 'a:b'");
        assertThatThrownBy(() -> new BasicAuth("a", "\u20ac-not-latin1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Basic auth password has characters that ISO-8859-1 cannot encode: pass an encoding that"
                        + " can, such as UTF-8, if the server expects it")
                .hasMessageNotContaining("not-latin1");
        assertThatThrownBy(() -> new BasicAuth("a", null)).isInstanceOf(NullPointerException.class)
                .hasMessage("password must not be null (use \"\" for none)");
    }
}
