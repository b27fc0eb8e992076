package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo server's paths, checked through the client. */
@Timeout(60)
class DemoServerTest {

    @Test
    void answersEveryPathAsDocumented() throws Exception {
        try (var server = DemoServer.start(0, 0.001);
             var http = ClientSession.builder().baseUrl(server.baseUrl()).build()) {
            List<String> lines = Loops.run(() -> http.fetchAll(List.of("/a", "/b", "/c", "/delay/2.5", "/status/418",
                    "/bytes/0", "/bytes/30", "/", "/nope", "/delay/x", "/status/99", "/bytes/-1"), 4, FetchOrder.INPUT)
                    .stream().map(r -> r.response().status() + " " + r.response().text().lines().findFirst()
                            .orElse("")).toList());
            assertThat(lines).containsExactly(
                    "200 /a", "200 /b", "200 /c", "200 /delay/2.5", "418 status 418", "200 ",
                    "200 abcdefghijklmnopqrstuvwxyzabcd", "200 aio4j demo server", "404 no such path: /nope",
                    "400 bad delay in /delay/x: want /delay/N, N from 0 to 3600.0",
                    "400 bad status in /status/99: want /status/N, N from 200 to 599",
                    "400 bad size in /bytes/-1: want /bytes/N, N from 0 to 16777216");
            assertThat(server.requests()).isEqualTo(12);
            assertThat(server.peakConcurrency()).isBetween(1, 4);
            assertThat(server.url("/a")).isEqualTo(server.baseUrl() + "/a").startsWith("http://127.0.0.1:");
        }
    }

    @Test
    void closingTheServerEndsTheRequestsStillWaiting() throws Exception {
        var server = DemoServer.start();
        try (var http = ClientSession.builder().baseUrl(server.baseUrl()).build()) {
            Exception error = failureOfSlowRequestWhen(server, http, server::close);
            assertThat(error).isInstanceOf(ClientConnectionException.class);
            server.close(); // twice: nothing
            assertThat(server.toString()).startsWith("DemoServer[closed");
        }
    }

    /** Sends {@code GET /slow}, runs {@code action} once the server has it, and returns what the request threw. */
    static Exception failureOfSlowRequestWhen(DemoServer server, ClientSession http, Runnable action)
            throws Exception {
        long before = server.requests();
        return Loops.run(() -> {
            Task<ClientResponse> slow = Aio.createTask(() -> http.get("/slow"));
            Aio.toThread(() -> {
                while (server.requests() == before) {
                    Thread.onSpinWait();
                }
                return null;
            });
            action.run();
            try {
                slow.await();
                return null;
            } catch (ClientException e) {
                return e;
            }
        });
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> DemoServer.start(70000, 1)).hasMessage("port must be in 0..65535, got 70000");
        assertThatThrownBy(() -> DemoServer.start(0, -1))
                .hasMessage("secondsPerUnit must be a finite number >= 0, got -1.0");
    }
}
