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
 * toPublisher(): however a subscription ends (complete, source failure, cancel, bad request, the loop ending), the
 * source iterator is closed exactly once.
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
}
