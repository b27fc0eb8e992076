package org.aio4j.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A JUnit Jupiter test whose method body runs as the main task of a new event loop on a virtual clock, with the checks of
 * {@link AioTesting#runTest(org.aio4j.Coroutine) runTest}: a real-time timeout that fails with the task dump,
 * deadlock reports, no task left pending, no error left unreceived. The counterpart of pytest-asyncio's
 * {@code @pytest.mark.asyncio}, of {@code unittest.IsolatedAsyncioTestCase} and of kotlinx's
 * {@code @Test fun t() = runTest { ... }}.
 *
 * <pre>{@code
 * class FetcherTest {
 *     @AioTest
 *     void retriesAfterFiveSeconds() throws Exception {
 *         Aio.sleep(5);                                   // no real time passes
 *         assertThat(Aio.getRunningLoop().time()).isEqualTo(5.0);
 *     }
 *
 *     @AioTest(timeout = 2, allowPendingTasks = true)
 *     void withABackgroundTask(EventLoop loop) throws Exception { ... }
 * }
 * }</pre>
 *
 * <p>Meta-annotated with {@link Test} and {@code @ExtendWith(AioExtension.class)}; see {@link AioExtension} for
 * which lifecycle methods run inside the loop. It may itself be used as a meta-annotation.
 *
 * <h2>Options</h2>
 * The attributes below set the test's {@link TestOptions}; an attribute left at its default sets nothing. If any is
 * set, they give all the options, and {@link AioTestOptions} on the same method is an error. If none is, the options
 * come from the nearest {@code @AioTestOptions} (on the method, its class, the enclosing classes of a {@code @Nested}
 * class), else from {@link TestOptions#defaults()}. {@code @AioTestOptions} also sets the options of
 * {@code @RepeatedTest} and {@code @ParameterizedTest} methods run with {@code @ExtendWith(AioExtension.class)}:
 * {@code @AioTest} is a {@code @Test} and cannot annotate them (a method with both fails). A value out of range fails
 * the test with an {@link IllegalArgumentException} naming the attribute and the method. The precise rules are those
 * of {@link AioTestOptions}.
 *
 * <h2>Methods JUnit does not run</h2>
 * JUnit Jupiter (5.13 and later; aio4j builds with 6.1) drops an {@code @AioTest} method that is {@code static},
 * {@code private} or returns a value, as it drops such a {@code @RepeatedTest} or {@code @ParameterizedTest} method,
 * while it discovers the tests, before any extension sees it: the method is not run, neither this extension nor any
 * other can fail it, and JUnit only reports a <em>discovery issue</em> of severity {@code WARNING}, which it logs,
 * e.g. {@code @Test method 'static void FooTest.bar()' must not be static. It will not be executed.} (naming
 * {@code @Test}, or {@code @TestTemplate}, not {@code @AioTest}); the build still passes. To make such a method fail
 * the run, set JUnit's configuration parameter {@code junit.platform.discovery.issue.severity.critical} to
 * {@code warning} (or {@code info}, as JUnit recommends), e.g. in {@code src/test/resources/junit-platform.properties}:
 * <pre>{@code
 * junit.platform.discovery.issue.severity.critical=warning
 * }</pre>
 * JUnit then runs none of the Jupiter tests and reports the {@code junit-jupiter} engine as failed, with a
 * {@code DiscoveryIssueException} that lists each such method.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Test
@ExtendWith(AioExtension.class)
public @interface AioTest {

    /**
     * The real time, in seconds, that the test method (and each of its {@code @BeforeEach} and {@code @AfterEach}
     * methods) may take before it is cancelled and fails with the task dump. 0 (the default) means the default of
     * {@link TestOptions#defaults()}: 60 s, or the system property {@value TestOptions#TIMEOUT_PROPERTY}.
     *
     * @return the limit in seconds, or 0 for the default
     */
    double timeout() default 0;

    /**
     * Whether tasks still pending at the end of the test are allowed (and cancelled) instead of failing it.
     *
     * @return whether pending tasks are allowed
     */
    boolean allowPendingTasks() default false;

    /**
     * Whether the loop runs on the real clock instead of a virtual one.
     *
     * @return whether the clock is real
     */
    boolean realTime() default false;

    /**
     * Whether the loop runs in debug mode (task dumps show creation sites).
     *
     * @return whether debug mode is on
     */
    boolean debug() default true;

    /**
     * Whether the loop detects deadlocks.
     *
     * @return whether deadlock detection is on
     */
    boolean deadlockDetection() default true;

    /**
     * The seed of schedule exploration ({@link TestOptions#withScheduleSeed(long)}), e.g.
     * {@code @AioTest(scheduleSeed = 42)}: ready tasks run in an order shuffled with it. Empty (the default): FIFO.
     * At most one value.
     *
     * @return the seed, or an empty array for FIFO
     */
    long[] scheduleSeed() default {};
}
