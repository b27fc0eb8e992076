package org.aio4j;

import java.util.List;
import java.util.function.Supplier;

/** Renders what pending tasks wait on, for deadlock reports and task dumps. */
final class WaitGraph {

    /** How many of the futures a gather or TaskGroup waits on a line names. */
    private static final int MAX_NAMED = 10;

    /**
     * How many pending tasks a deadlock report lists, in creation order: each line walks the task's stack, and a
     * report of every one of a million tasks would take minutes and a hundred megabytes.
     */
    static final int MAX_REPORTED_TASKS = 1000;

    private WaitGraph() {
    }

    /**
     * {@code blockedCalls}: the offloaded calls in flight, each blocked in Future.get() on a future of the loop or
     * queued behind such calls, at most {@link #MAX_REPORTED_TASKS} of them (see {@link InFlight#blockedCalls(int)}).
     */
    static String describe(Future<?> target, List<Task<?>> tasks, InFlight.Blocked blockedCalls) {
        var out = new StringBuilder("Deadlock: the event loop waits for ").append(target)
                .append(", but nothing can make progress: no callback is ready, no timer is scheduled and no")
                .append(" offloaded work is in flight")
                .append(blockedCalls.shown().isEmpty() ? "." : " but calls that wait for the loop's own futures:");
        for (String call : blockedCalls.shown()) {
            out.append("\n  ").append(call);
        }
        if (blockedCalls.more() > 0) {
            out.append("\n  ... and ").append(blockedCalls.more())
                    .append(" more calls that wait for the loop, not shown");
        }
        if (tasks.isEmpty()) {
            out.append("\nNo task is pending: nothing will complete the future.");
        } else {
            out.append("\nPending tasks and what they wait on:");
            for (Task<?> t : tasks.subList(0, Math.min(tasks.size(), MAX_REPORTED_TASKS))) {
                out.append("\n  ").append(line(t));
                StackTraceElement[] site = t.site(); // recorded in debug mode, as asyncio's reprs say "created at"
                if (site != null && site.length > 0) {
                    out.append("\n      created at ").append(site[0]);
                }
            }
            if (tasks.size() > MAX_REPORTED_TASKS) {
                out.append("\n  ... and ").append(tasks.size() - MAX_REPORTED_TASKS)
                        .append(" more pending tasks, not shown (DeadlockException.tasks() has them all)");
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
            Task<?> starting = t.loop.startingEagerly(t);
            if (starting != null) {
                return "nothing (running; starting task " + starting.getName() + " eagerly)";
            }
            return t.thread == null ? "nothing (not started)" : "nothing (ready)";
        }
        return target(w);
    }

    /**
     * What a task waits on ({@code w}, its {@code waitingOn}, not null), for reports and {@link Task#toString()}: a
     * task awaited is named, not described (tasks awaiting each other would describe each other for ever); a future
     * made by a primitive or a combinator is shown as what made it.
     */
    static String target(Object w) {
        if (w instanceof Task<?> other) {
            return "task " + other.getName();
        }
        if (w instanceof TimerHandle h) {
            return "a sleep until " + h.when();
        }
        if (w instanceof GatheringFuture g) {
            return g + stillWaitingFor(g::pendingChildren);
        }
        if (w instanceof Future<?> f && f.owner instanceof TaskGroup group) {
            return group + stillWaitingFor(group::pendingTasks);
        }
        if (w instanceof Future<?> f && f.owner != null) {
            return f.owner.toString();
        }
        return String.valueOf(w);
    }

    /**
     * ", still waiting for task a, task b": the futures a gather, a TaskGroup or another combinator ({@link WaitsFor})
     * waits on, so that the report leads from a task waiting on one to the tasks that hold it up; at most
     * {@value #MAX_NAMED} ({@link #named}). Nothing if they cannot be listed: a dump taken from another thread while
     * the loop changes a TaskGroup's tasks is a best-effort snapshot.
     */
    static String stillWaitingFor(Supplier<List<? extends Future<?>>> futures) {
        List<? extends Future<?>> pending;
        try {
            pending = futures.get();
        } catch (RuntimeException racingWithTheLoop) {
            return "";
        }
        if (pending.isEmpty()) {
            return "";
        }
        return ", still waiting for " + named(pending, MAX_NAMED);
    }

    /**
     * "task a, task b and 3 more": the first {@code max} of {@code items}, a task by its name (not described, which
     * could describe what is being described again; "task a (ended)" if it is done, as a limiter's borrower that
     * ended without releasing), an offloaded call's future as the call (its name and thread,
     * not a bare {@code Future[pending]}), anything else as its {@code toString()}: a combinator among them is not
     * described with what it waits for in turn, so that nested combinators do not multiply the names on one line.
     */
    static String named(Iterable<?> items, int max) {
        var out = new StringBuilder();
        int n = 0;
        for (Object item : items) {
            if (n < max) {
                out.append(n == 0 ? "" : ", ").append(item instanceof Task<?> t
                        ? "task " + t.getName() + (t.isDone() ? " (ended)" : "")
                        : item instanceof Future<?> f && f.owner instanceof Offload<?> call ? call : item);
            }
            n++;
        }
        return n > max ? out.append(" and ").append(n - max).append(" more").toString() : out.toString();
    }
}
