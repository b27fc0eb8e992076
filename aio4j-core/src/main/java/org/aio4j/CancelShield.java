package org.aio4j;

/**
 * A section of a task's code that cannot be interrupted, used with try-with-resources: Trio's
 * {@code CancelScope(shield=True)}, kotlinx.coroutines' {@code withContext(NonCancellable)}. asyncio has no
 * counterpart: its {@link Aio#shield shield()} protects an awaited future from the awaiting task's cancellation, not
 * the task itself, so asyncio code that must await during clean-up loops around {@code shield()} catching
 * {@code CancelledError}.
 *
 * <pre>{@code
 * try (var shield = CancelShield.enter()) {
 *     Aio.toThread(() -> { connection.close(); return null; });  // a JDBC connection: closed even if the task
 * }                                                              // is cancelled meanwhile, which is then raised
 *                                                                // at the task's next suspension point
 * }</pre>
 *
 * <p>While a shield is open, an interruption of its task (a {@link Task#cancel cancellation}, the expiry of a
 * {@link Timeout} around the section, an abort by a {@link TaskGroup} around it) is <em>deferred</em>: it is
 * counted as usual ({@link Task#cancelling()}), but nothing the task awaits is cancelled, the task is not woken, and no
 * suspension point inside the section throws. An interruption that was pending when the shield was entered is
 * deferred too.
 * When the last shield of the task closes, a deferred interruption stays pending and is thrown at the task's next
 * suspension point, as any interruption that arrives while the task runs (or it ends the task cancelled if the
 * coroutine returns first). A section that must raise it at once, or combine it with its own outcome, takes it with
 * {@link #takeInterruption()}. Nothing is dropped either way.
 *
 * <p>A {@link Timeout} set inside the section still expires there, so a deadline can bound shielded clean-up, and a
 * {@link TaskGroup} set inside it still stops its block when a task fails (as a cancel scope or nursery inside a
 * shielded scope in Trio, kotlinx's {@code withTimeout} inside {@code NonCancellable}): a shield defers what comes
 * from outside it. An interruption it deferred is not taken by such an expiry or abort: it stays deferred when that
 * block ends.
 *
 * <p>The one exception: when the event loop closes while a task is still suspended in a shielded section, the
 * shield is lifted and the task is resumed with the cancellation that lets its {@code finally} blocks run.
 *
 * <p>Shields nest. Loop object: enter and close it on the task that entered it, which holds the loop; a section that
 * never ends (a wait for a future nothing completes) cannot be cancelled, so keep shielded sections short and
 * bounded.
 */
public final class CancelShield implements AutoCloseable {

    private final Task<?> task;
    private boolean open = true;

    private CancelShield(Task<?> task) {
        this.task = task;
    }

    /**
     * Opens a shield for the calling task.
     *
     * @return the open shield, to close with a try-with-resources statement
     * @throws IllegalStateException if not called from a task of a running event loop
     */
    public static CancelShield enter() {
        Task<?> task = Aio.runningLoop().currentTask;
        if (task == null) {
            throw new IllegalStateException("CancelShield.enter() must be called from a task, not from a callback"
                    + " (a callback is never interrupted)");
        }
        task.enterShield();
        return new CancelShield(task);
    }

    /**
     * Takes the interruption pending for the task, whether it came while this shield was open or was pending when it
     * was entered, so that no suspension point raises it later; returns {@code null} if there is none. The caller now
     * owns it: it must throw it, or attach it to what it throws. The shield stays open.
     *
     * <p>Inside another shield of the same task (this one was entered while that one was open), this returns
     * {@code null} and leaves the interruption pending: it is deferred by the outer shield, whose section decides what
     * to do with it (a library's shielded clean-up called from a caller's shielded section does not throw the
     * caller's cancellation out of that section).
     *
     * @return the pending interruption, or {@code null}
     * @throws IllegalStateException if called from another task, or after {@link #close()}
     */
    public RuntimeException takeInterruption() {
        check("takeInterruption");
        return task.shieldDepth() > 1 ? null : task.takePendingInterruption();
    }

    /**
     * Closes the shield. A deferred interruption is not thrown here (this may run while the section is unwinding
     * with an exception of its own): it stays pending for the task's next suspension point. Closing twice does
     * nothing.
     *
     * @throws IllegalStateException if called from another task than the one that entered the shield
     */
    @Override
    public void close() {
        if (!open) {
            return;
        }
        check("close");
        open = false;
        task.leaveShield();
    }

    private void check(String method) {
        EventLoop loop = task.loop;
        loop.checkThread("CancelShield." + method);
        if (loop.currentTask != task) {
            throw new IllegalStateException("CancelShield." + method + " must be called by the task that entered it ("
                    + task.getName() + "), not " + (loop.currentTask == null ? "a callback" : loop.currentTask.getName()));
        }
        if (!open) {
            throw new IllegalStateException("CancelShield." + method + ": the shield is closed");
        }
    }

    @Override
    public String toString() {
        return "CancelShield[task=" + task.getName() + (open ? ", open" : ", closed") + "]";
    }
}
