package org.aio4j;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * {@link AsyncIterator#mapConcurrent} and {@link AsyncIterator#mapConcurrentUnordered}: each item is mapped in a task
 * of its own, at most {@code limit} at a time, and the results are emitted in input order or in completion order.
 *
 * <p>A helper task (the pump) reads the upstream and starts a call per item, only while fewer than {@code limit}
 * calls are in flight; the body emits the results as the calls end. The two are apart so that a result is emitted as
 * soon as it is ready, not held until the upstream has its next item, and so that an upstream fed by the consumer
 * from the results (a crawler queueing the links of each page it gets) keeps going. A call's failure is thrown at its
 * item (after every result before it, in input order; when it ends, in completion order). A failure of the upstream
 * is thrown after the results of the items read before it; a cancellation of the consuming task is thrown at once.
 * What failed before the consumer reached it (the upstream, calls that ended with a failure) is reported to the
 * loop's exception handler if the consumer closes the iterator or is cancelled first
 * ({@link Failures#reportUnreceived}); {@code aclose()} throws only what failed as the close cancelled it. When the
 * body ends for any reason the pump and the calls still in flight are cancelled and awaited ({@link HelperTasks}).
 */
final class ConcurrentMap<T, R> {

    private final AsyncIterator<T> upstream;
    private final int limit;
    private final CoroutineFunction<? super T, ? extends R> fn;
    private final boolean ordered;
    /** The stage's name ({@code mapConcurrent(4)}), under which a failure read ahead is reported. */
    private final String name;
    /** Calls in flight, in input order. */
    private final ArrayDeque<Task<R>> inFlight = new ArrayDeque<>();
    /** Calls that ended, in completion order (unordered mode). */
    private final ArrayDeque<Task<R>> completed = new ArrayDeque<>();
    private HelperTasks helpers;
    /** The body waits on it for a call to end (unordered), or for the pump to start a call or end. */
    private Wakeup changed;
    /** The pump waits on it for a call to leave {@link #inFlight}. */
    private Wakeup roomFreed;
    /** Set by the pump once it reads no more: the upstream ended or failed. */
    private boolean upstreamDone;
    /** What the upstream failed with, or null. */
    private Throwable upstreamFailure;
    /** Set when the body has ended: a failure of the upstream caught by the pump then has no reader left. */
    private boolean bodyEnded;

    private ConcurrentMap(AsyncIterator<T> upstream, int limit, CoroutineFunction<? super T, ? extends R> fn,
                          boolean ordered, String name) {
        this.upstream = upstream;
        this.limit = limit;
        this.fn = fn;
        this.ordered = ordered;
        this.name = name;
    }

    static <T, R> AsyncIterator<R> of(AsyncIterator<T> upstream, int limit,
                                      CoroutineFunction<? super T, ? extends R> fn, boolean ordered) {
        String name = ordered ? "mapConcurrent" : "mapConcurrentUnordered";
        if (limit < 1) {
            throw new IllegalArgumentException(name + "() limit must be >= 1, got " + limit);
        }
        Objects.requireNonNull(fn, name + "() function must not be null");
        String stage = name + "(" + limit + ")";
        return new GeneratorStage<R>(stage, new ConcurrentMap<T, R>(upstream, limit, fn, ordered, stage)::run,
                List.of(upstream));
    }

    private void run(AsyncGenerator.Emitter<R> out, HelperTasks helpers) throws Exception {
        this.helpers = helpers;
        EventLoop loop = Aio.runningLoop();
        changed = new Wakeup(loop, name + " waiting for a call to end");
        roomFreed = new Wakeup(loop, name + " pump waiting for a call to end");
        helpers.start(this::pump, ordered ? "mapConcurrent-pump" : "mapConcurrentUnordered-pump");
        try {
            for (;;) {
                Task<R> next = ordered ? nextInOrder() : nextCompleted();
                if (next == null) {
                    break;
                }
                R result = next.await();
                inFlight.remove(next);
                helpers.forget(next);
                roomFreed.signal();
                out.emit(result);
            }
        } catch (Throwable e) {
            if (e instanceof GeneratorExit || e instanceof CancellationException) {
                reportReadAhead();
            } else if (upstreamFailure != null && upstreamFailure != e) {
                // A call failed after the upstream had: the upstream's failure goes with it, as the calls' do.
                e.addSuppressed(upstreamFailure);
            }
            throw e;
        } finally {
            bodyEnded = true;
        }
        if (upstreamFailure != null) {
            Throwable f = upstreamFailure;
            upstreamFailure = null; // received
            throw Failures.asException(f);
        }
    }

    /**
     * The consumer left (closed the iterator, or was cancelled while it waited in it) before reaching what had already
     * failed: the upstream, and the calls that ended with a failure nobody retrieved. Each is reported as a failure
     * read ahead; the calls are forgotten, so that the body's end neither reports them again nor has {@code aclose()}
     * throw them (it throws only what failed as the close cancelled it).
     */
    private void reportReadAhead() {
        EventLoop loop = Aio.runningLoop();
        Failures.reportUnreceived(loop, name, upstreamFailure, null);
        for (Task<R> call : inFlight) {
            Throwable failure = call.isCancelled() ? null : call.peekException();
            if (failure != null && !call.isRetrieved()) {
                call.markRetrieved();
                helpers.forget(call);
                Failures.reportUnreceived(loop, name, failure, call);
            }
        }
    }

    /**
     * The pump: reads an item and starts its call whenever fewer than {@code limit} are in flight, until the upstream
     * ends or fails; the body learns of each call and of the end through {@link #changed}. Once it has read the
     * upstream to its end it closes it. Cancelled by the body's end, it leaves the upstream to the body's stage, which
     * closes it and attaches a failure of that close to what the body ends with ({@link GeneratorStage}): thrown by
     * {@code aclose()}, or carried by the consumer's cancellation, as when the body read the upstream itself.
     */
    private Void pump() throws Exception {
        Throwable unwinding = null;
        try {
            for (;;) {
                while (inFlight.size() >= limit) {
                    roomFreed.await();
                }
                if (!upstream.hasNext()) {
                    break;
                }
                T item = upstream.next();
                Task<R> call = helpers.start(() -> fn.call(item), null);
                inFlight.add(call);
                if (!ordered) {
                    call.addDoneCallback(f -> {
                        completed.add(call);
                        changed.signal();
                    });
                }
                changed.signal();
            }
        } catch (Throwable e) {
            if (bodyEnded) {
                // The body's end cancelled the pump; if the cancellation landed inside the upstream and the upstream
                // failed as it unwound, the pump fails with that, for HelperTasks to throw, attach or report.
                unwinding = e;
            } else {
                upstreamFailure = e;
            }
        }
        upstreamDone = true;
        changed.signal();
        if (unwinding != null) {
            AsyncGenerator.release(upstream); // the end of the pump's task must not close it: the stage does
            throw Failures.asException(unwinding);
        }
        HelperTasks.closeUpstream(upstream);
        return null;
    }

    /** Ordered mode: the call of the next item, once the pump has started it; null when there is none left. */
    private Task<R> nextInOrder() {
        while (inFlight.isEmpty() && !upstreamDone) {
            changed.await();
        }
        return inFlight.peekFirst();
    }

    /** Unordered mode: the next call that ended, waiting for one if needed; null when none is in flight. */
    private Task<R> nextCompleted() {
        while (completed.isEmpty() && !(inFlight.isEmpty() && upstreamDone)) {
            changed.await();
        }
        return completed.poll();
    }
}
