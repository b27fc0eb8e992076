package org.aio4j.bench.harness;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.aio4j.bench.Workload;

/**
 * The harness's command line.
 *
 * <pre>
 * ./aio4j bench [--quick] [--workloads w1,w2] [--peers p1,p2] [--cold-runs N] [--warmup N] [--iterations N]
 *               [--size WORKLOAD=N] [--jvm-variant NAME=FLAGS] [--out DIR] [--timeout-minutes N]
 * </pre>
 *
 * @param quick      sizes divided by {@value #QUICK_DIVISOR} and fewer runs, for a smoke run; results go to
 *                   {@code bench-results/} instead of {@code docs/}
 * @param workloads  the workloads to run, in this order
 * @param peers      the peers to run (empty: all)
 * @param sizes      the size of each workload
 * @param coldRuns   how many fresh processes measure the cold figures (one run each)
 * @param warmup     runs of the warm process that are not counted
 * @param iterations counted runs of the warm process (0: no warm process)
 * @param jvmVariants extra aio4j peers, {@code aio4j-NAME}, each with its JVM flags ({@code --jvm-variant})
 * @param out        the folder that gets {@code benchmarks.json} and {@code benchmarks.md}
 * @param timeout    the longest one process may take
 * @param args       the arguments as given, for the "reproduce with" line
 */
public record Options(boolean quick, List<Workload> workloads, Set<String> peers, Map<Workload, Integer> sizes,
                      int coldRuns, int warmup, int iterations, Map<String, List<String>> jvmVariants, Path out,
                      Duration timeout, List<String> args) {

    static final int QUICK_DIVISOR = 20;

    public static final String USAGE = """
            usage: ./aio4j bench [--quick] [--workloads w1,w2] [--peers p1,p2] [--cold-runs N] [--warmup N]
                                 [--iterations N] [--size WORKLOAD=N] [--jvm-variant NAME=FLAGS] [--out DIR]
                                 [--timeout-minutes N]
              --quick         sizes / %d, 1 cold process, 1 warm-up + 2 runs; writes bench-results/ (not docs/)
              --workloads     %s (default: all)
              --peers         aio4j, aio4j-p1, aio4j-carrier, aio4j-debug, cpython, cpython-path, uvloop, kotlin, vthreads
                              (default: all)
              --cold-runs N   fresh processes for the cold figures, one run each (default 3)
              --warmup N      uncounted runs in the warm process (default 2)
              --iterations N  counted runs in the warm process, median reported (default 5; 0 = cold only)
              --size W=N      the size of workload W (default: the issues' sizes)
              --jvm-variant NAME=FLAGS
                              one more peer, aio4j-NAME: aio4j with these JVM flags (space-separated), e.g.
                              --jvm-variant parallelgc=-XX:+UseParallelGC; repeatable
              --out DIR       where benchmarks.json and benchmarks.md go (default docs/)
              --timeout-minutes N
                              a peer process still running after N minutes is killed, its measurement failed (default 20)
            An option's value may also follow an equals sign: --out=DIR, --size=W=N.
            Exit status: 0 all measured and written; 1 nothing can be measured here (no peer runs the workloads, no
            /usr/bin/time), a measurement failed (see the report) or the results could not be written; 2 a mistake on
            the command line, or an --out that cannot be written.
            """.formatted(QUICK_DIVISOR, Workload.ids());

    /** Whether {@code args} ask for the usage: {@code --help} or {@code -h} anywhere. */
    public static boolean asksForHelp(List<String> args) {
        return args.contains("--help") || args.contains("-h");
    }

    /** Parses {@code args}; throws {@link IllegalArgumentException} with the problem on bad input. */
    public static Options parse(List<String> args) {
        Objects.requireNonNull(args, "args");
        boolean quick = args.contains("--quick");
        List<Workload> workloads = List.of(Workload.values());
        Set<String> peers = Set.of();
        Map<Workload, Integer> sizes = new EnumMap<>(Workload.class);
        for (Workload w : Workload.values()) {
            sizes.put(w, quick ? Math.max(1, w.fullSize() / QUICK_DIVISOR) : w.fullSize());
        }
        int coldRuns = quick ? 1 : 3;
        int warmup = quick ? 1 : 2;
        int iterations = quick ? 2 : 5;
        // In full: ./aio4j runs the harness in the repository's root, and its user may be elsewhere (an --out DIR the
        // launcher makes absolute itself).
        Path out = Path.of(quick ? "bench-results" : "docs").toAbsolutePath();
        Duration timeout = Duration.ofMinutes(20);
        Map<String, List<String>> variants = new LinkedHashMap<>();
        List<String> given = args;
        args = splitAtEquals(args);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--quick" -> { }
                case "--workloads" -> workloads = workloads(value(args, ++i, a));
                case "--peers" -> peers = new LinkedHashSet<>(Arrays.stream(value(args, ++i, a).split(","))
                        .map(String::strip).toList());
                case "--cold-runs" -> coldRuns = count(value(args, ++i, a), a, 0);
                case "--warmup" -> warmup = count(value(args, ++i, a), a, 0);
                case "--iterations" -> iterations = count(value(args, ++i, a), a, 0);
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--timeout-minutes" -> timeout = Duration.ofMinutes(count(value(args, ++i, a), a, 1));
                case "--size" -> {
                    String[] kv = value(args, ++i, a).split("=", 2);
                    if (kv.length != 2) {
                        throw new IllegalArgumentException("--size wants WORKLOAD=N, got '" + args.get(i) + "'");
                    }
                    sizes.put(Workload.byId(kv[0]), count(kv[1], "--size " + kv[0], 1));
                }
                case "--jvm-variant" -> {
                    String[] kv = value(args, ++i, a).split("=", 2);
                    if (kv.length != 2 || !kv[0].matches("[a-z0-9]+") || kv[1].isBlank()) {
                        throw new IllegalArgumentException("--jvm-variant wants NAME=FLAGS with NAME in [a-z0-9],"
                                + " got '" + args.get(i) + "'");
                    }
                    if (Peers.BUILT_IN_VARIANTS.contains(kv[0])) {
                        throw new IllegalArgumentException("--jvm-variant " + kv[0] + ": " + Peer.AIO4J + "-" + kv[0]
                                + " is a peer already; give the variant another NAME");
                    }
                    if (variants.putIfAbsent(kv[0], List.of(kv[1].strip().split("\\s+"))) != null) {
                        throw new IllegalArgumentException("--jvm-variant " + kv[0]
                                + ": given twice; give each variant its own NAME");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        if (coldRuns == 0 && iterations == 0) {
            throw new IllegalArgumentException("--cold-runs 0 and --iterations 0 would measure nothing");
        }
        return new Options(quick, workloads, peers, sizes, coldRuns, warmup, iterations, variants, out, timeout,
                given);
    }

    /**
     * {@code args} with each {@code --option=value} as {@code --option value}, as the cookbook's command line takes
     * {@code --scale=F}; the value starts after the first {@code =}, so {@code --size=switch=10} is
     * {@code --size switch=10}. {@code --quick}, which takes no value, stays whole and is refused as unknown.
     */
    private static List<String> splitAtEquals(List<String> args) {
        var split = new ArrayList<String>(args.size());
        for (String a : args) {
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 2 && !a.startsWith("--quick=")) {
                split.add(a.substring(0, eq));
                split.add(a.substring(eq + 1));
            } else {
                split.add(a);
            }
        }
        return split;
    }

    /**
     * The command that reproduces this run, as a shell line: an argument that a shell would split or expand (a
     * {@code --jvm-variant} with two flags, a folder with a space) is quoted.
     */
    public String command() {
        var sb = new StringBuilder("./aio4j bench");
        for (String a : args) {
            sb.append(' ').append(a.matches("[A-Za-z0-9_./:=,+@%-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    /** The workloads of a comma-separated list, each once (named twice, one was measured and reported twice). */
    private static List<Workload> workloads(String csv) {
        var out = new LinkedHashSet<Workload>();
        for (String id : csv.split(",")) {
            out.add(Workload.byId(id.strip()));
        }
        return List.copyOf(out);
    }

    /**
     * The value of {@code option}, {@code args.get(i)}; refused if absent, empty ({@code --out ""} would be the working
     * directory, {@code Path.of("")}) or another option ({@code --out --quick}).
     */
    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        if (args.get(i).isEmpty()) {
            throw new IllegalArgumentException(option + " needs a value, got an empty one");
        }
        if (args.get(i).startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value, got the option '" + args.get(i) + "'");
        }
        return args.get(i);
    }

    private static int count(String s, String option, int min) {
        try {
            int v = Integer.parseInt(s.replace("_", ""));
            if (v < min) {
                throw new IllegalArgumentException(option + " must be >= " + min + ", got " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " wants a whole number, got '" + s + "'", e);
        }
    }
}
