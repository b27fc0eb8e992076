package org.aio4j;

import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * {@link AsyncIterator#toPublisher}: a publisher of an async iterator's items for one subscriber.
 *
 * <p>A pump task of the iterator's loop asks the iterator for an item only while the subscriber's demand is
 * positive, and delivers every signal on the loop, in order. {@code request} and {@code cancel} may come from any
 * thread: they are posted to the loop. While the pump waits for demand it holds an
 * {@link EventLoop#expectExternal()} announcement (the demand comes from outside the loop), except when the subscriber
 * is an {@link AsyncIterator#fromPublisher} iterator of the same loop: then the demand comes from a task of the loop,
 * and an announcement would only freeze the virtual clock while that task sleeps.
 */
final class IteratorPublisher<T> implements Flow.Publisher<T> {

    private final AsyncIterator<T> source;
    private final EventLoop loop;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    IteratorPublisher(AsyncIterator<T> source, EventLoop loop) {
        this.source = source;
        this.loop = loop;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber must not be null (Reactive Streams rule 1.9)");
        if (!subscribed.compareAndSet(false, true)) {
            refuse(subscriber, new IllegalStateException(
                    "this Publisher of an AsyncIterator allows one subscriber: the iterator can be consumed once"));
            return;
        }
        var subscription = new Subscription(subscriber);
        if (loop.holderThread == Thread.currentThread()) {
            // Subscribed from a task of the loop, which may end before the pump's first step: the pump takes the
            // source over, so that the end of that task does not close it half-way.
            AsyncGenerator.release(source);
        }
        try {
            loop.callSoonThreadsafe(subscription::start);
        } catch (IllegalStateException loopClosed) {
            refuse(subscriber, new IllegalStateException("the event loop of this Publisher is closed", loopClosed));
        }
    }

    /** Whether {@code s} is a subscription of this class whose signals are all delivered on {@code loop}. */
    static boolean deliversOn(Flow.Subscription s, EventLoop loop) {
        return s instanceof IteratorPublisher<?>.Subscription sub && sub.loop() == loop;
    }

    /**
     * Tells a subscriber that cannot be served why, on the caller's thread. A subscriber that throws is not signalled
     * again and its exception is logged (rule 2.13), so that {@code subscribe} still returns normally (rule 1.9);
     * the loop cannot be told, it may be closed.
     */
    private static void refuse(Flow.Subscriber<?> subscriber, Throwable why) {
        try {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onError(why);
        } catch (Throwable e) {
            e.addSuppressed(why);
            System.getLogger("org.aio4j").log(System.Logger.Level.WARNING, "Flow.Subscriber " + subscriber
                    + " threw while being refused (Reactive Streams rule 2.13)", e);
        }
    }

    @Override
    public String toString() {
        return "Publisher[" + source + "]";
    }

    /** One subscription. Its fields are touched only on the loop, but for {@code cancelled}. */
    private final class Subscription implements Flow.Subscription {

        /**
         * Dropped (null) once the subscription has ended, so that whatever still holds the subscription or the pump
         * task no longer holds the subscriber (rule 3.13).
         */
        private Flow.Subscriber<? super T> subscriber;
        private final Wakeup demanded;
        private long demand;
        /**
         * Set at once by {@link #cancel()}, from any thread: the pump checks it before each signal, so a cancel from
         * {@code onNext} stops the signals even if the source never suspends (rules 1.8, 3.12), and a later
         * {@code request} is a no-op (rule 3.6).
         */
        private volatile boolean cancelled;
        private boolean terminated;
        /** Whether the pump's body ran: a pump cancelled before its first step (the loop ends) never signals. */
        private boolean pumped;
        /**
         * Set when the pump has left its loop and closes the source: a cancel posted since (a subscriber that cancels
         * from onNext, or twice) must not cancel the pump then, or it would cut the source's clean-up short.
         */
        private boolean closing;
        private Task<Void> pump;

        Subscription(Flow.Subscriber<? super T> subscriber) {
            this.subscriber = subscriber;
            this.demanded = new Wakeup(loop, "toPublisher() waiting for the subscriber's demand");
        }

        EventLoop loop() {
            return loop;
        }

        /** On the loop. */
        void start() {
            pump = loop.createQueuedTask(this::pump, "publisher-pump");
            pump.addDoneCallback(done -> {
                if (!pumped) {
                    endUnpumped();
                }
            });
            deliver("onSubscribe", s -> s.onSubscribe(this));
        }

        /**
         * The pump was cancelled before its first step (the loop ends), so its body, which signals the end and closes
         * the source, never ran: do both here. Rule 1.4: the subscriber must not be left waiting after onSubscribe.
         */
        private void endUnpumped() {
            if (!cancelled && !terminated) {
                terminated = true;
                deliver("onError", s -> s.onError(new CancellationException(
                        "the event loop of this Publisher ended before the subscription could be served")));
            }
            subscriber = null;
            // A done callback cannot close a started generator (aclose() resumes its body, which only a task can):
            // a task does it, as the pump would have.
            Coroutine<Void> close = () -> {
                closeSource();
                return null;
            };
            if (loop.isClosing()) {
                // A direct close(): a task merely created now would be cancelled before it starts. The close runs
                // this one at once, so that the generator's finally blocks run.
                loop.runTaskWhileClosing(close, "publisher-source-close");
            } else {
                // The loop still runs (Aio.run's cancellation round).
                loop.createQueuedTask(close, "publisher-source-close");
            }
        }

        @Override
        public void request(long n) {
            post(() -> {
                if (cancelled) {
                    return; // rule 3.6: after cancel, request is a no-op
                }
                if (n <= 0) {
                    cancelWith(new IllegalArgumentException(
                            "request(n) needs n > 0 (Reactive Streams rule 3.9), got " + n));
                } else {
                    demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                    demanded.signal();
                }
            });
        }

        @Override
        public void cancel() {
            cancelled = true;
            post(this::cancelPump);
        }

        /** Cancels the pump where it waits (for demand, or inside the source), unless it already closes the source. */
        private void cancelPump() {
            if (!closing) {
                pump.cancel();
            }
        }

        private void post(Runnable action) {
            try {
                loop.callSoonThreadsafe(action);
            } catch (IllegalStateException loopClosed) {
                // The loop is closed: the pump has ended and signalled; rule 3.6 makes this a no-op.
            }
        }

        private void cancelWith(Throwable error) {
            if (!terminated) {
                terminated = true;
                deliver("onError", s -> s.onError(error));
            }
            cancelled = true;
            cancelPump();
        }

        @SuppressWarnings("try") // the work counts as in flight while the announcement is open, unnamed in the body
        private void awaitDemand() throws Exception {
            if (PublisherIterator.requestsOn(subscriber, loop)) {
                demanded.await();
                return;
            }
            try (var _ = loop.expectExternal()) {
                demanded.await();
            }
        }

        private Void pump() throws Exception {
            pumped = true;
            try {
                for (;;) {
                    while (demand == 0 && !cancelled) {
                        awaitDemand();
                    }
                    if (cancelled) {
                        return null;
                    }
                    if (!source.hasNext()) {
                        terminated = true;
                        deliver("onComplete", Flow.Subscriber::onComplete);
                        return null;
                    }
                    T item = source.next();
                    if (item == null) {
                        throw new NullPointerException("the AsyncIterator produced a null item, which a Publisher"
                                + " cannot deliver (Reactive Streams rule 2.13)");
                    }
                    if (cancelled) {
                        return null;
                    }
                    demand--;
                    deliver("onNext", s -> s.onNext(item));
                }
            } catch (CancellationException e) {
                if (!cancelled && !terminated) {
                    fail(e);
                } else {
                    // The pump's own cancellation, by the end of the subscription, thrown where it waited inside the
                    // source: what the source attached to it as it unwound (an operator's failed release) is reported,
                    // as a failure the source raises instead is below, and so is one attached to a cancellation
                    // attached to it (a helper task of the source's that ended cancelled with it).
                    for (Throwable failure : Future.attachedFailures(e)) {
                        report("the source of " + IteratorPublisher.this + " failed after its subscription ended",
                                failure);
                    }
                }
                return null;
            } catch (RuntimeException | Error e) {
                if (cancelled) {
                    // The subscription ended (cancel, a bad request, a subscriber that threw) while the pump waited
                    // inside the source, and the source failed as it unwound: no signal may follow (rule 1.8), and
                    // the failure is not dropped either.
                    report("the source of " + IteratorPublisher.this + " failed after its subscription ended", e);
                } else if (!terminated) {
                    fail(e);
                }
                return null;
            } finally {
                closing = true;
                closeSource();
                subscriber = null;
            }
        }

        private void fail(Throwable e) {
            terminated = true;
            deliver("onError", s -> s.onError(e));
        }

        /**
         * Calls the subscriber. One that throws breaks rule 2.13: its subscription is cancelled, it is not signalled
         * again, and what it threw goes to the loop's exception handler (rather than back to it as onError).
         */
        private void deliver(String signal, Consumer<Flow.Subscriber<? super T>> call) {
            Flow.Subscriber<? super T> s = subscriber;
            if (s == null) {
                return; // the subscription has ended
            }
            try {
                call.accept(s);
            } catch (Throwable e) {
                cancelled = true;
                terminated = true;
                loop.callExceptionHandler(new ExceptionContext("Flow.Subscriber " + s + " threw from "
                        + signal + "; its subscription to " + IteratorPublisher.this + " is cancelled (Reactive"
                        + " Streams rule 2.13)", e, pump, null));
            }
        }

        /** Closes the source; called once, whichever way the subscription ended. A failure is reported. */
        private void closeSource() {
            try {
                source.aclose();
            } catch (Throwable e) {
                report("closing the source of " + IteratorPublisher.this + " failed", e);
            }
        }

        /** A failure no subscriber can be told of goes to the loop's exception handler. */
        private void report(String message, Throwable e) {
            loop.callExceptionHandler(new ExceptionContext(message, e, pump, null));
        }
    }
}
