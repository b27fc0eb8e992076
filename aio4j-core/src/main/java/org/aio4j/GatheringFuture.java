package org.aio4j;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * The future returned by {@link Aio#gather}: asyncio's {@code _GatheringFuture}. Cancelling it cancels every child
 * that is not done; it then ends cancelled once the children are done.
 */
final class GatheringFuture extends Future<List<Object>> {

    private final List<Future<?>> children;
    private final boolean returnExceptions;
    private final int distinct;
    private int finished;
    private boolean cancelRequested;
    /** Where the gather was called, in debug mode (see {@link Future#site()}); null otherwise. */
    private final StackTraceElement[] site;

    private GatheringFuture(EventLoop loop, List<Future<?>> children, int distinct, boolean returnExceptions) {
        super(loop);
        this.site = loop.isDebug() ? loop.creationStack() : null;
        this.children = children;
        this.distinct = distinct;
        this.returnExceptions = returnExceptions;
    }

    /**
     * Gathers {@code args}; the result list follows the order of {@code args}. A future given twice appears twice in
     * the results; it is simply counted twice (asyncio de-duplicates it, with the same outcome).
     */
    static GatheringFuture gather(EventLoop loop, Collection<? extends Future<?>> args, boolean returnExceptions) {
        var children = new ArrayList<Future<?>>(args.size());
        for (Future<?> f : args) {
            java.util.Objects.requireNonNull(f, "gather() argument must not be null");
            if (f.loop != loop) {
                throw new IllegalArgumentException("gather() argument " + f + " is attached to a different loop");
            }
            children.add(f);
        }
        var outer = new GatheringFuture(loop, children, children.size(), returnExceptions);
        if (children.isEmpty()) {
            outer.complete(List.of());
            return outer;
        }
        java.util.function.Consumer<Future<?>> onDone = outer::onChildDone;
        var done = new ArrayList<Future<?>>();
        for (Future<?> f : children) {
            if (f.isDone()) {
                done.add(f);
            } else {
                addCallback(f, onDone);
            }
        }
        for (Future<?> f : done) {
            outer.onChildDone(f);
        }
        return outer;
    }

    @Override
    StackTraceElement[] site() {
        return site;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void addCallback(Future f, java.util.function.Consumer<Future<?>> onDone) {
        f.addDoneCallback(onDone);
    }

    private void onChildDone(Future<?> child) {
        finished++;
        if (isDone()) {
            // The gather already ended (a sibling failed first, or it was cancelled). The child's error stays
            // unretrieved, so the loop reports it unless someone retrieves it.
            return;
        }
        if (!returnExceptions) {
            if (child.isCancelled()) {
                if (cancelRequested) {
                    // The gather itself was cancelled: end cancelled (asyncio ends with a CancelledError exception,
                    // which awaits the same but leaves cancelled() false), with what was attached to the child's
                    // cancellation (a failed clean-up, which asyncio's gather raises in its place)
                    markCancelled(child.cancelMessage(), child.cancelledError());
                } else {
                    // with what was attached to the child's cancellation (a failed clean-up), now the gather's to
                    // deliver or, if nobody retrieves it, to have reported
                    fail(child.cancelledError());
                }
                return;
            }
            Throwable e = child.peekException();
            if (e != null) {
                child.markRetrieved();
                fail(e);
                return;
            }
        }
        if (finished == distinct) {
            if (cancelRequested) {
                // Every child is done: what they failed with, or attached to their cancellations, stays theirs, as
                // the results this gather no longer returns would have held it (reported unless retrieved).
                markCancelled(child.cancelMessage());
                return;
            }
            var results = new ArrayList<>(children.size());
            for (Future<?> f : children) {
                if (f.isCancelled()) {
                    results.add(f.cancelledError()); // delivered, with what was attached to it, as an exception is
                } else {
                    Throwable e = f.peekException();
                    if (e != null) {
                        f.markRetrieved();
                    }
                    results.add(e != null ? e : f.resultNow());
                }
            }
            complete(results);
        }
    }

    /** Cancels every child not yet done: asyncio's {@code _GatheringFuture.cancel()}. */
    @Override
    public boolean cancel(String message) {
        loop.checkThread("Future.cancel");
        if (isDone()) {
            return false;
        }
        boolean any = false;
        for (Future<?> child : children) {
            if (child.cancel(message)) {
                any = true;
            }
        }
        if (any) {
            cancelRequested = true;
        }
        return any;
    }

    /** The children not done yet, each once, in the order given: for deadlock reports and task dumps. */
    List<Future<?>> pendingChildren() {
        var pending = new ArrayList<Future<?>>();
        var seen = Collections.newSetFromMap(new IdentityHashMap<Future<?>, Boolean>());
        for (Future<?> child : children) {
            if (!child.isDone() && seen.add(child)) {
                pending.add(child);
            }
        }
        return pending;
    }

    @Override
    public String toString() {
        return "GatheringFuture[" + describeState() + ", " + finished + "/" + distinct + " children done]";
    }
}
