package org.aio4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A single-threaded event loop that runs {@link Task tasks} and callbacks one at a time: asyncio's
 * {@code AbstractEventLoop}/{@code BaseEventLoop}.
 *
 * <h2>How it runs</h2>
 * The loop keeps a FIFO <em>ready queue</em> of callbacks ({@link #callSoon}) and task steps, a heap of timers
 * ({@link #callLater}, {@link #callAt}) and a thread-safe inbox ({@link #callSoonThreadsafe}). Each
 * <em>iteration</em> moves the inbox and the timers that are due to the end of the ready queue and then runs exactly
 * the entries that were ready when the iteration began, in order; entries added meanwhile wait for the next
 * iteration. This is asyncio's {@code _run_once}, and it makes scheduling deterministic: the same program interleaves
 * the same way on every run.
 *
 * <p>Each task runs on its own virtual thread, but only the thread that <em>holds</em> the loop runs: a task holds it
 * from the moment it is resumed until it suspends or ends, and then hands it directly to the next ready entry. A
 * callback runs on whichever thread holds the loop at that moment. When nothing is ready, the holder waits for the
 * next timer or for the inbox. No JVM flag is needed; see {@code docs/design.md}, and {@code docs/internals.md} for
 * the details and costs.
 *
 * <h2>Loop time</h2>
 * {@link #time()} is the loop's clock in seconds. Like libuv's (and unlike asyncio's) it is read once per iteration:
 * every delay is measured from the time the current iteration began, so two tasks that sleep for the same delay in
 * the same iteration wake in the same later iteration, in the order they went to sleep, however loaded the machine.
 * Timers due at the same loop time always run in the order they were set (asyncio's heap leaves such ties in no
 * particular order: eight {@code call_at()} for one time, set a to h, ran g f e d h c b a in CPython 3.13).
 * A loop built with {@link Builder#virtualTime()} has a virtual clock that jumps to the next timer as soon as nothing
 * is ready and no offloaded work is in flight, so {@code sleep(5)} takes no real time. An offloaded call blocked in
 * {@link Future#get()} on a pending future of this loop (or in {@code get()} of what {@link #runCoroutineThreadsafe}
 * returned) does not hold the clock: it waits for the loop, which alone can settle that future. Nor does a call that
 * cannot start before such a call ends (see {@link #runInExecutor}).
 *
 * <p>Timers are due at loop times up to 2<sup>63</sup>&nbsp;&minus;&nbsp;2&nbsp;ns, about 292 years: one further away
 * ({@code callLater(Duration.ofDays(365 * 300), cb)}, {@code Aio.sleep(Duration.ofSeconds(Long.MAX_VALUE))},
 * {@code callAt(1e300, cb)}, a timeout as long) is due at that time instead. It is an ordinary timer that can be
 * cancelled, and while it is pending a loop waiting for it is not deadlocked: on the real clock it waits for it (or
 * for anything else to happen). A virtual clock with nothing else to do jumps to it like to any other timer, and then
 * can go no further: every timer set after that is due at that same time, in the order it was set.
 *
 * <h2>Threads</h2>
 * An event loop is not thread-safe, like asyncio's: its methods (and those of its futures, tasks, queues and locks)
 * must be called by the thread that holds it, i.e. from its tasks and callbacks, or from any single thread while it
 * is not running. While it runs, those that schedule, inspect or change its work throw {@link IllegalStateException}
 * when called from another thread (each says so); the few that do not check (such as {@link #createFuture()} and the
 * settings) must still be called as described. The thread-safe entry points are {@link #callSoonThreadsafe},
 * {@link #runCoroutineThreadsafe}, {@link #stop()}, {@link #isRunning()}, {@link #isClosed()} and {@link #time()},
 * {@link Handle#cancel()} and {@link TimerHandle#cancel()} (unlike asyncio's), and for diagnostics
 * {@link #dumpTasks()}, {@link #interruptRunningThread()} and {@link #currentTask()}. Starting and
 * closing an idle loop are atomic: of threads that run or close it at the same moment, one does and the others are
 * refused.
 *
 * <h2>Deadlocks</h2>
 * When {@link #runUntilComplete} waits for a future that nothing can complete any more (no ready entry, no timer, no
 * offloaded call or wrapped {@link CompletionStage} in flight, other than calls blocked in {@link Future#get()} on the
 * loop's own pending futures and calls queued behind them, see {@link #runInExecutor}; no signal held, see
 * {@link #addSignalHandler}), it throws a
 * {@link DeadlockException} that lists what each task waits on, instead of hanging. Work that another thread will
 * deliver with {@link #callSoonThreadsafe} must be announced with {@link #expectExternal()}, or detection turned off
 * with {@link Builder#deadlockDetection}.
 */
public final class EventLoop implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("org.aio4j");
    private static final long ORIGIN = System.nanoTime();
    private static final Object DRIVER = new Object() {
        @Override
        public String toString() {
            return "the thread running the loop";
        }
    };
    private static final ThreadFactory TASK_THREADS =
            Thread.ofVirtual().name("aio4j-task").inheritInheritableThreadLocals(false).factory();
    private static final ThreadFactory TO_THREAD_THREADS = Schedulers.sharedThreads("aio4j-to-thread", -1);
    private static final Executor TO_THREAD = command -> TO_THREAD_THREADS.newThread(command).start();

    private static final int IDLE = 0;
    /** Claimed by one thread's run (see {@link #claim()}), from before its first step until after its last. */
    private static final int RUNNING = 1;
    /** Claimed by one thread's {@link #close()}, which has not finished yet. */
    private static final int CLOSING = 2;
    private static final int CLOSED = 3;
    private static final VarHandle LIFECYCLE;
    private static final VarHandle STOP_POSTED;

    static {
        try {
            LIFECYCLE = MethodHandles.lookup().findVarHandle(EventLoop.class, "lifecycle", int.class);
            STOP_POSTED = MethodHandles.lookup().findVarHandle(EventLoop.class, "stopPosted", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static volatile boolean warmedUp;
    private static final java.util.concurrent.atomic.AtomicLong CARRIERS = new java.util.concurrent.atomic.AtomicLong();

    /**
     * JIT hygiene, once per JVM: let one virtual thread run to its end before any task starts. Otherwise a program
     * that starts a million tasks before the first one ends has the JDK's {@code VirtualThread.run} compiled while
     * its exit path was never resolved, and every one of those threads deoptimizes when it ends (measured: 10 us per
     * task). Not done in a static initializer: the virtual thread would wait for this class's initialization.
     */
    private static void warmUp() {
        if (warmedUp) {
            return;
        }
        try {
            Thread.ofVirtual().start(() -> { }).join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        warmedUp = true;
    }

    // ---- configuration
    private final boolean virtualTime;
    private final java.util.Random scheduleRandom;
    private final long scheduleSeed;
    private final java.util.function.Consumer<SlowStep> slowStepSink;
    private final boolean deadlockDetection;
    /** The loop's own carrier thread, or {@code null} for the JDK's shared scheduler (the default). */
    private final LoopCarrier carrier;
    private final ThreadFactory taskThreads;
    private volatile boolean debug;
    private volatile long slowCallbackNanos = 100_000_000L;
    private ExceptionHandler exceptionHandler;
    private Executor defaultExecutor;
    /** shutdownDefaultExecutor() was called and no executor was set since: runInExecutor(null) is refused. */
    private boolean defaultExecutorShutDown;
    private boolean ownsDefaultExecutor;
    private TaskFactory taskFactory = TaskFactory.DEFAULT;

    // ---- scheduling state: touched only by the thread holding the loop
    final ArrayDeque<Object> ready = new ArrayDeque<>();
    final Timers timers = new Timers();
    private int batch;
    private long iterations;
    private long now;
    private long virtualNow;
    private boolean stopping;
    Task<?> currentTask;
    /**
     * The context of the callback running now (a {@link Context}, or the {@link Bindings} it starts with), null when
     * no callback runs: see {@link #contextSlot()}.
     */
    private Object callbackContext;
    private Throwable fatal;
    private Future<?> stopTarget;
    /** {@link #close()} is finishing the pending work, on the thread that holds the loop. */
    private boolean closing;
    /** A run has begun its iterations (asyncio's {@code is_running()} as a task factory sees it). */
    private boolean turning;
    /** The eager start in progress (the innermost, when one task's eager step starts another), or null. */
    private EagerStart eager;
    /** Observers of steps (watchdog, timeline, JFR). */
    final Tracing tracing = new Tracing(this);
    /** Threads blocked in {@link Future#get()} outside the loop on this loop's futures. */
    final BlockedGets blockedGets = new BlockedGets();
    /** What the loop's streams hold open (sockets, pipes, child processes), which the close closes. */
    final OpenStreams openStreams = new OpenStreams();
    private final SpinPolicy spin;
    private Watchdog watchdog;
    /** The JFR step event in progress (one step at a time per loop). */
    Object jfrStep;

    // ---- the baton: who holds the loop
    private volatile Object owner;
    /** The thread holding the loop, or null when it is not running. Written before every hand-over. */
    Thread holderThread;
    private Thread driverThread;
    private boolean driverInterrupted;
    /** This run was stopped by an interrupt of the driver (no main task to cancel): for runUntilComplete's error. */
    private boolean stoppedByInterrupt;
    /** Whether an interrupt of the driver cancelled this run's main task: a second one stops the loop. */
    private boolean mainCancelledByInterrupt;
    /**
     * The interrupt of the driver posted for the loop to act on and not acted on yet: at most one, as one cancels the
     * main task. Still there when the run ends, it is the caller's again (see {@link #leaveRunning}), not the next
     * run's.
     */
    private volatile Handle driverInterruptPosted;

    // ---- the inbox for other threads
    private final Inbox inbox = new Inbox();
    /** A stop from a thread not holding the loop is in the inbox and has not run yet: see {@link #stop()}. */
    private volatile boolean stopPosted;

    // ---- lifecycle and bookkeeping
    private volatile int lifecycle = IDLE;
    /** Opened when the loop is closed: for a {@link #close()} that another thread's close made wait. */
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    private final LiveTasks live = new LiveTasks();
    private int taskCounter; // unnamed tasks are Task-N; N wraps after 2^31 of them, as names need not be unique
    private final InFlight inFlight = new InFlight(this);
    final BlockedWaiters blockedWaiters = new BlockedWaiters(this);
    private final Set<Future<?>> unretrieved = new LinkedHashSet<>();
    private int unretrievedPruneAt = 64;
    /**
     * Failures iterator operators hold for their consumers ({@link Failures.Held}): reported at close if still held, as
     * {@link #unretrieved} exceptions are. Concurrent: an iterator over a plain iterator may be closed off the loop.
     */
    final Set<Failures.Held> heldFailures = ConcurrentHashMap.newKeySet();

    /** A loop on the real clock, with the defaults ({@code -Daio4j.debug=true} turns debug mode on). */
    public EventLoop() {
        this(new Builder());
    }

    private EventLoop(Builder b) {
        this.virtualTime = b.virtualTime;
        this.scheduleSeed = b.scheduleSeed;
        this.scheduleRandom = b.seeded ? new java.util.Random(b.scheduleSeed) : null;
        this.slowStepSink = b.slowStepSink != null ? b.slowStepSink
                : step -> LOG.log(System.Logger.Level.WARNING, step.describe());
        this.deadlockDetection = b.deadlockDetection;
        this.debug = b.debug;
        this.exceptionHandler = b.exceptionHandler;
        if (b.dedicatedCarrier) {
            this.carrier = new LoopCarrier("aio4j-carrier-" + CARRIERS.incrementAndGet());
            this.taskThreads = carrier.threadFactory("aio4j-task");
        } else {
            this.carrier = null;
            this.taskThreads = TASK_THREADS;
        }
        this.spin = new SpinPolicy(carrier == null); // spinning on the only carrier would stall the task awaited
    }

    /**
     * A builder for loops with other settings than the defaults.
     *
     * @return a new builder with the default settings
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Settings of a new {@link EventLoop}: what asyncio spreads over the loop's constructor, {@code loop_factory} and
     * the setters called before {@code run_forever()} ({@code set_debug()}, {@code set_exception_handler()}). Not
     * thread-safe.
     */
    public static final class Builder {
        private boolean virtualTime;
        private boolean deadlockDetection = true;
        private boolean debug = Boolean.getBoolean("aio4j.debug") || "1".equals(System.getenv("AIO4J_DEBUG"));
        private ExceptionHandler exceptionHandler;
        private boolean seeded;
        private long scheduleSeed;
        private java.util.function.Consumer<SlowStep> slowStepSink;
        private boolean dedicatedCarrier = Boolean.getBoolean("aio4j.dedicatedCarrier");

        private Builder() {
        }

        /**
         * Runs the loop's tasks on a carrier thread of the loop's own instead of the JDK's shared virtual-thread
         * scheduler (default: off, or the system property {@code aio4j.dedicatedCarrier}). No asyncio counterpart: an
         * asyncio loop is always the one thread that runs it; this brings aio4j's tasks closer to that. A task switch
         * is then a park and an unpark on one thread, which the benchmark in {@code docs/benchmarks.md} measures
         * against the default; code offloaded with {@link Aio#toThread} or an executor still runs on the shared
         * scheduler.
         *
         * <p>Everything of the loop then shares one carrier: a task that blocks it (a native call, I/O inside
         * {@code synchronized}) stalls the loop until it returns, and a task that suspends while pinned (inside a
         * class initializer or a native upcall) hangs the loop, since the next task needs the same carrier. What
         * aio4j offloads ({@link Aio#toThread}, {@link EventLoop#runInExecutor}) runs on the shared scheduler; a
         * virtual thread that task code starts by itself takes its creator's carrier.
         *
         * <p>The JDK offers no public way to give virtual threads a scheduler: {@link #build()} then needs the JVM
         * flag {@code --add-opens java.base/java.lang=ALL-UNNAMED} and throws {@link IllegalStateException} naming
         * it when it is missing.
         *
         * @param on whether the loop runs its tasks on a carrier thread of its own
         * @return this builder
         */
        public Builder dedicatedCarrier(boolean on) {
            this.dedicatedCarrier = on;
            return this;
        }

        /**
         * Explores schedules: in every iteration, the tasks that are ready run in an order shuffled with a random
         * generator seeded by {@code seed} (callbacks keep their FIFO order). The same seed replays the same
         * interleaving of the same program. Without this, the loop is FIFO, as asyncio. Meant for tests that look
         * for order-dependent bugs; print the seed when such a test fails.
         *
         * @param seed the seed of the random generator that orders each iteration's ready tasks
         * @return this builder
         */
        public Builder scheduleSeed(long seed) {
            this.seeded = true;
            this.scheduleSeed = seed;
            return this;
        }

        /**
         * Where the debug-mode watchdog sends its reports of steps that hold the loop too long (default: the
         * {@code System.Logger} "org.aio4j" at level WARNING).
         *
         * <p>A report made while the step still holds the loop comes on the watchdog's thread, and the loop goes on
         * while the sink takes its time there. The one made when the step ends comes on the thread that held the
         * loop, before the loop goes on (the sink must be quick there), unless the watchdog's thread is still handing
         * the sink a report at that moment: then it comes after that one, on the watchdog's thread, and the loop goes
         * on. The sink is called for one report at a time, in the order they are made (a step's report made while it
         * blocks before the one made when it ends), and every report of a run before the run returns (or debug mode
         * is turned off from the loop). An exception it throws is logged (at level WARNING) and changes nothing else.
         *
         * <p>The end of the run waits at most one second for a sink still handling a report on the watchdog's
         * thread: a sink that takes longer (or never returns) does not hold the run, nor {@link EventLoop#close()}, up. The
         * reports not yet given to it are then logged at level WARNING instead, with the one it is still handling,
         * and the run returns; that call goes on, and may still be running while a later run's reports come.
         *
         * @param sink receives each report
         * @return this builder
         * @throws NullPointerException if {@code sink} is null
         */
        public Builder onSlowStep(java.util.function.Consumer<SlowStep> sink) {
            this.slowStepSink = java.util.Objects.requireNonNull(sink, "sink must not be null");
            return this;
        }

        /**
         * Gives the loop a virtual clock starting at 0: whenever no entry is ready and nothing offloaded is in flight
         * (but calls that only wait for the loop: blocked in {@link Future#get()} on its pending futures, or queued
         * behind such calls, see {@link EventLoop#runInExecutor}), the clock jumps to the next timer. Timers fire in
         * the same order and the program prints the same lines as on the real clock, in no real time.
         *
         * @return this builder
         */
        public Builder virtualTime() {
            this.virtualTime = true;
            return this;
        }

        /**
         * Turns deadlock detection on (the default) or off.
         *
         * @param on whether the loop reports a deadlock (see {@link DeadlockException})
         * @return this builder
         */
        public Builder deadlockDetection(boolean on) {
            this.deadlockDetection = on;
            return this;
        }

        /**
         * Turns debug mode on or off; see {@link EventLoop#setDebug(boolean)}.
         *
         * @param on whether the loop starts in debug mode
         * @return this builder
         */
        public Builder debug(boolean on) {
            this.debug = on;
            return this;
        }

        /**
         * Sets the exception handler; see {@link EventLoop#setExceptionHandler(ExceptionHandler)}.
         *
         * @param handler the exception handler, or {@code null} for the default one
         * @return this builder
         */
        public Builder exceptionHandler(ExceptionHandler handler) {
            this.exceptionHandler = handler;
            return this;
        }

        /**
         * Builds the loop.
         *
         * @return a new, idle loop with these settings
         * @throws IllegalStateException if {@link #dedicatedCarrier(boolean) a dedicated carrier} was asked for and the
         *                               JVM does not open {@code java.lang} to aio4j
         */
        public EventLoop build() {
            return new EventLoop(this);
        }
    }

    // ==============================================================================================================
    // Running and stopping

    /**
     * Runs the loop until {@code future} is done and returns its result or throws its exception: asyncio's
     * {@code run_until_complete()}. The calling thread drives the loop and blocks meanwhile. Of threads that start
     * an idle loop at the same moment, exactly one runs it; the others get the "already running" exception. An
     * interrupt of the calling thread meanwhile cancels {@code future} if it is a task (as asyncio's Ctrl-C cancels
     * the main task), and otherwise stops the loop, the "stopped before" exception then saying that the thread was
     * interrupted; so does a second interrupt while the task has not ended (it caught the cancellation, or its
     * clean-up takes long), as asyncio's second Ctrl-C raises {@code KeyboardInterrupt}. Either way the interrupt
     * status is set again when this returns.
     *
     * @param <T>    the type of the future's result
     * @param future the future to run the loop until; of this loop
     * @return the future's result
     * @throws IllegalStateException if the loop is closed or already running, or another loop runs on this thread,
     *                               or the loop was stopped before the future was done
     * @throws DeadlockException     if the future can never be done
     * @throws Exception             the future's exception
     * @throws IllegalArgumentException if {@code future} belongs to another loop
     */
    public <T> T runUntilComplete(Future<T> future) throws Exception {
        Objects.requireNonNull(future, "future must not be null");
        if (future.loop != this) {
            throw new IllegalArgumentException("Future " + future + " is attached to a different loop");
        }
        claim();
        try {
            return runClaimedUntil(future);
        } finally {
            release();
        }
    }

    /** runUntilComplete on a loop this thread has claimed. */
    private <T> T runClaimedUntil(Future<T> future) throws Exception {
        Consumer<Future<T>> stopper = f -> stop();
        future.addDoneCallback(stopper);
        Future<?> previousTarget = stopTarget;
        stopTarget = future;
        try {
            runClaimed();
        } finally {
            stopTarget = previousTarget;
            if (!future.isDone()) {
                future.removeDoneCallback(stopper);
            }
        }
        if (!future.isDone()) {
            throw new IllegalStateException("Event loop stopped before Future completed: " + future
                    + (stoppedByInterrupt ? "; the thread running the loop was interrupted" : ""));
        }
        return future.report();
    }

    /**
     * Wraps {@code coroutine} in a task and runs the loop until it is done: asyncio's
     * {@code run_until_complete(coro)}.
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task to run
     * @return the coroutine's result
     * @throws IllegalStateException if the loop is closed or already running, or another loop runs on this thread, or
     *                               the loop was stopped before the task was done; no task is created if the loop could
     *                               not be run
     * @throws DeadlockException     if the task can never be done
     * @throws Exception             the coroutine's exception
     * @see #runUntilComplete(Future)
     */
    public <T> T runUntilComplete(Coroutine<T> coroutine) throws Exception {
        Objects.requireNonNull(coroutine, "coroutine must not be null");
        claim(); // before the task exists: a refused run must not leave it scheduled
        try {
            return runClaimedUntil(createTask(coroutine));
        } finally {
            release();
        }
    }

    /**
     * As {@link #runUntilComplete(Coroutine)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task to run
     * @throws IllegalStateException if the loop is closed or already running, or another loop runs on this thread, or
     *                               the loop was stopped before the task was done; no task is created if the loop could
     *                               not be run
     * @throws DeadlockException     if the task can never be done
     * @throws Exception             the coroutine's exception
     */
    public void runUntilComplete(VoidCoroutine coroutine) throws Exception {
        Objects.requireNonNull(coroutine, "coroutine must not be null");
        claim();
        try {
            runClaimedUntil(createTask(coroutine));
        } finally {
            release();
        }
    }

    /**
     * Runs the loop until {@link #stop()} is called: asyncio's {@code run_forever()}. If {@code stop()} was called
     * before, the loop runs one iteration and returns. Of threads that start an idle loop at the same moment, exactly
     * one runs it; the others get the "already running" exception.
     *
     * @throws IllegalStateException if the loop is closed or already running, or another loop runs on this thread
     * @throws DeadlockException     if {@link #runUntilComplete} waits for a future that can never be done
     */
    public void runForever() {
        claim();
        try {
            runClaimed();
        } finally {
            release();
        }
    }

    /** Runs the loop, which this thread has claimed, until it stops. */
    private void runClaimed() {
        enterRunning();
        try {
            if (handOff(DRIVER)) {
                awaitDriverTurn();
            }
        } finally {
            leaveRunning();
        }
        Throwable f = fatal;
        if (f != null) {
            fatal = null;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException("event loop failed", f);
        }
    }

    /**
     * Asks the loop to stop at the end of the current iteration: asyncio's {@code stop()}. If the loop is not running,
     * its next run does one iteration and returns.
     *
     * <p>Safe from any thread, unlike asyncio's (where one must write {@code call_soon_threadsafe(loop.stop)}): called
     * by a thread that does not hold the loop (another thread, or any thread while the loop is idle), the request is
     * posted as {@link #callSoonThreadsafe} posts a callback, so it is never lost, wakes a waiting loop, and stops the
     * loop at the end of the iteration that runs it (a loop that is not running: its next run, after one iteration).
     * Requests made while one posted earlier has not run yet share its post. On a closed loop it does nothing.
     */
    public void stop() {
        if (holderThread == Thread.currentThread()) {
            stopping = true;
            return;
        }
        // A plain write from here could be missed by a loop that is starting or waiting; the inbox cannot be.
        // One posted stop that has not run yet answers every later request too: it stops the loop after them.
        if (STOP_POSTED.compareAndSet(this, false, true)) {
            post(new Handle((Runnable) this::postedStop, null)); // refused on a closed loop, which has nothing to stop
        }
    }

    /** The stop posted by {@link #stop()}: a request made from now on needs a post of its own. */
    private void postedStop() {
        stopPosted = false;
        stopping = true;
    }

    /**
     * Whether the loop is running. Safe from any thread.
     *
     * @return whether a thread runs the loop now
     */
    public boolean isRunning() {
        return lifecycle == RUNNING;
    }

    /**
     * Whether the loop was closed. Safe from any thread.
     *
     * @return whether {@link #close()} has finished
     */
    public boolean isClosed() {
        return lifecycle == CLOSED;
    }

    /**
     * Closes the loop: asyncio's {@code close()}. Unlike asyncio, which drops what is still scheduled, the close first
     * finishes the loop's pending work without letting it wait any more, on the calling thread:
     * <ul>
     *   <li>Callbacks already scheduled ({@link #callSoon}, and {@link #callSoonThreadsafe} posts it accepted) run,
     *   in order, and so do the callbacks they schedule, including the done callbacks of the tasks the close
     *   cancels and those the exception handler schedules as the close reports: a callback the loop accepted is not
     *   lost, and whoever waits on a task by a callback learns how it ended. Callbacks still being scheduled after
     *   {@value #CLOSING_ROUNDS} rounds (a callback that reschedules itself) are dropped and reported to the
     *   exception handler. Timers are dropped.</li>
     *   <li>Tasks still pending are reported to the exception handler and cancelled: one that has not started never
     *   runs; one that has started is resumed one last time with a {@link java.util.concurrent.CancellationException}
     *   so that its {@code finally} blocks run. It cannot suspend any more: each await throws
     *   {@link IllegalStateException}. A task that catches that and tries again and again (a hundred times) is
     *   abandoned rather than allowed to hold the loop: reported to the exception handler, settled as cancelled, its
     *   thread left parked for good.</li>
     *   <li>A task created meanwhile is reported and cancelled before it starts (tasks still being created after
     *   {@value #CLOSING_ROUNDS} passes, by an exception handler that creates one per report, are cancelled with a
     *   single report), but for the library's own clean-up: a
     *   {@link AsyncIterator#toPublisher()} subscription whose pump never ran closes its source in a task that the
     *   close runs at once, on the same terms, so that a started {@link AsyncGenerator}'s {@code finally} blocks
     *   run.</li>
     * </ul>
     * Exceptions of futures that nobody retrieved are then reported (and the failures attached to the cancellation of
     * a task that nobody awaited, see {@link Future}), and so are those that the callbacks the reports schedule leave
     * unretrieved in turn (for at most {@value #CLOSING_ROUNDS} passes); the signals the loop handles go back to the
     * JVM's handlers (see {@link #removeSignalHandler}), the connections, servers and datagram endpoints still open are
     * closed (what was written to a connection or an endpoint is sent first, while its peer takes it: the close waits
     * until it is sent, or until nothing has been sent for 2 s; then a connection's {@link StreamReader} sees the end
     * of the stream after the bytes it holds and its {@link StreamWriter} is closed, as after any close, where
     * asyncio's close leaves its transports open) and the child processes still running are killed, and a
     * default executor created by the loop is shut down without waiting. {@link Aio#run} cancels the pending tasks and
     * lets them finish while the loop still runs before it closes the loop (asyncio's {@code runners}): close a loop
     * directly only once its work is done.
     *
     * <p>Closing a closed loop does nothing. A {@code close()} while another thread is closing the loop waits until
     * the loop is closed, as {@link ExecutorService#close()} does (an interrupt does not end the wait; it is kept for
     * later); one called by the closing work itself (a {@code finally} block, a callback) returns at once. Another
     * thread may close an idle loop; a close and a run that start at the same moment do not overlap: one of them is
     * refused. A {@link #callSoonThreadsafe} at the same moment as a close either is refused, or is accepted and then
     * run by the close.
     *
     * @throws IllegalStateException if the loop is running
     */
    @Override
    public void close() {
        for (int state; !LIFECYCLE.compareAndSet(this, IDLE, CLOSING); ) {
            // Read again after a failed claim: a run that ended meanwhile left the loop idle, to be closed now.
            if ((state = lifecycle) == RUNNING) {
                throw new IllegalStateException("Cannot close a running event loop");
            }
            if (state == CLOSING) {
                awaitClosedByAnother();
                return;
            }
            if (state == CLOSED) {
                return;
            }
        }
        try {
            finishPendingWork();
        } finally {
            ready.clear();
            timers.clear();
            lifecycle = CLOSED;
            Signals.removeAll(this); // after the closing work, as asyncio's close: a signal from now on is the JVM's
            openStreams.closeAll(); // their threads' posts are refused from now on, and they end
            closed.countDown();
            blockedGets.releaseAll(); // a thread blocked in get() on a future left pending: nothing can complete it
            if (ownsDefaultExecutor && defaultExecutor instanceof ExecutorService es) {
                es.shutdown();
            }
            if (carrier != null) {
                carrier.shutdown();
            }
        }
    }

    /**
     * How many rounds {@link #close()} runs the callbacks that are scheduled while it finishes the pending work: each
     * round runs those scheduled by the previous one. Real clean-up needs a few; only a callback that reschedules
     * itself needs more.
     */
    static final int CLOSING_ROUNDS = 100;

    /**
     * A close while another thread closes the loop: waits for it, unless this thread does the closing work (a
     * {@code finally} block or a callback that the close runs), which would then wait for itself.
     */
    private void awaitClosedByAnother() {
        if (holderThread == Thread.currentThread()) {
            return;
        }
        boolean interrupted = false;
        for (;;) {
            try {
                closed.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ==============================================================================================================
    // Callbacks and time

    /**
     * Schedules {@code callback} to run in a later iteration, after the entries already in the ready queue:
     * asyncio's {@code call_soon()}. Callbacks run in the order they were scheduled, each in a copy of the
     * {@link Context} that scheduled it (so do those of {@link #callLater}, {@link #callAt} and
     * {@link #callSoonThreadsafe}).
     *
     * @param callback the code to run on the loop's thread
     * @return a handle to cancel the call with
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public Handle callSoon(Runnable callback) {
        return callSoon(callback, capturedContext());
    }

    /**
     * As {@link #callSoon(Runnable)}, the callback running in {@code context} itself, not in a copy: asyncio's
     * {@code call_soon(callback, context=context)}. What the callback sets with {@link ContextVar#set} is set in
     * {@code context}, and seen there afterwards. The loop enters {@code context} for the call, as a {@link Context#run}
     * does (asyncio's {@code Handle} runs it in {@code context.run}): a {@code run} of it in the callback is refused,
     * and if a {@code run} has entered it and not yet left when the callback is due (a task's, suspended in it, or
     * another thread's), the callback is not run but reported to the {@linkplain #setExceptionHandler exception
     * handler} as "Exception in callback", an {@link IllegalStateException} "cannot enter ...: it is already
     * entered" (asyncio: {@code RuntimeError}).
     *
     * @param callback the code to run on the loop's thread
     * @param context  the context to run it in
     * @return a handle to cancel the call with
     * @throws NullPointerException  if {@code callback} or {@code context} is null (for the current context's copy,
     *                               use {@link #callSoon(Runnable)})
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public Handle callSoon(Runnable callback, Context context) {
        return callSoon(callback, requireContext(context));
    }

    private Handle callSoon(Runnable callback, Object context) {
        Objects.requireNonNull(callback, "callback must not be null");
        checkNotClosed();
        checkThread("callSoon");
        Handle h = new Handle(sited(callback), null);
        h.context = context;
        enqueue(h);
        return h;
    }

    /**
     * Schedules {@code callback} from any thread and wakes the loop if it is waiting: asyncio's
     * {@code call_soon_threadsafe()}. From another thread the callback joins the ready queue at the start of the next
     * iteration; from the thread holding the loop it joins it at once, as {@link #callSoon} (so calls made there keep
     * their order whichever of the two each uses, as in asyncio). Callbacks from one thread run in the order that
     * thread scheduled them. While {@link #close()} finishes the pending work, only that work may still schedule
     * callbacks (which the close runs); another thread is refused.
     *
     * @param callback the code to run on the loop's thread
     * @return a handle to cancel the call with
     * @throws IllegalStateException if the loop is closed, or another thread is closing it
     * @throws NullPointerException  if {@code callback} is null
     */
    public Handle callSoonThreadsafe(Runnable callback) {
        return callSoonThreadsafe(callback, capturedContext());
    }

    /**
     * As {@link #callSoonThreadsafe(Runnable)}, the callback running in {@code context} itself, not in a copy:
     * asyncio's {@code call_soon_threadsafe(callback, context=context)}. What the callback sets is set in
     * {@code context}; a thread that reads {@code context} afterwards must learn that the callback has run from
     * something that orders the two (the loop's futures, a latch), as for any loop object.
     *
     * @param callback the code to run on the loop's thread
     * @param context  the context to run it in
     * @return a handle to cancel the call with
     * @throws IllegalStateException if the loop is closed, or another thread is closing it
     * @throws NullPointerException  if {@code callback} or {@code context} is null
     */
    public Handle callSoonThreadsafe(Runnable callback, Context context) {
        return callSoonThreadsafe(callback, requireContext(context));
    }

    private Handle callSoonThreadsafe(Runnable callback, Object context) {
        Objects.requireNonNull(callback, "callback must not be null");
        Handle h = new Handle(sited(callback), null);
        h.context = context;
        if (holderThread == Thread.currentThread() && (lifecycle == RUNNING || closing)) {
            ready.add(h);
            return h;
        }
        if (!post(h)) {
            throw new IllegalStateException("Event loop is closed");
        }
        return h;
    }

    /**
     * Runs {@code coroutine} in a new task of this loop, from any thread: asyncio's
     * {@code run_coroutine_threadsafe()}. The task is made by a callback posted as {@link #callSoonThreadsafe} posts
     * one; the returned future is settled with the task's outcome: its result, its exception (which counts as
     * retrieved, so the loop does not report it), or a cancellation if the task is cancelled. Cancelling the returned
     * future cancels the task (its body sees a cancellation where it is suspended, and may clean up), or, if the loop
     * has not made it yet, keeps it from being made. The future is settled on the loop's thread, so the stages
     * chained to it without an executor run there and must not block.
     *
     * <p>This is how a thread outside the loop (a request handler, a test, a legacy callback) hands it work and
     * waits for the result, with {@code get()}; a task of this loop calls {@link #createTask} instead, since
     * blocking in {@code get()} on its own loop's thread would stop the loop. A loop that has no task left waiting
     * for such work is stopped by nothing: run it with {@link #runForever()} (or announce the work with
     * {@link #expectExternal()}), as asyncio's loop in a background thread is. An offloaded call ({@link #runInExecutor},
     * {@link Aio#toThread}) blocked in the future's untimed {@code get()} or {@code join()} waits for the loop, as one
     * blocked in {@link Future#get()} on a future of the loop does (see {@link #runInExecutor}): a virtual clock jumps
     * while it waits, and a task that nothing can end makes it part of a {@link DeadlockException}.
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @return a future settled with the task's outcome; cancelling it cancels the task
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if the loop is closed, or another thread is closing it
     */
    public <T> CompletableFuture<T> runCoroutineThreadsafe(Coroutine<T> coroutine) {
        Objects.requireNonNull(coroutine, "coroutine must not be null");
        return ThreadsafeSubmission.submit(this, coroutine);
    }

    /**
     * As {@link #runCoroutineThreadsafe(Coroutine)}, for a coroutine without a result: asyncio's
     * {@code run_coroutine_threadsafe()} of an {@code async def} that returns {@code None}. The returned future is
     * settled with {@code null} when the task ends normally.
     *
     * @param coroutine the body of the task
     * @return a future settled with the task's outcome; cancelling it cancels the task
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if the loop is closed, or another thread is closing it
     */
    public CompletableFuture<Void> runCoroutineThreadsafe(VoidCoroutine coroutine) {
        return runCoroutineThreadsafe(Objects.requireNonNull(coroutine, "coroutine must not be null").asCoroutine());
    }

    /**
     * Schedules {@code callback} to run after {@code delaySeconds} of loop time: asyncio's {@code call_later()}. A
     * delay that would end past the latest loop time a timer can have (about 292 years, see the class comment) ends
     * there, and so does {@link Double#POSITIVE_INFINITY}. A positive delay is rounded to the nearest nanosecond, and
     * is one nanosecond at least (a timer, so that a virtual clock moves), as for {@link Aio#sleep(double)}.
     *
     * @param delaySeconds how long from now, in seconds of loop time
     * @param callback     the code to run on the loop's thread
     * @return a handle to cancel the call with, which also tells its loop time
     * @throws IllegalArgumentException if the delay is negative or NaN
     * @throws NullPointerException  if {@code callback} is null
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public TimerHandle callLater(double delaySeconds, Runnable callback) {
        return callLater(toNanos(delaySeconds, "delay"), callback, capturedContext());
    }

    /**
     * As {@link #callLater(double, Runnable)}, the callback running in {@code context} itself, not in a copy:
     * asyncio's {@code call_later(delay, callback, context=context)} (see {@link #callSoon(Runnable, Context)}).
     *
     * @param delaySeconds how long from now, in seconds of loop time
     * @param callback     the code to run on the loop's thread
     * @param context      the context to run it in
     * @return a handle to cancel the call with, which also tells its loop time
     * @throws IllegalArgumentException if the delay is negative or NaN
     * @throws NullPointerException     if {@code callback} or {@code context} is null
     * @throws IllegalStateException    if the loop is closed, or this thread does not hold the running loop
     */
    public TimerHandle callLater(double delaySeconds, Runnable callback, Context context) {
        return callLater(toNanos(delaySeconds, "delay"), callback, requireContext(context));
    }

    /**
     * As {@link #callLater(double, Runnable)} with a {@link Duration}.
     *
     * @param delay    how long from now, in loop time
     * @param callback the code to run on the loop's thread
     * @return a handle to cancel the call with, which also tells its loop time
     * @throws NullPointerException     if {@code delay} or {@code callback} is null
     * @throws IllegalArgumentException if {@code delay} is negative
     * @throws IllegalStateException    if the loop is closed, or this thread does not hold the running loop
     */
    public TimerHandle callLater(Duration delay, Runnable callback) {
        return callLater(toNanos(delay, "delay"), callback, capturedContext());
    }

    /**
     * As {@link #callLater(Duration, Runnable)}, the callback running in {@code context} itself, not in a copy:
     * asyncio's {@code call_later(delay, callback, context=context)} (see {@link #callSoon(Runnable, Context)}).
     *
     * @param delay    how long from now, in loop time
     * @param callback the code to run on the loop's thread
     * @param context  the context to run it in
     * @return a handle to cancel the call with, which also tells its loop time
     * @throws NullPointerException     if {@code delay}, {@code callback} or {@code context} is null
     * @throws IllegalArgumentException if {@code delay} is negative
     * @throws IllegalStateException    if the loop is closed, or this thread does not hold the running loop
     */
    public TimerHandle callLater(Duration delay, Runnable callback, Context context) {
        return callLater(toNanos(delay, "delay"), callback, requireContext(context));
    }

    private TimerHandle callLater(long delayNanos, Runnable callback, Object context) {
        Objects.requireNonNull(callback, "callback must not be null");
        checkNotClosed();
        checkThread("callLater");
        TimerHandle h = scheduleAfter(delayNanos, sited(callback));
        h.context = context;
        return h;
    }

    /**
     * Schedules {@code callback} to run at loop time {@code when} (seconds, as returned by {@link #time()}):
     * asyncio's {@code call_at()}. A time in the past ({@link Double#NEGATIVE_INFINITY} too) runs it in the next
     * iteration; a time past the latest loop time a timer can have (about 292 years, see the class comment), or
     * {@link Double#POSITIVE_INFINITY}, is taken as that time.
     *
     * @param when     the loop time, in seconds, at which to run it
     * @param callback the code to run on the loop's thread
     * @return a handle to cancel the call with, which also tells its loop time
     * @throws IllegalArgumentException if {@code when} is NaN
     * @throws NullPointerException  if {@code callback} is null
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public TimerHandle callAt(double when, Runnable callback) {
        return callAt(when, callback, capturedContext());
    }

    /**
     * As {@link #callAt(double, Runnable)}, the callback running in {@code context} itself, not in a copy: asyncio's
     * {@code call_at(when, callback, context=context)} (see {@link #callSoon(Runnable, Context)}).
     *
     * @param when     the loop time, in seconds, at which to run it
     * @param callback the code to run on the loop's thread
     * @param context  the context to run it in
     * @return a handle to cancel the call with, which also tells its loop time
     * @throws IllegalArgumentException if {@code when} is NaN
     * @throws NullPointerException     if {@code callback} or {@code context} is null
     * @throws IllegalStateException    if the loop is closed, or this thread does not hold the running loop
     */
    public TimerHandle callAt(double when, Runnable callback, Context context) {
        return callAt(when, callback, requireContext(context));
    }

    private TimerHandle callAt(double when, Runnable callback, Object context) {
        Objects.requireNonNull(callback, "callback must not be null");
        if (Double.isNaN(when)) {
            throw new IllegalArgumentException("when must be a loop time, got NaN");
        }
        checkNotClosed();
        checkThread("callAt");
        // Rounded: when() gives back the time asked for.
        TimerHandle h = scheduleAt(Math.round(when * 1e9), sited(callback));
        h.context = context;
        return h;
    }

    /**
     * The loop's time in seconds: asyncio's {@code time()}. On the thread holding the running loop (its tasks and
     * callbacks), the time at which the current iteration began (see the class comment); otherwise, another thread
     * included, the clock's current reading. Safe from any thread.
     *
     * @return the loop time in seconds
     */
    public double time() {
        return nowNanos() / 1e9;
    }

    /**
     * Whether this loop has a virtual clock ({@link Builder#virtualTime()}).
     *
     * @return whether the loop was built with {@link Builder#virtualTime()}
     */
    public boolean isVirtualTime() {
        return virtualTime;
    }

    // ==============================================================================================================
    // Tasks and futures

    /**
     * Wraps {@code coroutine} in a task scheduled to start in a later iteration: asyncio's {@code create_task()}.
     * The loop keeps the task referenced until it is done. The task runs in a copy of the current {@link Context}.
     * With the {@link TaskFactory#EAGER eager} task factory, a task created while the loop runs instead runs its first
     * step before this returns (see {@link #setTaskFactory}).
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @return the new task
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     * @throws NullPointerException  if {@code coroutine} is null
     */
    public <T> Task<T> createTask(Coroutine<T> coroutine) {
        return createTask(coroutine, null);
    }

    /**
     * As {@link #createTask(Coroutine)}, with a name ({@code null} for the default {@code Task-N}, see
     * {@link Task#getName()}).
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @return the new task
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public <T> Task<T> createTask(Coroutine<T> coroutine, String name) {
        return newTask(coroutine, name, null, true);
    }

    /**
     * As {@link #createTask(Coroutine, String)}, the task running in {@code context} itself, not in a copy: asyncio's
     * {@code create_task(coro, name=name, context=context)}. What the task sets with {@link ContextVar#set} is set in
     * {@code context}, seen there afterwards and by every other task or callback running in it (several may:
     * they share it as they would share any object); {@link Task#getContext()} is {@code context}. Tasks the task
     * creates get copies of it, as usual. A {@link Context#run} of {@code context} in the task is refused, even inside
     * a {@code run} of another context, as asyncio's task has entered it for its step (asyncio: {@code RuntimeError}).
     * Unlike a callback given a context, the task does not enter {@code context} at each step as asyncio's does: a
     * {@code run} of it that has not left (another task's, suspended in it, or another thread's) does not hold the
     * task back, nor does the running task refuse such a {@code run} elsewhere, and both then set values in it;
     * asyncio reports the step as "cannot enter context" and leaves the task pending for ever. Do not run a context
     * that a task runs in.
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @param context   the context the task runs in
     * @return the new task
     * @throws NullPointerException  if {@code coroutine} or {@code context} is null (asyncio's {@code context=None}
     *                               is {@link #createTask(Coroutine, String)})
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public <T> Task<T> createTask(Coroutine<T> coroutine, String name, Context context) {
        return newTask(coroutine, name, Objects.requireNonNull(context, "context must not be null"), true);
    }

    /**
     * As {@link #createTask(Coroutine, String, Context)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @param context   the context the task runs in
     * @return the new task; its result is {@code null}
     * @throws NullPointerException  if {@code coroutine} or {@code context} is null
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public Task<Void> createTask(VoidCoroutine coroutine, String name, Context context) {
        return createTask(Objects.requireNonNull(coroutine, "coroutine must not be null").asCoroutine(), name,
                context);
    }

    /** A task running in {@code context} itself, or in a copy of the current context if it is null. */
    private <T> Task<T> newTask(Coroutine<T> coroutine, String name, Context context, boolean eagerly) {
        Objects.requireNonNull(coroutine, "coroutine must not be null");
        checkNotClosed();
        checkThread("createTask");
        // As asyncio's: only a task created without a name takes a number, so a named one leaves no gap.
        int number = name == null ? ++taskCounter : 0;
        Task<T> task = new Task<>(this, coroutine, name, number, currentTask, debug ? creationStack() : null);
        if (context != null) {
            task.setContextSlot(context);
        } else {
            Bindings inherited = currentBindings();
            if (inherited != Bindings.EMPTY) {
                task.setContextSlot(inherited);
            }
        }
        live.add(task);
        if (Tracing.jfrOn) {
            JfrTracer.taskCreated(task);
        }
        if (eagerly && taskFactory == TaskFactory.EAGER && turning) {
            startEagerly(task);
        } else {
            task.queued = true;
            enqueue(task);
        }
        return task;
    }

    /**
     * A task of the library's own (a server's handler, an iterator operator's helper, {@code communicate()}'s readers):
     * queued as with the {@link TaskFactory#DEFAULT default} factory whatever the loop's task factory, since the code
     * creating it counts on it not running before {@code createTask} returns.
     */
    <T> Task<T> createQueuedTask(Coroutine<T> coroutine, String name) {
        return newTask(coroutine, name, null, false);
    }

    /**
     * The eager start of {@code task} by the thread holding the loop (a task's, or one running a callback): asyncio's
     * {@code Task.__eager_start}. The thread hands the loop to the new task's thread and waits; the task's first
     * suspension or its end hands it straight back ({@link #endEagerStep}) instead of running the scheduler. The
     * creator's step is ended for the observers meanwhile, and begins again when the loop is back.
     */
    private void startEagerly(Task<?> task) {
        Thread me = Thread.currentThread();
        Object creator = owner;
        Task<?> creatorTask = currentTask;
        Object creatorCallbackContext = callbackContext;
        Object outerStep = tracing.active() ? tracing.stepping : null;
        if (outerStep != null && outerStep != creatorTask && !(creatorTask == null && outerStep instanceof Handle)) {
            outerStep = null; // tracing began after this step did: the step it saw begin last is another's
        }
        if (outerStep != null) {
            tracing.stepEnded(outerStep, false);
        }
        EagerStart start = new EagerStart(task, creator, creatorTask, me, eager);
        eager = start;
        if (tracing.active()) {
            tracing.stepStarted(task);
        }
        transferTo(task);
        boolean interrupted = false;
        do {
            LockSupport.park(this);
            interrupted |= Thread.interrupted(); // acted on where the creator next waits for the loop
        } while (owner != creator);
        eager = start.outer;
        currentTask = creatorTask;
        callbackContext = creatorCallbackContext;
        if (outerStep != null && tracing.active()) {
            tracing.stepStarted(outerStep);
        }
        if (interrupted) {
            me.interrupt();
        }
    }

    /**
     * Whether {@code t} is in its eager step: started by {@link #startEagerly}, it has not yet suspended or ended. One
     * plain read when no eager start is in progress, the only cost of eager tasks on the suspension path.
     */
    private boolean inEagerStep(Task<?> t) {
        EagerStart e = eager;
        return e != null && e.task == t;
    }

    /** The task in its eager step suspends or ends: the loop goes back to the strand that created it, which waits. */
    private void endEagerStep() {
        EagerStart e = eager;
        holderThread = e.creatorThread;
        owner = e.creator;
        LockSupport.unpark(e.creatorThread);
    }

    /**
     * The task whose eager step {@code t} waits for, having created it, or null: for task dumps and deadlock reports,
     * from any thread (a racy read, for diagnostics).
     */
    Task<?> startingEagerly(Task<?> t) {
        for (EagerStart e = eager; e != null; e = e.outer) {
            if (e.creator == t) {
                return e.task;
            }
        }
        return null;
    }

    /**
     * An eager start in progress: {@code task} runs its first step while {@code creator} (the {@link #owner} then: a
     * task, the driver, or the finished task whose thread runs callbacks) waits on {@code creatorThread}, in the step
     * of {@code creatorTask} (null if a callback created it); {@code outer} is the start this one is nested in (a
     * task's eager step creating another task eagerly).
     */
    private record EagerStart(Task<?> task, Object creator, Task<?> creatorTask, Thread creatorThread,
                              EagerStart outer) {
    }

    /**
     * As {@link #createTask(Coroutine)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task
     * @return the new task; its result is {@code null}
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public Task<Void> createTask(VoidCoroutine coroutine) {
        return createTask(coroutine, null);
    }

    /**
     * As {@link #createTask(Coroutine, String)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @return the new task; its result is {@code null}
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public Task<Void> createTask(VoidCoroutine coroutine, String name) {
        return createTask(Objects.requireNonNull(coroutine, "coroutine must not be null").asCoroutine(), name);
    }

    /**
     * Sets how the tasks created from now on start: asyncio's {@code set_task_factory()}, for the two factories asyncio
     * provides ({@code loop.set_task_factory(asyncio.eager_task_factory)} is {@code setTaskFactory(TaskFactory.EAGER)},
     * {@code set_task_factory(None)} is {@code setTaskFactory(TaskFactory.DEFAULT)}).
     *
     * <p>With {@link TaskFactory#EAGER}, a task created by a task or a callback of the running loop, with
     * {@link #createTask} (every form), {@link Aio#createTask}, {@link TaskGroup#createTask}, {@link Aio#gather} or
     * {@link Aio#gatherWithExceptions} of coroutines, {@link Aio#waitFor(Coroutine, Duration)} with a zero timeout or
     * {@link #runCoroutineThreadsafe}, starts at once: {@code createTask} runs the new task's coroutine, as that task,
     * until it first suspends (awaits a future not yet done, sleeps, {@code sleep(0)} included, waits on a queue or a
     * lock), returns or throws, and only then returns it. Exactly as asyncio's eager start (checked against CPython
     * 3.13):
     * <ul>
     *   <li>During the step, {@link #currentTask()} is the new task, which runs in a copy of the creator's
     *   {@link Context} (or the one given to {@code createTask}), is among {@link #allTasks()}, and has the creator as
     *   its {@link Task#parent()}; afterwards the creator's task is current again ({@code null} in a callback), and
     *   what the step set in its context is not seen by the creator.</li>
     *   <li>A coroutine that ends in the step gives a task already done, which never goes through the ready queue: its
     *   exception is kept in it, not thrown to the creator, and is reported when the loop closes if nobody retrieves
     *   it, as any task's; a done callback added to it runs soon ({@link #callSoon}), not inline.</li>
     *   <li>A task that suspended in the step is resumed by the loop like any other; {@link Task#cancel} acts at its
     *   suspension point.</li>
     *   <li>So {@code createTask(a); createTask(b); log("main")} logs a's and b's first steps before "main", where the
     *   default factory logs "main" first.</li>
     * </ul>
     * Tasks created while the loop is not running start in its first turn, as with the default factory (asyncio
     * starts a task eagerly only if its loop is running): so does the main task of {@link #runUntilComplete},
     * {@link Runner#run} and {@link Aio#run}. So do the tasks created while {@link #close()} finishes the pending work
     * (cancelled before they start), and the library's own (a {@link Server}'s handler tasks, which asyncio starts
     * eagerly too, {@link Subprocess#communicate}'s readers, iterator operators' helpers).
     *
     * <p>The step runs on the new task's thread while the creator's waits, so the creator's step is ended for the
     * observers of steps (the debug-mode watchdog, {@link Timeline}, JFR) before the new task's and begun again after
     * it. It costs two hand-overs of the loop between threads, so an eager start is slower here than a queued one,
     * where asyncio saves a turn of the loop: use it for the order a program relies on, not for speed. asyncio 3.13.0 names the
     * task only after its step (inside it, a task given a name is still called {@code Task-N}); here it has its name
     * from the start.
     *
     * @param factory how tasks start: {@link TaskFactory#EAGER} or {@link TaskFactory#DEFAULT}
     * @throws NullPointerException  if {@code factory} is null ({@link TaskFactory#DEFAULT} is asyncio's {@code None})
     * @throws IllegalStateException if this thread does not hold the running loop
     */
    public void setTaskFactory(TaskFactory factory) {
        Objects.requireNonNull(factory, "factory must not be null: TaskFactory.DEFAULT is asyncio's None");
        checkThread("setTaskFactory");
        taskFactory = factory;
    }

    /**
     * How the tasks created now start: asyncio's {@code get_task_factory()}, which returns {@code None} where this
     * returns {@link TaskFactory#DEFAULT}. See {@link #setTaskFactory}.
     *
     * @return the loop's task factory, {@link TaskFactory#DEFAULT} unless {@link #setTaskFactory} set another
     */
    public TaskFactory getTaskFactory() {
        return taskFactory;
    }

    /**
     * A new pending future bound to this loop: asyncio's {@code create_future()}.
     *
     * @param <T> the type of the future's result
     * @return a new pending future of this loop
     * @throws IllegalStateException if the loop is closed (asyncio still makes one, whose done callbacks could never
     *                               run)
     */
    public <T> Future<T> createFuture() {
        checkNotClosed();
        return newFuture();
    }

    /**
     * A new pending future of this loop, which records where it was created in debug mode (asyncio's
     * {@code _source_traceback}, shown by its "exception was never retrieved" report): what the public ways to a
     * future make ({@link #createFuture}, {@link #runInExecutor}, {@link #wrapFuture}). Outside debug mode a plain
     * {@link Future}, at no cost.
     */
    <T> Future<T> newFuture() {
        return debug ? new SitedFuture<>(this, creationStack()) : new Future<>(this);
    }

    /**
     * The tasks of this loop that are not done yet, in creation order: asyncio's {@code all_tasks(loop)}.
     *
     * @return an unmodifiable snapshot of the tasks not done
     * @throws IllegalStateException if this thread does not hold the running loop
     */
    public Set<Task<?>> allTasks() {
        checkThread("allTasks");
        return Collections.unmodifiableSet(new LinkedHashSet<>(liveTasks()));
    }

    /**
     * Starts recording this loop's steps (tasks, callbacks, offloaded calls) for a Chrome trace-event file; see
     * {@link Timeline}. Call {@link Timeline#stop()} to stop.
     *
     * @return the recording, which records until stopped
     */
    public Timeline recordTimeline() {
        Timeline t = new Timeline(this);
        tracing.add(t.recorder);
        return t;
    }

    /**
     * The seed given to {@link Builder#scheduleSeed(long)}, if the loop explores schedules.
     *
     * @return the seed, or empty if the loop runs its ready tasks in FIFO order
     */
    public java.util.OptionalLong scheduleSeed() {
        return scheduleRandom == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(scheduleSeed);
    }

    /**
     * A printable tree of the loop's pending tasks: each task under the task that created it, with what it waits on
     * and the line where it waits, its {@link TaskGroup}, where it was created (in debug mode), and the offloaded
     * calls in flight (each named by its {@code Callable}'s own {@code toString()} if its class has one, else by its
     * class). At most 10,000 tasks and 1,000 calls are listed, the others counted, so that a dump of a loop with
     * a million of them stays readable. Callable from any thread: from the loop's own thread the picture is exact;
     * from another thread (e.g. a watchdog or a test timeout looking at a hung loop) it is a best-effort snapshot.
     *
     * @return the tree, one line per task or call, as text
     */
    public String dumpTasks() {
        return TaskDump.render(this, live.snapshot());
    }

    /** The first {@code max} offloaded calls in flight, from any thread (see {@link InFlight#snapshotOrEmpty}). */
    List<Object> inFlightSnapshotOrEmpty(int max) {
        return inFlight.snapshotOrEmpty(max);
    }

    /** How many offloaded calls are in flight; from another thread, a best-effort read. */
    int inFlightCount() {
        return inFlight.size();
    }

    /**
     * The task the loop is running now, or {@code null} in a callback or outside the loop.
     *
     * @return the task whose step runs now on the calling thread, or {@code null}
     */
    public Task<?> currentTask() {
        return holderThread == Thread.currentThread() ? currentTask : null;
    }

    /**
     * Interrupts the thread that holds the loop at this moment: the running task's thread, or the thread that runs
     * the loop while a callback runs. This is for watchdogs that find the loop held up by a blocking call (aio4j-test's
     * {@code runTest} after its timeout): a blocking call that honours interrupts (a latch, a blocking queue,
     * interruptible I/O) then throws in the task that made it. asyncio has no counterpart: its loop and its tasks
     * share one thread, which nothing can interrupt.
     *
     * <p>Safe from any thread. It is a snapshot: if the loop passes from one task to another meanwhile, the interrupt
     * reaches a task that waits in the loop, which is then cancelled (as any task whose thread is interrupted while it
     * waits). Call it only on a loop that has stopped passing.
     *
     * <p>While {@link #close()} runs, the loop is held by the thread closing it, or by a pending task it resumes to
     * unwind: a blocking call in that task's {@code finally} block holds the close, and this interrupts it.
     *
     * @return the thread interrupted, or {@code null} if the loop is neither running nor closing
     */
    public Thread interruptRunningThread() {
        Object o = owner; // read first: it publishes the thread written before it
        Thread th = o instanceof Task<?> t ? t.thread : o == DRIVER ? driverThread : null;
        int state = lifecycle;
        if (th == null || state != RUNNING && state != CLOSING) {
            return null;
        }
        th.interrupt();
        return th;
    }

    // ==============================================================================================================
    // Offloading

    /**
     * Runs {@code call} on {@code executor} and returns a future of its outcome: asyncio's {@code run_in_executor()}.
     * {@code null} means the {@linkplain #setDefaultExecutor default executor}. Cancelling the future interrupts the
     * thread running the call (or skips it if it has not started). An executor that drops a call it accepted without
     * running it (the queue of {@link java.util.concurrent.ExecutorService#shutdownNow()}, a pool whose rejection
     * handler is {@link java.util.concurrent.ThreadPoolExecutor.DiscardPolicy} or {@code DiscardOldestPolicy}) leaves
     * the future pending, as nothing tells the loop: cancel the futures of the calls it dropped (asyncio's
     * {@code cancel_futures=True}), which also stops the loop waiting for them, or give the pool a policy that
     * throws. A call still running when the loop is closed cannot settle its future any more: its result is dropped
     * (as asyncio does), and its failure is logged to the {@code System.Logger} "org.aio4j" at level ERROR rather than
     * lost (but for the {@link IllegalStateException} of a call blocked in {@link Future#get()} that the close
     * reported and released, logged at DEBUG). An executor that runs the call within {@code execute} (a same-thread
     * executor such as {@code Runnable::run}, a saturated pool's
     * {@link java.util.concurrent.ThreadPoolExecutor.CallerRunsPolicy}) runs it before this method returns, while
     * the calling task holds the loop: nothing else runs until the call returns, as under asyncio with such an
     * executor.
     *
     * <p>The loop counts the call as in flight until it ends: virtual time does not jump past it, and deadlock
     * detection knows that it may still complete a future. Except while the call only waits for the loop, and so can
     * bring it nothing before the loop settles one of its futures: while it is blocked in an untimed
     * {@link Future#get()} on a pending future of this loop; and while it waits, not started, in the queue of a
     * {@link java.util.concurrent.ThreadPoolExecutor} (that very class, with one of the JDK's four rejection policies,
     * as {@link Executors#newFixedThreadPool}'s) at its maximum size, each of whose threads runs a call of this loop
     * blocked so. Such calls do not hold a virtual clock, and when nothing else can happen they are a deadlock
     * (reported with the future each blocked call waits for and the pool of each queued one); a close drops the queued
     * ones, which would run after it. A queued call that may start still counts as in flight, so that virtual time
     * passes as on the real clock: a thread of its pool is free, or runs anything else (another loop's call, work
     * submitted by another thread), or the pool is below its maximum size. The loop cannot look into other executors
     * ({@link Executors#newSingleThreadExecutor()}, which wraps its pool, a subclass of {@code ThreadPoolExecutor} such
     * as a {@code ScheduledThreadPoolExecutor}, a {@code ForkJoinPool}, an executor of one's own): a call queued there
     * counts as in flight until it starts, so if all the executor's threads are blocked in {@code get()} on futures
     * that only timers settle, a virtual clock waits for it for ever where the real clock would go on (give such calls
     * a thread each, or a fixed pool).
     *
     * @param <T>      the type of the call's result
     * @param executor the executor to run the call on, or {@code null} for the default executor
     * @param call     the blocking work to run
     * @return a future of this loop, settled with the call's outcome
     * @throws NullPointerException       if {@code call} is null
     * @throws IllegalStateException      if the loop is closed, or this thread does not hold the running loop
     * @throws RejectedExecutionException if the executor refuses the call, or {@code executor} is null and the
     *                                    default executor was shut down (see {@link #shutdownDefaultExecutor}); any
     *                                    other exception its {@code execute} throws is rethrown as is
     */
    public <T> Future<T> runInExecutor(Executor executor, Callable<T> call) {
        Objects.requireNonNull(call, "call must not be null");
        checkNotClosed();
        checkThread("runInExecutor");
        return Offload.submit(this, executor == null ? defaultExecutor() : executor, call);
    }

    /**
     * Wraps a {@link CompletionStage} (a {@link java.util.concurrent.CompletableFuture}, an HTTP client response,
     * ...) in a future of this loop: asyncio's {@code wrap_future()}. The stage completes the future through
     * {@link #callSoonThreadsafe}; awaiting the future never blocks the loop. Cancelling the future cancels the
     * stage if it supports {@code toCompletableFuture().cancel}. The stage counts as in flight until it completes,
     * except a future that {@link #runCoroutineThreadsafe} of this loop returned: once the loop has made its task, only
     * the loop can end it, so it does not hold a virtual clock, and a task that nothing can end is a deadlock.
     *
     * @param <T>   the type of the stage's value
     * @param stage the stage to follow
     * @return a future of this loop, settled with the stage's outcome
     * @throws NullPointerException  if {@code stage} is null
     * @throws IllegalStateException if the loop is closed, or this thread does not hold the running loop
     */
    public <T> Future<T> wrapFuture(CompletionStage<T> stage) {
        Objects.requireNonNull(stage, "stage must not be null");
        checkNotClosed();
        checkThread("wrapFuture");
        return Offload.wrap(this, stage);
    }

    /**
     * Work announced with {@link #expectExternal()}: closing it, from any thread, ends the announcement. Its
     * {@code close()} throws nothing, so the thread that posts can close it without a {@code try}/{@code catch}.
     */
    public interface ExternalWork extends AutoCloseable {

        /** Ends the announcement, once the work has been posted; closing it again does nothing. Thread-safe. */
        @Override
        void close();
    }

    /**
     * Announces work that another thread will deliver with {@link #callSoonThreadsafe}: until the returned handle is
     * closed, the work counts as in flight (virtual time waits for it; deadlock detection does not fire). Close it
     * from any thread once the work has been posted; closing it again does nothing.
     *
     * @return the handle whose {@code close()} ends the announcement; it never throws
     * @throws IllegalStateException if this thread does not hold the running loop
     */
    public ExternalWork expectExternal() {
        checkThread("expectExternal");
        Object token = new Object() {
            @Override
            public String toString() {
                return "external work announced with expectExternal()";
            }
        };
        addInFlight(token);
        var closed = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                post(new Handle((Runnable) () -> removeInFlight(token), null));
            }
        };
    }

    /**
     * Sets the executor used by {@link #runInExecutor} when given {@code null}: asyncio's
     * {@code set_default_executor()}. The loop does not shut down an executor it did not create (except in
     * {@link #shutdownDefaultExecutor}).
     *
     * @param executor the executor for calls given no executor
     * @throws NullPointerException  if {@code executor} is null
     * @throws IllegalStateException if this thread does not hold the running loop
     */
    public void setDefaultExecutor(Executor executor) {
        Objects.requireNonNull(executor, "executor must not be null");
        checkThread("setDefaultExecutor");
        if (ownsDefaultExecutor && defaultExecutor instanceof ExecutorService es) {
            es.shutdown();
        }
        defaultExecutor = executor;
        ownsDefaultExecutor = false;
        defaultExecutorShutDown = false;
    }

    /**
     * Shuts down the default executor and waits up to {@code timeout} for its calls to end: asyncio's
     * {@code shutdown_default_executor()}. Whatever the default executor is, the one the loop created or one set with
     * {@link #setDefaultExecutor}, is shut down, as asyncio does: an {@link ExecutorService} is shut down and
     * awaited; another executor that is {@link AutoCloseable} is closed (an error closing it goes to the exception
     * handler); any other executor is left as it is. Either way, from then on {@code runInExecutor(null, ...)} is
     * refused until {@link #setDefaultExecutor} sets another (asyncio refuses it for good). Must be called while the
     * loop is not running; it blocks the calling thread.
     *
     * @param timeout the longest to wait for the executor's calls to end
     * @return whether the executor terminated in time (true if there was none)
     * @throws NullPointerException     if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException    if the loop is running
     * @throws InterruptedException     if the calling thread is interrupted while it waits
     */
    public boolean shutdownDefaultExecutor(Duration timeout) throws InterruptedException {
        // a timeout too long for a long of nanoseconds is no limit
        return shutDownDefaultExecutorWithin(toNanos(timeout, "timeout"));
    }

    /**
     * As {@link #shutdownDefaultExecutor(Duration)} with the timeout in seconds, as asyncio takes it:
     * {@code await loop.shutdown_default_executor(30.0)} is {@code loop.shutdownDefaultExecutor(30.0)}.
     * {@link Double#POSITIVE_INFINITY} (asyncio's default {@code None}) waits without a limit.
     *
     * @param seconds the longest to wait for the executor's calls to end, in seconds
     * @return whether the executor terminated in time (true if there was none)
     * @throws IllegalArgumentException if {@code seconds} is negative or NaN
     * @throws IllegalStateException    if the loop is running
     * @throws InterruptedException     if the calling thread is interrupted while it waits
     */
    public boolean shutdownDefaultExecutor(double seconds) throws InterruptedException {
        return shutDownDefaultExecutorWithin(toNanos(seconds, "timeout"));
    }

    private boolean shutDownDefaultExecutorWithin(long timeoutNanos) throws InterruptedException {
        if (lifecycle == RUNNING) {
            throw new IllegalStateException("shutdownDefaultExecutor must be called while the loop is not running");
        }
        defaultExecutorShutDown = true; // asyncio records it even if there was no executor yet
        Executor ex = defaultExecutor;
        if (ex instanceof ExecutorService es) {
            es.shutdown();
            return es.awaitTermination(timeoutNanos, TimeUnit.NANOSECONDS);
        }
        if (ex instanceof AutoCloseable c && !(ex instanceof ExecutorService)) {
            try {
                c.close();
            } catch (Exception e) {
                callExceptionHandler(new ExceptionContext("Error closing the default executor", e, null, null));
            }
        }
        return true;
    }

    // ==============================================================================================================
    // OS signals

    /**
     * Runs {@code callback} on this loop each time the process receives the OS signal {@code signal}: asyncio's
     * {@code loop.add_signal_handler(sig, callback)} (Unix only; here, whatever signals the JVM catches on its
     * platform, tested on Linux). The JVM catches the signal, and the callback is posted to the loop as
     * {@link #callSoonThreadsafe} posts one: it runs on the thread that holds the loop, in a later iteration, where
     * it may use the loop's objects (cancel a task, set an {@link Event}, {@link #stop()} the loop), in a copy of the
     * {@link Context} of the code that added it, made by the add: every delivery runs in that same copy, as in
     * asyncio, so what one sets the next sees; an exception it throws goes to the exception handler. A signal that arrives while the loop is
     * not running is run when the loop runs next, or by its {@link #close()}, which runs the callbacks it accepted;
     * one that arrives once the close has begun is dropped.
     *
     * <p>{@code asyncio.run()}'s Ctrl-C, which cancels the main task so that its {@code finally} blocks run, is one
     * line ({@link Aio#run} does not do it by itself: by default Ctrl-C ends the JVM through its shutdown hooks):
     * <pre>{@code
     * Aio.run(() -> {
     *     Task<?> main = Aio.currentTask();
     *     Aio.getRunningLoop().addSignalHandler("INT", main::cancel);
     *     serve(); // at Ctrl-C, a CancellationException here, which Aio.run throws once the finally blocks have run
     *     return null;
     * });
     * }</pre>
     * While the loop holds a signal, a loop that has nothing else to do waits for it, as asyncio's does: a task that
     * waits only for what a handler will do is not reported as deadlocked (deadlock detection is back once the
     * loop's handlers are removed), and a virtual clock still jumps to the next timer. The usual graceful stop:
     * <pre>{@code
     * Event stop = new Event();
     * loop.addSignalHandler("TERM", stop::set);
     * stop.await();   // until kill PID
     * }</pre>
     *
     * <p>{@code signal} is the signal's name, with or without "SIG": {@code "INT"} (Ctrl-C), {@code "TERM"} (what
     * {@code kill} and {@link Process#destroy()} send), {@code "HUP"}, {@code "USR1"}, and so on. A second add for the
     * same signal replaces this loop's handler. While the loop holds a signal, the JVM's own handling of it is off: for
     * INT, TERM and HUP, the JVM's exit through its shutdown hooks. {@link #removeSignalHandler} and {@link #close()}
     * put back the JVM's handler that the loop's first add replaced. The JVM has one handler per signal for the whole
     * process, so one loop at a time holds a signal: another loop's add is refused, naming this loop, until this one
     * removes its handler or is closed; a loop that is never closed holds its signals (and is held by them) until the
     * JVM exits, each delivery posting to a loop that may never run again. A shutdown signal (INT, TERM, HUP) that the
     * process ignored when the JVM started (as {@code nohup} makes it ignore HUP, and a shell without job control INT
     * in a background command) stays ignored: the JVM does not catch it, and the handler never runs, as the shutdown
     * hooks would not.
     *
     * <p>The JDK's signal API ({@code sun.misc.Signal}, in the module {@code jdk.unsupported}) is reached by
     * reflection: no JVM flag is needed.
     *
     * @param signal   the signal's name, such as {@code "INT"} or {@code "SIGTERM"}
     * @param callback the code to run on the loop at each delivery of the signal
     * @throws NullPointerException          if {@code signal} or {@code callback} is null
     * @throws IllegalArgumentException      if no signal has that name, or the JVM cannot hand the signal out: KILL
     *                                       and STOP cannot be caught, and HotSpot keeps QUIT, SEGV, FPE and ILL
     *                                       (and INT, TERM and HUP under {@code -Xrs}) for itself
     * @throws IllegalStateException         if the loop is closed, or this thread does not hold the running loop, or
     *                                       another loop handles the signal
     * @throws UnsupportedOperationException if the Java runtime has no module {@code jdk.unsupported}
     */
    public void addSignalHandler(String signal, Runnable callback) {
        Objects.requireNonNull(signal, "signal must not be null");
        Objects.requireNonNull(callback, "callback must not be null");
        checkNotClosed();
        checkThread("addSignalHandler");
        Signals.add(this, signal, sited(callback), capturedContext());
    }

    /**
     * Removes this loop's handler of {@code signal} and gives the signal back to the handler the JVM had before this
     * loop's first {@link #addSignalHandler} for it (for INT, TERM and HUP, unless something else had replaced it,
     * the JVM's exit through its shutdown hooks): asyncio's {@code loop.remove_signal_handler(sig)}. A delivery
     * already posted to the loop still runs.
     *
     * @param signal the signal's name, with or without "SIG"
     * @return whether this loop had a handler of {@code signal}; false if it had none (another loop's is left alone)
     * @throws NullPointerException     if {@code signal} is null
     * @throws IllegalArgumentException if no signal has that name
     * @throws IllegalStateException    if this thread does not hold the running loop
     */
    public boolean removeSignalHandler(String signal) {
        Objects.requireNonNull(signal, "signal must not be null");
        checkThread("removeSignalHandler");
        return Signals.remove(this, signal);
    }

    // ==============================================================================================================
    // Errors and debug mode

    /**
     * Sets the handler of errors nobody else can receive: asyncio's {@code set_exception_handler()}. {@code null}
     * restores the default, which logs to the {@code System.Logger} named {@code org.aio4j} at level ERROR. Not
     * thread-safe: set it before the loop runs or from the loop's thread (a callback or a task).
     *
     * @param handler the handler, or {@code null} for the default one
     */
    public void setExceptionHandler(ExceptionHandler handler) {
        this.exceptionHandler = handler;
    }

    /**
     * The handler set with {@link #setExceptionHandler}, or {@code null} for the default one.
     *
     * @return the handler, or {@code null} if the default one is in use
     */
    public ExceptionHandler getExceptionHandler() {
        return exceptionHandler;
    }

    /**
     * Passes {@code context} to the exception handler: asyncio's {@code call_exception_handler()}. An exception
     * thrown by the handler is logged with {@code context}, not thrown. The handler runs on the calling thread, in
     * the current {@link Context}, except that a handler set with {@link #setExceptionHandler} called about a task by
     * the loop between its steps (an exception nobody retrieved, reported when the loop closes) or by a thread that
     * runs no loop (the reports of {@link Aio#run}'s and {@link Runner#close()}'s shutdown) sees that task's context
     * values, as asyncio 3.12+ runs it in the context of the task it reports (a value it sets there is not kept); a
     * failing callback's report runs in the callback's context already.
     *
     * @param context what went wrong, and where
     * @throws NullPointerException if {@code context} is null
     */
    public void callExceptionHandler(ExceptionContext context) {
        Objects.requireNonNull(context, "context must not be null");
        ExceptionHandler h = exceptionHandler;
        if (h == null) {
            safeDefaultExceptionHandler(context);
            return;
        }
        Object outer = callbackContext;
        boolean inTasksContext = context.future() instanceof Task<?> && currentTask == null
                && holderThread == Thread.currentThread();
        try {
            if (inTasksContext) {
                callbackContext = Context.bindingsOf(((Task<?>) context.future()).contextSlot());
                h.handle(this, context);
            } else if (context.future() instanceof Task<?> task && ofCurrentThread() == null) {
                // A thread that runs no loop: Aio.run's and Runner.close()'s shutdown reports, among others. As
                // asyncio's, in the task's values; a copy of them, so that what the handler sets is not kept.
                Bindings values = Context.bindingsOf(task.contextSlot());
                new Context(values != null ? values : Bindings.EMPTY).run(() -> h.handle(this, context));
            } else {
                h.handle(this, context);
            }
        } catch (Throwable e) {
            safeDefaultExceptionHandler(new ExceptionContext("Unhandled error in exception handler", e, null, null));
            safeDefaultExceptionHandler(context);
        } finally {
            if (inTasksContext) {
                callbackContext = outer;
            }
        }
    }

    /**
     * The default handler, which must not throw into the loop: a report that cannot be described (an exception whose
     * getMessage throws) is logged as such, as asyncio's call_exception_handler does ("Exception in default exception
     * handler").
     */
    private void safeDefaultExceptionHandler(ExceptionContext context) {
        try {
            defaultExceptionHandler(context);
        } catch (Throwable e) {
            try {
                LOG.log(System.Logger.Level.ERROR, "Exception in default exception handler while reporting: "
                        + context.message(), e);
            } catch (Throwable ignored) {
                // nothing left to report with
            }
        }
    }

    /**
     * Logs {@code context}: asyncio's {@code default_exception_handler()}.
     *
     * @param context what went wrong, and where
     * @throws NullPointerException if {@code context} is null
     */
    public void defaultExceptionHandler(ExceptionContext context) {
        Objects.requireNonNull(context, "context must not be null");
        LOG.log(System.Logger.Level.ERROR, context.describe());
    }

    /**
     * Turns debug mode on or off: asyncio's {@code set_debug()}. In debug mode the loop records where each task is
     * created and where each callback is scheduled (shown in error reports, slow-callback reports and task dumps),
     * from the next {@code createTask}/{@code callSoon}/{@code callLater} on, and where each future is created
     * ({@link #createFuture}, {@link #runInExecutor}, {@link #wrapFuture}, {@link Aio#gather(Future[])}; asyncio's
     * {@code _source_traceback}, shown in its "exception was never retrieved" report); and a watchdog thread
     * reports any callback or task step that holds the loop longer than
     * {@link #setSlowCallbackDuration the slow-callback duration} while it still does, with the stack of the blocking
     * code, and again with the total when it ends (see
     * {@link SlowStep}, {@link Builder#onSlowStep}). Called from the running loop (a task or a callback, as asyncio's
     * {@code get_running_loop().set_debug(True)} in main), it starts or stops the watchdog at once, for the steps that
     * begin from then on; called from another thread, or while the loop is not running, the next time the loop starts
     * running.
     *
     * @param enabled whether debug mode is on
     */
    public void setDebug(boolean enabled) {
        this.debug = enabled;
        if (lifecycle == RUNNING && turning && holderThread == Thread.currentThread()) {
            if (enabled) {
                startWatchdog();
            } else {
                stopWatchdog();
            }
        }
    }

    /**
     * Whether debug mode is on: asyncio's {@code get_debug()}.
     *
     * @return whether debug mode is on
     */
    public boolean isDebug() {
        return debug;
    }

    /**
     * Sets how long a callback or step may hold the loop before debug mode reports it (default 100 ms): asyncio's
     * {@code slow_callback_duration}. Takes effect at once, also while the loop runs (when called on the loop's
     * thread, e.g. from a task).
     *
     * @param duration the longest a callback or task step may hold the loop unreported
     * @throws IllegalArgumentException if {@code duration} is negative
     * @throws NullPointerException if {@code duration} is null
     */
    public void setSlowCallbackDuration(Duration duration) {
        setSlowCallbackNanos(toNanos(duration, "slow callback duration"));
    }

    /**
     * As {@link #setSlowCallbackDuration(Duration)} with the duration in seconds, as asyncio takes it:
     * {@code loop.slow_callback_duration = 0.25} is {@code loop.setSlowCallbackDuration(0.25)}.
     * {@link Double#POSITIVE_INFINITY} means no step is ever reported as slow.
     *
     * @param seconds the longest a callback or task step may hold the loop unreported, in seconds
     * @throws IllegalArgumentException if {@code seconds} is negative or NaN
     */
    public void setSlowCallbackDuration(double seconds) {
        setSlowCallbackNanos(toNanos(seconds, "slow callback duration"));
    }

    private void setSlowCallbackNanos(long nanos) {
        this.slowCallbackNanos = nanos; // a running watchdog reads it at its next poll
    }

    /**
     * How long a callback or step may hold the loop before debug mode reports it: reading asyncio's
     * {@code slow_callback_duration}. 100 ms unless {@link #setSlowCallbackDuration(Duration)} set another; a
     * duration too long for a {@code long} of nanoseconds (infinity in seconds) reads as {@code Long.MAX_VALUE}
     * nanoseconds, some 292 years.
     *
     * @return the longest a callback or task step may hold the loop unreported
     */
    public Duration getSlowCallbackDuration() {
        return Duration.ofNanos(slowCallbackNanos);
    }

    @Override
    public String toString() {
        String state = switch (lifecycle) {
            case RUNNING -> "running";
            case CLOSING -> "closing";
            case CLOSED -> "closed";
            default -> "idle";
        };
        return "EventLoop[" + state + (virtualTime ? ", virtual time" : "") + (debug ? ", debug" : "") + "]";
    }

    // ==============================================================================================================
    // Finding the running loop

    /** The loop held by the current thread, or null. */
    static EventLoop ofCurrentThread() {
        return RunningLoops.ofCurrentThread();
    }

    // ==============================================================================================================
    // Checks used by the other classes of this package

    /** Throws unless the current thread may use loop objects now. */
    void checkThread(String operation) {
        Thread h = holderThread;
        if (h != null && h != Thread.currentThread()) {
            throw new IllegalStateException(operation + " called from thread " + Thread.currentThread()
                    + ", which does not hold " + this + "; loop objects are not thread-safe:"
                    + " from another thread use loop.callSoonThreadsafe(...)");
        }
    }

    /** Whether {@link #close()} is finishing the pending work: a task created now will never run. */
    boolean isClosing() {
        return closing;
    }

    void checkNotClosed() {
        if (lifecycle == CLOSED) {
            throw new IllegalStateException("Event loop is closed");
        }
    }

    /** The task of this loop that is about to suspend for {@code operation}; throws if there is none. */
    Task<?> taskAwaiting(Object what, String operation) {
        Thread me = Thread.currentThread();
        if (holderThread != me) {
            EventLoop other = ofCurrentThread();
            if (other != null) {
                throw new IllegalStateException(operation + ": " + what + " is attached to a different loop");
            }
            throw new IllegalStateException(operation + " must be called from a task of a running event loop ("
                    + (lifecycle == RUNNING ? "this thread does not hold it" : "the loop is not running")
                    + "); to block a thread until a future is done, use get()");
        }
        Task<?> t = currentTask;
        if (t == null) {
            throw new IllegalStateException(operation + " cannot suspend in a callback: callbacks run on the loop"
                    + " and must not wait; schedule a task with createTask instead");
        }
        return t;
    }

    /** For get(): the task that will suspend, or null if the calling thread may block. */
    Task<?> taskOrBlockableThread(Object what, String operation) {
        Thread me = Thread.currentThread();
        if (holderThread == me) {
            return taskAwaiting(what, operation);
        }
        if (ofCurrentThread() != null) {
            throw new IllegalStateException(operation + ": " + what + " is attached to a different loop;"
                    + " blocking here would stall the loop this thread is running");
        }
        return null;
    }

    // ==============================================================================================================
    // Scheduling internals

    long nowNanos() {
        if (lifecycle == RUNNING && holderThread == Thread.currentThread()) {
            return now;
        }
        return freshNow();
    }

    private long freshNow() {
        return virtualTime ? virtualNow : System.nanoTime() - ORIGIN;
    }

    /** Schedules {@code fn} {@code delayNanos} (>= 0) from now; a delay past {@link Timers#LATEST} ends there. */
    TimerHandle scheduleAfter(long delayNanos, Object fn) {
        return scheduleAt(saturatedAdd(nowNanos(), delayNanos), fn);
    }

    /**
     * Schedules {@code fn} at loop time {@code whenNanos}, or at {@link Timers#LATEST} if that is later: a timer so
     * far away is still a timer (the loop waits for it, it is no deadlock), and {@link Timers#NONE} stays free to
     * mean that there is none.
     */
    private TimerHandle scheduleAt(long whenNanos, Object fn) {
        TimerHandle h = new TimerHandle(this, Math.min(whenNanos, Timers.LATEST), timers.nextSeq(), fn, null);
        timers.add(h);
        return h;
    }

    /** {@code a + b}, or {@link Long#MAX_VALUE} if that overflows; {@code b} must be >= 0. */
    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /** Queues a task to be resumed; a second wake-up before it runs is a no-op. */
    void makeReady(Task<?> task) {
        if (!task.queued) {
            task.queued = true;
            ready.add(task);
        }
    }

    /** Schedules a done-callback entry of {@code future}: a waiting task, or a consumer of the future. */
    void scheduleCallback(Object entry, Future<?> future) {
        if (entry instanceof Task<?> t) {
            t.wakeFrom(future);
        } else if (entry instanceof Future.InContext c) {
            Handle h = new Handle(c.callback(), future);
            h.context = c.context();
            enqueue(h);
        } else {
            enqueue(new Handle(entry, future));
        }
    }

    /**
     * Adds {@code item} to the ready queue. While the loop is idle, what {@link #callSoonThreadsafe} posted
     * meanwhile goes first: asyncio puts both in the same ready queue, so callSoon/callSoonThreadsafe/createTask made
     * before the loop runs keep their order. Not while it is closing: the close took every post it accepted when it
     * began, and a post arriving since is being refused (see {@link #post}), which a drain here would turn into one
     * accepted and then, if the close has no round left to run it, dropped.
     */
    private void enqueue(Object item) {
        int state = lifecycle;
        if (state != RUNNING) {
            if (state == CLOSED) {
                reportScheduledAfterClose(item);
                return;
            }
            if (state == IDLE) {
                inbox.drainAllTo(ready);
            }
        }
        ready.add(item);
    }

    /**
     * A done callback of a future settled after its loop closed: it can never run. asyncio raises in the
     * {@code set_result()} that scheduled it; here the future is settled all the same and the lost callback is
     * reported rather than left in a queue nobody drains.
     */
    private void reportScheduledAfterClose(Object item) {
        callExceptionHandler(new ExceptionContext("Event loop is closed: " + item + " was scheduled after the close"
                + " and will never run", null, item instanceof Task<?> t ? t : null,
                item instanceof Handle h ? h : null));
    }

    /**
     * Adds a handle to the inbox from any thread; false if the loop is closing or closed. A post racing
     * {@link #close()} is either refused or run by the close, never lost nor left behind: close writes CLOSING and
     * then drains the inbox, and a post adds its handle and then reads the state again. If it still reads the loop
     * open, the drain comes later and takes the handle; if it reads it closing, it takes its handle back, unless the
     * drain took it first. Nothing else empties the inbox of a closing loop.
     */
    boolean post(Handle h) {
        if (lifecycle >= CLOSING) {
            return false;
        }
        inbox.post(h);
        return lifecycle < CLOSING || !inbox.withdraw(h);
    }

    /**
     * From a thread about to block in {@link Future#get()}: a running loop waiting for its inbox looks again at what
     * is in flight. An offloaded call blocked on the loop's future posts nothing, and the loop, which may have begun
     * to wait while the call was still on its way there, would otherwise wait for it for ever (see
     * {@link InFlight#onlyWaitsForTheLoop()}).
     */
    void recheckWhenIdle() {
        if (lifecycle == RUNNING) {
            post(new Handle(NO_OP, null));
        }
    }

    private static final Runnable NO_OP = () -> { };

    /** Whether posts wait in the inbox (for tests: a closed loop must keep none). */
    boolean hasPosts() {
        return !inbox.isEmpty();
    }

    /** How many posts wait in the inbox (for tests). */
    int postsWaiting() {
        return inbox.size();
    }

    void addInFlight(Object op) {
        inFlight.add(op);
    }

    void removeInFlight(Object op) {
        inFlight.remove(op);
    }

    /** A future done when no offloaded call or wrapped stage is in flight any more. */
    Future<Void> inFlightDrained() {
        return inFlight.drained();
    }

    List<Object> inFlightSnapshot() {
        return inFlight.snapshot();
    }

    /** See {@link InFlight#notWaitingForTheLoop()}. */
    List<Object> inFlightNotWaitingForTheLoop() {
        return inFlight.notWaitingForTheLoop();
    }

    /** Whether {@link Builder#deadlockDetection} is on. */
    boolean detectsDeadlocks() {
        return deadlockDetection;
    }

    void trackUnretrieved(Future<?> f) {
        unretrieved.add(f);
        if (unretrieved.size() >= unretrievedPruneAt) {
            unretrieved.removeIf(Future::isRetrieved);
            unretrievedPruneAt = Math.max(64, unretrieved.size() * 2);
        }
    }

    void unlinkLive(Task<?> t) {
        live.remove(t);
    }

    /** Pending tasks in creation order. */
    List<Task<?>> liveTasks() {
        return live.list();
    }

    private Executor defaultExecutor() {
        if (defaultExecutorShutDown) { // whatever it was, even one that shutdownDefaultExecutor had to leave as it is
            throw new RejectedExecutionException(
                    "the default executor was shut down (shutdownDefaultExecutor): set another with setDefaultExecutor");
        }
        Executor ex = defaultExecutor;
        if (ex == null) {
            ex = Executors.newThreadPerTaskExecutor(Schedulers.sharedThreads("aio4j-executor-", 0));
            defaultExecutor = ex;
            ownsDefaultExecutor = true;
        }
        return ex;
    }

    static Executor toThreadExecutor() {
        return TO_THREAD;
    }

    /**
     * Whether {@code executor.execute} must be called from the JDK's scheduler rather than this task's thread: on a
     * dedicated carrier, a virtual thread that the executor starts would otherwise inherit the loop's carrier.
     */
    boolean submitsOffCarrier(Executor executor) {
        return carrier != null && executor != TO_THREAD && !(ownsDefaultExecutor && executor == defaultExecutor);
    }

    /** {@code context}, checked, as what a handle runs in (an Object, so that the private overloads take it). */
    private static Object requireContext(Context context) {
        return Objects.requireNonNull(context, "context must not be null");
    }

    /**
     * In debug mode, {@code callback} with the user code scheduling it, for debug mode's reports (see
     * {@link SitedCallback}); else {@code callback} itself.
     */
    private Runnable sited(Runnable callback) {
        return debug ? new SitedCallback(callback, creationStack()) : callback;
    }

    // ---- the current Context (see Context)

    /**
     * Where the current context of the code holding this loop is: the running task's (a {@link Context} or its
     * {@link Bindings}), the running callback's, or null if neither runs (the loop's own code, or a loop not
     * running), when it is the thread's.
     */
    Object contextSlot() {
        Task<?> t = currentTask;
        return t != null ? t.contextSlot() : callbackContext;
    }

    /**
     * The task in a step now whose own context is {@code context}: the running task, or a task waiting in its step
     * for the eager step of a task it created; null if none. asyncio enters a task's context for each step, so a
     * {@link Context#run} of it is refused there.
     */
    Task<?> inStepWithOwnContext(Context context) {
        Task<?> t = currentTask;
        if (t != null && t.hasOwnContext(context)) {
            return t;
        }
        for (EagerStart e = eager; e != null; e = e.outer) {
            if (e.creatorTask != null && e.creatorTask.hasOwnContext(context)) {
                return e.creatorTask;
            }
        }
        return null;
    }

    /** Replaces what {@link #contextSlot()} returns (non-null), for the running task or callback. */
    void setContextSlot(Object context) {
        Task<?> t = currentTask;
        if (t != null) {
            t.setContextSlot(context);
        } else {
            callbackContext = context;
        }
    }

    /** The current context's values, for a caller that holds this loop or has checked it is not running. */
    Bindings currentBindings() {
        if (holderThread == Thread.currentThread()) {
            Object slot = contextSlot();
            if (slot != null) {
                return Context.bindingsOf(slot);
            }
        }
        return Context.threadBindings();
    }

    /** What a callback scheduled now runs in: the current values, null for none (which costs a handle nothing). */
    private Bindings capturedContext() {
        Bindings b = holderThread == Thread.currentThread() ? currentBindings() : Context.currentBindings();
        return b == Bindings.EMPTY ? null : b;
    }

    /** The user frames of the current thread's stack (at most 12, innermost first): debug mode's creation sites. */
    StackTraceElement[] creationStack() {
        return StackWalker.getInstance().walk(frames -> frames
                .map(StackWalker.StackFrame::toStackTraceElement)
                .filter(Task::isUserFrame)
                .limit(12)
                .toArray(StackTraceElement[]::new));
    }

    // ---- the baton

    /**
     * Suspends the running task {@code t}: runs the loop until the next task (or the driver) is due, hands the loop
     * to it, and returns when {@code t} holds the loop again.
     *
     * <p>Waiting for the loop: a task likely to be resumed soon spins first ({@link #spinForTurn}), then parks. It
     * announces that with {@link Task#parked} before checking {@link #owner} one last time, and the hand-over writes
     * {@code owner} before reading {@code parked}: one of the two sees the other, so no wake-up is lost, and a
     * spinning task is never unparked for nothing. The re-check after each park is a separate bytecode from the check
     * before parking on purpose: the JIT compiles this frame while a million tasks may be parked in it, and a check
     * that had only ever failed would carry a trap on its success path, hit by every one of them on resume (measured:
     * a deoptimisation, 30 us, per task).
     *
     * <p>The park is here, not in a method of its own, and after it the loop is read again from the task instead of
     * using {@code this}: a parked task keeps its frames, and the JIT inlines only so many levels and keeps in a
     * frame whatever is live across the park (see {@code docs/internals.md}, "Parked stacks").
     */
    void suspend(Task<?> t) {
        if (closing) {
            refuseSuspensionWhileClosing(t);
        }
        if (tracing.active()) {
            tracing.stepEnded(t, false);
        }
        if (inEagerStep(t)) {
            endEagerStep();
        } else {
            boolean spin = this.spin.worthTrying();
            if (!handOff(t) || (spin && spinForTurn(t))) {
                return;
            }
        }
        t.parked = true;
        if (owner == t) {
            t.parked = false;
            return;
        }
        do {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interruptedWhileParked(t);
            }
        } while (t.loop.owner != t);
        t.parked = false;
    }

    /**
     * Spins briefly, waiting for {@code me} to hold the loop again; returns whether it does. With two or more carrier
     * threads, the task this one handed the loop to runs on another carrier, and a short step hands the loop back
     * before this one has parked. The hand-over then costs a cache-line transfer instead of a trip through the
     * virtual-thread scheduler, which wakes an idle carrier each time (measured: 850 ns per switch without spinning,
     * the scheduler's wake-ups being most of it). See {@link SpinPolicy} for when it is tried.
     */
    private boolean spinForTurn(Task<?> me) {
        long deadline = System.nanoTime() + SpinPolicy.SPIN_NANOS;
        do {
            for (int i = 0; i < 32; i++) {
                if (owner == me) {
                    spin.record(true);
                    return true;
                }
                Thread.onSpinWait();
            }
        } while (System.nanoTime() < deadline);
        // Recorded now, not when the loop comes back: that may be after a million other suspensions.
        spin.record(false);
        return false;
    }

    /** A task's thread was interrupted while it waited for the loop: its task is cancelled when the loop gets to it. */
    private static void interruptedWhileParked(Task<?> t) {
        EventLoop loop = t.loop;
        loop.post(new Handle((Runnable) () -> loop.onInterrupted(t), null));
    }

    /**
     * How many suspensions the closing loop refuses a task before it abandons it. Unwinding nested {@code finally}
     * blocks that each try to await is refused a few times; only a coroutine that catches the refusal and tries again
     * in a loop reaches this.
     */
    static final int REFUSALS_BEFORE_ABANDON = 100;

    /**
     * A task that {@link #close()} resumed with a cancellation tries to suspend again. It is refused with an exception,
     * so that its {@code finally} blocks run on. A coroutine that catches the refusal and tries again, over and over,
     * would hold the closing loop for ever: after {@link #REFUSALS_BEFORE_ABANDON} refusals the task is reported,
     * settled as cancelled and abandoned where it is, its thread parked for good (it is never handed the loop again).
     */
    private void refuseSuspensionWhileClosing(Task<?> t) {
        if (t.refuseSuspensionAtClose() < REFUSALS_BEFORE_ABANDON) {
            throw new IllegalStateException("Event loop is closed: " + t.getName() + " cannot suspend any more");
        }
        callExceptionHandler(new ExceptionContext("Task went on trying to suspend after its event loop closed (it"
                + " caught the refusal " + REFUSALS_BEFORE_ABANDON + " times); it was abandoned where it waits, and its"
                + " finally blocks will not run", null, t, null));
        t.settleAbandoned();
        transferTo(DRIVER);
        for (;;) {
            LockSupport.park(this);
            Thread.interrupted(); // an interrupt (runTest's interruptRunningThread) must not turn the park into a spin
        }
    }

    /** Called on a task's thread when its coroutine has ended: settles it and hands the loop on. */
    void exitTask(Task<?> t, Object value, Throwable error) {
        try {
            settleTask(t, value, error);
            if (tracing.active()) {
                tracing.stepEnded(t, true);
            }
            if (closing) {
                transferTo(DRIVER);
            } else if (inEagerStep(t)) {
                endEagerStep();
            } else {
                handOff(null);
            }
        } catch (Throwable internal) {
            fatal = internal;
            if (inEagerStep(t)) {
                endEagerStep(); // its creator goes on; the loop returns to its driver with the failure at this iteration's end
            } else {
                transferTo(DRIVER);
            }
        }
        // The thread ends now. Let it go with its continuation (about 300 bytes): a program may keep its done tasks
        // by the million. Written after the hand-off, so that the loop's holder is never a task without a thread;
        // the loop reads a done task's thread nowhere else.
        t.thread = null;
    }

    @SuppressWarnings("unchecked")
    private static <T> void settleTask(Task<T> t, Object value, Throwable error) {
        t.settle((T) value, error);
    }

    /**
     * The scheduler: runs ready callbacks, iteration after iteration, until a task is due (or the loop must return
     * to its driver), and hands the loop to it. Returns {@code false} if the strand due is {@code self}, which then
     * simply goes on; {@code true} if the loop was handed to another strand.
     *
     * <p>This is deliberately one large method (asyncio's {@code _run_once} plus dispatch, with callbacks run
     * inline). A suspended task keeps the frames of its suspension path on its stack, and the JIT sizes a frame for
     * everything inlined into it: if the scheduler were small enough to be inlined into {@link #suspend}, every
     * parked task would carry the scheduler's spill slots. Being over the JIT's inlining size keeps parked stacks
     * small (measured: about a third less memory per suspended task).
     */
    private boolean handOff(Object self) {
        Object next;
        for (;;) {
            if (batch == 0) {
                if (fatal != null || (stopping && iterations > 0)) {
                    next = DRIVER;
                    break;
                }
                // Begin an iteration: the inbox, then (if nothing is ready) wait, then due timers.
                inbox.drainTo(ready);
                if (ready.isEmpty() && !stopping) {
                    idle();
                }
                now = freshNow();
                inbox.drainTo(ready);
                timers.popDue(now, ready);
                batch = ready.size();
                iterations++;
                if (scheduleRandom != null) {
                    shuffleReadyTasks();
                }
                continue;
            }
            batch--;
            Object item = ready.pollFirst();
            if (item instanceof Task<?> t) {
                t.queued = false;
                if (t.isDone()) {
                    continue;
                }
                if (t.thread == null && t.mustCancelBeforeStart()) {
                    settleUnstarted(t);
                    continue;
                }
                next = t;
                break;
            }
            Handle h = (Handle) item;
            if (h.cancelled) {
                continue;
            }
            boolean traced = tracing.active();
            if (traced) {
                tracing.stepStarted(h);
            }
            runCallback(h);
            if (traced) {
                tracing.stepEnded(h, false);
            }
        }
        if (next != DRIVER && tracing.active()) {
            tracing.stepStarted(next);
        }
        if (next == self) {
            currentTask = self instanceof Task<?> t ? t : null;
            return false;
        }
        transferTo(next);
        return true;
    }

    /**
     * Settles a task cancelled before it ever ran, as a step of its own for the observers: its one step, which ends
     * it, so that a timeline shows it in a row of its own and a JFR recording sees it finish, as every task created.
     */
    private void settleUnstarted(Task<?> t) {
        boolean traced = tracing.active();
        if (traced) {
            tracing.stepStarted(t);
        }
        t.settleUnstarted();
        if (traced) {
            tracing.stepEnded(t, true);
        }
    }

    /** Schedule exploration: shuffles the ready tasks among their own positions; callbacks keep theirs. */
    private void shuffleReadyTasks() {
        Object[] items = ready.toArray();
        var taskSlots = new ArrayList<Integer>();
        var tasks = new ArrayList<Object>();
        for (int i = 0; i < items.length; i++) {
            if (items[i] instanceof Task<?>) {
                taskSlots.add(i);
                tasks.add(items[i]);
            }
        }
        if (tasks.size() < 2) {
            return;
        }
        Collections.shuffle(tasks, scheduleRandom);
        for (int i = 0; i < taskSlots.size(); i++) {
            items[taskSlots.get(i)] = tasks.get(i);
        }
        ready.clear();
        Collections.addAll(ready, items);
    }

    private void transferTo(Object next) {
        if (next == DRIVER) {
            currentTask = null;
            holderThread = driverThread;
            owner = DRIVER;
            LockSupport.unpark(driverThread);
            return;
        }
        Task<?> t = (Task<?>) next;
        Thread th = t.thread;
        currentTask = t;
        if (th == null) {
            th = taskThreads.newThread(Task.START);
            t.thread = th;
            holderThread = th;
            owner = t;
            th.start();
        } else {
            holderThread = th;
            owner = t;
            if (t.parked) {
                LockSupport.unpark(th);
            }
        }
    }

    /** The driver's wait: it gets the loop back only when the loop stops, so it never spins. */
    private void awaitDriverTurn() {
        do {
            LockSupport.park(this);
            if (Thread.interrupted() && driverInterruptPosted == null) {
                Handle h = new Handle((Runnable) () -> onInterrupted(DRIVER), null);
                driverInterruptPosted = h; // before the post: the loop may run it at once
                if (!post(h)) {
                    driverInterruptPosted = null;
                    // Refused: the loop is closing and this thread waits for a task it resumed. The interrupt is not
                    // the loop's to act on; it is the caller's of close(), given back when the close returns.
                    driverInterrupted = true;
                }
            }
        } while (owner != DRIVER);
    }

    /** A thread of this loop was interrupted while it waited: cancel its task (the main one for the driver). */
    private void onInterrupted(Object who) {
        if (who == DRIVER) {
            driverInterruptPosted = null;
            driverInterrupted = true;
            if (stopTarget instanceof Task<?> main && !mainCancelledByInterrupt) {
                mainCancelledByInterrupt = true;
                main.cancel("the thread running the event loop was interrupted");
            } else { // asyncio's second Ctrl-C: KeyboardInterrupt, the main task left as it is
                stoppedByInterrupt = true;
                stop();
            }
        } else if (who instanceof Task<?> t) {
            t.cancel("the task's thread was interrupted");
        }
    }

    /** Nothing is ready: wait for the next timer or for the inbox, or jump the virtual clock. */
    private void idle() {
        long deadline = timers.nextDeadline();
        if (virtualTime) {
            if (deadline != Timers.NONE && deadline <= virtualNow) {
                return; // a timer is due already (callLater(0), callAt in the past): no jump needed, nothing to wait for
            }
            if (inFlight.onlyWaitsForTheLoop() && inbox.isEmpty()) {
                if (blockedWaiters.any()) {
                    blockedWaiters.wakeAll(); // before the clock jumps: the tasks sleeping count as blocked
                    return;
                }
                if (deadline != Timers.NONE) {
                    virtualNow = Math.max(virtualNow, deadline);
                    return;
                }
                if (stalled()) {
                    return;
                }
            }
            waitForInbox(Long.MAX_VALUE);
            return;
        }
        if (deadline == Timers.NONE) {
            if (!wokeBlockedWaiters() && (!inFlight.onlyWaitsForTheLoop() || !stalled())) {
                waitForInbox(Long.MAX_VALUE);
            }
            return;
        }
        // The clock reads >= 0 and a timer may be due long ago (callAt(-1e300)): no subtraction that can overflow.
        long clock = freshNow();
        if (deadline > clock && !wokeBlockedWaiters()) {
            waitForInbox(deadline - clock);
        }
    }

    /**
     * On the real clock, when nothing is ready and no timer is due: wakes the tasks in
     * {@link Aio#waitAllTasksBlocked()} unless an offloaded call or another thread may still bring work.
     */
    private boolean wokeBlockedWaiters() {
        if (!blockedWaiters.any() || !inFlight.onlyWaitsForTheLoop() || !inbox.isEmpty()) {
            return false;
        }
        blockedWaiters.wakeAll();
        return true;
    }

    /**
     * Nothing can ever happen again: if runUntilComplete waits for a future, that is a deadlock. Not while the loop
     * holds a signal, which may come and post work.
     */
    private boolean stalled() {
        if (!deadlockDetection || stopTarget == null || stopTarget.isDone() || !inbox.isEmpty()
                || Signals.heldBy(this)) {
            return false;
        }
        fatal = new DeadlockException(stopTarget, liveTasks(), inFlight.blockedCalls(WaitGraph.MAX_REPORTED_TASKS));
        return true;
    }

    private void waitForInbox(long timeoutNanos) {
        if (inbox.await(this, timeoutNanos)) {
            onInterrupted(owner);
        }
    }

    // ---- lifecycle internals

    /**
     * Makes the current thread the loop's driver for one run, or refuses: a closed loop, a running one, or one on a
     * thread that runs another loop. Of two threads that start an idle loop at once, exactly one claims it (a
     * compare-and-set); the other is told it is already running. The claim covers the whole run, from creating the
     * main task to reading its result, and ends with {@link #release()}.
     */
    private void claim() {
        int state = lifecycle;
        if (state == CLOSED || state == CLOSING) {
            throw new IllegalStateException("Event loop is closed");
        }
        if (state == RUNNING) {
            throw new IllegalStateException("This event loop is already running");
        }
        if (ofCurrentThread() != null) {
            throw new IllegalStateException("Cannot run the event loop while another loop is running in this thread");
        }
        if (!LIFECYCLE.compareAndSet(this, IDLE, RUNNING)) {
            // Another thread ran or closed it at that moment; a run may have ended since (IDLE again): it was running.
            int now = lifecycle;
            throw new IllegalStateException(now == CLOSED || now == CLOSING ? "Event loop is closed"
                    : "This event loop is already running");
        }
        Thread me = Thread.currentThread();
        driverThread = me;
        holderThread = me;
        owner = DRIVER;
        // What was posted before the run goes before what the run schedules (enqueue() drains only when not running).
        inbox.drainAllTo(ready);
    }

    /** Ends the claim of {@link #claim()}; the loop is idle only once every field of the run is reset. */
    private void release() {
        holderThread = null;
        currentTask = null;
        driverThread = null;
        owner = null;
        lifecycle = IDLE;
    }

    private void enterRunning() {
        warmUp();
        turning = true;
        currentTask = null;
        iterations = 0;
        batch = 0;
        driverInterrupted = false;
        stoppedByInterrupt = false;
        mainCancelledByInterrupt = false;
        RunningLoops.add(this);
        if (debug) {
            startWatchdog();
        }
    }

    /** Debug mode's watchdog, on the thread that holds the loop as it starts running or as debug mode is turned on. */
    private void startWatchdog() {
        if (watchdog == null) {
            watchdog = new Watchdog(() -> slowCallbackNanos, slowStepSink);
            tracing.add(watchdog);
            watchdog.start();
        }
    }

    private void stopWatchdog() {
        if (watchdog != null) {
            watchdog.stop();
            tracing.remove(watchdog);
            watchdog = null;
        }
    }

    private void leaveRunning() {
        stopWatchdog();
        RunningLoops.remove(this);
        turning = false;
        stopping = false;
        batch = 0;
        currentTask = null;
        owner = DRIVER; // the driver keeps the loop until release(): runUntilComplete still reads its future
        holderThread = Thread.currentThread();
        Handle posted = driverInterruptPosted;
        if (posted != null) {
            // The run ended before the loop got to the interrupt: it is given back to the caller, whose next run
            // (a Runner's) it must not cancel.
            posted.cancelled = true;
            driverInterruptPosted = null;
            driverInterrupted = true;
        }
        if (driverInterrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The work of {@link #close()} on the thread that claimed it, which holds the loop meanwhile: runs the callbacks
     * scheduled and cancels the pending tasks, round after round, then reports what is left.
     */
    private void finishPendingWork() {
        Thread me = Thread.currentThread();
        driverThread = me;
        holderThread = me;
        owner = DRIVER;
        closing = true;
        driverInterrupted = false;
        RunningLoops.add(this); // so that a task unwinding here finds its loop and is told it is closing
        try {
            // Posts accepted before the close are all in the inbox now: a later post is refused (see post()).
            inbox.drainAllTo(ready);
            runClosingRounds();
            // Tasks that the last round created. Cancelling one runs no code of its, but reporting it runs the
            // exception handler, which may create another: bounded like the rounds.
            for (int pass = 0; pass < CLOSING_ROUNDS && !live.isEmpty(); pass++) {
                liveTasks().forEach(this::abandon);
            }
            cancelCreatedWhileClosing();
            reportDropped();
            reportFailures();
            reportBlockedCalls();
            // What the reports scheduled (an exception handler's callSoon) runs too, as what the rounds' callbacks
            // schedule does, rather than being cleared with the closed loop's queue unseen; and the failures it
            // leaves unretrieved are reported in turn, until the reports schedule nothing more (bounded).
            for (int pass = 0; pass < CLOSING_ROUNDS && !(ready.isEmpty() && live.isEmpty()); pass++) {
                runClosingRounds();
                cancelCreatedWhileClosing();
                reportFailures();
            }
            reportDropped();
        } finally {
            RunningLoops.remove(this);
            closing = false;
            holderThread = null;
            owner = null;
            driverThread = null;
            currentTask = null;
            if (driverInterrupted) {
                driverInterrupted = false;
                me.interrupt();
            }
        }
    }

    /** Reports the exceptions nobody retrieved and the failures held for the close (see {@link Failures.Held}). */
    private void reportFailures() {
        reportUnretrieved();
        for (var it = heldFailures.iterator(); it.hasNext(); ) { // one the handler holds meanwhile: the next pass's
            Failures.Held held = it.next();
            it.remove();
            held.reportAtClose();
        }
    }

    /**
     * Offloaded calls still blocked in {@link Future#get()} on a future the close leaves pending: they are released
     * with an {@link IllegalStateException} once the loop is closed, an outcome it can no longer deliver; and calls
     * queued behind them on a pool all of whose threads they take, which are dropped (they would run only once the
     * close has released those threads, with no loop to take their outcome). They are reported now, while the
     * exception handler can still hear of them.
     */
    private void reportBlockedCalls() {
        for (String call : inFlight.blockedCallsReportedAtClose()) {
            callExceptionHandler(new ExceptionContext("Event loop closed while " + call, null, null, null));
        }
    }

    /**
     * The close's rounds: each runs the callbacks queued and resumes every pending task once with its cancellation,
     * until nothing is queued or pending, or {@value #CLOSING_ROUNDS} rounds have run.
     */
    private void runClosingRounds() {
        for (int round = 0; round < CLOSING_ROUNDS && !(ready.isEmpty() && live.isEmpty()); round++) {
            runOrCancelQueued();
            liveTasks().forEach(this::abandon);
        }
    }

    /** One round of the close: what is queued now, in order; a task queued to be resumed is cancelled instead. */
    private void runOrCancelQueued() {
        for (int n = ready.size(); n > 0; n--) {
            Object item = ready.pollFirst();
            if (item instanceof Task<?> t) {
                t.queued = false;
                abandon(t);
                continue;
            }
            Handle h = (Handle) item;
            if (!h.cancelled) {
                runCallback(h);
            }
        }
    }

    /**
     * Runs {@code h}'s callback in its context, reporting what it throws, as asyncio's {@code Handle._run}. A
     * {@link Context} given to it ({@link #callSoon(Runnable, Context)} and the like) is entered for the call: one that
     * a {@link Context#run} has entered, on this thread or another, is not run in, and the callback is reported instead
     * (asyncio's RuntimeError "cannot enter context").
     */
    private void runCallback(Handle h) {
        currentTask = null;
        Context given = h.context instanceof Context c ? c : null;
        try {
            if (given != null) {
                given.markEntered();
            }
            callbackContext = h.context != null ? h.context : Bindings.EMPTY;
            try {
                h.run();
            } finally {
                if (given != null) {
                    given.leave();
                }
            }
        } catch (Throwable e) {
            callExceptionHandler(new ExceptionContext("Exception in callback " + h, e, null, h));
        }
        callbackContext = null;
    }

    private void abandon(Task<?> t) {
        if (t.isDone()) {
            return;
        }
        callExceptionHandler(new ExceptionContext(
                "Task was still pending when its event loop closed; it was cancelled", null, t, null));
        if (t.thread == null) {
            t.requestCancel("event loop closed", true);
            settleUnstarted(t);
        } else if (!t.isDone()) {
            t.breakShields();
            t.requestCancel("event loop closed", true);
            transferTo(t);
            awaitDriverTurn();
        }
    }

    /**
     * Runs {@code work} at once in a task of its own, from a callback that {@link #close()} runs, and returns the task,
     * done: for clean-up that such a callback owes and that only a task can do. Closing a started
     * {@link AsyncGenerator} resumes its body, which runs as the task that drives it; a task merely created now would
     * never run (the close cancels it before it starts), and the body would stay parked with its {@code finally}
     * blocks not run. The task is started as the close resumes a pending task: its suspensions are refused, and one
     * that keeps trying is abandoned (see {@link #refuseSuspensionWhileClosing}). asyncio has no counterpart: its
     * {@code close()} runs nothing.
     *
     * @throws IllegalStateException unless called by a callback of the close
     */
    <T> Task<T> runTaskWhileClosing(Coroutine<T> work, String name) {
        if (!closing || holderThread != Thread.currentThread() || currentTask != null) {
            throw new IllegalStateException("runTaskWhileClosing must be called by a callback of close(): " + this);
        }
        Task<T> t = createQueuedTask(work, name);
        ready.removeLastOccurrence(t); // run here and now, not queued for the next round (which would cancel it)
        t.queued = false;
        transferTo(t);
        awaitDriverTurn();
        return t;
    }

    /**
     * Cancels, with one report for all of them, the tasks still pending after the close's last pass: tasks created
     * (by the exception handler the passes report to) as fast as they are cancelled. None has started: only the
     * tasks pending before the close have, and the rounds resumed each of those.
     */
    private void cancelCreatedWhileClosing() {
        List<Task<?>> left = liveTasks();
        if (left.isEmpty()) {
            return;
        }
        for (Task<?> t : left) {
            t.requestCancel("event loop closed", true);
            settleUnstarted(t);
        }
        int n = left.size();
        callExceptionHandler(new ExceptionContext(n + (n == 1 ? " task" : " tasks") + " created while closing the"
                + " event loop " + (n == 1 ? "was" : "were") + " still pending after " + CLOSING_ROUNDS + " passes of"
                + " cancelling such tasks; " + (n == 1 ? "it was" : "they were") + " cancelled: "
                + left.stream().limit(10).toList(), null, null, null));
    }

    /** Reports the callbacks that the close's rounds did not get to, which it drops. */
    private void reportDropped() {
        // A task still queued is done by now (the close settled every task): its entry is stale, not a callback.
        ready.removeIf(item -> item instanceof Handle h ? h.cancelled : ((Task<?>) item).isDone());
        if (ready.isEmpty()) {
            return;
        }
        int n = ready.size();
        callExceptionHandler(new ExceptionContext(n + (n == 1 ? " callback" : " callbacks") + " still scheduled after "
                + CLOSING_ROUNDS + " rounds of closing the event loop " + (n == 1 ? "was" : "were")
                + " dropped: " + ready.stream().limit(10).toList(), null, null, null));
        ready.clear();
    }

    /**
     * Reports the exceptions nobody retrieved: a failed future's exception, and each failure attached to the
     * cancellation of a task that ended cancelled (see {@code Future.markCancelled(String, CancellationException)}),
     * which nobody awaited, or to the cancellation a future failed with (a gather's, passing a child's on).
     */
    private void reportUnretrieved() {
        for (Future<?> f : unretrieved) {
            if (f.isRetrieved()) {
                continue;
            }
            String what = f instanceof Task<?> ? "Task" : "Future";
            boolean cancelled = f.isCancelled();
            if (cancelled || Task.isCancellation(f.peekException())) {
                String message = (f instanceof Task<?> t ? what + " " + t.getName() : what) + (cancelled
                        ? " ended cancelled, and this failure, attached to its cancellation as it unwound,"
                        : " failed with a cancellation, and this failure, attached to it,") + " was never retrieved";
                for (Throwable failure : f.attachedFailures()) {
                    callExceptionHandler(new ExceptionContext(message, failure, f, null));
                }
            } else {
                callExceptionHandler(new ExceptionContext(what + " exception was never retrieved",
                        f.peekException(), f, null));
            }
        }
        unretrieved.clear();
    }

    // ---- argument checks

    static long toNanos(double seconds, String what) {
        if (!(seconds >= 0)) {
            throw new IllegalArgumentException(what + " must be a number of seconds >= 0, got " + seconds);
        }
        if (seconds >= Long.MAX_VALUE / 1e9) {
            return Long.MAX_VALUE;
        }
        // A positive delay is at least a nanosecond: rounded to 0 it would be a sleep(0), after which a virtual clock
        // never moves (a loop computing its sleep from float arithmetic, 4.4e-17 s say, would spin there for ever).
        return seconds > 0 ? Math.max(1, Math.round(seconds * 1e9)) : 0;
    }

    static long toNanos(Duration d, String what) {
        Objects.requireNonNull(d, what + " must not be null");
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " must be >= 0, got " + d);
        }
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }
}
