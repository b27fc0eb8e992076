package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.aio4j.Aio;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipe stopped from outside (Ctrl-C, or the SIGTERM that {@link ProcessHandle#destroy()} sends: both run the JVM's
 * shutdown hooks) leaves its timeline: a hanging run is the one most worth looking at. The recipe runs in a JVM of its
 * own, {@link Hanging}.
 */
class InterruptTest {

    /** Runs a recipe whose task prints "started" and then sleeps for good, with {@code --timeline args[0]}. */
    public static final class Hanging {
        public static void main(String[] args) {
            Recipe hangs = MainTest.recipe("hangs", (options, out) -> Aio.run(options.loops(),
                    () -> Aio.createTask(() -> {
                        out.println("started");
                        Aio.sleep(Double.POSITIVE_INFINITY);
                    }, "sleeper").await()));
            System.exit(Main.run(new String[] {"recipe", "hangs", "--timeline", args[0]}, List.of(hangs), System.out,
                    System.err));
        }
    }

    @Test
    void aRecipeStoppedWhileItRunsWritesItsTimeline(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("trace.json");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Hanging.class.getName(), file.toString()).start();
        // A guard against a hang, not a measure (it takes a second): a child that never printed, or ignored the
        // SIGTERM, would leave readLine waiting for good; killed, it ends the stream and fails the assertions.
        Thread.ofPlatform().daemon().name("interrupt-test-guard").start(() -> {
            try {
                if (!p.waitFor(2, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        });
        String err;
        try {
            p.getOutputStream().close();
            try (var lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(lines.readLine()).isEqualTo("== hangs");
                assertThat(lines.readLine()).isEqualTo("started"); // the main task has stepped and awaits the sleeper
                p.toHandle().destroy(); // SIGTERM; Process.destroy() would also close the streams read here
                assertThat(lines.readLine()).isNull();
            }
            err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
        } finally {
            p.destroyForcibly(); // a failed assertion above must not leave a JVM that sleeps for good on the machine
        }
        assertThat(err).isEqualTo("aio4j: timeline of hangs (interrupted) written to " + file
                + " (open it in https://ui.perfetto.dev or chrome://tracing)\n");
        assertThat(Files.readString(file)).startsWith("{\"traceEvents\":[").endsWith("]}").contains("\"ph\":\"X\"");
    }
}
