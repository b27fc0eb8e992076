package org.aio4j.http.vertx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.aio4j.Aio;
import org.aio4j.http.ClientSession;
import org.aio4j.http.ClientTimeoutException;
import org.aio4j.http.DemoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A request the transport aborts itself (timeout) is not reported again as an error in Vert.x's log. */
@Timeout(60)
class VertxTransportLoggingTest {

    private final Logger vertxLog = Logger.getLogger("io.vertx"); // held: JUL keeps loggers weakly
    private final List<LogRecord> errors = Collections.synchronizedList(new ArrayList<>());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                errors.add(r);
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
    }

    @AfterEach
    void stopListening() {
        vertxLog.removeHandler(capture);
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
}
