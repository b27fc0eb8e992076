package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The transport contract for the default transport, the JDK's {@code HttpClient}. */
class JdkTransportTest extends TransportContract {

    @Override
    protected HttpTransport newTransport() {
        return HttpTransport.jdk();
    }

    @Override
    protected HttpTransport newTransport(int maxBodyBytes) {
        return HttpTransport.jdk(maxBodyBytes);
    }

    @Override
    protected HttpTransport newTransportTrusting(java.security.KeyStore trusted) throws Exception {
        var trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory
                .getDefaultAlgorithm());
        trust.init(trusted);
        var tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        // as the transport's own client, which follows no redirect (JdkTransport.defaultClient), trusting the
        // test's certificate too
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).sslContext(tls).build();
        return closingAlso(HttpTransport.jdk(client), client);
    }

    /**
     * A session without a transport of its own makes a JDK one, whose client keeps the session's connect timeout.
     */
    @Test
    void aSessionsOwnTransportKeepsItsConnectTimeout() throws Exception {
        try (var stalled = StalledListener.start();
             var http = ClientSession.builder().timeout(java.time.Duration.ofSeconds(40))
                     .connectTimeout(java.time.Duration.ofMillis(1100)).build()) {
            String url = stalled.url("/x");
            assertThatThrownBy(() -> Loops.run(() -> http.get(url)))
                    .isExactlyInstanceOf(ClientConnectionTimeoutException.class)
                    .hasMessage("GET " + url + ": connect timed out: no connection after 1.1 s (connectTimeout)");
        }
    }

    /**
     * A JDK client of the caller's keeps its own connect timeout ({@code HttpClient.Builder.connectTimeout}), not the
     * session's: a connect that stalls fails with a {@link ClientConnectionTimeoutException} naming the client's. The
     * JDK's {@code HttpConnectTimeoutException}, an {@code HttpTimeoutException}, was reported as the timeout of the
     * whole exchange ("timed out after 40 s", after 1.2 s).
     */
    @Test
    void aClientOfTheCallersKeepsItsOwnConnectTimeout() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofMillis(1200)).build();
        try (var stalled = StalledListener.start();
             var http = ClientSession.builder().transport(closingAlso(HttpTransport.jdk(client), client), true)
                     .timeout(java.time.Duration.ofSeconds(40)).build()) {
            String url = stalled.url("/x");
            assertThatThrownBy(() -> Loops.run(() -> http.get(url)))
                    .isExactlyInstanceOf(ClientConnectionTimeoutException.class)
                    .hasMessage("GET " + url + ": connect timed out: no connection after 1.2 s (connectTimeout)");
        }
    }

    @Test
    void everyExchangeDisarmsItsTimerWhenItEnds() throws Exception {
        // Each request has the session's 5-minute timeout; a timer left armed would stay queued for 5 minutes.
        int before = TransportTimers.armed();
        List<String> urls = IntStream.range(0, 1_000).mapToObj(i -> "/bytes/" + (i % 10)).toList();
        try (var http = ClientSession.builder().transport(newTransport(), true).baseUrl(server.baseUrl()).build()) {
            List<FetchResult> results = Loops.run(() -> http.fetchAll(urls, 50, FetchOrder.INPUT));
            assertThat(results).allSatisfy(r -> assertThat(r.succeeded()).isTrue());
        }
        assertThat(TransportTimers.armed()).isLessThanOrEqualTo(before);
    }

    @Test
    void aBodyLimitOutsideWhatAByteArrayHoldsIsRefused() {
        assertThatThrownBy(() -> HttpTransport.jdk(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxBodyBytes must be in 0..2147483639 (what a byte array holds), got -1");
        assertThatThrownBy(() -> HttpTransport.jdk(HttpClient.newHttpClient(), Integer.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("maxBodyBytes must be in 0..2147483639");
    }

    @Test
    void aRequestTheJdkClientRefusesIsRefusedNamingTheRequestAndWhatToDo() throws Exception {
        // The JDK client's own message, 'restricted header name: "Host"', said neither which request nor what to do,
        // and aiohttp sends a Host header of the caller's (to reach a virtual host by its address, say).
        long before = server.requests();
        try (var http = ClientSession.builder().transport(newTransport(), true).baseUrl(server.baseUrl()).build()) {
            assertThatThrownBy(() -> Loops.run(() -> http.request(ClientRequest.get("/echo")
                    .withHeader("Host", "example.com"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("GET " + server.url("/echo") + ": the JDK's HttpClient refuses to send the header"
                            + " Host, one it sets itself (restricted header name: \"Host\"); the JVM option"
                            + " -Djdk.httpclient.allowRestrictedHeaders=host lets it through")
                    .hasCauseInstanceOf(IllegalArgumentException.class);
        }
        assertThat(server.requests()).isEqualTo(before);
    }

    @Test
    void anUnknownHostAndARefusedConnectionSayWhichTheyAre() throws Exception {
        // The JDK's ConnectException has no message in both cases (its cause says which: UnresolvedAddressException
        // or ClosedChannelException): both read "connection failed: ConnectException".
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (var http = ClientSession.builder().transport(newTransport(), true).build()) {
            assertThatThrownBy(() -> Loops.run(() -> http.get("http://nosuch.invalid/x")))
                    .isInstanceOf(ClientConnectionException.class)
                    .hasMessage("GET http://nosuch.invalid/x: connection failed: unknown host nosuch.invalid"
                            + " (ConnectException: UnresolvedAddressException)");
            assertThatThrownBy(() -> Loops.run(() -> http.get("http://127.0.0.1:" + port + "/a")))
                    .isInstanceOf(ClientConnectionException.class)
                    .hasMessage("GET http://127.0.0.1:" + port + "/a: connection failed: cannot connect to 127.0.0.1:"
                            + port + " (ConnectException: ClosedChannelException)");
        }
    }

    @Test
    void anUncheckedFailureOfABodyHandlerIsReportedAsItselfNotAsAMalformedResponse() throws Exception {
        // Every unchecked exception out of the JDK client read "connection failed: ProtocolException: invalid HTTP
        // response": a bug in a body handler passed for a server's fault and a broken connection.
        var bug = new NullPointerException("body handler bug");
        try (var real = JdkTransport.defaultClient();
             var http = ClientSession.builder().transport(HttpTransport.jdk(failingBodyHandler(real, bug)), true)
                     .baseUrl(server.baseUrl()).build()) {
            assertThatThrownBy(() -> Loops.run(() -> http.get("/bytes/3")))
                    .isExactlyInstanceOf(ClientException.class)
                    .hasMessage("GET " + server.url("/bytes/3") + ": failed: NullPointerException: body handler bug")
                    .hasRootCause(bug);
        }
    }

    @Test
    void anUncheckedIOExceptionIsReportedAsTheIOExceptionItCarries() throws Exception {
        var reset = new SocketException("Connection reset");
        try (var real = JdkTransport.defaultClient();
             var http = ClientSession.builder()
                     .transport(HttpTransport.jdk(failingBodyHandler(real, new UncheckedIOException(reset))), true)
                     .baseUrl(server.baseUrl()).build()) {
            assertThatThrownBy(() -> Loops.run(() -> http.get("/bytes/3")))
                    .isExactlyInstanceOf(ClientConnectionException.class)
                    .hasMessage("GET " + server.url("/bytes/3") + ": connection failed: SocketException: Connection "
                            + "reset")
                    .hasCause(reset);
        }
    }

    /** {@code real}, with the body handler of every exchange replaced by one that throws {@code failure}. */
    private static HttpClient failingBodyHandler(HttpClient real, RuntimeException failure) {
        return new HttpClient() {
            private <T> HttpResponse.BodyHandler<T> failing() {
                return info -> {
                    throw failure;
                };
            }

            @Override
            public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest r, HttpResponse.BodyHandler<T> h) {
                return real.sendAsync(r, failing());
            }

            @Override
            public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest r, HttpResponse.BodyHandler<T> h,
                                                                    HttpResponse.PushPromiseHandler<T> p) {
                return real.sendAsync(r, failing(), p);
            }

            @Override
            public <T> HttpResponse<T> send(HttpRequest r, HttpResponse.BodyHandler<T> h)
                    throws java.io.IOException, InterruptedException {
                return real.send(r, failing());
            }

            @Override
            public Optional<java.net.CookieHandler> cookieHandler() {
                return real.cookieHandler();
            }

            @Override
            public Optional<java.time.Duration> connectTimeout() {
                return real.connectTimeout();
            }

            @Override
            public Redirect followRedirects() {
                return real.followRedirects();
            }

            @Override
            public Optional<java.net.ProxySelector> proxy() {
                return real.proxy();
            }

            @Override
            public javax.net.ssl.SSLContext sslContext() {
                return real.sslContext();
            }

            @Override
            public javax.net.ssl.SSLParameters sslParameters() {
                return real.sslParameters();
            }

            @Override
            public Optional<java.net.Authenticator> authenticator() {
                return real.authenticator();
            }

            @Override
            public Version version() {
                return real.version();
            }

            @Override
            public Optional<java.util.concurrent.Executor> executor() {
                return real.executor();
            }
        };
    }
}
