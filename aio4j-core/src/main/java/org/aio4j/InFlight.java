package org.aio4j;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadPoolExecutor;

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
     * Whether nothing in flight can bring the loop work by itself: nothing is in flight, or every call in flight
     * waits for the loop. A call waits for the loop while it is blocked in an untimed {@link Future#get()} on a
     * pending future of this loop (say {@code toThread(() -> f.get())}), which only the loop can settle; and while it
     * waits, not started, for a thread of a {@link ThreadPoolExecutor} all of whose threads run such calls (see
     * {@link #fullOfBlockedCalls}). Such calls must neither hold a virtual clock (which would wait for them for ever)
     * nor hide a deadlock. Wrapped stages, announced external work and calls on executors the loop cannot inspect
     * are never known to wait. Called on the thread holding the loop, when nothing else is ready.
     */
    boolean onlyWaitsForTheLoop() {
        if (ops.isEmpty()) {
            return true;
        }
        List<ThreadPoolExecutor> pools = null; // of the calls not started
        for (Object op : ops) {
            if (blockedOn(op) != null) {
                continue;
            }
            ThreadPoolExecutor pool = queuedOn(op);
            if (pool == null) {
                return false;
            }
            if (pools == null) {
                pools = new ArrayList<>(1);
            }
            if (!pools.contains(pool)) {
                pools.add(pool);
            }
        }
        return pools == null || fullOfBlockedCalls(pools).size() == pools.size();
    }

    /**
     * Of {@code pools}, those whose threads all run calls of this loop blocked in an untimed {@link Future#get()} on
     * its pending futures, with how many threads each has: a call queued on one cannot start before the loop settles
     * one of those futures. Each blocked call found stays blocked until then (but for an interrupt from another
     * thread, unseen as in {@link BlockedGets#waitsForever}), and runs on a thread of its pool (see
     * {@link Offload#pool()}); the pool's size is read after them, so if it equals their number, every thread of the
     * pool is one of theirs. Only a pool at its maximum size counts: below it, a task that another thread submits
     * may start a new thread, which would then take the queued call. A thread running anything else (between two
     * calls, or work that is not the loop's, or a call of another loop blocked on that loop's future) may free
     * itself at any moment: the pool does not count. Not seen: another thread raising the pool's maximum size
     * ({@code setMaximumPoolSize}) at that moment, as a post racing with the loop is not.
     */
    private Map<ThreadPoolExecutor, Integer> fullOfBlockedCalls(List<ThreadPoolExecutor> pools) {
        Map<ThreadPoolExecutor, Set<Thread>> blocked = new IdentityHashMap<>();
        for (Object op : ops) {
            if (op instanceof Offload<?> call && pools.contains(call.pool())) {
                Thread runner = call.runningThread();
                if (blockedOn(call, runner) != null) {
                    blocked.computeIfAbsent(call.pool(), k -> new HashSet<>()).add(runner);
                }
            }
        }
        Map<ThreadPoolExecutor, Integer> full = new IdentityHashMap<>();
        blocked.forEach((pool, threads) -> {
            int n = threads.size();
            if (pool.getPoolSize() == n && pool.getMaximumPoolSize() == n) {
                full.put(pool, n);
            }
        });
        return full;
    }

    /**
     * The calls in flight that wait for the loop (see {@link #onlyWaitsForTheLoop}), each with what it waits for:
     * for a deadlock report.
     */
    List<String> blockedCalls() {
        return blockedCalls(false);
    }

    /**
     * As {@link #blockedCalls()}, for the close that is about to release them, each with what the close does about
     * it: a call blocked in get() is marked as reported, so that the {@link ReleasedByClose} it then fails with is
     * not reported again (see {@link Offload#markReleaseReported}); a call not started is dropped, as its outcome
     * could go nowhere (see {@link Offload#dropIfNotStarted}).
     */
    List<String> blockedCallsReportedAtClose() {
        return blockedCalls(true);
    }

    private List<String> blockedCalls(boolean reportedAtClose) {
        var out = new ArrayList<String>();
        Map<ThreadPoolExecutor, Integer> full = null;
        for (Object op : ops) {
            Future<?> f = blockedOn(op);
            if (f != null) {
                out.add(op + " is blocked in Future.get() on " + f
                        + (reportedAtClose ? ": the call is released with an IllegalStateException" : ""));
                if (reportedAtClose) {
                    ((Offload<?>) op).markReleaseReported();
                }
                continue;
            }
            ThreadPoolExecutor pool = queuedOn(op);
            if (pool == null) {
                continue;
            }
            if (full == null) {
                full = fullOfBlockedCalls(queuedPools());
            }
            Integer threads = full.get(pool);
            if (threads != null && (!reportedAtClose || ((Offload<?>) op).dropIfNotStarted())) {
                out.add(op + " waits for a thread of " + pool + ", whose " + threads + " thread(s) all run calls"
                        + " blocked in Future.get() on the loop's futures"
                        + (reportedAtClose ? ": the call is dropped, it will not run" : ""));
            }
        }
        return out;
    }

    /**
     * What is in flight except the calls that wait for the loop: the work that may still end by itself (the close
     * reports the others, see {@link #blockedCallsReportedAtClose}).
     */
    List<Object> notWaitingForTheLoop() {
        var out = new ArrayList<Object>();
        Map<ThreadPoolExecutor, Integer> full = null;
        for (Object op : ops) {
            if (blockedOn(op) != null) {
                continue;
            }
            ThreadPoolExecutor pool = queuedOn(op);
            if (pool != null) {
                if (full == null) {
                    full = fullOfBlockedCalls(queuedPools());
                }
                if (full.containsKey(pool)) {
                    continue;
                }
            }
            out.add(op);
        }
        return out;
    }

    /** The pools of the calls in flight that have not started (see {@link Offload#queuedOn()}). */
    private List<ThreadPoolExecutor> queuedPools() {
        var pools = new ArrayList<ThreadPoolExecutor>(1);
        for (Object op : ops) {
            ThreadPoolExecutor pool = queuedOn(op);
            if (pool != null && !pools.contains(pool)) {
                pools.add(pool);
            }
        }
        return pools;
    }

    /** The pool of {@code op}, a call not started on a pool the loop can look into, or null. */
    private static ThreadPoolExecutor queuedOn(Object op) {
        return op instanceof Offload<?> call ? call.queuedOn() : null;
    }

    /** The pending future of this loop that the call {@code op} is blocked on in an untimed get(), or null. */
    private Future<?> blockedOn(Object op) {
        return op instanceof Offload<?> call ? blockedOn(call, call.runningThread()) : null;
    }

    /**
     * As {@link #blockedOn(Object)}, {@code runner} having been read from {@code call}: read again after, the same
     * thread still running the call was blocked within it.
     */
    private Future<?> blockedOn(Offload<?> call, Thread runner) {
        if (runner == null) {
            return null;
        }
        Future<?> f = loop.blockedGets.waitsForever(runner);
        return f != null && call.runningThread() == runner ? f : null;
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
