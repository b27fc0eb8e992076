package org.aio4j.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The {@link TestOptions} of the tests that {@link AioExtension} runs, set on a test method or on a test class: the
 * way to set them for the invocations of a {@code @RepeatedTest} or {@code @ParameterizedTest} (which {@link AioTest},
 * itself a {@code @Test}, cannot annotate), and for every test of a class at once. The counterpart of a
 * pytest-asyncio marker set on a class or module ({@code pytestmark = pytest.mark.asyncio(...)}, which applies to each
 * test in it) and of the {@code timeout} argument of kotlinx-coroutines-test's {@code runTest(timeout = 5.seconds)}.
 * (pytest-asyncio's {@code loop_scope} has no counterpart: every test gets a loop of its own.)
 *
 * <pre>{@code
 * @ExtendWith(AioExtension.class)
 * @AioTestOptions(timeout = 5, allowPendingTasks = true)     // every test of the class, nested classes included
 * class ServerTest {
 *     @RepeatedTest(10)
 *     @AioTestOptions(scheduleSeed = 42)                     // replaces the class's options for this method
 *     void survivesReordering() throws Exception { ... }
 *
 *     @ParameterizedTest
 *     @ValueSource(ints = {1, 2, 3})
 *     void servesRequests(int n) throws Exception { ... }     // the class's options
 *
 *     @AioTest                                              // sets no option: the class's options
 *     void shutsDown() throws Exception { ... }
 * }
 * }</pre>
 *
 * <h2>Which options a test runs with</h2>
 * For each test it runs, {@link AioExtension} takes the options of the first of these that has them, as a whole:
 * <ol>
 * <li>the test method's {@link AioTest} annotation, if it sets any attribute to a value other than its default;</li>
 * <li>the test method's {@code @AioTestOptions};</li>
 * <li>the test class's {@code @AioTestOptions} (declared on it or, since it is {@link Inherited @Inherited}, on a
 *     superclass);</li>
 * <li>for a {@code @Nested} test class, the {@code @AioTestOptions} of its enclosing classes, innermost first;</li>
 * <li>{@link TestOptions#defaults()}.</li>
 * </ol>
 * The annotation found first gives every option: its attributes left at their defaults mean the default, not the
 * value of an annotation further out, and options are not merged from several annotations (as JUnit's
 * {@code @Timeout} on a method replaces the one on its class). So {@code @AioTestOptions(scheduleSeed = 42)} on a
 * method of the class above runs it with the default timeout of 60 s, not the class's 5 s; to keep the timeout,
 * repeat it. Likewise {@code @AioTest(debug = true)} sets nothing (that is the default), so a class's
 * {@code debug = false} still applies; set {@code @AioTestOptions} on the method to return to a default.
 *
 * <p>A method whose {@code @AioTest} sets an attribute and which has {@code @AioTestOptions} too fails with an
 * {@link IllegalArgumentException} naming both and the method: its options are set in one place or the other. A
 * value out of range (a timeout that is negative, not finite or under a nanosecond; more than one schedule seed)
 * fails each test it applies to with an {@code IllegalArgumentException} naming the annotation, where it was found
 * and the test method.
 *
 * <p>This annotation only sets options: it does not register the extension. A test runs in a loop only under
 * {@code @AioTest} or with {@code @ExtendWith(AioExtension.class)} on its method or class; its options are ignored
 * by tests that do not, and by {@link AioTesting#runTest(TestOptions, org.aio4j.Coroutine) runTest}, which takes its
 * options as an argument. To get both with one annotation, compose them:
 * {@code @ExtendWith(AioExtension.class) @AioTestOptions(realTime = true) @interface RealTimeAio {}}.
 */
@Target({ElementType.METHOD, ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
public @interface AioTestOptions {

    /**
     * The real-time limit in seconds, 0 for the default: as {@link AioTest#timeout()}.
     *
     * @return the limit in seconds, or 0
     */
    double timeout() default 0;

    /**
     * As {@link AioTest#allowPendingTasks()}.
     *
     * @return whether pending tasks are allowed
     */
    boolean allowPendingTasks() default false;

    /**
     * As {@link AioTest#realTime()}.
     *
     * @return whether the clock is real
     */
    boolean realTime() default false;

    /**
     * As {@link AioTest#debug()}.
     *
     * @return whether debug mode is on
     */
    boolean debug() default true;

    /**
     * As {@link AioTest#deadlockDetection()}.
     *
     * @return whether deadlock detection is on
     */
    boolean deadlockDetection() default true;

    /**
     * The seed of schedule exploration, at most one, none for FIFO: as {@link AioTest#scheduleSeed()}.
     *
     * @return the seed, or an empty array
     */
    long[] scheduleSeed() default {};
}
