package org.aio4j.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedSuccessfully;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.Task;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The examples of the Javadoc of aio4j-test (AioTesting, TestOptions, AioTest, AioTestOptions) and of the README's
 * "Testing with aio4j-test", written out as tests: they compile and do what their comments say. The example test
 * classes are named ...Example here (not ...Test as in the docs), so that the build does not pick them up itself.
 */
class DocExamplesTest {

    static final List<String> events = Collections.synchronizedList(new ArrayList<>());

    /** The client of the AioTesting example: its first try fails, and it retries after five seconds. */
    static final class Client {
        int tries;

        String fetchWithRetry() {
            while (++tries < 2) {
                Aio.sleep(5);
            }
            return "ok";
        }
    }

    /** AioTesting's class comment. */
    @Test
    void retriesAfterFiveSeconds() throws Exception {
        var client = new Client();
        AioTesting.runTest(() -> {
            Task<String> fetch = Aio.createTask(() -> client.fetchWithRetry());
            Aio.sleep(5);                                   // no real time passes
            assertThat(fetch.await()).isEqualTo("ok");
            assertThat(Aio.getRunningLoop().time()).isEqualTo(5.0);
        });
        assertThat(client.tries).isEqualTo(2);
    }

    /** TestOptions' class comment: the background task is cancelled when the body returns. */
    @Test
    void aBackgroundTaskIsCancelledWhenTheBodyReturns() throws Exception {
        var heartbeats = new ArrayList<Double>();
        var cancelled = new ArrayList<Boolean>();
        AioTesting.runTest(TestOptions.defaults().withTimeout(Duration.ofSeconds(5)).withAllowPendingTasks(true), () -> {
            Aio.createTask(() -> heartbeat(heartbeats, cancelled));   // a background task, cancelled when the body returns
            Aio.sleep(2.5);
        });
        assertThat(heartbeats).containsExactly(0.0, 1.0, 2.0);
        assertThat(cancelled).containsExactly(true);
    }

    private static void heartbeat(List<Double> beats, List<Boolean> cancelled) {
        try {
            for (;;) {
                beats.add(Aio.getRunningLoop().time());
                Aio.sleep(1);
            }
        } catch (CancellationException e) {
            cancelled.add(true);
            throw e;
        }
    }

    /** The README's runTest example. */
    @Test
    void same() throws Exception {
        AioTesting.runTest(TestOptions.defaults().withTimeout(Duration.ofSeconds(5)), () -> { Aio.sleep(5); });
    }

    // ---- samples run by EngineTestKit

    /** AioTest's class comment (and the README's first example). */
    @ExtendWith(AioExtensionTest.OnlyAsSamples.class)
    static class FetcherExample {
        @AioTest
        void retriesAfterFiveSeconds() throws Exception {
            Aio.sleep(5);                                   // no real time passes
            assertThat(Aio.getRunningLoop().time()).isEqualTo(5.0);
        }

        @AioTest
        void readmeRetriesAfterFiveSeconds(EventLoop loop) throws Exception {
            Aio.sleep(5);                          // no real time passes
            assertThat(loop.time()).isEqualTo(5.0);
        }

        @AioTest(timeout = 2, allowPendingTasks = true)
        void withABackgroundTask(EventLoop loop) throws Exception {
            Aio.createTask(() -> Aio.sleep(3600));
            Aio.sleep(1);
            assertThat(loop.time()).isEqualTo(1.0);
        }
    }

    /**
     * AioTestOptions' class comment. Each test leaves a task pending: the class allows it, so a test fails on it only
     * if its own options replace the class's.
     */
    @ExtendWith(AioExtensionTest.OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)
    @AioTestOptions(timeout = 5, allowPendingTasks = true)     // every test of the class, nested classes included
    static class ServerExample {
        @RepeatedTest(10)
        @AioTestOptions(scheduleSeed = 42)                     // replaces the class's options for this method
        void survivesReordering() throws Exception {
            leaveATaskPending("survivesReordering");
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 2, 3})
        void servesRequests(int n) throws Exception {     // the class's options
            leaveATaskPending("servesRequests " + n);
        }

        @AioTest                                              // sets no option: the class's options
        void shutsDown() throws Exception {
            leaveATaskPending("shutsDown");
        }

        private static void leaveATaskPending(String test) {
            Aio.createTask(() -> Aio.sleep(3600));
            events.add(test);
        }
    }

    /** The README's options example. */
    @ExtendWith(AioExtensionTest.OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)                      // @AioTestOptions sets options only: the extension runs the tests
    @AioTestOptions(timeout = 5)                         // every test of the class
    static class ReadmeServerExample {
        @RepeatedTest(10)
        @AioTestOptions(timeout = 5, scheduleSeed = 42)  // this method's options, all of them
        void survivesReordering(EventLoop loop) throws Exception {
            Aio.sleep(1);
            assertThat(loop.time()).isEqualTo(1.0);
        }
    }

    private static Events run(Class<?> sample) {
        events.clear();
        return EngineTestKit.engine("junit-jupiter").configurationParameter("org.aio4j.test.samples", "true")
                .selectors(selectClass(sample)).execute().testEvents();
    }

    @Test
    void theAioTestExampleRuns() {
        run(FetcherExample.class).assertStatistics(s -> s.started(3).succeeded(3));
    }

    @Test
    void theAioTestOptionsExampleRunsEachTestWithTheOptionsItSays() {
        Events results = run(ServerExample.class);
        results.assertStatistics(s -> s.started(14).succeeded(4).failed(10));
        results.assertThatEvents()
                .haveExactly(3, event(test("servesRequests"), finishedSuccessfully()))
                .haveExactly(1, event(test("shutsDown"), finishedSuccessfully()))
                .haveExactly(10, event(test("survivesReordering"), finishedWithFailure(
                        instanceOf(AssertionError.class),
                        message(m -> m.contains("1 task was still pending at the end of the test")))));
        assertThat(events).hasSize(14);
    }

    @Test
    void theReadmeOptionsExampleRuns() {
        run(ReadmeServerExample.class).assertStatistics(s -> s.started(10).succeeded(10));
    }
}
