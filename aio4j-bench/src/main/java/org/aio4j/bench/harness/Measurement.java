package org.aio4j.bench.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.aio4j.bench.Workload;

/**
 * The figures of one peer on one workload: several fresh processes that run the workload once each (the cold
 * figures) and one process that runs it {@code warmup + iterations} times (the warm figures).
 *
 * @param workload the workload
 * @param peer     the peer's name
 * @param n        the workload's size
 * @param cold     one result per cold process
 * @param warm     the warm process's result, or {@code null} if none was run
 * @param warmup   how many runs of the warm process are warm-up, not counted
 */
public record Measurement(Workload workload, String peer, int n, List<ProcessResult> cold, ProcessResult warm,
                          int warmup) {

    public Measurement {
        cold = List.copyOf(cold);
    }

    /** The first error of any process of this measurement, or {@code null}. */
    public String error() {
        for (ProcessResult r : cold) {
            if (!r.ok()) {
                return r.error();
            }
        }
        return warm != null && !warm.ok() ? warm.error() : null;
    }

    /** The median, over the cold processes, of their first (only) run's elapsed time. */
    public OptionalLong coldNanos() {
        return cold(Clock.WALL);
    }

    /** The median, over the cold processes, of their first (only) run by {@code clock}. */
    public OptionalLong cold(Clock clock) {
        var firsts = new ArrayList<Long>();
        for (ProcessResult r : cold) {
            if (r.ok() && !r.runs(clock).isEmpty()) {
                firsts.add(r.runs(clock).getFirst());
            }
        }
        return median(firsts);
    }

    /** The largest peak resident set of the cold processes, in KiB. */
    public OptionalLong coldPeakRssKiB() {
        return cold.stream().filter(ProcessResult::ok).mapToLong(ProcessResult::peakRssKiB).max();
    }

    /** The median wall time of the cold processes, JVM or interpreter start-up included. */
    public OptionalDouble coldWallSeconds() {
        var walls = cold.stream().filter(ProcessResult::ok).mapToDouble(ProcessResult::wallSeconds).sorted().toArray();
        return walls.length == 0 ? OptionalDouble.empty() : OptionalDouble.of(walls[walls.length / 2]);
    }

    /** The runs of the warm process after its warm-up, by {@code clock}. */
    public List<Long> warmRuns(Clock clock) {
        if (warm == null || !warm.ok()) {
            return List.of();
        }
        List<Long> runs = warm.runs(clock);
        return runs.subList(Math.min(warmup, runs.size()), runs.size());
    }

    /** The median elapsed time of the warm runs. */
    public OptionalLong warmNanos() {
        return warm(Clock.WALL);
    }

    /** The median of the warm runs by {@code clock}. */
    public OptionalLong warm(Clock clock) {
        return median(warmRuns(clock));
    }

    /** Nanoseconds per operation of a run that took {@code nanos}. */
    public double perOperation(long nanos) {
        return (double) nanos / workload.operations(n);
    }

    /** The median of {@code values}; the upper one of the two middle values for an even count. */
    static OptionalLong median(List<Long> values) {
        if (values.isEmpty()) {
            return OptionalLong.empty();
        }
        var sorted = values.stream().sorted().toList();
        return OptionalLong.of(sorted.get(sorted.size() / 2));
    }
}
