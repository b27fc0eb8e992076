package org.aio4j.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A pool of worker JVMs that run serializable tasks: Python's {@code concurrent.futures.ProcessPoolExecutor}, the
 * executor asyncio's {@code run_in_executor()} takes for CPU-bound work that should use every core without sharing a
 * heap. It is an {@link ExecutorService}, so it works as an event loop's executor
 * ({@code loop.runInExecutor(pool, ...)}, {@code loop.setDefaultExecutor(pool)}).
 *
 * <pre>{@code
 * try (var pool = ProcessPool.builder().workers(2).build()) {
 *     Aio.run(() -> {
 *         EventLoop loop = Aio.getRunningLoop();
 *         // asyncio: await loop.run_in_executor(pool, print_num, i)
 *         int square = loop.runInExecutor(pool, pool.remote(() -> printNum(i))).await();
 *         ...
 *     });
 * }
 * }</pre>
 *
 * <h2>What runs where</h2>
 * {@link #remote(SerializableCallable)} serializes a task at once (so a task that cannot cross fails right there,
 * naming the class at fault) and returns a local {@link Callable} bound to this pool; calling it sends the task to a
 * worker and blocks until the outcome is back. {@link #execute(Runnable)} runs its command <em>here</em>, on a new
 * virtual thread: that is the side {@code runInExecutor} uses, and the remote callable it runs is what goes to a
 * worker. So {@code loop.runInExecutor(pool, pool.remote(task))} runs {@code task} in a worker while the loop's
 * future follows it, and a plain callable passed to {@code runInExecutor(pool, ...)} runs on a local virtual thread
 * (as with the loop's own default executor), which lets the pool serve as default executor for blocking calls that
 * cannot cross a process boundary too. {@link #submit(Callable) submit}, {@code invokeAll} and {@code invokeAny} send
 * their tasks to workers; they must be serializable. {@link #map map} sends a function with chunks of items.
 *
 * <h2>Workers</h2>
 * Up to {@link Builder#workers(int) N} worker JVMs (default: the number of processors) run with the parent's runtime
 * ({@code <java.home>/bin/java}, even under a native launcher) and class path (given in a temporary argument file of
 * the launcher when it is too long for a command line), the {@link Builder#jvmOptions(String...) JVM options} of the
 * builder (not the parent's). A worker loads classes from that class path alone: a task that holds a class the parent
 * loaded from elsewhere (a plugin's class loader, the nested jars of a fat jar) fails its call with an
 * {@link java.io.InvalidClassException} that names the class and says so. A worker starts when a call needs one, and runs one call at a time. The calls go over a
 * connection of their own, a Unix domain socket (made in a new directory of the temporary directory, or of {@code /tmp}
 * where that is too deep for a socket's path, that only this user may enter, deleted once the worker has connected, and
 * accepting only a connection that presents a random token given to that worker alone), so a worker's standard streams
 * are free for its tasks: its standard input is empty, and its standard output and error are one stream, which the
 * parent logs to the {@code System.Logger} named {@code org.aio4j.process} at level INFO, each line prefixed with
 * {@code worker <id> (pid <pid>): } (a line longer than 8,192 characters is logged in pieces of that length, so that
 * output without line breaks costs the parent a bounded buffer). That holds for what a task prints to
 * {@code System.out} or {@code System.err}, for what native code writes to file descriptor 1 or 2, for the JVM's own
 * logging, and for a subprocess that inherits the worker's streams ({@code inheritIO()}): such a subprocess reads an
 * empty input and its output is logged. A worker exits when its connection to the parent ends, so it never outlives the
 * parent, even one killed with {@code kill -9}. A worker first runs the builder's
 * {@link Builder#initializer initializer}, if there is one, once, before its first call ({@code ProcessPoolExecutor}'s
 * {@code initializer}); one that throws breaks the pool. With {@link Builder#maxTasksPerChild maxTasksPerChild}
 * ({@code max_tasks_per_child}), a worker exits after that many calls and a fresh one replaces it.
 *
 * <h2>Serialization, locked down</h2>
 * Tasks and results are Java-serialized, and both sides read them under an {@link java.io.ObjectInputFilter} that
 * accepts only: primitive types, boxed primitives, {@code String}, {@code BigInteger}/{@code BigDecimal}, the
 * classes of package {@code java.util} (collections), serialized lambdas, exceptions, the task's own class (for a
 * lambda, the class that declares it; a lambda in a result is no task, so its class must be allowed), and what
 * {@link Builder#allow(String...)} adds; a graph deeper than
 * {@link Builder#maxDepth(int)} or a payload larger than {@link Builder#maxPayloadBytes(int)} is refused too. The
 * allow-list and the size are checked when a task or result is written as well, so a task holding a class outside
 * the allow-list fails at submission with an {@link IllegalArgumentException}, and a result outside it fails its
 * call with an {@link java.io.InvalidClassException} naming the class; the worker is unharmed either way. The depth
 * is checked where a payload is read only: a task too deep fails its call with an
 * {@code InvalidClassException} that names the limit. A result that cannot be read here (too deep, of a class this
 * JVM cannot load, or whose {@code readObject} throws) fails its call with an {@link java.io.InvalidObjectException}
 * that says so, with the failure as its cause.
 *
 * <h2>Outcomes</h2>
 * A call returns the task's value, or throws the task's exception: the same type and message, its stack trace made of
 * the worker's frames, with a suppressed exception naming the worker and carrying the frames of the code that made the
 * task remote (the call of {@code remote}, or of {@code submit}, {@code invokeAll} or {@code invokeAny}: for a callable
 * made remote once and called in many places, where it was made). An exception that cannot cross as it is comes back
 * as a stand-in: a {@link RuntimeException} (of a package-private class) whose message is the original's class name and
 * message followed by {@code [sent as a stand-in: <why>]}, with the original's stack trace (the worker's frames), its
 * causes and the first exceptions it suppressed as stand-ins in turn, and the same suppressed exception naming the
 * worker and the call. That is the case of an exception that cannot be serialized (a field that is not serializable,
 * that the allow-list refuses, or whose writing throws), and of one the parent cannot read because a class in it
 * cannot be loaded here (a class only the worker has: defined at run time there, or loaded by a class loader of the
 * task's own), whose stand-in says {@code [sent as a stand-in: the parent could not read it:
 * java.lang.ClassNotFoundException: <class>]}; the worker is unharmed, and the pool goes on (CPython's pool breaks when
 * it cannot unpickle a result or exception). That stand-in is asked for only when the exception could not be read, so
 * it costs the other calls nothing. A result of such a class has no stand-in: its call fails with an
 * {@link java.io.InvalidObjectException}, as said above. If the worker dies (a crash, {@code System.exit},
 * {@code kill -9}) while running a call, that call alone fails with a {@link BrokenWorkerException} naming the worker,
 * its pid and exit status, and the pool starts another worker for the calls that follow; a call the dead worker had not
 * yet received is given to another worker, so no call is lost or run twice. An initializer that throws (or whose worker
 * dies while running it) breaks the whole pool instead, as it breaks a {@code ProcessPoolExecutor}: every call pending
 * and every remote call made afterwards fails with a {@code BrokenWorkerException} (see {@link Builder#initializer}).
 *
 * <h2>Cancellation</h2>
 * Interrupting a thread blocked in a remote callable, which is what cancelling the loop future of
 * {@code runInExecutor} does, or cancelling a future of {@link #submit(Callable) submit} with
 * {@code mayInterruptIfRunning}, cancels the remote call: a queued call never starts; a running call's thread is
 * interrupted in the worker, and if it has not ended {@link Builder#gracePeriod(Duration) a grace period} later, the
 * worker is killed and replaced. The remote callable returns (throwing {@link InterruptedException}) only once the
 * call has really stopped. A call that ended by itself meanwhile, returning or throwing something else than an
 * {@code InterruptedException} (it did not look at the interrupt, or had ended before it arrived), keeps its outcome,
 * as a {@code toThread} call does: the remote callable returns or throws it with the thread's interrupt status set,
 * so that a failure of its own reaches the loop's exception handler rather than vanishing. A future of
 * {@code submit} cancelled without {@code mayInterruptIfRunning} drops its call if it is still queued, as a
 * {@code ThreadPoolExecutor} drops a cancelled task, and lets a call a worker has taken run to its end.
 *
 * <h2>Lifecycle</h2>
 * {@link #shutdown()} (and {@link #close()}, and {@code Aio.run} for a default executor) refuses new work, lets the
 * queued and running calls finish, then ends the workers; {@link #shutdownNow()} cancels queued calls, cancels running
 * ones as above, kills the workers still starting and interrupts the local threads of {@link #execute}. Commands
 * accepted by {@code execute} before {@code shutdown} may still make remote calls until they end. A future of
 * {@code submit} whose call {@code shutdownNow} cancels is left cancelled, queued or running, as
 * {@code cancel_futures=True} leaves a pending one. A task awaiting {@code loop.runInExecutor(pool, pool.remote(task))}
 * then gets the remote callable's {@link InterruptedException} or {@link CancellationException} (whichever of the
 * interrupt and the cancellation of its call reached the callable first), or the call's own outcome if it ended
 * meanwhile: the loop's future fails with it, it is not cancelled. asyncio's {@code shutdown(cancel_futures=True)}
 * cancels the futures of the calls still pending and lets the running ones finish.
 *
 * <p>Thread-safety: every method may be called from any thread. From a command of this pool, which the pool waits
 * for before it terminates, {@link #close()} throws an {@link IllegalStateException} (it would wait for its own
 * caller, for ever) and {@link #awaitTermination} returns {@code false} at once (the pool cannot terminate within
 * any timeout while that command runs). Memory consistency: a task sees
 * the parent's state only through what it captured, as a copy made when it was made remote; the return of a remote
 * call happens-after the task ended in its worker.
 */
public final class ProcessPool extends AbstractExecutorService {

    private static final ScopedValue<ProcessPool> BRIDGE = ScopedValue.newInstance();

    private enum State { RUNNING, SHUTDOWN, STOP, TERMINATED }

    /**
     * Makes the platform threads of the workers: their drivers and the threads forwarding their output. A test seam:
     * a test replaces it with a factory that fails, as an {@link OutOfMemoryError} "unable to create native thread"
     * would, which nothing else can provoke at will.
     */
    volatile ThreadFactory workerThreads = Thread.ofPlatform().daemon().factory();

    /**
     * Makes the virtual threads that run the commands of {@link #execute}. A test seam: a test replaces it with a
     * factory whose threads fail to start, as they would if the scheduler refused them.
     */
    volatile ThreadFactory bridgeThreads = Thread.ofVirtual().name("aio4j-process-bridge-", 0).factory();

    /**
     * Called by a worker's driver just before it sends a call. A test seam, doing nothing otherwise: a test kills the
     * worker there, as the OOM killer may kill an idle worker before its driver has heard of it.
     */
    volatile BiConsumer<Worker, PoolCall> beforeSend = (w, c) -> { };

    /**
     * Where the directories of the workers' sockets are made; {@code null}, the default temporary directory (or
     * {@code /tmp}, see {@link Rendezvous#open(Path)}). A test
     * seam: a test looks there for what a worker's start left behind.
     */
    volatile Path socketDirectory;

    private final int maxWorkers;
    private final List<String> jvmOptions;
    final AllowList allowList;
    final Duration gracePeriod;
    final Duration startTimeout;
    /** The initializer each worker runs before its first call, serialized; {@code null} if there is none. */
    final Payloads.Payload initializer;
    /** Where the classes of the initializer's exception are loaded from: the loader of its class. */
    final ClassLoader initializerLoader;
    /** The stack of the code that gave the builder the initializer, added to its exception as a suppressed trace. */
    final StackTraceElement[] initializerOrigin;
    /** The most calls a worker runs before it is replaced; 0, no limit. */
    private final int maxTasksPerChild;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final Condition terminated = lock.newCondition();
    // Guarded by lock.
    private final ArrayDeque<PoolCall> queue = new ArrayDeque<>();
    private final Set<Worker> workers = new LinkedHashSet<>();
    private final Set<PoolCall> running = new HashSet<>();
    private final Set<Thread> bridges = new HashSet<>();
    private int idleWorkers;
    private int startingWorkers;
    private int lastWorkerId;
    private long lastCallId;
    private State state = State.RUNNING;
    /** Set by {@code shutdown(true)}: the calls of commands still running are cancelled rather than queued. */
    private boolean cancelFutures;
    /**
     * Set, once, when the initializer failed in a worker: what the pending calls failed with, and of which each remote
     * call from then on fails with a copy. Written under the lock.
     */
    private volatile BrokenWorkerException broken;

    /** A pool with the defaults: as many workers as processors. asyncio's {@code ProcessPoolExecutor()}. */
    public ProcessPool() {
        this(new Builder());
    }

    private ProcessPool(Builder b) {
        this.maxWorkers = b.workers;
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.allowList = new AllowList(b.allow, b.maxDepth, b.maxPayloadBytes);
        this.gracePeriod = b.gracePeriod;
        this.startTimeout = b.startTimeout;
        this.initializer = b.initializer == null ? null
                : Payloads.encodeTask(b.initializer, "the initializer", allowList);
        this.initializerLoader = b.initializer == null ? null : loaderOf(b.initializer);
        this.initializerOrigin = b.initializerOrigin;
        this.maxTasksPerChild = b.maxTasksPerChild;
    }

    /**
     * A builder for a pool with other settings than the defaults.
     *
     * @return a new builder with the default settings
     */
    public static Builder builder() {
        return new Builder();
    }

    // ==============================================================================================================
    // Making tasks remote

    /**
     * A callable that runs {@code task} in a worker of this pool each time it is called, blocking the calling thread
     * until the outcome is back; pass it to {@code loop.runInExecutor(pool, ...)}, or call it from any thread. The
     * task is serialized now: what it captures must be serializable and allowed by the allow-list. See the class
     * documentation for cancellation.
     *
     * @param <T>  the type of the task's result
     * @param task the work to run in a worker JVM
     * @return a callable that runs a copy of {@code task} remotely at each call
     * @throws IllegalArgumentException if the task is not serializable, or holds a class the allow-list refuses; the
     *                                  message names the class
     * @throws NullPointerException     if {@code task} is null
     */
    public <T> Callable<T> remote(SerializableCallable<T> task) {
        return remote((Callable<T>) task);
    }

    /**
     * As {@link #remote(SerializableCallable)}, for a callable of another type that is serializable (a lambda whose
     * target type is plain {@link Callable} is not: the message says so). A callable that {@code remote} of this pool
     * returned is returned as it is; so {@code submit}, {@code invokeAll} and {@code invokeAny} take one as its task.
     *
     * @param <T>  the type of the task's result
     * @param task the work to run in a worker JVM; its class must be serializable
     * @return a callable that runs a copy of {@code task} remotely at each call
     * @throws NullPointerException     if {@code task} is null
     * @throws IllegalArgumentException as {@link #remote(SerializableCallable)}, or if {@code task} is a remote
     *                                  callable of another pool
     */
    public <T> Callable<T> remote(Callable<T> task) {
        return remoteCallable(task);
    }

    /**
     * The local face of {@code task}, a serializable {@code Callable<T>} or {@code Runnable}, or a remote callable of
     * this pool, which is its own (its task was serialized when it was made); one of another pool is refused.
     */
    @SuppressWarnings("unchecked")
    private <T> RemoteCallable<T> remoteCallable(Object task) {
        Objects.requireNonNull(task, "task must not be null");
        if (task instanceof RemoteCallable<?> remote) {
            if (remote.isOf(this)) {
                return (RemoteCallable<T>) remote;
            }
            throw new IllegalArgumentException("the task is a " + remote + ", a remote callable of another pool, "
                    + "which runs its task in that pool's workers: give this pool the task itself, or call the "
                    + "remote callable");
        }
        return new RemoteCallable<>(this, Payloads.encodeTask(task, allowList), loaderOf(task));
    }

    /**
     * Sends {@code task} to a worker and returns its future: {@code ProcessPoolExecutor.submit}. The call is queued
     * before this returns, and the workers take the queued calls in the order they were queued, as a
     * {@code ProcessPoolExecutor} does (so a pool of one worker runs the calls of {@code submit}, {@code invokeAll}
     * and {@link #map map} one after the other in the order they were made; the call of a remote callable is queued
     * when it is called). Cancelling the future drops the remote call if it still waits for a worker (it never
     * starts); with {@code mayInterruptIfRunning}, it cancels a call that runs too, as described in the class
     * documentation.
     *
     * @param <T>  the type of the task's result
     * @param task the work to run in a worker JVM
     * @return a future of the remote call's outcome
     * @throws IllegalArgumentException   as {@link #remote(SerializableCallable)}
     * @throws RejectedExecutionException if the pool is shut down
     * @throws BrokenWorkerException      if the pool is broken: its {@link Builder#initializer initializer} failed
     * @throws NullPointerException       if {@code task} is null
     */
    public <T> Future<T> submit(SerializableCallable<T> task) {
        return super.submit(Objects.requireNonNull(task, "task must not be null"));
    }

    /**
     * As {@link #submit(SerializableCallable)}, for a task without a result: {@code executor.submit(fn)} of a function
     * that returns {@code None}. A lambda of a void call passed here is serializable (passed as a plain
     * {@link Runnable}, it is not, and is refused).
     *
     * @param task the work to run in a worker JVM
     * @return a future of the remote call's outcome, {@code null} once it ran
     * @throws IllegalArgumentException   as {@link #remote(SerializableCallable)}
     * @throws RejectedExecutionException if the pool is shut down
     * @throws BrokenWorkerException      if the pool is broken: its {@link Builder#initializer initializer} failed
     * @throws NullPointerException       if {@code task} is null
     */
    public Future<?> submit(SerializableRunnable task) {
        return super.submit(Objects.requireNonNull(task, "task must not be null"));
    }

    /**
     * As {@link #submit(SerializableRunnable)}, the future giving {@code result} once the task ran.
     *
     * @param <T>    the type of the result
     * @param task   the work to run in a worker JVM
     * @param result what the future gives once the task ran
     * @return a future of the remote call's outcome
     * @throws IllegalArgumentException   as {@link #remote(SerializableCallable)}
     * @throws RejectedExecutionException if the pool is shut down
     * @throws BrokenWorkerException      if the pool is broken: its {@link Builder#initializer initializer} failed
     * @throws NullPointerException       if {@code task} is null
     */
    public <T> Future<T> submit(SerializableRunnable task, T result) {
        return super.submit(Objects.requireNonNull(task, "task must not be null"), result);
    }

    /**
     * Applies {@code fn} to each of {@code items} in the workers, {@code chunksize} items to a remote call, and returns
     * the results in the order of the items: {@code list(executor.map(fn, items, chunksize=n))} of asyncio's
     * {@code ProcessPoolExecutor}. Every chunk is submitted at once, as by {@link #submit(Callable) submit}, serialized
     * with {@code fn}, and a worker applies {@code fn} to a chunk's items in order; a larger chunk makes fewer round
     * trips to the workers, which pays for many small items. With {@code chunksize} 1, it is the same as
     * {@code invokeAll} of one task per item followed by {@code get()} of each.
     *
     * <p>It blocks until every result is in, or until it reaches, in the order of the items, a chunk that failed: it
     * then cancels the chunks still queued (those running go on to their end, as CPython's {@code map} cancels its
     * pending futures) and throws that chunk's exception as a remote callable does: the first exception of {@code fn}
     * in the chunk (its type and message, the worker's frames, a suppressed exception naming the worker and the call
     * of {@code map}), a {@link BrokenWorkerException}, or the failure to send a result back. Interrupted while it
     * waits, it cancels every chunk, running ones included (see {@link #submit(Callable) submit}'s cancellation with
     * {@code mayInterruptIfRunning}), and throws {@link InterruptedException}. There is no lazy iterator and no
     * timeout, as CPython's {@code map} has: call {@code submit} per chunk for those. It blocks its thread, as
     * CPython's does: a task calls it through {@code Aio.toThread(() -> pool.map(fn, items, n))}, so that its loop
     * runs on meanwhile (asyncio's {@code await asyncio.to_thread(lambda: list(pool.map(...)))}).
     *
     * @param <T>       the type of the items
     * @param <R>       the type of the results
     * @param fn        the function to apply in the workers
     * @param items     the items, in the order of the results; each must be serializable and allowed by the
     *                  allow-list. An empty collection gives an empty list, and starts no worker
     * @param chunksize the most items sent in one remote call; at least 1
     * @return the results of {@code fn}, one for each item, in the order of {@code items}
     * @throws IllegalArgumentException   if {@code chunksize} is less than 1, or if {@code fn} or an item is not
     *                                    serializable or holds a class the allow-list refuses (the message names it;
     *                                    the chunks submitted before it are cancelled)
     * @throws RejectedExecutionException if the pool is shut down
     * @throws BrokenWorkerException      if the pool is broken (its initializer failed)
     * @throws InterruptedException       if the calling thread is interrupted while it waits
     * @throws NullPointerException       if {@code fn} or {@code items} is null
     * @throws Exception                  the exception of the first chunk, in the order of the items, that failed
     */
    public <T, R> List<R> map(SerializableFunction<? super T, ? extends R> fn, Collection<? extends T> items,
                              int chunksize) throws Exception {
        Objects.requireNonNull(fn, "fn must not be null");
        Objects.requireNonNull(items, "items must not be null");
        if (chunksize < 1) {
            throw new IllegalArgumentException("chunksize must be >= 1, got " + chunksize);
        }
        var all = new ArrayList<T>(items);
        var chunks = new ArrayList<Future<List<R>>>();
        String function = Payloads.describe("the function of map", fn);
        try {
            for (int from = 0; from < all.size(); from += chunksize) {
                int to = Math.min(all.size(), from + chunksize);
                var chunk = new MapChunk<T, R>(fn, new ArrayList<>(all.subList(from, to)));
                String description = function + " on items " + from + " to " + (to - 1);
                refuseIfBroken();
                SubmittedCall<List<R>> future = SubmittedCall.of(this, new RemoteCallable<List<R>>(this,
                        Payloads.encodeTaskDescribed(chunk, description, allowList, fn), loaderOf(fn)));
                chunks.add(future);
                execute(future);
            }
            var results = new ArrayList<R>(all.size());
            for (Future<List<R>> chunk : chunks) {
                try {
                    results.addAll(chunk.get());
                } catch (ExecutionException e) {
                    throw thrownByChunk(e.getCause());
                }
            }
            return results;
        } catch (InterruptedException e) {
            chunks.forEach(c -> c.cancel(true));
            throw e;
        } catch (Throwable e) {
            chunks.forEach(c -> c.cancel(false));
            throw e;
        }
    }

    /** What {@link #map} throws for a chunk's failure: the remote call's exception itself. */
    private static Exception thrownByChunk(Throwable failure) {
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure instanceof Exception e) {
            return e;
        }
        return new IllegalStateException("a chunk of map failed with " + Throwables.describe(failure), failure);
    }

    /**
     * How {@code submit}, {@code invokeAll} and {@code invokeAny} make a task: a future that, run by
     * {@link #execute}, makes the remote call, and whose cancellation cancels it (see {@link #submit}).
     */
    @Override
    protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
        refuseIfBroken();
        return SubmittedCall.of(this, remoteCallable(callable));
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
        refuseIfBroken();
        return SubmittedCall.of(this, remoteCallable(runnable), value);
    }

    /**
     * Sends every task to a worker and waits for all of them: {@code ExecutorService.invokeAll}.
     *
     * @throws NullPointerException if {@code tasks} or one of its elements is null, before any task is sent
     */
    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
        return super.invokeAll(checkedTasks(tasks));
    }

    /**
     * Sends every task to a worker and waits for all of them or the timeout: {@code ExecutorService.invokeAll}.
     *
     * @throws NullPointerException if {@code tasks}, one of its elements or {@code unit} is null, before any task is
     *                              sent
     */
    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException {
        Objects.requireNonNull(unit, "unit must not be null");
        return super.invokeAll(checkedTasks(tasks), timeout, unit);
    }

    /**
     * Sends the tasks to workers and returns the first successful result: {@code ExecutorService.invokeAny}.
     *
     * @throws NullPointerException if {@code tasks} or one of its elements is null, before any task is sent
     */
    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
        return super.invokeAny(checkedTasks(tasks));
    }

    /**
     * Sends the tasks to workers and returns the first successful result within the timeout:
     * {@code ExecutorService.invokeAny}.
     *
     * @throws NullPointerException if {@code tasks}, one of its elements or {@code unit} is null, before any task is
     *                              sent
     */
    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        Objects.requireNonNull(unit, "unit must not be null");
        return super.invokeAny(checkedTasks(tasks), timeout, unit);
    }

    /** {@code tasks}, refused whole if it or an element is null, so that no task of it is sent before the refusal. */
    private static <C extends Collection<?>> C checkedTasks(C tasks) {
        Objects.requireNonNull(tasks, "tasks must not be null");
        int i = 0;
        for (Object task : tasks) {
            if (task == null) {
                throw new NullPointerException("tasks[" + i + "] must not be null");
            }
            i++;
        }
        return tasks;
    }

    /**
     * A broken pool's {@code submit}, {@code invokeAll} and {@code invokeAny} throw at once, as
     * {@code ProcessPoolExecutor.submit} raises {@code BrokenProcessPool}.
     */
    private void refuseIfBroken() {
        BrokenWorkerException b = broken;
        if (b != null) {
            throw b.copy();
        }
    }

    private static ClassLoader loaderOf(Object task) {
        ClassLoader l = task.getClass().getClassLoader();
        return l != null ? l : ClassLoader.getSystemClassLoader();
    }

    /**
     * Runs {@code command} in this JVM, on a new virtual thread of the pool: the side of the pool that
     * {@code loop.runInExecutor} uses. Remote callables of this pool that the command calls run in workers, and are
     * accepted until the command ends, even after {@link #shutdown()}.
     *
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command must not be null");
        Thread bridge = bridgeThreads.newThread(() -> {
            try {
                ScopedValue.where(BRIDGE, this).run(command);
            } finally {
                bridgeEnded(Thread.currentThread());
            }
        });
        // The remote call of a future of submit, invokeAll or map joins the queue here, in the caller's order (as a
        // ProcessPoolExecutor's pending calls are a FIFO queue); the command's thread then waits for it. Were it
        // queued by that thread, the calls submitted one after the other would race for the queue.
        SubmittedCall<?> submitted = command instanceof SubmittedCall<?> s && s.isOf(this) ? s : null;
        PoolCall call = null;
        Worker spawn = null;
        lock.lock();
        try {
            if (state != State.RUNNING) {
                throw new RejectedExecutionException(this + " is shut down: cannot run " + command);
            }
            if (submitted != null) {
                refuseIfBroken();
                call = submitted.admit(++lastCallId);
                if (call != null) {
                    spawn = addToQueue(call);
                }
            }
            bridges.add(bridge);
        } finally {
            lock.unlock();
        }
        if (spawn != null) {
            spawn.start();
        }
        try {
            bridge.start();
        } catch (RuntimeException | Error e) {
            bridgeEnded(bridge);   // it never ran: it must not keep the pool from terminating
            if (call != null) {
                cancel(call);      // nor may its call run, with nobody to hear of it
            }
            throw e;
        }
    }

    private void bridgeEnded(Thread bridge) {
        lock.lock();
        try {
            bridges.remove(bridge);
            if (bridges.isEmpty()) {
                workAvailable.signalAll();
                checkTerminated();
            }
        } finally {
            lock.unlock();
        }
    }

    // ==============================================================================================================
    // Calls: the queue and the workers (called by RemoteCallable and Worker)

    /**
     * Queues a call of {@code payload}. {@code admit} sees the call under the lock just before it joins the queue, so
     * that whoever may drop it ({@link #dropIfQueued}) finds it from then on; if {@code admit} says no (its future was
     * cancelled meanwhile) the call is not queued and this throws CancellationException.
     */
    PoolCall enqueue(Payloads.Payload payload, ClassLoader loader, StackTraceElement[] origin,
                     Predicate<PoolCall> admit) {
        Worker spawn = null;
        PoolCall call;
        lock.lock();
        try {
            refuseIfBroken();
            boolean fromOwnBridge = BRIDGE.isBound() && BRIDGE.get() == this;
            if (fromOwnBridge && state != State.RUNNING && state != State.SHUTDOWN) {
                // Accepted before shutdownNow() but not started yet: like a queued call, it is cancelled.
                throw new CancellationException(
                        this + " was stopped with shutdownNow() before " + payload.description() + " started");
            }
            if (fromOwnBridge && cancelFutures) {
                throw new CancellationException(this + " was shut down with shutdown(true) (cancel_futures) before "
                        + payload.description() + " was queued");
            }
            if (!(state == State.RUNNING || state == State.SHUTDOWN && fromOwnBridge)) {
                throw new RejectedExecutionException(this + " is shut down: cannot run " + payload.description());
            }
            call = new PoolCall(++lastCallId, payload, loader, origin);
            if (!admit.test(call)) {
                throw new CancellationException(payload.description() + " was cancelled before it was queued");
            }
            spawn = addToQueue(call);
        } finally {
            lock.unlock();
        }
        if (spawn != null) {
            spawn.start();
        }
        return call;
    }

    /**
     * Under the lock: {@code call} joins the queue, and a worker is made for it if none is free or starting and the
     * pool may have one more: returned, for the caller to start once the lock is released ({@code null} if none).
     */
    private Worker addToQueue(PoolCall call) {
        queue.addLast(call);
        if (queue.size() > idleWorkers + startingWorkers && workers.size() < maxWorkers) {
            return newWorker();
        }
        workAvailable.signalAll();
        return null;
    }

    /** A new worker, counted as starting; the caller starts it once the lock is released. */
    private Worker newWorker() {
        var w = new Worker(++lastWorkerId, this);
        workers.add(w);
        startingWorkers++;
        return w;
    }

    /**
     * The command that starts worker {@code workerId}. Called by its driver, not under the lock: it may write the
     * class path's argument file.
     *
     * @throws IOException if the class path is too long for the command line and its argument file cannot be written
     */
    List<String> command(int workerId) throws IOException {
        var cmd = new ArrayList<String>();
        cmd.add(javaExecutable(Path.of(System.getProperty("java.home")), ProcessHandle.current().info().command()));
        cmd.addAll(jvmOptions);
        cmd.addAll(classPathArguments(System.getProperty("java.class.path")));
        cmd.add(WorkerMain.class.getName());
        cmd.add(Integer.toString(workerId));
        cmd.addAll(allowList.toArgs());
        return cmd;
    }

    /**
     * The longest class path given to a worker on its command line: Linux refuses to run a command with an argument
     * over 128 KiB, Windows a command line over 32 KiB, and a parent started with {@code java @argfile} (as IDEs and
     * build tools start one with a long class path) may have a longer class path than that.
     */
    private static final int LONGEST_CLASS_PATH_ARGUMENT = 8 << 10;

    /** The argument files written, by class path (one, unless the property changes); guarded by itself. */
    private final Map<String, Path> classPathFiles = new HashMap<>();

    /**
     * {@code -cp classPath}, or for a class path longer than {@link #LONGEST_CLASS_PATH_ARGUMENT}, {@code @file}: an
     * argument file of the {@code java} launcher holding that option, written once for the pool and deleted when
     * it terminates (or when this JVM exits).
     */
    private List<String> classPathArguments(String classPath) throws IOException {
        if (classPath.length() <= LONGEST_CLASS_PATH_ARGUMENT) {
            return List.of("-cp", classPath);
        }
        synchronized (classPathFiles) {
            Path file = classPathFiles.get(classPath);
            if (file == null) {
                file = Files.createTempFile("aio4j-process-", ".classpath");
                file.toFile().deleteOnExit();
                // Quoted, as the launcher reads a quoted argument: a backslash escapes the next character.
                String quoted = classPath.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
                        .replace("\r", "\\r");
                Files.writeString(file, "-cp\n\"" + quoted + "\"\n",
                        Charset.forName(System.getProperty("native.encoding")));
                classPathFiles.put(classPath, file);
            }
            return List.of("@" + file);
        }
    }

    /** Deletes the class path's argument files: no worker starts any more. */
    private void deleteClassPathFiles() {
        synchronized (classPathFiles) {
            for (Path file : classPathFiles.values()) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // Left for deleteOnExit.
                }
            }
            classPathFiles.clear();
        }
    }

    /**
     * The {@code java} launcher that starts the workers: {@code <java.home>/bin/java} when it is there, since the
     * command of this process is not {@code java} under a native launcher (jpackage, a JNI-embedded JVM) and would not
     * understand the worker's arguments. A runtime image made without native commands ({@code jlink
     * --strip-native-commands}, jpackage's default) has no {@code bin/java}: then this process's command if it is a
     * {@code java}, else {@code bin/java} all the same, so that the failed start names the missing executable.
     */
    static String javaExecutable(Path javaHome, Optional<String> currentCommand) {
        String name = File.separatorChar == '\\' ? "java.exe" : "java";
        Path java = javaHome.resolve("bin").resolve(name);
        if (Files.isExecutable(java)) {
            return java.toString();
        }
        return currentCommand.filter(c -> Path.of(c).getFileName().toString().equals(name)).orElse(java.toString());
    }

    void workerReady(Worker w) {
        lock.lock();
        try {
            startingWorkers--;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next call for {@code w}, marked SENT, or {@code null} when the worker should end: the pool stopped, or is
     * shut down with nothing left to do, or the worker's process has exited.
     */
    PoolCall nextCall(Worker w) {
        lock.lock();
        try {
            while (true) {
                if (state == State.STOP || w.exited || w.doomed || broken != null
                        || maxTasksPerChild > 0 && w.callsSent >= maxTasksPerChild) {
                    return null;
                }
                PoolCall call = queue.pollFirst();
                if (call != null) {
                    call.state = PoolCall.State.SENT;
                    call.worker = w;
                    running.add(call);
                    return call;
                }
                if (state != State.RUNNING && bridges.isEmpty()) {
                    return null;
                }
                idleWorkers++;
                try {
                    workAvailable.awaitUninterruptibly();
                } finally {
                    idleWorkers--;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    void accepted(PoolCall call) {
        lock.lock();
        try {
            if (call.state == PoolCall.State.SENT) {
                call.state = PoolCall.State.ACCEPTED;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records the outcome of a call that ended without an answer of its worker: cancelled if that was asked (before
     * it was sent, or stopped by killing its worker), else {@code error}.
     */
    void settle(PoolCall call, Object value, Throwable error) {
        settle(call, value, error, call.cancelRequested);
    }

    /**
     * Records the outcome a worker answered for {@code call}. If its cancellation was asked, an
     * {@link InterruptedException} is the answer to it, and the call ends cancelled; any other answer is the call's
     * own (it ended before the interrupt reached it, or without looking at it) and is kept, as the outcome of a
     * {@code toThread} call that did not see its interrupt is: dropping it would lose a failure nobody else saw.
     */
    void answered(PoolCall call, Object value, Throwable error) {
        settle(call, value, error, call.cancelRequested && error instanceof InterruptedException);
    }

    private void settle(PoolCall call, Object value, Throwable error, boolean cancelled) {
        lock.lock();
        try {
            if (call.state == PoolCall.State.DONE) {
                return;
            }
            call.state = PoolCall.State.DONE;
            call.worker = null;
            running.remove(call);
        } finally {
            lock.unlock();
        }
        call.finish(value, error, cancelled);
    }

    /**
     * Cancels {@code call}: drops it if queued, asks its worker to interrupt it otherwise. Returns at once; the call
     * is done when its worker answers or is killed.
     */
    void cancel(PoolCall call) {
        Worker w = null;
        boolean dropped = false;
        lock.lock();
        try {
            switch (call.state) {
                case QUEUED -> {
                    drop(call);
                    dropped = true;
                }
                case SENT, ACCEPTED -> {
                    if (!call.stopRequested) {
                        call.stopRequested = true;
                        call.cancelRequested = true;
                        w = call.worker;
                    }
                }
                case DONE -> { }
            }
        } finally {
            lock.unlock();
        }
        if (dropped) {
            call.finish(null, null, true);
        } else if (w != null) {
            w.cancel(call);
        }
    }

    /**
     * Cancels the call {@code queued} gives, read under the lock, as {@link #cancel(PoolCall)} does; none yet
     * ({@code null}), nothing to do: whoever would queue it sees that its future was cancelled, under the lock.
     */
    void cancel(Supplier<PoolCall> queued) {
        PoolCall call;
        lock.lock();
        try {
            call = queued.get();
        } finally {
            lock.unlock();
        }
        if (call != null) {
            cancel(call);
        }
    }

    /**
     * Cancels the call {@code queued} gives, read under the lock (null: none queued yet), if it waits in the queue;
     * a call a worker's driver has taken but not sent yet is marked so that it ends cancelled if it does not go out
     * (its worker found dead) rather than return to the queue; one sent is left alone: a future of {@code submit}
     * cancelled without {@code mayInterruptIfRunning}, which must not stop a call a worker has taken. Read under the
     * lock, a call that {@link #enqueue} has admitted is found, so that the call is out of the queue when this
     * returns.
     */
    void dropIfQueued(Supplier<PoolCall> queued) {
        boolean dropped;
        PoolCall call;
        lock.lock();
        try {
            call = queued.get();
            dropped = call != null && call.state == PoolCall.State.QUEUED;
            if (dropped) {
                drop(call);
            } else if (call != null && call.state == PoolCall.State.SENT) {
                // Taken by a worker's driver, not accepted: if it does not go out (the worker died idle), it ends
                // cancelled rather than go back to the queue and run after its future said it never would.
                call.cancelRequested = true;
            }
        } finally {
            lock.unlock();
        }
        if (dropped) {
            call.finish(null, null, true);
        }
    }

    /** Under the lock: {@code call}, QUEUED, leaves the queue as DONE; the caller finishes it, cancelled. */
    private void drop(PoolCall call) {
        queue.remove(call);
        call.state = PoolCall.State.DONE;
        checkTerminated();
    }

    boolean isRunningOn(PoolCall call, Worker w) {
        lock.lock();
        try {
            return runsOn(call, w);
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: whether {@code call} still runs on {@code w}. */
    private static boolean runsOn(PoolCall call, Worker w) {
        return call.state != PoolCall.State.DONE && call.worker == w;
    }

    /**
     * If {@code call} still runs on {@code w}, marks {@code w} doomed, so that its driver takes no other call (see
     * {@link Worker#doomed}), and returns true: the caller kills it.
     */
    boolean doomIfRunningOn(PoolCall call, Worker w) {
        lock.lock();
        try {
            if (runsOn(call, w)) {
                w.doomed = true;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The worker {@code call} was given to had died before any of it went out: the call goes back to the head of the
     * queue, without counting that death against it (it did not cause it), or ends as cancelled if that was asked or
     * the pool was stopped.
     */
    void undelivered(PoolCall call) {
        lock.lock();
        try {
            if (call.state != PoolCall.State.SENT) {
                return;
            }
            if (!call.cancelRequested && state != State.STOP) {
                requeue(call);
                return;
            }
            call.cancelRequested = true;   // stopped: as the calls still queued, it is cancelled
        } finally {
            lock.unlock();
        }
        settle(call, null, null);
    }

    /** Under the lock: {@code call}, SENT to a worker that died, back at the head of the queue. */
    private void requeue(PoolCall call) {
        call.state = PoolCall.State.QUEUED;
        call.worker = null;
        running.remove(call);
        queue.addFirst(call);
        workAvailable.signalAll();
    }

    /**
     * {@code w} died during {@code call}: a call it had not accepted goes back to the head of the queue (it never
     * ran), if {@code surelyNotStarted}; an accepted one fails with {@code broken} (or ends as cancelled, if that was
     * asked). A worker ends its frames with ACCEPTED before it runs a call, so a worker whose output ended before
     * that frame did not run it; one whose output could not be read (a protocol error, a failure of its driver) may
     * have, and its call fails rather than risk running twice.
     */
    void workerDied(Worker w, PoolCall call, boolean surelyNotStarted, Supplier<BrokenWorkerException> broken) {
        if (call == null) {
            return;
        }
        lock.lock();
        try {
            if (surelyNotStarted && call.state == PoolCall.State.SENT && !call.cancelRequested && state != State.STOP
                    && ++call.deaths < PoolCall.MAX_DEATHS) {
                requeue(call);
                return;
            }
        } finally {
            lock.unlock();
        }
        settle(call, null, call.cancelRequested ? null : broken.get());
    }

    /** A worker's process ended: wake its driver if it waits for work. */
    void workerExited(Worker w) {
        lock.lock();
        try {
            w.exited = true;
            workAvailable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code w} could not start. If no other worker is left to run the queued calls, they fail with
     * {@code broken}: a bad JVM option must not leave them waiting forever, nor start worker after worker.
     */
    void workerFailedToStart(Worker w, BrokenWorkerException broken) {
        // A start that shutdownNow() stopped is what the user asked for, not an error to report.
        PoolLog.log(w.wasStoppedStarting() ? System.Logger.Level.DEBUG : System.Logger.Level.ERROR,
                broken.getMessage());
        var failed = new ArrayList<PoolCall>();
        lock.lock();
        try {
            workers.remove(w);
            startingWorkers--;
            if (workers.isEmpty()) {
                failed.addAll(queue);
                queue.clear();
                failed.forEach(c -> c.state = PoolCall.State.DONE);
            }
            checkTerminated();
        } finally {
            lock.unlock();
        }
        for (PoolCall c : failed) {
            c.finish(null, broken.copy(), false);
        }
    }

    /**
     * The initializer threw in {@code w}, which has exited: the pool is broken, as CPython's is
     * ({@code BrokenProcessPool}). Every pending call, queued or running, fails with a copy of {@code broken}; the
     * workers running calls are killed, those starting are stopped, the idle ones retire; and every remote call from
     * then on fails with a copy too. Only the first failure counts, should the initializer fail in several workers.
     */
    void initializerFailed(Worker w, BrokenWorkerException broken) {
        var failed = new ArrayList<PoolCall>();
        var killed = new ArrayList<Worker>();
        var starting = new ArrayList<Worker>();
        BrokenWorkerException first;
        boolean breaks;
        lock.lock();
        try {
            workers.remove(w);
            startingWorkers--;
            breaks = this.broken == null;
            if (breaks) {
                this.broken = broken;
            }
            first = this.broken;
            failed.addAll(queue);
            queue.clear();
            failed.addAll(running);
            running.clear();
            for (PoolCall c : failed) {
                if (c.worker != null) {
                    killed.add(c.worker);
                }
                c.state = PoolCall.State.DONE;
                c.worker = null;
            }
            workers.stream().filter(o -> !o.isReady()).forEach(starting::add);
            workAvailable.signalAll();
            checkTerminated();
        } finally {
            lock.unlock();
        }
        PoolLog.log(breaks ? System.Logger.Level.ERROR : System.Logger.Level.DEBUG, broken.getMessage());
        for (PoolCall c : failed) {
            c.finish(null, first.copy(), false);
        }
        killed.forEach(Worker::kill);
        starting.forEach(o -> o.stopStarting("it was stopped before it was ready: the pool is broken ("
                + first.getMessage() + ")"));
    }

    /**
     * {@code w}'s driver ended; start a replacement if calls wait and no worker is free for them, or, for a worker
     * that ran its {@code maxTasksPerChild} calls, if no worker is idle or starting (as CPython's
     * {@code _adjust_process_count} replaces a worker that exited so unless one is idle).
     */
    void workerGone(Worker w) {
        Worker spawn = null;
        lock.lock();
        try {
            workers.remove(w);
            boolean callsWait = state != State.STOP && queue.size() > idleWorkers + startingWorkers;
            boolean replaceEagerly = state == State.RUNNING && maxTasksPerChild > 0
                    && w.callsSent >= maxTasksPerChild && idleWorkers + startingWorkers == 0;
            if (broken == null && (callsWait || replaceEagerly) && workers.size() < maxWorkers) {
                spawn = newWorker();
            }
            checkTerminated();
        } finally {
            lock.unlock();
        }
        if (spawn != null) {
            spawn.start();
        }
    }

    /** Under the lock. */
    private void checkTerminated() {
        if ((state == State.SHUTDOWN || state == State.STOP) && queue.isEmpty() && bridges.isEmpty()
                && workers.isEmpty()) {
            state = State.TERMINATED;
            deleteClassPathFiles();
            terminated.signalAll();
        }
    }

    // ==============================================================================================================
    // Lifecycle

    /**
     * Refuses new work, and ends the workers once the queued and running calls have finished. Does not wait: see
     * {@link #awaitTermination} and {@link #close()}. asyncio's {@code shutdown(wait=False)}.
     */
    @Override
    public void shutdown() {
        shutdown(false);
    }

    /**
     * Refuses new work and, if {@code cancelFutures}, cancels the calls still queued for a worker (their futures end
     * cancelled, as {@link Future#cancel} leaves them); the calls already sent to a worker finish, then the workers
     * end. A call that a command of {@link #execute} (a future of {@code submit}, a {@code runInExecutor} call) makes
     * after that is cancelled too, as a call of a command not started yet. Does not wait: see
     * {@link #awaitTermination} and {@link #close()}. asyncio's
     * {@code shutdown(wait=False, cancel_futures=cancelFutures)}: {@code shutdown(false)} is {@link #shutdown()},
     * and {@link #shutdownNow()} also cancels the running calls. Called with {@code true} after
     * {@code shutdown()}, it cancels the calls still queued.
     *
     * @param cancelFutures whether to cancel the queued calls instead of letting them run
     */
    public void shutdown(boolean cancelFutures) {
        var dropped = new ArrayList<PoolCall>();
        lock.lock();
        try {
            if (state == State.RUNNING) {
                state = State.SHUTDOWN;
                workAvailable.signalAll();
            }
            if (cancelFutures && state == State.SHUTDOWN) {
                this.cancelFutures = true;
                dropQueued(dropped);
            }
            checkTerminated();
        } finally {
            lock.unlock();
        }
        dropped.forEach(c -> c.finish(null, null, true));
    }

    /** Under the lock: takes every queued call out of the queue as done, for the caller to finish cancelled. */
    private void dropQueued(List<PoolCall> into) {
        into.addAll(queue);
        queue.clear();
        into.forEach(c -> c.state = PoolCall.State.DONE);
    }

    /**
     * Refuses new work, cancels the queued calls, cancels the running ones (interrupting them in their workers, which
     * are killed if they do not stop within the grace period), kills the workers still starting and interrupts the
     * threads of {@link #execute}. Does not wait, even for a worker that reads no more: see
     * {@link #awaitTermination}. asyncio's {@code shutdown(wait=False, cancel_futures=True)}, and more.
     *
     * @return an empty list: the commands of {@code execute} start at once, and queued remote calls are not
     *         {@code Runnable}s; their callers see them cancelled
     */
    @Override
    public List<Runnable> shutdownNow() {
        var dropped = new ArrayList<PoolCall>();
        var cancelled = new ArrayList<PoolCall>();
        var interrupted = new ArrayList<Thread>();
        var starting = new ArrayList<Worker>();
        lock.lock();
        try {
            if (state == State.RUNNING || state == State.SHUTDOWN) {
                state = State.STOP;
            }
            workers.stream().filter(w -> !w.isReady()).forEach(starting::add);
            dropQueued(dropped);
            cancelled.addAll(running);
            interrupted.addAll(bridges);
            workAvailable.signalAll();
            checkTerminated();
        } finally {
            lock.unlock();
        }
        dropped.forEach(c -> c.finish(null, null, true));
        cancelled.forEach(this::cancel);
        starting.forEach(w -> w.stopStarting("it was stopped by shutdownNow() before it was ready"));
        interrupted.forEach(Thread::interrupt);
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        lock.lock();
        try {
            return state != State.RUNNING;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isTerminated() {
        lock.lock();
        try {
            return state == State.TERMINATED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the pool has terminated (every call finished, every worker exited), or the timeout passed.
     * Called from a command of this pool's {@link #execute} (which {@code loop.runInExecutor(pool, ...)} uses), it
     * returns {@code false} at once: the pool cannot terminate before that command ends.
     */
    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit must not be null");
        if (calledFromACommand()) {
            return false;
        }
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (state != State.TERMINATED) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = terminated.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Shuts the pool down as {@link #shutdown()} does and waits until it has terminated: the queued and running calls
     * finished, the workers ended. If interrupted while waiting, it stops everything as {@link #shutdownNow()} does,
     * waits on, and returns with the interrupt status set. It blocks; it does nothing if the pool has terminated.
     *
     * @throws IllegalStateException if called from a command of this pool's {@link #execute} (which
     *                               {@code loop.runInExecutor(pool, ...)} uses), before anything is shut down: the
     *                               pool terminates only once that command has ended, so it would wait for ever (as
     *                               a {@code ThreadPoolExecutor} closed by its own task does); call
     *                               {@link #shutdown()} there, and {@code close()} from outside the pool
     */
    @Override
    public void close() {
        refuseToWaitForItself("close");
        super.close();
    }

    /** Whether the calling thread runs a command of this pool, which the pool's termination waits for. */
    private boolean calledFromACommand() {
        return BRIDGE.isBound() && BRIDGE.get() == this;
    }

    /** A command of this pool's own waiting for its termination would wait for ever: for itself. */
    private void refuseToWaitForItself(String method) {
        if (calledFromACommand()) {
            throw new IllegalStateException(method + "() called from a command of " + this + " (" + Thread
                    .currentThread() + "): the pool terminates only once that command has ended, so it would wait "
                    + "for ever; call shutdown() there and " + method + "() from a thread outside the pool");
        }
    }

    // ==============================================================================================================
    // Introspection

    /**
     * A snapshot of the pool, in the manner of Trio's {@code statistics()} ({@code ProcessPoolExecutor} has none).
     *
     * @param maxWorkers   the most workers the pool runs at once
     * @param workers      the workers alive or starting
     * @param idleWorkers  the workers waiting for a call
     * @param queuedCalls  the calls waiting for a worker
     * @param runningCalls the calls sent to a worker and not finished
     * @param workerPids   the process ids of the workers started and alive
     */
    public record Statistics(int maxWorkers, int workers, int idleWorkers, int queuedCalls, int runningCalls,
                             List<Long> workerPids) {
    }

    /**
     * A snapshot of the pool's workers and calls (Trio's {@code statistics()}).
     *
     * @return a snapshot of the workers, idle workers, queued and running calls, and the workers' process ids
     */
    public Statistics statistics() {
        lock.lock();
        try {
            return new Statistics(maxWorkers, workers.size(), idleWorkers, queue.size(), running.size(),
                    workers.stream().map(Worker::pid).filter(p -> p > 0).toList());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "ProcessPool[" + state.name().toLowerCase() + (broken != null ? ", broken" : "") + ", workers="
                + workers.size() + "/" + maxWorkers
                    + ", idle=" + idleWorkers + ", queued=" + queue.size() + ", running=" + running.size() + "]";
        } finally {
            lock.unlock();
        }
    }

    // ==============================================================================================================
    // Configuration

    /**
     * Settings of a {@link ProcessPool}: what {@code ProcessPoolExecutor}'s constructor arguments are, for a pool of
     * JVMs. Each setter checks its argument and throws on a bad one. Not thread-safe.
     */
    public static final class Builder {
        private int workers = Runtime.getRuntime().availableProcessors();
        private List<String> jvmOptions = List.of("-XX:+UseSerialGC");
        private final List<String> allow = new ArrayList<>(AllowList.DEFAULTS);
        private int maxDepth = 100;
        private int maxPayloadBytes = 64 << 20;
        private Duration gracePeriod = Duration.ofSeconds(2);
        private Duration startTimeout = Duration.ofSeconds(60);
        private SerializableRunnable initializer;
        private StackTraceElement[] initializerOrigin;
        private int maxTasksPerChild;

        private Builder() {
        }

        /**
         * The most worker JVMs the pool runs at once (asyncio's {@code max_workers}); default: the processors.
         *
         * @param workers the most worker JVMs; at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code workers} is less than 1
         */
        public Builder workers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be >= 1, got " + workers);
            }
            this.workers = workers;
            return this;
        }

        /**
         * The options of each worker JVM, replacing the default {@code -XX:+UseSerialGC}: e.g. {@code "-Xmx512m"}.
         * The parent's own options are not passed on. What the worker JVM logs, to its standard output or error
         * ({@code -Xlog:gc}, say), is logged as the worker's output.
         *
         * @param options the options, each passed to the worker's {@code java} command as one argument
         * @return this builder
         * @throws NullPointerException     if {@code options} is null
         * @throws IllegalArgumentException if an option is null or blank
         */
        public Builder jvmOptions(String... options) {
            Objects.requireNonNull(options, "JVM options must not be null");
            for (String o : options) {
                if (o == null || o.isBlank()) {
                    throw new IllegalArgumentException("JVM options must not be null or blank, got "
                            + Arrays.toString(options));
                }
            }
            this.jvmOptions = List.of(options);
            return this;
        }

        /**
         * Adds classes to the allow-list, by pattern: {@code "com.example.Point"} (that class),
         * {@code "com.example.*"} (the classes of the package), {@code "com.example.**"} (and of its subpackages),
         * {@code "com.example.Point*"} (names starting so).
         *
         * @param patterns the patterns of class names to allow
         * @return this builder
         * @throws IllegalArgumentException if a pattern is none of these
         * @throws NullPointerException if {@code patterns} is null
         */
        public Builder allow(String... patterns) {
            Objects.requireNonNull(patterns, "allow-list patterns must not be null");
            for (String p : patterns) {
                allow.add(AllowList.checkPattern(p));
            }
            return this;
        }

        /**
         * Adds these classes to the allow-list. An array class adds its element class (the allow-list judges an
         * array by its element class).
         *
         * @param classes the classes to allow
         * @return this builder
         * @throws IllegalArgumentException for a hidden class (a lambda's): allow the class that declares it
         * @throws NullPointerException if {@code classes} or one of them is null
         */
        public Builder allow(Class<?>... classes) {
            Objects.requireNonNull(classes, "allowed classes must not be null");
            for (Class<?> c : classes) {
                Class<?> element = Objects.requireNonNull(c, "allowed class must not be null");
                while (element.isArray()) {
                    element = element.getComponentType();
                }
                if (element.isHidden()) {
                    throw new IllegalArgumentException(element.getName() + " is a hidden class (a lambda's), which "
                            + "the allow-list judges as the class that declares it: allow "
                            + element.getNestHost().getName() + " instead");
                }
                allow.add(element.getName());
            }
            return this;
        }

        /**
         * The deepest object graph a payload may hold (default 100).
         *
         * @param maxDepth the deepest object graph; at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code maxDepth} is less than 1
         */
        public Builder maxDepth(int maxDepth) {
            if (maxDepth < 1) {
                throw new IllegalArgumentException("maxDepth must be >= 1, got " + maxDepth);
            }
            this.maxDepth = maxDepth;
            return this;
        }

        /**
         * The largest serialized task or result, in bytes (default 64 MiB, at least 64 KiB).
         *
         * @param maxPayloadBytes the largest payload, in bytes; at least 65536
         * @return this builder
         * @throws IllegalArgumentException if {@code maxPayloadBytes} is less than 65536
         */
        public Builder maxPayloadBytes(int maxPayloadBytes) {
            if (maxPayloadBytes < 64 << 10) {
                throw new IllegalArgumentException("maxPayloadBytes must be >= 65536, got " + maxPayloadBytes);
            }
            this.maxPayloadBytes = maxPayloadBytes;
            return this;
        }

        /**
         * How long a cancelled call may take to stop in its worker before the worker is killed (and replaced), and
         * how long a retired worker may take to exit (default 2 seconds). A duration too long to count in nanoseconds
         * (about 292 years), such as {@code ChronoUnit.FOREVER.getDuration()}, means no limit.
         *
         * @param gracePeriod the grace period; more than zero
         * @return this builder
         * @throws NullPointerException     if {@code gracePeriod} is null
         * @throws IllegalArgumentException if {@code gracePeriod} is zero or negative
         */
        public Builder gracePeriod(Duration gracePeriod) {
            this.gracePeriod = checkPositive(gracePeriod, "gracePeriod");
            return this;
        }

        /**
         * How long a worker JVM may take to start before it is killed (default 60 seconds); as with any worker that
         * cannot start, the waiting calls then fail with a {@link BrokenWorkerException} that says so. A duration too
         * long to count in nanoseconds (about 292 years), such as {@code ChronoUnit.FOREVER.getDuration()}, means no
         * limit.
         *
         * @param startTimeout the longest a worker JVM may take to start; more than zero
         * @return this builder
         * @throws NullPointerException     if {@code startTimeout} is null
         * @throws IllegalArgumentException if {@code startTimeout} is zero or negative
         */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = checkPositive(startTimeout, "startTimeout");
            return this;
        }

        /**
         * A task each worker JVM runs once when it starts, before its first call: asyncio's
         * {@code ProcessPoolExecutor(initializer=, initargs=)}, the arguments being what the lambda captures. It runs
         * on the worker's main thread, and the calls each on a thread of their own, so it prepares them through
         * static state or system properties, not thread-locals. A replacement worker (after a crash, a cancellation
         * that killed its worker, or {@link #maxTasksPerChild(int)}) runs it too. The pool's
         * {@link #startTimeout(Duration) start timeout} does not bound it; {@code shutdownNow()} stops a worker that
         * runs it. It is serialized by {@link #build()}, under the pool's allow-list, as a task given to
         * {@code remote} is.
         *
         * <p>If it throws (or cannot be read in the worker), the pool is <em>broken</em>, as CPython's is with
         * {@code BrokenProcessPool}: the worker exits (status 1, printing the exception to its output, which the pool
         * logs), every call pending, queued or running in another worker (which is killed), fails with a
         * {@link BrokenWorkerException}, and every remote call made afterwards fails with one too, thrown by
         * {@code submit}, {@code invokeAll}, {@code invokeAny} or the callable of {@code remote} as it is called.
         * Its cause is the initializer's exception, copied as a call's is: same class and message, the worker's
         * frames, and a suppressed exception naming the worker and the code that called this method (CPython only
         * logs it in the worker); one that cannot be serialized, or that the parent cannot read (of a class defined
         * at run time in the worker, or loaded there by a class loader of the initializer's), comes as a call's does,
         * as a stand-in with its class name, message, trace and causes, asked for only then. A worker that dies while running it ({@code System.exit}, a crash) breaks the pool
         * the same way, the exception then having no cause. Commands of {@link ProcessPool#execute execute} still run
         * here. The pool is not shut down by it: {@code shutdown()} or {@code close()} then ends it at once.
         *
         * @param initializer what each worker runs before its first call
         * @return this builder
         * @throws NullPointerException if {@code initializer} is null
         */
        public Builder initializer(SerializableRunnable initializer) {
            this.initializer = Objects.requireNonNull(initializer, "initializer must not be null");
            this.initializerOrigin = new Throwable().getStackTrace();
            return this;
        }

        /**
         * The most calls a worker JVM runs before it exits and a fresh one replaces it (asyncio's
         * {@code max_tasks_per_child}); default: no limit. A call counts once its task has been sent to the worker,
         * whatever its outcome; one cancelled before it was sent does not. The worker ends once it has answered its
         * last call, and the pool starts its replacement at once unless another worker is idle or starting (then
         * when calls wait for one), as CPython does. No call is lost or run twice across the replacement.
         *
         * @param maxTasksPerChild the most calls per worker; at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code maxTasksPerChild} is less than 1
         */
        public Builder maxTasksPerChild(int maxTasksPerChild) {
            if (maxTasksPerChild < 1) {
                throw new IllegalArgumentException("maxTasksPerChild must be >= 1, got " + maxTasksPerChild);
            }
            this.maxTasksPerChild = maxTasksPerChild;
            return this;
        }

        /** The longest wait the pool counts, in nanoseconds (about 292 years): a longer one is taken as this. */
        private static final Duration NO_LIMIT = Duration.ofNanos(Long.MAX_VALUE);

        private static Duration checkPositive(Duration d, String what) {
            Objects.requireNonNull(d, what + " must not be null");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be > 0, got " + d);
            }
            return d.compareTo(NO_LIMIT) > 0 ? NO_LIMIT : d;
        }

        /**
         * A new pool with these settings. No worker starts before the first remote call.
         *
         * @return a new pool, with no worker started
         * @throws IllegalArgumentException if the {@link #initializer(SerializableRunnable) initializer} is not
         *                                  serializable, or holds a class the allow-list refuses; the message names
         *                                  the class
         */
        public ProcessPool build() {
            return new ProcessPool(this);
        }
    }
}
