package org.aio4j.cookbook;

import java.util.function.Supplier;
import org.aio4j.Aio;
import org.aio4j.Coroutine;
import org.aio4j.EventLoop;

/**
 * How the launcher runs a recipe.
 *
 * @param scale       multiplies every sleep and latency of the seed (1 = the seed's own timings)
 * @param virtualTime run on a loop with a virtual clock, so sleeps take no real time
 */
public record Options(double scale, boolean virtualTime) {

    /** Checks the scale. */
    public Options {
        if (!(scale >= 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("--scale must be a finite number >= 0, got " + scale);
        }
    }

    /** A new event loop as these options say. */
    public EventLoop newLoop() {
        return virtualTime ? EventLoop.builder().virtualTime().build() : new EventLoop();
    }

    /** A loop factory for {@link Aio#run(Supplier, Coroutine)}. */
    public Supplier<EventLoop> loops() {
        return this::newLoop;
    }

    /** {@code seconds} of the seed, scaled. */
    public double seconds(double seconds) {
        return seconds * scale;
    }
}
