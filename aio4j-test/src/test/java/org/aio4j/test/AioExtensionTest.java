package org.aio4j.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.engine;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.cause;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import org.aio4j.Aio;
import org.aio4j.DeadlockException;
import org.aio4j.EventLoop;
import org.aio4j.Future;
import org.aio4j.Task;
import org.assertj.core.api.Condition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.engine.DiscoveryIssue;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.EventType;
import org.junit.platform.testkit.engine.Events;

/**
 * Runs sample test classes (the nested classes below) with JUnit's EngineTestKit and checks their outcomes. The
 * samples are disabled unless run from here, since several of them fail on purpose.
 */
class AioExtensionTest {

    private static final String SAMPLES = "org.aio4j.test.samples";

    static final List<String> events = Collections.synchronizedList(new ArrayList<>());

    private static Events run(DiscoverySelector selector) {
        events.clear();
        return EngineTestKit.engine("junit-jupiter").configurationParameter(SAMPLES, "true").selectors(selector)
                .execute().testEvents();
    }

    private static Events runInParallel(DiscoverySelector selector) {
        events.clear();
        return EngineTestKit.engine("junit-jupiter").configurationParameter(SAMPLES, "true")
                .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
                .configurationParameter("junit.jupiter.execution.parallel.mode.default", "concurrent")
                .configurationParameter("junit.jupiter.execution.parallel.mode.classes.default", "concurrent")
                .selectors(selector).execute().testEvents();
    }

    /** Enables the samples only when {@link #run} runs them. */
    static final class OnlyAsSamples implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return context.getConfigurationParameter(SAMPLES).isPresent()
                    ? ConditionEvaluationResult.enabled("run as a sample by AioExtensionTest")
                    : ConditionEvaluationResult.disabled("a sample for AioExtensionTest, failing on purpose");
        }
    }

    // ---- samples

    static final org.aio4j.ContextVar<String> TENANT = new org.aio4j.ContextVar<>("tenant", "unset");

    @ExtendWith(OnlyAsSamples.class)
    static class ContextAcrossTheLifecycle {
        @BeforeEach
        void setUp() {
            TENANT.set("from setUp");
        }

        @AioTest
        void test() {
            events.add("test sees " + TENANT.get());
            TENANT.set("from the test");
        }

        @AfterEach
        void tearDown() {
            events.add("tearDown sees " + TENANT.get());
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    static class Lifecycle {
        private Task<Void> server;
        private Future<String> request;

        @BeforeEach
        void startServer(EventLoop loop) {
            events.add("@BeforeEach on the test loop: " + (Aio.getRunningLoop() == loop));
            request = loop.createFuture();
            server = Aio.createTask(() -> {
                String r = request.await();
                events.add("served " + r + " at " + Aio.getRunningLoop().time());
            }, "server");
        }

        @AioTest
        void anHourPassesAtOnce(EventLoop loop) throws Exception {
            events.add("test on the same loop: " + (Aio.getRunningLoop() == loop));
            Aio.sleep(3600);
            request.setResult("GET /");
            server.await();
            assertThat(loop.time()).isEqualTo(3600.0);
        }

        @AfterEach
        void stopServer() throws Exception {
            events.add("@AfterEach sees the server done: " + server.isDone());
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    static class Failing {
        @AioTest(timeout = 0.3)
        void hangs() throws Exception {
            Aio.toThread(() -> {
                new CountDownLatch(1).await();
                return null;
            });
        }

        @AioTest
        void leavesATaskPending() {
            Aio.createTask(() -> Aio.sleep(10), "straggler");
        }

        @AioTest
        void leavesAnErrorNobodyReceives() throws Exception {
            Aio.createTask(() -> {
                throw new IllegalStateException("unawaited boom");
            });
            Aio.sleep(1);
        }

        @AioTest
        void deadlocks() throws Exception {
            Aio.getRunningLoop().createFuture().await();
        }

        @AioTest
        void failsAndLeavesATaskPending() {
            Aio.createTask(() -> Aio.sleep(10));
            throw new AssertionError("the test's own failure");
        }

        @AioTest(timeout = -1)
        void hasABadTimeout() {
        }

        @AioTest(scheduleSeed = {1, 2})
        void hasTwoSeeds() {
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    static class Blocking {
        @AioTest(timeout = 0.3)
        void blocksTheLoop() throws Exception {
            new CountDownLatch(1).await(); // a blocking call on the loop; the watchdog's interrupt ends it
        }

        @AfterEach
        void tearDown() {
            events.add("@AfterEach ran");
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    static class JUnitTimeout {
        @AioTest
        @org.junit.jupiter.api.Timeout(value = 300, unit = java.util.concurrent.TimeUnit.MILLISECONDS)
        void hangsPastJUnitsTimeout() throws Exception {
            Aio.toThread(() -> new CountDownLatch(1).await(1, java.util.concurrent.TimeUnit.HOURS)); // ends when cancelled
        }

        @AfterEach
        void tearDown(EventLoop loop) {
            events.add("@AfterEach ran in the test's loop: " + (Aio.getRunningLoop() == loop));
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    static class BlockingPastJUnitsTimeout {
        // JUnit's timeout must come first: with 0.5 s here, a JUnit timer thread late by 200 ms on a loaded machine
        // let aio4j's own timeout fail the test instead. 2 s is also the cancellation grace the interrupted test gets.
        @AioTest(timeout = 2)
        @org.junit.jupiter.api.Timeout(value = 300, unit = java.util.concurrent.TimeUnit.MILLISECONDS)
        void blocksTheLoopPastJUnitsTimeout() throws Exception {
            new CountDownLatch(1).await(); // a blocking call on the loop; the watchdog's interrupt ends it
        }

        @AfterEach
        void tearDown() {
            events.add("@AfterEach ran");
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    static class Allowed {
        @AioTest(allowPendingTasks = true)
        void leavesABackgroundTask() {
            Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    events.add("background task cancelled");
                    throw e;
                }
            });
        }

        @AioTest(realTime = true)
        void onTheRealClock(EventLoop loop) {
            events.add("virtual time: " + loop.isVirtualTime());
        }

        @AioTest(scheduleSeed = 7)
        void withAScheduleSeed(EventLoop loop) {
            events.add("schedule seed: " + loop.scheduleSeed());
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)
    static class ClassLevel {
        @Test
        void plainTest() {
            events.add("plain @Test in a loop at " + Aio.getRunningLoop().time());
        }

        @RepeatedTest(2)
        void repeated() throws Exception {
            Aio.sleep(1);
            events.add("repetition at " + Aio.getRunningLoop().time());
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)
    static class NestedAndParameterized {
        @BeforeEach
        void outerSetUp(EventLoop loop) {
            events.add("outer @BeforeEach on the test loop: " + (Aio.getRunningLoop() == loop));
        }

        @org.junit.jupiter.params.ParameterizedTest
        @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
        void parameterized(int seconds, EventLoop loop) throws Exception {
            Aio.sleep(seconds);
            events.add("parameter " + seconds + " at " + loop.time());
        }

        @org.junit.jupiter.api.Nested
        class Inner {
            @AioTest
            void nested(EventLoop loop) throws Exception {
                Aio.sleep(3);
                events.add("nested at " + loop.time());
            }
        }
    }

    /** Records the options {@code test}'s loop runs with. */
    static void recordOptions(String test, EventLoop loop) {
        events.add(test + ": virtual " + loop.isVirtualTime() + ", seed " + loop.scheduleSeed() + ", debug "
                + loop.isDebug());
    }

    @ExtendWith(OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)
    @AioTestOptions(realTime = true, scheduleSeed = 3, allowPendingTasks = true)
    static class OptionsOfAClass {
        @RepeatedTest(2)
        void repeated(EventLoop loop) {
            recordOptions("repeated", loop);
            Aio.createTask(() -> Aio.sleep(10)); // allowed pending by the class's options
        }

        @ParameterizedTest
        @ValueSource(ints = 1)
        void parameterized(int n, EventLoop loop) {
            recordOptions("parameterized", loop);
        }

        @AioTest
        void aioTestSettingNothing(EventLoop loop) {
            recordOptions("@AioTest", loop);
        }

        @AioTest(scheduleSeed = 9, debug = true)
        void aioTestWithOptions(EventLoop loop) {
            recordOptions("@AioTest(scheduleSeed = 9)", loop);
        }

        @AioTest
        @AioTestOptions(debug = false)
        void aioTestWithAioTestOptions(EventLoop loop) {
            recordOptions("@AioTest @AioTestOptions(debug = false)", loop);
        }

        @RepeatedTest(1)
        @AioTestOptions(debug = false)
        void repeatedWithItsOwnOptions(EventLoop loop) {
            recordOptions("repeated @AioTestOptions(debug = false)", loop);
        }

        @Nested
        class Inner {
            @AioTest
            void nested(EventLoop loop) {
                recordOptions("nested", loop);
            }

            @Nested
            @AioTestOptions(scheduleSeed = 5)
            class InnerWithItsOwn {
                @RepeatedTest(1)
                void nestedTwice(EventLoop loop) {
                    recordOptions("nested twice, own options", loop);
                }
            }
        }
    }

    @AioTestOptions(scheduleSeed = 11)
    abstract static class BaseWithOptions {
    }

    @ExtendWith(OnlyAsSamples.class)
    static class InheritsOptions extends BaseWithOptions {
        @AioTest
        void inherited(EventLoop loop) {
            recordOptions("inherited", loop);
        }
    }

    /** The extension and options in one annotation, as {@link AioTestOptions} suggests. */
    @ExtendWith(AioExtension.class)
    @AioTestOptions(realTime = true)
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface RealTimeAio {
    }

    @ExtendWith(OnlyAsSamples.class)
    @RealTimeAio
    static class ComposedOptions {
        @Test
        void plainTest(EventLoop loop) {
            recordOptions("composed", loop);
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)
    @AioTestOptions(timeout = 0.3)
    static class TimeoutOfAClass {
        @ParameterizedTest
        @ValueSource(ints = 1)
        void hangs(int n) throws Exception {
            Aio.toThread(() -> {
                new CountDownLatch(1).await();
                return null;
            });
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)
    static class BadOptions {
        @RepeatedTest(1)
        @AioTestOptions(timeout = -1)
        void hasABadTimeout() {
        }

        @AioTest(timeout = 2)
        @AioTestOptions(timeout = 2)
        void setsOptionsTwice() {
        }

        @AioTest
        @RepeatedTest(1)
        void isAnAioTestAndARepeatedTest() {
        }
    }

    @ExtendWith(OnlyAsSamples.class)
    @AioTestOptions(scheduleSeed = {1, 2})
    static class BadOptionsOfAClass {
        @AioTest
        void outer() {
        }

        @Nested
        class Inner {
            @AioTest
            void inner() {
            }
        }
    }

    /** Asks for the loop in @BeforeAll, as for a loop shared by the tests of a class (pytest-asyncio's loop_scope). */
    @ExtendWith(OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)
    static class LoopInBeforeAll {
        @BeforeAll
        static void startServer(EventLoop loop) {
            events.add("@BeforeAll got " + loop);
        }

        @Test
        void test() {
            events.add("test ran");
        }
    }

    /** Asks for the loop in a @TestFactory, which runs on JUnit's thread with its dynamic tests, outside the loop. */
    @ExtendWith(OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)
    static class LoopInTestFactory {
        @org.junit.jupiter.api.TestFactory
        java.util.stream.Stream<org.junit.jupiter.api.DynamicTest> tests(EventLoop loop) {
            events.add("@TestFactory got a loop, running: " + loop.isRunning());
            return java.util.stream.Stream.of(org.junit.jupiter.api.DynamicTest.dynamicTest("dynamic",
                    () -> events.add("dynamic test ran")));
        }
    }

    /**
     * Registers the extension a second time, as an instance field (@RegisterExtension), besides @AioTest's and the
     * class's @ExtendWith: JUnit keeps both instances.
     */
    @ExtendWith(OnlyAsSamples.class)
    @ExtendWith(AioExtension.class)
    static class RegisteredTwice {
        @org.junit.jupiter.api.extension.RegisterExtension
        AioExtension aio = new AioExtension();

        @BeforeEach
        void setUp(EventLoop loop) {
            events.add("@BeforeEach on the test loop: " + (Aio.getRunningLoop() == loop));
        }

        @AioTest
        void withTheLoop(EventLoop loop) throws Exception {
            Aio.sleep(5);
            events.add("test on the test loop at " + loop.time() + ": " + (Aio.getRunningLoop() == loop));
        }

        @RepeatedTest(2)
        void repeated() throws Exception {
            Aio.sleep(1);
            events.add("repeated at " + Aio.getRunningLoop().time());
        }
    }

    /** Test methods JUnit does not run: it drops them while it discovers tests, before any extension sees them. */
    @ExtendWith(OnlyAsSamples.class)
    static class Misused {
        @AioTest
        static void isStatic() {
        }

        @AioTest
        private void isPrivate() {
        }

        @AioTest
        int returnsAValue() {
            return 1;
        }

        @RepeatedTest(2)
        @ExtendWith(AioExtension.class)
        static void isAStaticRepeatedTest() {
        }
    }

    // ---- tests

    /**
     * What @BeforeEach sets in a ContextVar is seen by the test, and what the test sets by @AfterEach: the three run in
     * one context, as IsolatedAsyncioTestCase's asyncSetUp, test and asyncTearDown do since Python 3.11. Each ran in a
     * fresh one ("unset").
     */
    @Test
    void setUpTheTestAndTearDownShareOneContext() {
        run(selectClass(ContextAcrossTheLifecycle.class)).assertStatistics(s -> s.started(1).succeeded(1));
        assertThat(events).containsExactly("test sees from setUp", "tearDown sees from the test");
    }

    @Test
    void lifecycleMethodsAndTheTestShareOneVirtualTimeLoop() {
        run(selectClass(Lifecycle.class)).assertStatistics(s -> s.started(1).succeeded(1));
        assertThat(events).containsExactly(
                "@BeforeEach on the test loop: true",
                "test on the same loop: true",
                "served GET / at 3600.0",
                "@AfterEach sees the server done: true");
    }

    @Test
    void aHangingTestFailsWithTheTaskDump() {
        run(selectMethod(Failing.class, "hangs")).assertThatEvents().haveExactly(1, event(test("hangs"),
                finishedWithFailure(instanceOf(AssertionError.class),
                        message(m -> m.contains("Test method 'hangs' timed out: not done after 0.3 s")
                                && m.contains("hangs waits on ")
                                && m.contains("at org.aio4j.test.AioExtensionTest$Failing.hangs(AioExtensionTest.java:")
                                && m.contains("in flight: offloaded call")))));
    }

    @Test
    void aTestBlockingItsLoopFailsAndItsAfterEachMethodsAreReportedNotRun() {
        run(selectClass(Blocking.class)).assertThatEvents().haveExactly(1, event(test("blocksTheLoop"),
                finishedWithFailure(instanceOf(AssertionError.class),
                        message(m -> m.contains("Test method 'blocksTheLoop' timed out")
                                && m.contains("The loop did not respond to the cancellation")
                                && m.contains("blocksTheLoop waits on nothing (running)")),
                        new Condition<>(t -> t.getSuppressed().length == 1
                                && t.getSuppressed()[0] instanceof IllegalStateException e
                                && e.getMessage().equals("'@AfterEach tearDown' was not run: the test's event loop was"
                                        + " abandoned after a timeout, because a task was blocking it"),
                                "the @AfterEach method reported as not run"))));
        assertThat(events).isEmpty();
    }

    @Test
    void aTestInterruptedByJUnitsTimeoutFailsWithItAndItsAfterEachMethodsStillRunInItsLoop() {
        run(selectClass(JUnitTimeout.class)).assertThatEvents().haveExactly(1, event(test("hangsPastJUnitsTimeout"),
                finishedWithFailure(instanceOf(java.util.concurrent.TimeoutException.class),
                        new Condition<>(t -> java.util.Arrays.stream(t.getSuppressed())
                                .noneMatch(IllegalStateException.class::isInstance), "no method reported as not run"))));
        assertThat(events).containsExactly("@AfterEach ran in the test's loop: true");
    }

    @Test
    void aTestInterruptedByJUnitsTimeoutWhileBlockingItsLoopReportsItsAfterEachMethodsNotRun() {
        run(selectClass(BlockingPastJUnitsTimeout.class)).assertThatEvents().haveExactly(1,
                event(test("blocksTheLoopPastJUnitsTimeout"), finishedWithFailure(
                        instanceOf(java.util.concurrent.TimeoutException.class),
                        new Condition<>(t -> java.util.Arrays.stream(t.getSuppressed()).anyMatch(s ->
                                s instanceof IllegalStateException e
                                && e.getMessage().equals("'@AfterEach tearDown' was not run: the test's event loop was"
                                        + " abandoned when the thread running the test was interrupted, because a"
                                        + " task was blocking it")),
                                "the @AfterEach method reported as not run, saying why"))));
        assertThat(events).isEmpty();
    }

    @Test
    void aBeforeAllMethodAskingForTheLoopIsToldThatEachTestHasALoopOfItsOwn() {
        events.clear();
        EngineTestKit.engine("junit-jupiter").configurationParameter(SAMPLES, "true")
                .selectors(selectClass(LoopInBeforeAll.class)).execute().containerEvents().assertThatEvents()
                .haveExactly(1, event(container(LoopInBeforeAll.class), finishedWithFailure(
                        instanceOf(ParameterResolutionException.class),
                        message(m -> m.startsWith("No event loop for the EventLoop parameter of static void"
                                + " org.aio4j.test.AioExtensionTest$LoopInBeforeAll.startServer(org.aio4j.EventLoop):"
                                + " AioExtension gives the test's loop to @BeforeEach, test and @AfterEach methods"
                                + " only") && m.contains("loop_scope")))));
        assertThat(events).isEmpty();
    }

    /**
     * A @TestFactory and its dynamic tests run on JUnit's thread, outside the loop: an EventLoop parameter of the
     * factory is refused saying so, as one of a @BeforeAll method is, instead of receiving a loop that never runs.
     */
    @Test
    void aTestFactoryAskingForTheLoopIsToldThatItRunsOutsideTheLoop() {
        events.clear();
        EngineTestKit.engine("junit-jupiter").configurationParameter(SAMPLES, "true")
                .selectors(selectClass(LoopInTestFactory.class)).execute().containerEvents().assertThatEvents()
                .haveExactly(1, event(container("tests"), finishedWithFailure(
                        instanceOf(ParameterResolutionException.class),
                        message(m -> m.startsWith("No event loop for the EventLoop parameter of"
                                + " java.util.stream.Stream org.aio4j.test.AioExtensionTest$LoopInTestFactory.tests("
                                + "org.aio4j.EventLoop): a @TestFactory method and its dynamic tests run on JUnit's"
                                + " thread, outside the test's loop") && m.contains("AioTesting.runTest")))));
        assertThat(events).isEmpty();
    }

    /**
     * An extension registered twice for a test (an @RegisterExtension field besides @AioTest or @ExtendWith) runs it
     * once, in one loop: the second instance nested the test's run in the loop's own task ("createTask called from
     * thread aio4j-test-loop[...], which does not hold EventLoop"), and JUnit refused an EventLoop parameter for
     * "multiple competing ParameterResolvers".
     */
    @Test
    void anExtensionRegisteredTwiceRunsEachTestOnceInOneLoop() {
        run(selectClass(RegisteredTwice.class)).assertStatistics(s -> s.started(3).succeeded(3));
        assertThat(events).containsExactlyInAnyOrder(
                "@BeforeEach on the test loop: true", "test on the test loop at 5.0: true",
                "@BeforeEach on the test loop: true", "repeated at 1.0",
                "@BeforeEach on the test loop: true", "repeated at 1.0");
    }

    @Test
    void aTaskLeftPendingFailsTheTest() {
        run(selectMethod(Failing.class, "leavesATaskPending")).assertThatEvents().haveExactly(1,
                event(test("leavesATaskPending"), finishedWithFailure(instanceOf(AssertionError.class),
                        message(m -> m.contains("1 task was still pending at the end of the test")
                                && m.contains("straggler waits on a sleep until 10.0")))));
    }

    @Test
    void anErrorNobodyReceivedFailsTheTest() {
        run(selectMethod(Failing.class, "leavesAnErrorNobodyReceives")).assertThatEvents().haveExactly(1,
                event(test("leavesAnErrorNobodyReceives"), finishedWithFailure(instanceOf(AssertionError.class),
                        message(m -> m.contains("Task exception was never retrieved")),
                        cause(instanceOf(IllegalStateException.class), message("unawaited boom")))));
    }

    @Test
    void aDeadlockFailsTheTestWithTheWaitForGraph() {
        run(selectMethod(Failing.class, "deadlocks")).assertThatEvents().haveExactly(1, event(test("deadlocks"),
                finishedWithFailure(instanceOf(AssertionError.class),
                        message(m -> m.startsWith("Deadlock: ") && m.contains("deadlocks waits on ")),
                        cause(instanceOf(DeadlockException.class)))));
    }

    @Test
    void aFailingTestKeepsItsOwnFailureAndItsPendingTasksAreNotReported() {
        run(selectMethod(Failing.class, "failsAndLeavesATaskPending")).assertThatEvents().haveExactly(1,
                event(test("failsAndLeavesATaskPending"), finishedWithFailure(instanceOf(AssertionError.class),
                        message("the test's own failure"),
                        new Condition<>(t -> t.getSuppressed().length == 0, "nothing suppressed"))));
    }

    @Test
    void aBadTimeoutIsReportedWithTheMethod() {
        run(selectMethod(Failing.class, "hasABadTimeout")).assertThatEvents().haveExactly(1,
                event(test("hasABadTimeout"), finishedWithFailure(instanceOf(IllegalArgumentException.class),
                        message(m -> m.startsWith("@AioTest(timeout) of ") && m.contains("hasABadTimeout()")
                                && m.endsWith("must be a finite number of seconds > 0, got -1.0")))));
    }

    @Test
    void twoSeedsAreReportedWithTheMethod() {
        run(selectMethod(Failing.class, "hasTwoSeeds")).assertThatEvents().haveExactly(1,
                event(test("hasTwoSeeds"), finishedWithFailure(instanceOf(IllegalArgumentException.class),
                        message(m -> m.startsWith("@AioTest(scheduleSeed) of ")
                                && m.endsWith("hasTwoSeeds() must be one seed or none, got [1, 2]")))));
    }

    @Test
    void allowedBackgroundTasksAreCancelledAndTheClockAndScheduleCanBeChosen() {
        run(selectClass(Allowed.class)).assertStatistics(s -> s.started(3).succeeded(3));
        assertThat(events).containsExactlyInAnyOrder("background task cancelled", "virtual time: false",
                "schedule seed: OptionalLong[7]");
    }

    @Test
    void parameterizedAndNestedTestsRunInAFreshLoopEachWithTheOuterBeforeEachInItAlsoInParallel() {
        for (boolean parallel : new boolean[] {false, true}) {
            DiscoverySelector all = selectClass(NestedAndParameterized.class);
            (parallel ? runInParallel(all) : run(all)).assertStatistics(s -> s.started(3).succeeded(3));
            assertThat(events).as("parallel: %s", parallel).containsExactlyInAnyOrder(
                    "outer @BeforeEach on the test loop: true", "parameter 1 at 1.0",
                    "outer @BeforeEach on the test loop: true", "parameter 2 at 2.0",
                    "outer @BeforeEach on the test loop: true", "nested at 3.0");
        }
    }

    @Test
    void registeredOnAClassItRunsPlainAndRepeatedTestsInAFreshLoopEach() {
        run(selectClass(ClassLevel.class)).assertStatistics(s -> s.started(3).succeeded(3));
        assertThat(events).containsExactlyInAnyOrder(
                "plain @Test in a loop at 0.0", "repetition at 1.0", "repetition at 1.0");
    }

    @Test
    void optionsOfAClassApplyToItsTemplateInvocationsItsAioTestsAndItsNestedClassesUnlessNearerOnesReplaceThem() {
        run(selectClass(OptionsOfAClass.class)).assertStatistics(s -> s.started(9).succeeded(9));
        assertThat(events).containsExactlyInAnyOrder(
                "repeated: virtual false, seed OptionalLong[3], debug true",
                "repeated: virtual false, seed OptionalLong[3], debug true",
                "parameterized: virtual false, seed OptionalLong[3], debug true",
                "@AioTest: virtual false, seed OptionalLong[3], debug true",
                // options are not merged: the nearest annotation that sets any gives them all
                "@AioTest(scheduleSeed = 9): virtual true, seed OptionalLong[9], debug true",
                "@AioTest @AioTestOptions(debug = false): virtual true, seed OptionalLong.empty, debug false",
                "repeated @AioTestOptions(debug = false): virtual true, seed OptionalLong.empty, debug false",
                "nested: virtual false, seed OptionalLong[3], debug true",
                "nested twice, own options: virtual true, seed OptionalLong[5], debug true");
    }

    @Test
    void optionsOfASuperclassApply() {
        run(selectClass(InheritsOptions.class)).assertStatistics(s -> s.started(1).succeeded(1));
        assertThat(events).containsExactly("inherited: virtual true, seed OptionalLong[11], debug true");
    }

    @Test
    void optionsInAComposedAnnotationApply() {
        run(selectClass(ComposedOptions.class)).assertStatistics(s -> s.started(1).succeeded(1));
        assertThat(events).containsExactly("composed: virtual false, seed OptionalLong.empty, debug true");
    }

    @Test
    void aTimeoutOfAClassAppliesToAParameterizedTest() {
        run(selectClass(TimeoutOfAClass.class)).assertThatEvents().haveExactly(1, event(test("hangs"),
                finishedWithFailure(instanceOf(AssertionError.class),
                        message(m -> m.contains("Test method 'hangs' timed out: not done after 0.3 s")))));
    }

    @Test
    void badOptionsOfATemplateMethodAreReportedWithTheAnnotationAndTheMethod() {
        run(selectMethod(BadOptions.class, "hasABadTimeout")).assertThatEvents().haveExactly(1,
                event(test("hasABadTimeout"), finishedWithFailure(instanceOf(IllegalArgumentException.class),
                        message("@AioTestOptions(timeout) of void org.aio4j.test.AioExtensionTest$BadOptions"
                                + ".hasABadTimeout() must be a finite number of seconds > 0, got -1.0"))));
    }

    @Test
    void optionsSetBothInAioTestAndInAioTestOptionsOfAMethodAreRefused() {
        run(selectMethod(BadOptions.class, "setsOptionsTwice")).assertThatEvents().haveExactly(1,
                event(test("setsOptionsTwice"), finishedWithFailure(instanceOf(IllegalArgumentException.class),
                        message("@AioTest and @AioTestOptions of void org.aio4j.test.AioExtensionTest$BadOptions"
                                + ".setsOptionsTwice() both set options: set them in one place, either @AioTest's"
                                + " attributes or @AioTestOptions"))));
    }

    @Test
    void anAioTestThatIsAlsoARepeatedTestFailsEachTimeJUnitRunsIt() {
        Events results = run(selectMethod(BadOptions.class, "isAnAioTestAndARepeatedTest"));
        results.assertStatistics(s -> s.started(2).failed(2)); // once as a @Test, once as the repetition
        results.assertThatEvents().haveExactly(2, event(test("isAnAioTestAndARepeatedTest"),
                finishedWithFailure(instanceOf(IllegalArgumentException.class), message(m -> m.startsWith(
                        "@AioTest of void org.aio4j.test.AioExtensionTest$BadOptions.isAnAioTestAndARepeatedTest()"
                        + " cannot be combined with @RepeatedTest")
                        && m.endsWith("Use @ExtendWith(AioExtension.class) instead of @AioTest, and @AioTestOptions"
                                + " for the options")))));
    }

    @Test
    void badOptionsOfAClassFailEachOfItsTestsNamingTheClassAndTheTest() {
        Events results = run(selectClass(BadOptionsOfAClass.class));
        results.assertStatistics(s -> s.started(2).failed(2));
        String outer = "org.aio4j.test.AioExtensionTest$BadOptionsOfAClass";
        results.assertThatEvents().haveExactly(1, event(test("outer"), finishedWithFailure(
                instanceOf(IllegalArgumentException.class),
                message("@AioTestOptions(scheduleSeed) of class " + outer + " (for void " + outer + ".outer()) must"
                        + " be one seed or none, got [1, 2]"))));
        results.assertThatEvents().haveExactly(1, event(test("inner"), finishedWithFailure(
                instanceOf(IllegalArgumentException.class),
                message("@AioTestOptions(scheduleSeed) of class " + outer + " (for void " + outer + "$Inner.inner())"
                        + " must be one seed or none, got [1, 2]"))));
    }

    @Test
    void junitDropsStaticPrivateAndValueReturningTestMethodsBeforeAnyExtensionSeesThemWithOnlyAWarning() {
        var discovered = EngineTestKit.engine("junit-jupiter").configurationParameter(SAMPLES, "true")
                .selectors(selectClass(Misused.class)).discover();
        String misused = "org.aio4j.test.AioExtensionTest$Misused";
        assertThat(discovered.getDiscoveryIssues()).allMatch(i -> i.severity() == DiscoveryIssue.Severity.WARNING)
                .extracting(DiscoveryIssue::message).containsExactlyInAnyOrder(
                "@Test method 'static void " + misused + ".isStatic()' must not be static. It will not be executed.",
                "@Test method 'private void " + misused + ".isPrivate()' must not be private. It will not be"
                        + " executed.",
                "@Test method 'int " + misused + ".returnsAValue()' must not return a value. It will not be executed.",
                "@TestTemplate method 'static void " + misused + ".isAStaticRepeatedTest()' must not be static. It"
                        + " will not be executed.");
        run(selectClass(Misused.class)).assertStatistics(s -> s.started(0));
    }

    @Test
    void withWarningsCriticalJUnitFailsTheRunNamingEachDroppedTestMethod() {
        EngineTestKit.engine("junit-jupiter").configurationParameter(SAMPLES, "true")
                .configurationParameter("junit.platform.discovery.issue.severity.critical", "warning")
                .selectors(selectClass(Misused.class)).execute().allEvents().assertThatEvents()
                .haveExactly(1, event(engine(), finishedWithFailure(
                        message(m -> m.startsWith("TestEngine with ID 'junit-jupiter' encountered 4 critical issues")
                                && m.contains("isStatic()' must not be static")
                                && m.contains("isPrivate()' must not be private")
                                && m.contains("returnsAValue()' must not return a value")
                                && m.contains("isAStaticRepeatedTest()' must not be static")))))
                .noneMatch(e -> e.getType() == EventType.STARTED && e.getTestDescriptor().isTest());
    }
}
