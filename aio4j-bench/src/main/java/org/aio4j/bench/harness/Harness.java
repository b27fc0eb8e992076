package org.aio4j.bench.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.aio4j.bench.Workload;

/**
 * The benchmark harness ({@code ./aio4j bench}): runs every workload under every peer, each measurement in fresh
 * processes, side by side in one run, and writes {@code benchmarks.json} and {@code benchmarks.md}. See
 * {@link Options#USAGE} for the command line and its exit statuses, and {@link MarkdownReport} for what the figures
 * mean.
 */
public final class Harness {

    private final Options options;
    private final ProcessRunner runner;

    private Harness(Options options) {
        this.options = options;
        this.runner = new ProcessRunner(options.timeout());
    }

    public static void main(String[] args) throws IOException {
        Options options;
        try {
            if (Options.asksForHelp(List.of(args))) {
                System.out.print(Options.USAGE);
                return;
            }
            options = Options.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        String notWritable = cannotWrite(options.out());
        if (notWritable != null) { // found now, not after the hour a full run takes
            System.err.println("bench: " + notWritable);
            System.exit(2);
        }
        String noTime = Peers.ensureTime();
        if (noTime != null) {
            System.err.println("bench: " + noTime);
            System.exit(1);
        }
        Harness harness = new Harness(options);
        List<Peer> peers;
        try {
            peers = harness.selectedPeers();
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        String nothing = nothingToMeasure(peers, options.workloads());
        if (nothing != null) { // the report would be empty, and written over the last one
            System.err.println("bench: " + nothing);
            System.exit(1);
        }
        // An interrupted run (Ctrl-C) must not leave a peer process running on a shared machine.
        Runtime.getRuntime().addShutdownHook(new Thread(harness.runner::stop, "bench-cleanup"));
        BenchRun run;
        try {
            run = harness.run(peers);
        } catch (IOException e) { // written after each workload: the directory was fine when the run began
            System.err.println("bench: cannot write the results to '" + options.out() + "': " + reason(e));
            System.exit(1);
            return;
        }
        System.err.println("bench: wrote " + options.out().resolve("benchmarks.json") + " and "
                + options.out().resolve("benchmarks.md"));
        if (run.measurements().stream().anyMatch(m -> m.error() != null)) {
            System.err.println("bench: some measurements failed; see the report");
            System.exit(1);
        }
    }

    /**
     * Why {@code peers} measure nothing of {@code workloads}, or {@code null} if one of them runs one: the peers asked
     * for cannot run here (each one's reason is printed as it is found) or have none of the workloads.
     */
    static String nothingToMeasure(List<Peer> peers, List<Workload> workloads) {
        if (peers.stream().anyMatch(p -> workloads.stream().anyMatch(p::runs))) {
            return null;
        }
        List<Peer> available = peers.stream().filter(p -> p.unavailable() == null).toList();
        if (available.isEmpty()) {
            return "nothing to measure: " + (peers.size() == 1 ? peers.getFirst().name() + " cannot"
                    : "none of " + names(peers) + " can") + " run here";
        }
        return "nothing to measure: " + names(available) + (available.size() == 1 ? " has" : " have")
                + " no implementation of " + String.join(", ", workloads.stream().map(Workload::id).toList());
    }

    private static String names(List<Peer> peers) {
        return String.join(", ", peers.stream().map(Peer::name).toList());
    }

    /**
     * Why the results cannot be written to {@code out}, or {@code null} if they can: the directory and what is missing
     * above it are created, {@code benchmarks.json} and {@code benchmarks.md} opened for writing there (which finds
     * also what permissions do not show, such as a read-only file system), and what did not exist deleted again. A
     * {@code benchmarks.md} there without the {@link MarkdownReport#NOTES_MARKER} line is refused too: the text below
     * that line is what a new report keeps of the old one, and without it all of it would be lost.
     */
    static String cannotWrite(Path out) {
        List<Path> created = new ArrayList<>(); // deepest first
        for (Path p = out.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
            created.add(p);
        }
        Path at = out;
        try {
            Files.createDirectories(out);
            for (String name : List.of("benchmarks.json", "benchmarks.md")) {
                at = out.resolve(name);
                if (Files.exists(at)) {
                    Files.newOutputStream(at, StandardOpenOption.APPEND).close(); // changes nothing
                    if (name.equals("benchmarks.md") && lacksNotesMarker(at)) {
                        return "cannot write the results to '" + out + "': its benchmarks.md has no line '"
                                + MarkdownReport.NOTES_MARKER + "', so the text written by hand in it would be lost;"
                                + " put that line above the notes, or move the file away";
                    }
                } else {
                    Files.delete(Files.createFile(at));
                }
            }
            return null;
        } catch (IOException e) {
            return "cannot write the results to '" + out + "'" + (at == out ? "" : " (" + at.getFileName() + ")")
                    + ": " + reason(e);
        } finally {
            for (Path p : created) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    break; // something else was put there meanwhile: it and what is above it stay
                }
            }
        }
    }

    private static boolean lacksNotesMarker(Path md) throws IOException {
        String text = Files.readString(md, StandardCharsets.UTF_8);
        return !text.isBlank() && !text.contains(MarkdownReport.NOTES_MARKER);
    }

    /** What the system said ("Permission denied"), not the exception's class and path. */
    private static String reason(IOException e) {
        return switch (e) {
            case FileSystemException fs when fs.getReason() != null -> fs.getReason();
            case AccessDeniedException denied -> "Permission denied";
            case NoSuchFileException missing -> "No such file or directory";
            case FileAlreadyExistsException exists -> "it exists and is not a directory";
            default -> String.valueOf(e.getMessage());
        };
    }

    /** Writes the results so far: after each workload, so that an interrupted run keeps what it measured. */
    private void write(BenchRun run) throws IOException {
        write(run, options.out());
    }

    /**
     * Writes {@code benchmarks.json} and {@code benchmarks.md} of {@code run} to {@code out}, each one whole to a new
     * file beside the old one, then moved over it: a run killed or a disk filled meanwhile leaves the last files as
     * they were (the hand-written notes of the report with them), never one cut short.
     */
    static void write(BenchRun run, Path out) throws IOException {
        Files.createDirectories(out);
        replace(out.resolve("benchmarks.json"), ResultsJson.write(run));
        Path md = out.resolve("benchmarks.md");
        String previous = Files.exists(md) ? Files.readString(md, StandardCharsets.UTF_8) : null;
        replace(md, MarkdownReport.render(run, previous));
    }

    /** Replaces {@code file} by one holding {@code text}, with the permissions it had (if new, the umask's). */
    private static void replace(Path file, String text) throws IOException {
        // Not Files.createTempFile, whose files are private (rw-------): the report is there to be read.
        Path next = file.resolveSibling("." + file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.writeString(next, text, StandardCharsets.UTF_8);
            if (Files.exists(file) && Files.getFileStore(next).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(next, Files.getPosixFilePermissions(file));
            }
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(next); // only if the move did not happen
        }
    }

    private BenchRun run(List<Peer> peers) throws IOException {
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        MachineInfo machine = MachineInfo.read();
        List<String> loads = new ArrayList<>();
        loads.add("before: " + MachineInfo.loadAverage());
        List<Measurement> measurements = new ArrayList<>();
        BenchRun run = null;
        for (Workload w : options.workloads()) {
            int n = options.sizes().get(w);
            System.err.println("bench: " + w.id() + ": " + w.describe(n));
            for (Peer p : peers) {
                if (p.runs(w)) {
                    measurements.add(measure(p, w, n));
                }
            }
            loads.add("after " + w.id() + ": " + MachineInfo.loadAverage());
            run = new BenchRun(date, options, machine, loads, peers, measurements);
            write(run);
        }
        return run;
    }

    private List<Peer> selectedPeers() {
        List<Peer> all = Peers.discover(name -> options.peers().isEmpty() || options.peers().contains(name),
                options.jvmVariants());
        for (String name : options.peers()) {
            if (all.stream().noneMatch(p -> p.name().equals(name))) {
                throw new IllegalArgumentException("unknown peer '" + name + "'; known: "
                        + all.stream().map(Peer::name).toList());
            }
        }
        List<Peer> chosen = all.stream().filter(p -> options.peers().isEmpty() || options.peers().contains(p.name()))
                .toList();
        chosen.stream().filter(p -> p.unavailable() != null)
                .forEach(p -> System.err.println("bench: " + p.name() + " not run: " + p.unavailable()));
        return chosen;
    }

    private Measurement measure(Peer peer, Workload w, int n) {
        List<ProcessResult> cold = new ArrayList<>();
        for (int i = 0; i < options.coldRuns(); i++) {
            started(peer, "cold " + (i + 1) + "/" + options.coldRuns());
            ProcessResult r = runner.run(peer, w, n, 1);
            cold.add(r);
            finished(r, r.ok() ? r.runNanos().getFirst() : 0, w, n);
            if (!r.ok()) {
                return new Measurement(w, peer.name(), n, cold, null, options.warmup());
            }
        }
        ProcessResult warm = null;
        if (options.iterations() > 0) {
            started(peer, "warm");
            warm = runner.run(peer, w, n, options.warmup() + options.iterations());
            var m = new Measurement(w, peer.name(), n, cold, warm, options.warmup());
            finished(warm, m.warmNanos().orElse(0), w, n);
        }
        return new Measurement(w, peer.name(), n, cold, warm, options.warmup());
    }

    /**
     * Names the process about to start, before it runs (a process can take minutes, or hang until the timeout: the
     * last line must say which one is running); {@link #finished} completes the line.
     */
    private static void started(Peer peer, String what) {
        System.err.printf("bench:   %-13s %-9s ", peer.name(), what);
        System.err.flush();
    }

    private static void finished(ProcessResult r, long nanos, Workload w, int n) {
        String figures = r.ok()
                ? MarkdownReport.duration(nanos) + " (" + MarkdownReport.duration((double) nanos / w.operations(n))
                  + "/" + w.unit() + "), peak RSS " + MarkdownReport.mib(java.util.OptionalLong.of(r.peakRssKiB()))
                : "FAILED: " + r.error();
        System.err.println(figures);
    }
}
