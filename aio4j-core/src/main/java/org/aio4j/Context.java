package org.aio4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * A set of {@link ContextVar} values: Python's {@code contextvars.Context}, as asyncio uses it.
 *
 * <p>Every piece of code runs in a current context: a task in its own, a copy of its creator's made when
 * {@link EventLoop#createTask} made the task (so a task sees the values set before it was created, and what it sets is
 * seen by no other task, not even the one that created it); a callback of the loop in a copy of the context that
 * scheduled it ({@link EventLoop#callSoon}, {@link EventLoop#callLater}, {@link EventLoop#callAt},
 * {@link EventLoop#callSoonThreadsafe}, {@link Future#addDoneCallback}); the call of {@link Aio#toThread} in a copy of
 * its caller's; any other thread in a context of its own, empty when the thread starts. {@link #run} runs code in a
 * given context, and so do a task and a callback given one when they are made (asyncio's {@code context=} argument:
 * {@link EventLoop#createTask(Coroutine, String, Context)}, {@link TaskGroup#createTask(Coroutine, String, Context)},
 * {@link EventLoop#callSoon(Runnable, Context)} and the other scheduling calls), which run in that context itself, not
 * in a copy: what they set is set there. A copy costs one reference: the values are an immutable map, and
 * {@link ContextVar#set} makes a new one.
 *
 * <p>asyncio's {@code Runner} and {@code asyncio.run} run the main task in a copy of the calling thread's context;
 * {@link Aio#run} does too. {@link EventLoop#runInExecutor}, as asyncio's {@code run_in_executor}, does not pass the
 * context on.
 *
 * <p>Thread-safety: a context is used by one thread at a time, the one that {@linkplain #run runs} it or the one
 * holding the loop of the task or callback it belongs to; {@link #run} refuses a context that another call is
 * running, and the own context of a task not yet done on a thread that does not hold the task's loop. Reading a context (its {@link #get}, {@link #containsKey}, {@link #size}, {@link #toMap}) from another
 * thread sees some recent state of its values.
 */
public final class Context {

    /** The context of a thread outside a loop: one per thread, made on the first {@code set}. */
    private static final ThreadLocal<Context> OF_THREAD = new ThreadLocal<>();

    volatile Bindings bindings;
    /** Whether {@link #run} is running this context, on some thread. Guarded by {@code this}. */
    private boolean entered;
    /**
     * The task whose own context this is (the last to take it, if several did): while it is not done it may run in
     * this context at any of its steps, so a thread that does not hold its loop may not enter it (see
     * {@link #enter()}).
     */
    volatile Task<?> owner;

    /** An empty context: Python's {@code contextvars.Context()}. */
    public Context() {
        this(Bindings.EMPTY);
    }

    Context(Bindings bindings) {
        this.bindings = bindings;
    }

    /**
     * A copy of the current context: Python's {@code contextvars.copy_context()}. Changes to either do not show in
     * the other.
     *
     * @return a new context with the current values
     */
    public static Context copyContext() {
        return new Context(currentBindings());
    }

    /**
     * A copy of this context: Python's {@code Context.copy()}.
     *
     * @return a new context with this one's values
     */
    public Context copy() {
        return new Context(bindings);
    }

    /**
     * Runs {@code body} with this context as the current one and returns its result: Python's
     * {@code Context.run()}. What {@code body} sets with {@link ContextVar#set} is set in this context, and stays
     * there when the call returns; the context that was current before is current again afterwards, whatever
     * {@code body} did. In a task, the body may suspend: the task runs in this context until the call returns, and
     * tasks it creates meanwhile copy this context. In an {@link AsyncGenerator}'s body that emits inside the call,
     * the context is the body's alone: the code iterating the generator runs in its own meanwhile, and the body
     * finds this one again when it resumes (CPython's {@code Context.run} takes a plain function, so no body can
     * emit inside one).
     *
     * @param <T>  the type of the result
     * @param body the code to run
     * @return what {@code body} returned
     * @throws Exception             what {@code body} threw
     * @throws IllegalStateException if this context is already running: current on this thread, in a {@code run}
     *                               on another, or the own context of the task running now (also inside another
     *                               {@code run} in it) or of a task waiting in its step for the eager start of one
     *                               it created, as asyncio enters a task's context for each step; or the own
     *                               context of a task not yet done and this thread does not hold the task's loop
     *                               (another thread would change it under the task; asyncio refuses it during the
     *                               task's steps)
     * @throws NullPointerException  if {@code body} is null
     */
    public <T> T run(Callable<T> body) throws Exception {
        Objects.requireNonNull(body, "body must not be null");
        Entered scope = enter();
        try {
            return body.call();
        } finally {
            scope.exit();
        }
    }

    /**
     * As {@link #run(Callable)}, for a body without a result and without checked exceptions.
     *
     * @param body the code to run
     * @throws IllegalStateException as {@link #run(Callable)}: if this context is already running
     * @throws NullPointerException  if {@code body} is null
     */
    public void run(Runnable body) {
        Objects.requireNonNull(body, "body must not be null");
        Entered scope = enter();
        try {
            body.run();
        } finally {
            scope.exit();
        }
    }

    /**
     * The value of {@code var} in this context, or {@code null} if it has none (its default does not count): Python's
     * {@code Context.get(var)}.
     *
     * @param <T> the type of the variable
     * @param var the variable
     * @return its value here, or {@code null}
     * @throws NullPointerException if {@code var} is null
     */
    @SuppressWarnings("unchecked")
    public <T> T get(ContextVar<T> var) {
        Object v = bindings.lookup(Objects.requireNonNull(var, "var must not be null"));
        return v == Bindings.MISSING ? null : (T) v;
    }

    /**
     * The value of {@code var} in this context, or {@code fallback} if it has none (its default does not count):
     * Python's {@code Context.get(var, default)}. Tells "no value" from a value of {@code null}, which
     * {@link #get(ContextVar)} cannot.
     *
     * @param <T>      the type of the variable
     * @param var      the variable
     * @param fallback what to return if {@code var} has no value here; may be null
     * @return its value here, or {@code fallback}
     * @throws NullPointerException if {@code var} is null
     */
    @SuppressWarnings("unchecked")
    public <T> T get(ContextVar<T> var, T fallback) {
        Object v = bindings.lookup(Objects.requireNonNull(var, "var must not be null"));
        return v == Bindings.MISSING ? fallback : (T) v;
    }

    /**
     * Whether {@code var} has a value in this context (its default does not count): Python's {@code var in ctx}.
     *
     * @param var the variable
     * @return whether it was set here
     * @throws NullPointerException if {@code var} is null
     */
    public boolean containsKey(ContextVar<?> var) {
        return bindings.lookup(Objects.requireNonNull(var, "var must not be null")) != Bindings.MISSING;
    }

    /**
     * The number of variables set in this context: Python's {@code len(ctx)}.
     *
     * @return the number of variables with a value here
     */
    public int size() {
        return bindings.size();
    }

    /**
     * The variables set in this context and their values, in the order they were set (one set again keeps its
     * place): a snapshot, which later changes to the context do not alter. Python's {@code dict(ctx)}, whose
     * {@code keys()}, {@code values()} and {@code items()} are its {@link Map#keySet()}, {@link Map#values()} and
     * {@link Map#entrySet()}.
     *
     * @return an unmodifiable map of the variables with a value here to their values (a value may be null)
     */
    public Map<ContextVar<?>, Object> toMap() {
        Bindings b = bindings;
        var map = new LinkedHashMap<ContextVar<?>, Object>();
        for (int i = 0; i < b.size(); i++) {
            map.put(b.var(i), b.value(i));
        }
        return Collections.unmodifiableMap(map);
    }

    @Override
    public String toString() {
        Bindings b = bindings;
        StringBuilder out = new StringBuilder("Context{");
        for (int i = 0; i < b.size(); i++) {
            out.append(i == 0 ? "" : ", ").append(b.var(i).name()).append('=').append(b.value(i));
        }
        return out.append('}').toString();
    }

    // ----------------------------------------------------------------------------------------------------------
    // Where the current context is. In a running loop it belongs to the task or the callback running now (the
    // loop's contextSlot: a Context, or Bindings not yet needed as a Context, which is how a task or callback starts
    // and costs nothing until something is set); elsewhere it is the thread's.

    /** The current values, without making a context for them. */
    static Bindings currentBindings() {
        EventLoop loop = EventLoop.ofCurrentThread();
        if (loop != null) {
            Object slot = loop.contextSlot();
            if (slot != null) {
                return bindingsOf(slot);
            }
        }
        return threadBindings();
    }

    /** The current values of a thread that runs no task or callback of a loop. */
    static Bindings threadBindings() {
        Context c = OF_THREAD.get();
        return c == null ? Bindings.EMPTY : c.bindings;
    }

    static Bindings bindingsOf(Object slot) {
        return slot instanceof Context c ? c.bindings : (Bindings) slot;
    }

    /** The current context, made (and put in its place) if it was only values so far. */
    static Context current() {
        EventLoop loop = EventLoop.ofCurrentThread();
        if (loop != null) {
            Object slot = loop.contextSlot();
            if (slot instanceof Context c) {
                return c;
            }
            if (slot != null) {
                Context c = new Context((Bindings) slot);
                loop.setContextSlot(c);
                return c;
            }
        }
        Context c = OF_THREAD.get();
        if (c == null) {
            c = new Context();
            OF_THREAD.set(c);
        }
        return c;
    }

    /** Makes this context the current one, until the returned scope's {@code exit}. */
    private Entered enter() {
        markEntered();
        try {
            EventLoop loop = EventLoop.ofCurrentThread();
            Object slot = loop == null ? null : loop.contextSlot();
            if (slot == this || slot == null && OF_THREAD.get() == this) {
                throw new IllegalStateException("cannot enter " + this + ": it is the current context");
            }
            Task<?> owner = this.owner;
            if (owner != null && owner.loop != loop && !owner.isDone()) {
                // asyncio enters a task's context on the loop's thread for each step; another thread that entered
                // it would set values under the task, which may run in it at any moment.
                throw new IllegalStateException("cannot enter " + this + " on " + Thread.currentThread()
                        + ": it is the context of task '" + owner.getName() + "' of " + owner.loop
                        + ", which is not done; only that loop's thread may enter it (run in a copy() instead)");
            }
            Task<?> running = loop == null ? null : loop.inStepWithOwnContext(this);
            if (running != null) {
                throw new IllegalStateException("cannot enter " + this + ": it is the context of task '"
                        + running.getName() + "', which is running (asyncio enters a task's context for each step)");
            }
            return current(loop, slot);
        } catch (RuntimeException e) {
            leave();
            throw e;
        }
    }

    /** Makes this context, just marked entered, the current one instead of {@code slot} (or the thread's). */
    private Entered current(EventLoop loop, Object slot) {
        if (slot != null) {
            Task<?> task = loop.currentTask;
            if (task != null) {
                AsyncGenerator<?> body = task.runningBody();
                if (body != null) { // a generator's body: entered for the body alone, see AsyncGenerator.enter
                    return body.enter(this);
                }
                Context before = task.enterContext(this);
                return () -> {
                    task.enterContext(before);
                    leave();
                };
            }
            loop.setContextSlot(this);
            return () -> {
                loop.setContextSlot(slot);
                leave();
            };
        }
        Context before = OF_THREAD.get();
        OF_THREAD.set(this);
        return () -> {
            OF_THREAD.set(before);
            leave();
        };
    }

    /**
     * Marks this context entered, until {@link #leave()}: by a {@link #run}, or by the loop for a callback given this
     * context ({@link EventLoop#callSoon(Runnable, Context)} and the like), as asyncio's {@code Handle} runs one in
     * {@code context.run}.
     *
     * @throws IllegalStateException if it is entered already, on any thread
     */
    synchronized void markEntered() {
        if (entered) {
            throw new IllegalStateException("cannot enter " + this + ": it is already entered");
        }
        entered = true;
    }

    synchronized void leave() {
        entered = false;
    }

    /** The end of a {@link #run}: puts back the context that was current before. */
    interface Entered {
        void exit();
    }
}
