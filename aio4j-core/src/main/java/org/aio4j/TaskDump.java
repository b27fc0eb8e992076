package org.aio4j;

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

    private TaskDump() {
    }

    static String render(EventLoop loop, List<Task<?>> pending) {
        var out = new StringBuilder("Tasks of ").append(loop).append(" at loop time ").append(loop.time())
                .append(": ").append(pending.size()).append(" pending");
        List<Object> inFlight = loop.inFlightSnapshotOrEmpty();
        if (!inFlight.isEmpty()) {
            out.append(", ").append(inFlight.size()).append(" offloaded call(s) in flight");
        }
        Map<Task<?>, List<Task<?>>> children = new IdentityHashMap<>();
        List<Task<?>> roots = new ArrayList<>();
        Map<Task<?>, Boolean> isPending = new IdentityHashMap<>();
        for (Task<?> t : pending) {
            isPending.put(t, Boolean.TRUE);
        }
        for (Task<?> t : pending) {
            Task<?> p = t.parent;
            // A task whose creator is done hangs from the nearest pending ancestor, or is a root.
            while (p != null && !isPending.containsKey(p)) {
                p = p.parent;
            }
            if (p == null) {
                roots.add(t);
            } else {
                children.computeIfAbsent(p, k -> new ArrayList<>()).add(t);
            }
        }
        int[] budget = {MAX_TASKS}; // a million pending tasks would make a dump of a gigabyte
        for (Task<?> root : roots) {
            if (budget[0] == 0) {
                break;
            }
            append(out, root, children, "", "", budget);
        }
        for (Object op : inFlight) {
            out.append("\n  in flight: ").append(op);
        }
        int shown = MAX_TASKS - budget[0];
        if (shown < pending.size()) {
            out.append("\n  ... (").append(pending.size() - shown).append(" more not shown)");
        }
        return out.toString();
    }

    private static void append(StringBuilder out, Task<?> t, Map<Task<?>, List<Task<?>>> children,
                               String firstPrefix, String restPrefix, int[] budget) {
        budget[0]--;
        out.append("\n").append(firstPrefix).append(WaitGraph.line(t));
        if (t.group() != null) {
            out.append(" [in ").append(t.group()).append(']');
        }
        StackTraceElement[] site = t.site();
        if (site != null && site.length > 0) {
            out.append("\n").append(restPrefix).append("    created at ").append(site[0]);
        }
        List<Task<?>> kids = children.getOrDefault(t, List.of());
        for (int i = 0; i < kids.size() && budget[0] > 0; i++) {
            boolean last = i == kids.size() - 1;
            append(out, kids.get(i), children, restPrefix + (last ? "└─ " : "├─ "),
                    restPrefix + (last ? "   " : "│  "), budget);
        }
    }
}
