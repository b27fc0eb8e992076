package org.aio4j;

import java.time.Duration;
import java.util.List;

/**
 * A report of the debug-mode watchdog: a task or callback held the loop longer than the slow-callback duration.
 * asyncio's debug mode logs {@code "Executing <Handle ...> took 0.150 seconds"} once it is over; aio4j reports the
 * step while it is still blocking, with the stack of the blocking code at that moment, and again when it ends.
 *
 * @param subject  the task or callback, as text; a task with the line that created it, as asyncio's warning shows
 *                 it (e.g. {@code Task[name=worker, pending] created at com.example.Main.lambda$main$0(Main.java:12)})
 * @param held     how long it had held the loop when the report was made
 * @param stack    the frames of the thread holding the loop when it was caught blocking (innermost first); for a
 *                 callback, only the callback's own (not those of the loop, nor of the task whose thread happened
 *                 to run it); empty in the report made when the step ends
 * @param finished {@code false} for the report made while the step still blocks; {@code true} for the one made when
 *                 it ended, with the total time
 * @param state    the state of the thread holding the loop when its stack was taken, as a thread dump shows it
 *                 ({@code BLOCKED}: entering a {@code synchronized} block whose monitor another thread holds, which
 *                 the stack alone does not tell from running on that line; {@code WAITING} or
 *                 {@code TIMED_WAITING}: parked, sleeping, in a blocking read); {@code null} in the report made when
 *                 the step ends
 */
public record SlowStep(String subject, Duration held, List<StackTraceElement> stack, boolean finished,
                       Thread.State state) {

    /** Copies the stack. */
    public SlowStep {
        stack = List.copyOf(stack);
    }

    /**
     * A report without the thread's state.
     *
     * @param subject  the task or callback, as text
     * @param held     how long it had held the loop when the report was made
     * @param stack    the frames of the thread holding the loop (innermost first), or empty
     * @param finished whether the step had ended
     */
    public SlowStep(String subject, Duration held, List<StackTraceElement> stack, boolean finished) {
        this(subject, held, stack, finished, null);
    }

    /**
     * The report as a log message.
     *
     * @return the report, as text
     */
    public String describe() {
        var out = new StringBuilder();
        if (finished) {
            out.append(subject).append(" held the event loop for ").append(seconds()).append(" s in total");
        } else {
            out.append(subject).append(" has been holding the event loop for ").append(seconds())
                    .append(" s (blocking call in a task or callback?); ");
            if (state == null) {
                out.append("it is at:");
            } else {
                out.append("its thread is ").append(state).append(state == Thread.State.BLOCKED
                        ? " (waiting to enter a synchronized block whose monitor another thread holds)" : "")
                        .append(", at:");
            }
            for (StackTraceElement f : stack) {
                out.append("\n\tat ").append(f);
            }
        }
        return out.toString();
    }

    private String seconds() {
        return String.format(java.util.Locale.ROOT, "%.3f", held.toNanos() / 1e9);
    }
}
