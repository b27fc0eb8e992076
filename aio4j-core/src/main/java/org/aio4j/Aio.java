package org.aio4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The functions of the {@code asyncio} module: run a program, sleep, create tasks, combine futures, offload blocking
 * work. Every method but {@link #run} works on the <em>running</em> loop, the one held by the calling thread, and
 * throws {@link IllegalStateException} ({@code "no running event loop: ..."}, saying where to call it) elsewhere. The suspending methods
 * ({@link #sleep}, {@link #waitAllTasksBlocked}, {@link #wait}, {@link #waitFor}, {@link #toThread}, {@link #await},
 * the iterator of {@link #asCompleted}) and {@link #timeout}/{@link #timeoutAt} must be called from a task; called
 * from a callback they throw {@link IllegalStateException}. A {@code null} argument throws
 * {@link NullPointerException} naming it, unless the method says what {@code null} means.
 *
 * <p>Naming follows asyncio: a function that is a coroutine in asyncio ({@code sleep}, {@code wait},
 * {@code wait_for}, {@code to_thread}) is a method that suspends and returns the value; a function that returns a
 * future in asyncio ({@code gather}, {@code shield}, {@code create_task}) returns a {@link Future} you
 * {@link Future#await() await}.
 *
 * <pre>{@code
 * public static void main(String[] args) throws Exception {
 *     List<String> pages = Aio.run(() -> {
 *         Task<String> a = Aio.createTask(() -> { Aio.sleep(1.0); return "a"; });
 *         Task<String> b = Aio.createTask(() -> { Aio.sleep(1.0); return "b"; });
 *         return Aio.gather(a, b).await();          // one second in all, not two
 *     });
 * }
 * }</pre>
 */
public final class Aio {

    private Aio() {
    }

    // ---- running a program

    /**
     * Runs {@code main} in a new event loop and returns its result: asyncio's {@code asyncio.run()}. When
     * {@code main} ends, the tasks still pending are cancelled, in the order they were created (asyncio.run cancels
     * them in the order of {@code all_tasks()}, a set), and awaited; each that ends with an exception other than its
     * cancellation is reported to the loop's exception handler ("unhandled exception during Aio.run() shutdown").
     * Offloaded calls still running are then awaited (up to 5 minutes of real time, while the loop keeps running), the
     * default executor is shut down and the loop is closed. Offloaded calls that can never end because they wait for
     * the loop, blocked in {@link Future#get()} on one of its futures while nothing is left that could settle it, are
     * not waited for: the close reports each to the loop's exception handler and releases it with an
     * {@link IllegalStateException}. Nor are the calls queued behind them on a pool all of whose threads they take
     * (see {@link EventLoop#runInExecutor}): the close reports and drops them. The main task runs in a copy of the
     * calling thread's {@link Context}. To run several coroutines one after the other on one loop, use a
     * {@link Runner}.
     *
     * <p>Interrupting the thread that called {@code run} is the counterpart of asyncio's Ctrl-C: the main task is
     * cancelled where it waits (as {@code asyncio.run} cancels it on {@code SIGINT}), the shutdown above runs as
     * usual, and {@code run} throws that {@link CancellationException} (asyncio: {@code KeyboardInterrupt}) with the
     * thread's interrupt status set again. A main that catches the cancellation and returns ends {@code run} with its
     * value, still with the interrupt status set. A second interrupt while main has not ended (it swallowed the
     * cancellation, or its clean-up takes long) stops the loop at once, as asyncio's second Ctrl-C raises
     * {@code KeyboardInterrupt}: the shutdown above cancels main again, and {@code run} throws an
     * {@link IllegalStateException} saying that the loop was stopped because the thread was interrupted.
     *
     * @param <T> the type of {@code main}'s result
     * @param main the coroutine the program runs as its main task
     * @return the value {@code main} returned
     * @throws IllegalStateException if called from a running event loop
     * @throws DeadlockException     if {@code main} can never end, or a task left can never end once cancelled at
     *                               the shutdown (asyncio.run would hang), the message then saying so
     * @throws CancellationException if {@code main} was cancelled (by an interrupt of the calling thread, say)
     * @throws Exception             the exception of {@code main}
     */
    public static <T> T run(Coroutine<T> main) throws Exception {
        return run(EventLoop::new, main);
    }

    /**
     * As {@link #run(Coroutine)}, for a coroutine without a result.
     *
     * @param main the coroutine the program runs as its main task
     * @throws IllegalStateException if called from a running event loop
     * @throws CancellationException if {@code main} was cancelled (by an interrupt of the calling thread, say)
     * @throws Exception             the exception of {@code main}
     */
    public static void run(VoidCoroutine main) throws Exception {
        run(EventLoop::new, Objects.requireNonNull(main, "main coroutine must not be null").asCoroutine());
    }

    /**
     * As {@link #run(Coroutine)} on a loop made by {@code loopFactory} (asyncio's {@code loop_factory}), e.g.
     * {@code () -> EventLoop.builder().virtualTime().build()}.
     *
     * @param <T>         the type of {@code main}'s result
     * @param loopFactory makes the loop to run on, called once; it must return a new loop, not {@code null}
     * @param main        the coroutine the program runs as its main task
     * @return the value {@code main} returned
     * @throws IllegalStateException if called from a running event loop
     * @throws NullPointerException  if {@code loopFactory} returns {@code null}
     * @throws CancellationException if {@code main} was cancelled (by an interrupt of the calling thread, say)
     * @throws Exception             the exception of {@code main}
     */
    public static <T> T run(Supplier<EventLoop> loopFactory, Coroutine<T> main) throws Exception {
        Objects.requireNonNull(loopFactory, "loopFactory must not be null");
        Objects.requireNonNull(main, "main coroutine must not be null");
        if (EventLoop.ofCurrentThread() != null) {
            throw new IllegalStateException("Aio.run() cannot be called from a running event loop");
        }
        EventLoop loop = Objects.requireNonNull(loopFactory.get(), "loopFactory returned null");
        return Runners.run(loop, main);
    }

    /**
     * As {@link #run(Supplier, Coroutine)}, for a coroutine without a result: asyncio's
     * {@code asyncio.run(main(), loop_factory=...)} of an {@code async def main()} that returns {@code None}.
     *
     * @param loopFactory makes the loop to run on, called once; it must return a new loop, not {@code null}
     * @param main        the coroutine the program runs as its main task
     * @throws IllegalStateException if called from a running event loop
     * @throws NullPointerException  if {@code loopFactory} or {@code main} is null, or {@code loopFactory} returns
     *                               {@code null}
     * @throws CancellationException if {@code main} was cancelled (by an interrupt of the calling thread, say)
     * @throws Exception             the exception of {@code main}
     */
    public static void run(Supplier<EventLoop> loopFactory, VoidCoroutine main) throws Exception {
        run(loopFactory, Objects.requireNonNull(main, "main coroutine must not be null").asCoroutine());
    }

    // ---- the running loop

    /**
     * The loop held by the calling thread: asyncio's {@code get_running_loop()}.
     *
     * @return the running loop, never {@code null}
     * @throws IllegalStateException if there is none
     */
    public static EventLoop getRunningLoop() {
        return runningLoop();
    }

    /** What a call made where no loop runs is told: asyncio's words, and where such calls belong. */
    static final String NO_RUNNING_LOOP = "no running event loop: call this from a task (or callback) of a running"
            + " loop, such as the main coroutine of Aio.run(...) or a task it creates; from another thread, use"
            + " loop.runCoroutineThreadsafe(...) or loop.callSoonThreadsafe(...)";

    static EventLoop runningLoop() {
        EventLoop loop = EventLoop.ofCurrentThread();
        if (loop == null) {
            throw new IllegalStateException(NO_RUNNING_LOOP);
        }
        return loop;
    }

    /**
     * The task running now, or {@code null} in a callback: asyncio's {@code current_task()}.
     *
     * @return the task running now, or {@code null} if the calling code is a callback of the loop
     */
    public static Task<?> currentTask() {
        return runningLoop().currentTask;
    }

    /**
     * The running loop's tasks that are not done: asyncio's {@code all_tasks()}.
     *
     * @return an unmodifiable snapshot of the tasks not done (the calling task included)
     */
    public static Set<Task<?>> allTasks() {
        return runningLoop().allTasks();
    }

    // ---- tasks

    /**
     * Wraps {@code coroutine} in a task of the running loop: asyncio's {@code create_task()}.
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @return the new task, scheduled to start on a later pass of the loop (or, with the loop's
     *         {@link TaskFactory#EAGER eager} task factory, started already, see {@link EventLoop#setTaskFactory})
     */
    public static <T> Task<T> createTask(Coroutine<T> coroutine) {
        return runningLoop().createTask(coroutine);
    }

    /**
     * As {@link #createTask(Coroutine)}, with a name ({@code null} for the default {@code Task-N}).
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @return the new task, scheduled to start on a later pass of the loop
     */
    public static <T> Task<T> createTask(Coroutine<T> coroutine, String name) {
        return runningLoop().createTask(coroutine, name);
    }

    /**
     * As {@link #createTask(Coroutine)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task
     * @return the new task, scheduled to start on a later pass of the loop; its result is {@code null}
     */
    public static Task<Void> createTask(VoidCoroutine coroutine) {
        return runningLoop().createTask(coroutine);
    }

    /**
     * As {@link #createTask(Coroutine, String)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @return the new task, scheduled to start on a later pass of the loop; its result is {@code null}
     */
    public static Task<Void> createTask(VoidCoroutine coroutine, String name) {
        return runningLoop().createTask(coroutine, name);
    }

    /**
     * As {@link #createTask(Coroutine, String)}, the task running in {@code context} itself, not in a copy: asyncio's
     * {@code create_task(coro, name=name, context=context)}. What the task sets is set in {@code context} and seen
     * there afterwards (see {@link EventLoop#createTask(Coroutine, String, Context)}).
     *
     * <pre>{@code
     * Context ctx = new Context();
     * Aio.createTask(() -> { REQUEST_ID.set("r-1"); }, null, ctx).await();
     * ctx.get(REQUEST_ID);                                       // "r-1"
     * }</pre>
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @param context   the context the task runs in
     * @return the new task, scheduled to start on a later pass of the loop
     * @throws NullPointerException if {@code coroutine} or {@code context} is null
     */
    public static <T> Task<T> createTask(Coroutine<T> coroutine, String name, Context context) {
        return runningLoop().createTask(coroutine, name, context);
    }

    /**
     * As {@link #createTask(Coroutine, String, Context)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @param context   the context the task runs in
     * @return the new task, scheduled to start on a later pass of the loop; its result is {@code null}
     * @throws NullPointerException if {@code coroutine} or {@code context} is null
     */
    public static Task<Void> createTask(VoidCoroutine coroutine, String name, Context context) {
        return runningLoop().createTask(coroutine, name, context);
    }

    // ---- sleeping

    /**
     * Suspends the calling task for {@code seconds} of loop time: asyncio's {@code sleep()}. {@code sleep(0)} lets
     * every other ready task run once and then resumes. Loop time counts in nanoseconds: a positive delay is rounded
     * to the nearest one, and one below half a nanosecond sleeps one (not {@code sleep(0)}, after which a virtual
     * clock would not have moved), as does {@link EventLoop#callLater(double, Runnable)}.
     *
     * <p>Cancellation: if the task is cancelled while sleeping, this throws {@link CancellationException} at once.
     *
     * <p>A sleep longer than about 292 years (say {@code sleep(Duration.ofSeconds(Long.MAX_VALUE))}), and
     * {@code sleep(Double.POSITIVE_INFINITY)} (asyncio's {@code sleep(math.inf)}), ends at the latest loop time a timer
     * can have (see {@link EventLoop}): on the real clock, practically never; it is not a deadlock, and cancelling the
     * task ends it as any other sleep.
     *
     * @param seconds how long to sleep, in seconds of loop time; zero or more
     * @throws IllegalArgumentException if {@code seconds} is negative or NaN
     * @throws CancellationException if the calling task is cancelled while it sleeps
     */
    public static void sleep(double seconds) {
        long nanos = EventLoop.toNanos(seconds, "sleep delay");
        runningLoop().taskAwaiting("sleep", "Aio.sleep()").sleep(nanos);
    }

    /**
     * As {@link #sleep(double)} with a {@link Duration}.
     *
     * @param delay how long to sleep, in loop time; zero or more
     * @throws IllegalArgumentException if {@code delay} is negative
     * @throws CancellationException    if the calling task is cancelled while it sleeps
     */
    public static void sleep(Duration delay) {
        long nanos = EventLoop.toNanos(delay, "sleep delay");
        runningLoop().taskAwaiting("sleep", "Aio.sleep()").sleep(nanos);
    }

    /**
     * As {@link #sleep(double)}, then returns {@code result}: asyncio's {@code sleep(delay, result)}, as in
     * {@code value = await asyncio.sleep(1, result=value)}.
     *
     * @param <T>     the type of the result
     * @param seconds how long to sleep, in seconds of loop time; zero or more
     * @param result  what to return once the sleep is over; may be null (asyncio's default {@code None})
     * @return {@code result}
     * @throws IllegalArgumentException if {@code seconds} is negative or NaN
     * @throws CancellationException    if the calling task is cancelled while it sleeps
     */
    public static <T> T sleep(double seconds, T result) {
        long nanos = EventLoop.toNanos(seconds, "sleep delay");
        runningLoop().taskAwaiting("sleep", "Aio.sleep()").sleep(nanos);
        return result;
    }

    /**
     * As {@link #sleep(Duration)}, then returns {@code result}: asyncio's {@code sleep(delay, result)}.
     *
     * @param <T>    the type of the result
     * @param delay  how long to sleep, in loop time; zero or more
     * @param result what to return once the sleep is over; may be null (asyncio's default {@code None})
     * @return {@code result}
     * @throws NullPointerException     if {@code delay} is null
     * @throws IllegalArgumentException if {@code delay} is negative
     * @throws CancellationException    if the calling task is cancelled while it sleeps
     */
    public static <T> T sleep(Duration delay, T result) {
        long nanos = EventLoop.toNanos(delay, "sleep delay");
        runningLoop().taskAwaiting("sleep", "Aio.sleep()").sleep(nanos);
        return result;
    }

    /**
     * Suspends the calling task until every other task of the running loop is blocked: nothing is ready to run, no
     * timer is due, no offloaded call is in flight (but calls that wait for the loop: blocked in {@link Future#get()}
     * on its pending futures, or queued behind such calls, see {@link EventLoop#runInExecutor}) and nothing was posted
     * from another thread. Tasks that sleep or wait on a future, a queue or a lock count as blocked. Trio's
     * {@code trio.testing.wait_all_tasks_blocked()} (asyncio has no counterpart): in a test, it lets the tasks started
     * so far run as far as they can before the test looks at them, instead of sleeping for a guessed time. On a virtual
     * clock it returns before the clock jumps to the next timer; on the real clock, before the loop would wait for it.
     * Several tasks waiting are woken together, in the order they began to wait.
     *
     * @throws CancellationException if the calling task is cancelled while it waits
     * @throws IllegalStateException if not called from a task of a running event loop
     */
    public static void waitAllTasksBlocked() {
        EventLoop loop = runningLoop();
        loop.blockedWaiters.await(loop.taskAwaiting("all tasks blocked", "Aio.waitAllTasksBlocked()"));
    }

    // ---- combinators

    /**
     * A future of the results of {@code futures}, in argument order: asyncio's {@code gather()}. If a future fails or
     * is cancelled, the gather fails at once with that exception (the others keep running); for a cancelled task, a
     * {@link CancellationException} that carries, suppressed, the failures the task's clean-up attached to its
     * cancellation (see {@link Future}), which the gather then holds for whoever awaits it. A future that fails
     * after that keeps its exception, which the loop reports unless someone retrieves it (asyncio's gather marks it
     * retrieved). Cancelling the gather cancels every future not done, and the gather then ends cancelled (asyncio's
     * ends with a {@code CancelledError} as its exception, which awaiting raises the same, but {@code cancelled()}
     * answers false), its cancellation carrying what the clean-up of the child whose cancellation ended it attached
     * to that one.
     *
     * <p>Called outside a running loop, the gather belongs to the loop of the first future, as asyncio's does:
     * {@code loop.runUntilComplete(Aio.gather(a, b))}.
     *
     * @param <T>     the type of the futures' results
     * @param futures the futures to gather; each of the running loop (outside one: of the first future's loop)
     * @return a future, done once every future is done or one fails, of their results in argument order
     * @throws NullPointerException     if {@code futures} or one of them is null
     * @throws IllegalArgumentException if one of them belongs to another loop
     * @throws IllegalStateException    if no loop is running and there is no future, or the first future's loop runs
     *                                  on another thread
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, through a list view
    public static <T> Future<List<T>> gather(Future<? extends T>... futures) {
        return gather(Arrays.asList(Objects.requireNonNull(futures, "futures must not be null")));
    }

    /**
     * As {@link #gather(Future[])}, wrapping each coroutine in a task first (in argument order).
     *
     * @param <T>        the type of the coroutines' results
     * @param coroutines the coroutines to run, each in a new task
     * @return a future, done once every task is done or one fails, of their results in argument order
     * @throws NullPointerException if {@code coroutines} or one of them is null; no task is created then
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read
    public static <T> Future<List<T>> gather(Coroutine<? extends T>... coroutines) {
        return gather(tasksOf(coroutines, "gather"));
    }

    /**
     * As {@link #gather(Coroutine[])}, for coroutines without a result: asyncio's {@code gather(work(a), work(b))} of
     * coroutines that return {@code None}.
     *
     * @param coroutines the coroutines to run, each in a new task
     * @return a future, done once every task is done or one fails, of as many {@code null}s as coroutines
     * @throws NullPointerException if {@code coroutines} or one of them is null; no task is created then
     */
    public static Future<List<Void>> gather(VoidCoroutine... coroutines) {
        return gather(tasksOf(withNullResults(coroutines), "gather"));
    }

    /** The coroutines as coroutines of a null result, in order (a null kept as it is, for tasksOf to refuse). */
    @SuppressWarnings("unchecked") // an array of Coroutine<?> holding only Coroutine<Void>s
    private static Coroutine<Void>[] withNullResults(VoidCoroutine[] coroutines) {
        Objects.requireNonNull(coroutines, "coroutines must not be null");
        Coroutine<Void>[] result = (Coroutine<Void>[]) new Coroutine<?>[coroutines.length];
        for (int i = 0; i < coroutines.length; i++) {
            result[i] = coroutines[i] == null ? null : coroutines[i].asCoroutine();
        }
        return result;
    }

    /** A task for each coroutine, in order; all are checked first, so that a null leaves no task behind. */
    private static <T> List<Future<? extends T>> tasksOf(Coroutine<? extends T>[] coroutines, String caller) {
        Objects.requireNonNull(coroutines, "coroutines must not be null");
        EventLoop loop = runningLoop();
        for (Coroutine<? extends T> c : coroutines) {
            Objects.requireNonNull(c, caller + "() argument must not be null");
        }
        var tasks = new ArrayList<Future<? extends T>>(coroutines.length);
        for (Coroutine<? extends T> c : coroutines) {
            tasks.add(loop.createTask(c));
        }
        return tasks;
    }

    /**
     * As {@link #gather(Future[])} for a collection.
     *
     * @param <T>     the type of the futures' results
     * @param futures the futures to gather, in iteration order; each of the running loop (outside one: of the first
     *                future's loop)
     * @return a future, done once every future is done or one fails, of their results in iteration order
     * @throws NullPointerException     if {@code futures} or one of them is null
     * @throws IllegalArgumentException if one of them belongs to another loop
     * @throws IllegalStateException    as {@link #gather(Future[])}
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <T> Future<List<T>> gather(Collection<? extends Future<? extends T>> futures) {
        Objects.requireNonNull(futures, "futures must not be null");
        return (Future) GatheringFuture.gather(gatherLoop(futures, "gather"), futures, false);
    }

    /**
     * As {@link #gather(Collection)} with asyncio's {@code return_exceptions=True}: the gather waits for every
     * future, and the result list holds, in argument order, each future's result, or its exception (a
     * {@link CancellationException} for a cancelled one, carrying what was attached to its cancellation, as
     * {@link #gather(Future[])} describes).
     *
     * @param futures the futures to gather, in iteration order; each of the running loop (outside one: of the first
     *                future's loop)
     * @return a future, done once every future is done, of their results or exceptions in iteration order; it fails
     *         only if it is cancelled (the children's failures then stay theirs, reported by the loop unless
     *         retrieved)
     * @throws NullPointerException     if {@code futures} or one of them is null
     * @throws IllegalArgumentException if one of them belongs to another loop
     * @throws IllegalStateException    as {@link #gather(Future[])}
     */
    public static Future<List<Object>> gatherWithExceptions(Collection<? extends Future<?>> futures) {
        Objects.requireNonNull(futures, "futures must not be null");
        return GatheringFuture.gather(gatherLoop(futures, "gatherWithExceptions"), futures, true);
    }

    /**
     * The loop a gather of {@code futures} belongs to: the running loop, or, outside a loop, the loop of the first
     * future (asyncio's {@code gather} takes it from its first argument), so that
     * {@code loop.runUntilComplete(Aio.gather(a, b))} works as {@code loop.run_until_complete(gather(a, b))}.
     */
    private static EventLoop gatherLoop(Collection<? extends Future<?>> futures, String caller) {
        EventLoop running = EventLoop.ofCurrentThread();
        if (running != null) {
            return running;
        }
        var it = futures.iterator();
        if (!it.hasNext()) {
            throw new IllegalStateException("no running event loop, and no future to take one from: " + caller
                    + "() of nothing must be called from a task");
        }
        Future<?> first = Objects.requireNonNull(it.next(), caller + "() argument must not be null");
        first.loop.checkThread(caller);
        return first.loop;
    }

    /**
     * As {@link #gatherWithExceptions(Collection)}.
     *
     * @param futures the futures to gather; each of the running loop (outside one: of the first future's loop)
     * @return a future, done once every future is done, of their results or exceptions in argument order; it fails only
     *         if it is cancelled
     * @throws NullPointerException     if {@code futures} or one of them is null
     * @throws IllegalArgumentException if one of them belongs to another loop
     * @throws IllegalStateException    as {@link #gather(Future[])}
     */
    public static Future<List<Object>> gatherWithExceptions(Future<?>... futures) {
        return gatherWithExceptions(Arrays.asList(Objects.requireNonNull(futures, "futures must not be null")));
    }

    /**
     * As {@link #gatherWithExceptions(Collection)}, wrapping each coroutine in a task first (in argument order):
     * asyncio's {@code gather(*coros, return_exceptions=True)}.
     *
     * @param coroutines the coroutines to run, each in a new task
     * @return a future, done once every task is done, of their results or exceptions in argument order; it fails only
     *         if it is cancelled
     * @throws NullPointerException if {@code coroutines} or one of them is null; no task is created then
     */
    public static Future<List<Object>> gatherWithExceptions(Coroutine<?>... coroutines) {
        return gatherWithExceptions(tasksOf(coroutines, "gatherWithExceptions"));
    }

    /**
     * As {@link #gatherWithExceptions(Coroutine[])}, for coroutines without a result.
     *
     * @param coroutines the coroutines to run, each in a new task
     * @return a future, done once every task is done, of {@code null} or the exception of each, in argument order; it
     *         fails only if it is cancelled
     * @throws NullPointerException if {@code coroutines} or one of them is null; no task is created then
     */
    public static Future<List<Object>> gatherWithExceptions(VoidCoroutine... coroutines) {
        return gatherWithExceptions(tasksOf(withNullResults(coroutines), "gatherWithExceptions"));
    }

    /**
     * Waits until all the futures are done: asyncio's {@code wait()}. Exceptions of the futures are not raised; ask
     * the done futures for them. Nor are they retrieved: one nobody asks for is reported by the loop, also when
     * {@link ReturnWhen#FIRST_EXCEPTION} returned because of it (asyncio's {@code wait} marks the exceptions it looks
     * at for {@code FIRST_EXCEPTION} retrieved).
     *
     * @param <F>     the type of the futures: {@code Task<String>}, or {@code Task<?>} for mixed result types
     * @param futures the futures to wait for; each of the running loop, one given twice counted once
     * @return the futures done and those not done (here, none), each set in iteration order
     * @throws IllegalArgumentException if {@code futures} is empty or one of them belongs to another loop
     * @throws NullPointerException     if {@code futures} or one of them is null
     * @throws CancellationException    if the calling task is cancelled while it waits; the futures are not cancelled
     */
    public static <F extends Future<?>> WaitResult<F> wait(Collection<? extends F> futures) {
        return Waiting.await(futures, -1, ReturnWhen.ALL_COMPLETED);
    }

    /**
     * As {@link #wait(Collection)}, returning as {@code returnWhen} says.
     *
     * @param <F>        the type of the futures: {@code Task<String>}, or {@code Task<?>} for mixed result types
     * @param futures    the futures to wait for; each of the running loop, one given twice counted once
     * @param returnWhen when to return: after the first future is done, the first fails, or all are done
     * @return the futures done and those not done, each set in iteration order
     * @throws NullPointerException     if {@code futures}, one of them or {@code returnWhen} is null
     * @throws IllegalArgumentException if {@code futures} is empty or one of them belongs to another loop
     * @throws CancellationException    if the calling task is cancelled while it waits; the futures are not cancelled
     */
    public static <F extends Future<?>> WaitResult<F> wait(Collection<? extends F> futures, ReturnWhen returnWhen) {
        return Waiting.await(futures, -1, returnWhen);
    }

    /**
     * Waits until all the futures are done or {@code timeout} passes: asyncio's {@code wait(fs, timeout=...)}. A
     * timeout does not raise and does not cancel anything: the futures not done are in {@link WaitResult#pending()}.
     *
     * @param <F>     the type of the futures: {@code Task<String>}, or {@code Task<?>} for mixed result types
     * @param futures the futures to wait for; each of the running loop, one given twice counted once
     * @param timeout the longest to wait, in loop time
     * @return the futures done and those not done, each set in iteration order
     * @throws IllegalArgumentException if {@code futures} is empty, one of them belongs to another loop or
     *                                  {@code timeout} is negative
     * @throws NullPointerException     if {@code futures}, one of them or {@code timeout} is null
     * @throws CancellationException    if the calling task is cancelled while it waits; the futures are not cancelled
     */
    public static <F extends Future<?>> WaitResult<F> wait(Collection<? extends F> futures, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout must not be null (wait(futures) waits without one)");
        return wait(futures, timeout, ReturnWhen.ALL_COMPLETED);
    }

    /**
     * As {@link #wait(Collection, Duration)} with the timeout in seconds, as asyncio takes it:
     * {@code wait(fs, timeout=0.25)} is {@code Aio.wait(fs, 0.25)}. {@link Double#POSITIVE_INFINITY} (asyncio's
     * {@code math.inf}) means none.
     *
     * @param <F>     the type of the futures: {@code Task<String>}, or {@code Task<?>} for mixed result types
     * @param futures the futures to wait for; each of the running loop, one given twice counted once
     * @param seconds the longest to wait, in seconds of loop time
     * @return the futures done and those not done, each set in iteration order
     * @throws IllegalArgumentException if {@code futures} is empty, one of them belongs to another loop or
     *                                  {@code seconds} is negative or NaN
     * @throws NullPointerException     if {@code futures} or one of them is null
     * @throws CancellationException    if the calling task is cancelled while it waits; the futures are not cancelled
     */
    public static <F extends Future<?>> WaitResult<F> wait(Collection<? extends F> futures, double seconds) {
        return wait(futures, timeoutOf(seconds), ReturnWhen.ALL_COMPLETED);
    }

    /**
     * Waits until the futures are done as {@code returnWhen} says, or {@code timeout} passes: asyncio's
     * {@code wait(fs, timeout=..., return_when=...)}. A timeout does not raise and does not cancel anything: the
     * futures not done are in {@link WaitResult#pending()}. A {@code null} timeout means none.
     *
     * @param <F>        the type of the futures: {@code Task<String>}, or {@code Task<?>} for mixed result types
     * @param futures    the futures to wait for; each of the running loop, one given twice counted once
     * @param timeout    the longest to wait, in loop time, or {@code null} for no limit
     * @param returnWhen when to return: after the first future is done, the first fails, or all are done
     * @return the futures done and those not done, each set in iteration order
     * @throws IllegalArgumentException if {@code futures} is empty, one of them belongs to another loop or
     *                                  {@code timeout} is negative
     * @throws NullPointerException     if {@code futures}, one of them or {@code returnWhen} is null
     * @throws CancellationException    if the calling task is cancelled while it waits; the futures are not cancelled
     */
    public static <F extends Future<?>> WaitResult<F> wait(Collection<? extends F> futures, Duration timeout,
                                                           ReturnWhen returnWhen) {
        long nanos = timeout == null ? -1 : EventLoop.toNanos(timeout, "timeout");
        return Waiting.await(futures, nanos, returnWhen);
    }

    /**
     * As {@link #wait(Collection, Duration, ReturnWhen)} with the timeout in seconds, as asyncio takes it:
     * {@code wait(fs, timeout=0.25, return_when=FIRST_COMPLETED)} is
     * {@code Aio.wait(fs, 0.25, ReturnWhen.FIRST_COMPLETED)}.
     * {@link Double#POSITIVE_INFINITY} (asyncio's {@code math.inf}) means none.
     *
     * @param <F>        the type of the futures: {@code Task<String>}, or {@code Task<?>} for mixed result types
     * @param futures    the futures to wait for; each of the running loop, one given twice counted once
     * @param seconds    the longest to wait, in seconds of loop time
     * @param returnWhen when to return: after the first future is done, the first fails, or all are done
     * @return the futures done and those not done, each set in iteration order
     * @throws IllegalArgumentException if {@code futures} is empty, one of them belongs to another loop or
     *                                  {@code seconds} is negative or NaN
     * @throws NullPointerException     if {@code futures}, one of them or {@code returnWhen} is null
     * @throws CancellationException    if the calling task is cancelled while it waits; the futures are not cancelled
     */
    public static <F extends Future<?>> WaitResult<F> wait(Collection<? extends F> futures, double seconds,
                                                           ReturnWhen returnWhen) {
        return wait(futures, timeoutOf(seconds), returnWhen);
    }

    /** {@code seconds} as a timeout of the Duration forms: none ({@code null}) for infinity, as asyncio's math.inf. */
    private static Duration timeoutOf(double seconds) {
        return seconds == Double.POSITIVE_INFINITY ? null : Duration.ofNanos(EventLoop.toNanos(seconds, "timeout"));
    }

    /**
     * The futures in the order they complete: asyncio's {@code as_completed()}. Each {@code next()} of the iterator
     * suspends the calling task until another future is done and returns it (the future itself, so its result or
     * exception can be asked for). As asyncio's, it is one iterator: each call of {@code iterator()} returns the same
     * one, and a future given twice is returned once. Futures done in the same loop iteration come in the order they
     * completed; those already done when {@code asCompleted} is called, in the order of {@code futures} (asyncio's
     * in the order of a set, which CPython leaves unspecified).
     *
     * <p>asyncio's {@code as_completed(fs, timeout=t)} is a {@link #timeout} scope around the loop. Its expiry is a
     * {@link TimeoutCancellationException} (see {@link Timeout}), and it bounds the body of the loop too: an await
     * there at the deadline is cancelled, where asyncio raises {@code TimeoutError} only from the wait for the next
     * future. As in asyncio, the futures still pending are not cancelled by it: cancel them if they are not wanted.
     *
     * @param <F>     the type of the futures: {@code Task<String>}, or {@code Task<?>} for mixed result types
     * @param futures the futures to return as they complete; each of the running loop
     * @return the one iterable, whose iterator's {@code next()} suspends until a future is done and returns it
     * @throws IllegalArgumentException if one of the futures belongs to another loop
     * @throws NullPointerException if {@code futures} or one of them is null
     */
    public static <F extends Future<?>> Iterable<F> asCompleted(Collection<? extends F> futures) {
        return Waiting.asCompleted(futures);
    }

    /**
     * Waits at most {@code timeout} for {@code future} and returns its result: asyncio's {@code wait_for()}. On
     * timeout the future is cancelled, and {@code waitFor} waits until it has actually finished (a task may take a
     * while to clean up) before throwing. A {@code null} timeout means none. A future already done gives its outcome
     * whatever the timeout, zero included (a cancelled one raises {@link CancellationException}, not a timeout).
     *
     * @param <T>     the type of the future's result
     * @param future  the future to wait for
     * @param timeout the longest to wait, in loop time, or {@code null} for no limit
     * @return the future's result
     * @throws TimeoutException         if the timeout passed
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException    if {@code future} belongs to another loop (as awaiting it does)
     * @throws Exception                the future's exception
     * @throws CancellationException if the future was cancelled, or the calling task is cancelled while it waits (which
     *                               cancels the future too, as awaiting it does)
     */
    public static <T> T waitFor(Future<T> future, Duration timeout) throws Exception {
        Objects.requireNonNull(future, "future must not be null");
        if (timeout == null) {
            return future.await();
        }
        if (EventLoop.toNanos(timeout, "timeout") == 0) {
            future.loop.taskAwaiting(future, "Aio.waitFor()"); // a future of another loop is refused, as below
            return expireNow(future);
        }
        Timeout t = Timeout.after(timeout);
        try (t) {
            return future.await();
        } catch (TimeoutCancellationException e) {
            throw timeoutError(e, t, timeout);
        }
    }

    /**
     * Runs {@code coroutine} in the calling task with a deadline: asyncio's {@code wait_for(coro, timeout)}. On
     * timeout the coroutine is cancelled where it waits and {@link TimeoutException} is thrown once it has unwound.
     * A {@code null} timeout means none. A zero timeout, as in asyncio, wraps the coroutine in a task that is cancelled
     * before it starts: the coroutine does not run, and {@link TimeoutException} is thrown. With the
     * {@link TaskFactory#EAGER eager} task factory that task runs its first step first: a coroutine done there gives
     * its outcome, one that suspended is cancelled where it waits, and its outcome once it has unwound is the call's
     * ({@link TimeoutException} if it ended cancelled).
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the work to run in the calling task
     * @param timeout   the longest it may take, in loop time, or {@code null} for no limit
     * @return the coroutine's result
     * @throws TimeoutException         if the timeout passed
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws Exception                the coroutine's exception
     * @throws CancellationException if the calling task is cancelled other than by this deadline
     */
    public static <T> T waitFor(Coroutine<T> coroutine, Duration timeout) throws Exception {
        Objects.requireNonNull(coroutine, "coroutine must not be null");
        if (timeout == null) {
            return coroutine.call();
        }
        if (EventLoop.toNanos(timeout, "timeout") == 0) {
            return expireNow(createTask(coroutine));
        }
        Timeout t = Timeout.after(timeout);
        try (t) {
            return coroutine.call();
        } catch (TimeoutCancellationException e) {
            throw timeoutError(e, t, timeout);
        }
    }

    /**
     * As {@link #waitFor(Coroutine, Duration)}, for a coroutine without a result: asyncio's
     * {@code await asyncio.wait_for(event.wait(), timeout)} is {@code Aio.waitFor(() -> event.await(), timeout)}.
     *
     * @param coroutine the work to run in the calling task
     * @param timeout   the longest it may take, in loop time, or {@code null} for no limit
     * @throws TimeoutException         if the timeout passed
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws Exception                the coroutine's exception
     * @throws CancellationException if the calling task is cancelled other than by this deadline
     */
    public static void waitFor(VoidCoroutine coroutine, Duration timeout) throws Exception {
        waitFor(Objects.requireNonNull(coroutine, "coroutine must not be null").asCoroutine(), timeout);
    }

    /**
     * As {@link #waitFor(Future, Duration)} with the timeout in seconds, as asyncio takes it:
     * {@code wait_for(fut, 0.5)} is {@code Aio.waitFor(fut, 0.5)}. {@link Double#POSITIVE_INFINITY} (asyncio's
     * {@code math.inf}) means none.
     *
     * @param <T>     the type of the future's result
     * @param future  the future to wait for
     * @param seconds the longest to wait, in seconds of loop time
     * @return the future's result
     * @throws TimeoutException         if the timeout passed
     * @throws IllegalArgumentException if {@code seconds} is negative or NaN
     * @throws IllegalStateException    if {@code future} belongs to another loop (as awaiting it does)
     * @throws Exception                the future's exception
     * @throws CancellationException if the future was cancelled, or the calling task is cancelled while it waits (which
     *                               cancels the future too, as awaiting it does)
     */
    public static <T> T waitFor(Future<T> future, double seconds) throws Exception {
        Objects.requireNonNull(future, "future must not be null");
        return waitFor(future, timeoutOf(seconds));
    }

    /**
     * As {@link #waitFor(Coroutine, Duration)} with the timeout in seconds, as asyncio takes it.
     * {@link Double#POSITIVE_INFINITY} (asyncio's {@code math.inf}) means none.
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the work to run in the calling task
     * @param seconds   the longest it may take, in seconds of loop time
     * @return the coroutine's result
     * @throws TimeoutException         if the timeout passed
     * @throws IllegalArgumentException if {@code seconds} is negative or NaN
     * @throws Exception                the coroutine's exception
     * @throws CancellationException if the calling task is cancelled other than by this deadline
     */
    public static <T> T waitFor(Coroutine<T> coroutine, double seconds) throws Exception {
        Objects.requireNonNull(coroutine, "coroutine must not be null");
        return waitFor(coroutine, timeoutOf(seconds));
    }

    /**
     * As {@link #waitFor(VoidCoroutine, Duration)} with the timeout in seconds, as asyncio takes it:
     * {@code await asyncio.wait_for(event.wait(), 5)} is {@code Aio.waitFor(() -> event.await(), 5)}.
     * {@link Double#POSITIVE_INFINITY} (asyncio's {@code math.inf}) means none.
     *
     * @param coroutine the work to run in the calling task
     * @param seconds   the longest it may take, in seconds of loop time
     * @throws TimeoutException         if the timeout passed
     * @throws IllegalArgumentException if {@code seconds} is negative or NaN
     * @throws Exception                the coroutine's exception
     * @throws CancellationException if the calling task is cancelled other than by this deadline
     */
    public static void waitFor(VoidCoroutine coroutine, double seconds) throws Exception {
        Objects.requireNonNull(coroutine, "coroutine must not be null");
        waitFor(coroutine.asCoroutine(), timeoutOf(seconds));
    }

    private static <T> T expireNow(Future<T> future) throws Exception {
        if (future.isDone()) {
            // Nothing timed out: its outcome as it is (a future cancelled before the call raises its cancellation,
            // as awaiting it with any other timeout does), as asyncio's wait_for(fut, 0) does.
            return future.report();
        }
        Future<Void> released = runningLoop().createFuture();
        Consumer<Future<T>> release = f -> {
            if (!released.isDone()) {
                released.complete(null);
            }
        };
        future.addDoneCallback(release);
        try {
            future.cancel();
            released.await();
        } finally {
            future.removeDoneCallback(release); // the caller cancelled while the future winds down leaves nothing
        }
        try {
            return future.report();
        } catch (CancellationException e) {
            throw (TimeoutException) new TimeoutException("timed out immediately (timeout 0)").initCause(e);
        }
    }

    /** {@code e} as waitFor's TimeoutException if it is {@code t}'s expiry; a timeout of the work itself as it is. */
    private static Exception timeoutError(TimeoutCancellationException e, Timeout t, Duration timeout) {
        if (!e.isTimeout() || e.timeout() != t) {
            return e;
        }
        return (TimeoutException) new TimeoutException("timed out after " + timeout).initCause(e);
    }

    /**
     * A future that follows {@code future} but whose cancellation does not cancel it: asyncio's {@code shield()}.
     * If the task awaiting the shield is cancelled, the shielded operation goes on; its error, if it fails later,
     * stays unretrieved and is reported by the loop unless someone retrieves it.
     *
     * @param <T>    the type of the future's result
     * @param future the future to protect from the cancellation of its awaiters
     * @return {@code future} itself if it is already done, else a new future of its loop that follows it
     * @throws IllegalStateException if {@code future} is pending and its loop runs on another thread (as for the
     *                               future's own methods, the future of a loop that is not running is taken from any
     *                               thread; a done future is returned as is, from any thread, as asyncio's
     *                               {@code shield} does)
     */
    public static <T> Future<T> shield(Future<T> future) {
        Objects.requireNonNull(future, "future must not be null");
        if (future.isDone()) {
            return future;
        }
        EventLoop loop = future.loop;
        loop.checkThread("shield");
        Future<T> outer = WaitsFor.mark(loop.createFuture(), "Aio.shield()", future);
        Consumer<Future<T>> innerDone = inner -> {
            if (outer.isCancelled()) {
                return;
            }
            if (inner.isCancelled()) {
                // with what the inner's clean-up attached to its cancellation, now the outer's to deliver or have
                // reported
                outer.markCancelled(null, inner.cancelledError());
            } else if (inner.peekException() != null) {
                inner.markRetrieved();
                outer.setException(inner.peekException());
            } else {
                outer.setResult(inner.resultNow());
            }
        };
        future.addDoneCallback(innerDone);
        outer.addDoneCallback(o -> {
            o.owner = null; // what it waited for, for reports: a caller keeping the outer must not keep the inner
            if (!future.isDone()) {
                future.removeDoneCallback(innerDone);
            }
        });
        return outer;
    }

    /**
     * Runs {@code coroutine} in a new task and returns {@link #shield(Future) shield} of it: asyncio's
     * {@code shield(coro())}, which wraps a coroutine in a task. The task goes on when the awaiter is cancelled (a
     * final flush in a {@code finally} block, say); the caller may keep neither, since the loop references the task
     * until it ends, and its failure nobody awaited is reported by the loop.
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the work to run in a task of its own
     * @return a future that follows the new task but whose cancellation does not cancel it
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if no loop is running on this thread
     */
    public static <T> Future<T> shield(Coroutine<T> coroutine) {
        return shield(createTask(Objects.requireNonNull(coroutine, "coroutine must not be null")));
    }

    /**
     * As {@link #shield(Coroutine)}, for a coroutine without a result: {@code await asyncio.shield(flush())}.
     *
     * @param coroutine the work to run in a task of its own
     * @return a future that follows the new task but whose cancellation does not cancel it; its result is {@code null}
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if no loop is running on this thread
     */
    public static Future<Void> shield(VoidCoroutine coroutine) {
        return shield(createTask(Objects.requireNonNull(coroutine, "coroutine must not be null")));
    }

    /**
     * Opens a deadline {@code delay} from now for the block of a try-with-resources statement: asyncio's
     * {@code asyncio.timeout(delay)}. See {@link Timeout}. asyncio's {@code timeout(None)}, a scope with no deadline
     * yet for {@link Timeout#reschedule} to set, is {@link #timeoutAt timeoutAt(Double.POSITIVE_INFINITY)}: a
     * {@code null} delay is refused here, not taken as none as by {@link #waitFor(Future, Duration)} and
     * {@link #wait(Collection, Duration, ReturnWhen)}.
     *
     * @param delay how long from now the block may run, in loop time
     * @return the scope, to close with a try-with-resources statement
     * @throws IllegalArgumentException if {@code delay} is negative
     * @throws NullPointerException     if {@code delay} is null
     * @throws IllegalStateException    if not called from a task
     */
    public static Timeout timeout(Duration delay) {
        return Timeout.after(delay);
    }

    /**
     * As {@link #timeout(Duration)} with the delay in seconds, as asyncio takes it: {@code async with
     * asyncio.timeout(3.5)} is {@code try (var t = Aio.timeout(3.5))}. {@link Double#POSITIVE_INFINITY} (asyncio's
     * {@code math.inf}) opens the scope with no deadline, as {@code timeoutAt(Double.POSITIVE_INFINITY)} does.
     *
     * @param seconds how long from now the block may run, in seconds of loop time
     * @return the scope, to close with a try-with-resources statement
     * @throws IllegalArgumentException if {@code seconds} is negative or NaN
     * @throws IllegalStateException    if not called from a task
     */
    public static Timeout timeout(double seconds) {
        return Timeout.after(seconds);
    }

    /**
     * Opens a deadline at loop time {@code when} ({@link Double#POSITIVE_INFINITY} for none yet): asyncio's
     * {@code asyncio.timeout_at(when)}.
     *
     * @param when the loop time ({@link EventLoop#time()}) at which the block is cancelled
     * @return the scope, to close with a try-with-resources statement
     * @throws IllegalArgumentException if {@code when} is NaN
     * @throws IllegalStateException    if not called from a task
     */
    public static Timeout timeoutAt(double when) {
        return Timeout.at(when);
    }

    // ---- leaving the loop

    /**
     * Runs blocking {@code call} on a new virtual thread and suspends the calling task until it returns: asyncio's
     * {@code to_thread()}. Other tasks run meanwhile. The call runs in a copy of the task's {@link Context}, as
     * asyncio's: it sees the task's {@link ContextVar} values, and what it sets stays on its thread.
     *
     * <p>Unlike asyncio's, which runs the call on the loop's default executor (a pool of at most
     * {@code min(32, cpus + 4)} threads unless {@code set_default_executor} replaced it), every call gets a thread of
     * its own: the number running at once has no bound, and {@link EventLoop#setDefaultExecutor} does not apply. To
     * bound it, use {@link EventLoop#runInExecutor} with a pool, or a {@link Semaphore} around the call.
     *
     * <p>Cancellation: cancelling the task interrupts the thread running the call and throws
     * {@link CancellationException} in the task at once. If the call then fails without having seen the interrupt
     * (its interrupt status still set), its error is its own and goes to the loop's exception handler; a failure
     * after it saw the interrupt is taken as caused by it and only logged.
     *
     * @param <T>  the type of the call's result
     * @param call the blocking work to run on its own thread
     * @return the call's result
     * @throws Exception the call's exception
     * @throws CancellationException if the calling task is cancelled while the call runs
     */
    public static <T> T toThread(Callable<T> call) throws Exception {
        EventLoop loop = runningLoop();
        loop.taskAwaiting("toThread", "Aio.toThread()");
        return Offload.submit(loop, EventLoop.toThreadExecutor(), Objects.requireNonNull(call, "call must not be null"),
                loop.currentBindings()).await();
    }

    /**
     * As {@link #toThread(Callable)}, for blocking work without a result ({@code Files.writeString(path, text)},
     * {@code Thread.sleep(100)}): asyncio's {@code await asyncio.to_thread(f)} of an {@code f} that returns
     * {@code None}. The call may throw checked exceptions, which this throws as they are, as a {@link Callable}'s.
     *
     * @param call the blocking work to run on its own thread
     * @throws Exception the call's exception
     * @throws CancellationException if the calling task is cancelled while the call runs
     * @throws NullPointerException  if {@code call} is null
     * @throws IllegalStateException if not called from a task of a running loop
     */
    public static void toThread(VoidCoroutine call) throws Exception {
        Objects.requireNonNull(call, "call must not be null");
        toThread(() -> {
            call.run();
            return null;
        });
    }

    /**
     * Suspends the calling task until {@code stage} completes and returns its value: awaiting a
     * {@link java.util.concurrent.CompletableFuture} or any {@link CompletionStage} without blocking the loop. The
     * exception is the stage's own (unwrapped from {@link java.util.concurrent.CompletionException}).
     *
     * @param <T>   the type of the stage's value
     * @param stage the stage to wait for; completed on any thread
     * @return the stage's value
     * @throws CancellationException if the calling task is cancelled while it waits (which cancels the stage's {@link
     *                               java.util.concurrent.CompletableFuture#toCompletableFuture() CompletableFuture} if
     *                               it has one), or the stage was cancelled
     * @throws Exception the stage's exception
     */
    public static <T> T await(CompletionStage<T> stage) throws Exception {
        return runningLoop().wrapFuture(stage).await();
    }

    // ---- streams

    /**
     * Opens a TCP connection to {@code host}:{@code port} and returns its reader and writer: asyncio's
     * {@code open_connection(host, port)}. The calling task suspends while the host name is resolved and the
     * connection made, on a thread of their own; other tasks run meanwhile. It tries each address {@code host}
     * resolves to in turn, in the order the JDK's resolver gives them, until one connects, as asyncio does (without
     * {@code happy_eyeballs_delay}): a server listening on {@code ::1} alone is reached through a name whose first
     * address is {@code 127.0.0.1}. The reader's limit is {@link StreamReader#DEFAULT_LIMIT}. The loop's close
     * closes the connection if it is still open.
     *
     * @param host the host name or address literal to connect to
     * @param port the port, 1 to 65535
     * @return the connection's reader and writer
     * @throws java.net.ConnectException     if the connection is refused; its message names {@code host:port}
     *                                       ("Connection refused: 127.0.0.1:8888"; the JDK's own, naming neither,
     *                                       is its cause). If {@code host} has several addresses and every one
     *                                       refuses (or times out), as asyncio's: {@code "Multiple exceptions: "}
     *                                       then each address's error naming it ("Connection refused:
     *                                       127.0.0.1:8888, Connection refused: [::1]:8888"), its cause the first
     *                                       address's error, the others' suppressed
     * @throws java.net.UnknownHostException if {@code host} cannot be resolved
     * @throws java.io.IOException           any other error of the connection attempt; with several addresses,
     *                                       failing in different ways, one as above, a
     *                                       {@link java.net.SocketException} if all are (all made in the calling
     *                                       task, so that their stack trace shows its line, the connecting thread's
     *                                       own as their cause)
     * @throws CancellationException         if the calling task is cancelled meanwhile (no further address is
     *                                       tried, and a connection made meanwhile is closed)
     * @throws NullPointerException          if {@code host} is null
     * @throws IllegalArgumentException      if {@code port} is out of range
     * @throws IllegalStateException         if not called from a task of a running loop
     */
    public static StreamPair openConnection(String host, int port) throws java.io.IOException {
        return Streams.openConnection(host, port, StreamReader.DEFAULT_LIMIT);
    }

    /**
     * As {@link #openConnection(String, int)}, with a reader of limit {@code limit}: asyncio's
     * {@code open_connection(host, port, limit=limit)}.
     *
     * @param host  the host name or address literal to connect to
     * @param port  the port, 1 to 65535
     * @param limit the reader's limit in bytes (see {@link StreamReader})
     * @return the connection's reader and writer
     * @throws java.io.IOException      as {@link #openConnection(String, int)}
     * @throws IllegalArgumentException if {@code port} is out of range or {@code limit} is not positive
     */
    public static StreamPair openConnection(String host, int port, int limit) throws java.io.IOException {
        return Streams.openConnection(host, port, limit);
    }

    /**
     * As {@link #openConnection(String, int)}, over TLS with {@code ssl}: asyncio's
     * {@code open_connection(host, port, ssl=ssl)}. Once connected, the TLS handshake is made before the call
     * returns, on the same thread of its own (the calling task suspends meanwhile, and its cancellation closes the
     * socket); the server's certificate must be trusted by {@code ssl} and name {@code host} (endpoint identification
     * {@code "HTTPS"}, as asyncio's default context checks the host name; {@code host} is also sent as the server
     * name, SNI, unless it is an address literal, as asyncio's is). A handshake that takes longer than 60 seconds is
     * aborted (asyncio's default {@code ssl_handshake_timeout}). The writer's {@link StreamWriter#sslSession()} is the
     * session; {@link StreamWriter#writeEof()} is refused, TLS having no half-close here as in asyncio, and
     * {@link StreamWriter#close()} sends a {@code close_notify} after the bytes queued and waits for the server's;
     * a close that has not finished 30 seconds after it aborts the connection (asyncio's default
     * {@code ssl_shutdown_timeout}; see {@link StreamWriter#close()}). asyncio's {@code server_hostname} and
     * {@code ssl_handshake_timeout} are
     * {@link #openConnection(String, int, SSLContext, String, double, int)}'s, with {@code ssl_shutdown_timeout}
     * {@link #openConnection(String, int, SSLContext, String, double, double, int)}'s; {@code ssl=True} is not
     * provided (pass {@code SSLContext.getDefault()}). A plain connection can be upgraded later with
     * {@link StreamWriter#startTls}.
     *
     * @param host the host name or address literal to connect to, which the server's certificate must name
     * @param port the port, 1 to 65535
     * @param ssl  the context to make the TLS connection with, or {@code null} for a plain TCP connection
     *             (asyncio's {@code ssl=None})
     * @return the connection's reader and writer
     * @throws javax.net.ssl.SSLHandshakeException if the handshake fails (an untrusted certificate, one that does
     *                                             not name {@code host}, no protocol in common...) or takes longer
     *                                             than 60 seconds; its message names {@code host:port}, the JDK's
     *                                             own exception is its cause. The socket is closed
     * @throws java.io.IOException                 as {@link #openConnection(String, int)}
     * @throws CancellationException               if the calling task is cancelled meanwhile (the socket is
     *                                             closed, even mid-handshake)
     * @throws IllegalArgumentException            if {@code port} is out of range, or {@code ssl} is not initialized
     */
    public static StreamPair openConnection(String host, int port, SSLContext ssl)
            throws java.io.IOException {
        return Streams.openConnection(host, port, ssl, StreamReader.DEFAULT_LIMIT);
    }

    /**
     * As {@link #openConnection(String, int, SSLContext)}, with a reader of limit {@code limit}:
     * asyncio's {@code open_connection(host, port, ssl=ssl, limit=limit)}.
     *
     * @param host  the host name or address literal to connect to
     * @param port  the port, 1 to 65535
     * @param ssl   the context to make the TLS connection with, or {@code null} for a plain TCP connection
     * @param limit the reader's limit in bytes (see {@link StreamReader})
     * @return the connection's reader and writer
     * @throws java.io.IOException      as {@link #openConnection(String, int, SSLContext)}
     * @throws IllegalArgumentException if {@code port} is out of range, {@code limit} is not positive, or {@code ssl}
     *                                  is not initialized
     */
    public static StreamPair openConnection(String host, int port, SSLContext ssl, int limit)
            throws java.io.IOException {
        return Streams.openConnection(host, port, ssl, limit);
    }

    /**
     * As {@link #openConnection(String, int, SSLContext, int)}, with every TLS option of asyncio's:
     * {@code open_connection(host, port, ssl=ssl, server_hostname=serverHostname,
     * ssl_handshake_timeout=sslHandshakeTimeout, limit=limit)} (pass {@link StreamReader#DEFAULT_LIMIT} for the
     * default limit).
     *
     * @param host                the host name or address literal to connect to
     * @param port                the port, 1 to 65535
     * @param ssl                 the context to make the TLS connection with (not null: the options are TLS's)
     * @param serverHostname      the name the server's certificate must carry, also sent as the server name (SNI)
     *                            unless it is an address literal, where it is not {@code host} (behind a proxy, say,
     *                            or dialling an address); {@code null} for {@code host}; {@code ""} for none,
     *                            neither sent nor checked, as asyncio's {@code server_hostname=''} with a context
     *                            whose {@code check_hostname} is off (a JDK context has no such setting: {@code ""}
     *                            is the opt-out; {@code ssl}'s trust managers still check the certificate chain)
     * @param sslHandshakeTimeout the most seconds the handshake may take, as a whole (asyncio's
     *                            {@code ssl_handshake_timeout}, 60 by default)
     * @param limit               the reader's limit in bytes (see {@link StreamReader})
     * @return the connection's reader and writer
     * @throws javax.net.ssl.SSLHandshakeException as {@link #openConnection(String, int, SSLContext)}, the
     *                                             certificate checked against {@code serverHostname}, the timeout
     *                                             {@code sslHandshakeTimeout}
     * @throws java.io.IOException                 as {@link #openConnection(String, int, SSLContext)}
     * @throws IllegalArgumentException            if {@code ssl} is null (asyncio's {@code "server_hostname is only
     *                                             meaningful with ssl"}) or not initialized, {@code sslHandshakeTimeout}
     *                                             is not a positive number of seconds (the message names it), or
     *                                             {@code port} or {@code limit} is out of range
     */
    public static StreamPair openConnection(String host, int port, SSLContext ssl, String serverHostname,
                                            double sslHandshakeTimeout, int limit) throws java.io.IOException {
        return Streams.openConnection(host, port, ssl, serverHostname, sslHandshakeTimeout, limit);
    }

    /**
     * As {@link #openConnection(String, int, SSLContext, String, double, int)} with the handshake timeout as a
     * {@link Duration} ({@code ssl_handshake_timeout}, rounded to the millisecond).
     *
     * @param host                the host name or address literal to connect to
     * @param port                the port, 1 to 65535
     * @param ssl                 the context to make the TLS connection with (not null: the options are TLS's)
     * @param serverHostname      as {@link #openConnection(String, int, SSLContext, String, double, int)}: the name
     *                            the server's certificate must carry; {@code null} for {@code host}; {@code ""} for
     *                            none
     * @param sslHandshakeTimeout the most time the handshake may take, as a whole (asyncio's
     *                            {@code ssl_handshake_timeout}, 60 seconds by default)
     * @param limit               the reader's limit in bytes (see {@link StreamReader})
     * @return the connection's reader and writer
     * @throws javax.net.ssl.SSLHandshakeException as {@link #openConnection(String, int, SSLContext, String, double,
     *                                             int)}
     * @throws java.io.IOException                 as {@link #openConnection(String, int, SSLContext)}
     * @throws IllegalArgumentException            if {@code ssl} is null or not initialized, {@code sslHandshakeTimeout}
     *                                             is zero or negative (the message names it), or {@code port} or
     *                                             {@code limit} is out of range
     * @throws NullPointerException                if {@code host} or {@code sslHandshakeTimeout} is null
     */
    public static StreamPair openConnection(String host, int port, SSLContext ssl, String serverHostname,
                                            Duration sslHandshakeTimeout, int limit) throws java.io.IOException {
        return Streams.openConnection(host, port, ssl, serverHostname, sslHandshakeTimeout, limit);
    }

    /**
     * As {@link #openConnection(String, int, SSLContext, String, double, int)}, with the shutdown timeout too:
     * asyncio's {@code open_connection(host, port, ssl=ssl, server_hostname=serverHostname,
     * ssl_handshake_timeout=sslHandshakeTimeout, ssl_shutdown_timeout=sslShutdownTimeout, limit=limit)}. A
     * {@link StreamWriter#close()} that has not finished {@code sslShutdownTimeout} after it (a timer of the loop, as
     * asyncio's) aborts the connection, dropping what is not yet written, and the writer's
     * {@link StreamWriter#waitClosed()} and the reader then throw a {@link java.net.SocketTimeoutException}, as
     * asyncio's raise its {@code TimeoutError} (see {@link StreamWriter#close()}).
     *
     * @param host                the host name or address literal to connect to
     * @param port                the port, 1 to 65535
     * @param ssl                 the context to make the TLS connection with (not null: the options are TLS's)
     * @param serverHostname      as {@link #openConnection(String, int, SSLContext, String, double, int)}: the name
     *                            the server's certificate must carry; {@code null} for {@code host}; {@code ""} for
     *                            none
     * @param sslHandshakeTimeout the most seconds the handshake may take, as a whole (asyncio's
     *                            {@code ssl_handshake_timeout}, 60 by default)
     * @param sslShutdownTimeout  the most seconds the writer's {@link StreamWriter#close()} may take before the
     *                            connection is aborted (asyncio's {@code ssl_shutdown_timeout}, 30 by default)
     * @param limit               the reader's limit in bytes (see {@link StreamReader})
     * @return the connection's reader and writer
     * @throws javax.net.ssl.SSLHandshakeException as {@link #openConnection(String, int, SSLContext, String, double,
     *                                             int)}
     * @throws java.io.IOException                 as {@link #openConnection(String, int, SSLContext)}
     * @throws IllegalArgumentException            if {@code ssl} is null (asyncio's {@code "ssl_shutdown_timeout is
     *                                             only meaningful with ssl"}) or not initialized,
     *                                             {@code sslHandshakeTimeout} or {@code sslShutdownTimeout} is not a
     *                                             positive number of seconds (the message names it; asyncio refuses
     *                                             zero too), or {@code port} or {@code limit} is out of range
     */
    public static StreamPair openConnection(String host, int port, SSLContext ssl, String serverHostname,
                                            double sslHandshakeTimeout, double sslShutdownTimeout, int limit)
            throws java.io.IOException {
        return Streams.openConnection(host, port, ssl, serverHostname, sslHandshakeTimeout, sslShutdownTimeout,
                limit);
    }

    /**
     * As {@link #openConnection(String, int, SSLContext, String, double, double, int)} with the timeouts as
     * {@link Duration}s ({@code ssl_handshake_timeout} and {@code ssl_shutdown_timeout}, rounded to the millisecond).
     *
     * @param host                the host name or address literal to connect to
     * @param port                the port, 1 to 65535
     * @param ssl                 the context to make the TLS connection with (not null: the options are TLS's)
     * @param serverHostname      as {@link #openConnection(String, int, SSLContext, String, double, int)}: the name
     *                            the server's certificate must carry; {@code null} for {@code host}; {@code ""} for
     *                            none
     * @param sslHandshakeTimeout the most time the handshake may take, as a whole (60 seconds by default)
     * @param sslShutdownTimeout  the most time the writer's {@link StreamWriter#close()} may take before the
     *                            connection is aborted (30 seconds by default)
     * @param limit               the reader's limit in bytes (see {@link StreamReader})
     * @return the connection's reader and writer
     * @throws javax.net.ssl.SSLHandshakeException as {@link #openConnection(String, int, SSLContext, String, double,
     *                                             int)}
     * @throws java.io.IOException                 as {@link #openConnection(String, int, SSLContext)}
     * @throws IllegalArgumentException            if {@code ssl} is null or not initialized,
     *                                             {@code sslHandshakeTimeout} or {@code sslShutdownTimeout} is zero
     *                                             or negative (the message names it), or {@code port} or
     *                                             {@code limit} is out of range
     * @throws NullPointerException                if {@code host}, {@code sslHandshakeTimeout} or
     *                                             {@code sslShutdownTimeout} is null
     */
    public static StreamPair openConnection(String host, int port, SSLContext ssl, String serverHostname,
                                            Duration sslHandshakeTimeout, Duration sslShutdownTimeout, int limit)
            throws java.io.IOException {
        return Streams.openConnection(host, port, ssl, serverHostname, sslHandshakeTimeout, sslShutdownTimeout,
                limit);
    }

    /**
     * Starts a TCP server listening on {@code host}:{@code port} that runs {@code handler} in a new task for each
     * connection: asyncio's {@code start_server(client_connected_cb, host, port)}. The calling task suspends while
     * the host name is resolved and the sockets bound, on a thread of their own; the server returned is serving. As
     * asyncio's, it listens on a socket of its own on each address {@code host} resolves to (each once: a name of
     * {@code 127.0.0.1} and {@code ::1} gets two), and port 0 lets the system choose each one's port (they may
     * differ; see {@link Server#addresses()}). The readers' limit is {@link StreamReader#DEFAULT_LIMIT}. The loop's
     * close closes the server if it is still open.
     *
     * @param handler the code to run for each connection
     * @param host    the host name or address to listen on, or {@code null} (or {@code ""}, as asyncio takes it)
     *                for every interface (asyncio's {@code None}: one socket here, which the JDK makes take IPv4 and IPv6 connections both, where
     *                asyncio binds {@code 0.0.0.0} and {@code ::} apart)
     * @param port    the port, or 0 for one the system chooses (see {@link Server#addresses()})
     * @return the server, serving
     * @throws java.net.BindException        if an address is in use or cannot be bound, naming it ("Address
     *                                       already in use: [::1]:8888", the JDK's own as its cause); the sockets
     *                                       bound before it are closed
     * @throws java.net.UnknownHostException if {@code host} cannot be resolved
     * @throws java.io.IOException           any other error of opening a socket (all made in the calling task)
     * @throws CancellationException         if the calling task is cancelled meanwhile (the sockets bound
     *                                       meanwhile are closed)
     * @throws NullPointerException          if {@code handler} is null
     * @throws IllegalArgumentException      if {@code port} is out of range
     * @throws IllegalStateException         if not called from a task of a running loop
     */
    public static Server startServer(ConnectionHandler handler, String host, int port) throws java.io.IOException {
        return Streams.startServer(handler, host, port, StreamReader.DEFAULT_LIMIT);
    }

    /**
     * As {@link #startServer(ConnectionHandler, String, int)}, with readers of limit {@code limit}: asyncio's
     * {@code start_server(client_connected_cb, host, port, limit=limit)}.
     *
     * @param handler the code to run for each connection
     * @param host    the host name or address to listen on, or {@code null} (or {@code ""}) for every interface
     * @param port    the port, or 0 for one the system chooses
     * @param limit   the readers' limit in bytes (see {@link StreamReader})
     * @return the server, serving
     * @throws java.io.IOException      as {@link #startServer(ConnectionHandler, String, int)}
     * @throws IllegalArgumentException if {@code port} is out of range or {@code limit} is not positive
     */
    public static Server startServer(ConnectionHandler handler, String host, int port, int limit)
            throws java.io.IOException {
        return Streams.startServer(handler, host, port, limit);
    }

    /**
     * As {@link #startServer(ConnectionHandler, String, int)}, over TLS with {@code ssl}: asyncio's
     * {@code start_server(client_connected_cb, host, port, ssl=ssl)}. Each connection accepted makes its TLS
     * handshake on a thread of its own (a client slow to handshake, or that never does, holds up no other), and
     * {@code handler} runs only once it has succeeded. A handshake that fails, or takes longer than 60 seconds
     * (asyncio's default {@code ssl_handshake_timeout}), closes the connection and never reaches the handler; it is
     * reported to the loop's exception handler in debug mode only, as CPython 3.13's is ("Error on transport
     * creation for incoming connection"; outside debug mode asyncio reports nothing). Whether the server asks for client certificates is the context's
     * business ({@code SSLContext.getDefaultSSLParameters()}). The writers' {@link StreamWriter#sslSession()} is
     * each connection's session. A writer's {@link StreamWriter#close()} sends a {@code close_notify} and waits for
     * the client's; one that has not finished 30 seconds after it aborts its connection (asyncio's default
     * {@code ssl_shutdown_timeout}; see
     * {@link #startServer(ConnectionHandler, String, int, SSLContext, double, double, int)}).
     *
     * @param handler the code to run for each connection, once its handshake has succeeded
     * @param host    the host name or address to listen on, or {@code null} (or {@code ""}) for every interface
     * @param port    the port, or 0 for one the system chooses
     * @param ssl     the context to serve TLS with (it holds the server's key and certificate), or {@code null}
     *                for a plain TCP server (asyncio's {@code ssl=None})
     * @return the server, serving
     * @throws java.io.IOException      as {@link #startServer(ConnectionHandler, String, int)}
     * @throws IllegalArgumentException if {@code port} is out of range, or {@code ssl} is not initialized
     */
    public static Server startServer(ConnectionHandler handler, String host, int port,
                                     SSLContext ssl) throws java.io.IOException {
        return Streams.startServer(handler, host, port, ssl, StreamReader.DEFAULT_LIMIT);
    }

    /**
     * As {@link #startServer(ConnectionHandler, String, int, SSLContext)}, with readers of limit
     * {@code limit}: asyncio's {@code start_server(client_connected_cb, host, port, ssl=ssl, limit=limit)}.
     *
     * @param handler the code to run for each connection, once its handshake has succeeded
     * @param host    the host name or address to listen on, or {@code null} (or {@code ""}) for every interface
     * @param port    the port, or 0 for one the system chooses
     * @param ssl     the context to serve TLS with, or {@code null} for a plain TCP server
     * @param limit   the readers' limit in bytes (see {@link StreamReader})
     * @return the server, serving
     * @throws java.io.IOException      as {@link #startServer(ConnectionHandler, String, int)}
     * @throws IllegalArgumentException if {@code port} is out of range, {@code limit} is not positive, or {@code ssl}
     *                                  is not initialized
     */
    public static Server startServer(ConnectionHandler handler, String host, int port,
                                     SSLContext ssl, int limit) throws java.io.IOException {
        return Streams.startServer(handler, host, port, ssl, limit);
    }

    /**
     * As {@link #startServer(ConnectionHandler, String, int, SSLContext, int)}, each handshake bounded by
     * {@code sslHandshakeTimeout}: asyncio's {@code start_server(client_connected_cb, host, port, ssl=ssl,
     * ssl_handshake_timeout=sslHandshakeTimeout, limit=limit)} (pass {@link StreamReader#DEFAULT_LIMIT} for the
     * default limit). A connection whose handshake takes longer is closed and never reaches the handler.
     *
     * @param handler             the code to run for each connection, once its handshake has succeeded
     * @param host                the host name or address to listen on, or {@code null} (or {@code ""}) for every
     *                            interface
     * @param port                the port, or 0 for one the system chooses
     * @param ssl                 the context to serve TLS with (not null: the option is TLS's)
     * @param sslHandshakeTimeout the most seconds each handshake may take, as a whole (asyncio's
     *                            {@code ssl_handshake_timeout}, 60 by default)
     * @param limit               the readers' limit in bytes (see {@link StreamReader})
     * @return the server, serving
     * @throws java.io.IOException      as {@link #startServer(ConnectionHandler, String, int)}
     * @throws IllegalArgumentException if {@code ssl} is null (asyncio's {@code "ssl_handshake_timeout is only
     *                                  meaningful with ssl"}) or not initialized, {@code sslHandshakeTimeout} is not
     *                                  a positive number of seconds (the message names it), or {@code port} or
     *                                  {@code limit} is out of range
     */
    public static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl,
                                     double sslHandshakeTimeout, int limit) throws java.io.IOException {
        return Streams.startServer(handler, host, port, ssl, sslHandshakeTimeout, limit);
    }

    /**
     * As {@link #startServer(ConnectionHandler, String, int, SSLContext, double, int)} with the handshake timeout as
     * a {@link Duration} ({@code ssl_handshake_timeout}, rounded to the millisecond).
     *
     * @param handler             the code to run for each connection, once its handshake has succeeded
     * @param host                the host name or address to listen on, or {@code null} (or {@code ""}) for every
     *                            interface
     * @param port                the port, or 0 for one the system chooses
     * @param ssl                 the context to serve TLS with (not null: the option is TLS's)
     * @param sslHandshakeTimeout the most time each handshake may take, as a whole (asyncio's
     *                            {@code ssl_handshake_timeout}, 60 seconds by default)
     * @param limit               the readers' limit in bytes (see {@link StreamReader})
     * @return the server, serving
     * @throws java.io.IOException      as {@link #startServer(ConnectionHandler, String, int)}
     * @throws IllegalArgumentException if {@code ssl} is null or not initialized, {@code sslHandshakeTimeout} is zero
     *                                  or negative (the message names it), or {@code port} or {@code limit} is out
     *                                  of range
     * @throws NullPointerException     if {@code handler} or {@code sslHandshakeTimeout} is null
     */
    public static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl,
                                     Duration sslHandshakeTimeout, int limit) throws java.io.IOException {
        return Streams.startServer(handler, host, port, ssl, sslHandshakeTimeout, limit);
    }

    /**
     * As {@link #startServer(ConnectionHandler, String, int, SSLContext, double, int)}, with the shutdown timeout of
     * each connection too: asyncio's {@code start_server(client_connected_cb, host, port, ssl=ssl,
     * ssl_handshake_timeout=sslHandshakeTimeout, ssl_shutdown_timeout=sslShutdownTimeout, limit=limit)}. A
     * connection's {@link StreamWriter#close()} (the handler's, {@link Server#closeClients()}'s, or the one that
     * follows a handler that failed or was cancelled) that has not finished {@code sslShutdownTimeout} after it (a
     * timer of the loop, as asyncio's) aborts the connection, as {@link StreamWriter#close()} says.
     *
     * @param handler             the code to run for each connection, once its handshake has succeeded
     * @param host                the host name or address to listen on, or {@code null} (or {@code ""}) for every
     *                            interface
     * @param port                the port, or 0 for one the system chooses
     * @param ssl                 the context to serve TLS with (not null: the options are TLS's)
     * @param sslHandshakeTimeout the most seconds each handshake may take, as a whole (asyncio's
     *                            {@code ssl_handshake_timeout}, 60 by default)
     * @param sslShutdownTimeout  the most seconds the close of each connection may take before it is aborted
     *                            (asyncio's {@code ssl_shutdown_timeout}, 30 by default)
     * @param limit               the readers' limit in bytes (see {@link StreamReader})
     * @return the server, serving
     * @throws java.io.IOException      as {@link #startServer(ConnectionHandler, String, int)}
     * @throws IllegalArgumentException if {@code ssl} is null (asyncio's {@code "ssl_shutdown_timeout is only
     *                                  meaningful with ssl"}) or not initialized, {@code sslHandshakeTimeout} or
     *                                  {@code sslShutdownTimeout} is not a positive number of seconds (the message
     *                                  names it; asyncio refuses zero too), or {@code port} or {@code limit} is out
     *                                  of range
     */
    public static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl,
                                     double sslHandshakeTimeout, double sslShutdownTimeout, int limit)
            throws java.io.IOException {
        return Streams.startServer(handler, host, port, ssl, sslHandshakeTimeout, sslShutdownTimeout, limit);
    }

    /**
     * As {@link #startServer(ConnectionHandler, String, int, SSLContext, double, double, int)} with the timeouts as
     * {@link Duration}s ({@code ssl_handshake_timeout} and {@code ssl_shutdown_timeout}, rounded to the millisecond).
     *
     * @param handler             the code to run for each connection, once its handshake has succeeded
     * @param host                the host name or address to listen on, or {@code null} (or {@code ""}) for every
     *                            interface
     * @param port                the port, or 0 for one the system chooses
     * @param ssl                 the context to serve TLS with (not null: the options are TLS's)
     * @param sslHandshakeTimeout the most time each handshake may take, as a whole (60 seconds by default)
     * @param sslShutdownTimeout  the most time the close of each connection may take before it is aborted (30
     *                            seconds by default)
     * @param limit               the readers' limit in bytes (see {@link StreamReader})
     * @return the server, serving
     * @throws java.io.IOException      as {@link #startServer(ConnectionHandler, String, int)}
     * @throws IllegalArgumentException if {@code ssl} is null or not initialized, {@code sslHandshakeTimeout} or
     *                                  {@code sslShutdownTimeout} is zero or negative (the message names it), or
     *                                  {@code port} or {@code limit} is out of range
     * @throws NullPointerException     if {@code handler}, {@code sslHandshakeTimeout} or {@code sslShutdownTimeout}
     *                                  is null
     */
    public static Server startServer(ConnectionHandler handler, String host, int port, SSLContext ssl,
                                     Duration sslHandshakeTimeout, Duration sslShutdownTimeout, int limit)
            throws java.io.IOException {
        return Streams.startServer(handler, host, port, ssl, sslHandshakeTimeout, sslShutdownTimeout, limit);
    }

    /**
     * Opens a connection to the Unix-domain socket at {@code path} and returns its reader and writer: asyncio's
     * {@code open_unix_connection(path)}. The calling task suspends while the connection is made, on a thread of its
     * own; other tasks run meanwhile. The client's socket is unnamed ({@link StreamWriter#sockPath()} is empty, its
     * {@link StreamWriter#peerPath()} is {@code path}), as asyncio's. The reader's limit is
     * {@link StreamReader#DEFAULT_LIMIT}. The loop's close closes the connection if it is still open.
     *
     * @param path the path of the socket, at most 106 bytes on Linux (102 on macOS)
     * @return the connection's reader and writer
     * @throws java.io.FileNotFoundException if there is no such socket (or directory), asyncio's
     *                                       {@code FileNotFoundError}
     * @throws java.net.ConnectException     if nothing listens on the socket (a stale socket, or a file of
     *                                       another kind), asyncio's {@code ConnectionRefusedError}
     * @throws java.io.IOException           any other error of the connection attempt (all made in the calling
     *                                       task, their message naming {@code path}, the connecting thread's own
     *                                       exception as their cause)
     * @throws CancellationException         if the calling task is cancelled meanwhile (a connection made
     *                                       meanwhile is closed)
     * @throws NullPointerException          if {@code path} is null
     * @throws IllegalArgumentException      if {@code path} is empty or longer than a socket's path may be (its
     *                                       bytes in the JDK's file name encoding), naming it and the limit
     * @throws IllegalStateException         if not called from a task of a running loop
     */
    public static StreamPair openUnixConnection(java.nio.file.Path path) throws java.io.IOException {
        return Streams.openUnixConnection(path, StreamReader.DEFAULT_LIMIT);
    }

    /**
     * As {@link #openUnixConnection(java.nio.file.Path)}, with a reader of limit {@code limit}: asyncio's
     * {@code open_unix_connection(path, limit=limit)}.
     *
     * @param path  the path of the socket
     * @param limit the reader's limit in bytes (see {@link StreamReader})
     * @return the connection's reader and writer
     * @throws java.io.IOException      as {@link #openUnixConnection(java.nio.file.Path)}
     * @throws IllegalArgumentException if {@code path} is empty or too long, or {@code limit} is not positive
     */
    public static StreamPair openUnixConnection(java.nio.file.Path path, int limit) throws java.io.IOException {
        return Streams.openUnixConnection(path, limit);
    }

    /**
     * Starts a server listening on a Unix-domain socket at {@code path} that runs {@code handler} in a new task for
     * each connection: asyncio's {@code start_unix_server(client_connected_cb, path)} (CPython 3.13). The calling
     * task suspends while the socket is bound, on a thread of its own; the server returned is serving. A socket
     * already at {@code path} (a stale one, left by a server that did not clean up, or even one that another server
     * listens on) is deleted first, as asyncio does; a file of another kind is left, and the bind fails. The
     * server's close deletes its socket file if the file at {@code path} is still the one it bound (asyncio's
     * {@code cleanup_socket=True}, its default; there is no way to keep it). The readers' limit is
     * {@link StreamReader#DEFAULT_LIMIT}. The loop's close closes the server if it is still open.
     *
     * @param handler the code to run for each connection
     * @param path    the path of the socket, at most 106 bytes on Linux (102 on macOS); see
     *                {@link Server#path()}
     * @return the server, serving
     * @throws java.net.BindException        if a file that is not a socket is at {@code path} ("Address already in
     *                                       use", as asyncio's {@code OSError})
     * @throws java.io.FileNotFoundException if the directory of {@code path} does not exist
     * @throws java.io.IOException           any other error of deleting a socket at {@code path} or binding (all
     *                                       made in the calling task, their message naming {@code path}, the
     *                                       binding thread's own exception as their cause); asyncio logs a failure
     *                                       to delete a stale socket and goes on to bind
     * @throws CancellationException         if the calling task is cancelled meanwhile (a socket bound meanwhile is
     *                                       closed and its file deleted)
     * @throws NullPointerException          if {@code handler} or {@code path} is null
     * @throws IllegalArgumentException      if {@code path} is empty or longer than a socket's path may be, naming
     *                                       it and the limit
     * @throws IllegalStateException         if not called from a task of a running loop
     */
    public static Server startUnixServer(ConnectionHandler handler, java.nio.file.Path path)
            throws java.io.IOException {
        return Streams.startUnixServer(handler, path, StreamReader.DEFAULT_LIMIT);
    }

    /**
     * As {@link #startUnixServer(ConnectionHandler, java.nio.file.Path)}, with readers of limit {@code limit}:
     * asyncio's {@code start_unix_server(client_connected_cb, path, limit=limit)}.
     *
     * @param handler the code to run for each connection
     * @param path    the path of the socket
     * @param limit   the readers' limit in bytes (see {@link StreamReader})
     * @return the server, serving
     * @throws java.io.IOException      as {@link #startUnixServer(ConnectionHandler, java.nio.file.Path)}
     * @throws IllegalArgumentException if {@code path} is empty or too long, or {@code limit} is not positive
     */
    public static Server startUnixServer(ConnectionHandler handler, java.nio.file.Path path, int limit)
            throws java.io.IOException {
        return Streams.startUnixServer(handler, path, limit);
    }

    /**
     * Opens a UDP endpoint bound to {@code localHost}:{@code localPort}: asyncio's
     * {@code loop.create_datagram_endpoint(protocol_factory, local_addr=(host, port))}, in direct style (see
     * {@link DatagramEndpoint}: {@code receive()} for {@code datagram_received}, {@code sendTo(data, addr)}). The
     * calling task suspends while the name is resolved and the socket opened, on a thread of their own. The loop's
     * close closes the endpoint if it is still open.
     *
     * @param localHost the host name or address literal to bind to, or null for every interface
     * @param localPort the port, 0 to 65535 (0: one the system chooses, {@link DatagramEndpoint#localAddress()})
     * @return the endpoint, receiving
     * @throws java.net.UnknownHostException if {@code localHost} cannot be resolved
     * @throws java.net.BindException        if the address is in use or not local
     * @throws java.io.IOException           any other error opening the socket
     * @throws CancellationException         if the calling task is cancelled meanwhile (a socket opened meanwhile
     *                                       is closed)
     * @throws IllegalArgumentException      if {@code localPort} is out of range
     * @throws IllegalStateException         if not called from a task of a running loop
     */
    public static DatagramEndpoint createDatagramEndpoint(String localHost, int localPort)
            throws java.io.IOException {
        return DatagramEndpoint.create(localHost, localPort, null, 0, DatagramEndpoint.RECEIVE_BUFFER);
    }

    /**
     * As {@link #createDatagramEndpoint(String, int)}, connected to {@code remoteHost}:{@code remotePort}: asyncio's
     * {@code create_datagram_endpoint(..., local_addr=..., remote_addr=(host, port))}. A connected endpoint sends to
     * that address alone ({@link DatagramEndpoint#sendTo(byte[])}), receives only what comes from it, and learns
     * from the system when nothing listens there (a {@link java.net.PortUnreachableException} from a later
     * {@code receive()}, asyncio's {@code error_received}).
     *
     * @param localHost  the host to bind to, or null for every interface (with {@code localPort} 0: asyncio's
     *                   {@code remote_addr} alone)
     * @param localPort  the local port, 0 to 65535 (0: one the system chooses)
     * @param remoteHost the host name or address literal of the remote endpoint
     * @param remotePort its port, 1 to 65535
     * @return the endpoint, connected and receiving
     * @throws java.io.IOException      as {@link #createDatagramEndpoint(String, int)}, also for {@code remoteHost}
     * @throws NullPointerException     if {@code remoteHost} is null
     * @throws IllegalArgumentException if a port is out of range
     */
    public static DatagramEndpoint createDatagramEndpoint(String localHost, int localPort, String remoteHost,
                                                          int remotePort) throws java.io.IOException {
        Objects.requireNonNull(remoteHost, "remoteHost must not be null");
        return DatagramEndpoint.create(localHost, localPort, remoteHost, remotePort, DatagramEndpoint.RECEIVE_BUFFER);
    }

    /**
     * Starts {@code program} with {@code args}, its standard input, output and error pipes of the loop: asyncio's
     * {@code create_subprocess_exec(program, *args, stdin=PIPE, stdout=PIPE, stderr=PIPE)}. (Pipes are the
     * {@link ProcessBuilder}'s default; asyncio's is to inherit the three. Use
     * {@link #createSubprocessExec(ProcessBuilder)} to choose.) So a port of {@code create_subprocess_exec(program,
     * stdout=PIPE)} gets a standard error pipe too, and a child that writes more than some 200 KiB to a pipe nobody
     * reads (the reader holds twice its limit, then the system's pipe fills) blocks until it is read: read it, or
     * redirect it ({@link ProcessBuilder.Redirect#INHERIT} is asyncio's default). The calling task suspends while the
     * process starts, on a thread of its own. The loop's close kills a child still running.
     *
     * @param program the program to run (looked up on the {@code PATH}, as {@link ProcessBuilder} does)
     * @param args    its arguments
     * @return the running child
     * @throws java.io.FileNotFoundException if there is no such program (asyncio's {@code FileNotFoundError}), or
     *                                       the builder's working directory does not exist
     * @throws java.io.IOException      if it cannot be started otherwise (the program is not executable, say)
     * @throws CancellationException    if the calling task is cancelled meanwhile (a child started meanwhile is
     *                                  killed)
     * @throws NullPointerException     if {@code program}, {@code args} or an argument is null
     * @throws IllegalArgumentException if {@code program} or an argument contains a NUL character
     * @throws IllegalStateException    if not called from a task of a running loop
     */
    public static Subprocess createSubprocessExec(String program, String... args) throws java.io.IOException {
        Objects.requireNonNull(program, "program must not be null");
        Objects.requireNonNull(args, "args must not be null");
        var command = new ArrayList<String>(args.length + 1);
        command.add(program);
        for (String a : args) {
            command.add(Objects.requireNonNull(a, "an argument of createSubprocessExec() is null"));
        }
        return Subprocess.start(new ProcessBuilder(command), StreamReader.DEFAULT_LIMIT, "createSubprocessExec");
    }

    /**
     * Starts the process {@code builder} describes: asyncio's {@code create_subprocess_exec}. Each of its standard
     * streams that the builder redirects to {@link ProcessBuilder.Redirect#PIPE} (the default) is a stream of the
     * loop ({@link Subprocess#stdin()}, {@link Subprocess#stdout()}, {@link Subprocess#stderr()}); the others are
     * null. The calling task suspends while the process starts, on a thread of its own.
     *
     * @param builder what to start, where, with which redirections
     * @return the running child
     * @throws java.io.FileNotFoundException if there is no such program, or the working directory does not exist
     * @throws java.io.IOException      if it cannot be started otherwise
     * @throws CancellationException    if the calling task is cancelled meanwhile (a child started meanwhile is
     *                                  killed)
     * @throws NullPointerException     if {@code builder} or an element of its command is null
     * @throws IllegalArgumentException if its command is empty, or an element of it contains a NUL character
     * @throws IllegalStateException    if not called from a task of a running loop
     */
    public static Subprocess createSubprocessExec(ProcessBuilder builder) throws java.io.IOException {
        return Subprocess.start(builder, StreamReader.DEFAULT_LIMIT, "createSubprocessExec");
    }

    /**
     * As {@link #createSubprocessExec(ProcessBuilder)}, with readers of limit {@code limit} for the child's standard
     * output and error: asyncio's {@code create_subprocess_exec(..., limit=limit)}. (For a shell command line, give
     * a builder of {@code "/bin/sh", "-c", command}.)
     *
     * @param builder what to start, where, with which redirections
     * @param limit   the limit in bytes of {@link Subprocess#stdout()} and {@link Subprocess#stderr()} (see
     *                {@link StreamReader}; {@value StreamReader#DEFAULT_LIMIT} in the other overloads)
     * @return the running child
     * @throws java.io.FileNotFoundException if there is no such program, or the working directory does not exist
     * @throws java.io.IOException      if it cannot be started otherwise
     * @throws CancellationException    if the calling task is cancelled meanwhile (a child started meanwhile is
     *                                  killed)
     * @throws NullPointerException     if {@code builder} or an element of its command is null
     * @throws IllegalArgumentException if its command is empty, an element of it contains a NUL character, or
     *                                  {@code limit} is not positive
     * @throws IllegalStateException    if not called from a task of a running loop
     */
    public static Subprocess createSubprocessExec(ProcessBuilder builder, int limit) throws java.io.IOException {
        return Subprocess.start(builder, limit, "createSubprocessExec");
    }

    /**
     * Runs {@code command} in the system's shell, its standard input, output and error pipes of the loop: asyncio's
     * {@code create_subprocess_shell(command, stdin=PIPE, stdout=PIPE, stderr=PIPE)}. On Unix the child is
     * {@code /bin/sh -c command}, as in CPython, so the command may use the shell's syntax (pipes, redirections,
     * {@code $VARIABLES}), and a program the shell cannot find is no {@link java.io.IOException}: the shell says so
     * on standard error and exits with status 127. On Windows it is {@code %COMSPEC% /c command} ({@code cmd.exe}
     * if {@code COMSPEC} is not set), as in CPython, the command passed as one argument, which
     * {@link ProcessBuilder} quotes as it quotes any argument with spaces. As for asyncio's, quoting what the command
     * interpolates is the caller's job: an argument that comes from outside belongs in
     * {@link #createSubprocessExec(String, String...)}, which no shell parses. To choose the redirections, give
     * {@link #createSubprocessExec(ProcessBuilder)} a builder of {@code "/bin/sh", "-c", command}. The calling task
     * suspends while the process starts, on a thread of its own. The loop's close kills a child still running (the
     * shell: a program it started and did not {@code exec} may outlive it, as in asyncio).
     *
     * @param command the shell command line; an empty or blank one is refused (asyncio runs it, doing nothing)
     * @return the running child: the shell
     * @throws java.io.IOException      if the shell cannot be started
     * @throws CancellationException    if the calling task is cancelled meanwhile (a child started meanwhile is
     *                                  killed)
     * @throws NullPointerException     if {@code command} is null
     * @throws IllegalArgumentException if {@code command} is empty or blank, or contains a NUL character
     * @throws IllegalStateException    if not called from a task of a running loop
     */
    public static Subprocess createSubprocessShell(String command) throws java.io.IOException {
        List<String> shell = Subprocess.shellCommand(command, System.getProperty("os.name"), System.getenv("COMSPEC"));
        return Subprocess.start(new ProcessBuilder(shell), StreamReader.DEFAULT_LIMIT, "createSubprocessShell");
    }
}
