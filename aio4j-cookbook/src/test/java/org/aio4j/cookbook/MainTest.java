package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;
import org.aio4j.Aio;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        for (String javaOnly : List.of("5d", "0x1p-4", " 1")) { // Double.parseDouble would take them
            assertThat(run("recipe", "basic", "--scale", javaOnly)).as(javaOnly).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("--scale must be a number, got '" + javaOnly + "'");
            err.reset();
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(run("frobnicate")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'frobnicate'");
    }

    /** A newcomer's order, as with a Python script's options: they were 'unknown option' naming the wrong word. */
    @Test
    void anOptionBeforeTheRecipesNameIsSaidToComeAfterIt() {
        assertThat(run("recipe", "--scale", "0.05", "gather")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("aio4j: '--scale' comes after the recipe's name,"
                + " e.g. ./aio4j recipe NAME --scale 0.05\n");
        err.reset();
        assertThat(run("recipe", "--virtual-time", "gather")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("aio4j: '--virtual-time' comes after the recipe's"
                + " name, e.g. ./aio4j recipe NAME --virtual-time\n");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    /** 'unknown option' said of a recipe's name, or of a bare number, named no option the user gave. */
    @Test
    void aSecondRecipeNameOrAStrayWordIsNotCalledAnOption() {
        assertThat(run("recipe", "gather", "basic")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("aio4j: a second recipe, 'basic': ./aio4j recipe"
                + " runs one, or every one with ./aio4j recipe all\n");
        err.reset();
        assertThat(run("recipe", "gather", "0.05")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("aio4j: unexpected argument '0.05'\nusage: ");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void timelineOptionWritesAChromeTracePerRecipe(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        var file = dir.resolve("trace.json");
        assertThat(run("recipe", "two-tasks", "--scale", "0.01", "--timeline", file.toString())).isZero();
        String json = java.nio.file.Files.readString(file);
        assertThat(json).startsWith("{\"traceEvents\":[").contains("\"ph\":\"X\"");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("timeline of two-tasks written to " + file);
        assertThat(run("recipe", "all", "--virtual-time", "--timeline", file.toString())).isZero();
        for (Recipe r : Cookbook.recipes()) {
            assertThat(dir.resolve("trace-" + r.name() + ".json")).exists();
        }
    }

    /** The run that fails is the one whose timeline is most worth looking at. */
    @Test
    void theTimelineOfARecipeThatFailsIsWrittenAndTheFailureStillThrown(@TempDir Path dir) throws Exception {
        Recipe failing = recipe("failing", (options, printTo) -> Aio.run(options.loops(), () -> {
            Aio.createTask(() -> Aio.sleep(1), "stepper").await();
            throw new IllegalStateException("the recipe failed on purpose");
        }));
        Path file = dir.resolve("trace.json");
        var options = new Options(1, true, true);
        assertThatThrownBy(() -> Main.runRecipe(failing, options, file, new PrintStream(out, true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalStateException.class).hasMessage("the recipe failed on purpose");
        assertThat(file).exists();
        String json = java.nio.file.Files.readString(file);
        assertThat(json).startsWith("{\"traceEvents\":[").endsWith("]}")
                .contains("\"ph\":\"X\"", "\"name\":\"stepper (end)\"");
        assertThat(json).isEqualTo(options.timelines().getFirst().toChromeTraceJson());
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("timeline of failing (the recipe failed) written to " + file);
    }

    /**
     * A stop (Ctrl-C) just after the recipe wrote its timeline, too late to remove the hook (the JVM refuses once it
     * is stopping), writes it no second time: the hook waits for a write under way and then finds it done.
     */
    @Test
    void theShutdownHookWritesNoTimelineTheRecipeWroteAlready(@TempDir Path dir) throws Exception {
        Recipe quick = recipe("quick", (options, printTo) -> Aio.run(options.loops(), () -> {
            Aio.createTask(() -> Aio.sleep(1), "sleeper").await();
            return null;
        }));
        Path file = dir.resolve("trace.json");
        var hooks = new ArrayList<Thread>();
        var stopping = new ShutdownHooks() {
            @Override
            public void add(Thread hook) {
                hooks.add(hook);
            }

            @Override
            public void remove(Thread hook) {
                throw new IllegalStateException("Shutdown in progress"); // what Runtime says once the JVM stops
            }
        };
        Main.runRecipe(quick, new Options(1, true, true), file, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), stopping);
        String written = Files.readString(file);
        assertThat(hooks).hasSize(1);
        hooks.getFirst().run(); // the JVM starts it, once runRecipe has returned
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("aio4j: timeline of quick written to " + file
                + " (open it in https://ui.perfetto.dev or chrome://tracing)\n");
        assertThat(Files.readString(file)).isEqualTo(written).contains("\"name\":\"sleeper (end)\"");
    }

    @Test
    void aTimelineFileThatCannotBeWrittenIsAUsageErrorBeforeAnyRecipeRuns(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-dir").resolve("trace.json");
        assertThat(run("recipe", "two-tasks", "--scale", "0.01", "--timeline", missing.toString())).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("aio4j: cannot write the timeline to '" + missing
                + "': directory '" + missing.getParent() + "' does not exist").doesNotContain("Exception");
        err.reset();
        assertThat(run("recipe", "all", "--virtual-time", "--timeline", missing.toString())).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("does not exist");
        err.reset();
        assertThat(run("recipe", "two-tasks", "--scale", "0.01", "--timeline", dir.toString())).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("aio4j: --timeline '" + dir + "' is a directory")
                .doesNotContain("Exception");
    }

    /** Permissions do not show it (root may write anywhere): the file is opened for writing before the run. */
    @Test
    void aTimelineFileOnAFileSystemThatRefusesItIsAUsageErrorBeforeAnyRecipeRuns() {
        Path proc = Path.of("/proc/self");
        assumeTrue(Files.isDirectory(proc), "needs Linux's /proc");
        Path file = Path.of("/proc/aio4j-trace.json");
        assertThat(run("recipe", "two-tasks", "--scale", "0", "--timeline", file.toString())).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("aio4j: cannot write the timeline to '" + file
                + "': ").doesNotContain("Exception").doesNotContain("\tat ");
    }

    /** The recipe's output is right: only the file is missing, which one line says, with exit status 1. */
    @Test
    void aTimelineThatCannotBeWrittenAfterTheRecipeIsOneLineNotAStackTrace(@TempDir Path dir) {
        Path sub = dir.resolve("sub");
        Path file = sub.resolve("trace.json");
        Recipe removesTheDirectory = recipe("removes-dir", (options, printTo) -> {
            Aio.run(options.loops(), () -> {
                Aio.sleep(0);
                return null;
            });
            Files.delete(sub);
            printTo.println("done");
        });
        assertThat(sub.toFile().mkdir()).isTrue();
        assertThat(Main.run(new String[] {"recipe", "removes-dir", "--timeline", file.toString()},
                List.of(removesTheDirectory), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("== removes-dir\ndone\n");
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("aio4j: cannot write the timeline to '" + file + "': No such file or directory\n");
    }

    /** As {@code ./aio4j recipe all | head -1}: the reader leaves after the first line. */
    @Test
    void recipeAllStopsWhenNobodyReadsItsOutputAnyMore() {
        var ran = new ArrayList<String>();
        List<Recipe> cookbook = Stream.of("one", "two", "three").map(name -> recipe(name, (options, printTo) -> {
            ran.add(name);
            printTo.println(name + " is finished.");
        })).toList();
        var closedAfterOneLine = new OutputStream() {
            private boolean lineRead;

            @Override
            public void write(int b) throws IOException {
                if (lineRead) {
                    throw new IOException("Broken pipe");
                }
                lineRead = b == '\n';
            }
        };
        assertThat(Main.run(new String[] {"recipe", "all"}, cookbook, new PrintStream(closedAfterOneLine, true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isEqualTo(Main.OUTPUT_CLOSED);
        assertThat(ran).containsExactly("one");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    /** A recipe called {@code name} that runs {@code body}. */
    static Recipe recipe(String name, RecipeBody body) {
        return new Recipe() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String summary() {
                return "a recipe of the test";
            }

            @Override
            public void run(Options options, PrintStream printTo) throws Exception {
                body.run(options, printTo);
            }
        };
    }

    @FunctionalInterface
    interface RecipeBody {
        void run(Options options, PrintStream printTo) throws Exception;
    }

    @Test
    void unknownOptionsAreRefusedByEveryCommand() {
        assertThat(run("recipe", "list", "--bogus")).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option '--bogus'");
        err.reset();
        assertThat(run("help", "--bogus")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option '--bogus'");
        err.reset();
        assertThat(run("recipe", "basic", "--bogus")).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option '--bogus'");
    }

    /**
     * A misspelt option was "unknown option '--scael'" with no hint, as a misspelt recipe's name has; and one where
     * the recipe's name goes was "no recipe named '--virtual'", which reads as if recipes could be named so.
     */
    @Test
    void aMisspeltOptionIsCalledAnOptionAndTheOneMeantIsNamed() {
        assertThat(run("recipe", "basic", "--scael", "0.05")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("aio4j: unknown option '--scael' (did you mean '--scale'?)\nusage: ");
        err.reset();
        assertThat(run("recipe", "all", "--virtual")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("aio4j: unknown option '--virtual' (did you mean '--virtual-time'?)\nusage: ");
        err.reset();
        assertThat(run("recipe", "--virtual", "basic")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("aio4j: unknown option '--virtual' (did you mean '--virtual-time'?)\nusage: ");
        err.reset();
        assertThat(run("recipe", "-x")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("aio4j: unknown option '-x'\nusage: ")
                .doesNotContain("no recipe named");
        err.reset();
        assertThat(run("recipe", "basic", "--frobnicate")).isEqualTo(2); // nothing close: no guess
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("aio4j: unknown option '--frobnicate'\nusage: ");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    /** They were called unknown options, which they are not. */
    @Test
    void optionsOfRunningARecipeAreNamedAsSuchWhereTheyDoNotApply() {
        assertThat(run("recipe", "list", "--scale", "-1")).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("'--scale' is for running recipes (./aio4j recipe NAME|all --scale 0.05); recipe list takes"
                        + " no options")
                .doesNotContain("unknown option");
        err.reset();
        assertThat(run("help", "--timeline=t.json")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'--timeline' is for running recipes")
                .contains("help takes no options");
    }

    /** As --scale=F already was. */
    @Test
    void timelineTakesItsFileAfterAnEqualsSignToo(@TempDir Path dir) {
        Path file = dir.resolve("trace.json");
        assertThat(run("recipe", "two-tasks", "--virtual-time", "--timeline=" + file)).isZero();
        assertThat(file).exists();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("timeline of two-tasks written to " + file);
    }

    @Test
    void anEmptyTimelineFileNameIsMissingNotTheWorkingDirectory() {
        for (List<String> options : List.of(List.of("--timeline", ""), List.of("--timeline="))) {
            err.reset();
            var args = new ArrayList<>(List.of("recipe", "basic"));
            args.addAll(options);
            assertThat(run(args.toArray(String[]::new))).as("%s", options).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).as("%s", options)
                    .startsWith("aio4j: --timeline needs a file name, e.g. --timeline trace.json");
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void anOptionIsNotTakenAsTheValueOfAnother() {
        assertThat(run("recipe", "basic", "--timeline", "--scale", "2")).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("aio4j: --timeline needs a file name");
        err.reset();
        assertThat(run("recipe", "basic", "--scale", "--virtual-time")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("aio4j: --scale needs a number");
    }

    @Test
    void anUnknownRecipeNameSuggestsTheOneMeant() {
        var meant = new LinkedHashMap<String, String>();
        meant.put("baisc", "basic");             // two letters swapped
        meant.put("gahter", "gather");
        meant.put("semaphor", "semaphore");      // one left out
        meant.put("two_tasks", "two-tasks");     // another separator
        meant.put("Basic", "basic");             // another case
        meant.put("LimitedParallel", "semaphore"); // the recipe's class, as docs/cookbook.md names it
        meant.put("async", "async-iterator");    // the start of one name
        meant.put("lsit", "list");
        meant.forEach((given, name) -> {
            err.reset();
            assertThat(run("recipe", given)).as(given).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8).lines().findFirst()).as(given).contains("aio4j: no recipe"
                    + " named '" + given + "' (did you mean '" + name + "'?); './aio4j recipe list' shows them");
        });
        for (String nothingClose : List.of("nope", "q", "frobnicate")) {
            err.reset();
            assertThat(run("recipe", nothingClose)).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).as(nothingClose).contains("no recipe named '"
                    + nothingClose + "'; './aio4j recipe list' shows them").doesNotContain("did you mean");
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    /** The usage would only bury the line that says what is wrong, and which name was meant. */
    @Test
    void aNameThatIsNoneOrAFileThatCannotBeWrittenIsOneLineWithoutTheUsage(@TempDir Path dir) {
        assertThat(run("recipe", "baisc")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(
                "aio4j: no recipe named 'baisc' (did you mean 'basic'?); './aio4j recipe list' shows them\n");
        err.reset();
        Path missing = dir.resolve("no-such-dir").resolve("trace.json");
        assertThat(run("recipe", "basic", "--timeline", missing.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("aio4j: cannot write the timeline to '" + missing
                + "': directory '" + missing.getParent() + "' does not exist\n");
        err.reset();
        assertThat(run("recipe", "basic", "--scale", "x")).isEqualTo(2); // a mistake in the syntax: the usage helps
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("aio4j: --scale must be a number, got 'x'\nusage: ");
    }

    @Test
    void helpAnywhereAfterRecipePrintsTheUsageAndRunsNothing() {
        for (List<String> args : List.of(List.of("-h"), List.of("--help"), List.of("recipe", "--help"),
                List.of("recipe", "-h"), List.of("recipe", "list", "--help"), List.of("recipe", "basic", "-h"),
                List.of("recipe", "all", "--scale", "2", "--help"), List.of("recipe", "nope", "--help"))) {
            assertPrintsTheUsageAndRunsNothing(args);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    private void assertPrintsTheUsageAndRunsNothing(List<String> args) {
        out.reset();
        assertThat(run(args.toArray(String[]::new))).as("%s", args).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).as("%s", args).startsWith("usage: ./aio4j recipe list")
                .doesNotContain("== ");
    }

    /** As Main's Javadoc says, "-h or --help anywhere": also after help or another -h, and before a command. */
    @Test
    void helpAfterHelpOrBeforeACommandPrintsTheUsageToo() {
        for (List<String> args : List.of(List.of("help", "-h"), List.of("-h", "--help"), List.of("--help", "recipe"),
                List.of("-h", "recipe", "basic"))) {
            assertPrintsTheUsageAndRunsNothing(args);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void helpMentionsTheLaunchersOwnCommands() {
        assertThat(run("help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("./aio4j test [maven args]", "./aio4j build", "./aio4j bench [--quick] [...]");
    }
}
