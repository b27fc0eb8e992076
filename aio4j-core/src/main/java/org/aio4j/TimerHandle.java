package org.aio4j;

/**
 * A callback scheduled for a point in loop time, as returned by {@link EventLoop#callLater(double, Runnable)} and
 * {@link EventLoop#callAt(double, Runnable)}: asyncio's {@code TimerHandle}.
 *
 * <p>When its time comes the handle joins the end of the loop's ready queue and runs in that iteration, after the
 * callbacks that were already ready. Handles due at the same time run in the order they were scheduled.
 */
public final class TimerHandle extends Handle implements Comparable<TimerHandle> {

    private final EventLoop loop;
    final long whenNanos;
    final long seq;
    /** Set when the handle leaves the timer heap for the ready queue. */
    boolean fired;

    TimerHandle(EventLoop loop, long whenNanos, long seq, Object fn, Object arg) {
        super(fn, arg);
        this.loop = loop;
        this.whenNanos = whenNanos;
        this.seq = seq;
    }

    /**
     * When the callback is due, in the loop's time ({@link EventLoop#time()}), in seconds. For a handle scheduled
     * further away than the loop's timers can be, the latest time they can have (about 292 years; see
     * {@link EventLoop}).
     *
     * @return the due time, in seconds of loop time
     */
    public double when() {
        return whenNanos / 1e9;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if called from a thread that does not hold the handle's running loop
     */
    @Override
    public void cancel() {
        loop.checkThread("TimerHandle.cancel");
        if (!cancelled) {
            cancelled = true;
            if (!fired) {
                loop.timers.onCancel();
            }
        }
    }

    @Override
    public int compareTo(TimerHandle other) {
        int byTime = Long.compare(whenNanos, other.whenNanos);
        return byTime != 0 ? byTime : Long.compare(seq, other.seq);
    }

    @Override
    void details(StringBuilder out) {
        out.append(", when=").append(when());
    }
}
