package org.aio4j;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Flow;

/**
 * {@link AsyncIterator#fromPublisher}: a {@link Flow.Subscriber} whose items the consumer takes one at a time.
 *
 * <p>Demand: {@code prefetch} items are requested at first; each time {@code batch} (half of {@code prefetch},
 * rounded up) items have been taken, {@code batch} more are requested. So items requested and not yet taken never
 * exceed {@code prefetch}, and neither does the deque. A publisher that sends more than was requested breaks rule 1.1
 * of Reactive Streams: the iterator fails with {@link IllegalStateException} and cancels the subscription; one that
 * signals a null (rule 2.13) gets a {@link NullPointerException} thrown back, and the iterator fails with one too. A failure
 * received but not yet thrown when the consumer closes the iterator (or is cancelled) is reported to the loop's
 * exception handler ({@link Failures#reportUnreceived}), and so is an {@code onError} that comes after that (it
 * crossed the cancel).
 *
 * <p>Threads: the publisher signals on its own threads; each signal is posted to the loop with
 * {@link EventLoop#callSoonThreadsafe}, so the state below is touched only by the loop. While the body waits for a
 * signal it holds an {@link EventLoop#expectExternal()} announcement, so that neither deadlock detection nor the
 * virtual clock mistake that wait for a stall; except when the publisher is an {@link AsyncIterator#toPublisher} of
 * the same loop, whose signals come from a task of the loop.
 */
final class PublisherIterator<T> implements Flow.Subscriber<T> {

    private final int prefetch;
    private final int batch;
    private final EventLoop loop;
    private final ArrayDeque<T> items = new ArrayDeque<>();
    private final Wakeup signalled;
    private Flow.Subscription subscription;
    private long outstanding;
    private int takenSinceRequest;
    private boolean completed;
    private Throwable error;
    /** Whether {@link #error} was thrown to the consumer. */
    private boolean errorThrown;
    private boolean closed;

    private PublisherIterator(EventLoop loop, int prefetch) {
        this.loop = loop;
        this.prefetch = prefetch;
        this.batch = batchOf(prefetch);
        this.signalled = new Wakeup(loop, "fromPublisher() waiting for the publisher");
    }

    /** Half of {@code prefetch}, rounded up: how many items are requested again each time as many were taken. */
    static int batchOf(int prefetch) {
        return prefetch - prefetch / 2; // not (prefetch + 1) / 2, which overflows for Integer.MAX_VALUE
    }

    static <T> AsyncIterator<T> of(Flow.Publisher<? extends T> publisher, int prefetch) {
        Objects.requireNonNull(publisher, "publisher must not be null");
        if (prefetch < 1) {
            throw new IllegalArgumentException("fromPublisher() prefetch must be >= 1, got " + prefetch);
        }
        return new GeneratorStage<T>("fromPublisher(" + prefetch + ")",
                (out, helpers) -> new PublisherIterator<T>(Aio.runningLoop(), prefetch).run(publisher, out),
                List.of());
    }

    private void run(Flow.Publisher<? extends T> publisher, AsyncGenerator.Emitter<T> out) throws Exception {
        Throwable primary = null;
        try {
            publisher.subscribe(this);
            for (;;) {
                if (items.isEmpty() && !completed && error == null) {
                    awaitSignal();
                    continue;
                }
                if (!items.isEmpty()) {
                    T item = items.poll();
                    replenish();
                    out.emit(item);
                } else if (error != null) {
                    errorThrown = true;
                    throw Failures.asException(error);
                } else {
                    return;
                }
            }
        } catch (Throwable e) {
            primary = e;
            throw e;
        } finally {
            closed = true;
            RuntimeException cancelFailure = null;
            if (subscription != null && !completed && error == null) {
                try {
                    subscription.cancel();
                } catch (RuntimeException e) { // rule 3.15 broken
                    cancelFailure = e;
                }
            }
            if (!errorThrown) { // the consumer closed the iterator or was cancelled before reaching it
                Failures.reportUnreceived(loop, "fromPublisher(" + prefetch + ")", error, null);
            }
            if (cancelFailure != null) {
                // A failure of the release, as a generator's failing finally block: what aclose() throws, attached to
                // what else ended the body (the consumer's cancellation stays a cancellation).
                if (primary == null || primary instanceof GeneratorExit) {
                    throw cancelFailure;
                }
                primary.addSuppressed(cancelFailure);
            }
        }
    }

    @SuppressWarnings("try") // the work counts as in flight while the announcement is open, unnamed in the body
    private void awaitSignal() throws Exception {
        if (subscription != null && IteratorPublisher.deliversOn(subscription, loop)) {
            signalled.await();
            return;
        }
        try (var _ = loop.expectExternal()) {
            signalled.await();
        }
    }

    /** Whether {@code s} is an iterator of this class on {@code loop}, whose requests come from a task of it. */
    static boolean requestsOn(Flow.Subscriber<?> s, EventLoop loop) {
        return s instanceof PublisherIterator<?> p && p.loop == loop;
    }

    private void replenish() {
        takenSinceRequest++;
        if (takenSinceRequest == batch && !completed && error == null) {
            takenSinceRequest = 0;
            try {
                request(batch);
            } catch (RuntimeException e) {
                // Rule 3.16 broken (request must return normally): a failure of the stream, after the items received
                // (the one being taken included), as an onError would be.
                error = e;
                cancelBroken(subscription, e);
            }
        }
    }

    private void request(long n) {
        outstanding += n;
        subscription.request(n);
    }

    // ---- Flow.Subscriber: called by the publisher on any thread; every signal is handled on the loop

    @Override
    public void onSubscribe(Flow.Subscription s) {
        if (s == null) {
            throw nullSignal("onSubscribe", "subscription");
        }
        if (!post(() -> subscribed(s))) {
            s.cancel();
        }
    }

    @Override
    public void onNext(T item) {
        if (item == null) {
            throw nullSignal("onNext", "item");
        }
        post(() -> received(item));
    }

    @Override
    public void onError(Throwable failure) {
        if (failure == null) {
            throw nullSignal("onError", "throwable");
        }
        post(() -> terminated(failure));
    }

    /**
     * A signal with a null argument (rule 2.13): the subscriber throws {@link NullPointerException} (returned here),
     * and the publisher must then consider the subscription cancelled, so no signal follows: the iterator fails (and
     * cancels the subscription, for a publisher that goes on), or its consumer would wait for ever.
     */
    private NullPointerException nullSignal(String signal, String argument) {
        var broken = new NullPointerException("Publisher called " + signal + "(null) (Reactive Streams rule 2.13): the"
                + " subscription is cancelled");
        post(() -> brokeProtocol(broken));
        return new NullPointerException(signal + " " + argument + " must not be null (Reactive Streams rule 2.13)");
    }

    /** The publisher broke the protocol: the iterator fails with {@code why} after the items received before. */
    private void brokeProtocol(RuntimeException why) {
        if (closed || completed || error != null) {
            return;
        }
        error = why;
        if (subscription != null) {
            cancelBroken(subscription, why);
        }
        signalled.signal();
    }

    @Override
    public void onComplete() {
        post(() -> terminated(null));
    }

    private boolean post(Runnable signal) {
        try {
            loop.callSoonThreadsafe(signal);
            return true;
        } catch (IllegalStateException loopClosed) {
            return false;
        }
    }

    private void subscribed(Flow.Subscription s) {
        if (subscription != null || closed || completed || error != null) {
            // rule 2.5: a second subscription, or one that arrives after the consumer left or after the publisher
            // broke the protocol (a signal before onSubscribe: an item, onComplete or onError)
            s.cancel();
            return;
        }
        subscription = s;
        try {
            request(prefetch);
        } catch (RuntimeException e) {
            // Rule 3.16 broken (request must return normally): in this callback the exception would only reach the
            // loop's handler, and the consumer would wait for ever for items never asked for. It fails instead.
            error = e;
            cancelBroken(s, e);
        }
        signalled.signal();
    }

    /** Cancels a subscription that broke the protocol; a failure of the cancel is attached to {@code why}. */
    private static void cancelBroken(Flow.Subscription s, RuntimeException why) {
        try {
            s.cancel();
        } catch (RuntimeException e) {
            why.addSuppressed(e);
        }
    }

    private void received(T item) {
        if (closed || completed || error != null) {
            return;
        }
        if (subscription == null) {
            error = new IllegalStateException("Publisher sent an item before onSubscribe (Reactive Streams rules 1.9"
                    + " and 1.1); its subscription is cancelled when it comes");
        } else if (outstanding == 0) {
            error = new IllegalStateException("Publisher sent an item that was not requested (Reactive Streams rule"
                    + " 1.1); the subscription was cancelled");
            subscription.cancel();
        } else {
            outstanding--;
            items.add(item);
        }
        signalled.signal();
    }

    private void terminated(Throwable failure) {
        if (closed && failure != null && !completed && error == null) {
            // An onError that crossed the cancel: the consumer left before it came, and nobody can receive it.
            error = failure;
            Failures.reportUnreceived(loop, "fromPublisher(" + prefetch + ")", failure, null);
            return;
        }
        if (closed || completed || error != null) {
            return;
        }
        if (failure == null) {
            completed = true;
        } else {
            error = failure;
        }
        signalled.signal();
    }
}
