package org.aio4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * A callback scheduled on an event loop, as returned by {@link EventLoop#callSoon(Runnable)}: asyncio's
 * {@code Handle}.
 *
 * <p>A handle runs once, on the loop's thread, in the loop iteration that reaches it; it runs to completion and must
 * not suspend. {@link #cancel()} before it runs prevents it from running. An exception thrown by the callback is
 * passed to the loop's {@link ExceptionHandler}; the loop goes on.
 *
 * <p>Unlike asyncio's, whose {@code cancel()} must be called on the loop's thread, {@link #cancel()} may be called
 * from any thread: the handle is marked cancelled at once and the loop drops it when it gets to it (a
 * {@link TimerHandle} also leaves the loop's timers, which the loop does on its own thread). A cancel from another
 * thread that races with the loop reaching the handle may come too late: the callback then runs, once, as it would
 * had the cancel come just after it.
 */
public sealed class Handle permits TimerHandle {

    /** A {@link Runnable}, a {@link Consumer} applied to {@link #arg}, or (for timers) a {@link Task} to wake. */
    final Object fn;
    final Object arg;
    /** Set once by {@link #cancel()}, from any thread; read by the loop before it runs the handle. */
    volatile boolean cancelled;
    /** The context the callback runs in ({@link Bindings} or a {@link Context}); null for an empty one. */
    Object context;

    Handle(Object fn, Object arg) {
        this.fn = fn;
        this.arg = arg;
    }

    private static final VarHandle CANCELLED;

    static {
        try {
            CANCELLED = MethodHandles.lookup().findVarHandle(Handle.class, "cancelled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Prevents the callback from running, if it has not run yet. Does nothing otherwise. Safe from any thread (see
     * above); asyncio's {@code Handle.cancel()}.
     */
    public void cancel() {
        cancelled = true;
    }

    /** Marks the handle cancelled; whether this call did (it was not cancelled before), from whichever thread. */
    final boolean markCancelled() {
        return !cancelled && CANCELLED.compareAndSet(this, false, true);
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
