package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The examples of the Javadoc of {@link AsyncGenerator} and {@link AsyncIterator}, run as written. */
class AsyncIteratorExamplesTest {

    @Test
    void theTicksExampleOfAsyncGenerator() throws Exception {
        var bytes = new ByteArrayOutputStream();
        var System_out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        TestLoops.runVirtual(() -> {
            // ---- as in the Javadoc of AsyncGenerator
            AsyncGenerator<Integer> ticks = AsyncGenerator.of(out -> {   // async def ticks():
                try {
                    for (int i = 0; ; i++) {
                        Aio.sleep(1);                                    //         await asyncio.sleep(1)
                        out.emit(i);                                     //         yield i
                    }
                } finally {
                    System_out.println("closed");                        //     finally: print("closed")
                }
            });
            try (ticks) {
                for (int i : ticks) {                                    // async for i in ticks:
                    if (i == 2) break;
                }
            }                                                            // prints "closed"
            // ----
            assertThat(Aio.getRunningLoop().time()).isEqualTo(3.0);
            return null;
        });
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly("closed");
    }

    record Row(int id) {
    }

    @Test
    void theCursorExampleOfAsyncIterator() throws Exception {
        List<Integer> seen = TestLoops.runVirtual(() -> {
            var closedAt = new int[] {-1};
            Coroutine<AsyncIterator<Row>> query = () -> AsyncGenerator.<Row>of(out -> {
                try {
                    for (int id = 1; ; id++) {
                        out.emit(new Row(id));
                    }
                } finally {
                    closedAt[0] = 1;
                }
            });
            var ids = new java.util.ArrayList<Integer>();
            // ---- as in the Javadoc of AsyncIterator
            try (AsyncIterator<Row> rows = query.call()) {
                for (Row row : rows) {
                    if (row.id() > 3) break;
                    ids.add(row.id());
                }
            }
            // ----
            assertThat(closedAt[0]).isEqualTo(1);
            return ids;
        });
        assertThat(seen).containsExactly(1, 2, 3);
    }
}
