package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Reactive Streams rule 3.13: once a subscription has ended (cancelled, or completed), the publisher, its loop and
 * its pump task hold no reference to the subscriber, which can then be collected while the publisher lives on.
 */
class ToPublisherReferenceTest {

    private static final long WAIT_SECONDS = 30; // a bound on hangs, not a timing assertion

    @Test
    void aCancelledSubscriptionNoLongerHoldsItsSubscriber() throws Exception {
        try (var loop = new BackgroundLoop("rule-3.13")) {
            var closed = new CountDownLatch(1);
            Flow.Publisher<Integer> publisher = loop.call(() -> AsyncGenerator.<Integer>of(out -> {
                try {
                    for (int i = 0; ; i++) {
                        out.emit(i);
                    }
                } finally {
                    closed.countDown();
                }
            }).toPublisher());
            WeakReference<Flow.Subscriber<Integer>> subscriber = subscribeAndCancelAfterOneItem(publisher);
            assertThat(closed.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            // Nothing more is posted to the loop: it idles on the thread of the task that ran last, the pump's, whose
            // frames hold the pump task until something else runs (as with the TCK's check of rule 3.13).
            assertThat(collected(subscriber)).as("the subscriber was collected").isTrue();
            assertThat(publisher).isNotNull(); // the publisher is still reachable
            assertThat(loop.errors).isEmpty();
        }
    }

    /** Subscribes, takes one item and cancels from this thread, as the TCK does (rule 3.13's check). */
    private static WeakReference<Flow.Subscriber<Integer>> subscribeAndCancelAfterOneItem(
            Flow.Publisher<Integer> publisher) throws InterruptedException {
        var subscriber = new PublisherBridgeTest.RecordingSubscriber<Integer>();
        publisher.subscribe(subscriber);
        subscriber.request(1);
        assertThat(subscriber.next()).isEqualTo(0);
        subscriber.subscription.get().cancel();
        return new WeakReference<>(subscriber);
    }

    /** Whether the referent is collected within a bounded number of full collections (no time involved). */
    private static boolean collected(WeakReference<?> ref) {
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
        }
        return ref.get() == null;
    }
}
