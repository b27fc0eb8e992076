package org.aio4j;

import java.util.ArrayDeque;
import java.util.List;

/**
 * {@link AsyncIterator#buffer}: a helper task (the pump) reads the upstream ahead of the consumer into a deque of at
 * most {@code capacity} items. The pump asks the upstream for an item only when there is room for it, so the upstream
 * is never more than {@code capacity} items ahead of the consumer. A failure of the upstream is delivered after the
 * items read before it; if the body ends before delivering it (the consumer closed the iterator or was cancelled
 * first), it is reported to the loop's exception handler ({@link Failures#reportUnreceived}).
 */
final class Buffered<T> {

    /** Stands for a null item in {@link #items}, which holds no nulls. */
    private static final Object NULL_ITEM = new Object();

    private final AsyncIterator<T> upstream;
    private final int capacity;
    /** Items read and not yet delivered, in order; a null item is {@link #NULL_ITEM}. */
    private final ArrayDeque<Object> items = new ArrayDeque<>();
    private boolean ended;
    private Throwable failure;
    /** Set when the body has ended: a failure of the upstream caught by the pump then has no reader left. */
    private boolean bodyEnded;
    private Wakeup itemArrived;
    private Wakeup spaceFreed;

    private Buffered(AsyncIterator<T> upstream, int capacity) {
        this.upstream = upstream;
        this.capacity = capacity;
    }

    static <T> AsyncIterator<T> of(AsyncIterator<T> upstream, int capacity) {
        String name = "buffer(" + capacity + ")";
        return new GeneratorStage<T>(name, new Buffered<>(upstream, capacity)::run, List.of(upstream));
    }

    private void run(AsyncGenerator.Emitter<T> out, HelperTasks helpers) throws Exception {
        EventLoop loop = Aio.runningLoop();
        itemArrived = new Wakeup(loop, "buffer(" + capacity + ") waiting for an item from its pump");
        spaceFreed = new Wakeup(loop, "buffer(" + capacity + ") pump waiting for room");
        Task<Void> pumpTask = helpers.start(this::pump, "buffer-pump");
        try {
            deliver(out);
        } finally {
            bodyEnded = true;
            // A failure the pump read ahead that deliver() did not throw: the consumer left before reaching it.
            Throwable unreceived = failure;
            failure = null;
            Failures.reportUnreceived(loop, "buffer(" + capacity + ")", unreceived, pumpTask);
        }
    }

    /** Emits the items in order as the pump reads them; throws the upstream's failure after them. */
    private void deliver(AsyncGenerator.Emitter<T> out) throws Exception {
        for (;;) {
            while (items.isEmpty() && !ended) {
                itemArrived.await();
            }
            if (items.isEmpty()) {
                break;
            }
            T item = takeItem();
            spaceFreed.signal();
            out.emit(item);
        }
        if (failure != null) {
            Throwable f = failure;
            failure = null; // received: the body's end does not report it
            throw Failures.asException(f);
        }
    }

    @SuppressWarnings("unchecked")
    private T takeItem() {
        Object item = items.poll();
        return item == NULL_ITEM ? null : (T) item;
    }

    private Void pump() throws Exception {
        try {
            for (;;) {
                while (items.size() >= capacity) {
                    spaceFreed.await();
                }
                if (!upstream.hasNext()) {
                    break;
                }
                T item = upstream.next();
                items.add(item == null ? NULL_ITEM : item);
                itemArrived.signal();
            }
        } catch (Throwable e) {
            if (bodyEnded) {
                // The body's end cancelled this pump while it waited inside the upstream, and the upstream failed
                // as it unwound (its finally block threw): the pump fails with it, so that HelperTasks has the
                // body's aclose() throw it, attaches it to the body's failure, or reports it.
                throw Failures.asException(e);
            }
            failure = e;
        } finally {
            ended = true;
            itemArrived.signal();
            HelperTasks.closeUpstream(upstream);
        }
        return null;
    }
}
