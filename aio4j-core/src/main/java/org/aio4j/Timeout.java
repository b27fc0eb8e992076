package org.aio4j;

import java.time.Duration;

/**
 * A deadline for a block of code in a task, used with try-with-resources: asyncio's {@code asyncio.timeout()} and
 * {@code asyncio.timeout_at()} context managers.
 *
 * <pre>{@code
 * try (Timeout t = Aio.timeout(Duration.ofSeconds(2))) {
 *     page = fetch(url);                       // suspends
 * } catch (TimeoutCancellationException e) {
 *     if (!e.isTimeout()) throw e;             // not a timeout: a cancellation, which must go on (see below)
 *     page = null;                             // took longer than 2 s; fetch() was cancelled
 * }
 * }</pre>
 *
 * <p><b>Catch only what {@link TimeoutCancellationException#isTimeout() isTimeout()}.</b> asyncio's
 * {@code except TimeoutError:} after the block catches the timeout error and nothing else. In Java the catch clause
 * matches the class, and a {@code TimeoutCancellationException} that is still a cancellation has the same class: the
 * expiry of an enclosing {@code Timeout} (or of a {@code waitFor} the code runs in) passing through this block on its
 * way out, or this block's own expiry when the task was also cancelled from outside. Swallowed, it is lost: the
 * enclosing deadline no longer ends its block, and the task goes on past it. So rethrow one that is not
 * {@code isTimeout()}, as above.
 *
 * <p>When the deadline passes while the block runs, the task is cancelled: a {@link TimeoutCancellationException}
 * is thrown where the block is suspended, cancelling what it waits for. When that exception leaves the block,
 * {@link #close()} withdraws the cancellation ({@link Task#uncancel()}) and, if no other cancellation of the task is
 * pending, marks the exception as a timeout. The deadline can be moved while the block runs with
 * {@link #reschedule(double)}; {@link #expired()} tells afterwards whether it passed. A {@link CancelShield} opened
 * inside the block defers the expiry until it closes; one around the block does not (the deadline bounds the
 * shielded work).
 *
 * <p><b>A limit of try-with-resources.</b> The exception that leaves the block is the one the block threw: the
 * {@code close()} of a resource declared inside it can only attach its own exception to that one
 * ({@link Throwable#addSuppressed}), not replace it. So when a cancellation of the task has been raised into the block
 * before the deadline passes, and the deadline passes while a {@link TaskGroup}'s {@code close()} inside the block
 * waits for the tasks it cancelled, the {@link TimeoutCancellationException} is raised into that {@code close()} and
 * reaches this timeout attached to the cancellation. The timeout converts it if no other cancellation is pending
 * (as when {@link Task#uncancel()} withdrew the outside one after it was passed on, too late to take it back), but the
 * cancellation is what leaves the block, and a task that lets it out ends cancelled. asyncio's timeout turns whatever
 * {@code CancelledError} leaves its block into {@code TimeoutError} when its own request is the only one left, so
 * there the block would end with the timeout. Code that must tell finds the converted exception among the
 * {@linkplain Throwable#getSuppressed() suppressed} ones of the cancellation it catches.
 *
 * <p>Loop object: use it only from the task that created it. {@link #reschedule} and {@link #close()} throw
 * {@link IllegalStateException} when called from a thread that does not hold the loop.
 */
public final class Timeout implements AutoCloseable {

    private enum State { ENTERED, EXPIRING, EXPIRED, EXITED }

    private final EventLoop loop;
    private final Task<?> task;
    private final int cancellingAtEntry;
    /** How many CancelShields of the task were open at entry: only shields opened inside the block defer expiry. */
    private final int shieldsAtEntry;
    private double when;
    /** The expiry: a timer, or a call queued for a deadline already passed when it was set; null if none. */
    private Handle handle;
    /**
     * The interruption that this timeout's expiry replaced as the task's pending one: deferred by the same shield as
     * the expiry (see {@link Task#restoreDisplaced}), or a cancellation pending or passed on when it expired (whose
     * message the expiry carries, see {@link #displacedCancellationMessage}); null if none.
     */
    private Object displaced;
    /**
     * The task's last interruption when this timeout expired: only one thrown into the task after that can be the
     * cancellation that carries this expiry out of the block (an earlier one may still be propagating through it).
     */
    private RuntimeException interruptionAtExpiry;
    private State state = State.ENTERED;

    Timeout(EventLoop loop, Task<?> task, double when) {
        this.loop = loop;
        this.task = task;
        this.cancellingAtEntry = task.cancelling();
        this.shieldsAtEntry = task.shieldDepth();
        reschedule(when);
    }

    static Timeout after(Duration delay) {
        EventLoop loop = Aio.runningLoop();
        Task<?> task = loop.taskAwaiting("Aio.timeout()", "Aio.timeout()");
        long nanos = EventLoop.toNanos(delay, "timeout");
        return new Timeout(loop, task, (loop.nowNanos() + (double) nanos) / 1e9);
    }

    static Timeout after(double seconds) {
        EventLoop loop = Aio.runningLoop();
        Task<?> task = loop.taskAwaiting("Aio.timeout()", "Aio.timeout()");
        long nanos = EventLoop.toNanos(seconds, "timeout"); // refuses a negative or NaN one
        // A delay past Long.MAX_VALUE ns (some 292 years) is kept as it is, as asyncio's when() shows it (1e300 say)
        double when = nanos == Long.MAX_VALUE ? loop.nowNanos() / 1e9 + seconds
                : (loop.nowNanos() + (double) nanos) / 1e9;
        return new Timeout(loop, task, when);
    }

    static Timeout at(double when) {
        EventLoop loop = Aio.runningLoop();
        Task<?> task = loop.taskAwaiting("Aio.timeoutAt()", "Aio.timeoutAt()");
        return new Timeout(loop, task, when);
    }

    /**
     * The deadline in loop time ({@link EventLoop#time()}), or {@code +Infinity} for none.
     *
     * @return the deadline, in seconds of loop time
     */
    public double when() {
        return when;
    }

    /**
     * Moves the deadline to loop time {@code when}; {@link Double#POSITIVE_INFINITY} removes it. A deadline in the
     * past expires in the next iteration, queued as by {@link EventLoop#callSoon} (asyncio's {@code call_soon()}):
     * ahead of the timers that fall due by then, even those scheduled before it. If an interruption of the task is
     * pending (and not deferred by a {@link CancelShield}), the expiry comes after the task's next suspension has
     * raised it instead. asyncio's {@code Timeout.reschedule()}.
     *
     * @param when the new deadline, in seconds of loop time
     * @throws IllegalStateException    if the timeout has expired or its block has ended
     * @throws IllegalArgumentException if {@code when} is NaN
     */
    public void reschedule(double when) {
        if (Double.isNaN(when)) {
            throw new IllegalArgumentException("Timeout deadline must be a loop time or +Infinity, got NaN");
        }
        if (state != State.ENTERED) {
            throw new IllegalStateException("Cannot reschedule a Timeout that is " + state.name().toLowerCase());
        }
        loop.checkThread("Timeout.reschedule");
        this.when = when;
        if (handle != null) {
            handle.cancel();
            handle = null;
        }
        if (when != Double.POSITIVE_INFINITY) {
            if (Math.round(when * 1e9) > loop.nowNanos()) { // rounded as callAt rounds: "now" is not in the future
                handle = loop.callAt(when, this::onTimeout);
            } else if (task.deferredCause() != null && !task.defersInterruption()) {
                // An interruption is pending: the block's first suspension raises it, and the expiry comes after it
                // (a timer due now runs after the wake-up that suspension queues). Ahead of it, the expiry would be
                // raised in its place, and the counts, which include it since the block was entered, would convert
                // it: an outside cancellation, or an outer scope's expiry, would be lost (as in CPython 3.13, whose
                // timeout compares uncancel() with cancelling() at entry).
                handle = loop.scheduleAfter(0, (Runnable) this::onTimeout);
            } else {
                // As asyncio: call_soon(), ahead of the timers due by the next iteration. A timer due now would run
                // after them, and after the wake-up an outside cancellation due then queues: raised into the block
                // first, it would leave it although uncancel() withdrew it, its expiry, raised into a TaskGroup's
                // close() there, only attached to it (try-with-resources).
                handle = loop.callSoon(this::onTimeout);
            }
        }
    }

    /**
     * Whether the deadline passed while the block ran: asyncio's {@code Timeout.expired()}.
     *
     * @return whether the deadline expired
     */
    public boolean expired() {
        return state == State.EXPIRING || state == State.EXPIRED;
    }

    /**
     * Ends the block: cancels the deadline and, if it expired, withdraws the cancellation it caused and marks the
     * {@link TimeoutCancellationException} thrown into the task since the expiry as a timeout when no other
     * cancellation of the task is pending (one that a {@link CancelShield} around the block defers does not count: it
     * stays deferred). One thrown before the expiry is left as it is: it belongs to an earlier expiry, and may still
     * be propagating through the block as a cancellation. Any other cancellation leaves the block as it is, even one
     * from outside after the block caught the expiry and withdrew it with {@link Task#uncancel()} (asyncio's timeout,
     * its count back at its entry level, would raise {@code TimeoutError} for it). Closing a closed timeout does
     * nothing.
     *
     * @throws IllegalStateException if called from a thread that does not hold the timeout's running loop
     */
    @Override
    public void close() {
        loop.checkThread("Timeout.close");
        if (handle != null) {
            handle.cancel();
            handle = null;
        }
        if (state == State.EXPIRING) {
            state = State.EXPIRED;
            int left = task.uncancel();
            withdrawDeferredExpiry();
            // Cancellations requested during a block inside a shielded section were deferred by that shield: they
            // stay deferred, and do not keep this expiry from being a timeout.
            // Counted is not enough: an outer Timeout opened inside the shield counts too, and is not deferred.
            boolean deferring = task.shieldDepth() > 0 && task.defersInterruption();
            boolean othersDeferred = left > cancellingAtEntry && deferring;
            // One deferred before the block was entered is still requested too (counted in cancellingAtEntry).
            task.endOvertaking(this, left > 0 && deferring);
            RuntimeException last = task.lastInterruption();
            if ((left <= cancellingAtEntry || othersDeferred) && last != interruptionAtExpiry
                    && last instanceof TimeoutCancellationException tce && !tce.isTimeout()) {
                tce.convert(this); // one already converted was an earlier scope's, which keeps it
            }
            interruptionAtExpiry = null;
        } else if (state == State.ENTERED) {
            state = State.EXITED;
        }
    }

    /**
     * Keeps the interruption that this timeout's expiry replaces as the pending one: deferred, or a cancellation
     * pending or passed on (kept for its message).
     */
    void displace(Object deferred) {
        displaced = deferred;
    }

    /**
     * Keeps a cancellation deferred while this timeout's deferred expiry is pending, behind the expiries this one
     * displaced (each gives back the next when its block ends), replacing an older deferred cancellation as a new
     * pending cancellation replaces an older one.
     */
    void displaceCancellation(Object cancellation) {
        if (displaced instanceof Timeout next) {
            next.displaceCancellation(cancellation);
        } else {
            displaced = cancellation;
        }
    }

    /**
     * The message of the cancellation this timeout's expiry went ahead of (pending, deferred or passed on when it
     * expired), or that came while its deferred expiry was pending, if one did and has one: the expiry raised in its
     * place carries it (asyncio's CancelledError carries the message of the cancel() that reached the task). Null if
     * none.
     */
    String displacedCancellationMessage() {
        Object c = displaced;
        while (c instanceof Timeout next) {
            c = next.displaced;
        }
        return c instanceof String message ? message : null;
    }

    /**
     * The block ends: if its expiry is still deferred, it must never be raised after the block. Pending, it gives back
     * what it displaced; displaced in turn by a later expiry, it is taken out of that chain.
     */
    private void withdrawDeferredExpiry() {
        Object pending = task.deferredCause();
        if (pending == this) {
            task.restoreDisplaced(this, displaced);
        } else {
            for (Object c = pending; c instanceof Timeout h; c = h.displaced) {
                if (h.displaced == this) {
                    h.displaced = displaced;
                    break;
                }
            }
        }
        displaced = null;
    }

    /** Whether the deadline passed and the block has not ended yet. */
    boolean isExpiring() {
        return state == State.EXPIRING;
    }

    int shieldsAtEntry() {
        return shieldsAtEntry;
    }

    private void onTimeout() {
        handle = null;
        if (state == State.ENTERED) {
            state = State.EXPIRING;
            interruptionAtExpiry = task.lastInterruption();
            task.requestCancel(this, true);
        }
    }

    @Override
    public String toString() {
        return "Timeout[" + state.name().toLowerCase() + ", when=" + when + "]";
    }
}
