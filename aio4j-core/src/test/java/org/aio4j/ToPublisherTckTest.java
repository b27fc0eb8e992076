package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.Test;

/**
 * The Reactive Streams 1.0.4 TCK (TestNG, run on the JUnit Platform by the TestNG engine) on
 * {@link AsyncIterator#toPublisher()}: the publisher of a generator of {@code elements} numbers, on a loop of its
 * own thread. The TCK's timeouts bound how long it waits for a signal that must come (generous on a busy machine)
 * and how long it watches for one that must not. 3 s for a signal (the TCK's 300 ms could fail on a loaded CI
 * machine); four of its tests wait that long in any case. Rule 3.13's check is the TCK's but for its clock: see
 * {@link #required_spec313_cancelMustMakeThePublisherEventuallyDropAllReferencesToTheSubscriber()}.
 * {@link ToPublisherReferenceTest} checks the same rule on a source that says when it is cleaned up.
 */
public class ToPublisherTckTest extends FlowPublisherVerification<Long> {

    /** A bound on a hang of rule 3.13's check, not a timing assertion. */
    private static final long COLLECTION_SECONDS = 60;

    private final BackgroundLoop loop = new BackgroundLoop("toPublisher-tck");
    private final TestEnvironment env;

    public ToPublisherTckTest() {
        this(new TestEnvironment(3_000, 100));
    }

    private ToPublisherTckTest(TestEnvironment env) {
        super(env, 3_000);
        this.env = env;
    }

    /**
     * Rule 3.13, the TCK's check (subscribe, take one item, cancel, then the subscriber must become unreachable)
     * without its clock: the TCK sleeps a set time, runs one collection and gives the reference 100 ms to be
     * enqueued, which failed in clean-clone CI runs on two cores loaded to 10 (with 3 s, and again with 8 s). Here
     * collections run until the subscriber is gone, bounded by {@link #COLLECTION_SECONDS} against a hang.
     */
    @Override
    @Test
    public void required_spec313_cancelMustMakeThePublisherEventuallyDropAllReferencesToTheSubscriber()
            throws Throwable {
        activePublisherTest(3, false, publisher -> {
            WeakReference<?> subscriber = subscribeTakeOneAndCancel(publisher);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(COLLECTION_SECONDS);
            while (subscriber.get() != null && System.nanoTime() < deadline) {
                System.gc();
            }
            if (subscriber.get() != null) {
                env.flop("Publisher " + publisher + " did not drop reference to test subscriber after subscription"
                        + " cancellation (" + COLLECTION_SECONDS + " s of collections)");
            }
        });
    }

    /** The TCK's steps of rule 3.13, in a frame of their own so that no local of this thread holds the subscriber. */
    private WeakReference<?> subscribeTakeOneAndCancel(Publisher<Long> publisher) throws InterruptedException {
        TestEnvironment.ManualSubscriber<Long> subscriber = env.newManualSubscriber(publisher);
        subscriber.request(1);
        subscriber.nextElement();
        subscriber.cancel();
        return new WeakReference<>(subscriber);
    }

    @Override
    public Flow.Publisher<Long> createFlowPublisher(long elements) {
        try {
            return loop.call(() -> AsyncGenerator.<Long>of(out -> {
                for (long i = 0; i < elements; i++) {
                    out.emit(i);
                }
            }).toPublisher());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A publisher that cannot serve a new subscriber: its one subscription is taken, so it refuses with onSubscribe
     * then onError (rule 1.9). A source that fails is not a failed publisher: its failure is learnt only when an item
     * is requested, since the source is asked for items only on demand.
     */
    @Override
    public Flow.Publisher<Long> createFailedFlowPublisher() {
        try {
            return loop.call(() -> {
                Flow.Publisher<Long> publisher = AsyncIterator.from(java.util.List.of(1L)).toPublisher();
                publisher.subscribe(new PublisherBridgeTest.RecordingSubscriber<>());
                return publisher;
            });
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @AfterClass
    public void stopTheLoop() throws Exception {
        loop.close();
        assertThat(loop.errors).as("reports to the loop's exception handler").isEmpty();
    }
}
