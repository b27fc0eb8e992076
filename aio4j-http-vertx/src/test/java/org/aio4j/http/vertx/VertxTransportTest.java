package org.aio4j.http.vertx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.TrustOptions;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.http.CannedServer;
import org.aio4j.http.ClientConnectionException;
import org.aio4j.http.ClientConnectionTimeoutException;
import org.aio4j.http.ClientException;
import org.aio4j.http.ClientRequest;
import org.aio4j.http.ClientResponse;
import org.aio4j.http.ClientSession;
import org.aio4j.http.ClientTimeoutException;
import org.aio4j.http.HttpTransport;
import org.aio4j.http.TlsServer;
import org.aio4j.http.TransportContract;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The transport contract for Vert.x's client, and what is particular to it. */
class VertxTransportTest extends TransportContract {

    @Override
    protected HttpTransport newTransport() {
        return VertxTransport.create();
    }

    @Override
    protected HttpTransport newTransport(int maxBodyBytes) {
        return VertxTransport.create(VertxTransport.DEFAULT_MAX_CONNECTIONS, maxBodyBytes);
    }

    @Override
    protected HttpTransport newTransportTrusting(java.security.KeyStore trusted) throws Exception {
        var trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory
                .getDefaultAlgorithm());
        trust.init(trusted);
        // the transport's own client, as create() makes it, trusting the test's certificate too
        return VertxTransport.create(VertxTransport.DEFAULT_MAX_CONNECTIONS, HttpTransport.DEFAULT_MAX_BODY_BYTES,
                TrustOptions.wrap(trust));
    }

    /**
     * The TLS contract tests run on the transport's own client ({@link #newTransportTrusting}); a client of the
     * caller's carries TLS the same way: an answer, and a close_notify in the middle of the body as a connection error
     * naming the request.
     */
    @Test
    void aClientOfTheCallersOverTlsAnswersAndFailsAsTheTransportsOwn() throws Exception {
        var trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory
                .getDefaultAlgorithm());
        trust.init(TlsServer.trusted());
        Vertx vertx = Vertx.vertx();
        var client = vertx.httpClientBuilder()
                .with(new HttpClientOptions().setTrustOptions(TrustOptions.wrap(trust))).build();
        try (var whole = TlsServer.start((socket, raw) -> TlsServer.send(socket,
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
             var cut = TlsServer.start((socket, raw) -> TlsServer.send(socket,
                     "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"));
             var http = ClientSession.builder().transport(closingAlso(VertxTransport.of(client), vertx::close), true)
                     .build()) {
            assertThat(Aio.run(() -> http.get(whole.url("/x"))).text()).isEqualTo("ok");
            String url = cut.url("/x");
            assertThatThrownBy(() -> Aio.run(() -> http.get(url)))
                    .isExactlyInstanceOf(ClientConnectionException.class)
                    .hasMessageStartingWith("GET " + url + ": connection failed: ");
        }
    }

    /**
     * A Vert.x client of the caller's keeps its own connect timeout ({@code HttpClientOptions.setConnectTimeout}), not
     * the session's: a connect that stalls fails with a {@link ClientConnectionTimeoutException} naming the client's,
     * as on the transport's own clients (Netty's {@code ConnectTimeoutException} was a connection failure).
     */
    @Test
    void aClientOfTheCallersKeepsItsOwnConnectTimeout() throws Exception {
        Vertx vertx = Vertx.vertx();
        var client = vertx.httpClientBuilder().with(new HttpClientOptions().setConnectTimeout(1200)).build();
        try (var stalled = StalledListener.start();
             var http = ClientSession.builder().transport(closingAlso(VertxTransport.of(client), vertx::close), true)
                     .timeout(java.time.Duration.ofSeconds(40)).build()) {
            String url = stalled.url("/x");
            assertThatThrownBy(() -> Aio.run(() -> http.get(url)))
                    .isExactlyInstanceOf(ClientConnectionTimeoutException.class)
                    .hasMessage("GET " + url + ": connect timed out: no connection after 1.2 s (connectTimeout)");
        }
    }

    /**
     * A transport of its own ({@link VertxTransport#create()}) closed with requests in flight, a whole one and a
     * streamed one, ends each with a connection error and then every thread its Vert.x instance started: none is
     * left running (each is joined, so a thread left would end the test by its timeout).
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closingATransportOfItsOwnEndsItsRequestsAndEveryThreadOfItsVertx() throws Exception {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        String slow = server.url("/slow");
        String trickle = server.url("/trickle");
        var http = ClientSession.builder().transport(VertxTransport.create(), true).build();
        long requestsBefore = server.requests();
        Throwable[] failures = Aio.run(() -> {
            var headCame = new org.aio4j.Event();
            var streamed = Aio.createTask(() -> {
                try (var r = http.stream(trickle)) {
                    headCame.set();
                    for (byte[] ignored : r.iterAny()) {
                        continue; // until the transport is closed
                    }
                    return null;
                }
            });
            var whole = Aio.createTask(() -> http.get(slow));
            headCame.await();
            Aio.toThread(() -> {
                while (server.requests() < requestsBefore + 2) {
                    Thread.onSpinWait(); // until the server has the GET of /slow too
                }
                return null;
            });
            http.close();
            return new Throwable[] {
                    org.assertj.core.api.Assertions.catchThrowable(whole::await),
                    org.assertj.core.api.Assertions.catchThrowable(streamed::await)};
        });
        assertThat(failures[0]).isExactlyInstanceOf(ClientConnectionException.class)
                .hasMessageStartingWith("GET " + slow + ": the session was closed while the request was in flight");
        assertThat(failures[1]).isInstanceOf(java.util.concurrent.CompletionException.class)
                .cause().isInstanceOf(ClientException.class).hasMessageStartingWith("GET " + trickle + ": ");
        List<Thread> vertxThreads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t))
                .filter(t -> t.getName().startsWith("vert.x-") || t.getName().startsWith("vertx-"))
                .toList();
        assertThat(vertxThreads).isNotEmpty();
        for (Thread t : vertxThreads) {
            t.join(); // the test's timeout if one is left running
        }
    }

    /**
     * A transport on a client of the caller's ({@link VertxTransport#of}) leaves that client, and its Vert.x
     * instance, to the caller: closing the session that owns the transport does not close them, and the client goes on
     * serving another transport.
     */
    @Test
    void closingATransportOnAClientOfTheCallersLeavesTheClientOpen() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            var client = vertx.createHttpClient();
            try (var http = ClientSession.builder().transport(VertxTransport.of(client), true)
                    .baseUrl(server.baseUrl()).build()) {
                assertThat(Aio.run(() -> http.get("/b").text())).isEqualTo("/b");
            }
            try (var again = ClientSession.builder().transport(VertxTransport.of(client), true)
                    .baseUrl(server.baseUrl()).build()) {
                assertThat(Aio.run(() -> again.get("/c").text())).isEqualTo("/c");
            }
        } finally {
            vertx.close().await();
        }
    }

    @Test
    void badSettingsAndUseAfterCloseAreRefused() {
        assertThatThrownBy(() -> VertxTransport.create(0))
                .hasMessage("maxConnectionsPerHost must be >= 1, got 0");
        assertThatThrownBy(() -> VertxTransport.create(1, -1))
                .hasMessage("maxBodyBytes must be in 0..2147483639 (what a byte array holds), got -1");
        VertxTransport t = VertxTransport.create(1);
        t.close();
        t.close();
        assertThatThrownBy(() -> t.send(ClientRequest.get("http://127.0.0.1:1/a")))
                .isInstanceOf(IllegalStateException.class).hasMessage("HTTP transport 'vertx' is closed");
    }

    /**
     * A request on a client of the caller's that the caller has closed fails as a connection error naming it, as with
     * a JDK client that is shut down; Vert.x's "Client is closed" {@code IllegalStateException} was a
     * {@code ClientException} "failed: ...".
     */
    @Test
    void aRequestOnAClientOfTheCallersThatIsClosedIsAConnectionError() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            var client = vertx.createHttpClient();
            client.close().await();
            String url = server.url("/a");
            try (var http = ClientSession.builder().transport(VertxTransport.of(client), true).build()) {
                assertThatThrownBy(() -> Aio.run(() -> http.get(url)))
                        .isExactlyInstanceOf(ClientConnectionException.class)
                        .hasMessage("GET " + url + ": connection failed: IllegalStateException: Client is closed");
            }
        } finally {
            vertx.close().await();
        }
    }

    @Test
    void anUncheckedFailureIsReportedAsItselfNotAsAMalformedResponse() throws Exception {
        // Every unchecked exception that reached the exchange read "connection failed: ProtocolException: invalid
        // HTTP response": a bug in a client of the caller's passed for a server's fault.
        var bug = new NullPointerException("client bug");
        assertThatARequestFailingWith(bug)
                .isExactlyInstanceOf(ClientException.class)
                .hasMessage("GET " + server.url("/b") + ": failed: NullPointerException: client bug")
                .hasRootCause(bug);
    }

    @Test
    void anUncheckedIOExceptionIsReportedAsTheIOExceptionItCarries() throws Exception {
        var reset = new SocketException("Connection reset");
        assertThatARequestFailingWith(new UncheckedIOException(reset))
                .isExactlyInstanceOf(ClientConnectionException.class)
                .hasMessage("GET " + server.url("/b") + ": connection failed: SocketException: Connection reset")
                .hasCause(reset);
    }

    @Test
    void vertxsOwnTimeoutIsAClientTimeoutExceptionInFetchAllsResultsToo() throws Exception {
        // Vert.x 5's timeout of a request (RequestOptions.setTimeout, set to the request's timeout) is a checked
        // java.util.concurrent.TimeoutException, no VertxException: when it fired before the transport's own timer
        // (at the session's 5-minute default, /slow), fetchAll's result was a ClientException "failed:
        // NoStackTraceTimeoutException: The timeout period of 300000ms has been exceeded...", not a timeout.
        var vertxsTimeout = new io.vertx.core.impl.NoStackTraceTimeoutException("The timeout period of 300000ms has"
                + " been exceeded while executing GET /b for server 127.0.0.1");
        try (var http = ClientSession.builder().transport(failingWith(vertxsTimeout), true)
                .baseUrl(server.baseUrl()).timeout(Duration.ofMinutes(5)).build()) {
            var result = Aio.run(() -> http.fetchAll(List.of("/b"), 1, org.aio4j.http.FetchOrder.INPUT)).get(0);
            assertThat(result.error()).isExactlyInstanceOf(ClientTimeoutException.class)
                    .hasMessage("GET " + server.url("/b") + ": timed out after 300 s")
                    .hasRootCause(vertxsTimeout);
        }
    }

    /** What a GET of {@code /b} throws through a client of the caller's failing every request with {@code failure}. */
    private static AbstractThrowableAssert<?, ? extends Throwable> assertThatARequestFailingWith(
            RuntimeException failure) throws Exception {
        try (var http = ClientSession.builder().transport(failingWith(failure), true).baseUrl(server.baseUrl())
                .build()) {
            return assertThatThrownBy(() -> Aio.run(() -> http.get("/b")));
        }
    }

    @Test
    void aStatusOutOfRangeIsAMalformedResponseNotAnExchangeThatNeverEnds() throws Exception {
        // Netty takes any status code that is a number >= 0; ClientResponse refused 1000 in the end handler, where
        // Vert.x logged the exception as unhandled and the exchange never completed (until a timeout, if any).
        for (String answer : List.of("HTTP/1.1 1000 OK\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 099 OK\r\nContent-Length: 2\r\n\r\nab")) {
            try (var canned = CannedServer.start(answer);
                 var http = ClientSession.builder().transport(newTransport(), true).build()) {
                String url = canned.url("/x");
                assertThatThrownBy(() -> Aio.run(() -> http.get(url)))
                        .as("answer %s", answer.lines().findFirst().orElseThrow())
                        .isExactlyInstanceOf(ClientConnectionException.class)
                        .hasMessageStartingWith("GET " + url + ": connection failed: ProtocolException: invalid HTTP "
                                + "response: status ")
                        .cause().isInstanceOf(java.net.ProtocolException.class);
            }
        }
    }

    /**
     * A client of the caller's with a redirect handler of its own follows no redirect through the transport: the
     * session does, and sees each hop (Vert.x follows a redirect only if the request asks it to). The transport
     * followed them itself with that handler, and the session saw only the last response.
     */
    @Test
    void aClientOfTheCallersFollowsNoRedirectItselfTheSessionDoes() throws Exception {
        var asked = new java.util.concurrent.atomic.AtomicInteger();
        Vertx vertx = Vertx.vertx();
        var client = vertx.httpClientBuilder().withRedirectHandler(response -> {
            asked.incrementAndGet();
            return Future.succeededFuture(new RequestOptions().setHost("127.0.0.1").setPort(server.port())
                    .setURI("/c"));
        }).build();
        try (var http = ClientSession.builder().transport(closingAlso(VertxTransport.of(client), vertx::close), true)
                .baseUrl(server.baseUrl()).build()) {
            ClientResponse r = Aio.run(() -> http.get("/redirect/b"));
            assertThat(r.text()).isEqualTo("/b");
            assertThat(r.history()).singleElement().satisfies(h -> assertThat(h.status()).isEqualTo(302));
            assertThat(asked).hasValue(0);
        }
    }

    /**
     * An exchange that ends on the request a redirect led to (its body refused as too large, its timeout) resets that
     * request, as it does the first: the transport reset the request it started with, long ended, and the one it was
     * redirected to kept its connection, taken until the server ended the response. With one connection per host,
     * every later request to that host waited for it.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anExchangeThatEndsAfterARedirectResetsTheRequestTheRedirectLedTo() throws Exception {
        try (var http = ClientSession.builder().transport(VertxTransport.create(1, 3), true)
                .baseUrl(server.baseUrl()).build()) {
            assertThatThrownBy(() -> Aio.run(() -> http.get("/redirect/trickle")))
                    .isExactlyInstanceOf(ClientException.class)
                    .hasMessageContaining("response body too large");
            assertThat(Aio.run(() -> http.get("/b", Duration.ofSeconds(60)).text())).isEqualTo("/b");
            assertThatThrownBy(() -> Aio.run(() -> http.get("/redirect/slow", Duration.ofMillis(100))))
                    .isExactlyInstanceOf(ClientTimeoutException.class);
            assertThat(Aio.run(() -> http.get("/b", Duration.ofSeconds(60)).text())).isEqualTo("/b");
        }
    }

    /**
     * A redirect whose declared body does not end: the redirect is followed on another connection, and the request of
     * the redirect, whose body nobody reads, is reset. It kept its connection, taken from the pool until the server
     * ended that body, for ever without a timeout.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aRedirectWhoseDeclaredBodyHasNotEndedIsReset() throws Exception {
        var redirectClosed = new java.util.concurrent.CountDownLatch(1);
        try (var socket = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             var http = ClientSession.builder().transport(VertxTransport.create(), true).build()) {
            Thread.ofVirtual().start(() -> {
                for (int n = 0; !socket.isClosed(); n++) {
                    try {
                        var c = socket.accept();
                        boolean first = n == 0;
                        Thread.ofVirtual().start(() -> {
                            try (c) {
                                readHead(c.getInputStream());
                                c.getOutputStream().write((first
                                        ? "HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 100\r\n\r\nMoved"
                                        : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                                c.getOutputStream().flush();
                                if (first) { // the rest of the body never comes: only the client ends it
                                    c.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                                    redirectClosed.countDown();
                                }
                            } catch (java.io.IOException clientGone) {
                                redirectClosed.countDown();
                            }
                        });
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            });
            String url = "http://127.0.0.1:" + socket.getLocalPort() + "/x";
            assertThat(Aio.run(() -> http.get(url).text())).isEqualTo("ok");
            redirectClosed.await(); // the test's timeout if the redirect's connection stays taken
        }
    }

    /** Reads up to the empty line that ends a request's head. */
    private static void readHead(java.io.InputStream in) throws java.io.IOException {
        for (int matched = 0, b; matched < 4 && (b = in.read()) >= 0; ) {
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
    }

    /**
     * A transport on a client of the caller's whose {@code request(RequestOptions)} fails with {@code failure}: a way
     * into the exchange's handling of what a client fails with.
     */
    private static HttpTransport failingWith(Throwable failure) {
        Vertx vertx = Vertx.vertx();
        io.vertx.core.http.HttpClient real = vertx.createHttpClient();
        var failing = (io.vertx.core.http.HttpClient) java.lang.reflect.Proxy.newProxyInstance(
                VertxTransportTest.class.getClassLoader(), new Class<?>[] {io.vertx.core.http.HttpClient.class},
                (proxy, method, args) -> method.getName().equals("request") && args != null && args.length == 1
                        && args[0] instanceof RequestOptions ? Future.failedFuture(failure)
                        : method.invoke(real, args));
        return closingAlso(VertxTransport.of(failing), vertx::close);
    }
}
