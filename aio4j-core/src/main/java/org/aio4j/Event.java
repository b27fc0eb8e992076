package org.aio4j;

import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;

/**
 * A flag that tasks can wait for: asyncio's {@code asyncio.Event}. {@link #set()} sets it and wakes every waiting
 * task; {@link #clear()} resets it; {@link #await()} suspends until it is set.
 *
 * <p>asyncio's {@code wait()} is called {@code await()} here, because {@link Object#wait()} is final in Java (the
 * JDK's {@link java.util.concurrent.CountDownLatch#await()} made the same choice).
 *
 * <p>Waiters are woken in the order they started waiting. A waiter woken by {@code set()} returns even if the event
 * was cleared again before it ran (as in asyncio).
 *
 * <p><b>Cancellation.</b> A task cancelled while waiting throws {@link CancellationException}; since {@code set()}
 * wakes everyone, nothing has to be passed on.
 *
 * <p><b>Threads.</b> A loop object, bound to the loop that first uses it: call it on the thread holding that loop;
 * other threads throw {@link IllegalStateException}. To set it from another thread:
 * {@code loop.callSoonThreadsafe(event::set)}.
 */
public final class Event extends LoopBound {

    private boolean value;
    private ArrayDeque<Future<Boolean>> waiters;

    /** Creates an event that is not set. */
    public Event() {
    }

    /**
     * Whether the event is set: asyncio's {@code is_set()}.
     *
     * @return whether the event is set
     */
    public boolean isSet() {
        check("isSet");
        return value;
    }

    /** Sets the event and wakes every waiting task, first waiter first: asyncio's {@code set()}. */
    public void set() {
        check("set");
        if (!value) {
            value = true;
            wakeAll(waiters);
        }
    }

    /** Resets the event, so that {@link #await()} suspends again: asyncio's {@code clear()}. */
    public void clear() {
        check("clear");
        value = false;
    }

    /**
     * Suspends the calling task until the event is set; returns at once if it is set: asyncio's {@code wait()}.
     *
     * @throws CancellationException if the task is cancelled while waiting
     * @throws IllegalStateException if it has to wait and is not called from a task, or is called on a thread that
     *                               does not hold the event's loop
     */
    public void await() {
        EventLoop l = check("await()");
        if (value) {
            return;
        }
        if (waiters == null) {
            waiters = new ArrayDeque<>();
        }
        awaitIn(waiters, l, "await()");
    }

    @Override
    public String toString() {
        return "Event[" + (value ? "set" : "unset") + ", waiters=" + (waiters == null ? 0 : waiters.size()) + "]";
    }
}
