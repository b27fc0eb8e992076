package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * An async generator interleaves with other tasks exactly as in CPython: this is the Java mirror, line by line, of
 * {@code cpython/async_generator_interleaving.py}, and it must print what CPython printed for it
 * ({@code cpython/async_generator_interleaving.expected.txt}). It is the evidence for running a generator's body inline
 * in the consuming task: a producer task would add loop iterations per item and move the "other step" lines.
 */
class AsyncGeneratorCPythonTest {

    private static AsyncGenerator<Integer> gen(List<String> log, String name, int n) {
        return AsyncGenerator.of(out -> {
            try {
                for (int i = 0; i < n; i++) {
                    if (i % 2 == 1) {
                        Aio.sleep(0);
                    }
                    log.add(name + " yields " + i);
                    out.emit(i);
                }
            } finally {
                log.add(name + " finally");
            }
        });
    }

    private static void other(List<String> log) {
        for (int i = 0; i < 8; i++) {
            log.add("other step " + i);
            Aio.sleep(0);
        }
    }

    private static void consumeUntilCancelled(List<String> log) {
        var agen = gen(log, "slow", 100);
        try {
            for (int x : agen) {
                log.add("slow consumer got " + x);
                Aio.sleep(1);
            }
        } catch (CancellationException e) {
            log.add("slow consumer cancelled");
            agen.aclose();
            throw e;
        }
    }

    @Test
    void printsWhatCPythonPrints() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> t = Aio.createTask(() -> other(log));
            Aio.sleep(0);
            var agen = gen(log, "gen", 6);
            for (int x : agen) {
                log.add("main got " + x);
                if (x == 3) {
                    break;
                }
            }
            log.add("main broke out");
            agen.aclose();
            log.add("main closed gen");
            t.await();
            Task<Void> c = Aio.createTask(() -> consumeUntilCancelled(log));
            Aio.sleep(2.5);
            c.cancel();
            try {
                c.await();
            } catch (CancellationException e) {
                log.add("main saw the cancellation");
            }
            return null;
        });
        assertThat(log).containsExactlyElementsOf(expected());
    }

    private static List<String> expected() throws Exception {
        try (InputStream in = AsyncGeneratorCPythonTest.class.getResourceAsStream(
                "/cpython/async_generator_interleaving.expected.txt")) {
            assertThat(in).as("expected output resource").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}
