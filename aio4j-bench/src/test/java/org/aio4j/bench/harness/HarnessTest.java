package org.aio4j.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
        String report = "# Benchmarks\n" + MarkdownReport.NOTES_MARKER + "\nnotes kept by the next run\n";
        Path md = Files.writeString(out.resolve("benchmarks.md"), report);
        assertThat(Harness.cannotWrite(out)).isNull();
        assertThat(md).hasContent(report);
    }

    @Test
    void anOutputDirectoryUnderAFileIsRefusedWithTheSystemsReason(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "");
        assertThat(Harness.cannotWrite(file)).isEqualTo("cannot write the results to '" + file
                + "': it exists and is not a directory");
        assertThat(Harness.cannotWrite(file.resolve("out"))).isEqualTo("cannot write the results to '"
                + file.resolve("out") + "': Not a directory");
    }

    private static BenchRun emptyRun(Path out) {
        Options options = Options.parse(List.of("--workloads", "switch", "--out", out.toString()));
        var machine = new MachineInfo(2, "Test CPU", "1.0 GiB", "Test OS", "6.0", "Test JDK 25");
        return new BenchRun("2026-01-01T00:00:00Z", options, machine, List.of(), List.of(), List.of());
    }

    /**
     * The results were written over the last ones in place (truncated, then written): a run killed or a disk filled
     * meanwhile left docs/benchmarks.md cut short, its hand-written notes with it, and a reader could see half a file.
     * Each file is now written whole beside the old one and moved over it: a new file, never a rewritten one.
     */
    @Test
    void theResultsReplaceTheLastOnesWholeAndKeepTheNotes(@TempDir Path dir) throws Exception {
        BenchRun run = emptyRun(dir);
        Harness.write(run, dir);
        Path md = dir.resolve("benchmarks.md");
        Files.writeString(md, Files.readString(md) + "My analysis.\n");
        Object mdBefore = Files.getAttribute(md, "unix:ino");
        Object jsonBefore = Files.getAttribute(dir.resolve("benchmarks.json"), "unix:ino");
        Harness.write(run, dir);
        assertThat(Files.getAttribute(md, "unix:ino")).as("benchmarks.md replaced, not rewritten").isNotEqualTo(
                mdBefore);
        assertThat(Files.getAttribute(dir.resolve("benchmarks.json"), "unix:ino")).isNotEqualTo(jsonBefore);
        assertThat(Files.readString(md)).endsWith(MarkdownReport.NOTES_MARKER + "\nMy analysis.\n");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("benchmarks.md",
                    "benchmarks.json");
        }
    }

    /** A report replaced by a temporary file must not become private (rw-------) as temporary files are. */
    @Test
    void theReplacedResultsKeepTheirPermissions(@TempDir Path dir) throws Exception {
        BenchRun run = emptyRun(dir);
        Harness.write(run, dir);
        Path md = dir.resolve("benchmarks.md");
        Files.setPosixFilePermissions(md, PosixFilePermissions.fromString("rw-rw-r--"));
        Harness.write(run, dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(md))).isEqualTo("rw-rw-r--");
    }

    /**
     * The notes are what follows the marker line; a benchmarks.md without it (the line deleted by hand, or another
     * tool's file) was replaced whole after the run, its text lost. It is refused before anything is measured.
     */
    @Test
    void aReportWithoutTheNotesMarkerIsNotWrittenOver(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("benchmarks.md"), "# Benchmarks\n\n## Notes (written by hand)\n\nMine.\n");
        assertThat(Harness.cannotWrite(dir)).isEqualTo("cannot write the results to '" + dir + "': its benchmarks.md"
                + " has no line '" + MarkdownReport.NOTES_MARKER + "', so the text written by hand in it would be lost;"
                + " put that line above the notes, or move the file away");
        Files.writeString(dir.resolve("benchmarks.md"), "");
        assertThat(Harness.cannotWrite(dir)).isNull();
    }

    /** Permissions do not show it (root may write anywhere): the files are opened for writing. */
    @Test
    void anOutputDirectoryOnAFileSystemThatRefusesFilesIsRefused() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux's /proc");
        assertThat(Harness.cannotWrite(Path.of("/proc/self"))).startsWith("cannot write the results to '/proc/self'"
                + " (benchmarks.json): ");
    }
}
