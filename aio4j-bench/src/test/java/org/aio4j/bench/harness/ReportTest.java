package org.aio4j.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.aio4j.bench.Workload;
import org.junit.jupiter.api.Test;

/** The harness's bookkeeping on made-up figures: parsing, medians, the CPython reference, targets, the files. */
class ReportTest {

    private static final int N = 1000;
    private static final long GIB_KIB = 1 << 20;

    private static Peer peer(String name, boolean reference) {
        return new Peer(name, name + " label", List.of("run-" + name), EnumSet.allOf(Workload.class), reference, null);
    }

    /**
     * A measurement whose cold processes took {@code coldNanos} and whose warm process ran {@code warmNanos}; each
     * run used half as much CPU time as elapsed time.
     */
    private static Measurement measured(Workload w, String peer, List<Long> coldNanos, long rssKiB,
                                        List<Long> warmNanos) {
        String info = "jvm=25 peer=" + peer;
        var cold = coldNanos.stream().map(n -> new ProcessResult(List.of(n), List.of(n / 2), rssKiB, 1.5, info, null))
                .toList();
        var warm = new ProcessResult(warmNanos, warmNanos.stream().map(n -> n / 2).toList(), rssKiB, 3.0, info, null);
        return new Measurement(w, peer, N, cold, warm, 1);
    }

    private static BenchRun run(List<Measurement> measurements, Peer... extra) {
        var peers = new java.util.ArrayList<>(List.of(peer("aio4j", false), peer("cpython", true),
                peer("cpython-path", true)));
        peers.addAll(List.of(extra));
        Options options = Options.parse(List.of("--workloads", "switch,spawn-gather", "--cold-runs", "3"));
        var machine = new MachineInfo(2, "Test CPU", "1.0 GiB", "Test OS", "6.0", "Test JDK 25");
        return new BenchRun("2026-01-01T00:00:00Z", options, machine, List.of("before: 0.1 0.2 0.3"), peers,
                measurements);
    }

    @Test
    void parseChecksEveryAnswerAndTheNumberOfRuns() {
        String out = "info python=3.11\nrun 1 500 42 300\nrun 2 400 42 200\n";
        ProcessResult ok = ProcessResult.parse(out, 2, 42, 1000, 0.5);
        assertThat(ok.ok()).isTrue();
        assertThat(ok.runNanos()).containsExactly(500L, 400L);
        assertThat(ok.runCpuNanos()).containsExactly(300L, 200L);
        assertThat(ProcessResult.parse("run 1 500 42\n", 1, 42, 1000, 0.5).runs(Clock.CPU)).isEmpty();
        assertThat(ok.info()).isEqualTo("python=3.11");
        assertThat(ProcessResult.parse(out, 2, 41, 1000, 0.5).error())
                .isEqualTo("wrong answer in run 1: 42, expected 41");
        assertThat(ProcessResult.parse(out, 3, 42, 1000, 0.5).error()).isEqualTo("printed 2 runs, expected 3");
    }

    /**
     * A run line with a field that is not a number threw NumberFormatException out of parse, which the runner
     * reported as "could not run PEER: java.lang.NumberFormatException: For input string: ..." though the peer had run.
     */
    @Test
    void anUnreadableRunLineFailsTheProcessNamingTheLine() {
        assertThat(ProcessResult.parse("info x\nrun 1 12.5 42 300\n", 1, 42, 1000, 0.5).error())
                .isEqualTo("unreadable line 'run 1 12.5 42 300': a number is not a whole number");
        assertThat(ProcessResult.parse("run 1 500 forty-two\n", 1, 42, 1000, 0.5).error())
                .isEqualTo("unreadable line 'run 1 500 forty-two': a number is not a whole number");
    }

    @Test
    void coldIsTheMedianFirstRunAndWarmSkipsTheWarmUp() {
        Measurement m = measured(Workload.SWITCH, "aio4j", List.of(900L, 700L, 800L), 2048, List.of(10_000L, 30L,
                10L, 20L));
        assertThat(m.coldNanos()).hasValue(800);
        assertThat(m.cold(Clock.CPU)).hasValue(400);
        assertThat(m.warmRuns(Clock.WALL)).containsExactly(30L, 10L, 20L);
        assertThat(m.warmNanos()).hasValue(20);
        assertThat(m.warm(Clock.CPU)).hasValue(10);
        assertThat(m.coldPeakRssKiB()).hasValue(2048);
        assertThat(m.perOperation(2_000)).isEqualTo(1.0); // switch: 2n operations
    }

    @Test
    void aio4jIsComparedWithTheFastestCPythonBuild() {
        BenchRun r = run(List.of(
                measured(Workload.SWITCH, "aio4j", List.of(100L), 1024, List.of(0L, 10L)),
                measured(Workload.SWITCH, "cpython", List.of(300L), 1024, List.of(0L, 120L)),
                measured(Workload.SWITCH, "cpython-path", List.of(200L), 1024, List.of(0L, 150L))));
        assertThat(r.reference(Workload.SWITCH, false, Clock.WALL).orElseThrow().peer()).isEqualTo("cpython");
        assertThat(r.reference(Workload.SWITCH, true, Clock.WALL).orElseThrow().peer()).isEqualTo("cpython-path");
        assertThat(r.speedup(Workload.SWITCH, "aio4j", false, Clock.WALL)).hasValue(12.0);
        assertThat(r.speedup(Workload.SWITCH, "aio4j", true, Clock.WALL)).hasValue(2.0);
        assertThat(r.speedup(Workload.SWITCH, "aio4j", false, Clock.CPU)).hasValue(12.0);
    }

    @Test
    void theReportShowsEachTargetMetOrNot() {
        long ms = 1_000_000;
        BenchRun r = run(List.of(
                measured(Workload.SWITCH, "aio4j", List.of(100 * ms), 1024, List.of(0L, 10 * ms)),
                measured(Workload.SWITCH, "cpython", List.of(300 * ms), 1024, List.of(0L, 120 * ms)),
                // 6× faster cold, but over 1 GiB: not met
                measured(Workload.SPAWN_GATHER, "aio4j", List.of(100 * ms), GIB_KIB + 1, List.of(0L, 10 * ms)),
                measured(Workload.SPAWN_GATHER, "cpython", List.of(600 * ms), 1024, List.of(0L, 120 * ms))),
                peer("uvloop", false).withUnavailable("no uvloop here"));
        String md = MarkdownReport.render(r, null);
        assertThat(md).contains("| switch | ≥ 10× faster than CPython (issue 2) | 10.0 ms (5.00 µs/switch)"
                + " | 120 ms (60.0 µs/switch) | 12× | **yes** | 12× |");
        assertThat(md).contains("| spawn-gather | cold: ≥ 5× faster than CPython and < 1 GiB peak RSS (issue 2) |"
                + " cold 100 ms (100 µs/task), 1,024 MiB | cold 600 ms (600 µs/task), 1 MiB | 6.0× | **no** | 6.0× |");
        assertThat(md).contains("| **aio4j** | 10.0 ms | 5.00 µs | 2.50 µs | 100 ms | 50.0 µs | 1.50 s | 1 MiB | 12×"
                + " | 3.0× | 12× |");
        assertThat(md).contains("| uvloop | not run: no uvloop here |");
        assertThat(md).contains("| uvloop | uvloop label | `run-uvloop` | not run: no uvloop here |");
        assertThat(md).contains("| aio4j | aio4j label | `run-aio4j` | jvm=25 peer=aio4j |");
        assertThat(md).contains("Runtimes as the peer processes reported them: aio4j jvm=25; cpython jvm=25.");
        assertThat(md).contains("./aio4j bench --workloads switch,spawn-gather --cold-runs 3");
        assertThat(md).contains("load average (1/5/15 min) before: 0.1 0.2 0.3");
    }

    private static BenchRun runOf(String workloads, List<Measurement> measurements, Peer... extra) {
        var peers = new java.util.ArrayList<>(List.of(peer("aio4j", false), peer("cpython", true),
                peer("cpython-path", true)));
        peers.addAll(List.of(extra));
        Options options = Options.parse(List.of("--workloads", workloads, "--cold-runs", "1"));
        var machine = new MachineInfo(2, "Test CPU", "1.0 GiB", "Test OS", "6.0", "Test JDK 25");
        return new BenchRun("2026-01-01T00:00:00Z", options, machine, List.of(), peers, measurements);
    }

    /** The summary row of {@code w}, cut into its cells. */
    private static List<String> summaryRow(String md, Workload w) {
        String row = md.lines().filter(l -> l.startsWith("| " + w.id() + " | ")).findFirst().orElseThrow();
        return List.of(row.substring(2, row.length() - 2).split(" \\| "));
    }

    /**
     * A ratio just under a target was rounded up to it: 14.6× printed "15×" next to "met? no" for the queue target of
     * ≥ 15×, and 9.96× printed "10.0×" next to "no" for ≥ 10×. A ratio is not rounded up to a whole number (a target
     * is one), so that it reads as at least the target exactly when the target is met.
     */
    @Test
    void aRatioJustUnderItsTargetIsNotShownAsTheTarget() {
        long ms = 1_000_000;
        BenchRun r = runOf("queue,switch", List.of(
                measured(Workload.QUEUE, "aio4j", List.of(100 * ms), 1024, List.of(0L, 10 * ms)),
                measured(Workload.QUEUE, "cpython", List.of(100 * ms), 1024, List.of(0L, 146 * ms)),
                measured(Workload.SWITCH, "aio4j", List.of(100 * ms), 1024, List.of(0L, 100 * ms)),
                measured(Workload.SWITCH, "cpython", List.of(100 * ms), 1024, List.of(0L, 996 * ms))));
        String md = MarkdownReport.render(r, null);
        assertThat(summaryRow(md, Workload.QUEUE).subList(4, 6)).containsExactly("14.6×", "**no**");
        assertThat(summaryRow(md, Workload.SWITCH).subList(4, 6)).containsExactly("9.96×", "**no**");
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(15.0))).isEqualTo("15×");
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(10.0))).isEqualTo("10×");
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(2.3))).isEqualTo("2.3×"); // 2.2999... as a double
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(3.153))).isEqualTo("3.2×"); // rounded, as before
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(12.4))).isEqualTo("12×");
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(14.96))).isEqualTo("14.9×");
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(9.999))).isEqualTo("9.99×");
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(0.998))).isEqualTo("0.99×");
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(Double.POSITIVE_INFINITY))).isEqualTo("–");
        // A peer more than 20 times slower than CPython read "0.0×", as if it had taken forever.
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(0.0349))).isEqualTo("0.035×");
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(0.00123))).isEqualTo("0.0012×");
        assertThat(MarkdownReport.times(java.util.OptionalDouble.of(0.05))).isEqualTo("0.1×");
    }

    /**
     * A peak RSS under 1 GiB was rounded up to it: the report of 2026-11-28 shows aio4j's spawn-gather at "1,024 MiB"
     * for 1,048,184 KiB, under the target's 1 GiB (1,048,576 KiB), which a reader takes as not under it. Exactly 1 GiB
     * is not under 1 GiB.
     */
    @Test
    void aPeakRssUnderOneGibIsNotShownAsOneGib() {
        assertThat(MarkdownReport.mib(java.util.OptionalLong.of(1_048_184))).isEqualTo("1,023 MiB");
        assertThat(MarkdownReport.mib(java.util.OptionalLong.of(GIB_KIB))).isEqualTo("1,024 MiB");
        assertThat(Target.of(Workload.SPAWN_GATHER).orElseThrow().isMet(6, GIB_KIB)).isFalse();
        assertThat(Target.of(Workload.SPAWN_GATHER).orElseThrow().isMet(6, GIB_KIB - 1)).isTrue();
        assertThat(Target.of(Workload.SPAWN_GATHER).orElseThrow().isMet(5, GIB_KIB - 1)).isTrue();
        assertThat(Target.of(Workload.SWITCH).orElseThrow().isMet(10, -1)).isTrue();
        assertThat(Target.of(Workload.SWITCH).orElseThrow().isMet(9.999, -1)).isFalse();
    }

    /** A duration that rounds up to the next unit is shown in it: "1000 ns" and "100.0 ms" had four digits. */
    @Test
    void durationsHaveThreeSignificantDigitsAcrossUnitBoundaries() {
        assertThat(MarkdownReport.duration(999.7)).isEqualTo("1.00 µs");
        assertThat(MarkdownReport.duration(99.97e6)).isEqualTo("100 ms");
        assertThat(MarkdownReport.duration(9.996e3)).isEqualTo("10.0 µs");
        assertThat(MarkdownReport.duration(999_999_999)).isEqualTo("1.00 s");
        assertThat(MarkdownReport.duration(850)).isEqualTo("850 ns");
        assertThat(MarkdownReport.duration(3514)).isEqualTo("3.51 µs");
        assertThat(MarkdownReport.duration(22.6e9)).isEqualTo("22.6 s");
    }

    /**
     * A failed aio4j measurement read "not measured" in the summary, and a failed CPython build was left out of the
     * comparison without a word: aio4j was then judged against the other, slower build (pyenv's, without PGO), the
     * fastest one's figure unknown. Now the summary says which failed, and no ratio is made against CPython.
     */
    @Test
    void aFailedPeerIsNamedInTheVerdictNotDroppedFromIt() {
        long ms = 1_000_000;
        var crashed = new Measurement(Workload.SWITCH, "cpython", N,
                List.of(ProcessResult.failed("exit status 137")), null, 1);
        BenchRun r = runOf("switch", List.of(
                measured(Workload.SWITCH, "aio4j", List.of(100 * ms), 1024, List.of(0L, 10 * ms)),
                crashed,
                measured(Workload.SWITCH, "cpython-path", List.of(900 * ms), 1024, List.of(0L, 900 * ms))));
        assertThat(r.reference(Workload.SWITCH, false, Clock.WALL)).isEmpty();
        assertThat(r.speedup(Workload.SWITCH, "aio4j", false, Clock.WALL)).isEmpty();
        String md = MarkdownReport.render(r, null);
        assertThat(summaryRow(md, Workload.SWITCH).subList(3, 6))
                .containsExactly("–", "–", "no verdict: cpython failed");

        var aioCrashed = new Measurement(Workload.SWITCH, "aio4j", N,
                List.of(ProcessResult.failed("timed out after 20 min")), null, 1);
        BenchRun r2 = runOf("switch", List.of(aioCrashed,
                measured(Workload.SWITCH, "cpython", List.of(900 * ms), 1024, List.of(0L, 900 * ms))));
        assertThat(summaryRow(MarkdownReport.render(r2, null), Workload.SWITCH).subList(2, 6))
                .containsExactly("failed", "900 ms (450 µs/switch)", "–", "**no**: aio4j failed");

        // A warm process that failed after good cold ones: the measurement failed, its cold figures do not count.
        var warmCrashed = new Measurement(Workload.SPAWN_GATHER, "aio4j", N,
                List.of(new ProcessResult(List.of(100 * ms), List.of(), 1024, 1, "", null)),
                ProcessResult.failed("exit status 1: OutOfMemoryError"), 1);
        BenchRun r3 = runOf("spawn-gather", List.of(warmCrashed,
                measured(Workload.SPAWN_GATHER, "cpython", List.of(900 * ms), 1024, List.of(0L, 900 * ms))));
        assertThat(summaryRow(MarkdownReport.render(r3, null), Workload.SPAWN_GATHER).subList(2, 6))
                .containsExactly("failed", "cold 900 ms (900 µs/task), 1 MiB", "–", "**no**: aio4j failed");
        assertThat(r3.speedup(Workload.SPAWN_GATHER, "aio4j", true, Clock.WALL)).isEmpty();
        assertThat(summaryRow(MarkdownReport.render(run(List.of()), null), Workload.SWITCH).get(5))
                .isEqualTo("not measured");
    }

    @Test
    void variantsAreComparedWithDefaultAio4j() {
        var variant = new Peer("aio4j-p1", "one carrier", List.of("java", "-Dx=1", "-cp", "cp", "Main", "aio4j"),
                EnumSet.allOf(Workload.class), false, null);
        BenchRun r = run(List.of(
                measured(Workload.SWITCH, "aio4j", List.of(400L), 1024, List.of(0L, 100L)),
                measured(Workload.SWITCH, "aio4j-p1", List.of(100L), 1024, List.of(0L, 50L))), variant);
        assertThat(variant.jvmFlags()).containsExactly("-Dx=1");
        assertThat(MarkdownReport.render(r, null)).contains("| variant | JVM flags | switch | spawn-gather |\n"
                + "|---|---|---|---|\n| aio4j-p1 | `-Dx=1` | 0.50 (0.25) | – (–) |\n");
    }

    @Test
    void handWrittenNotesSurviveARewrite() {
        BenchRun r = run(List.of());
        String first = MarkdownReport.render(r, null);
        String edited = first + "My analysis.\n";
        assertThat(MarkdownReport.render(r, edited)).endsWith(MarkdownReport.NOTES_MARKER + "\nMy analysis.\n");
    }

    @Test
    void resultsFileIsValidJson() throws Exception {
        BenchRun r = run(List.of(measured(Workload.SWITCH, "aio4j", List.of(100L), 1024, List.of(0L, 10L)),
                measured(Workload.SWITCH, "cpython", List.of(300L), 1024, List.of(0L, 120L))));
        String json = ResultsJson.write(r);
        // Python's json module is the judge (python3 is on the machine for the CPython peer anyway).
        Process p = new ProcessBuilder("python3", "-c", "import json, sys; d = json.load(sys.stdin);"
                + " m = d['measurements'][0]; print(m['peer'], m['warmMedianNanos'], m['speedupVsCPythonWarm'],"
                + " d['peers'][0]['command'], len(d['measurements']))").redirectErrorStream(true).start();
        p.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as(json).isEqualTo("aio4j 10 12.0 run-aio4j 2");
    }

    @Test
    void withoutIterationsTheReportSaysWarmWasNotMeasured() {
        Options options = Options.parse(List.of("--cold-runs", "2", "--iterations", "0"));
        var machine = new MachineInfo(2, "Test CPU", "1.0 GiB", "Test OS", "6.0", "Test JDK 25");
        String md = MarkdownReport.render(new BenchRun("2026-01-01T00:00:00Z", options, machine, List.of(),
                List.of(peer("aio4j", false)), List.of()), null);
        assertThat(md).contains("**warm**: not measured (`--iterations 0`). Times are measured").doesNotContain(
                "median of 0 runs");
        assertThat(MarkdownReport.render(run(List.of()), null)).contains(
                "**warm** = median of 5 runs after 2 warm-up run(s) in one process. Times are measured");
    }

    /**
     * With {@code --cold-runs 0} only the warm process runs, and the report took each peer's runtime only from its
     * cold processes: "Runtimes as the peer processes reported them: none", and an empty runtime in the peers table.
     */
    @Test
    void withoutColdRunsTheRuntimesComeFromTheWarmProcess() {
        Options options = Options.parse(List.of("--workloads", "switch", "--cold-runs", "0"));
        var machine = new MachineInfo(2, "Test CPU", "1.0 GiB", "Test OS", "6.0", "Test JDK 25");
        var warm = new ProcessResult(List.of(20L, 10L), List.of(20L, 10L), 1024, 1.0, "jvm=25 args=[]", null);
        var m = new Measurement(Workload.SWITCH, "aio4j", N, List.of(), warm, 1);
        String md = MarkdownReport.render(new BenchRun("2026-01-01T00:00:00Z", options, machine, List.of(),
                List.of(peer("aio4j", false)), List.of(m)), null);
        assertThat(md).contains("Runtimes as the peer processes reported them: aio4j jvm=25.")
                .contains("| aio4j | aio4j label | `run-aio4j` | jvm=25 args=[] |");
    }

    /**
     * The header said "the fastest CPython 3.11 asyncio build" whatever the interpreters were (Debian 13's is 3.13),
     * and did not say which builds it picks from. It now names them; their versions are in the runtimes line.
     */
    @Test
    void theHeaderNamesTheCPythonBuildsComparedWithNotAVersion() {
        String md = MarkdownReport.render(run(List.of()), null);
        assertThat(md).contains("**× CPython** = the time of the fastest CPython asyncio build (of cpython,"
                + " cpython-path, by the same figure) divided by the peer's").doesNotContain("3.11");
        assertThat(md).contains("Each measurement runs `/usr/bin/time -f \"%M %e\" -o FILE COMMAND WORKLOAD N RUNS`");
    }

    /**
     * With {@code --iterations 0} there is no warm figure, and the summary called aio4j and CPython "failed" on the
     * targets judged warm (a cold target's likewise with {@code --cold-runs 0}), next to "not measured": nothing had
     * failed. Such a figure is "–".
     */
    @Test
    void aFigureNotMeasuredIsNotCalledFailed() {
        long ms = 1_000_000;
        Options options = Options.parse(List.of("--workloads", "switch", "--iterations", "0"));
        var machine = new MachineInfo(2, "Test CPU", "1.0 GiB", "Test OS", "6.0", "Test JDK 25");
        var coldOnly = List.of(
                new Measurement(Workload.SWITCH, "aio4j", N,
                        List.of(new ProcessResult(List.of(100 * ms), List.of(), 1024, 1, "", null)), null, 0),
                new Measurement(Workload.SWITCH, "cpython", N,
                        List.of(new ProcessResult(List.of(900 * ms), List.of(), 1024, 1, "", null)), null, 0));
        String md = MarkdownReport.render(new BenchRun("2026-01-01T00:00:00Z", options, machine, List.of(),
                List.of(peer("aio4j", false), peer("cpython", true)), coldOnly), null);
        assertThat(summaryRow(md, Workload.SWITCH).subList(2, 6)).containsExactly("–", "–", "–", "not measured");
    }

    /**
     * With {@code --cold-runs 0} the header said "**Cold** = the first run in a fresh process (median of 0
     * processes ...)"; and an even count's "median" is the slower of the middle two (Measurement.median), which a
     * reader of "median of 2 processes" takes for their mean.
     */
    @Test
    void theHeaderSaysWhatColdAndWarmAreForAnyCount() {
        var machine = new MachineInfo(2, "Test CPU", "1.0 GiB", "Test OS", "6.0", "Test JDK 25");
        String none = MarkdownReport.render(new BenchRun("2026-01-01T00:00:00Z",
                Options.parse(List.of("--cold-runs", "0")), machine, List.of(), List.of(), List.of()), null);
        assertThat(none).contains("**Cold**: not measured (`--cold-runs 0`; nor process wall and peak RSS),"
                + " **warm** = median of 5 runs after 2 warm-up run(s) in one process.").doesNotContain("median of 0");
        String even = MarkdownReport.render(new BenchRun("2026-01-01T00:00:00Z",
                Options.parse(List.of("--cold-runs", "2", "--iterations", "4")), machine, List.of(), List.of(),
                List.of()), null);
        assertThat(even).contains("(median of 2 processes, the slower of the middle two; JIT, class loading and heap"
                + " growth included), **warm** = median of 4 runs, the slower of the middle two, after 2 warm-up"
                + " run(s) in one process.");
    }

    @Test
    void withoutAnyPythonTheCPythonPeerIsReportedNotRun() {
        List<Peer> none = Peers.cpythonPeers(null, null, "w.py");
        assertThat(none).extracting(Peer::name, Peer::isReference).containsExactly(
                tuple("cpython", true),
                tuple("cpython-path", true));
        assertThat(none.getFirst().unavailable()).startsWith("no python3 found");
        assertThat(none.getLast().unavailable()).isEqualTo("no python3 on PATH");
        assertThat(Peers.cpythonPeers(null, "/opt/py/bin/python3.11", "w.py")).extracting(Peer::name, Peer::unavailable)
                .containsExactly(tuple("cpython", null), tuple("cpython-path", "the python3 on PATH,"
                        + " /opt/py/bin/python3.11, is the one cpython runs here (there is no /usr/bin/python3)"));
        assertThat(Peers.cpythonPeers("/usr/bin/python3", "/opt/py/bin/python3.11", "w.py"))
                .extracting(Peer::name, Peer::unavailable)
                .containsExactly(tuple("cpython", null), tuple("cpython-path", null));
        // Asked for by name where PATH leads to Debian's interpreter, it said "unknown peer 'cpython-path'".
        assertThat(Peers.cpythonPeers("/usr/bin/python3", "/usr/bin/python3", "w.py"))
                .extracting(Peer::name, Peer::unavailable)
                .containsExactly(tuple("cpython", null),
                        tuple("cpython-path", "the python3 on PATH is /usr/bin/python3, which cpython runs"));
    }

    @Test
    void optionsTakeTheirValueAfterAnEqualsSignAsTheRecipesDo() {
        // ./aio4j recipe takes --scale=F and --timeline=FILE; the bench said "unknown option '--out=/tmp/b'".
        Options o = Options.parse(List.of("--workloads=switch,queue", "--peers=aio4j", "--cold-runs=1",
                "--iterations=0", "--out=/tmp/b", "--size=switch=10", "--jvm-variant=pgc=-XX:+UseParallelGC"));
        assertThat(o.workloads()).containsExactly(Workload.SWITCH, Workload.QUEUE);
        assertThat(o.peers()).containsExactly("aio4j");
        assertThat(o.coldRuns()).isEqualTo(1);
        assertThat(o.iterations()).isZero();
        assertThat(o.out()).isEqualTo(java.nio.file.Path.of("/tmp/b"));
        assertThat(o.sizes()).containsEntry(Workload.SWITCH, 10);
        assertThat(o.jvmVariants()).containsEntry("pgc", List.of("-XX:+UseParallelGC"));
        assertThat(o.command()).isEqualTo("./aio4j bench --workloads=switch,queue --peers=aio4j --cold-runs=1"
                + " --iterations=0 --out=/tmp/b --size=switch=10 --jvm-variant=pgc=-XX:+UseParallelGC");
        assertThatThrownBy(() -> Options.parse(List.of("--out="))).hasMessage("--out needs a value, got an empty one");
        assertThatThrownBy(() -> Options.parse(List.of("--quick=yes"))).hasMessage("unknown option '--quick=yes'");
    }

    /**
     * The "reproduce with" line joined the arguments with spaces: a variant with two flags, or a folder with a space,
     * came out as {@code --jvm-variant big=-Xmx2g -XX:+UseParallelGC}, which a shell splits and the harness refuses
     * ("unknown option '-XX:+UseParallelGC'"). An argument the shell would split or expand is quoted, and the line
     * run through a shell gives the arguments back.
     */
    @Test
    void theReproduceCommandGivesTheSameArgumentsBackThroughAShell() throws Exception {
        List<String> args = List.of("--jvm-variant", "big=-Xmx2g -XX:+UseParallelGC", "--out", "/tmp/it's mine",
                "--peers", "aio4j,cpython", "--size=switch=10");
        Options o = Options.parse(args);
        assertThat(o.command()).isEqualTo("./aio4j bench --jvm-variant 'big=-Xmx2g -XX:+UseParallelGC'"
                + " --out '/tmp/it'\\''s mine' --peers aio4j,cpython --size=switch=10");
        String rest = o.command().substring("./aio4j bench ".length());
        Process p = new ProcessBuilder("bash", "-c", "printf '%s\\n' " + rest).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out.lines().toList()).isEqualTo(args);
        assertThat(Options.parse(out.lines().toList()).jvmVariants()).containsEntry("big",
                List.of("-Xmx2g", "-XX:+UseParallelGC"));
    }

    /**
     * The launcher runs the harness in the repository's root: a default folder left relative was printed as 'wrote
     * bench-results/benchmarks.json' to a user who called ./aio4j from another directory, where there is none.
     */
    @Test
    void theDefaultFolderIsNamedInFullWhereverTheUserIs() {
        var root = java.nio.file.Path.of("").toAbsolutePath();
        assertThat(Options.parse(List.of("--quick")).out()).isEqualTo(root.resolve("bench-results"));
        assertThat(Options.parse(List.of()).out()).isEqualTo(root.resolve("docs"));
    }

    @Test
    void badOptionsAreNamed() {
        assertThatThrownBy(() -> Options.parse(List.of("--warmup", "-1")))
                .hasMessage("--warmup must be >= 0, got -1");
        assertThatThrownBy(() -> Options.parse(List.of("--size", "switch")))
                .hasMessage("--size wants WORKLOAD=N, got 'switch'");
        assertThatThrownBy(() -> Options.parse(List.of("--workloads", "nope")))
                .hasMessageStartingWith("unknown workload 'nope'");
        assertThatThrownBy(() -> Options.parse(List.of("--cold-runs", "0", "--iterations", "0")))
                .hasMessage("--cold-runs 0 and --iterations 0 would measure nothing");
        assertThatThrownBy(() -> Options.parse(List.of("--peers"))).hasMessage("--peers needs a value");
        assertThatThrownBy(() -> Options.parse(List.of("--out", "--quick"))) // not a directory called --quick
                .hasMessage("--out needs a value, got the option '--quick'");
        assertThatThrownBy(() -> Options.parse(List.of("--workloads", "--peers", "aio4j")))
                .hasMessage("--workloads needs a value, got the option '--peers'");
        assertThatThrownBy(() -> Options.parse(List.of("--out", ""))) // not the working directory Path.of("") is
                .hasMessage("--out needs a value, got an empty one");
        assertThatThrownBy(() -> Options.parse(List.of("--jvm-variant", "gc=-XX:+UseSerialGC", "--jvm-variant",
                "gc=-XX:+UseParallelGC"))) // the first one's flags were dropped without a word
                .hasMessage("--jvm-variant gc: given twice; give each variant its own NAME");
        assertThatThrownBy(() -> Options.parse(List.of("--jvm-variant", "Big GC=-Xmx1g")))
                .hasMessage("--jvm-variant wants NAME=FLAGS with NAME in [a-z0-9], got 'Big GC=-Xmx1g'");
        assertThatThrownBy(() -> Options.parse(List.of("--jvm-variant", "p1=-Xmx1g"))) // two peers aio4j-p1
                .hasMessage("--jvm-variant p1: aio4j-p1 is a peer already; give the variant another NAME");
        assertThat(Options.parse(List.of("--quick")).sizes().get(Workload.SPAWN_GATHER)).isEqualTo(50_000);
        assertThat(Options.parse(List.of("--workloads", "queue,switch,queue")).workloads())
                .containsExactly(Workload.QUEUE, Workload.SWITCH);
        // As --workloads "queue, switch" is: the peers were refused as "unknown peer ' cpython'".
        assertThat(Options.parse(List.of("--peers", "aio4j, cpython")).peers()).containsExactly("aio4j", "cpython");
        assertThat(Options.parse(List.of("--jvm-variant", "pgc=-XX:+UseParallelGC  -Xmx2g")).jvmVariants())
                .containsEntry("pgc", List.of("-XX:+UseParallelGC", "-Xmx2g"));
    }

    @Test
    void helpIsAskedForByEitherSpelling() {
        assertThat(Options.asksForHelp(List.of("-h"))).isTrue();
        assertThat(Options.asksForHelp(List.of("--peers", "aio4j", "--help"))).isTrue();
        assertThat(Options.asksForHelp(List.of("--peers", "aio4j"))).isFalse();
    }

    @Test
    void usageDescribesEveryOptionOfItsSynopsis() {
        String usage = Options.USAGE;
        String synopsis = usage.substring(0, usage.indexOf("\n  --"));
        var options = java.util.regex.Pattern.compile("--[a-z-]+").matcher(synopsis).results()
                .map(java.util.regex.MatchResult::group).toList();
        assertThat(options).contains("--quick", "--timeout-minutes");
        for (String option : options) {
            assertThat(usage).as("usage describes " + option).containsPattern("\n {2,}" + option + "\\b");
        }
    }
}
