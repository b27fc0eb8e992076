package org.aio4j.bench.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.aio4j.bench.Workload;

/**
 * One contender of the harness: a command that runs a workload in a fresh process and prints the protocol of
 * {@link org.aio4j.bench.WorkloadMain} ({@code info ...}, then {@code run I NANOS ANSWER CPU_NANOS} per run).
 *
 * @param name        short name used on the command line ({@code --peers}) and in the results, e.g. {@code uvloop}
 * @param label       what it is, for the report, e.g. "CPython 3.11.2 + uvloop 0.17.0"
 * @param command     the command without its last three arguments (workload, n, runs)
 * @param workloads   the workloads it has an implementation of
 * @param isReference whether it is a CPython asyncio build that the targets compare aio4j with
 * @param unavailable why it cannot run on this machine, or {@code null} if it can
 */
public record Peer(String name, String label, List<String> command, Set<Workload> workloads, boolean isReference,
                   String unavailable) {

    /** The name of the peer whose figures are compared with the targets. */
    public static final String AIO4J = "aio4j";

    public Peer {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(label, "label");
        command = List.copyOf(command);
        workloads = Set.copyOf(workloads);
    }

    /** The full command that runs {@code workload} at size {@code n}, {@code runs} times in one process. */
    public List<String> commandFor(Workload workload, int n, int runs) {
        var c = new ArrayList<>(command);
        c.add(workload.id());
        c.add(Integer.toString(n));
        c.add(Integer.toString(runs));
        return c;
    }

    /** The JVM flags of a JVM peer (what stands between {@code java} and {@code -cp}); empty for the others. */
    public List<String> jvmFlags() {
        int cp = command.indexOf("-cp");
        return cp < 1 ? List.of() : command.subList(1, cp);
    }

    /** Whether this peer runs {@code workload}. */
    public boolean runs(Workload workload) {
        return unavailable == null && workloads.contains(workload);
    }

    /** The same peer marked as not runnable, with the reason. */
    public Peer withUnavailable(String reason) {
        return new Peer(name, label, command, workloads, isReference, reason);
    }
}
