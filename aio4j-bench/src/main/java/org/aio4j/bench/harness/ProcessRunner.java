package org.aio4j.bench.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.aio4j.bench.Workload;
import org.aio4j.bench.WorkloadMain;

/**
 * Starts one peer process under {@code /usr/bin/time -f "%M %e"}, which reports the peak resident set (KiB) and the
 * wall time of the whole process once it has ended, and turns what it printed into a {@link ProcessResult}.
 */
final class ProcessRunner {

    static final String TIME = "/usr/bin/time";

    private final Duration timeout;
    /** Where the files a run redirects its process's output to are made. */
    private final Path scratch;
    private final Object lock = new Object();
    private boolean stopped; // guarded by lock
    /** The files of the runs under way, which {@link #stop} deletes: a run's own cleanup never comes on Ctrl-C. */
    private final Set<Path> files = new HashSet<>(); // guarded by lock

    ProcessRunner(Duration timeout) {
        this(timeout, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** For tests: a runner that makes its files in {@code scratch}. */
    ProcessRunner(Duration timeout, Path scratch) {
        this.timeout = timeout;
        this.scratch = scratch;
    }

    /**
     * Kills the processes started so far, with theirs, and makes every later {@link #run} fail without starting one:
     * the harness's shutdown hook calls it (Ctrl-C), since its main thread, seeing its process end, would go on to
     * start the next one, and leave it running once the JVM has exited. Deletes the files of the runs under way,
     * which those runs, cut short by the JVM's exit, would leave behind.
     */
    void stop() {
        List<Path> left;
        synchronized (lock) { // a process being started is started, and among the descendants, when this gets it
            stopped = true;
            left = List.copyOf(files);
            files.clear();
        }
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
        left.forEach(ProcessRunner::delete);
    }

    ProcessResult run(Peer peer, Workload workload, int n, int runs) {
        Path timeFile = null;
        Path out = null;
        Path err = null;
        try {
            timeFile = scratchFile("aio4j-bench-time");
            out = scratchFile("aio4j-bench-out");
            err = scratchFile("aio4j-bench-err");
            List<String> command = new ArrayList<>(List.of(TIME, "-f", "%M %e", "-o", timeFile.toString()));
            command.addAll(peer.commandFor(workload, n, runs));
            Process p;
            synchronized (lock) {
                if (stopped) {
                    return ProcessResult.failed("not started: the harness is stopping");
                }
                p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
                return ProcessResult.failed("timed out after " + timeout.toMinutes() + " min");
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                String said = failure(err);
                return ProcessResult.failed("exit status " + p.exitValue() + (said.isBlank() ? "" : ": " + said));
            }
            String[] time = lastLines(timeFile, 1).strip().split(" ");
            return ProcessResult.parse(stdout, runs, workload.answer(n), Long.parseLong(time[0]),
                    Double.parseDouble(time[1]));
        } catch (IOException | RuntimeException e) {
            return ProcessResult.failed("could not run " + peer.name() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ProcessResult.failed("interrupted");
        } finally {
            for (Path file : new Path[] {timeFile, out, err}) {
                if (file != null) {
                    synchronized (lock) {
                        files.remove(file);
                    }
                    delete(file);
                }
            }
        }
    }

    /** A new file of this runner's, deleted by the run that made it or by {@link #stop}. */
    private Path scratchFile(String prefix) throws IOException {
        Path file = Files.createTempFile(scratch, prefix, ".txt");
        synchronized (lock) {
            files.add(file);
        }
        return file;
    }

    /**
     * What a failed process said about why: its last {@code error:} line (see {@link WorkloadMain#ERROR_PREFIX}) if
     * it printed one, without the stack trace above it; else its last lines (a JVM that did not start, a usage error).
     */
    private static String failure(Path err) throws IOException {
        List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(WorkloadMain.ERROR_PREFIX)) {
                return lines.get(i).substring(WorkloadMain.ERROR_PREFIX.length());
            }
        }
        return lastLines(err, 6);
    }

    private static String lastLines(Path file, int count) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temporary file left behind is harmless
        }
    }
}
