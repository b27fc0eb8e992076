package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpClient;
import java.util.List;
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
}
