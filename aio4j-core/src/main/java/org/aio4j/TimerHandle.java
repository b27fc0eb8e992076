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
    /** Set when the handle leaves the timer heap: for the ready queue, or dropped as cancelled. Loop-confined. */
    boolean offHeap;
    /** Set when the timer heap counts the handle among its cancelled ones. Loop-confined. */
    boolean counted;

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
     * {@inheritDoc} From a thread that does not hold the loop, the handle is marked cancelled at once and its removal
     * from the loop's timers is posted to the loop (as {@link EventLoop#callSoonThreadsafe} would), which wakes it to
     * look at its next timer again; a loop that is closed has no timers left to leave.
     */
    @Override
    public void cancel() {
        if (markCancelled()) {
            if (loop.holderThread == Thread.currentThread()) {
                loop.timers.onCancel(this);
            } else {
                loop.post(new Handle((Runnable) () -> loop.timers.onCancel(this), null));
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
