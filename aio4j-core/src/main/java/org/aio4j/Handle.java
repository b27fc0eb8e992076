package org.aio4j;

import java.util.function.Consumer;

/**
 * A callback scheduled on an event loop, as returned by {@link EventLoop#callSoon(Runnable)}: asyncio's
 * {@code Handle}.
 *
 * <p>A handle runs once, on the loop's thread, in the loop iteration that reaches it; it runs to completion and must
 * not suspend. {@link #cancel()} before it runs prevents it from running. An exception thrown by the callback is
 * passed to the loop's {@link ExceptionHandler}; the loop goes on.
 *
 * <p>Not thread-safe: call {@link #cancel()} on the loop's thread (from another thread, use
 * {@link EventLoop#callSoonThreadsafe(Runnable)}). A plain handle does not check the thread (a {@link TimerHandle}
 * does, and throws {@link IllegalStateException}): called from another thread, its cancel may go unseen by the loop,
 * and the callback run all the same.
 */
public sealed class Handle permits TimerHandle {

    /** A {@link Runnable}, a {@link Consumer} applied to {@link #arg}, or (for timers) a {@link Task} to wake. */
    final Object fn;
    final Object arg;
    boolean cancelled;
    /** The context the callback runs in ({@link Bindings} or a {@link Context}); null for an empty one. */
    Object context;

    Handle(Object fn, Object arg) {
        this.fn = fn;
        this.arg = arg;
    }

    /** Prevents the callback from running, if it has not run yet. Does nothing otherwise. */
    public void cancel() {
        cancelled = true;
    }

    /**
     * Whether {@link #cancel()} was called.
     *
     * @return whether the call was cancelled
     */
    public boolean isCancelled() {
        return cancelled;
    }

    @SuppressWarnings("unchecked")
    final void run() {
        if (fn instanceof Runnable r) {
            r.run();
        } else if (fn instanceof Consumer<?> c) {
            ((Consumer<Object>) c).accept(arg);
        } else {
            ((Task<?>) fn).wakeFromSleep(this);
        }
    }

    /**
     * What the handle runs, for reports and the timeline: the callback (see {@link CallbackName}), the future whose
     * done-callback it is, whether it was cancelled; a {@link TimerHandle} adds when it is due.
     */
    @Override
    public String toString() {
        var out = new StringBuilder(getClass().getSimpleName()).append('[');
        if (fn instanceof Task<?> t) {
            out.append("wake ").append(t.getName());
        } else {
            out.append(CallbackName.of(fn));
            if (arg instanceof Future<?> f) {
                out.append(", done callback of ").append(f instanceof Task<?> t ? t.getName() : "a future");
            }
        }
        details(out);
        return out.append(cancelled ? ", cancelled" : "").append(']').toString();
    }

    /** Appends what a subclass adds to {@link #toString()}. */
    void details(StringBuilder out) {
    }
}
