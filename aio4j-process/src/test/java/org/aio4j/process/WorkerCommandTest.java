package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which executable starts the workers: the runtime's {@code java}, not whatever launched this process. */
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
}
