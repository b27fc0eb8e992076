package org.aio4j.http;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The real-clock timeouts of every transport ({@link HttpTransport#scheduleTimeout}), on one daemon thread. Not a
 * client's own per-request timer: the JDK client registers each one with its selector thread and wakes that thread
 * every time, which cost more CPU per request than the rest of aio4j's part of an exchange. Here a timer is armed and
 * disarmed without waking anybody while its deadline is later than the earliest one, the usual case with one timeout
 * for every request.
 */
final class TransportTimers {

    private static final ScheduledThreadPoolExecutor TIMERS = create();

    private TransportTimers() {
    }

    private static ScheduledThreadPoolExecutor create() {
        // A platform daemon thread, not a virtual one: a virtual thread takes its creator's scheduler, and this one is
        // created by whichever task arms the first timer, possibly on a loop's dedicated carrier.
        var t = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("aio4j-http-timeouts").factory());
        t.setRemoveOnCancelPolicy(true); // a disarmed timer leaves at once, not when its deadline passes
        return t;
    }

    static ScheduledFuture<?> schedule(Duration timeout, Runnable onTimeout) {
        return TIMERS.schedule(onTimeout, Math.max(1, Durations.nanos(timeout)), TimeUnit.NANOSECONDS);
    }

    /**
     * The idle timer of {@link HttpTransport#scheduleIdleTimeout}: one scheduled task at a time, which on firing
     * runs {@code onIdle} if nothing was {@linkplain #touch() touched} since {@code idle} before, and else schedules
     * itself again for when that would be. A touch is a volatile write only: no timer is cancelled or armed per part
     * of a body.
     */
    static final class Idle implements HttpTransport.IdleTimer, Runnable {
        private final long idleNanos;
        private final Runnable onIdle;
        private volatile long last = System.nanoTime();
        private volatile boolean cancelled;
        private volatile ScheduledFuture<?> next;

        Idle(Duration idle, Runnable onIdle) {
            this.idleNanos = Math.max(1, Durations.nanos(idle));
            this.onIdle = onIdle;
        }

        Idle start() {
            scheduleIn(idleNanos);
            return this;
        }

        private void scheduleIn(long nanos) {
            next = TIMERS.schedule(this, nanos, TimeUnit.NANOSECONDS);
            if (cancelled) { // cancelled before next was set, which cancel() could not remove
                next.cancel(false);
            }
        }

        @Override
        public void run() {
            if (cancelled) {
                return;
            }
            long quiet = System.nanoTime() - last;
            if (quiet >= idleNanos) {
                cancelled = true;
                onIdle.run();
            } else {
                scheduleIn(idleNanos - quiet);
            }
        }

        @Override
        public void touch() {
            last = System.nanoTime();
        }

        @Override
        public void cancel() {
            cancelled = true;
            ScheduledFuture<?> f = next;
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    static HttpTransport.IdleTimer scheduleIdle(Duration idle, Runnable onIdle) {
        return new Idle(idle, onIdle).start();
    }

    /** How many timers are armed now (for tests). */
    static int armed() {
        return TIMERS.getQueue().size();
    }
}
