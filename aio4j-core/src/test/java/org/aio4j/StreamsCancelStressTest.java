package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reads of every kind over a real socket, cancelled at random while they wait: what the client reads, put end to
 * end, is exactly what the server sent, whatever the chunks the separators are split across. Seeded; the seed is in
 * every failure message.
 */
class StreamsCancelStressTest {

    private static final byte[] CRLF2 = "\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void cancelledReadsLoseAndRepeatNoByte(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        byte[] sent = stream(new Random(seed), 4 << 20);
        var random = new Random(seed + 1);
        int[] outcomes = new int[3]; // completed, cancelled while waiting, cancelled too late (the read had ended)
        byte[] received = Aio.run(() -> {
            try (Server server = Aio.startServer((reader, writer) -> {
                var pieces = new Random(seed + 2);
                for (int at = 0; at < sent.length; ) {
                    int n = Math.min(sent.length - at, 1 + pieces.nextInt(pieces.nextBoolean() ? 8 : 5000));
                    writer.write(Arrays.copyOfRange(sent, at, at + n));
                    at += n;
                    if (pieces.nextInt(4) == 0) {
                        writer.drain();
                        Aio.sleep(0);
                    }
                }
                writer.close();
            }, "127.0.0.1", 0)) {
                var conn = Aio.openConnection("127.0.0.1", server.addresses().getFirst().getPort());
                StreamReader reader = conn.reader();
                var out = new ByteArrayOutputStream();
                while (!reader.atEof()) {
                    int op = random.nextInt(20);
                    int n = 1 + random.nextInt(3000);
                    Task<byte[]> read = Aio.createTask(() -> switch (op % 5) {
                        case 0 -> reader.read(n);
                        case 1 -> reader.readline();
                        case 2 -> untilOrPartial(reader);
                        case 3 -> exactlyOrPartial(reader, n);
                        default -> op == 4 ? reader.read(-1) : reader.read(n);
                    });
                    boolean cancel = op == 4 || random.nextInt(3) == 0; // read(-1) ends the test unless cancelled
                    for (int turns = random.nextInt(4); turns > 0 && !read.isDone(); turns--) {
                        Aio.sleep(0);
                    }
                    if (cancel && read.cancel()) {
                        try {
                            read.await();
                            throw new AssertionError(description + ": a cancelled read returned");
                        } catch (CancellationException expected) {
                            outcomes[1]++;
                        }
                    } else {
                        out.writeBytes(read.await());
                        outcomes[cancel ? 2 : 0]++;
                    }
                }
                conn.writer().close();
                return out.toByteArray();
            }
        });
        assertThat(received.length).as(description).isEqualTo(sent.length);
        assertThat(Arrays.mismatch(received, sent)).as(description + ": the first byte that differs").isEqualTo(-1);
        assertThat(outcomes[1]).as(description + ": reads cancelled while they waited").isPositive();
    }

    /** readuntil of a 4-byte separator; at the end of the stream, what was left. */
    private static byte[] untilOrPartial(StreamReader reader) throws java.io.IOException {
        try {
            return reader.readuntil(CRLF2);
        } catch (IncompleteReadException e) {
            return e.partial();
        }
    }

    private static byte[] exactlyOrPartial(StreamReader reader, int n) throws java.io.IOException {
        try {
            return reader.readexactly(n);
        } catch (IncompleteReadException e) {
            return e.partial();
        }
    }

    /**
     * {@code size} bytes of lines of at most 400 letters, each ended by {@code "\n"} or, one time in two,
     * {@code "\r\n\r\n"}: no line and no piece up to that separator comes near a reader's limit.
     */
    private static byte[] stream(Random random, int size) {
        byte[] out = new byte[size];
        int at = 0;
        while (at < size) {
            int len = Math.min(size - at, random.nextInt(400));
            for (int i = 0; i < len; i++) {
                out[at++] = (byte) ('a' + random.nextInt(26));
            }
            byte[] sep = random.nextBoolean() ? CRLF2 : new byte[] {'\n'};
            for (int i = 0; i < sep.length && at < size; i++) {
                out[at++] = sep[i];
            }
        }
        return out;
    }
}
