package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
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
}
