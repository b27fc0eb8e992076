package org.aio4j;

import java.util.ArrayList;
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

    /**
     * Whether nothing in flight can bring the loop work by itself: nothing is in flight, or every call in flight is
     * blocked in an untimed {@link Future#get()} on a pending future of this loop (say {@code toThread(() ->
     * f.get())}), which only the loop can settle. Such calls wait for the loop, so they must neither hold a virtual
     * clock (which would wait for them for ever) nor hide a deadlock. Wrapped stages and announced external work are
     * never known to be blocked. Called on the thread holding the loop, when nothing else is ready.
     */
    boolean onlyWaitsForTheLoop() {
        if (ops.isEmpty()) {
            return true;
        }
        for (Object op : ops) {
            if (blockedOn(op) == null) {
                return false;
            }
        }
        return true;
    }

    /** The calls in flight blocked on a pending future of this loop, with it (see {@link #onlyWaitsForTheLoop}). */
    List<String> blockedCalls() {
        return blockedCalls(false);
    }

    /**
     * As {@link #blockedCalls()}, for the close that is about to release them: each is marked as reported, so that
     * the {@link ReleasedByClose} it then fails with is not reported again (see {@link Offload#markReleaseReported}).
     */
    List<String> blockedCallsReportedAtClose() {
        return blockedCalls(true);
    }

    private List<String> blockedCalls(boolean reportedAtClose) {
        var out = new ArrayList<String>();
        for (Object op : ops) {
            Future<?> f = blockedOn(op);
            if (f != null) {
                out.add(op + " is blocked in Future.get() on " + f);
                if (reportedAtClose) {
                    ((Offload<?>) op).markReleaseReported();
                }
            }
        }
        return out;
    }

    /**
     * What is in flight except the calls blocked in get() on a pending future of this loop: the work that may still
     * end by itself (the close reports and releases the others, see {@link #blockedCallsReportedAtClose}).
     */
    List<Object> notWaitingForTheLoop() {
        var out = new ArrayList<Object>();
        for (Object op : ops) {
            if (blockedOn(op) == null) {
                out.add(op);
            }
        }
        return out;
    }

    private Future<?> blockedOn(Object op) {
        Thread runner = op instanceof Offload<?> call ? call.runningThread() : null;
        return runner == null ? null : loop.blockedGets.waitsForever(runner);
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

    /**
     * From another thread: a best-effort copy, empty if it raced with the loop. Not {@link #snapshot()}: a set copied
     * while the loop changes it fails in other ways than a ConcurrentModificationException (the set's toArray sizes
     * the array first and overruns it with an ArrayIndexOutOfBoundsException if an entry was added meanwhile, or
     * leaves nulls if one was removed). Walked entry by entry instead, skipping what is not there any more.
     */
    List<Object> snapshotOrEmpty() {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                var copy = new ArrayList<Object>();
                for (Object op : ops) {
                    if (op != null) {
                        copy.add(op);
                    }
                    if (copy.size() >= MAX_SNAPSHOT) {
                        break;
                    }
                }
                return copy;
            } catch (RuntimeException racingWithTheLoop) { // ConcurrentModificationException, NoSuchElementException
                Thread.onSpinWait();
            }
        }
        return List.of();
    }

    /** The most entries a snapshot from another thread copies (a walk that the loop keeps extending ends anyway). */
    private static final int MAX_SNAPSHOT = 100_000;
}
