package org.aio4j.cookbook;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.aio4j.Aio;
import org.aio4j.Coroutine;
import org.aio4j.EventLoop;
import org.aio4j.Timeline;

/**
 * How the launcher runs a recipe: the time scale, the clock, and whether to record a timeline of the loop.
 */
public final class Options {

    private final double scale;
    private final boolean virtualTime;
    private final boolean recordTimeline;
    private final List<Timeline> timelines = new CopyOnWriteArrayList<>(); // read by Main's shutdown hook too

    /**
     * Options without a timeline.
     *
     * @param scale       multiplies every sleep and latency of the seed (1 = the seed's own timings)
     * @param virtualTime run on a loop with a virtual clock, so sleeps take no real time
     */
    public Options(double scale, boolean virtualTime) {
        this(scale, virtualTime, false);
    }

    /**
     * Options.
     *
     * @param recordTimeline record every loop the recipe creates (see {@link #timelines()})
     */
    public Options(double scale, boolean virtualTime, boolean recordTimeline) {
        if (!(scale >= 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("--scale must be a finite number >= 0, got " + scale);
        }
        this.scale = scale;
        this.virtualTime = virtualTime;
        this.recordTimeline = recordTimeline;
    }

    /** The time scale. */
    public double scale() {
        return scale;
    }

    /** Whether loops run on a virtual clock. */
    public boolean virtualTime() {
        return virtualTime;
    }

    /** A new event loop as these options say. */
    public EventLoop newLoop() {
        EventLoop loop = virtualTime ? EventLoop.builder().virtualTime().build() : new EventLoop();
        if (recordTimeline) {
            timelines.add(loop.recordTimeline());
        }
        return loop;
    }

    /** A loop factory for {@link Aio#run(Supplier, Coroutine)}. */
    public Supplier<EventLoop> loops() {
        return this::newLoop;
    }

    /** {@code seconds} of the seed, scaled. */
    public double seconds(double seconds) {
        return seconds * scale;
    }

    /** The timelines recorded so far, one per loop created, oldest first. */
    public List<Timeline> timelines() {
        return List.copyOf(timelines);
    }
}
