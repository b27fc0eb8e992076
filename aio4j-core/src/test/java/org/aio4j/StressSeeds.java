package org.aio4j;

import java.util.stream.Stream;

/**
 * The seeds of the randomized stress tests ({@code @MethodSource("org.aio4j.StressSeeds#seeds")}): a fixed one, so a
 * known schedule is always checked, and a new one every run, so that runs explore; a failure message prints its seed.
 */
final class StressSeeds {

    private StressSeeds() {
    }

    static Stream<Long> seeds() {
        return Stream.of(42L, System.nanoTime());
    }

    /** How a failure message names its seed. */
    static String describe(long seed) {
        return "seed " + seed + " (rerun with this seed to reproduce)";
    }
}
