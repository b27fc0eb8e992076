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
 */
public record SlowStep(String subject, Duration held, List<StackTraceElement> stack, boolean finished) {

    /** Copies the stack. */
    public SlowStep {
        stack = List.copyOf(stack);
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
                    .append(" s (blocking call in a task or callback?); it is at:");
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
