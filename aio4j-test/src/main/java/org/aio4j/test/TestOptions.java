package org.aio4j.test;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * How {@link AioTesting#runTest(TestOptions, org.aio4j.Coroutine) runTest} runs a test body: the real-time timeout,
 * the clock, and which end-of-test checks apply. The counterpart of the {@code timeout} and {@code context}
 * parameters of kotlinx-coroutines-test's {@code runTest}, and of pytest-asyncio's {@code loop_scope}/marker options.
 *
 * <p>Immutable and thread-safe: each {@code with...} method returns a new instance.
 *
 * <pre>{@code
 * AioTesting.runTest(TestOptions.defaults().withTimeout(Duration.ofSeconds(5)).withAllowPendingTasks(true), () -> {
 *     Aio.createTask(() -> heartbeat());   // a background task, cancelled when the body returns
 *     ...
 * });
 * }</pre>
 *
 * <table>
 * <caption>Options and defaults</caption>
 * <tr><th>option</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@link #timeout()}</td><td>60 s, or {@code -Daio4j.test.timeout=SECONDS}</td>
 *     <td>real time the body (and each lifecycle method, the cleanup, and the loop's close, which is given at
 *     least 10 s) may take before it is cancelled (the close: its thread interrupted) and the test fails with a task
 *     dump</td></tr>
 * <tr><td>{@link #cancellationGrace()}</td><td>the timeout, at most 5 s</td>
 *     <td>real time a timed-out body is given to unwind after its cancellation; if it is not done by then, the loop
 *     is abandoned (stopped and closed if a task ignores the cancellation, left to its thread if a task blocks
 *     it)</td></tr>
 * <tr><td>{@link #virtualTime()}</td><td>true</td>
 *     <td>the loop's clock is virtual: {@code Aio.sleep(3600)} takes no real time</td></tr>
 * <tr><td>{@link #allowPendingTasks()}</td><td>false</td>
 *     <td>tasks still pending when the body returns are cancelled silently instead of failing the test</td></tr>
 * <tr><td>{@link #debug()}</td><td>true</td>
 *     <td>the loop's debug mode: task dumps and error reports show where each task was created (as
 *     {@code unittest.IsolatedAsyncioTestCase} runs its loop in debug mode)</td></tr>
 * <tr><td>{@link #deadlockDetection()}</td><td>true</td>
 *     <td>a body that can never finish fails at once with the wait-for graph</td></tr>
 * <tr><td>{@link #scheduleSeed()}</td><td>none (FIFO, as asyncio)</td>
 *     <td>ready tasks run in an order shuffled with this seed, to look for order-dependent bugs</td></tr>
 * </table>
 */
public final class TestOptions {

    /** The system property that overrides the default timeout, in seconds (e.g. for a slow CI machine). */
    public static final String TIMEOUT_PROPERTY = "aio4j.test.timeout";

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration MAX_DEFAULT_GRACE = Duration.ofSeconds(5);

    private final Duration timeout;
    private final Duration cancellationGrace; // null: derived from the timeout
    private final boolean virtualTime;
    private final boolean allowPendingTasks;
    private final boolean debug;
    private final boolean deadlockDetection;
    private final OptionalLong scheduleSeed;

    private TestOptions(Duration timeout, Duration cancellationGrace, boolean virtualTime, boolean allowPendingTasks,
                        boolean debug, boolean deadlockDetection, OptionalLong scheduleSeed) {
        this.timeout = timeout;
        this.cancellationGrace = cancellationGrace;
        this.virtualTime = virtualTime;
        this.allowPendingTasks = allowPendingTasks;
        this.debug = debug;
        this.deadlockDetection = deadlockDetection;
        this.scheduleSeed = scheduleSeed;
    }

    /**
     * The defaults (see the table above). The timeout is read from the system property {@value #TIMEOUT_PROPERTY}
     * when it is set.
     *
     * @return the default options
     * @throws IllegalArgumentException if that property is not a number of seconds &gt; 0
     */
    public static TestOptions defaults() {
        return new TestOptions(defaultTimeout(), null, true, false, true, true, OptionalLong.empty());
    }

    private static Duration defaultTimeout() {
        String value = System.getProperty(TIMEOUT_PROPERTY);
        if (value == null || value.isBlank()) {
            return DEFAULT_TIMEOUT;
        }
        double seconds;
        try {
            seconds = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "System property " + TIMEOUT_PROPERTY + " must be a number of seconds > 0, got '" + value + "'");
        }
        return checkedTimeout(seconds, "System property " + TIMEOUT_PROPERTY);
    }

    /**
     * A timeout of {@code seconds}, as the {@link AioTest#timeout()} attribute gives it. Under a nanosecond is refused:
     * it would round to a timeout of zero, which fails every test at once.
     */
    static Duration checkedTimeout(double seconds, String what) {
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException(what + " must be a finite number of seconds > 0, got " + seconds);
        }
        long nanos = (long) Math.min(seconds * 1e9, Long.MAX_VALUE);
        if (nanos == 0) {
            throw new IllegalArgumentException(what + " must be at least a nanosecond (1e-9 s), got " + seconds);
        }
        return Duration.ofNanos(nanos);
    }

    /**
     * These options with another real-time timeout for the body.
     *
     * @param timeout the real time the body may take
     * @return new options; these are unchanged
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     * @throws NullPointerException if {@code timeout} is null
     */
    public TestOptions withTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be > 0, got " + timeout);
        }
        return new TestOptions(timeout, cancellationGrace, virtualTime, allowPendingTasks, debug, deadlockDetection,
                scheduleSeed);
    }

    /**
     * These options with another grace period: how long a timed-out body, once cancelled, may take to unwind before
     * the loop is abandoned.
     *
     * @param grace the real time a cancelled body may take to unwind
     * @return new options; these are unchanged
     * @throws IllegalArgumentException if {@code grace} is negative
     * @throws NullPointerException if {@code grace} is null
     */
    public TestOptions withCancellationGrace(Duration grace) {
        Objects.requireNonNull(grace, "cancellation grace must not be null");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("cancellation grace must be >= 0, got " + grace);
        }
        return new TestOptions(timeout, grace, virtualTime, allowPendingTasks, debug, deadlockDetection,
                scheduleSeed);
    }

    /**
     * These options with a virtual clock ({@code true}, the default) or the real one ({@code false}).
     *
     * @param on whether the clock is virtual
     * @return new options; these are unchanged
     */
    public TestOptions withVirtualTime(boolean on) {
        return new TestOptions(timeout, cancellationGrace, on, allowPendingTasks, debug, deadlockDetection,
                scheduleSeed);
    }

    /**
     * These options with tasks left pending by the body allowed (cancelled at the end) or failing the test.
     *
     * @param allow whether pending tasks are allowed
     * @return new options; these are unchanged
     */
    public TestOptions withAllowPendingTasks(boolean allow) {
        return new TestOptions(timeout, cancellationGrace, virtualTime, allow, debug, deadlockDetection,
                scheduleSeed);
    }

    /**
     * These options with the loop's debug mode on (the default) or off (e.g. for a test of a million tasks).
     *
     * @param on whether the loop runs in debug mode
     * @return new options; these are unchanged
     */
    public TestOptions withDebug(boolean on) {
        return new TestOptions(timeout, cancellationGrace, virtualTime, allowPendingTasks, on, deadlockDetection,
                scheduleSeed);
    }

    /**
     * These options with deadlock detection on (the default) or off, e.g. for a body that waits for another thread
     * which posts with {@code callSoonThreadsafe} without announcing it with {@code loop.expectExternal()}.
     *
     * @param on whether the loop detects deadlocks
     * @return new options; these are unchanged
     */
    public TestOptions withDeadlockDetection(boolean on) {
        return new TestOptions(timeout, cancellationGrace, virtualTime, allowPendingTasks, debug, on, scheduleSeed);
    }

    /**
     * These options with schedule exploration: in every iteration the loop runs its ready tasks in an order shuffled
     * with {@code seed} ({@link org.aio4j.EventLoop.Builder#scheduleSeed(long)}), instead of FIFO. A failing test
     * names its seed (a suppressed note on its failure), and the same seed replays the same interleaving.
     *
     * @param seed the seed of the shuffle
     * @return new options; these are unchanged
     */
    public TestOptions withScheduleSeed(long seed) {
        return new TestOptions(timeout, cancellationGrace, virtualTime, allowPendingTasks, debug, deadlockDetection,
                OptionalLong.of(seed));
    }

    /**
     * The real time the body may take.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The real time a cancelled, timed-out body may take to unwind: as set, or the timeout capped at 5 s.
     *
     * @return the grace period
     */
    public Duration cancellationGrace() {
        if (cancellationGrace != null) {
            return cancellationGrace;
        }
        return timeout.compareTo(MAX_DEFAULT_GRACE) < 0 ? timeout : MAX_DEFAULT_GRACE;
    }

    /**
     * Whether the loop's clock is virtual.
     *
     * @return whether the clock is virtual
     */
    public boolean virtualTime() {
        return virtualTime;
    }

    /**
     * Whether tasks still pending when the body returns are allowed (and cancelled).
     *
     * @return whether pending tasks are allowed
     */
    public boolean allowPendingTasks() {
        return allowPendingTasks;
    }

    /**
     * Whether the loop runs in debug mode.
     *
     * @return whether debug mode is on
     */
    public boolean debug() {
        return debug;
    }

    /**
     * Whether the loop detects deadlocks.
     *
     * @return whether deadlock detection is on
     */
    public boolean deadlockDetection() {
        return deadlockDetection;
    }

    /**
     * The seed of schedule exploration, or empty for FIFO scheduling (the default).
     *
     * @return the seed, or empty
     */
    public OptionalLong scheduleSeed() {
        return scheduleSeed;
    }

    @Override
    public String toString() {
        return "TestOptions[timeout=" + timeout + ", cancellationGrace=" + cancellationGrace()
                + ", virtualTime=" + virtualTime + ", allowPendingTasks=" + allowPendingTasks + ", debug=" + debug
                + ", deadlockDetection=" + deadlockDetection
                + (scheduleSeed.isPresent() ? ", scheduleSeed=" + scheduleSeed.getAsLong() : "") + "]";
    }
}
