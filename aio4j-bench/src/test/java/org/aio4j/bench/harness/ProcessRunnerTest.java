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
import org.aio4j.bench.WorkloadMain;
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

    /**
     * A JVM peer that failed inside a workload was reported as "exit status 1: at java.base/...Continuation.enter0 |
     * at ... | at ...": the last lines of its stack trace, the exception's message far above them. The peer now ends
     * what it prints with an {@code error:} line, which is what the report shows.
     */
    @Test
    void aJvmPeerThatFailsInsideAWorkloadIsReportedByItsException() {
        assumeTrue(Files.isExecutable(Path.of(ProcessRunner.TIME)), "needs /usr/bin/time");
        String java = ProcessHandle.current().info().command().orElseThrow();
        // Two billion tasks' list in a 64 MiB heap: an OutOfMemoryError at once, inside the loop's main task.
        var starved = new Peer("starved", "aio4j in a small heap", List.of(java, "-Xmx64m",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                WorkloadMain.class.getName(), "aio4j"), EnumSet.allOf(Workload.class), false, null);
        assertThat(new ProcessRunner(Duration.ofMinutes(1)).run(starved, Workload.SPAWN_GATHER, 2_000_000_000, 1)
                .error()).isEqualTo("exit status 1: java.lang.OutOfMemoryError: Java heap space");
    }

    /** The same for a CPython peer: its last line, not the traceback's last frames. */
    @Test
    void aCPythonPeerThatFailsInsideAWorkloadIsReportedByItsException() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(ProcessRunner.TIME)), "needs /usr/bin/time");
        String script = Path.of(getClass().getResource("/asyncio_workloads.py").toURI()).toString();
        // The script run as the harness runs it, with an asyncio.sleep that never yields: spawn-gather catches it.
        String program = "import asyncio, runpy, sys\n"
                + "async def no_yield(delay, result=None):\n    return result\n"
                + "asyncio.sleep = no_yield\n"
                + "sys.argv = sys.argv[1:]\n"
                + "runpy.run_path(sys.argv[0], run_name='__main__')\n";
        var cheating = new Peer("cheating", "a sleep(0) that does not suspend",
                List.of("python3", "-c", program, script, "asyncio"), EnumSet.allOf(Workload.class), true, null);
        assertThat(new ProcessRunner(Duration.ofMinutes(1)).run(cheating, Workload.SPAWN_GATHER, 10, 1).error())
                .isEqualTo("exit status 1: RuntimeError: task 0 resumed before all 10 tasks had started: its sleep(0)"
                        + " did not suspend it");
    }
}
