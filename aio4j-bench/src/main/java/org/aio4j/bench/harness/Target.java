package org.aio4j.bench.harness;

import java.util.Optional;
import org.aio4j.bench.Workload;

/**
 * A performance target of issues 2 and 3 for aio4j, against the fastest CPython asyncio build measured in the same
 * run.
 *
 * @param minSpeedup how many times faster than CPython aio4j must be
 * @param cold       whether the comparison is of cold figures (first run in a fresh process) rather than warm ones
 * @param maxRssKiB  the largest peak resident set allowed for aio4j's cold process, or 0 for no limit
 * @param text       the target as the issue states it
 */
public record Target(double minSpeedup, boolean cold, long maxRssKiB, String text) {

    private static final long GIB_IN_KIB = 1L << 20;

    /** The target for {@code workload}, if an issue sets one. */
    public static Optional<Target> of(Workload workload) {
        return Optional.ofNullable(switch (workload) {
            case SWITCH -> new Target(10, false, 0, "≥ 10× faster than CPython (issue 2)");
            case PING_PONG -> new Target(10, false, 0, "≥ 10× faster than CPython (issue 2)");
            case SPAWN_GATHER -> new Target(5, true, GIB_IN_KIB,
                    "cold: ≥ 5× faster than CPython and < 1 GiB peak RSS (issue 2)");
            case QUEUE, SEMAPHORE -> new Target(15, false, 0, "≥ 15× faster than CPython (issue 3)");
            case CALL_SOON -> null;
        });
    }

    /** Whether aio4j's figures meet this target. */
    public boolean isMet(double speedup, long aio4jColdRssKiB) {
        return speedup >= minSpeedup && (maxRssKiB == 0 || (aio4jColdRssKiB > 0 && aio4jColdRssKiB < maxRssKiB));
    }
}
