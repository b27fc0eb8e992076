package org.aio4j.bench.harness;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.aio4j.bench.Workload;

/**
 * Everything one harness run measured: what {@link ResultsJson} writes and {@link MarkdownReport} renders.
 *
 * @param date         when the run started (ISO-8601, UTC)
 * @param options      the command line
 * @param machine      the machine
 * @param loadAverages the load average before the run and after each workload, labelled
 * @param peers        the peers, in report order, those that could not run with the reason
 * @param measurements one per workload and runnable peer
 */
public record BenchRun(String date, Options options, MachineInfo machine, List<String> loadAverages,
                       List<Peer> peers, List<Measurement> measurements) {

    public BenchRun {
        loadAverages = List.copyOf(loadAverages);
        peers = List.copyOf(peers);
        measurements = List.copyOf(measurements);
    }

    /** The measurement of {@code peer} on {@code workload}, if there is one. */
    public Optional<Measurement> find(Workload workload, String peer) {
        return measurements.stream().filter(m -> m.workload() == workload && m.peer().equals(peer)).findFirst();
    }

    /** The peer named {@code name}. */
    public Optional<Peer> peer(String name) {
        return peers.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * The CPython measurement that aio4j is compared with on {@code workload}: the fastest of the CPython asyncio
     * builds that ran it (by the cold or warm figures of {@code clock}), so that no target is met against a slow
     * build; none if one of them failed (see {@link #failedReferences}), whose figure might have been the fastest.
     */
    public Optional<Measurement> reference(Workload workload, boolean cold, Clock clock) {
        if (!failedReferences(workload).isEmpty()) {
            return Optional.empty(); // the fastest build is not known: no ratio against a slower one
        }
        return measurements.stream()
                .filter(m -> m.workload() == workload && isReference(m))
                .filter(m -> figure(m, cold, clock).isPresent())
                .min(Comparator.comparingLong(m -> figure(m, cold, clock).getAsLong()));
    }

    /**
     * The CPython asyncio builds whose measurement of {@code workload} failed (crashed, timed out, answered wrong):
     * while there is one, there is no {@link #reference}.
     */
    public List<String> failedReferences(Workload workload) {
        return measurements.stream().filter(m -> m.workload() == workload && isReference(m) && m.error() != null)
                .map(Measurement::peer).toList();
    }

    private boolean isReference(Measurement m) {
        return peer(m.peer()).map(Peer::isReference).orElse(false);
    }

    /** How many times faster {@code peer} ran {@code workload} than the {@link #reference} CPython. */
    public OptionalDouble speedup(Workload workload, String peer, boolean cold, Clock clock) {
        Optional<Measurement> ref = reference(workload, cold, clock);
        Optional<Measurement> mine = find(workload, peer);
        if (ref.isEmpty() || mine.isEmpty() || figure(mine.get(), cold, clock).isEmpty()) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of((double) figure(ref.get(), cold, clock).getAsLong()
                / figure(mine.get(), cold, clock).getAsLong());
    }

    /**
     * The cold or the warm median of {@code m} by {@code clock}; none if {@code m} failed, though some of its processes
     * may have run well (good cold processes before a warm one that crashed): a failed peer is not compared.
     */
    public static OptionalLong figure(Measurement m, boolean cold, Clock clock) {
        if (m.error() != null) {
            return OptionalLong.empty();
        }
        return cold ? m.cold(clock) : m.warm(clock);
    }
}
