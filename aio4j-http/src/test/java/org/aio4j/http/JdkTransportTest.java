package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void aBodyTooLargeForAByteArrayIsAClientExceptionNamingTheRequest() throws Exception {
        // The JDK's byte-array body handler fails a body over 2 GiB with IllegalArgumentException("too many bytes")
        // (reproduced with a real 2 GiB + 10 bytes body: 9 s and 2 GiB of heap, too heavy for the suite). It reached
        // the caller unchanged: no URL, not a ClientException, and read as the documented "URL not valid".
        try (var http = ClientSession.builder().transport(HttpTransport.jdk(new FailingClient(
                new IllegalArgumentException("too many bytes"))), false).build()) {
            assertThatThrownBy(() -> Loops.run(() -> http.get("http://x.test/huge")))
                    .isInstanceOf(ClientException.class)
                    .hasMessage("GET http://x.test/huge: response body too large: more than a byte array holds"
                            + " (2 GiB)")
                    .hasRootCauseInstanceOf(IllegalArgumentException.class);
            List<FetchResult> rs = Loops.run(() -> http.fetchAll(List.of("http://x.test/huge"), 1, FetchOrder.INPUT));
            assertThat(rs.getFirst().error()).isInstanceOf(ClientException.class)
                    .hasMessageStartingWith("GET http://x.test/huge: response body too large");
        }
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

    /** A client whose every exchange fails with {@code error}, as the JDK's fails from inside its body handler. */
    private static final class FailingClient extends HttpClient {
        private final RuntimeException error;

        FailingClient(RuntimeException error) {
            this.error = error;
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                                                                HttpResponse.BodyHandler<T> handler) {
            return CompletableFuture.failedFuture(new java.util.concurrent.CompletionException(error));
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> push) {
            return sendAsync(request, handler);
        }

        @Override
        public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<java.net.CookieHandler> cookieHandler() {
            return Optional.empty();
        }

        @Override
        public Optional<java.time.Duration> connectTimeout() {
            return Optional.empty();
        }

        @Override
        public Redirect followRedirects() {
            return Redirect.NEVER;
        }

        @Override
        public Optional<java.net.ProxySelector> proxy() {
            return Optional.empty();
        }

        @Override
        public javax.net.ssl.SSLContext sslContext() {
            return null;
        }

        @Override
        public javax.net.ssl.SSLParameters sslParameters() {
            return null;
        }

        @Override
        public Optional<java.net.Authenticator> authenticator() {
            return Optional.empty();
        }

        @Override
        public Version version() {
            return Version.HTTP_1_1;
        }

        @Override
        public Optional<java.util.concurrent.Executor> executor() {
            return Optional.empty();
        }
    }
}
