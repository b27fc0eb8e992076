package org.aio4j;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Many connections at once through one echo server: every line comes back to its own client, in order. */
class StreamsStressTest {

    private static final int CLIENTS = 50;
    private static final int LINES = 200;

    @Test
    void fiftyClientsEchoTwoHundredLinesEach() throws Exception {
        int[] echoed = {0};
        int[] served = {0};
        List<Integer> received = Aio.run(() -> {
            try (Server server = Aio.startServer((reader, writer) -> {
                served[0]++;
                for (byte[] line; (line = reader.readline()).length > 0; ) {
                    writer.write(line);
                    writer.drain();
                    echoed[0]++;
                }
                writer.close();
            }, "127.0.0.1", 0)) {
                int port = server.addresses().getFirst().getPort();
                var clients = new ArrayList<Task<Integer>>();
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    clients.add(Aio.createTask(() -> {
                        var conn = Aio.openConnection("127.0.0.1", port);
                        // Writes and reads overlap: a task of its own sends, this one checks what comes back.
                        Task<Void> sender = Aio.createTask(() -> {
                            for (int i = 0; i < LINES; i++) {
                                conn.writer().write(line(client, i));
                                conn.writer().drain();
                            }
                            conn.writer().writeEof();
                        });
                        int n = 0;
                        for (byte[] got; (got = conn.reader().readline()).length > 0; n++) {
                            assertThat(new String(got, US_ASCII)).isEqualTo(new String(line(client, n), US_ASCII));
                        }
                        sender.await();
                        conn.writer().close();
                        conn.writer().waitClosed();
                        return n;
                    }));
                }
                List<Integer> counts = Aio.gather(clients).await();
                server.close();
                server.waitClosed();
                return counts;
            }
        });
        assertThat(received).hasSize(CLIENTS).containsOnly(LINES);
        assertThat(served[0]).isEqualTo(CLIENTS);
        assertThat(echoed[0]).isEqualTo(CLIENTS * LINES);
    }

    private static byte[] line(int client, int i) {
        return ("client " + client + " line " + i + "\n").getBytes(US_ASCII);
    }
}
