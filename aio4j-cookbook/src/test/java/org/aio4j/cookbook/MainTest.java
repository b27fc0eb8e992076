package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void listShowsEveryRecipeWithASummary() {
        assertThat(run("recipe", "list")).isZero();
        String text = out.toString(StandardCharsets.UTF_8);
        for (Recipe r : Cookbook.recipes()) {
            assertThat(text).contains(r.name()).contains(r.summary());
        }
    }

    @Test
    void allPrintsAHeaderPerRecipeInTheSeedsOrder() {
        assertThat(run("recipe", "all", "--scale", "0.01", "--virtual-time")).isZero();
        var headers = out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("== ")).toList();
        assertThat(headers).containsExactlyElementsOf(Cookbook.recipes().stream().map(r -> "== " + r.name()).toList());
    }

    @Test
    void usageErrorsExitWith2AndSayWhy() {
        assertThat(run("recipe", "nope")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no recipe named 'nope'");
        err.reset();
        assertThat(run("recipe", "basic", "--scale", "-1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--scale must be a finite number >= 0, got -1");
        err.reset();
        assertThat(run("recipe", "basic", "--scale", "abc")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--scale must be a number, got 'abc'");
        err.reset();
        assertThat(run("frobnicate")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'frobnicate'");
    }

    @Test
    void timelineOptionWritesAChromeTracePerRecipe(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        var file = dir.resolve("trace.json");
        assertThat(run("recipe", "two-tasks", "--scale", "0.01", "--timeline", file.toString())).isZero();
        String json = java.nio.file.Files.readString(file);
        assertThat(json).startsWith("{\"traceEvents\":[").contains("\"ph\":\"X\"");
        assertThat(run("recipe", "all", "--virtual-time", "--timeline", file.toString())).isZero();
        for (Recipe r : Cookbook.recipes()) {
            assertThat(dir.resolve("trace-" + r.name() + ".json")).exists();
        }
    }
}
