package org.aio4j.http.vertx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.aio4j.Aio;
import org.aio4j.http.CannedServer;
import org.aio4j.http.ClientConnectionException;
import org.aio4j.http.ClientSession;
import org.aio4j.http.ClientTimeoutException;
import org.aio4j.http.DemoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An error the transport reports to the caller (a timeout, a malformed response) is not reported again as an error in
 * Vert.x's log; one that reaches no request (on an idle connection) is logged.
 */
@Timeout(60)
class VertxTransportLoggingTest {

    private final Logger vertxLog = Logger.getLogger("io.vertx"); // held: JUL keeps loggers weakly
    private final Logger transportLog = Logger.getLogger("org.aio4j.http.vertx");
    private final List<LogRecord> errors = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch logged = new CountDownLatch(1);
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                errors.add(r);
                logged.countDown();
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        vertxLog.addHandler(capture);
        transportLog.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        vertxLog.removeHandler(capture);
        transportLog.removeHandler(capture);
    }

    @Test
    void aTimedOutRequestIsResetWithoutAnErrorInVertxLog() throws Exception {
        try (DemoServer server = DemoServer.start(0, 0.001);
             var http = ClientSession.builder().transport(VertxTransport.create(), true)
                     .baseUrl(server.baseUrl()).build()) {
            for (String path : List.of("/slow", "/trickle")) {
                assertThatThrownBy(() -> Aio.run(() -> http.get(path, Duration.ofMillis(100))))
                        .isInstanceOf(ClientTimeoutException.class);
            }
            // the connection the resets closed is not needed: a later request goes through
            assertThat(Aio.run(() -> http.get("/b").text())).isEqualTo("/b");
        }
        assertThat(errors).extracting(r -> r.getLoggerName() + ": " + r.getMessage()).isEmpty();
    }

    @Test
    void aRefusedBodyIsResetWithoutAnErrorInVertxLog() throws Exception {
        try (DemoServer server = DemoServer.start(0, 0.001);
             var http = ClientSession.builder().transport(VertxTransport.create(1, 3), true)
                     .baseUrl(server.baseUrl()).build()) {
            for (String path : List.of("/bytes/4", "/trickle")) { // refused by its Content-Length, then as it comes
                assertThatThrownBy(() -> Aio.run(() -> http.get(path)))
                        .hasMessageContaining("response body too large");
            }
        }
        assertThat(errors).extracting(r -> r.getLoggerName() + ": " + r.getMessage()).isEmpty();
    }

    @Test
    void aMalformedResponseIsReportedToTheCallerOnlyNotLoggedToo() throws Exception {
        // Vert.x logged each as SEVERE from io.vertx.core.net.impl.ConnectionBase, as well as failing the request;
        // a status out of range it logged as an unhandled exception of the end handler, and failed nothing.
        for (String answer : List.of("hello world\r\n\r\n",
                "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nabc",
                "HTTP/1.1 1000 OK\r\nContent-Length: 0\r\n\r\n")) {
            try (var canned = CannedServer.start(answer);
                 var http = ClientSession.builder().transport(VertxTransport.create(), true).build()) {
                assertThatThrownBy(() -> Aio.run(() -> http.get(canned.url("/x"))))
                        .isInstanceOf(ClientConnectionException.class);
            }
        }
        assertThat(errors).extracting(r -> r.getLoggerName() + ": " + r.getMessage()).isEmpty();
    }

    @Test
    void aMalformedResponseAfterARedirectIsReportedToTheCallerOnlyNotLoggedToo() throws Exception {
        // The connection a redirect was followed on was not counted as the exchange's: its error was logged as one
        // of an idle connection ("with no request in flight") as well as failing the request.
        String redirect = "HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        try (var canned = CannedServer.start(redirect, "hello world\r\n\r\n");
             var http = ClientSession.builder().transport(VertxTransport.create(), true).build()) {
            assertThatThrownBy(() -> Aio.run(() -> http.get(canned.url("/x"))))
                    .isInstanceOf(ClientConnectionException.class)
                    .hasMessageContaining("invalid HTTP response");
            assertThat(canned.requestLines()).containsExactly("GET /x HTTP/1.1", "GET /b HTTP/1.1");
        }
        assertThat(errors).extracting(r -> r.getLoggerName() + ": " + r.getMessage()).isEmpty();
    }

    @Test
    void anErrorOfAnIdleConnectionIsStillLogged() throws Exception {
        // Garbage after a complete keep-alive response reaches no request: the log is the only report of it.
        var answered = new CountDownLatch(1);
        try (var server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             var http = ClientSession.builder().transport(VertxTransport.create(), true).build()) {
            Thread.ofVirtual().start(() -> {
                try (Socket c = server.accept()) {
                    readRequestHead(c.getInputStream());
                    c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            .getBytes(StandardCharsets.US_ASCII));
                    answered.await();
                    c.getOutputStream().write("hello world\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    c.getInputStream().read(); // until the client closes the connection
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            String url = "http://127.0.0.1:" + server.getLocalPort() + "/x";
            assertThat(Aio.run(() -> http.get(url).text())).isEqualTo("ok");
            answered.countDown();
            logged.await();
        }
        assertThat(errors).singleElement().satisfies(r -> {
            assertThat(r.getLoggerName()).isEqualTo("org.aio4j.http.vertx");
            assertThat(r.getMessage()).startsWith("HTTP connection to ").contains("with no request in flight");
        });
    }

    /**
     * A keep-alive connection the server resets while it is idle (after a complete response, before the next
     * request) is routine, not an error: it is logged at {@code DEBUG} (JUL's {@code FINE}), not {@code ERROR}: no
     * request is lost. Before, it was logged at
     * {@code ERROR} ("failed with no request in flight: ... Connection reset").
     */
    @Test
    void aResetOfAnIdleConnectionIsLoggedAtDebugOnly() throws Exception {
        var answered = new CountDownLatch(1);
        var records = Collections.synchronizedList(new ArrayList<LogRecord>());
        var recorded = new CountDownLatch(1);
        Handler all = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
                recorded.countDown();
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Level before = transportLog.getLevel();
        transportLog.setLevel(Level.ALL);
        transportLog.addHandler(all);
        try (var server = new ServerSocket(0, 2, InetAddress.getLoopbackAddress());
             var http = ClientSession.builder().transport(VertxTransport.create(), true).build()) {
            Thread.ofVirtual().start(() -> {
                try {
                    Socket c = server.accept();
                    readRequestHead(c.getInputStream());
                    c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            .getBytes(StandardCharsets.US_ASCII));
                    answered.await();
                    c.setSoLinger(true, 0); // the close is a reset (RST), not a FIN
                    c.close();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            String url = "http://127.0.0.1:" + server.getLocalPort() + "/x";
            assertThat(Aio.run(() -> http.get(url).text())).isEqualTo("ok");
            answered.countDown();
            recorded.await();
        } finally {
            transportLog.removeHandler(all);
            transportLog.setLevel(before);
        }
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.getLevel()).isEqualTo(Level.FINE);
            assertThat(r.getMessage()).startsWith("HTTP connection to ").contains("closed while idle");
        });
        assertThat(errors).extracting(r -> r.getLoggerName() + ": " + r.getMessage()).isEmpty();
    }

    private static void readRequestHead(InputStream in) throws IOException {
        int matched = 0;
        for (int b; matched < 4 && (b = in.read()) >= 0; ) {
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
    }
}
