package org.aio4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a loop's pending tasks as a tree: each task under the task that created it, with its state, what it waits
 * on and where, its group, and where it was created (debug mode). Used by {@link EventLoop#dumpTasks()}.
 */
final class TaskDump {

    private static final int MAX_TASKS = 10_000;
    /** How many of the offloaded calls in flight a dump lists (each a line; the others are counted). */
    private static final int MAX_CALLS = 1_000;
    /** The depth from which a task's line is no more indented than its parent's, and says its depth instead. */
    private static final int MAX_INDENT = 30;

    private TaskDump() {
    }

    static String render(EventLoop loop, List<Task<?>> pending) {
        var out = new StringBuilder("Tasks of ").append(loop).append(" at loop time ").append(loop.time())
                .append(": ").append(pending.size()).append(" pending");
        List<Object> inFlight = loop.inFlightSnapshotOrEmpty(MAX_CALLS);
        int calls = Math.max(inFlight.size(), loop.inFlightCount());
        if (calls > 0) {
            out.append(", ").append(calls).append(" offloaded call(s) in flight");
        }
        Map<Task<?>, List<Task<?>>> children = new IdentityHashMap<>();
        List<Task<?>> roots = new ArrayList<>();
        Map<Task<?>, Boolean> isPending = new IdentityHashMap<>();
        for (Task<?> t : pending) {
            isPending.put(t, Boolean.TRUE);
        }
        for (Task<?> t : pending) {
            // A task whose creator is done hangs from the nearest pending ancestor, or is a root.
            Task<?> p = null;
            for (Task.Creator c = t.creator; c != null && p == null; c = c.up) {
                Task<?> candidate = c.task;
                if (candidate != null && isPending.containsKey(candidate)) {
                    p = candidate;
                }
            }
            if (p == null) {
                roots.add(t);
            } else {
                children.computeIfAbsent(p, k -> new ArrayList<>()).add(t);
            }
        }
        int shown = appendTrees(out, roots, children); // a million pending tasks would make a dump of a gigabyte
        for (Object op : inFlight) {
            out.append("\n  in flight: ").append(op);
        }
        if (calls > inFlight.size()) {
            out.append("\n  ... (").append(calls - inFlight.size()).append(" more calls in flight not shown)");
        }
        if (shown < pending.size()) {
            out.append("\n  ... (").append(pending.size() - shown).append(" more not shown)");
        }
        return out.toString();
    }

    /** A task to render, with the prefixes of its first line and of the lines under it, and its depth (0 for a root). */
    private record Item(Task<?> task, String firstPrefix, String restPrefix, int depth) {
    }

    /**
     * Appends the trees, depth first, at most {@link #MAX_TASKS} tasks; returns how many it showed. Iterative, as a
     * chain of tasks each awaiting the one it created (a recursive walk) may be thousands deep; and the indentation
     * stops growing at {@link #MAX_INDENT} levels, the lines below saying their depth instead, so that no line is
     * thousands of characters long (nor the dump quadratic in the depth).
     */
    private static int appendTrees(StringBuilder out, List<Task<?>> roots, Map<Task<?>, List<Task<?>>> children) {
        var stack = new ArrayDeque<Item>();
        for (int i = roots.size() - 1; i >= 0; i--) {
            stack.push(new Item(roots.get(i), "", "", 0));
        }
        int shown = 0;
        while (!stack.isEmpty() && shown < MAX_TASKS) {
            Item item = stack.pop();
            Task<?> t = item.task();
            shown++;
            out.append("\n").append(item.firstPrefix());
            if (item.depth() > MAX_INDENT) {
                out.append("(depth ").append(item.depth()).append(") ");
            }
            out.append(WaitGraph.line(t));
            if (t.group() != null) {
                out.append(" [in ").append(t.group()).append(']');
            }
            StackTraceElement[] site = t.site();
            if (site != null && site.length > 0) {
                out.append("\n").append(item.restPrefix()).append("    created at ").append(site[0]);
            }
            List<Task<?>> kids = children.getOrDefault(t, List.of());
            String rest = item.restPrefix();
            boolean indent = item.depth() < MAX_INDENT;
            for (int i = kids.size() - 1; i >= 0; i--) {
                boolean last = i == kids.size() - 1;
                stack.push(indent
                        ? new Item(kids.get(i), rest + (last ? "└─ " : "├─ "), rest + (last ? "   " : "│  "),
                                item.depth() + 1)
                        : new Item(kids.get(i), rest, rest, item.depth() + 1));
            }
        }
        return shown;
    }
}
