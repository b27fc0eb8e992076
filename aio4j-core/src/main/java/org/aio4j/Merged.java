package org.aio4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;

/**
 * {@link AsyncIterator#merge}: one pump task per source, each holding at most one item the consumer has not taken,
 * feeding a deque of arrivals. A failure of a source is an arrival too: it is thrown after the items that arrived
 * before it, and the body's end then cancels the other pumps, which close their sources. A failure that arrived but
 * was never thrown (the consumer closed the iterator or was cancelled before reaching it) is reported to the loop's
 * exception handler when the body ends ({@link Failures#reportUnreceived}).
 */
final class Merged<T> {

    /** An item of a source, or its failure. */
    private record Arrival<T>(int source, T item, Throwable failure) {
    }

    private final List<AsyncIterator<? extends T>> sources;
    private final ArrayDeque<Arrival<T>> arrivals = new ArrayDeque<>();
    private final boolean[] holding;
    private final Wakeup[] taken;
    private Wakeup arrived;
    private int active;
    /** Set when the body has ended: a failure of a source caught by its pump then has no reader left. */
    private boolean bodyEnded;

    private Merged(List<AsyncIterator<? extends T>> sources) {
        this.sources = sources;
        this.holding = new boolean[sources.size()];
        this.taken = new Wakeup[sources.size()];
    }

    static <T> AsyncIterator<T> of(List<? extends AsyncIterator<? extends T>> sources) {
        Objects.requireNonNull(sources, "merge() sources must not be null");
        var copy = new ArrayList<AsyncIterator<? extends T>>(sources.size());
        var seen = new IdentityHashMap<AsyncIterator<?>, Integer>();
        for (int i = 0; i < sources.size(); i++) {
            AsyncIterator<? extends T> source = Objects.requireNonNull(sources.get(i), "merge() source " + i + " is null");
            Integer earlier = seen.putIfAbsent(source, i);
            if (earlier != null) {
                throw new IllegalArgumentException("merge() source " + i + " is source " + earlier + " again: each"
                        + " source is pulled by a task of its own, so an iterator can be merged once");
            }
            copy.add(source);
        }
        List<AsyncIterator<? extends T>> fixed = List.copyOf(copy);
        return new GeneratorStage<T>("merge", new Merged<T>(fixed)::run, fixed);
    }

    private void run(AsyncGenerator.Emitter<T> out, HelperTasks helpers) throws Exception {
        EventLoop loop = Aio.runningLoop();
        Task<?>[] pumps = new Task<?>[sources.size()];
        arrived = new Wakeup(loop, "merge() waiting for an item from any source");
        for (int i = 0; i < sources.size(); i++) {
            int source = i;
            taken[i] = new Wakeup(loop, "merge() pump " + i + " waiting for its item to be taken");
            pumps[i] = helpers.start(() -> pump(source), "merge-pump-" + i);
        }
        active = sources.size();
        try {
            deliver(out);
        } finally {
            bodyEnded = true;
            // Failures that arrived and that deliver() did not throw: the consumer left before reaching them.
            for (Arrival<T> a : arrivals) {
                if (a.failure() != null) {
                    Failures.reportUnreceived(loop, "merge() source " + a.source(), a.failure(), pumps[a.source()]);
                }
            }
            arrivals.clear();
        }
    }

    /** Emits the arrivals in order; throws the first failure, with the failures that arrived after it attached. */
    private void deliver(AsyncGenerator.Emitter<T> out) throws Exception {
        for (;;) {
            while (arrivals.isEmpty() && active > 0) {
                arrived.await();
            }
            Arrival<T> a = arrivals.poll();
            if (a == null) {
                break;
            }
            if (a.failure() != null) {
                Exception failure = Failures.asException(a.failure());
                for (Arrival<T> other : arrivals) { // failures of other sources that came meanwhile: not lost
                    if (other.failure() != null && other.failure() != failure) {
                        failure.addSuppressed(other.failure());
                    }
                }
                arrivals.clear(); // received, or dropped with the body's end as items not taken are
                throw failure;
            }
            holding[a.source()] = false;
            taken[a.source()].signal();
            out.emit(a.item());
        }
    }

    private Void pump(int source) throws Exception {
        AsyncIterator<? extends T> it = sources.get(source);
        try {
            for (;;) {
                while (holding[source]) {
                    taken[source].await();
                }
                if (!it.hasNext()) {
                    break;
                }
                holding[source] = true;
                arrivals.add(new Arrival<>(source, it.next(), null));
                arrived.signal();
            }
        } catch (Throwable e) {
            if (bodyEnded) {
                // The body's end cancelled this pump while it waited inside its source, and the source failed as it
                // unwound (its finally block threw): nobody reads the arrivals any more, so the pump fails with it,
                // and HelperTasks has aclose() throw it, attaches it to the failure the body threw, or reports it.
                throw Failures.asException(e);
            }
            arrivals.add(new Arrival<>(source, null, e));
        } finally {
            active--;
            arrived.signal();
            HelperTasks.closeUpstream(it);
        }
        return null;
    }
}
