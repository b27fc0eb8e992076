package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * toPublisher(): however a subscription ends (complete, source failure, cancel, bad request, the loop ending, a
 * subscriber that throws), the source iterator is closed exactly once, and a subscriber that throws is treated as
 * Reactive Streams rule 2.13 says: its subscription is cancelled, it is not signalled again, and what it threw goes
 * to the loop's exception handler.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a bound on hangs, not a timing assertion
class ToPublisherEndingTest {

    /** An async iterator over fixed items (failing at the end if {@code failAtEnd}) that counts its closings. */
    static final class TrackedSource implements AsyncIterator<Integer> {
        private final Iterator<Integer> items;
        private final RuntimeException failAtEnd;
        int closes;
        Event closed;

        TrackedSource(List<Integer> items, RuntimeException failAtEnd) {
            this.items = items.iterator();
            this.failAtEnd = failAtEnd;
        }

        @Override
        public boolean hasNext() {
            if (!items.hasNext() && failAtEnd != null) {
                throw failAtEnd;
            }
            return items.hasNext();
        }

        @Override
        public Integer next() {
            return items.next();
        }

        @Override
        public void aclose() {
            closes++;
            if (closed != null) {
                closed.set();
            }
        }
    }

    /** Records signals as text; each signal may also run an action (on the loop, where the signals come). */
    static final class Recorder implements Flow.Subscriber<Integer> {
        final List<Object> signals = Collections.synchronizedList(new ArrayList<>());
        Consumer<Flow.Subscription> onSubscribe = s -> s.request(Long.MAX_VALUE);
        Consumer<Integer> onNext = item -> { };
        Runnable onComplete = () -> { };
        Consumer<Throwable> onError = t -> { };
        Flow.Subscription subscription;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            signals.add("subscribed");
            onSubscribe.accept(s);
        }

        @Override
        public void onNext(Integer item) {
            signals.add(item);
            onNext.accept(item);
        }

        @Override
        public void onError(Throwable t) {
            signals.add(t);
            onError.accept(t);
        }

        @Override
        public void onComplete() {
            signals.add("complete");
            onComplete.run();
        }

        @Override
        public String toString() {
            return "Recorder@test";
        }
    }

    /** Subscribes {@code subscriber} to {@code source} and waits (on the loop) until the source is closed. */
    private static List<ExceptionContext> runUntilClosed(TrackedSource source, Recorder subscriber) throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        TestLoops.runVirtual(errors, () -> {
            source.closed = new Event();
            source.toPublisher().subscribe(subscriber);
            source.closed.await();
            return null;
        });
        return errors;
    }

    @Test
    void theSourceIsClosedOnceWhenTheLoopEndsBeforeThePumpsFirstStep() throws Exception {
        var source = new TrackedSource(List.of(1, 2), null);
        var subscriber = new Recorder();
        List<ExceptionContext> errors = new ArrayList<>();
        TestLoops.runVirtual(errors, () -> {
            source.toPublisher().subscribe(subscriber);
            return null; // the loop ends: the pump is cancelled before its first step
        });
        assertThat(subscriber.signals).hasSize(2).first().isEqualTo("subscribed");
        assertThat(subscriber.signals.get(1)).isInstanceOf(CancellationException.class);
        assertThat(source.closes).isEqualTo(1);
        assertThat(errors).isEmpty();
    }

    @Test
    void theSourceIsClosedOnceWhenTheSubscriberCancelsInOnSubscribe() throws Exception {
        var source = new TrackedSource(List.of(1, 2), null);
        var subscriber = new Recorder();
        subscriber.onSubscribe = Flow.Subscription::cancel;
        assertThat(runUntilClosed(source, subscriber)).isEmpty();
        assertThat(subscriber.signals).containsExactly("subscribed");
        assertThat(source.closes).isEqualTo(1);
    }

    @Test
    void theSourceIsClosedOnceAfterABadRequestInOnSubscribe() throws Exception {
        var source = new TrackedSource(List.of(1, 2), null);
        var subscriber = new Recorder();
        subscriber.onSubscribe = s -> s.request(-1);
        assertThat(runUntilClosed(source, subscriber)).isEmpty();
        assertThat(subscriber.signals).hasSize(2);
        assertThat(subscriber.signals.get(1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(source.closes).isEqualTo(1);
    }

    @Test
    void theSourceIsClosedOnceOnCompleteOnFailureAndOnCancel() throws Exception {
        var completed = new TrackedSource(List.of(1, 2), null);
        var completedSubscriber = new Recorder();
        assertThat(runUntilClosed(completed, completedSubscriber)).isEmpty();
        assertThat(completedSubscriber.signals).containsExactly("subscribed", 1, 2, "complete");
        assertThat(completed.closes).isEqualTo(1);

        var boom = new IllegalStateException("source failed");
        var failed = new TrackedSource(List.of(1), boom);
        var failedSubscriber = new Recorder();
        assertThat(runUntilClosed(failed, failedSubscriber)).isEmpty();
        assertThat(failedSubscriber.signals).containsExactly("subscribed", 1, boom);
        assertThat(failed.closes).isEqualTo(1);

        var cancelled = new TrackedSource(List.of(1, 2, 3), null);
        var cancelling = new Recorder();
        cancelling.onNext = item -> cancelling.subscription.cancel();
        assertThat(runUntilClosed(cancelled, cancelling)).isEmpty();
        assertThat(cancelling.signals).containsExactly("subscribed", 1);
        assertThat(cancelled.closes).isEqualTo(1);
    }

    /**
     * A subscriber that cancels from onNext (rule 3.7: a cancel after the first is a no-op, and so is one after
     * onComplete, rule 1.6): the pump sees the cancel at once and closes the source, and the source's clean-up goes to
     * its end. The cancel, also posted to cancel the pump where it might wait, landed in the pump while it closed the
     * source: the CancellationException cut the generator's finally block short at its first await and was reported as
     * a failure to close the source.
     */
    @Test
    void aCancelFromOnNextLetsTheSourcesCleanUpFinish() throws Exception {
        for (int cancels : new int[] {1, 2}) {
            List<String> log = new ArrayList<>();
            var subscriber = new Recorder();
            subscriber.onNext = item -> {
                for (int i = 0; i < cancels; i++) {
                    subscriber.subscription.cancel();
                }
            };
            List<ExceptionContext> errors = new ArrayList<>();
            TestLoops.runVirtual(errors, () -> {
                var source = AsyncGenerator.<Integer>of(out -> {
                    try {
                        out.emit(1);
                        out.emit(2);
                    } finally {
                        log.add("clean-up starts");
                        Aio.sleep(1);
                        log.add("clean-up ends");
                    }
                });
                source.toPublisher().subscribe(subscriber);
                Aio.sleep(5);
                return null;
            });
            assertThat(log).as("%d cancel(s)", cancels).containsExactly("clean-up starts", "clean-up ends");
            assertThat(errors).as("%d cancel(s)", cancels).isEmpty();
            assertThat(subscriber.signals).containsExactly("subscribed", 1);
        }
    }

    @Test
    void aSubscriberWhoseOnNextThrowsIsCancelledNotSignalledAndReported() throws Exception {
        var source = new TrackedSource(List.of(1, 2, 3), null);
        var subscriber = new Recorder();
        var bad = new IllegalStateException("subscriber bug");
        subscriber.onNext = item -> {
            throw bad;
        };
        List<ExceptionContext> errors = runUntilClosed(source, subscriber);
        assertThat(subscriber.signals).containsExactly("subscribed", 1); // no onError (rule 2.13), no more items
        assertThat(source.closes).isEqualTo(1);
        assertThat(errors).singleElement().satisfies(ctx -> {
            assertThat(ctx.exception()).isSameAs(bad);
            assertThat(ctx.message()).contains("Recorder@test", "onNext", "rule 2.13");
        });
    }

    @Test
    void aSubscriberWhoseOnCompleteOrOnErrorThrowsIsReported() throws Exception {
        var completing = new TrackedSource(List.of(1), null);
        var onCompleteThrows = new Recorder();
        var bad = new IllegalStateException("onComplete bug");
        onCompleteThrows.onComplete = () -> {
            throw bad;
        };
        List<ExceptionContext> errors = runUntilClosed(completing, onCompleteThrows);
        assertThat(onCompleteThrows.signals).containsExactly("subscribed", 1, "complete");
        assertThat(completing.closes).isEqualTo(1);
        assertThat(errors).singleElement().satisfies(ctx -> {
            assertThat(ctx.exception()).isSameAs(bad);
            assertThat(ctx.message()).contains("Recorder@test", "onComplete");
        });

        var boom = new IllegalStateException("source failed");
        var failing = new TrackedSource(List.of(), boom);
        var onErrorThrows = new Recorder();
        var worse = new IllegalStateException("onError bug");
        onErrorThrows.onError = t -> {
            throw worse;
        };
        errors = runUntilClosed(failing, onErrorThrows);
        assertThat(onErrorThrows.signals).containsExactly("subscribed", boom);
        assertThat(failing.closes).isEqualTo(1);
        assertThat(errors).singleElement().satisfies(ctx -> {
            assertThat(ctx.exception()).isSameAs(worse);
            assertThat(ctx.message()).contains("Recorder@test", "onError");
        });
    }

    @Test
    void aSubscriberWhoseOnSubscribeThrowsIsCancelledAndReported() throws Exception {
        var source = new TrackedSource(List.of(1, 2), null);
        var subscriber = new Recorder();
        var bad = new IllegalStateException("onSubscribe bug");
        subscriber.onSubscribe = s -> {
            s.request(5);
            throw bad;
        };
        List<ExceptionContext> errors = runUntilClosed(source, subscriber);
        assertThat(subscriber.signals).containsExactly("subscribed");
        assertThat(source.closes).isEqualTo(1);
        assertThat(errors).singleElement().satisfies(ctx -> {
            assertThat(ctx.exception()).isSameAs(bad);
            assertThat(ctx.message()).contains("Recorder@test", "onSubscribe");
        });
    }

    @Test
    void aRefusedSubscriberThatThrowsDoesNotMakeSubscribeThrow() throws Exception {
        var second = new Recorder();
        second.onSubscribe = s -> {
            throw new IllegalStateException("onSubscribe bug");
        };
        TestLoops.runVirtual(() -> {
            var publisher = new TrackedSource(List.of(1), null).toPublisher();
            publisher.subscribe(new Recorder());
            publisher.subscribe(second); // refused (one subscriber only): rule 1.9, subscribe returns normally
            return null;
        });
        assertThat(second.signals).containsExactly("subscribed");
    }
}
