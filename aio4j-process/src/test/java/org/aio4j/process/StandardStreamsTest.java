package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever a task, native code or a subprocess does with the worker's standard streams stays out of the pool's calls:
 * a worker's standard input is empty, and what it writes to its standard output is logged as its standard error is.
 */
class StandardStreamsTest {

    /** Waits for {@code call}: a guard against a hang, not a timing. */
    private static <T> T await(Future<T> call) throws Exception {
        return call.get(1, TimeUnit.MINUTES);
    }

    /**
     * Runs {@code task} in a worker of its own, which must return {@code expected}, log {@code line} as the worker's
     * and serve the next call.
     */
    private static void assertLoggedAndTheWorkerServesOn(SerializableCallable<?> task, Object expected, String line)
            throws Exception {
        try (var log = new WorkerLog(); var single = ProcessPool.builder().workers(1).build()) {
            long pid = single.remote(WorkerTasks::pid).call();
            assertThat(single.remote(task).call()).isEqualTo(expected);
            assertThat(log.await(line)).isEqualTo("worker 1 (pid " + pid + "): " + line);
            assertThat(single.remote(WorkerTasks::pid).call()).isEqualTo(pid);
        }
    }

    @Test
    void aSubprocessWritingToTheInheritedStandardOutputIsLoggedAndTheCallReturns() throws Exception {
        // Its output went into the stream of the pool's frames: the call failed with a protocol error, and the worker
        // was killed.
        assertLoggedAndTheWorkerServesOn(() -> WorkerTasks.echoToInheritedOutput("hello, pipe"), 0, "hello, pipe");
    }

    @Test
    void aTaskWritingToFileDescriptor1ItselfIsLoggedAndTheCallReturns() throws Exception {
        // As with a subprocess: a protocol error, the worker killed.
        assertLoggedAndTheWorkerServesOn(() -> WorkerTasks.writeToFileDescriptorOut("from fd 1\n"), 10, "from fd 1");
    }

    @Test
    void nativeCodeWritingToFileDescriptor1IsLoggedAndTheCallReturns() throws Exception {
        assertLoggedAndTheWorkerServesOn(() -> WorkerTasks.writeNatively("from C\n"), 7L, "from C");
    }

    /**
     * Runs {@code task} in a worker of its own, which must return {@code expected} and serve the next call; waits
     * for each call with {@link #await}, since it hung where the worker's standard input carried the pool's frames.
     */
    private static void assertReturnsAndTheWorkerServesOn(SerializableCallable<?> task, Object expected)
            throws Exception {
        var single = ProcessPool.builder().workers(1).build();
        try {
            long pid = await(single.submit(WorkerTasks::pid));
            assertThat(await(single.submit(task))).isEqualTo(expected);
            assertThat(await(single.submit(WorkerTasks::pid))).isEqualTo(pid);
        } finally {
            single.shutdownNow();
        }
    }

    @Test
    void aSubprocessReadingTheInheritedStandardInputFindsItEmptyAndTheCallReturns() throws Exception {
        // The worker's standard input carried the pool's frames: wc waited for its end, which never came while the
        // worker lived, so the call hung; and a frame sent meanwhile (a CANCEL) went to wc, not to the worker.
        assertReturnsAndTheWorkerServesOn(WorkerTasks::countInheritedInput, "0");
    }

    @Test
    void aTaskReadingFileDescriptor0ItselfFindsItEmptyAndTheCallReturns() throws Exception {
        // It waited with the worker's reader for the pool's next frame: the call hung, and would have taken part of
        // that frame.
        assertReturnsAndTheWorkerServesOn(WorkerTasks::readFileDescriptorIn, -1);
    }

    @Test
    void aWorkerThatExitsLeavingASubprocessWithItsStreamsFailsItsCallInsteadOfWaitingForTheSubprocess(@TempDir Path dir)
            throws Exception {
        // The subprocess kept the worker's standard output open, so the pool never saw the end of the frames: the
        // call waited for the subprocess to end (an hour here) instead of failing when its worker died.
        Path pidFile = dir.resolve("sleep.pid");
        var single = ProcessPool.builder().workers(1).build();
        try {
            String file = pidFile.toString();
            Future<Integer> call = single.submit(() -> WorkerTasks.exitLeavingASubprocessWithTheStreams(file, 42));
            assertThatThrownBy(() -> await(call))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(BrokenWorkerException.class)
                    .hasMessageContaining("exit status 42");
            assertThat(await(single.submit(WorkerTasks::pid))).isPositive(); // a new worker takes over
        } finally {
            single.shutdownNow();
            if (Files.exists(pidFile)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile))).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void aLineOfMegabytesIsLoggedInPiecesAndTheFailureItPrecedesQuotesItShort() throws Exception {
        // The pool read the worker's output a line at a time, so it held a line without a break whole, however long
        // (out of memory, the output pump died, the worker blocked on its full pipe), and the message of its failure
        // quoted it whole: a megabyte here.
        int chars = 1 << 20;
        try (var log = new WorkerLog(); var single = ProcessPool.builder().workers(1).build()) {
            assertThatThrownBy(() -> single.remote(() -> WorkerTasks.printOneLongLineAndExit(chars, '!', 3)).call())
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasMessageContaining("exit status 3")
                    .hasMessageContaining("xxxx")
                    .hasMessageContaining("more characters")
                    .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(32 * 1024));
            assertThat(log.await("x!")).hasSizeLessThan(OutputLines.MAX_CHARS + 100);   // the last piece
            assertThat(single.remote(WorkerTasks::pid).call()).isPositive();   // a new worker takes over
        }
    }

    @Test
    void aJvmOptionThatLogsToStandardOutputIsLoggedAndTheWorkerServes() throws Exception {
        // The JVM's log lines were taken for the worker's first frame: the worker could not start.
        try (var log = new WorkerLog();
             var noisy = ProcessPool.builder().workers(1).jvmOptions("-XX:+UseSerialGC", "-Xlog:gc:stdout").build()) {
            long pid = noisy.remote(WorkerTasks::pid).call();
            assertThat(log.await("Using Serial")).startsWith("worker 1 (pid " + pid + "): ");
        }
    }

    @Test
    void aSubprocessLeftRunningThatWritesBetweenCallsIsLoggedAndTheNextCallRunsOnce(@TempDir Path dir)
            throws Exception {
        // Its bytes were read where the next call's frames were due: that call failed with a protocol error (it may
        // have begun, its acknowledgement behind the stray bytes, so it could not be sent again). Named pipes order
        // it: the stray bytes are written before the call is sent.
        Path go = mkfifo(dir.resolve("go"));
        Path done = mkfifo(dir.resolve("done"));
        Path journal = dir.resolve("journal");
        try (var log = new WorkerLog(); var single = ProcessPool.builder().workers(1).build()) {
            long pid = single.remote(WorkerTasks::pid).call();
            String goPipe = go.toString();
            String donePipe = done.toString();
            assertThat(single.remote(() -> WorkerTasks.leaveStrayWriter(goPipe, "stray!!!!\n", donePipe)).call())
                    .isZero();
            Files.writeString(go, "go\n");  // opening a pipe blocks until the other end is open: no sleep needed
            assertThat(Files.readString(done)).isEqualTo("done\n"); // the stray bytes were written before this
            String file = journal.toString();
            assertThat(single.remote(() -> WorkerTasks.journal(file, 1)).call()).isEqualTo(2);
            assertThat(log.await("stray!!!!")).isEqualTo("worker 1 (pid " + pid + "): stray!!!!");
            assertThat(single.remote(WorkerTasks::pid).call()).isEqualTo(pid);
        }
        assertThat(Files.readAllLines(journal)).containsExactly("1");
    }

    private static Path mkfifo(Path path) throws Exception {
        Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        assertThat(p.waitFor()).as("mkfifo exit status").isZero();
        return path;
    }
}
