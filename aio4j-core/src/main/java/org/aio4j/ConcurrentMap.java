package org.aio4j;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * {@link AsyncIterator#mapConcurrent} and {@link AsyncIterator#mapConcurrentUnordered}: each item is mapped in a task
 * of its own, at most {@code limit} at a time, and the results are emitted in input order or in completion order.
 *
 * <p>The body pulls an item from the upstream only when fewer than {@code limit} calls are in flight. A call's
 * failure is thrown at its item (after every result before it, in input order; when it ends, in completion order).
 * A failure of the upstream is thrown after the results of the items read before it; a cancellation of the
 * consuming task is thrown at once. What failed before the consumer reached it (the upstream, calls that ended with a
 * failure) is reported to the loop's exception handler if the consumer closes the iterator or is cancelled first
 * ({@link Failures#reportUnreceived}); {@code aclose()} throws only what failed as the close cancelled it. When the
 * body ends for any reason the calls still in flight are cancelled and awaited ({@link HelperTasks}).
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
    private Wakeup callEnded;
    private boolean upstreamDone;
    /** What the upstream failed with (an unchecked exception or an error), or null. */
    private Throwable upstreamFailure;

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
        callEnded = new Wakeup(Aio.runningLoop(), "mapConcurrent(" + limit + ") waiting for a call to end");
        try {
            for (;;) {
                startCalls();
                Task<R> next = ordered ? inFlight.peekFirst() : nextCompleted();
                if (next == null) {
                    break;
                }
                R result = next.await();
                inFlight.remove(next);
                helpers.forget(next);
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
        }
        if (upstreamFailure != null) {
            throw Failures.asException(upstreamFailure);
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

    /** Pulls items and starts their calls until {@code limit} are in flight or the upstream ends. */
    private void startCalls() {
        while (!upstreamDone && inFlight.size() < limit) {
            T item;
            try {
                if (!upstream.hasNext()) {
                    upstreamDone = true;
                    return;
                }
                item = upstream.next();
            } catch (RuntimeException | Error e) {
                if (Task.interruptsCurrentTask(e)) { // the caller's, not a failure of the upstream
                    throw e;
                }
                upstreamDone = true;
                upstreamFailure = e;
                return;
            }
            Task<R> call = helpers.start(() -> fn.call(item), null);
            inFlight.add(call);
            if (!ordered) {
                call.addDoneCallback(f -> {
                    completed.add(call);
                    callEnded.signal();
                });
            }
        }
    }

    /** Unordered mode: the next call that ended, waiting for one if needed; null when none is in flight. */
    private Task<R> nextCompleted() {
        while (completed.isEmpty() && !inFlight.isEmpty()) {
            callEnded.await();
        }
        return completed.poll();
    }
}
