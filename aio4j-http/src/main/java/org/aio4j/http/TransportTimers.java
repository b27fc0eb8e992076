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

    /** How many timers are armed now (for tests). */
    static int armed() {
        return TIMERS.getQueue().size();
    }
}
