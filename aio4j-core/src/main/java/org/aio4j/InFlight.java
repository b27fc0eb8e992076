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
     * {@link #classify}). Such calls must neither hold a virtual clock (which would wait for them for ever) nor hide
     * a deadlock. Wrapped stages, announced external work and calls on executors the loop cannot inspect are never
     * known to wait. Called on the thread holding the loop, when nothing else is ready.
     */
    boolean onlyWaitsForTheLoop() {
        return ops.isEmpty() || classify(true) != null;
    }

    /**
     * The first {@code max} calls in flight that wait for the loop (see {@link #onlyWaitsForTheLoop}), each with what
     * it waits for, and how many more there are: for a deadlock report. Only those shown are described (a walk of
     * their thread's stack each).
     */
    Blocked blockedCalls(int max) {
        return blockedCalls(false, max);
    }

    /** The calls of {@link #blockedCalls(int)}: those {@code shown}, and the number of the others. */
    record Blocked(List<String> shown, int more) {
    }

    /**
     * As {@link #blockedCalls(int)}, all of them, for the close that is about to release them, each with what the close does about
     * it: a call blocked in get() is marked as reported, so that the {@link ReleasedByClose} it then fails with is
     * not reported again (see {@link Offload#markReleaseReported}); a call not started is dropped, as its outcome
     * could go nowhere (see {@link Offload#dropIfNotStarted}).
     */
    List<String> blockedCallsReportedAtClose() {
        return blockedCalls(true, Integer.MAX_VALUE).shown();
    }

    private Blocked blockedCalls(boolean reportedAtClose, int max) {
        var out = new ArrayList<String>();
        int more = 0;
        for (Wait w : classify(false)) {
            if (out.size() >= max) {
                more += w.forTheLoop() ? 1 : 0;
            } else if (w.future() != null) {
                Thread runner = ((Offload<?>) w.op()).runningThread();
                out.add(w.op() + " is blocked in " + (runner != null && loop.blockedGets.waitsForSubmission(runner)
                        ? "get() on the result of runCoroutineThreadsafe, " : "Future.get() on ") + w.future()
                        + blockedAt((Offload<?>) w.op())
                        + (reportedAtClose ? ": the call is released with an IllegalStateException" : ""));
                if (reportedAtClose) {
                    ((Offload<?>) w.op()).markReleaseReported();
                }
            } else if (w.loopIo()) {
                if (!reportedAtClose) { // the close closes the connection: nothing to release
                    out.add(w.op() + ((LoopIo) w.op()).whyItWaitsForTheLoop());
                }
            } else if (w.pool() != null && (!reportedAtClose || ((Offload<?>) w.op()).dropIfNotStarted())) {
                out.add(w.op() + " waits for a thread of " + w.pool() + ", whose " + w.threads()
                        + " thread(s) all run calls blocked in Future.get() on the loop's futures"
                        + (reportedAtClose ? ": the call is dropped, it will not run" : ""));
            }
        }
        return new Blocked(out, more);
    }

    /**
     * " at FRAME": the line of the call's own code where it is blocked, as a task's report line says where it waits
     * (the first frame of user code on the thread running it); nothing if it has just left.
     */
    private static String blockedAt(Offload<?> call) {
        Thread runner = call.runningThread();
        if (runner != null) {
            for (StackTraceElement frame : runner.getStackTrace()) {
                if (Task.isUserFrame(frame)) {
                    return " at " + frame;
                }
            }
        }
        return "";
    }

    /**
     * What is in flight except the calls that wait for the loop: the work that may still end by itself (the close
     * reports the others, see {@link #blockedCallsReportedAtClose}).
     */
    List<Object> notWaitingForTheLoop() {
        var out = new ArrayList<Object>();
        for (Wait w : classify(false)) {
            if (!w.forTheLoop()) {
                out.add(w.op());
            }
        }
        return out;
    }

    /**
     * What an op in flight waits for, as {@link #classify} found it: {@code future}, a pending future of this loop
     * that the call is blocked on in an untimed get(); or a thread of {@code pool}, whose {@code threads} thread(s)
     * all run calls so blocked, the call not having started; or neither (both null): the op may end by itself.
     */
    private record Wait(Object op, Future<?> future, ThreadPoolExecutor pool, int threads, boolean loopIo) {

        Wait(Object op, Future<?> future, ThreadPoolExecutor pool, int threads) {
            this(op, future, pool, threads, false);
        }

        boolean forTheLoop() {
            return future != null || pool != null || loopIo;
        }
    }

    /**
     * Work in flight that may find, when the loop looks, that only the loop's own work can end it: a read from a
     * connection whose other end is a connection of the same loop with nothing on its way; a wrapped
     * {@code runCoroutineThreadsafe} future of this loop, whose task the loop has made.
     */
    interface LoopIo {

        /** On the loop: whether only what the loop's tasks do can end this wait now. */
        boolean waitsForTheLoop();

        /** What a deadlock report adds to the op's name, while it waits for the loop: why only the loop can end it. */
        default String whyItWaitsForTheLoop() {
            return ", whose other end is a connection of this loop with nothing on its way";
        }
    }

    /**
     * Every op in flight, in order, with what it waits for, read in one walk. A call blocked in an untimed get() on a
     * pending future of this loop stays blocked until the loop settles that future (but for an interrupt from
     * another thread, unseen as in {@link BlockedGets#waitsForever}). A call not started (see
     * {@link Offload#queuedOn()}) waits for the loop if its pool's threads all run such calls: it cannot start before
     * the loop settles one of their futures. Each blocked call runs on a thread of its pool (see
     * {@link Offload#pool()}); the pool's size is read after the walk, so if it equals the number of threads found
     * blocked, every thread of the pool is one of theirs. Only a pool at its maximum size counts: below it, a task
     * that another thread submits may start a new thread, which would then take the queued call. A thread running
     * anything else (between two calls, or work that is not the loop's, or a call of another loop blocked on that
     * loop's future) may free itself at any moment: the pool does not count. Not seen: another thread raising the
     * pool's maximum size ({@code setMaximumPoolSize}) at that moment, as a post racing with the loop is not.
     *
     * @param stopAtFree whether to return null as soon as an op is found to wait for nothing (a call not started, once
     *        its pool is found not full of blocked calls): then nothing more is read (the loop asks whenever it runs
     *        out of work, and a call running is the common case)
     */
    private List<Wait> classify(boolean stopAtFree) {
        var waits = new ArrayList<Wait>();
        Map<ThreadPoolExecutor, Set<Thread>> blocked = null; // by pool, the threads of the calls blocked in get()
        boolean queued = false;
        for (Object op : ops) {
            if (op instanceof Offload<?> call) {
                Thread runner = call.runningThread();
                Future<?> f = blockedOn(call, runner);
                if (f != null) {
                    if (call.pool() != null) {
                        if (blocked == null) {
                            blocked = new IdentityHashMap<>();
                        }
                        blocked.computeIfAbsent(call.pool(), k -> new HashSet<>()).add(runner);
                    }
                    waits.add(new Wait(op, f, null, 0));
                    continue;
                }
                ThreadPoolExecutor pool = call.queuedOn();
                if (pool != null) {
                    waits.add(new Wait(op, null, pool, 0)); // settled below, once every blocked call is counted
                    queued = true;
                    continue;
                }
            }
            if (op instanceof LoopIo io && io.waitsForTheLoop()) {
                waits.add(new Wait(op, null, null, 0, true));
                continue;
            }
            if (stopAtFree) {
                return null;
            }
            waits.add(new Wait(op, null, null, 0));
        }
        if (queued) {
            Map<ThreadPoolExecutor, Set<Thread>> blockedByPool = blocked == null ? Map.of() : blocked;
            Map<ThreadPoolExecutor, Integer> full = new IdentityHashMap<>(); // 0: not full of blocked calls
            for (int i = 0; i < waits.size(); i++) {
                Wait w = waits.get(i);
                if (w.pool() == null) {
                    continue;
                }
                int n = full.computeIfAbsent(w.pool(), pool -> {
                    int found = blockedByPool.getOrDefault(pool, Set.of()).size();
                    return found > 0 && pool.getPoolSize() == found && pool.getMaximumPoolSize() == found ? found : 0;
                });
                if (n == 0 && stopAtFree) {
                    return null;
                }
                waits.set(i, new Wait(w.op(), null, n > 0 ? w.pool() : null, n));
            }
        }
        return waits;
    }

    /**
     * The pending future of this loop that {@code call} is blocked on in an untimed get(), or null; {@code runner}
     * having been read from {@code call}: read again after, the same thread still running the call was blocked
     * within it.
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
     * leaves nulls if one was removed). Walked entry by entry instead, skipping what is not there any more, and only
     * as far as the first {@code max} entries.
     */
    List<Object> snapshotOrEmpty(int max) {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                var copy = new ArrayList<Object>();
                for (Object op : ops) {
                    if (copy.size() >= max) {
                        break;
                    }
                    if (op != null) {
                        copy.add(op);
                    }
                }
                return copy;
            } catch (RuntimeException racingWithTheLoop) { // ConcurrentModificationException, NoSuchElementException
                Thread.onSpinWait();
            }
        }
        return List.of();
    }

    /** How many ops are in flight; from another thread, a best-effort read. */
    int size() {
        return ops.size();
    }

    /**
     * A new object that stands for one wait of a task for I/O that a thread of a stream will end (its
     * {@code toString()}: {@code what} and {@code subject}), to add while the task waits: each wait has its own, so
     * that two waits on one subject are two operations in flight.
     */
    static Object ioWait(String what, Object subject) {
        return new Object() {
            @Override
            public String toString() {
                return what + " " + subject;
            }
        };
    }
}
