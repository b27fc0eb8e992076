package org.aio4j.test;

import java.lang.reflect.UndeclaredThrowableException;
import java.util.List;
import java.util.Objects;
import org.aio4j.Aio;
import org.aio4j.Coroutine;
import org.aio4j.VoidCoroutine;

/**
 * Runs a test body on a fresh event loop with a virtual clock and checks that it ended cleanly: the counterpart of
 * kotlinx-coroutines-test's {@code runTest} (with its {@code TestScope}), of Trio's test runner with its autojump
 * clock ({@code trio.testing.MockClock(autojump_threshold=0)}), and of pytest-asyncio's {@code @pytest.mark.asyncio}.
 *
 * <pre>{@code
 * @Test
 * void retriesAfterFiveSeconds() throws Exception {
 *     AioTesting.runTest(() -> {
 *         Task<String> fetch = Aio.createTask(() -> client.fetchWithRetry());
 *         Aio.sleep(5);                                   // no real time passes
 *         assertThat(fetch.await()).isEqualTo("ok");
 *         assertThat(Aio.getRunningLoop().time()).isEqualTo(5.0);
 *     });
 * }
 * }</pre>
 *
 * <h2>What runTest guarantees</h2>
 * <ul>
 * <li><b>Virtual time.</b> The body runs as the main task of a new loop built with
 *     {@link org.aio4j.EventLoop.Builder#virtualTime()}: whenever no task is ready and no offloaded call is in flight,
 *     the clock jumps to the next timer, so {@code Aio.sleep(3600)} returns at once with {@code loop.time()} one hour
 *     later. A timer more than about 292 years away (say {@code Aio.sleep(Duration.ofSeconds(Long.MAX_VALUE))}) is due
 *     at the latest loop time there is: the clock jumps there like to any other timer and goes no further (see
 *     {@link org.aio4j.EventLoop}). Offloaded work ({@code Aio.toThread}, executors) runs in real time; the clock waits
 *     for it (so a deadline around a blocking call, {@code Aio.waitFor(() -> Aio.toThread(call), 1)}, cannot expire
 *     before the call returns: to test that timeout, run on the real clock, or stand in for the call with one that
 *     awaits, such as an {@link org.aio4j.Event} the test never sets), but for calls that only wait for the loop: a call blocked in {@code Future.get()} on a pending future of
 *     the loop, and one queued on a fixed pool all of whose threads run such calls. A call queued on an executor the
 *     loop cannot look into ({@code Executors.newSingleThreadExecutor()}, a {@code ScheduledThreadPoolExecutor}, ...)
 *     holds the clock until it starts: behind calls blocked on futures that only timers settle, it hangs the test until
 *     its timeout (see {@link org.aio4j.EventLoop#runInExecutor}). Read the clock with
 *     {@code Aio.getRunningLoop().time()} (it starts at 0). To step through time (kotlinx's {@code runCurrent} /
 *     {@code advanceTimeBy}): {@link org.aio4j.Aio#waitAllTasksBlocked()} lets every other task run as far as it can
 *     without the clock moving, and {@code Aio.sleep(d)} then moves it by {@code d}, firing the timers on the way in
 *     order. {@link TestOptions#withVirtualTime withVirtualTime(false)} runs on the real clock instead. The loop runs
 *     in debug mode, so dumps and error reports show where each task was created.</li>
 * <li><b>A timeout in real time</b> (default 60 s, {@link TestOptions#withTimeout}). A body that is not done by then
 *     (a busy loop, a blocking call, offloaded work that never ends, or a virtual clock that never stops running) is
 *     cancelled and the test fails with an {@link AssertionError} whose message holds the loop's
 *     {@link org.aio4j.EventLoop#dumpTasks() task dump} taken at that moment: each task, what it waits on and the
 *     line where it waits. If the body is still not done after the {@linkplain TestOptions#cancellationGrace() grace
 *     period}, the test fails all the same and the message says why: either the loop ran the cancellation and a task
 *     went on (it catches its cancellation, or awaits something that ignores it), and the loop is stopped and
 *     closed; or a task blocks the loop so that the cancellation could not even run, and the thread holding the loop
 *     is interrupted and the loop abandoned to its own daemon thread (a task that ignores interrupts keeps it).</li>
 * <li><b>Deadlocks</b> fail at once, with the loop's wait-for graph as the message (the
 *     {@link org.aio4j.DeadlockException} is the cause).</li>
 * <li><b>Tasks still pending</b> when the body returns fail the test, with the task dump; then they are cancelled.
 *     {@link TestOptions#withAllowPendingTasks} lets background tasks be, and only cancels them. Offloaded calls
 *     still in flight are then waited for (within the timeout), so that their errors are seen and no thread outlives
 *     the test: all of them ({@code Aio.toThread}, any executor, wrapped stages), on either clock; but a call blocked
 *     in {@code Future.get()} on a future of the loop, which the close releases and reports, and a call queued on a
 *     fixed pool behind such calls only, which the close drops and reports.</li>
 * <li><b>Errors nobody received</b> fail the test after the body returned: the exception of a task nobody awaited
 *     (reported when the loop closes), an exception thrown by a callback, anything that reached the loop's exception
 *     handler. The first is the cause of the {@link AssertionError}, the others are suppressed. A handler that the
 *     test installs ({@code loop.setExceptionHandler}) hears instead what is reported while it is installed; the
 *     test's own is put back when the body returns, so that what the cleanup and the close find still fails it.</li>
 * </ul>
 * If the body itself throws, that exception is rethrown as it is (an assertion failing inside an awaited task
 * propagates through {@code await}), with the errors that reached the exception handler added as suppressed (an
 * exception built with suppression disabled, which would drop them, is thrown as the cause of an
 * {@link AssertionError} that carries them); tasks still pending are then cancelled without being reported.
 *
 * <h2>Threads</h2>
 * The body runs on a task's virtual thread, as any task. The loop is driven by a daemon thread of its own while the
 * calling thread waits for it; that is what lets the timeout fail a test whose loop is blocked. runTest is
 * thread-safe: concurrent calls (parallel test execution) use separate loops.
 *
 * @see AioTest the same as a JUnit Jupiter annotation
 */
public final class AioTesting {

    private AioTesting() {
    }

    /**
     * Runs {@code body} on a new virtual-time loop with the {@linkplain TestOptions#defaults() default options} and
     * returns its result. See the class comment for the checks.
     *
     * @param <T>  the type of the body's result
     * @param body the test's code, run as the loop's main task
     * @return the body's result
     * @throws AssertionError        if the body timed out or deadlocked, left tasks pending, or an error reached the
     *                               loop's exception handler
     * @throws IllegalStateException if called from a running event loop (it would block that loop)
     * @throws InterruptedException  if the calling thread is interrupted while the body runs: the body is cancelled
     *                               and given the grace period to unwind, then dealt with as after a timeout;
     *                               the end-of-test cleanup and close then run as for any test, and the thread is
     *                               left interrupted
     * @throws Exception             the body's exception
     */
    public static <T> T runTest(Coroutine<T> body) throws Exception {
        return runTest(TestOptions.defaults(), body);
    }

    /**
     * As {@link #runTest(Coroutine)}, for a body without a result.
     *
     * @param body the test's code, run as the loop's main task
     * @throws AssertionError        if the body timed out or deadlocked, left tasks pending, or an error reached the
     *                               loop's exception handler
     * @throws IllegalStateException if called from a running event loop (it would block that loop)
     * @throws InterruptedException  if the calling thread is interrupted while the body runs
     * @throws Exception             the body's exception
     */
    public static void runTest(VoidCoroutine body) throws Exception {
        runTest(TestOptions.defaults(), Objects.requireNonNull(body, "test body must not be null").asCoroutine());
    }

    /**
     * As {@link #runTest(TestOptions, Coroutine)}, for a body without a result.
     *
     * @param options the timeout, clock and checks of the run
     * @param body    the test's code, run as the loop's main task
     * @throws AssertionError        if the body timed out or deadlocked, left tasks pending, or an error reached the
     *                               loop's exception handler
     * @throws IllegalStateException if called from a running event loop (it would block that loop)
     * @throws InterruptedException  if the calling thread is interrupted while the body runs
     * @throws Exception             the body's exception
     */
    public static void runTest(TestOptions options, VoidCoroutine body) throws Exception {
        runTest(options, Objects.requireNonNull(body, "test body must not be null").asCoroutine());
    }

    /**
     * As {@link #runTest(Coroutine)}, with {@code options}: the timeout, the clock, whether background tasks may
     * be left pending.
     *
     * @param <T>     the type of the body's result
     * @param options the timeout, clock and checks of the run
     * @param body    the test's code, run as the loop's main task
     * @return the body's result
     * @throws AssertionError        if the body timed out or deadlocked, left tasks pending, or an error reached the
     *                               loop's exception handler
     * @throws IllegalStateException if called from a running event loop (it would block that loop)
     * @throws InterruptedException  if the calling thread is interrupted while the body runs
     * @throws Exception             the body's exception
     */
    public static <T> T runTest(TestOptions options, Coroutine<T> body) throws Exception {
        Objects.requireNonNull(options, "options must not be null");
        Objects.requireNonNull(body, "test body must not be null");
        if (insideARunningLoop()) {
            throw new IllegalStateException("AioTesting.runTest cannot be called from a running event loop: it"
                    + " blocks the calling thread until the test ends; call it from the test method itself");
        }
        var session = new TestSession(options);
        T result = null;
        Throwable failure = null;
        try {
            String name = callerName();
            result = session.run(name, "Test body '" + name + "'", body);
        } catch (Throwable e) {
            failure = e;
        }
        List<Throwable> found = session.finish(failure == null);
        if (failure == null && found.isEmpty()) {
            return result;
        }
        throw asException(session.noteSeed(combine(failure, found)));
    }

    /**
     * {@code primary}, or else the first of {@code found}, with the others added as suppressed. If that one records no
     * suppressed exceptions (built with suppression disabled), which would drop them, it becomes the cause of an
     * {@link AssertionError} that carries them instead.
     */
    static Throwable combine(Throwable primary, List<Throwable> found) {
        Throwable first = primary != null ? primary : found.getFirst();
        for (Throwable t : found) {
            if (t == first) {
                continue;
            }
            int before = first.getSuppressed().length;
            first.addSuppressed(t);
            if (first.getSuppressed().length == before) {
                var carrier = new AssertionError("The test failed with " + first + ", which records no suppressed"
                        + " exceptions; what else was found is suppressed here", first);
                for (Throwable other : found) {
                    if (other != first) {
                        carrier.addSuppressed(other);
                    }
                }
                return carrier;
            }
        }
        return first;
    }

    /** Throws {@code t} if it is an Error; otherwise returns it as an Exception, for a {@code throws Exception}. */
    static Exception asException(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return t instanceof Exception e ? e : new UndeclaredThrowableException(t);
    }

    private static boolean insideARunningLoop() {
        try {
            Aio.getRunningLoop();
            return true;
        } catch (IllegalStateException noRunningLoop) {
            return false;
        }
    }

    /**
     * The name of the method that called runTest (for a lambda, of the method that holds it): the main task's name
     * in dumps and messages.
     */
    private static String callerName() {
        String method = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .filter(f -> f.getDeclaringClass() != AioTesting.class)
                .findFirst()
                .map(StackWalker.StackFrame::getMethodName)
                .orElse("runTest"));
        // javac names a lambda's body lambda$<enclosing method>$<n>.
        if (method.startsWith("lambda$") && method.lastIndexOf('$') > "lambda$".length()) {
            return method.substring("lambda$".length(), method.lastIndexOf('$'));
        }
        return method;
    }
}
