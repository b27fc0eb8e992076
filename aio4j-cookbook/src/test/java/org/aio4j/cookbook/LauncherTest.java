package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the launcher does itself: the help it prints without building anything, a command line that starts with an
 * option, finding a JDK, and how it builds (run against a stand-in for the Maven wrapper, in a copy of the launcher);
 * the rest of the launcher runs {@link Main}, which {@link MainTest} tests.
 * The script runs with {@code JAVA_HOME} set to this JVM, so it finds its JDK at once.
 */
class LauncherTest {

    private record Result(int status, String out, String err) {
    }

    /** The repository's root: tests run in the module's directory. */
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    /** A copy of the launcher in {@code dir}, for a test that puts stand-ins beside it. */
    private static Path launcherCopy(Path dir) throws IOException {
        return Files.copy(ROOT.resolve("aio4j"), dir.resolve("aio4j"));
    }

    /** A stand-in for the Maven wrapper beside a {@link #launcherCopy}: the shell script {@code script}. */
    private static void standInMaven(Path dir, String script) throws IOException {
        Files.writeString(dir.resolve("mvnw"), script);
        dir.resolve("mvnw").toFile().setExecutable(true);
    }

    private static Result launch(String... args) throws IOException, InterruptedException {
        return launch(ROOT.resolve("aio4j"), Map.of("JAVA_HOME", System.getProperty("java.home")), args);
    }

    /** Runs the launcher {@code script} (a copy of ./aio4j, in a directory set up by the test) with {@code args}. */
    private static Result launch(Path script, String... args) throws IOException, InterruptedException {
        // TMPDIR: where a failed build keeps Maven's output; the copy's directory, which the test deletes
        return launch(script, Map.of("JAVA_HOME", System.getProperty("java.home"), "TMPDIR",
                script.getParent().toString()), args);
    }

    /** As {@link #launch(Path, String...)}, with {@code environment} set. */
    private static Result launch(Path script, Map<String, String> environment, String... args)
            throws IOException, InterruptedException {
        var command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process p = builder.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // a few lines each
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out, err);
    }

    @Test
    void anOptionBeforeTheCommandIsSaidToComeAfterIt() throws Exception {
        Result r = launch("--scale", "2", "recipe", "basic");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("aio4j: '--scale' comes after the command, e.g. ./aio4j recipe NAME --scale 0.05"
                + " (./aio4j help shows them)\n");
    }

    /**
     * A build stopped by Ctrl-C (Maven exits with status 130) or a SIGTERM (143) has not failed: it was said to have,
     * with a hint about javac's warnings, and exit status 1. The launcher is copied next to a stand-in for the Maven
     * wrapper that exits as Maven would.
     */
    @Test
    void aBuildThatIsStoppedIsNotSaidToHaveFailed(@TempDir Path dir) throws Exception {
        Path script = launcherCopy(dir);
        for (int status : List.of(130, 143)) {
            standInMaven(dir, "#!/bin/sh\nexit " + status + "\n");
            Result r = launch(script, "build");
            assertThat(r.status()).as("Maven's %d", status).isEqualTo(status);
            assertThat(r.err()).as("Maven's %d", status).isEmpty();
        }
        standInMaven(dir, "#!/bin/sh\nexit 1\n"); // a build that failed still says so
        Result failed = launch(script, "build");
        assertThat(failed.status()).isEqualTo(1);
        assertThat(failed.err()).startsWith("aio4j: the build failed");
    }

    /**
     * A first {@code ./aio4j recipe} builds for minutes (2m45s on this shared machine) and said only "building (first
     * run or sources changed)...": Maven ran with {@code -q}, so nothing moved until the recipe ran or the build failed,
     * and it built every module, the benchmarks (a quarter of the build) and others no recipe uses included. It now
     * builds the cookbook and what it depends on, and names each module as Maven starts it. The launcher is copied
     * next to a stand-in for the Maven wrapper that records its arguments and prints what Maven prints.
     */
    @Test
    void theFirstBuildOfARecipeNamesEachModuleAndBuildsOnlyWhatTheCookbookUses(@TempDir Path dir) throws Exception {
        Path script = launcherCopy(dir);
        standInMaven(dir, """
                #!/bin/sh
                echo "$@" > mvnw.args
                echo '[INFO] Scanning for projects...'
                echo '[INFO] ---------------------< org.aio4j:aio4j-core >----------------------'
                echo '[INFO] Building aio4j core 0.1.0-SNAPSHOT                                 [2/6]'
                echo '[INFO] Building jar: /somewhere/aio4j-core/target/aio4j-core-0.1.0-SNAPSHOT.jar'
                echo '[INFO] Building aio4j cookbook 0.1.0-SNAPSHOT                             [6/6]'
                mkdir -p aio4j-cookbook/target
                """);
        Result r = launch(script, "recipe", "list"); // no classes to run here: only the build is looked at
        assertThat(Files.readString(dir.resolve("mvnw.args")).strip().split(" "))
                .containsSubsequence("-pl", "aio4j-cookbook", "-am").contains("package", "-DskipTests")
                .doesNotContain("-q");
        assertThat(r.err()).startsWith("aio4j: building (first run or sources changed)...\n"
                + "aio4j: building aio4j core [2/6]\n"
                + "aio4j: building aio4j cookbook [6/6]\n");
        assertThat(r.out()).doesNotContain("[INFO]");
    }

    /**
     * {@code ./aio4j}, {@code ./aio4j help}, {@code -h} or {@code --help}, a newcomer's first command, built every
     * module before it printed its usage (minutes on a fresh clone, and nothing at all if the build failed). The usage
     * is printed as the cookbook prints it, with nothing built: here in a copy of the launcher beside the usage file
     * alone, with a Maven wrapper that fails, and no jar.
     */
    @Test
    void helpIsPrintedWithoutBuildingAnything(@TempDir Path dir) throws Exception {
        Path script = launcherCopy(dir);
        Path usage = Path.of("aio4j-cookbook/src/main/resources/org/aio4j/cookbook/usage.txt");
        Files.createDirectories(dir.resolve(usage).getParent());
        Files.copy(ROOT.resolve(usage), dir.resolve(usage));
        standInMaven(dir, "#!/bin/sh\necho built > built\nexit 1\n");
        for (List<String> args : List.of(List.<String>of(), List.of("help"), List.of("-h"), List.of("--help"),
                List.of("help", "recipe"), List.of("recipe", "--help"), List.of("recipe", "basic", "-h"),
                List.of("-h", "recipe", "basic"))) {
            Result r = launch(script, args.toArray(String[]::new));
            assertThat(r.status()).as("%s", args).isZero();
            assertThat(r.err()).as("%s", args).isEmpty();
            assertThat(r.out()).as("%s", args).isEqualTo(Main.usage() + "\n");
        }
        assertThat(dir.resolve("built")).as("Maven's run").doesNotExist();
    }

    /**
     * A failed build said only "the build failed" and where the warnings might be found, since {@code -q} hid them:
     * the messages that say what failed (Maven's errors, javac's warnings when {@code -Werror} fails the build) are
     * shown, Maven's other lines are not, and the whole output is kept in a file that is named.
     */
    @Test
    void aFailedBuildShowsMavensErrorsAndWarningsAndKeepsItsWholeOutput(@TempDir Path dir) throws Exception {
        Path script = launcherCopy(dir);
        standInMaven(dir, """
                #!/bin/sh
                echo '[INFO] Building aio4j core 0.1.0-SNAPSHOT                                 [2/9]'
                echo '[INFO] Compiling 90 source files with javac [debug release 25] to target/classes'
                echo '[WARNING] /src/Foo.java:[3,8] no comment'
                echo '[ERROR] warnings found and -Werror specified'
                exit 1
                """);
        Result r = launch(script, "build");
        assertThat(r.status()).isEqualTo(1);
        List<String> lines = r.err().lines().toList();
        assertThat(lines).startsWith("aio4j: building aio4j core [2/9]", "aio4j: the build failed:",
                "[WARNING] /src/Foo.java:[3,8] no comment", "[ERROR] warnings found and -Werror specified");
        assertThat(lines).hasSize(5).last().asString().startsWith("aio4j: Maven's whole output is in ");
        Path log = Path.of(lines.getLast().substring("aio4j: Maven's whole output is in ".length()));
        assertThat(log.getParent()).isEqualTo(dir); // $TMPDIR
        assertThat(Files.readString(log)).contains("[INFO] Compiling 90 source files");
    }

    /**
     * A build that Ctrl-C or a SIGTERM stops stops the launcher too (the signal goes to the whole process group): the
     * file that keeps Maven's output, for a build that fails, was left behind, one per stopped build. The stand-in
     * for the Maven wrapper sends the signal to the launcher, its parent, as the terminal would, and exits as Maven
     * does.
     */
    @Test
    void aBuildStoppedByASignalLeavesNoFileBehind(@TempDir Path dir) throws Exception {
        Path script = launcherCopy(dir);
        for (String signal : List.of("INT", "TERM")) {
            int status = signal.equals("INT") ? 130 : 143;
            standInMaven(dir, "#!/bin/sh\necho '[INFO] Scanning for projects...'\nkill -"
                    + signal + " $PPID\nexit " + status + "\n");
            Result r = launch(script, "build");
            assertThat(r.status()).as(signal).isEqualTo(status);
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(f -> f.getFileName().toString())).as(signal)
                        .containsExactlyInAnyOrder("aio4j", "mvnw");
            }
        }
    }

    /**
     * With no JDK 25 to be found, the launcher says what it did find: a Java 25 runtime without javac (a JRE, as in
     * Debian's {@code openjdk-25-jre-headless} or a {@code -jre} Docker image) was not named, and a JAVA_HOME of such
     * a runtime was said to be "Java 25" right after "found none"; a Java 8 JAVA_HOME was said to be "Java 1" (its
     * {@code java.specification.version} is 1.8). The launcher is copied with the places it searches replaced by a
     * directory of stand-in installs, whose {@code java} prints the version line as a real one does; the runtime's
     * {@code bin} comes first on PATH, where the launcher looks too.
     */
    @Test
    void withNoJdk25TheLauncherNamesTheRuntimesWithoutJavacAndJava8AsSuch(@TempDir Path dir) throws Exception {
        String launcher = Files.readString(ROOT.resolve("aio4j"));
        Path installs = Files.createDirectories(dir.resolve("jvm"));
        String searched = "\"${jdk_dirs[@]}\"";
        assertThat(launcher).as("the launcher's list of places to search").contains(searched);
        Path script = Files.writeString(dir.resolve("aio4j"),
                launcher.replace(searched, "\"" + installs + "\"/*/"));
        Path jre25 = fakeJava(installs.resolve("jre-25"), "25", false);
        Path jdk8 = fakeJava(installs.resolve("jdk-8"), "1.8", true);
        // The java on PATH is searched too: the runtime's, so that no JDK 25 of this machine's PATH is found.
        String path = jre25.resolve("bin") + ":" + System.getenv("PATH");

        Result r = launch(script, Map.of("JAVA_HOME", jdk8.toString(), "PATH", path), "recipe", "list");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("aio4j needs a JDK 25 or newer, and found none.\n")
                .contains("JAVA_HOME is Java 8.\n")
                .contains("Found Java 25 without javac (a runtime, not a JDK; aio4j compiles its modules) in " + jre25
                        + ".\n")
                .doesNotContain("Java 1.");

        Result onlyARuntime = launch(script, Map.of("JAVA_HOME", jre25.toString(), "PATH", path), "recipe", "list");
        assertThat(onlyARuntime.status()).isEqualTo(1);
        assertThat(onlyARuntime.err()).contains("JAVA_HOME is Java 25 without javac (a runtime, not a JDK;"
                + " aio4j compiles its modules).\n").doesNotContain("JAVA_HOME is Java 25.\n")
                .doesNotContain("Found Java 25 without javac"); // named once, as JAVA_HOME
    }

    /** A stand-in install at {@code home}: a {@code bin/java} that reports {@code version}, and a javac if asked. */
    private static Path fakeJava(Path home, String version, boolean withJavac) throws IOException {
        Path bin = Files.createDirectories(home.resolve("bin"));
        String java = "#!/bin/sh\necho '    java.specification.version = " + version + "' >&2\n";
        Files.writeString(bin.resolve("java"), java);
        bin.resolve("java").toFile().setExecutable(true);
        if (withJavac) {
            Files.writeString(bin.resolve("javac"), "#!/bin/sh\nexit 0\n");
            bin.resolve("javac").toFile().setExecutable(true);
        }
        return home;
    }

    @Test
    void buildAndTestAnswerHelpThemselvesInsteadOfPassingItToMaven() throws Exception {
        for (String help : List.of("--help", "-h")) {
            Result build = launch("build", help);
            assertThat(build.status()).as("build " + help).isZero();
            assertThat(build.out()).startsWith("usage: ./aio4j build [maven args]").doesNotContain("usage: mvn");
            Result test = launch("test", help);
            assertThat(test.status()).as("test " + help).isZero();
            assertThat(test.out()).startsWith("usage: ./aio4j test [maven args]").doesNotContain("usage: mvn");
        }
    }

    /**
     * A module's tests with {@code -pl} alone run against its dependencies as last installed in ~/.m2 (stale, or
     * missing on a fresh machine), and {@code -Dtest} with {@code -am} fails on the modules without such a test: the
     * help showed only aio4j-core, which depends on nothing.
     */
    @Test
    void testHelpShowsHowToTestAModuleThatDependsOnOthers() throws Exception {
        Result test = launch("test", "--help");
        assertThat(test.status()).isZero();
        assertThat(test.out()).contains("./aio4j test -pl aio4j-cookbook -am -Dtest=MainTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false");
    }

    @Test
    void helpFollowedByACommandGivesThatCommandsHelp() throws Exception {
        // It was "unexpected argument" with exit status 2: help took no command.
        Result build = launch("help", "build");
        assertThat(build.status()).isZero();
        assertThat(build.out()).startsWith("usage: ./aio4j build [maven args]");
        Result test = launch("help", "test");
        assertThat(test.status()).isZero();
        assertThat(test.out()).startsWith("usage: ./aio4j test [maven args]");
        Result unknown = launch("help", "frobnicate");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("aio4j: unknown command 'frobnicate'");
    }
}
