package org.aio4j.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the harness checks before it measures anything: a full run takes an hour, its results are written last. */
class HarnessTest {

    @Test
    void anOutputDirectoryThatCanBeWrittenIsLeftAsItWas(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("results").resolve("today");
        assertThat(Harness.cannotWrite(out)).isNull();
        assertThat(dir).isEmptyDirectory();
        Files.createDirectories(out);
        Path md = Files.writeString(out.resolve("benchmarks.md"), "notes kept by the next run");
        assertThat(Harness.cannotWrite(out)).isNull();
        assertThat(md).hasContent("notes kept by the next run");
    }

    @Test
    void anOutputDirectoryUnderAFileIsRefusedWithTheSystemsReason(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "");
        assertThat(Harness.cannotWrite(file)).isEqualTo("cannot write the results to '" + file
                + "': it exists and is not a directory");
        assertThat(Harness.cannotWrite(file.resolve("out"))).isEqualTo("cannot write the results to '"
                + file.resolve("out") + "': Not a directory");
    }

    /** Permissions do not show it (root may write anywhere): the files are opened for writing. */
    @Test
    void anOutputDirectoryOnAFileSystemThatRefusesFilesIsRefused() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux's /proc");
        assertThat(Harness.cannotWrite(Path.of("/proc/self"))).startsWith("cannot write the results to '/proc/self'"
                + " (benchmarks.json): ");
    }
}
