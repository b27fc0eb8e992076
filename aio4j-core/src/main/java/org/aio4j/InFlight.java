package org.aio4j;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Work outside the loop that may still complete one of its futures: offloaded calls, wrapped completion stages, work
 * announced with {@link EventLoop#expectExternal()}. While any is in flight, virtual time does not jump and deadlock
 * detection does not fire. Loop-confined.
 */
final class InFlight {

    private final EventLoop loop;
    private final Set<Object> ops = new LinkedHashSet<>();
    private Future<Void> drained;

    InFlight(EventLoop loop) {
        this.loop = loop;
    }

    void add(Object op) {
        ops.add(op);
    }

    void remove(Object op) {
        if (ops.remove(op) && ops.isEmpty() && drained != null) {
            Future<Void> d = drained;
            drained = null;
            if (!d.isDone()) {
                d.complete(null);
            }
        }
    }

    boolean isEmpty() {
        return ops.isEmpty();
    }

    /** A future done when nothing is in flight any more. */
    Future<Void> drained() {
        Future<Void> f = new Future<>(loop);
        if (ops.isEmpty()) {
            f.complete(null);
        } else {
            drained = f;
        }
        return f;
    }

    List<Object> snapshot() {
        return new ArrayList<>(ops);
    }

    /** From another thread: a best-effort copy, empty if it raced with the loop. */
    List<Object> snapshotOrEmpty() {
        try {
            return snapshot();
        } catch (ConcurrentModificationException racingWithTheLoop) {
            return List.of();
        }
    }
}
