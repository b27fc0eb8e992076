package org.aio4j.test;

import java.lang.reflect.Method;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.aio4j.EventLoop;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit Jupiter extension behind {@link AioTest}: runs each test method as the main task of its own event loop, with
 * the guarantees of {@link AioTesting#runTest(org.aio4j.Coroutine) runTest}. The counterpart of pytest-asyncio's
 * plugin and of {@code unittest.IsolatedAsyncioTestCase}.
 *
 * <h2>What runs inside the loop</h2>
 * For each test (each invocation of a {@code @RepeatedTest} or {@code @ParameterizedTest} when the extension is
 * registered with {@code @ExtendWith(AioExtension.class)} on the method or its class, the class of a {@code @Nested}
 * class included; {@link AioTest} is itself a {@code @Test} and cannot be combined with them: such a method fails
 * with an {@link IllegalArgumentException}), one loop is created before the {@code @BeforeEach} methods (those of
 * enclosing classes too) and closed after the {@code @AfterEach} methods. In between, like
 * {@code IsolatedAsyncioTestCase}'s {@code asyncSetUp}, test and {@code asyncTearDown}:
 * <ul>
 * <li>each {@code @BeforeEach} method, the test method, and each {@code @AfterEach} method runs as the main task of
 *     that loop, one after the other, each under the timeout; tasks created by one are still running in the next
 *     (a server started in {@code @BeforeEach} can serve the test and be stopped in {@code @AfterEach});</li>
 * <li>after the {@code @AfterEach} methods, the test fails if tasks are still pending (unless the test failed
 *     already, or {@link AioTest#allowPendingTasks()}); what is left is cancelled, the loop is closed, and errors that
 *     reached its exception handler fail the test.</li>
 * </ul>
 * Each of those methods is a task of its own, so each runs on a thread of its own (the task's virtual thread), not
 * on JUnit's thread nor on the thread of the method before it: state bound to a thread that one sets (a
 * {@code ThreadLocal}, SLF4J's {@code MDC}, Mockito's {@code mockStatic}, which must also be closed on the thread
 * that opened it) is not seen by the next. {@link org.aio4j.ContextVar} values are: the methods of a test run in one
 * {@link org.aio4j.Context} (a copy of JUnit's thread's), so what {@code @BeforeEach} sets, the test and
 * {@code @AfterEach} see, as in {@code IsolatedAsyncioTestCase} since Python 3.11.
 * {@code @BeforeAll} and {@code @AfterAll} methods, constructors, {@code @TestFactory} methods and other extensions'
 * callbacks run on JUnit's thread, outside any loop; they can use {@code Aio.run} or {@link AioTesting#runTest}
 * themselves.
 *
 * <p>A parameter of type {@link EventLoop} of a test, {@code @BeforeEach} or {@code @AfterEach} method receives the
 * test's loop; one of a constructor, of a {@code @BeforeAll} or {@code @AfterAll} method of a class that registers
 * the extension, or of a {@code @TestFactory} method fails with a {@link ParameterResolutionException} saying that no
 * loop runs there. The options come
 * from the test method's {@link AioTest} if it sets any, else from the nearest {@link AioTestOptions} (on the method,
 * its class, the enclosing classes of a {@code @Nested} class), else from {@link TestOptions#defaults()}: see
 * {@link AioTestOptions} for the precise rules and the errors. If a run times out and its loop had to be abandoned (a
 * task blocks it or ignores its cancellation), the remaining methods of that test are not run in it: they fail with an
 * {@link IllegalStateException} saying so.
 *
 * <p>A test method that is {@code static}, {@code private} or returns a value is dropped by JUnit while it discovers
 * tests, before any extension sees it: it is not run, and only a warning says so unless JUnit is configured to fail
 * on it (see {@link AioTest}).
 *
 * <p>Registered more than once for a test (an {@code @RegisterExtension} field besides {@code @AioTest} or
 * {@code @ExtendWith(AioExtension.class)}, which JUnit keeps as two instances), it still runs the test once, in one
 * loop: the instance whose {@code beforeEach} runs first does, and the other leaves the test alone.
 *
 * <p>Thread-safe: tests running in parallel have separate loops.
 */
public final class AioExtension implements BeforeEachCallback, AfterEachCallback, InvocationInterceptor,
        ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(AioExtension.class);

    /** Creates the extension; JUnit does, for {@code @ExtendWith(AioExtension.class)}. */
    public AioExtension() {
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        if (store.get(AioExtension.class, AioExtension.class) != null) {
            return; // registered twice for this test (see owns): the first instance runs it
        }
        store.put(AioExtension.class, this);
        store.put(TestSession.class, new TestSession(optionsFor(context)));
    }

    @Override
    public void interceptBeforeEachMethod(Invocation<Void> invocation,
                                          ReflectiveInvocationContext<Method> invocationContext,
                                          ExtensionContext extensionContext) throws Throwable {
        runInLoop(invocation, extensionContext, "@BeforeEach ", invocationContext.getExecutable());
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                    ExtensionContext extensionContext) throws Throwable {
        runInLoop(invocation, extensionContext, "", invocationContext.getExecutable());
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation,
                                            ReflectiveInvocationContext<Method> invocationContext,
                                            ExtensionContext extensionContext) throws Throwable {
        runInLoop(invocation, extensionContext, "", invocationContext.getExecutable());
    }

    @Override
    public void interceptAfterEachMethod(Invocation<Void> invocation,
                                         ReflectiveInvocationContext<Method> invocationContext,
                                         ExtensionContext extensionContext) throws Throwable {
        runInLoop(invocation, extensionContext, "@AfterEach ", invocationContext.getExecutable());
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (!owns(context)) {
            return;
        }
        TestSession session = context.getStore(NAMESPACE).remove(TestSession.class, TestSession.class);
        if (session == null) {
            return;
        }
        List<Throwable> found = session.finish(context.getExecutionException().isEmpty());
        if (!found.isEmpty()) {
            throw AioTesting.asException(session.noteSeed(AioTesting.combine(null, found)));
        }
    }

    /**
     * Supports every {@link EventLoop} parameter, so that one outside a test's loop (of a {@code @BeforeAll} method, as
     * for pytest-asyncio's class-scoped loop, or of a constructor) is refused by {@link #resolveParameter} saying why,
     * rather than by JUnit's "No ParameterResolver registered".
     */
    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == EventLoop.class && owns(extensionContext);
    }

    /**
     * The test's loop.
     *
     * @throws ParameterResolutionException for a parameter outside a test's {@code @BeforeEach}, test and
     *                                      {@code @AfterEach} methods, which no loop runs (a {@code @TestFactory}
     *                                      method's too)
     */
    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        if (AnnotationSupport.isAnnotated(parameterContext.getDeclaringExecutable(), TestFactory.class)) {
            throw new ParameterResolutionException("No event loop for the EventLoop parameter of "
                    + parameterContext.getDeclaringExecutable() + ": a @TestFactory method and its dynamic tests run on"
                    + " JUnit's thread, outside the test's loop, which would never run; call AioTesting.runTest in"
                    + " each dynamic test, which runs it in a loop of its own");
        }
        TestSession session = session(extensionContext);
        if (session == null) {
            throw new ParameterResolutionException("No event loop for the EventLoop parameter of "
                    + parameterContext.getDeclaringExecutable() + ": AioExtension gives the test's loop to @BeforeEach,"
                    + " test and @AfterEach methods only, each test running in a loop of its own (pytest-asyncio's"
                    + " loop_scope=\"class\" has no counterpart); a constructor or a @BeforeAll or @AfterAll method"
                    + " runs outside any loop (Aio.run or AioTesting.runTest there runs one of its own)");
        }
        return session.loop();
    }

    /**
     * Whether this instance runs the test of {@code context}: the one whose {@code beforeEach} ran first, or any
     * before that (outside a test, e.g. for a {@code @BeforeAll} method). JUnit keeps two instances when the extension
     * is registered twice for a test, one of them programmatically (an {@code @RegisterExtension} field besides
     * {@code @AioTest} or {@code @ExtendWith}): the other one then leaves the test alone, which would otherwise run
     * the test's run inside the loop's own task, and offer a second resolver for its {@code EventLoop} parameters.
     */
    private boolean owns(ExtensionContext context) {
        AioExtension owner = context.getStore(NAMESPACE).get(AioExtension.class, AioExtension.class);
        return owner == null || owner == this;
    }

    /** Runs the method as the main task of the test's loop, named after it ({@code kind} is e.g. "@BeforeEach "). */
    private void runInLoop(Invocation<Void> invocation, ExtensionContext context, String kind, Method method)
            throws Exception {
        if (!owns(context)) {
            proceed(invocation);
            return;
        }
        TestSession session = session(context);
        if (session == null) {
            throw new IllegalStateException("AioExtension has no event loop for " + context.getDisplayName()
                    + ": its beforeEach callback did not run; register it with @ExtendWith or use @AioTest");
        }
        String name = kind + method.getName();
        String description = (kind.isEmpty() ? "Test method" : kind + "method") + " '" + method.getName() + "'";
        try {
            session.run(name, description, () -> {
                proceed(invocation);
                return null;
            });
        } catch (Throwable e) {
            throw AioTesting.asException(session.noteSeed(e));
        }
    }

    private static void proceed(Invocation<Void> invocation) throws Exception {
        try {
            invocation.proceed();
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable other) {
            throw new UndeclaredThrowableException(other);
        }
    }

    private static TestSession session(ExtensionContext context) {
        return context.getStore(NAMESPACE).get(TestSession.class, TestSession.class);
    }

    /**
     * The options of the test {@code context} runs, as {@link AioTestOptions} says: those of the method's
     * {@link AioTest} if it sets any, else of the nearest {@link AioTestOptions} (method, class, enclosing classes),
     * else the defaults.
     */
    private static TestOptions optionsFor(ExtensionContext context) {
        Method method = context.getRequiredTestMethod();
        Optional<AioTest> test = AnnotationSupport.findAnnotation(method, AioTest.class);
        if (test.isPresent() && AnnotationSupport.isAnnotated(method, TestTemplate.class)) {
            throw new IllegalArgumentException("@AioTest of " + method + " cannot be combined with @RepeatedTest,"
                    + " @ParameterizedTest or another @TestTemplate: @AioTest is a @Test, so JUnit would run the method"
                    + " once as a test and once per invocation. Use @ExtendWith(AioExtension.class) instead of"
                    + " @AioTest, and @AioTestOptions for the options");
        }
        Optional<Attributes> ofTest = test.map(a -> Attributes.of(a, "of " + method)).filter(Attributes::setsAny);
        Optional<Attributes> ofMethod = AnnotationSupport.findAnnotation(method, AioTestOptions.class)
                .map(a -> Attributes.of(a, "of " + method));
        if (ofTest.isPresent() && ofMethod.isPresent()) {
            throw new IllegalArgumentException("@AioTest and @AioTestOptions of " + method + " both set options:"
                    + " set them in one place, either @AioTest's attributes or @AioTestOptions");
        }
        Optional<Attributes> found = ofTest.or(() -> ofMethod);
        // The class contexts above the test's: its class, then for a @Nested class its enclosing classes.
        for (ExtensionContext c = context; found.isEmpty() && c != null; c = c.getParent().orElse(null)) {
            if (c.getElement().orElse(null) instanceof Class<?> type) {
                found = AnnotationSupport.findAnnotation(type, AioTestOptions.class)
                        .map(a -> Attributes.of(a, "of " + type + " (for " + method + ")"));
            }
        }
        return found.map(Attributes::toOptions).orElseGet(TestOptions::defaults);
    }

    /**
     * The attributes of an {@link AioTest} or {@link AioTestOptions} annotation; {@code where} says where it was found
     * in error messages, e.g. {@code of void org.example.FooTest.bar()}.
     */
    private record Attributes(String annotation, String where, double timeout, boolean allowPendingTasks,
                              boolean realTime, boolean debug, boolean deadlockDetection, long[] scheduleSeed) {

        static Attributes of(AioTest a, String where) {
            return new Attributes("@AioTest", where, a.timeout(), a.allowPendingTasks(), a.realTime(), a.debug(),
                    a.deadlockDetection(), a.scheduleSeed());
        }

        static Attributes of(AioTestOptions a, String where) {
            return new Attributes("@AioTestOptions", where, a.timeout(), a.allowPendingTasks(), a.realTime(),
                    a.debug(), a.deadlockDetection(), a.scheduleSeed());
        }

        /** Whether any attribute differs from its default (the defaults are the same in both annotations). */
        boolean setsAny() {
            return timeout != 0 || allowPendingTasks || realTime || !debug || !deadlockDetection
                    || scheduleSeed.length != 0;
        }

        TestOptions toOptions() {
            TestOptions options = TestOptions.defaults();
            if (timeout != 0) {
                options = options.withTimeout(TestOptions.checkedTimeout(timeout,
                        annotation + "(timeout) " + where));
            }
            if (scheduleSeed.length > 1) {
                throw new IllegalArgumentException(annotation + "(scheduleSeed) " + where
                        + " must be one seed or none, got " + Arrays.toString(scheduleSeed));
            }
            if (scheduleSeed.length == 1) {
                options = options.withScheduleSeed(scheduleSeed[0]);
            }
            return options.withAllowPendingTasks(allowPendingTasks)
                    .withVirtualTime(!realTime)
                    .withDebug(debug)
                    .withDeadlockDetection(deadlockDetection);
        }
    }
}
