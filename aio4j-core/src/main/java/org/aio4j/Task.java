package org.aio4j;

import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * A coroutine running on an event loop: asyncio's {@code Task}.
 *
 * <p>A task runs its {@link Coroutine} on a virtual thread of its own, started the first time the loop reaches the
 * task in its ready queue (or at once, by {@code createTask}, with the {@link TaskFactory#EAGER eager} task factory,
 * see {@link EventLoop#setTaskFactory}). Only one task of a loop runs at a time: a task holds the loop from the
 * moment it is resumed until it suspends (awaits a pending future, sleeps, waits on a queue or lock) or returns, and
 * the loop then runs the next ready callback or task, first in, first out. So the same program interleaves the same
 * way every run.
 *
 * <p>The task is itself a {@link Future} of its coroutine's result; {@link #setResult} and {@link #setException}
 * are not supported (asyncio's {@code RuntimeError}).
 *
 * <p><b>Cancellation</b> ({@link #cancel(String)}) is a request: at the task's current or next suspension point a
 * {@link CancellationException} is thrown into its coroutine. If the task was waiting on a future, that future is
 * cancelled too. The coroutine may catch the exception, clean up, and even return normally (the task then ends with
 * that result, not cancelled); it ends cancelled if the exception escapes. {@link #cancelling()} counts the pending
 * requests and {@link #uncancel()} withdraws one, exactly as in CPython 3.13; {@link Timeout} and {@link TaskGroup}
 * rely on these counts to tell their own cancellations from the caller's. A task that is cancelled before it starts
 * never runs its coroutine.
 *
 * <p>Threads: as for any {@link Future}, only the thread holding the loop may change the task.
 *
 * @param <T> the result type
 */
public final class Task<T> extends Future<T> {

    /** Cause of a plain cancel() without a message. */
    private static final Object NO_MESSAGE = new Object();

    private final Coroutine<T> coro;
    private final int number;
    private String name;
    /**
     * The task that created this one, for task trees and reports, as a {@link Creator}: null for a top-level task.
     * Not the task itself, which would keep every ended creator (and its result) reachable from its successors: a
     * task that hands over to a task it creates and ends, again and again, would keep them all.
     */
    final Creator creator;

    /**
     * A task as the tasks it created know it: the task until it ends, then its name only. Its {@link #up} link leads
     * to the creator's creator, and is moved up past the tasks that had ended when the creator ends, so that a chain
     * of ended tasks does not grow.
     */
    static final class Creator {
        /** The task, until it ends; then null. */
        volatile Task<?> task;
        /** The task's name when it ended; null before. */
        volatile String name;
        /** The token of the task's creator, or of the nearest of its ancestors not ended when the task ended. */
        volatile Creator up;

        Creator(Task<?> task, Creator up) {
            this.task = task;
            this.up = up;
        }

        /** The task's name, whether or not it has ended. */
        String name() {
            Task<?> t = task;
            return t != null ? t.getName() : name;
        }
    }
    /** What few tasks need (group, creation site, generators, last cancellation); null until one is needed. */
    private Extras extras;

    /** The virtual thread running the coroutine; null until the loop first dispatches the task. */
    Thread thread;
    /** What the task is suspended on: a Future, a TimerHandle (sleeping), or null (ready or running). */
    Object waitingOn;
    /** Whether the task is in the loop's ready queue (so a second wake-up in the same turn is a no-op). */
    boolean queued;
    /** Set while the task's thread is parked (or about to park) waiting for the loop; see EventLoop.suspend. */
    volatile boolean parked;

    private int cancelsRequested;
    private boolean mustCancel;
    /** What the next cancellation throws: NO_MESSAGE, a message, a Timeout, or an exception to deliver as is. */
    private Object cancelCause;
    /**
     * The fields most tasks never use, kept out of the task itself: a million tasks each save their bytes.
     */
    private static final class Extras {
        /** The TaskGroup that created the task (for task dumps). */
        TaskGroup group;
        /** Where the task was created (debug mode). */
        StackTraceElement[] site;
        /**
         * The async generators this task drives and has not closed, oldest first; closed when the coroutine ends,
         * before the task is done, so that none outlives the task (see {@link AsyncGenerator}).
         */
        java.util.ArrayList<AsyncGenerator<?>> generators;
        /**
         * The interruption most recently thrown into the coroutine at a suspension point: a cancellation (a Timeout
         * converts it when it expires) or a TaskGroup's abort. See {@link #isInterruption}.
         */
        RuntimeException lastInterruption;
        /** How many {@link CancelShield}s of this task are open: while one is, interruptions are deferred. */
        int shields;
        /**
         * Set while {@link #requestCancel} passes a cancellation on to a task or gather that this task awaits: a
         * cancellation that comes back round to the task (tasks awaiting each other, a gather awaited by one of its
         * children) stops there instead of going round the cycle until the stack overflows, and the task then stops
         * waiting ({@link #cameBackRound}). (In the extras: a field of the task itself would make every task 8 bytes
         * larger.)
         */
        boolean passingOnCancel;
        /** Set when a cancellation this task is passing on comes back round to it: see {@link #requestCancel}. */
        boolean cameBackRound;
        /**
         * The coroutine has ended and the task closes the generators it left open before it is done: it counts as
         * ended, and {@link #requestCancel} refuses (see {@link AsyncGenerator#closeAbandoned}).
         */
        boolean coroutineEnded;
        /** The generator whose body the task runs now, if any (the innermost: see {@link AsyncGenerator#drive}). */
        AsyncGenerator<?> runningBody;
        /**
         * The task's context: the {@link Bindings} copied from its creator, a {@link Context} once one was needed,
         * or null for an empty one (see {@link #contextSlot()}).
         */
        Object context;
        /** The context that a {@link Context#run} in the task runs now, instead of its own; null if none. */
        Context entered;
        /**
         * This task as the tasks it creates know it; made when it creates its first task. (In the extras: a field of
         * the task itself made every task 8 bytes larger, 96 instead of 88, where most tasks create none.)
         */
        Creator asCreator;
        /** How many times the closing loop has refused this task a suspension (see EventLoop.suspend). */
        int refusalsAtClose;
        /**
         * The deferred interruption that the expiry of a Timeout (or the abort of a TaskGroup) set inside a shielded
         * section went ahead of, or that came while it was under way: deferred again when that block ends (see
         * endOvertaking).
         */
        Object overtaken;
        /**
         * The cause of the last cancellation (a cancel() or a Timeout's expiry) that a TaskGroup's abort went ahead
         * of: requested while the abort was pending, or pending or passed on when the abort came (counted, not
         * delivered). What the group raises again once its errors are out (see rearmCancellation), so that its
         * message, or its being an expiry, is kept.
         */
        Object heldByAbort;
        /**
         * The cancellation (or expiry) passed on to what the task waits on (the future it awaits, its sleep) when a
         * later plain request found nothing left to cancel and became pending: asyncio's {@code _must_cancel} over a
         * cancelled {@code _fut_waiter}. An {@code uncancel()} that drops the later request leaves this one to be
         * raised where the task wakes. If both are plain, the wake-up raises the message of the future the task
         * awaited if it ended cancelled (asyncio raises that future's {@code CancelledError}: this one's message,
         * unless another cancelled it first), this one if the task slept (its sleep cut short by this one) or woke
         * before the future ended (Future.get's timeout), and the later one if the future ended otherwise (an
         * awaited task that caught the cancellation and returned). Null if none.
         */
        Object passedOn;
    }

    private Extras extras() {
        Extras e = extras;
        if (e == null) {
            e = new Extras();
            extras = e;
        }
        return e;
    }

    TaskGroup group() {
        return extras == null ? null : extras.group;
    }

    void group(TaskGroup group) {
        extras().group = group;
    }

    java.util.ArrayList<AsyncGenerator<?>> generators() {
        return extras == null ? null : extras.generators;
    }

    void generators(java.util.ArrayList<AsyncGenerator<?>> list) {
        if (list != null || extras != null) {
            extras().generators = list;
        }
    }

    AsyncGenerator<?> runningBody() {
        return extras == null ? null : extras.runningBody;
    }

    void runningBody(AsyncGenerator<?> g) {
        if (g != null || extras != null) {
            extras().runningBody = g;
        }
    }

    RuntimeException lastInterruption() {
        return extras == null ? null : extras.lastInterruption;
    }

    /**
     * Whether an open {@link CancelShield} of this task defers {@code cause}: any shield defers a cancellation, but
     * only a shield opened inside a {@link Timeout}'s or a {@link TaskGroup}'s block defers that Timeout's expiry or
     * that group's abort (a deadline or a group set inside a shielded section works there, as Trio's cancel scopes
     * and nurseries inside a shielded scope do).
     */
    private boolean shieldedFrom(Object cause) {
        if (extras == null || extras.shields == 0) {
            return false;
        }
        int outside = cause instanceof Timeout t ? t.shieldsAtEntry()
                : cause instanceof TaskGroupException g ? g.shieldsAtEntry() : 0;
        return extras.shields > outside;
    }

    /** How many {@link CancelShield}s of this task are open. */
    int shieldDepth() {
        return extras == null ? 0 : extras.shields;
    }

    /** The coroutine has ended; the task closes its generators before it is done (see {@link Extras#coroutineEnded}). */
    void coroutineEnded() {
        extras().coroutineEnded = true;
    }

    /** Whether the coroutine has ended (the task may still be closing its generators): see {@link #coroutineEnded()}. */
    boolean hasCoroutineEnded() {
        return extras != null && extras.coroutineEnded;
    }

    void enterShield() {
        extras().shields++;
    }

    void leaveShield() {
        if (extras != null && extras.shields > 0) {
            extras.shields--;
        }
    }

    /** The loop closes while the task still waits: no shield holds it back from the cancellation that ends it. */
    void breakShields() {
        if (extras != null) {
            extras.shields = 0;
        }
    }

    /** Counts one more suspension that the closing loop refused this task, and returns the count. */
    int refuseSuspensionAtClose() {
        return ++extras().refusalsAtClose;
    }

    /**
     * The closing loop gives up on the task, whose coroutine went on trying to suspend: it is settled as cancelled
     * although its coroutine never ends (its thread stays parked), so that nothing waits on it for ever.
     */
    void settleAbandoned() {
        mustCancel = false;
        loop.unlinkLive(this);
        releaseEnded();
        markCancelled("event loop closed; the task went on trying to suspend and was abandoned");
        cancelCause = null;
    }

    /** The interruption pending for the task, taken so that no suspension point raises it; null if none. */
    RuntimeException takePendingInterruption() {
        if (!mustCancel) {
            return null;
        }
        mustCancel = false;
        return takeCancellation();
    }

    /** Links in the loop's list of pending tasks. */
    Task<?> livePrev;
    Task<?> liveNext;

    Task(EventLoop loop, Coroutine<T> coro, String name, int number, Task<?> parent, StackTraceElement[] site) {
        super(loop);
        this.coro = coro;
        this.name = name;
        this.number = number;
        this.creator = parent == null ? null : parent.asCreator();
        if (site != null) {
            extras().site = site;
        }
    }

    /**
     * The task's name: the one given at creation, or {@code Task-N} where N counts, from 1, the tasks of its loop
     * created without a name: asyncio's {@code get_name()}. (asyncio's count is the process's, across loops.)
     *
     * @return the task's name
     */
    public String getName() {
        String n = name;
        if (n == null) {
            n = "Task-" + number;
            name = n;
        }
        return n;
    }

    /**
     * Renames the task: asyncio's {@code set_name()}.
     *
     * @param name the new name
     * @throws NullPointerException if {@code name} is null
     */
    public void setName(String name) {
        this.name = Objects.requireNonNull(name, "name must not be null");
    }

    /**
     * The coroutine this task runs: asyncio's {@code get_coro()}.
     *
     * @return the coroutine the task was created with
     */
    public Coroutine<T> getCoro() {
        return coro;
    }

    /**
     * The task's {@link Context}: asyncio's {@code get_context()} (Python 3.12). A copy of its creator's context,
     * made when the task was created (a {@link Runner}'s main task: the runner's context itself; a task created with a
     * context, as by {@link EventLoop#createTask(Coroutine, String, Context)}: that context itself); what the task sets
     * with {@link ContextVar#set} is set here, but for what it sets inside a {@link Context#run}, which is set in the
     * context run. Inside such a run it is still the task's own context, as asyncio's.
     *
     * @return the task's own context
     * @throws IllegalStateException if called on a thread that does not hold the task's running loop
     */
    public Context getContext() {
        loop.checkThread("Task.getContext");
        Extras e = extras;
        Object own = e == null || e.context == null ? Bindings.EMPTY : e.context;
        if (own instanceof Context c) {
            return c;
        }
        Context c = new Context((Bindings) own);
        c.owner = this;
        extras().context = c;
        return c;
    }

    /** Whether {@code context} is the task's own context (which {@link #getContext()} returns). */
    boolean hasOwnContext(Context context) {
        Extras e = extras;
        return e != null && e.context == context;
    }

    /**
     * The context the task runs in now: the one a {@link Context#run} in it runs, else its own, a {@link Context} or
     * the {@link Bindings} it starts with (see EventLoop.contextSlot).
     */
    Object contextSlot() {
        Extras e = extras;
        if (e == null) {
            return Bindings.EMPTY;
        }
        return e.entered != null ? e.entered : e.context != null ? e.context : Bindings.EMPTY;
    }

    /**
     * Replaces the task's own context: its first values, or the {@link Context} made for them once needed (the only
     * case while it runs, when no {@link Context#run} in it runs, or {@link #contextSlot()} would be a Context).
     */
    void setContextSlot(Object context) {
        if (context == Bindings.EMPTY && (extras == null || extras.context == null)) {
            return;
        }
        if (context instanceof Context c) {
            c.owner = this;
        }
        extras().context = context;
    }

    /**
     * Makes {@code context} the one the task runs in instead of its own, for a {@link Context#run} in it (null: its
     * own again); returns the one it replaces, to put back when the run returns.
     */
    Context enterContext(Context context) {
        if (context == null && extras == null) {
            return null;
        }
        Extras e = extras();
        Context before = e.entered;
        e.entered = context;
        return before;
    }

    /**
     * The number of cancellation requests not yet withdrawn with {@link #uncancel()}: asyncio's
     * {@code cancelling()}. A {@link TaskGroup}'s abort of its block (its {@link TaskGroupException} thrown where the
     * block waits) is not a cancellation and is not counted, where asyncio's TaskGroup aborts with a {@code cancel()}
     * that {@code cancelling()} counts until the group's exit withdraws it.
     *
     * @return the number of cancellation requests pending
     */
    public int cancelling() {
        return cancelsRequested;
    }

    /**
     * Withdraws one cancellation request and returns how many remain: asyncio's {@code uncancel()}. When none remain,
     * a cancellation that was requested but not yet passed on is dropped, as in CPython 3.13: one the task will meet
     * at its next suspension point (or deferred by a {@link CancelShield}). One already passed on to what the task
     * waits on (the future it awaits, which was cancelled, or its sleep, which was cut short) is still thrown where
     * the task wakes; so is a {@link TaskGroup}'s abort, which is not a cancellation.
     *
     * @return the number of cancellation requests that remain
     * @throws IllegalStateException if called on a thread that does not hold the running loop
     */
    public int uncancel() {
        loop.checkThread("Task.uncancel");
        if (cancelsRequested > 0) {
            cancelsRequested--;
            if (cancelsRequested == 0 && mustCancel && !abortPending()) {
                mustCancel = false;
                cancelCause = takePassedOn(); // passed on before the dropped request: still raised where it wakes
            }
            if (cancelsRequested == 0 && extras != null) {
                extras.heldByAbort = null;
            }
        }
        return cancelsRequested;
    }

    /**
     * Whether {@code e} is the interruption this task most recently received where it suspended: its cancellation
     * ({@link #cancel}), the expiry of a {@link Timeout} around it, or an abort by its {@link TaskGroup} (whose
     * {@link TaskGroupException} is thrown where the block waits). A failure of what the task awaited is not one, even
     * a {@link CancellationException} of a future that something else cancelled.
     *
     * <p>asyncio has no counterpart: there a task's own cancellation and a cancelled future it awaited both raise
     * {@code CancelledError}, told apart with {@code cancelling()}. Code that must tell "I am being stopped" from
     * "what I waited for failed" (an iterator operator that holds its upstream's failure but lets its consumer's
     * cancellation out at once) asks this instead of testing exception types.
     *
     * @param e an exception the task's code caught; {@code null} gives {@code false}
     * @return whether {@code e} is that interruption
     */
    public boolean isInterruption(Throwable e) {
        return e != null && extras != null && e == extras.lastInterruption;
    }

    /** Whether {@code e} is an interruption of the task running on this thread, if one does ({@link #isInterruption}). */
    static boolean interruptsCurrentTask(Throwable e) {
        EventLoop loop = EventLoop.ofCurrentThread();
        Task<?> t = loop == null ? null : loop.currentTask;
        return t != null && t.isInterruption(e);
    }

    /**
     * Requests cancellation: asyncio's {@code cancel(msg)}. Returns {@code false} if the task is already done, or
     * its coroutine has returned and the task is closing the {@link AsyncGenerator}s it left open (which asyncio
     * closes once the task is done); otherwise counts the request and returns {@code true}, and a {@link CancellationException} carrying
     * {@code message} is thrown into the coroutine where it waits (or at its next suspension point, or before it
     * starts). If the task waits on a future, that future is cancelled; if it waits on a call offloaded with
     * {@link Aio#toThread}, the thread running that call is interrupted. Requests made before the task wakes are
     * raised once, as in CPython: a request that finds what the task waits on cancelled already is counted, and
     * when what the task waited on ended cancelled, the exception raised carries that future's message (asyncio
     * raises the awaited future's {@code CancelledError}: the earlier request's, or whoever else cancelled it), and
     * when it was a sleep, which the earlier request cut short, or a future it stopped waiting for before that ended
     * ({@link Future#get(long, java.util.concurrent.TimeUnit)}'s timeout), that request's message; otherwise (an
     * awaited task that caught the cancellation and returned) the latest request's.
     *
     * @throws IllegalStateException if called on a thread that does not hold the running loop
     */
    @Override
    public boolean cancel(String message) {
        loop.checkThread("Task.cancel");
        return requestCancel(message == null ? NO_MESSAGE : message, true);
    }

    /** Always throws: a task's result comes from its coroutine. asyncio raises RuntimeError here. */
    @Override
    public void setResult(T value) {
        throw new UnsupportedOperationException("Task does not support setResult: its result comes from its coroutine");
    }

    /** Always throws: a task's exception comes from its coroutine. asyncio raises RuntimeError here. */
    @Override
    public void setException(Throwable error) {
        throw new UnsupportedOperationException(
                "Task does not support setException: its exception comes from its coroutine");
    }

    /**
     * The future this task is suspended on, if any: asyncio's private {@code _fut_waiter}, made public for
     * diagnostics. {@code null} if the task is running, ready to run, sleeping or done.
     *
     * @return the future the task waits on, or {@code null}
     */
    public Future<?> waitingOn() {
        return waitingOn instanceof Future<?> f ? f : null;
    }

    /**
     * The frames of the coroutine where it is suspended (or running), innermost first, with the loop's own frames
     * left out: asyncio's {@code get_stack()}. While the task drives an {@link AsyncGenerator}'s body (which runs on
     * a thread of its own), the body's frames come first, then those of the code iterating it, as asyncio shows an
     * async generator's frame above its caller's. Empty if the task has not started or is done.
     *
     * @return the user frames of the task, innermost first; a new array, empty if there are none
     */
    public StackTraceElement[] getStack() {
        Thread t = thread;
        if (t == null || isDone()) {
            return new StackTraceElement[0];
        }
        var frames = new ArrayList<StackTraceElement>();
        java.util.List<AsyncGenerator<?>> driven = generators();
        // Each hop goes from a generator body's thread to the thread driving it: at most one per generator.
        for (int hops = 0; t != null; hops++) {
            for (StackTraceElement frame : t.getStackTrace()) {
                if (isUserFrame(frame)) {
                    frames.add(frame);
                }
            }
            t = driven == null || hops >= driven.size() ? null : AsyncGenerator.drivingThread(driven, t);
        }
        return frames.toArray(StackTraceElement[]::new);
    }

    /**
     * Prints the task's stack to {@code out}: asyncio's {@code print_stack(file=out)}. A task that waits or runs
     * prints {@code "Stack for TASK (most recent call first):"} and the frames of {@link #getStack()}, as a Java stack
     * trace lists them (asyncio lists the most recent last); a task that failed prints
     * {@code "Traceback for TASK (most recent call first):"} and its exception's stack trace (without marking it
     * retrieved, as asyncio's); any other, {@code "No stack for TASK"}. Callable from any thread, as
     * {@link #getStack()}.
     *
     * @param out where to print
     * @throws NullPointerException if {@code out} is null
     */
    public void printStack(java.io.PrintStream out) {
        java.util.Objects.requireNonNull(out, "out must not be null");
        StackTraceElement[] stack = getStack();
        Throwable failure = failureUnretrieved();
        var text = new StringBuilder();
        if (failure != null) {
            var trace = new java.io.StringWriter();
            failure.printStackTrace(new java.io.PrintWriter(trace));
            text.append("Traceback for ").append(this).append(" (most recent call first):\n").append(trace);
        } else if (stack.length > 0) {
            text.append("Stack for ").append(this).append(" (most recent call first):\n");
            for (StackTraceElement frame : stack) {
                text.append("\tat ").append(frame).append('\n');
            }
        } else {
            text.append("No stack for ").append(this).append('\n');
        }
        out.print(text);
        out.flush();
    }

    /**
     * Where the task waits, in its own code: the innermost frame of {@link #getStack()} outside aio4j's modules (the
     * HTTP client, JDBC, the process pool, test support), so that a task waiting on a query is shown at the line that
     * runs the query rather than inside the JDBC module; the innermost frame of {@code getStack()} if all of them are
     * aio4j's; {@code null} if it is empty.
     *
     * @return the innermost frame of the task's own code, or {@code null} if there is none
     */
    public StackTraceElement waitingAt() {
        StackTraceElement[] stack = getStack();
        for (StackTraceElement frame : stack) {
            if (!isModuleFrame(frame)) {
                return frame;
            }
        }
        return stack.length == 0 ? null : stack[0];
    }

    /**
     * The task that created this one, while it has not ended. No asyncio counterpart. Once the creator has ended this
     * returns {@code null}: a task does not keep its ended creator (nor its result) reachable; reports still name it.
     *
     * @return the task whose step created this one if it has not ended, or {@code null} if it has, or if a callback
     *         or the code running the loop created this one
     */
    public Task<?> parent() {
        Creator c = creator;
        return c == null ? null : c.task;
    }

    /** This task as the tasks it creates know it (loop thread). */
    private Creator asCreator() {
        Extras e = extras();
        Creator c = e.asCreator;
        if (c == null) {
            c = new Creator(this, creator);
            e.asCreator = c;
        }
        return c;
    }

    /**
     * The task has ended (loop thread): what may outlive it no longer reaches it. Its own context (see
     * {@link Context#owner}); the tasks it created, which keep only its name, and whose way up to their ancestors
     * skips those that have ended.
     */
    private void releaseEnded() {
        Extras e = extras;
        if (e == null) {
            return;
        }
        if (e.context instanceof Context own && own.owner == this) {
            own.owner = null;
        }
        Creator c = e.asCreator;
        if (c == null) {
            return;
        }
        c.name = getName();
        Creator up = c.up;
        while (up != null && up.task == null) {
            up = up.up;
        }
        c.up = up;
        c.task = null;
    }

    @Override
    public String toString() {
        var out = new StringBuilder("Task[name=").append(getName()).append(", ").append(describeState());
        Object w = waitingOn;
        if (!isDone() && w != null) {
            out.append(", waiting on ").append(WaitGraph.target(w));
        }
        return out.append(']').toString();
    }

    // ----------------------------------------------------------------------------------------------------------
    // Running, suspending and resuming. All of this runs on the thread holding the loop.

    /**
     * The body of every task thread: the new thread holds the loop when it starts, so the loop's current task is the
     * one to run. One shared Runnable instead of one per task saves 16 bytes per task (a million tasks: 16 MB).
     */
    static final Runnable START = new Start();

    /**
     * Runs the current task's coroutine and ends the task. A class with the body in {@code run} rather than a lambda
     * calling a method: every frame between the thread's entry and a suspension stays on a parked task's stack, and
     * the JIT inlines only so many levels (a lambda adds two).
     */
    private static final class Start implements Runnable {
        @Override
        public void run() {
            Object value = null;
            Throwable error = null;
            try {
                value = EventLoop.ofCurrentThread().currentTask.coro.call();
            } catch (Throwable e) {
                error = e;
            }
            // Found again rather than kept: a local live across the coroutine would sit in every parked frame.
            Task<?> t = EventLoop.ofCurrentThread().currentTask;
            if (t.generators() != null) {
                error = AsyncGenerator.closeAbandoned(t, error);
            }
            t.loop.exitTask(t, value, error);
        }
    }

    /** Settles the task from the outcome of its coroutine: asyncio's end of {@code __step}. */
    void settle(T value, Throwable error) {
        loop.unlinkLive(this);
        releaseEnded();
        if (error == null) {
            if (mustCancel) {
                mustCancel = false;
                markCancelled(causeMessage(cancelCause));
            } else {
                complete(value);
            }
        } else if (isCancellation(error)) {
            TaskGroupException groupErrors = groupErrorsIn(error);
            if (groupErrors != null) {
                // The block of a TaskGroup unwound with a cancellation and the group's close() found errors, which
                // Java could only attach to it: asyncio gives a TaskGroup's errors priority over the cancellation.
                fail(groupErrors);
            } else {
                // The coroutine's own exception, message and all, as asyncio's __step cancels the task with the
                // CancelledError the coroutine raised, not with the message of a request still pending.
                markCancelled(error.getMessage(), (CancellationException) error); // isCancellation: a CancellationException
            }
        } else {
            fail(error);
        }
        cancelCause = null;
    }

    private static TaskGroupException groupErrorsIn(Throwable cancellation) {
        for (Throwable s : cancellation.getSuppressed()) {
            if (s instanceof TaskGroupException g) {
                return g;
            }
        }
        return null;
    }

    /** Settles a task cancelled before it ever ran. */
    void settleUnstarted() {
        mustCancel = false;
        loop.unlinkLive(this);
        releaseEnded();
        markCancelled(causeMessage(cancelCause));
        cancelCause = null;
    }

    boolean mustCancelBeforeStart() {
        return mustCancel;
    }

    /** Whether {@code e} ends a task as cancelled (a timeout that was converted is an ordinary error instead). */
    static boolean isCancellation(Throwable e) {
        return e instanceof CancellationException
                && !(e instanceof TimeoutCancellationException t && t.isTimeout());
    }

    /**
     * Suspends until {@code f} is done, then throws a {@link CancellationException} if {@code f} was cancelled: by
     * the task's own cancellation (its interruption) or by anyone else (a failure of what it awaited), as asyncio's
     * task wake-up reads the awaited future's result. The caller checked that f is pending and belongs to this loop.
     */
    void suspendOn(Future<?> f) {
        awaitDone(f);
        if (f.isCancelled()) {
            throw f.cancelledError();
        }
    }

    /**
     * Suspends until {@code f} is done, whatever its outcome; throws only the task's interruption. The caller checked
     * that f is pending and belongs to this loop.
     */
    void awaitDone(Future<?> f) {
        if (f == this) {
            throw new IllegalStateException("Task cannot await on itself: " + this);
        }
        waitingOn = f;
        f.addWaiter(this); // first: cancelling f below must wake the task, as any settling of f does
        if (mustCancel && !shieldedFrom(cancelCause) && f.cancel(causeMessage(cancelCause))) {
            // asyncio's __step cancels the future a task yields while a cancellation is pending.
            mustCancel = false;
        }
        loop.suspend(this);
        waitingOn = null;
        afterWake(f);
    }

    /** Suspends until {@code f} is done or {@code timeoutNanos} passed; does not cancel {@code f}. */
    void waitDone(Future<?> f, long timeoutNanos) {
        TimerHandle timer = loop.scheduleAfter(timeoutNanos, (Runnable) () -> {
            if (waitingOn == f) {
                f.removeWaiter(this);
                loop.makeReady(this);
            }
        });
        try {
            awaitDone(f);
        } finally {
            timer.cancel();
        }
    }

    /** Suspends for {@code nanos} of loop time; 0 yields to the other ready tasks once (asyncio's sleep(0)). */
    void sleep(long nanos) {
        if (nanos <= 0) {
            loop.makeReady(this);
            loop.suspend(this);
        } else if (mustCancel && !shieldedFrom(cancelCause)) {
            // asyncio's __step cancels the sleep's future at once, with the pending request: the request is passed
            // on, as to an awaited future (awaitDone), so a later one finds it under way and the wake-up raises this
            // one (a sleep(0) is a bare yield that nothing is passed on to: a later request replaces the message)
            mustCancel = false;
            loop.makeReady(this);
            loop.suspend(this);
        } else {
            TimerHandle h = loop.scheduleAfter(nanos, this);
            waitingOn = h;
            loop.suspend(this);
            waitingOn = null;
        }
        afterWake(null);
    }

    /** Called by a timer handle set by {@link #sleep}. */
    void wakeFromSleep(Handle h) {
        if (waitingOn == h) {
            loop.makeReady(this);
        }
    }

    /** Called when a future this task waits on is done. */
    void wakeFrom(Future<?> f) {
        if (waitingOn == f) {
            loop.makeReady(this);
        }
    }

    private void afterWake(Future<?> f) {
        if (mustCancel && shieldedFrom(cancelCause)) {
            return; // deferred until the shield closes
        }
        if (mustCancel) {
            mustCancel = false;
            Object passed = takePassedOn();
            if (passed == null || isPlainCancellation(passed)) {
                if (passed != null && wokeByCancellation(f)) {
                    cancelCause = passed; // woken by the cancellation passed on: the later request ends with it too
                }
                takeMessageOf(f);
            } // else an expiry or abort was passed on: the later request, which came over it, is raised as it is
            throw withOutcomeOf(f, takeCancellation());
        }
        if (cancelCause != null) {
            if (wokeByCancellation(f) || abortPending()) {
                // Cancelled with f, or woken before f ended (Future.get's timeout) while f still winds down the
                // cancellation passed to it, or aborted by a TaskGroup (whatever f did with the cancellation passed
                // to it): the task's to raise.
                takeMessageOf(f);
                throw takeCancellation();
            }
            // The future we cancelled was a task that caught the cancellation and returned: asyncio lets the
            // awaiting task go on with that result, and so do we.
            cancelCause = null;
        }
    }

    /**
     * Whether the cancellation passed on to what the task waited on, {@code f} (null: its sleep), is what woke it:
     * {@code f} ended cancelled, or has not ended (Future.get's timeout woke the task while {@code f} still winds the
     * cancellation down); not if {@code f} ended otherwise (an awaited task that caught it and returned).
     */
    private static boolean wokeByCancellation(Future<?> f) {
        return f == null || f.isCancelled() || !f.isDone();
    }

    /**
     * A plain cancellation about to be raised where the task woke from {@code f}, which ended cancelled, takes
     * {@code f}'s message: asyncio's wake-up raises the awaited future's {@code CancelledError}, whoever cancelled it
     * (an earlier request passed on to it, someone else before this task's request found it done, the children of
     * a gather or an awaited task that raised a message of its own).
     */
    private void takeMessageOf(Future<?> f) {
        if (f != null && f.isCancelled() && isPlainCancellation(cancelCause)) {
            String m = f.cancelMessage();
            cancelCause = m == null ? NO_MESSAGE : m;
        }
    }

    /**
     * The cancellation to raise where the task awaited {@code f}, carrying {@code f}'s exception if {@code f} failed
     * meanwhile (it was done before the task resumed): asyncio drops that exception; here it stays visible, and is
     * not reported again as never retrieved.
     */
    private static RuntimeException withOutcomeOf(Future<?> f, RuntimeException cancellation) {
        if (f != null) {
            Throwable e = f.peekException(); // null unless f failed
            if (e != null && e != cancellation) {
                f.markRetrieved();
                cancellation.addSuppressed(e);
            }
        }
        return cancellation;
    }

    private RuntimeException takeCancellation() {
        Object cause = cancelCause;
        cancelCause = null;
        takePassedOn();
        RuntimeException e;
        if (cause instanceof Timeout t) {
            e = new TimeoutCancellationException(t, t.displacedCancellationMessage());
        } else if (cause instanceof RuntimeException delivered) {
            e = delivered;
        } else {
            e = new CancellationException(cause == NO_MESSAGE || cause == null ? null : (String) cause);
        }
        extras().lastInterruption = e;
        return e;
    }

    /**
     * Requests that {@code cause} be thrown at the task's suspension point: the shared path of {@link #cancel},
     * of {@link Timeout} expiry ({@code cause} a Timeout) and of a {@link TaskGroup} aborting its body ({@code cause}
     * the group's exception, not counted as a cancellation).
     */
    boolean requestCancel(Object cause, boolean counted) {
        if (isDone() || extras != null && extras.coroutineEnded) {
            return false;
        }
        if (extras != null && extras.passingOnCancel) {
            extras.cameBackRound = true; // this very request came back round a cycle of awaits: it is under way
            return false;
        }
        if (counted) {
            cancelsRequested++;
        }
        // A Timeout's expiry or a TaskGroup's abort comes over a later plain request pending behind one passed on:
        // that request's message is replaced (as asyncio's _cancel_message is), its count stays; what is under way
        // is a plain one passed on, handled below as any cancellation passed on.
        Object passed = isPlainCancellation(cause) ? null : takePassedOn();
        if (isPlainCancellation(passed)) {
            mustCancel = false;
            cancelCause = passed;
        }
        if (abortPending() && !(cause instanceof RuntimeException) && !overtakesDeferred(cause)) {
            // A TaskGroup's abort is pending: its errors have priority (as in asyncio). The cancellation stays
            // counted, and the group raises it again once its errors are out (see rearmCancellation).
            extras().heldByAbort = cause;
            return true;
        }
        if (shieldedFrom(cause)) {
            if (cancelCause != null && !shieldedFrom(cancelCause)) {
                // The expiry of a Timeout (or a TaskGroup's abort) set inside the shielded section is pending or
                // under way: it goes first, and the end of its block defers this request again (endOvertaking).
                keepOvertaken(cause);
                return true;
            }
            // Deferred: nothing the task waits on is cancelled and it is not woken; the shield's end raises it.
            if (mustCancel && cancelCause instanceof Timeout t && !(cause instanceof Timeout)
                    && !(cause instanceof RuntimeException)) {
                t.displaceCancellation(cause); // the expiry stays pending: raised in its block, counts decide
                return true;
            }
            if (cause instanceof Timeout t && mustCancel && cancelCause != null) {
                t.displace(cancelCause); // given back if its block ends before its expiry is raised
            }
            mustCancel = true;
            cancelCause = cause;
            return true;
        }
        if (cause instanceof Timeout t && isPlainCancellation(cancelCause) && !shieldedFrom(cancelCause)) {
            // A cancellation is pending, or was passed on to what the task waits on: the task is interrupted once,
            // by the expiry (which the counts then leave a cancellation, or make a timeout if it was withdrawn),
            // carrying the cancellation's message, as asyncio's CancelledError does.
            t.displace(cancelCause);
        }
        if (mustCancel && shieldedFrom(cancelCause)) {
            keepOvertaken(cancelCause); // a Timeout or TaskGroup inside the shielded section goes ahead of it
        } else if (cause instanceof RuntimeException && cancelCause != null && !abortPending()) {
            extras().heldByAbort = cancelCause; // a TaskGroup's abort goes ahead of it: raised again after its errors
        }
        Object w = waitingOn;
        if (w instanceof Future<?> f) {
            boolean passedOn;
            if (f instanceof Task<?> || f instanceof GatheringFuture) { // the futures that pass a cancel on
                Extras e = extras();
                e.passingOnCancel = true;
                boolean cameBackRound;
                try {
                    passedOn = f.cancel(causeMessage(cause));
                } finally {
                    e.passingOnCancel = false;
                    cameBackRound = e.cameBackRound;
                    e.cameBackRound = false;
                }
                if (cameBackRound) {
                    // The cancellation went round a cycle of awaits (tasks awaiting each other, a gather awaited by
                    // one of its children) back to this task: every task of the cycle now waits, cancelled, for the
                    // next to end, so none would. This one stops waiting for f and raises it where it wakes (as after
                    // Future.get's timeout, f not having ended); the others, woken in turn as each ends, raise theirs.
                    // So a cycle ends at once even where one of its tasks would have stopped waiting by itself later
                    // (a get(timeout), a child whose clean-up fails): asyncio has no behaviour to follow here, its
                    // Task.cancel recursing round the cycle until RecursionError.
                    f.removeWaiter(this);
                    loop.makeReady(this);
                }
            } else {
                passedOn = f.cancel(causeMessage(cause));
            }
            if (passedOn) {
                cancelCause = cause;
                return true;
            }
        } else if (w instanceof TimerHandle h && !queued) {
            // The sleep's timer has not run: still in the heap, or due and in this iteration's ready queue behind the
            // callback running this request. Either way the sleep is cancelled and the task woken now, as asyncio's
            // cancel() cancels the sleep's future (its timer not yet run) and queues the wake-up. Once the timer has
            // run (the task is queued), the sleep is over: the request is pending, as for a future already done.
            h.cancel();
            waitingOn = null;
            loop.makeReady(this);
            cancelCause = cause; // passed on: thrown where the sleep wakes, as with an awaited future
            return true;
        }
        if (!mustCancel && cancelCause != null && isPlainCancellation(cause)) {
            extras().passedOn = cancelCause; // what the task waits on ends with that one: see Extras.passedOn
        }
        mustCancel = true;
        cancelCause = cause;
        return true;
    }

    private Object takePassedOn() {
        if (extras == null) {
            return null;
        }
        Object passed = extras.passedOn;
        extras.passedOn = null;
        return passed;
    }

    /** Delivers {@code error} to the task at its suspension point without counting a cancellation. */
    boolean abortWith(RuntimeException error) {
        return requestCancel(error, false);
    }

    /** Withdraws {@code abort} if it is still pending: its TaskGroup throws its errors itself. */
    void withdrawAbort(RuntimeException abort) {
        if (cancelCause == abort) {
            mustCancel = false;
            cancelCause = null;
        }
        if (extras != null && extras.overtaken == abort) {
            extras.overtaken = null;
        }
    }

    /** Whether {@code cause} is that of a {@link #cancel} (a message or none), not a Timeout's or a TaskGroup's. */
    private static boolean isPlainCancellation(Object cause) {
        return cause instanceof String || cause == NO_MESSAGE;
    }

    /** Whether what the next suspension raises is a TaskGroup's abort ({@link #abortWith}), not a cancellation. */
    private boolean abortPending() {
        return cancelCause instanceof RuntimeException;
    }

    /**
     * Makes the task's next suspension raise a cancellation again, unless something is pending already: what
     * asyncio's TaskGroup does (uncancel, cancel) when its errors win over a cancellation of the task running its
     * block, so that the cancellation is not swallowed by the errors. What is raised again is {@code raised}, the
     * cancellation the group caught, or else the one its abort went ahead of: a cancel() with its message (asyncio's
     * TaskGroup re-cancels without one; here it is not lost), or the expiry of a Timeout whose block is still open,
     * as an expiry, so that its block converts it (asyncio's timeout converts whatever cancellation leaves its block
     * when the counts say it is its own); a plain cancellation if neither is known.
     */
    void rearmCancellation(RuntimeException raised) {
        Object held = extras == null ? null : extras.heldByAbort;
        if (held != null) {
            extras.heldByAbort = null;
        }
        if (!isDone() && cancelCause == null && !mustCancel) {
            mustCancel = true;
            cancelCause = rearmedCause(raised, held);
        }
    }

    private static Object rearmedCause(RuntimeException raised, Object held) {
        if (raised instanceof TimeoutCancellationException tce) {
            if (!tce.isTimeout() && tce.timeout().isExpiring()) {
                return tce.timeout();
            }
        } else if (raised != null && isCancellation(raised)) {
            return raised.getMessage() != null ? raised.getMessage() : NO_MESSAGE;
        }
        return held instanceof Timeout t && t.isExpiring() || isPlainCancellation(held) ? held : NO_MESSAGE;
    }

    /** Whether {@code cause} comes from a Timeout or TaskGroup inside the shield that defers what is pending. */
    private boolean overtakesDeferred(Object cause) {
        return (cause instanceof Timeout || cause instanceof TaskGroupException) && !shieldedFrom(cause)
                && shieldedFrom(cancelCause);
    }

    /** What the task's next suspension will raise, if anything: the pending cause; null if none. */
    Object deferredCause() {
        return mustCancel ? cancelCause : null;
    }

    /**
     * The block of {@code expired} ends while its expiry is still pending (deferred by a shield, and the block did
     * not suspend after the shield closed; or raised again by a TaskGroup after its errors, which then left the
     * block): what that expiry replaced as the pending interruption is pending again, or else a cancellation (one is
     * still requested: Timeout.close's uncancel() dropped the expiry otherwise), so that no suspension after the block
     * raises the expiry of a closed scope.
     */
    void restoreDisplaced(Timeout expired, Object displaced) {
        if (mustCancel && cancelCause == expired) {
            cancelCause = displaced != null ? displaced : NO_MESSAGE;
        }
    }

    /**
     * Whether a shield of the task defers an interruption: pending, or kept aside while the expiry of a Timeout (or
     * a TaskGroup's abort) set inside the shielded section goes ahead of it.
     */
    boolean defersInterruption() {
        return mustCancel && shieldedFrom(cancelCause) || extras != null && extras.overtaken != null;
    }

    private void keepOvertaken(Object deferred) {
        Extras e = extras();
        if (e.overtaken == null || deferred instanceof RuntimeException) { // a TaskGroup's abort has priority
            e.overtaken = deferred;
        }
    }

    /**
     * Called when the block of {@code expired} (a Timeout that expired, or a TaskGroup's abort) ends. If its
     * interruption went ahead of one that a shield around the block deferred, that one is deferred again, as it was:
     * a TaskGroup's abort always, a cancellation if it is still requested ({@code cancellationsDeferred}:
     * {@code uncancel()} did not withdraw it). One that came while it was under way is deferred again the same way.
     */
    void endOvertaking(Object expired, boolean cancellationsDeferred) {
        Object overtaken = extras == null ? null : extras.overtaken;
        if (overtaken != null) {
            extras.overtaken = null;
        }
        boolean abort = overtaken instanceof RuntimeException;
        if (isDone() || abortPending() || !(abort || cancellationsDeferred)) {
            return;
        }
        if (abort || cancelCause == null || cancelCause == expired) {
            mustCancel = true;
            cancelCause = overtaken != null ? overtaken : NO_MESSAGE;
        }
    }

    private static String causeMessage(Object cause) {
        if (cause instanceof String s) {
            return s;
        }
        if (cause instanceof Timeout) {
            return "timeout expired";
        }
        if (cause instanceof RuntimeException e) {
            return e.getMessage();
        }
        return null;
    }

    /** The creation report: where the task was created (debug mode) and by which task, or null. */
    @Override
    String creationSite() {
        StackTraceElement[] site = site();
        if (site == null && creator == null) {
            return null;
        }
        var out = new StringBuilder();
        if (creator != null) {
            out.append("created by task ").append(creator.name());
        }
        if (site != null) {
            appendSite(out.append(out.isEmpty() ? "" : ", "), site);
        } else {
            out.append(" (run the loop in debug mode, -Daio4j.debug=true, to record where)");
        }
        return out.toString();
    }

    @Override
    StackTraceElement[] site() {
        return extras == null ? null : extras.site;
    }

    /** Whether a frame belongs to user code rather than to the JDK or to this package's own machinery. */
    static boolean isUserFrame(StackTraceElement frame) {
        String c = frame.getClassName();
        if (c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun.")) {
            return false;
        }
        boolean corePackage = c.startsWith(CORE_PACKAGE) && c.indexOf('.', CORE_PACKAGE.length()) < 0;
        // Tests of this package live in it too: their frames are user frames.
        return !corePackage || c.endsWith("Test") || c.contains("Test$");
    }

    /**
     * Whether {@code frame} is in one of aio4j's library modules (not the core: {@link #isUserFrame} leaves it out
     * already), except their tests.
     */
    static boolean isModuleFrame(StackTraceElement frame) {
        String c = frame.getClassName();
        if (!c.startsWith(CORE_PACKAGE) || c.endsWith("Test") || c.contains("Test$")) {
            return false;
        }
        int end = c.lastIndexOf('.');
        return MODULE_PACKAGES.contains(c.substring(0, end));
    }

    private static final String CORE_PACKAGE = "org.aio4j.";
    private static final java.util.Set<String> MODULE_PACKAGES = java.util.Set.of("org.aio4j.http",
            "org.aio4j.http.vertx", "org.aio4j.jdbc", "org.aio4j.process", "org.aio4j.test");
}
