package org.aio4j.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.aio4j.bench.kotlin.KotlinWorkloads;

/**
 * Runs one workload of one JVM peer several times in this process and prints one line per run; the harness starts
 * it in a fresh JVM for every measurement. The same protocol as {@code asyncio_workloads.py}:
 *
 * <pre>
 * java -cp ... org.aio4j.bench.WorkloadMain PEER WORKLOAD N RUNS
 * info jvm=25.0.3+9-LTS gc=G1 max-heap-mib=6144 cpu-clock=ns args=[...]
 * run 1 NANOS ANSWER CPU_NANOS
 * run 2 NANOS ANSWER CPU_NANOS
 * </pre>
 *
 * PEER is {@code aio4j}, {@code kotlin} or {@code vthreads}. Each run is timed alone with {@link System#nanoTime()};
 * the first one in a fresh process is the cold figure. CPU_NANOS is the CPU time the whole process used meanwhile
 * (all its threads: the workload's, the JIT compiler's, the GC's), which a loaded machine inflates less than the
 * elapsed time; it is read to the nanosecond on Linux (see {@link ProcessCpuClock}), and {@code info} says
 * {@code cpu-clock=ns} then, {@code cpu-clock=ticks} where it has the JDK's 10 ms clock ticks only. A run that throws
 * ends the process with status 1, the stack trace and, last, a line {@code error: EXCEPTION} on the standard error.
 */
public final class WorkloadMain {

    private WorkloadMain() {
    }

    /** The JVM peers, by name. */
    public static final List<Workloads> PEERS =
            List.of(new AioWorkloads(), new KotlinWorkloads(), new VirtualThreadWorkloads());

    /**
     * What the last line a failed process prints to its standard error starts with, followed by the exception; the
     * harness reports that line rather than the last frames of the stack trace printed above it.
     */
    public static final String ERROR_PREFIX = "error: ";

    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: WorkloadMain PEER WORKLOAD N RUNS   (PEER: aio4j, kotlin, vthreads;"
                    + " WORKLOAD: " + Workload.ids() + ")");
            System.exit(2);
        }
        try {
            run(args);
        } catch (Throwable t) { // an OutOfMemoryError too, the likeliest failure at the issues' sizes
            t.printStackTrace();
            System.err.println(ERROR_PREFIX + t);
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        Workloads peer = peer(args[0]);
        Workload workload = Workload.byId(args[1]);
        int n = positive(args[2], "N");
        int runs = positive(args[3], "RUNS");
        if (!peer.supports(workload)) {
            throw new IllegalArgumentException(peer.name() + " has no implementation of " + workload.id());
        }
        System.out.println(("info " + peer.versions() + " " + jvmInfo()).replace("  ", " "));
        for (int r = 1; r <= runs; r++) {
            long cpuStart = ProcessCpuClock.nanos();
            long start = System.nanoTime();
            long answer = peer.run(workload, n);
            long nanos = System.nanoTime() - start;
            long cpu = ProcessCpuClock.nanos() - cpuStart;
            System.out.println("run " + r + " " + nanos + " " + answer + " " + cpu);
        }
    }

    /** The JVM peer named {@code name}. */
    public static Workloads peer(String name) {
        for (Workloads w : PEERS) {
            if (w.name().equals(name)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown JVM peer '" + name + "'; known: aio4j, kotlin, vthreads");
    }

    private static int positive(String s, String what) {
        int v;
        try {
            v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a positive integer, got '" + s + "'", e);
        }
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + v);
        }
        return v;
    }

    private static String jvmInfo() {
        var gcs = new StringBuilder();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs.append(gcs.isEmpty() ? "" : "+").append(gc.getName().replace(' ', '_'));
        }
        return "jvm=" + Runtime.version() + " gc=" + gcs
                + " max-heap-mib=" + Runtime.getRuntime().maxMemory() / (1 << 20)
                + " cpu-clock=" + (ProcessCpuClock.precise() ? "ns" : "ticks")
                + " args=" + ManagementFactory.getRuntimeMXBean().getInputArguments();
    }
}
