package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Flow;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.annotations.AfterClass;

/**
 * The Reactive Streams 1.0.4 TCK (TestNG, run on the JUnit Platform by the TestNG engine) on
 * {@link AsyncIterator#toPublisher()}: the publisher of a generator of {@code elements} numbers, on a loop of its
 * own thread. The TCK's timeouts bound how long it waits for a signal that must come (generous on a busy machine)
 * and how long it watches for one that must not. 3 s for a signal (the TCK's 300 ms could fail on a loaded CI
 * machine); four of its tests wait that long in any case. Rule 3.13's check sleeps for a set time after the
 * cancellation, then runs one collection and looks whether the subscriber went: 3 s failed once in a clean-clone CI
 * run at a load average of 10 on two cores, so it gets 8 s. {@link ToPublisherReferenceTest} checks the same rule
 * without a clock (it waits for the source's clean-up, then collects until the subscriber goes, at most 100 times).
 */
public class ToPublisherTckTest extends FlowPublisherVerification<Long> {

    private final BackgroundLoop loop = new BackgroundLoop("toPublisher-tck");

    public ToPublisherTckTest() {
        super(new TestEnvironment(3_000, 100), 8_000);
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
