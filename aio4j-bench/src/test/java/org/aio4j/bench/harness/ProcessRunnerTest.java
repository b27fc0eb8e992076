package org.aio4j.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.aio4j.bench.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the harness runs a peer's process, and stops doing so when it exits. */
class ProcessRunnerTest {

    /** A peer whose process only creates {@code marker}: whether the file exists says whether it was started. */
    private static Peer touching(Path marker) {
        return new Peer("toucher", "touches a file", List.of("bash", "-c", "touch \"$0\"", marker.toString()),
                EnumSet.allOf(Workload.class), false, null);
    }

    /**
     * Ctrl-C reaches a peer's process and the harness together: the harness, seeing its process end with status 130,
     * started the next peer's after its shutdown hook had killed the processes it knew, and that one ran on, alone,
     * after the harness had exited. Once stopped, the runner starts nothing.
     */
    @Test
    void aStoppedRunnerStartsNoMoreProcesses(@TempDir Path dir) {
        assumeTrue(Files.isExecutable(Path.of(ProcessRunner.TIME)), "needs /usr/bin/time");
        Path started = dir.resolve("started");
        new ProcessRunner(Duration.ofMinutes(1)).run(touching(started), Workload.SWITCH, 1, 1);
        assertThat(started).as("the peer's process, run by a runner not stopped").exists();

        var runner = new ProcessRunner(Duration.ofMinutes(1));
        runner.stop();
        Path after = dir.resolve("after-stop");
        ProcessResult r = runner.run(touching(after), Workload.SWITCH, 1, 1);
        assertThat(after).doesNotExist();
        assertThat(r.error()).isEqualTo("not started: the harness is stopping");
    }

    /**
     * Ctrl-C ends the harness's JVM while a peer's process runs: the run's own cleanup never comes, and its three
     * output files were left in /tmp, one set per interrupted run. The runner's stop (its shutdown hook) deletes them.
     */
    @Test
    void stoppingTheRunnerDeletesTheFilesOfTheRunUnderWay(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(ProcessRunner.TIME)), "needs /usr/bin/time");
        Path scratch = Files.createDirectory(dir.resolve("scratch"));
        Path signals = Files.createDirectory(dir.resolve("signals"));
        var waiting = new Peer("waiting", "waits to be killed",
                List.of("bash", "-c", "touch \"$0\"; exec cat", signals.resolve("started").toString()),
                EnumSet.allOf(Workload.class), false, null);
        var runner = new ProcessRunner(Duration.ofMinutes(1), scratch);
        try (WatchService watch = dir.getFileSystem().newWatchService()) {
            signals.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            Thread run = Thread.ofPlatform().start(() -> runner.run(waiting, Workload.SWITCH, 1, 1));
            watch.take(); // the process has started: its run's files exist
            try (var made = Files.list(scratch)) {
                assertThat(made.map(p -> p.getFileName().toString()))
                        .hasSize(3).allMatch(name -> name.startsWith("aio4j-bench-"));
            }
            runner.stop(); // as the shutdown hook does: the JVM would exit next, before the run's finally
            try (var left = Files.list(scratch)) {
                assertThat(left).as("files left by the stopped run").isEmpty();
            }
            run.join();
        }
    }

    /** It read 'FAILED: exit status 137: ', the colon introducing nothing, for a process killed before it printed. */
    @Test
    void aProcessThatFailsSilentlyIsSaidToHaveFailedWithNothingAfterItsStatus() {
        assumeTrue(Files.isExecutable(Path.of(ProcessRunner.TIME)), "needs /usr/bin/time");
        var silent = new Peer("silent", "exits with 3", List.of("bash", "-c", "exit 3"), EnumSet.allOf(Workload.class),
                false, null);
        assertThat(new ProcessRunner(Duration.ofMinutes(1)).run(silent, Workload.SWITCH, 1, 1).error())
                .isEqualTo("exit status 3");
        var saying = new Peer("saying", "says why", List.of("bash", "-c", "echo no python >&2; exit 3"),
                EnumSet.allOf(Workload.class), false, null);
        assertThat(new ProcessRunner(Duration.ofMinutes(1)).run(saying, Workload.SWITCH, 1, 1).error())
                .isEqualTo("exit status 3: no python");
    }
}
