package org.aio4j.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.aio4j.bench.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the harness checks before it measures anything: a full run takes an hour, and its results are written over the
 * last ones.
 */
class HarnessTest {

    private static Peer peer(String name, Set<Workload> workloads) {
        return new Peer(name, name + " label", List.of("run-" + name), workloads, false, null);
    }

    @Test
    void peersThatMeasureNoneOfTheWorkloadsAreRefusedBeforeAnEmptyReportIsWritten() {
        Peer kotlin = peer("kotlin", EnumSet.complementOf(EnumSet.of(Workload.CALL_SOON)));
        Peer vthreads = peer("vthreads", EnumSet.complementOf(EnumSet.of(Workload.CALL_SOON)));
        Peer cpython = peer("cpython", EnumSet.allOf(Workload.class)).withUnavailable("no python3 found");
        Peer uvloop = peer("uvloop", EnumSet.allOf(Workload.class)).withUnavailable("uvloop is not installed");
        assertThat(Harness.nothingToMeasure(List.of(kotlin, vthreads), List.of(Workload.CALL_SOON)))
                .isEqualTo("nothing to measure: kotlin, vthreads have no implementation of call-soon");
        assertThat(Harness.nothingToMeasure(List.of(cpython), List.of(Workload.SWITCH)))
                .isEqualTo("nothing to measure: cpython cannot run here");
        assertThat(Harness.nothingToMeasure(List.of(cpython, uvloop), List.of(Workload.SWITCH)))
                .isEqualTo("nothing to measure: none of cpython, uvloop can run here");
        assertThat(Harness.nothingToMeasure(List.of(cpython, kotlin), List.of(Workload.CALL_SOON)))
                .isEqualTo("nothing to measure: kotlin has no implementation of call-soon");
        assertThat(Harness.nothingToMeasure(List.of(cpython, kotlin), List.of(Workload.CALL_SOON, Workload.SWITCH)))
                .isNull();
    }

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
