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
     */
    double timeout() default 0;

    /** Whether tasks still pending at the end of the test are allowed (and cancelled) instead of failing it. */
    boolean allowPendingTasks() default false;

    /** Whether the loop runs on the real clock instead of a virtual one. */
    boolean realTime() default false;

    /** Whether the loop runs in debug mode (task dumps show creation sites). */
    boolean debug() default true;

    /** Whether the loop detects deadlocks. */
    boolean deadlockDetection() default true;

    /**
     * The seed of schedule exploration ({@link TestOptions#withScheduleSeed(long)}), e.g.
     * {@code @AioTest(scheduleSeed = 42)}: ready tasks run in an order shuffled with it. Empty (the default): FIFO.
     * At most one value.
     */
    long[] scheduleSeed() default {};
}
