package org.aio4j.http.vertx;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.aio4j.http.ClientRequest;
import org.aio4j.http.HttpTransport;
import org.aio4j.http.TransportContract;
import org.junit.jupiter.api.Test;

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
}
