package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowSubscriberBlackboxVerification;
import org.testng.annotations.AfterClass;

/**
 * The Reactive Streams 1.0.4 TCK (TestNG, run on the JUnit Platform by the TestNG engine) on the subscriber of
 * {@link AsyncIterator#fromPublisher}: each subscriber under test is the one a task of a loop on its own thread
 * subscribes when it starts iterating; the TCK then plays the publisher from its threads.
 */
public class FromPublisherTckTest extends FlowSubscriberBlackboxVerification<Integer> {

    private final BackgroundLoop loop = new BackgroundLoop("fromPublisher-tck");

    public FromPublisherTckTest() {
        super(new TestEnvironment(3_000, 100));
    }

    @Override
    public Flow.Subscriber<Integer> createFlowSubscriber() {
        var handed = new CompletableFuture<Flow.Subscriber<? super Integer>>();
        Flow.Publisher<Integer> capturing = handed::complete;
        try {
            loop.spawn(() -> {
                for (int ignored : AsyncIterator.fromPublisher(capturing, 4)) {
                    // consume everything, as a consumer would
                }
                return null;
            });
            @SuppressWarnings("unchecked")
            Flow.Subscriber<Integer> subscriber = (Flow.Subscriber<Integer>) handed.get(30, TimeUnit.SECONDS);
            return subscriber;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public Integer createElement(int element) {
        return element;
    }

    @AfterClass
    public void stopTheLoop() throws Exception {
        loop.close();
    }
}
