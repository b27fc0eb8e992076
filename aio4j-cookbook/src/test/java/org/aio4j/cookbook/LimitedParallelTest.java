package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.aio4j.Aio;
import org.junit.jupiter.api.Test;

/** Recipe 7 counts the bodies running at once right even when some of them fail. */
class LimitedParallelTest {

    @Test
    void aFailedBodyLeavesTheCountOfRunningBodies() throws Exception {
        var bytes = new ByteArrayOutputStream();
        try (var out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            // On a virtual clock; the three zero-length bodies fail. Had a failed body stayed counted, each later
            // body would have raised the peak past the semaphore's limit.
            LimitedParallel.run(num -> {
                Aio.sleep(num);
                if (num == 0) {
                    throw new IllegalStateException("body " + num + " failed");
                }
                return String.valueOf(num);
            }, new Options(1, true), out);
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
                .containsExactly("limited parallel: 9 done, peak concurrency 3");
    }
}
