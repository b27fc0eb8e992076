package org.aio4j;

import java.util.List;

/** Renders what pending tasks wait on, for deadlock reports and task dumps. */
final class WaitGraph {

    private WaitGraph() {
    }

    /**
     * {@code blockedCalls}: the offloaded calls in flight, each blocked in Future.get() on a future of the loop or
     * queued behind such calls (see {@link InFlight#blockedCalls()}).
     */
    static String describe(Future<?> target, List<Task<?>> tasks, List<String> blockedCalls) {
        var out = new StringBuilder("Deadlock: the event loop waits for ").append(target)
                .append(", but nothing can make progress: no callback is ready, no timer is scheduled and no")
                .append(" offloaded work is in flight")
                .append(blockedCalls.isEmpty() ? "." : " but calls that wait for the loop's own futures:");
        for (String call : blockedCalls) {
            out.append("\n  ").append(call);
        }
        if (tasks.isEmpty()) {
            out.append("\nNo task is pending: nothing will complete the future.");
        } else {
            out.append("\nPending tasks and what they wait on:");
            for (Task<?> t : tasks) {
                out.append("\n  ").append(line(t));
                StackTraceElement[] site = t.site(); // recorded in debug mode, as asyncio's reprs say "created at"
                if (site != null && site.length > 0) {
                    out.append("\n      created at ").append(site[0]);
                }
            }
        }
        out.append("\nIf another thread will complete one of these with callSoonThreadsafe, announce it with")
                .append(" loop.expectExternal(), or build the loop with deadlockDetection(false).");
        return out.toString();
    }

    static String line(Task<?> t) {
        if (t.isDone()) {
            return t.toString();
        }
        var out = new StringBuilder(t.getName()).append(" waits on ").append(waitTarget(t));
        StackTraceElement at = t.waitingAt();
        if (at != null) {
            out.append(" at ").append(at);
        }
        return out.toString();
    }

    private static String waitTarget(Task<?> t) {
        Object w = t.waitingOn;
        if (w == null) {
            if (t.loop.currentTask == t) {
                return "nothing (running)";
            }
            return t.thread == null ? "nothing (not started)" : "nothing (ready)";
        }
        if (w instanceof Task<?> other) {
            return "task " + other.getName();
        }
        if (w instanceof TimerHandle h) {
            return "a sleep until " + h.when();
        }
        if (w instanceof Future<?> f && f.owner != null) {
            return f.owner.toString();
        }
        return String.valueOf(w);
    }
}
