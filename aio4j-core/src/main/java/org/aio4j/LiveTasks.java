package org.aio4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The loop's strong references to its pending tasks: an intrusive doubly linked list through
 * {@link Task#livePrev}/{@link Task#liveNext}, so adding and removing a task allocate nothing. A task is added when it
 * is created and removed when it is done; nothing pending is ever "destroyed" by the garbage collector.
 */
final class LiveTasks {

    private Task<?> head; // the newest
    private int count;

    void add(Task<?> t) {
        Task<?> h = head;
        t.liveNext = h;
        if (h != null) {
            h.livePrev = t;
        }
        head = t;
        count++;
    }

    void remove(Task<?> t) {
        Task<?> prev = t.livePrev;
        Task<?> next = t.liveNext;
        if (prev != null) {
            prev.liveNext = next;
        } else if (head == t) {
            head = next;
        } else {
            return; // not linked
        }
        if (next != null) {
            next.livePrev = prev;
        }
        t.livePrev = null;
        t.liveNext = null;
        count--;
    }

    boolean isEmpty() {
        return head == null;
    }

    /** Pending tasks in creation order (loop thread). */
    List<Task<?>> list() {
        var out = new ArrayList<Task<?>>(count);
        for (Task<?> t = head; t != null; t = t.liveNext) {
            out.add(t);
        }
        Collections.reverse(out);
        return out;
    }

    /** As {@link #list()}, from any thread: a best-effort walk that cannot loop forever on a list being changed. */
    List<Task<?>> snapshot() {
        var out = new ArrayList<Task<?>>();
        int limit = 10_000_000;
        for (Task<?> t = head; t != null && limit-- > 0; t = t.liveNext) {
            out.add(t);
        }
        Collections.reverse(out);
        return out;
    }
}
