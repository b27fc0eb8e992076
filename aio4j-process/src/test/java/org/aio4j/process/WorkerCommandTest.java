package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which executable starts the workers: the runtime's {@code java}, not whatever launched this process; and how their
 * class path gets to them.
 */
class WorkerCommandTest {

    private static Path executable(Path file) throws Exception {
        Files.createDirectories(file.getParent());
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        return file;
    }

    @Test
    void theRuntimesJavaIsPreferredToANativeLauncherThatStartedThisProcess(@TempDir Path home) throws Exception {
        // Under jpackage or a JNI-embedded JVM the process's command is the application's launcher, which would take
        // the worker's JVM options and main class as its own arguments.
        Path java = executable(home.resolve("bin/java"));
        assertThat(ProcessPool.javaExecutable(home, Optional.of("/opt/myapp/bin/MyApp"))).isEqualTo(java.toString());
    }

    @Test
    void withoutBinJavaInTheRuntimeTheProcessesOwnJavaIsUsed(@TempDir Path home) throws Exception {
        // A runtime image made with jlink --strip-native-commands has no bin/java.
        assertThat(ProcessPool.javaExecutable(home, Optional.of("/usr/lib/jvm/other/bin/java")))
                .isEqualTo("/usr/lib/jvm/other/bin/java");
    }

    @Test
    void withNeitherTheMissingBinJavaIsNamedSoThatTheFailedStartSaysWhatIsMissing(@TempDir Path home) {
        assertThat(ProcessPool.javaExecutable(home, Optional.of("/opt/myapp/bin/MyApp")))
                .isEqualTo(home.resolve("bin/java").toString());
        assertThat(ProcessPool.javaExecutable(home, Optional.empty())).isEqualTo(home.resolve("bin/java").toString());
    }

    @Test
    void thisJvmsWorkersRunTheRuntimesJava() {
        Path expected = Path.of(System.getProperty("java.home"), "bin", "java");
        assertThat(ProcessPool.javaExecutable(Path.of(System.getProperty("java.home")),
                ProcessHandle.current().info().command())).isEqualTo(expected.toString());
    }

    @Test
    void aClassPathTooLongForACommandLineReachesTheWorkersInAnArgumentFile(@TempDir Path dir) throws Exception {
        // Passed with -cp, it failed every worker's start: "error: 7 (Argument list too long)", Linux refusing any
        // argument over 128 KiB. A parent started with such a class path (java @argfile, as IDEs and build tools
        // start one) could run no remote call.
        String original = System.getProperty("java.class.path");
        Path odd = Files.createDirectories(dir.resolve("a dir with \"quotes\", a \\ and spaces"));
        String longClassPath = original + File.pathSeparator + odd + File.pathSeparator + IntStream.range(0, 3000)
                .mapToObj(i -> dir.resolve("lib/no-such-library-" + i + ".jar").toString())
                .collect(Collectors.joining(File.pathSeparator));
        assertThat(longClassPath.length()).isGreaterThan(128 << 10);
        System.setProperty("java.class.path", longClassPath);
        List<String> arguments;
        try (var pool = ProcessPool.builder().workers(1).build()) {
            assertThat(pool.remote(() -> System.getProperty("java.class.path")).call()).isEqualTo(longClassPath);
            arguments = pool.remote(() -> List.of(ProcessHandle.current().info().arguments().orElseThrow())).call();
        } finally {
            System.setProperty("java.class.path", original);
        }
        assertThat(arguments).doesNotContain("-cp").filteredOn(a -> a.startsWith("@")).singleElement()
                .satisfies(file -> assertThat(Path.of(file.substring(1))).as("deleted once the pool terminated")
                        .doesNotExist());
    }
}
