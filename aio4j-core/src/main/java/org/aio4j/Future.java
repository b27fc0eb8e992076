package org.aio4j;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The result of an operation that may not have finished yet, bound to one {@link EventLoop}: asyncio's
 * {@code Future}.
 *
 * <p>A future is <em>pending</em> until it is given a result ({@link #setResult}), an exception
 * ({@link #setException}) or is cancelled ({@link #cancel(String)}); then it is <em>done</em> and never changes
 * again. A task {@linkplain #await() awaits} a future by suspending until it is done; the loop runs other tasks
 * meanwhile. Awaiting a future that is already done does not suspend.
 *
 * <p><b>Done callbacks.</b> When a future becomes done, each callback added with {@link #addDoneCallback} is
 * scheduled with {@link EventLoop#callSoon}, in the order they were added; none runs inline, not even when added to a
 * future that is already done. A task waiting on the future is woken the same way, in the same queue, so wake-ups and
 * callbacks interleave exactly as in asyncio.
 *
 * <p><b>Threads.</b> Like asyncio's, a future is a loop object: the methods that change it ({@code setResult},
 * {@code setException}, {@code cancel}, {@code addDoneCallback}, {@code removeDoneCallback}) must be called by the
 * thread that holds its loop (a task or callback of that loop), and throw {@link IllegalStateException} on any other
 * thread while the loop runs; from another thread, use {@link EventLoop#callSoonThreadsafe(Runnable)}. The reading
 * methods ({@link #isDone()}, {@link #isCancelled()}, {@link #state()}, {@link #get()}) are safe from any thread;
 * {@link #get()} blocks a thread that is not part of the loop until the future is done.
 *
 * <p><b>Errors are not lost.</b> A future that ends with an exception which nobody retrieves (through
 * {@link #await()}, {@link #get()}, {@link #result()} or {@link #exception()}) is reported to the loop's
 * {@link ExceptionHandler} when the loop closes, in {@linkplain EventLoop#setDebug debug mode} with where the future
 * was created, as asyncio's report carries its {@code source_traceback}. A cancelled future is not, as in asyncio,
 * unless it is a task whose clean-up attached failures to the cancellation it ended with (as suppressed exceptions: a
 * resource whose release failed as the cancellation unwound the task): the {@link CancellationException} that these
 * methods throw carries them (so does the one a {@linkplain Aio#gather(Future[]) gather} of the task fails with or
 * lists), and if none of them was called, each failure is reported when the loop closes.
 *
 * <p>Memory consistency: actions of the thread that completes a future happen-before the return of
 * {@link #await()} or {@link #get()} in a thread that sees it done.
 *
 * @param <T> the result type
 */
public sealed class Future<T> implements java.util.concurrent.Future<T> permits Task, GatheringFuture, SitedFuture {

    static final int PENDING = 0;
    static final int CANCELLED = 1;
    static final int FINISHED = 2;

    final EventLoop loop;
    private volatile int state;
    private T result;
    private Throwable exception;
    private String cancelMessage;
    /** {@code null}, one entry, or a {@link Callbacks} list. An entry is a {@link Task} to wake or a Consumer. */
    private Object callbacks;
    private volatile boolean retrieved;
    /** What this future stands for, when a queue or lock waits on it (diagnostics: wait-for graphs). */
    Object owner;

    Future(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * The loop this future is bound to: asyncio's {@code get_loop()}.
     *
     * @return the loop that runs this future's callbacks
     */
    public final EventLoop getLoop() {
        return loop;
    }

    /** Whether the future is done: it has a result or an exception, or was cancelled. Safe from any thread. */
    @Override
    public final boolean isDone() {
        return state != PENDING;
    }

    /** Whether the future was cancelled. Safe from any thread. */
    @Override
    public final boolean isCancelled() {
        return state == CANCELLED;
    }

    /**
     * The state as {@link java.util.concurrent.Future.State}: {@code RUNNING} while pending, then {@code SUCCESS},
     * {@code FAILED} or {@code CANCELLED}. Safe from any thread.
     */
    @Override
    public final State state() {
        return switch (state) {
            case PENDING -> State.RUNNING;
            case CANCELLED -> State.CANCELLED;
            default -> exception == null ? State.SUCCESS : State.FAILED;
        };
    }

    /**
     * Suspends the calling task until this future is done, then returns its result or throws its exception:
     * asyncio's {@code await future}.
     *
     * <p>Does not suspend if the future is already done. The exception thrown is the future's own exception object,
     * not a wrapper, so {@code catch} clauses work as they would around a direct call.
     *
     * <p><b>Cancellation.</b> If the awaiting task is cancelled while it waits, this future is cancelled too (as
     * asyncio does; shield it with {@link Aio#shield} to prevent that) and {@code await} throws
     * {@link CancellationException}. If this future is a task that catches that cancellation and returns a value,
     * {@code await} returns the value.
     *
     * @return the result
     * @throws CancellationException if this future was cancelled, or the awaiting task was cancelled while waiting
     * @throws Exception             the future's exception
     * @throws IllegalStateException if not called from a task of this future's loop, or a task awaits itself
     */
    public final T await() throws Exception {
        if (state == PENDING) {
            // awaitDone, not suspendOn: report() throws the same CancellationException, and one frame less stays on
            // every parked task's stack (docs/internals.md, "Parked stacks").
            loop.taskAwaiting(this, "Future.await()").awaitDone(this);
        }
        return report();
    }

    /**
     * Waits until the future is done and returns its result, as {@link java.util.concurrent.Future#get()} does.
     *
     * <p>Inside a task of this future's loop it suspends the task like {@link #await()}. On a thread that is not part
     * of any running loop it blocks that thread. It throws {@link IllegalStateException} from a callback of the loop
     * or from a task of another loop, where blocking would stall a loop, and on a pending future whose loop is
     * closed, which nothing can complete. A blocked thread is released as soon as the future is done, also when it is
     * a task that {@link EventLoop#close()} cancels.
     *
     * @throws ExecutionException   wrapping the future's exception
     * @throws CancellationException if the future was cancelled, or the waiting task was cancelled while waiting
     * @throws InterruptedException if a blocked thread is interrupted
     * @throws IllegalStateException if the future is pending and this is a callback of its loop, a task of another
     *                               loop, or its loop is closed
     */
    @Override
    public final T get() throws InterruptedException, ExecutionException {
        if (state == PENDING) {
            Task<?> task = loop.taskOrBlockableThread(this, "Future.get()");
            if (task != null) {
                task.suspendOn(this);
            } else {
                blockUntilDone(Long.MAX_VALUE);
            }
        }
        return reportForGet();
    }

    /**
     * Waits at most {@code timeout} for the future to be done, as
     * {@link java.util.concurrent.Future#get(long, TimeUnit)} does. A timeout does not cancel the future (unlike
     * {@link Aio#waitFor}).
     *
     * @throws TimeoutException         if the future is not done in time
     * @throws NullPointerException     if {@code unit} is null
     * @throws IllegalArgumentException if {@code timeout} is negative (unlike the JDK's futures, which take it as 0)
     * @see #get()
     */
    @Override
    public final T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        Objects.requireNonNull(unit, "unit must not be null");
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout must be >= 0, got " + timeout);
        }
        if (state == PENDING) {
            Task<?> task = loop.taskOrBlockableThread(this, "Future.get(timeout)");
            if (task != null) {
                task.waitDone(this, unit.toNanos(timeout));
            } else {
                blockUntilDone(unit.toNanos(timeout));
            }
            if (state == PENDING) {
                throw new TimeoutException("Future not done after " + timeout + " " + unit + ": " + this);
            }
        }
        return reportForGet();
    }

    /**
     * The result of a done future: asyncio's {@code result()}.
     *
     * @return the result
     * @throws InvalidStateException if the future is not done
     * @throws CancellationException if it was cancelled
     * @throws RuntimeException      its exception, if that is unchecked (or an {@link Error})
     * @throws CompletionException   wrapping its exception, if that is a checked exception (use {@link #await()} in
     *                               a task to get the checked exception itself)
     */
    public final T result() {
        int s = state;
        if (s == PENDING) {
            throw new InvalidStateException("Result is not ready: " + this);
        }
        Throwable e = failure();
        if (e == null) {
            return result;
        }
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e instanceof Error err) {
            throw err;
        }
        throw new CompletionException(e);
    }

    /**
     * The exception of a done future, or {@code null} if it has a result: asyncio's {@code exception()}. Marks the
     * exception as retrieved.
     *
     * @return the exception, or {@code null}
     * @throws InvalidStateException if the future is not done
     * @throws CancellationException if it was cancelled (carrying, as suppressed, the failures the task's clean-up
     *                               attached to its cancellation, which are then retrieved too)
     */
    public final Throwable exception() {
        int s = state;
        if (s == PENDING) {
            throw new InvalidStateException("Exception is not set: " + this);
        }
        if (s == CANCELLED) {
            throw cancelledError();
        }
        retrieved = true;
        return exception;
    }

    /** The exception the future finished with, or null; unlike {@link #exception()}, does not mark it retrieved. */
    final Throwable failureUnretrieved() {
        return state == FINISHED ? exception : null;
    }

    /** As {@link java.util.concurrent.Future#resultNow()}: the result, if the future finished with one. */
    @Override
    public final T resultNow() {
        if (state != FINISHED || exception != null) {
            throw new IllegalStateException("Future did not complete with a result: " + this);
        }
        return result;
    }

    /** As {@link java.util.concurrent.Future#exceptionNow()}: the exception, if the future finished with one. */
    @Override
    public final Throwable exceptionNow() {
        if (state != FINISHED || exception == null) {
            throw new IllegalStateException("Future did not complete with an exception: " + this);
        }
        retrieved = true;
        return exception;
    }

    /**
     * Marks the future done with {@code value}: asyncio's {@code set_result()}.
     *
     * @param value the result; may be {@code null}
     * @throws InvalidStateException if it is already done
     * @throws IllegalStateException if called on a thread that does not hold the running loop
     */
    public void setResult(T value) {
        loop.checkThread("Future.setResult");
        checkPending("setResult");
        result = value;
        state = FINISHED;
        scheduleCallbacks();
    }

    /**
     * Marks the future done with {@code error}: asyncio's {@code set_exception()}.
     *
     * @param error the exception that awaiting the future throws
     * @throws NullPointerException  if {@code error} is null
     * @throws InvalidStateException if it is already done
     * @throws IllegalStateException if called on a thread that does not hold the running loop
     */
    public void setException(Throwable error) {
        Objects.requireNonNull(error, "exception must not be null");
        loop.checkThread("Future.setException");
        checkPending("setException");
        fail(error);
    }

    /**
     * Cancels the future without a message. Same as {@code cancel((String) null)}.
     *
     * @return {@code true} if the future was pending and is now cancelled, {@code false} if it was already done
     * @throws IllegalStateException if called on a thread that does not hold the running loop
     */
    public final boolean cancel() {
        return cancel((String) null);
    }

    /**
     * As {@link #cancel(String)} without a message; {@code mayInterruptIfRunning} is ignored (a future has nothing
     * running; cancelling a task interrupts a blocking call it offloaded with {@link Aio#toThread}).
     */
    @Override
    public final boolean cancel(boolean mayInterruptIfRunning) {
        return cancel((String) null);
    }

    /**
     * Cancels the future: asyncio's {@code cancel(msg)}. If it is pending, it becomes cancelled, its callbacks are
     * scheduled and {@code true} is returned; if it is already done, nothing changes and {@code false} is returned.
     *
     * @param message the message of the {@link CancellationException} raised by awaiting it, or {@code null}
     * @return {@code true} if the future was pending and is now cancelled, {@code false} if it was already done
     * @throws IllegalStateException if called on a thread that does not hold the running loop
     */
    public boolean cancel(String message) {
        loop.checkThread("Future.cancel");
        if (state != PENDING) {
            return false;
        }
        markCancelled(message);
        return true;
    }

    /**
     * Adds a callback run with this future as argument once it is done: asyncio's {@code add_done_callback()}. The
     * callback is scheduled with {@link EventLoop#callSoon} (at once if the future is already done), never run
     * inline. It runs on the loop and must not suspend; an exception it throws goes to the loop's
     * {@link ExceptionHandler}.
     *
     * @param callback the code to run, on the loop's thread, with this future
     * @throws NullPointerException  if {@code callback} is null
     * @throws IllegalStateException if called on a thread that does not hold the running loop, or if the future is
     *                               done and its loop is closed (the callback could never run; asyncio's
     *                               {@code call_soon} raises {@code RuntimeError} there)
     */
    public final void addDoneCallback(Consumer<? super Future<T>> callback) {
        Objects.requireNonNull(callback, "callback must not be null");
        loop.checkThread("Future.addDoneCallback");
        Bindings context = loop.currentBindings();
        addDoneCallbackEntry(context == Bindings.EMPTY ? callback : new InContext(callback, context));
    }

    /**
     * As {@link #addDoneCallback(Consumer)}, the callback running in {@code context} itself, not in a copy of the
     * current context: asyncio's {@code add_done_callback(callback, context=context)}. What the callback sets with
     * {@link ContextVar#set} is set in {@code context}, and seen there afterwards. A context entered by a
     * {@link Context#run} when the callback is due is not run in: see {@link EventLoop#callSoon(Runnable, Context)}.
     *
     * @param callback the code to run, on the loop's thread, with this future
     * @param context  the context to run it in
     * @throws NullPointerException  if {@code callback} or {@code context} is null (for the current context's copy,
     *                               use {@link #addDoneCallback(Consumer)})
     * @throws IllegalStateException if called on a thread that does not hold the running loop, or if the future is
     *                               done and its loop is closed
     */
    public final void addDoneCallback(Consumer<? super Future<T>> callback, Context context) {
        Objects.requireNonNull(callback, "callback must not be null");
        Objects.requireNonNull(context, "context must not be null");
        loop.checkThread("Future.addDoneCallback");
        addDoneCallbackEntry(new InContext(callback, context));
    }

    private void addDoneCallbackEntry(Object entry) {
        if (state != PENDING) {
            loop.checkNotClosed();
            loop.scheduleCallback(entry, this);
        } else {
            addEntry(entry);
        }
    }

    /**
     * A done-callback added where the current {@link Context} had values, which it runs with (their {@link Bindings}),
     * or added with a {@link Context} to run in.
     */
    record InContext(Consumer<?> callback, Object context) {
    }

    /**
     * Removes every registration of {@code callback}: asyncio's {@code remove_done_callback()}.
     *
     * @param callback the callback to remove, compared with {@code equals}
     * @return the number of registrations removed
     * @throws NullPointerException  if {@code callback} is null (as {@link #addDoneCallback} refuses it)
     * @throws IllegalStateException if called on a thread that does not hold the running loop
     */
    public final int removeDoneCallback(Consumer<? super Future<T>> callback) {
        Objects.requireNonNull(callback, "callback must not be null");
        loop.checkThread("Future.removeDoneCallback");
        return removeEntry(callback);
    }

    @Override
    public String toString() {
        return "Future[" + describeState() + "]";
    }

    // ----------------------------------------------------------------------------------------------------------
    // Internals shared with Task, the combinators and the loop.

    final String describeState() {
        return switch (state) {
            case PENDING -> "pending";
            case CANCELLED -> cancelMessage == null ? "cancelled" : "cancelled message=" + cancelMessage;
            default -> exception != null
                    ? "finished exception=" + printed(exception)
                    : "finished result=" + abbreviate(printed(result));
        };
    }

    /**
     * {@code value} as its {@code toString()} shows it, or, if that throws, its class and what it threw (as asyncio's
     * reprs use {@code reprlib.repr}, which survives a broken {@code __repr__}): a future's description is in reports
     * and dumps, which must not fail because of the value.
     */
    private static String printed(Object value) {
        try {
            return String.valueOf(value);
        } catch (RuntimeException e) {
            return "<" + value.getClass().getName() + ", whose toString() threw " + e.getClass().getName() + ">";
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    final void checkPending(String operation) {
        if (state != PENDING) {
            throw new InvalidStateException(operation + " on a future that is already done: " + this);
        }
    }

    /** Completes with a value; the caller has checked thread and state. */
    final void complete(T value) {
        result = value;
        state = FINISHED;
        scheduleCallbacks();
    }

    /** Completes with an exception; the caller has checked thread and state. */
    final void fail(Throwable error) {
        exception = error;
        state = FINISHED;
        // A converted timeout is an ordinary error here: reported if unretrieved. A cancellation is not, but the real
        // failures attached to it are (a gather that fails with the cancellation of a child that failed to clean up).
        if (isReportable(error)) {
            loop.trackUnretrieved(this);
        }
        scheduleCallbacks();
    }

    final void markCancelled(String message) {
        cancelMessage = message;
        state = CANCELLED;
        scheduleCallbacks();
    }

    /**
     * As {@link #markCancelled(String)}, keeping {@code raised}, the cancellation a task's coroutine ended with (kept
     * in {@code exception}, unused while cancelled): the first {@link #cancelledError()} has it as its cause, so
     * that whoever awaits the task first sees where the task was when it was cancelled (asyncio gives the task's own
     * {@code CancelledError} once, then new ones), and each carries what is suppressed on it (a clean-up that failed
     * while the task unwound), so that it reaches them; with such failures it is kept for every delivery.
     *
     * <p>If any of them is a real failure ({@link #attachedFailures()}), the future counts as having an exception
     * nobody retrieved until a {@link #cancelledError()} delivers them: the loop reports each when it closes, as it
     * reports an exception never retrieved (a cancellation alone is never reported).
     */
    final void markCancelled(String message, CancellationException raised) {
        if (raised != null) {
            exception = raised;
            if (!attachedFailures(raised).isEmpty()) {
                loop.trackUnretrieved(this);
            }
        }
        markCancelled(message);
    }

    /**
     * The real failures attached to the cancellation of a cancelled future (see
     * {@link #markCancelled(String, CancellationException)}), or to the cancellation a future failed with, in order,
     * without marking them retrieved: what is suppressed on it but cancellations, and what is suppressed on those, the
     * same way. Empty if none (a plain cancellation, a future that did not end by one).
     */
    final List<Throwable> attachedFailures() {
        Throwable raised = state == CANCELLED || Task.isCancellation(exception) ? exception : null;
        return raised == null ? List.of() : attachedFailures(raised);
    }

    /**
     * Whether {@code error}, if nobody retrieves it, is reported: a failure (a converted timeout too), or a
     * cancellation with real failures attached ({@link #attachedFailures(Throwable)}); a bare cancellation is not.
     */
    static boolean isReportable(Throwable error) {
        return !Task.isCancellation(error) || !attachedFailures(error).isEmpty();
    }

    /** The real failures attached to {@code cancellation}, found as {@link #attachedFailures()} finds them. */
    static List<Throwable> attachedFailures(Throwable cancellation) {
        if (cancellation.getSuppressed().length == 0) {
            return List.of(); // a bare cancellation, the common case: nothing to walk (getSuppressed() copies nothing)
        }
        return attachedFailures(cancellation, new ArrayList<>(), new IdentityHashMap<>());
    }

    private static List<Throwable> attachedFailures(Throwable cancellation, List<Throwable> out,
                                                    IdentityHashMap<Throwable, Boolean> seen) {
        if (seen.put(cancellation, Boolean.TRUE) == null) {
            for (Throwable attached : cancellation.getSuppressed()) {
                if (Task.isCancellation(attached)) {
                    attachedFailures(attached, out, seen);
                } else if (seen.put(attached, Boolean.TRUE) == null) {
                    out.add(attached);
                }
            }
        }
        return out;
    }

    /**
     * Where this future was created (the user frames, innermost first), recorded in debug mode only, or null: asyncio's
     * {@code _source_traceback}. A plain future records nothing; the loop makes a {@link SitedFuture} in debug mode.
     */
    StackTraceElement[] site() {
        return null;
    }

    /** The creation report of an error report: where the future was created (recorded in debug mode), or null. */
    String creationSite() {
        StackTraceElement[] site = site();
        return site == null ? null : appendSite(new StringBuilder(), site).toString();
    }

    /** Appends "created at:" and the frames of {@code site}, one a line, to {@code out}; returns it. */
    static StringBuilder appendSite(StringBuilder out, StackTraceElement[] site) {
        out.append("created at:");
        for (StackTraceElement frame : site) {
            out.append("\n\tat ").append(frame);
        }
        return out;
    }

    final String cancelMessage() {
        return cancelMessage;
    }

    /** The exception of a finished future without marking it retrieved (for internal inspection). */
    final Throwable peekException() {
        return state == FINISHED ? exception : null;
    }

    final boolean isRetrieved() {
        return retrieved;
    }

    final void markRetrieved() {
        retrieved = true;
    }

    /**
     * The {@link CancellationException} that a cancelled future raises in whoever it is delivered to, carrying what was
     * attached to its cancellation (see {@link #markCancelled(String, CancellationException)}), which it marks
     * retrieved: call it only to throw it to a caller or pass it on.
     */
    CancellationException cancelledError() {
        CancellationException e = new CancellationException(cancelMessage);
        Throwable raised = exception;
        if (raised != null) { // see markCancelled(String, CancellationException)
            // A task ended by the cancellation of one it awaited raised that one's, caused by where the first of them
            // waited: that is the cause then, so that a chain of tasks awaiting each other gives causes one deep, as
            // asyncio passes one CancelledError on (one per task made a long chain too deep to print).
            e.initCause(raised.getCause() instanceof CancellationException first ? first : raised);
            Throwable[] attached = raised.getSuppressed();
            if (attached.length > 0) {
                retrieved = true;
                for (Throwable failure : attached) {
                    e.addSuppressed(failure);
                }
            } else {
                // Given once, as asyncio's _make_cancelled_error gives the task's own once: a task kept after its
                // cancellation does not keep the exception and its stack trace too.
                exception = null;
            }
        }
        return e;
    }

    /**
     * The exception of a done future (marked retrieved), or null if it has a result.
     *
     * @throws CancellationException if it was cancelled
     */
    private Throwable failure() {
        if (state == CANCELLED) {
            throw cancelledError();
        }
        Throwable e = exception;
        if (e != null) {
            retrieved = true;
        }
        return e;
    }

    /** Result or the original exception, for await() and runUntilComplete(). */
    final T report() throws Exception {
        Throwable e = failure();
        if (e == null) {
            return result;
        }
        if (e instanceof Exception ex) {
            throw ex;
        }
        if (e instanceof Error err) {
            throw err;
        }
        throw new ExecutionException(e);
    }

    private T reportForGet() throws ExecutionException {
        Throwable e = failure();
        if (e != null) {
            throw new ExecutionException(e);
        }
        return result;
    }

    /** Registers a task to be woken (made ready) when this future is done. */
    final void addWaiter(Task<?> task) {
        addEntry(task);
    }

    final void removeWaiter(Task<?> task) {
        removeEntry(task);
    }

    private void addEntry(Object entry) {
        Object cbs = callbacks;
        if (cbs == null) {
            callbacks = entry;
        } else if (cbs instanceof Callbacks list) {
            list.add(entry);
        } else {
            var list = new Callbacks();
            list.add(cbs);
            list.add(entry);
            callbacks = list;
        }
    }

    private int removeEntry(Object entry) {
        Object cbs = callbacks;
        if (cbs == null) {
            return 0;
        }
        if (cbs instanceof Callbacks list) {
            int before = list.size();
            list.removeIf(e -> unwrapped(e).equals(entry));
            return before - list.size();
        }
        if (unwrapped(cbs).equals(entry)) {
            callbacks = null;
            return 1;
        }
        return 0;
    }

    private static Object unwrapped(Object entry) {
        return entry instanceof InContext c ? c.callback() : entry;
    }

    private void scheduleCallbacks() {
        loop.blockedGets.release(this);
        Object cbs = callbacks;
        if (cbs == null) {
            return;
        }
        callbacks = null;
        if (cbs instanceof Callbacks list) {
            for (Object entry : list) {
                loop.scheduleCallback(entry, this);
            }
        } else {
            loop.scheduleCallback(cbs, this);
        }
    }

    /**
     * Blocks a thread outside the loop until the future is done or the timeout passes. The thread waits on a waiter
     * of its own, registered with the loop's {@link BlockedGets}, which every transition to done releases directly:
     * nothing goes through the loop, so a future settled while the loop cannot run callbacks any more (a task that
     * {@link EventLoop#close()} cancels) releases it too, and a get() that times out or is interrupted takes its
     * waiter back instead of leaving a callback on the future. An interrupted thread clears its interrupt status only
     * once its waiter is taken back (see {@link BlockedGets.Waiter}).
     *
     * @throws IllegalStateException if the future is pending and its loop is closed: nothing can complete it
     */
    private void blockUntilDone(long timeoutNanos) throws InterruptedException {
        if (loop.blockedGets.block(loop, this, () -> state != PENDING, timeoutNanos)) {
            Thread.interrupted(); // cleared once its waiter is taken back, as InterruptedException says
            throw new InterruptedException();
        }
    }

    /** Marker type so that a list of callbacks is never mistaken for a single entry. */
    private static final class Callbacks extends ArrayList<Object> {
        private static final long serialVersionUID = 1L;

        Callbacks() {
            super(4);
        }
    }
}
