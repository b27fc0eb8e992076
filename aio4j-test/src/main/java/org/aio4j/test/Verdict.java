package org.aio4j.test;

/**
 * What the watchdog of a {@link WatchedRun} concludes about a body it cancelled (after the timeout, or an interrupt of
 * the waiting thread) once the cancellation grace has passed, and so what it does with the loop: nothing, stop it, or
 * interrupt the thread holding it. Decided by {@link #of}, carried out by {@link WatchedRun} in one place.
 */
enum Verdict {

    /** The body ended within the grace (or just as the watchdog gave up): the loop is still usable. */
    UNWOUND(null),

    /**
     * The loop ran the cancellation, but a task went on (it catches the cancellation, or awaits something that
     * ignores it): the loop is stopped, and its driver closes it when it comes back.
     */
    IGNORED_CANCELLATION("because a task went on after its cancellation"),

    /**
     * The loop ran the cancellation, then the stop did not run either: since the cancellation, a task or callback
     * holds the loop (a blocking call in a {@code finally} block or a cancellation handler). The thread holding it is
     * interrupted.
     */
    HELD_AFTER_CANCELLATION("because a task was blocking it"),

    /**
     * The loop never ran the cancellation: a task or callback holds it (a busy loop, a blocking call). The thread
     * holding it is interrupted.
     */
    HELD("because a task was blocking it");

    private final String reason;

    Verdict(String reason) {
        this.reason = reason;
    }

    /**
     * The verdict on a body that {@code ended} (or not) within the grace, on a loop that ran the watchdog's
     * cancellation (or not), after the watchdog {@code stopped} the loop (or before it tried).
     */
    static Verdict of(boolean ended, boolean cancellationRan, boolean stopped) {
        if (ended) {
            return UNWOUND;
        }
        if (!cancellationRan) {
            return HELD;
        }
        return stopped ? HELD_AFTER_CANCELLATION : IGNORED_CANCELLATION;
    }

    /** Why the loop was abandoned, completing "abandoned after a timeout ...": null for {@link #UNWOUND}. */
    String reason() {
        return reason;
    }

    /** Whether the loop is stopped: it still runs iterations, so its driver comes back. */
    boolean stopsTheLoop() {
        return this == IGNORED_CANCELLATION;
    }

    /** Whether the thread holding the loop is interrupted: nothing else can reach a loop held by a task. */
    boolean interruptsTheHolder() {
        return this == HELD || this == HELD_AFTER_CANCELLATION;
    }
}
