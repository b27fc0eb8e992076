package org.aio4j;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.Supplier;

/**
 * Runs several top-level coroutines one after the other on the same event loop: asyncio's {@code asyncio.Runner}.
 * {@link Aio#run} is one {@code Runner} used once.
 *
 * <pre>{@code
 * try (var runner = new Runner()) {
 *     runner.run(() -> connect());     // the loop, its tasks and the values of the runner's context
 *     runner.run(() -> serve());       // are still there for the next run
 * }                                    // close(): what is left is cancelled, then the loop is closed
 * }</pre>
 *
 * <p>The loop is made on first use, by {@link #run} or {@link #getLoop()}. Each {@code run} runs its coroutine as a
 * new task until it is done and returns its result; tasks it created and left pending stay on the loop and go on
 * running in the next {@code run}. Every main task runs in the runner's {@link Context}, a copy of the calling
 * thread's made on first use, so a {@link ContextVar} set by one run is seen by the next (as asyncio's). Interrupting
 * the calling thread during a {@code run} cancels its main task, and a second interrupt stops the loop, as in
 * {@link Aio#run}. {@link #close()} does what
 * {@code Aio.run} does at its end: cancels the tasks left and awaits them, awaits offloaded work (at most 5 minutes),
 * shuts the default executor down and closes the loop.
 *
 * <p>Not thread-safe: use a runner from one thread at a time, never from a task of a running loop.
 */
public final class Runner implements AutoCloseable {

    private final Supplier<EventLoop> loopFactory;
    /** How errors and reports name {@link #run} and {@link #close()}: both {@code Aio.run()} for Aio.run's runner. */
    private final String runName;
    private final String closeName;
    private final Duration offloadTimeout;
    private EventLoop loop;
    private Context context;
    private boolean closed;

    /** A runner on a new {@link EventLoop} with the default settings. */
    public Runner() {
        this(EventLoop::new);
    }

    /**
     * A runner on the loop {@code loopFactory} makes on first use: asyncio's {@code Runner(loop_factory=)}, e.g.
     * {@code () -> EventLoop.builder().virtualTime().build()}.
     *
     * @param loopFactory makes the loop, called once; it must return a new loop, not {@code null}
     * @throws NullPointerException if {@code loopFactory} is null
     */
    public Runner(Supplier<EventLoop> loopFactory) {
        this(Objects.requireNonNull(loopFactory, "loopFactory must not be null"), "Runner.run()", "Runner.close()",
                Runners.OFFLOAD_SHUTDOWN_TIMEOUT);
    }

    Runner(Supplier<EventLoop> loopFactory, String runName, String closeName, Duration offloadTimeout) {
        this.loopFactory = loopFactory;
        this.runName = runName;
        this.closeName = closeName;
        this.offloadTimeout = offloadTimeout;
    }

    /**
     * Runs {@code main} as a new task on the runner's loop until it is done: asyncio's {@code Runner.run()}.
     *
     * @param <T>  the type of {@code main}'s result
     * @param main the coroutine to run
     * @return the value {@code main} returned
     * @throws IllegalStateException if called from a running event loop, or the runner is closed, or its loop is
     *                               running (a run on another thread, or a running loop from the factory) or closed
     * @throws NullPointerException  if {@code main} is null, or the loop factory returned null
     * @throws CancellationException if {@code main} was cancelled (by an interrupt of the calling thread, say)
     * @throws Exception             the exception of {@code main}
     */
    public <T> T run(Coroutine<T> main) throws Exception {
        Objects.requireNonNull(main, "main coroutine must not be null");
        return runIn(main, null);
    }

    /**
     * As {@link #run(Coroutine)}, {@code main} running in {@code context} instead of the runner's own: asyncio's
     * {@code Runner.run(coro, context=context)}. What {@code main} sets with {@link ContextVar#set} is set in
     * {@code context}, and the runner's context is left as it was.
     *
     * @param <T>     the type of {@code main}'s result
     * @param main    the coroutine to run
     * @param context the context to run it in
     * @return the value {@code main} returned
     * @throws IllegalStateException if called from a running event loop, or the runner is closed, or its loop is
     *                               running or closed
     * @throws NullPointerException  if {@code main} or {@code context} is null (for the runner's context, use
     *                               {@link #run(Coroutine)})
     * @throws CancellationException if {@code main} was cancelled (by an interrupt of the calling thread, say)
     * @throws Exception             the exception of {@code main}
     */
    public <T> T run(Coroutine<T> main, Context context) throws Exception {
        Objects.requireNonNull(main, "main coroutine must not be null");
        Objects.requireNonNull(context, "context must not be null");
        return runIn(main, context);
    }

    /**
     * As {@link #run(Coroutine, Context)}, for a coroutine without a result.
     *
     * @param main    the coroutine to run
     * @param context the context to run it in
     * @throws IllegalStateException if called from a running event loop, or the runner is closed, or its loop is
     *                               running or closed
     * @throws NullPointerException  if {@code main} or {@code context} is null
     * @throws CancellationException if {@code main} was cancelled (by an interrupt of the calling thread, say)
     * @throws Exception             the exception of {@code main}
     */
    public void run(VoidCoroutine main, Context context) throws Exception {
        run(Objects.requireNonNull(main, "main coroutine must not be null").asCoroutine(), context);
    }

    /** Runs {@code main} in {@code given}, or in the runner's context if null. */
    private <T> T runIn(Coroutine<T> main, Context given) throws Exception {
        if (EventLoop.ofCurrentThread() != null) {
            throw new IllegalStateException(runName + " cannot be called from a running event loop");
        }
        EventLoop l = lazyInit();
        checkNotRunning(l, runName);
        return l.runUntilComplete(l.createTask(main, null, given != null ? given : context));
    }

    /**
     * As {@link #run(Coroutine)}, for a coroutine without a result.
     *
     * @param main the coroutine to run
     * @throws IllegalStateException if called from a running event loop, or the runner is closed, or its loop is
     *                               running (a run on another thread, or a running loop from the factory) or closed
     * @throws NullPointerException  if {@code main} is null, or the loop factory returned null
     * @throws CancellationException if {@code main} was cancelled (by an interrupt of the calling thread, say)
     * @throws Exception             the exception of {@code main}
     */
    public void run(VoidCoroutine main) throws Exception {
        run(Objects.requireNonNull(main, "main coroutine must not be null").asCoroutine());
    }

    /**
     * The runner's loop, made now if it was not yet: asyncio's {@code Runner.get_loop()}.
     *
     * @return the loop
     * @throws IllegalStateException if the runner is closed
     * @throws NullPointerException  if the loop factory returned null
     */
    public EventLoop getLoop() {
        return lazyInit();
    }

    /**
     * Cancels the tasks left on the loop and awaits them, awaits offloaded work, shuts the default executor down and
     * closes the loop: asyncio's {@code Runner.close()}. As there, the loop runs a pass more after the cancelled tasks
     * end and another after the offloaded work, so the callbacks and the timers due by then run (a
     * {@code callLater(0, cb)} of the last step of a task); timers not due are dropped. Each task left that ends with an exception other than its
     * cancellation is reported to the loop's exception handler. Does nothing if the runner is closed already; a runner
     * never used is only marked closed.
     *
     * @throws IllegalStateException if called from a running event loop (a task of this runner's loop, say), or
     *                               while the loop is running (a run on another thread), the runner staying open;
     *                               or if the shutdown failed (the exception as its cause; the loop is closed all
     *                               the same): an interrupt while it waits for the default executor to terminate
     *                               ends the wait so, the cause an {@link InterruptedException} and the interrupt
     *                               status set again; or if the loop was stopped (a task's {@code loop.stop()} as
     *                               its cancellation unwinds, an interrupt) before the tasks left ended, as
     *                               asyncio's "Event loop stopped before Future completed."
     * @throws DeadlockException     if a task left can never end once cancelled (it caught the cancellation and
     *                               waits for what nothing will do; asyncio's close would hang), the message saying
     *                               so before the wait graph; the loop is closed all the same
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (EventLoop.ofCurrentThread() != null) {
            throw new IllegalStateException(closeName + " cannot be called from a running event loop");
        }
        if (loop != null) {
            checkNotRunning(loop, closeName);
        }
        closed = true;
        if (loop != null) {
            try {
                Runners.shutdown(loop, closeName, offloadTimeout);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(closeName + " failed to shut the loop down", e);
            }
        }
    }

    /**
     * Refuses a loop that runs already: a run on another thread (a close from there would fail half-way, the runner
     * marked closed and its loop left open), or a running loop from the factory.
     */
    private static void checkNotRunning(EventLoop loop, String who) {
        if (loop.isRunning()) {
            throw new IllegalStateException(who + " cannot be called while its loop is running on another thread (a"
                    + " run() there, or a running loop from the loop factory)");
        }
    }

    private EventLoop lazyInit() {
        if (closed) {
            throw new IllegalStateException("Runner is closed");
        }
        if (loop == null) {
            loop = Objects.requireNonNull(loopFactory.get(), "loopFactory returned null");
            context = Context.copyContext();
        }
        return loop;
    }

    @Override
    public String toString() {
        return "Runner[" + (closed ? "closed" : loop == null ? "not started" : "loop=" + loop) + "]";
    }
}
