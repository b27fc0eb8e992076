package org.aio4j;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;

/**
 * A scope that owns the tasks created in it and does not end before they do: asyncio's {@code TaskGroup}, shaped
 * like {@link java.util.concurrent.StructuredTaskScope} for try-with-resources.
 *
 * <pre>{@code
 * try (var tg = new TaskGroup()) {
 *     Task<Page> a = tg.createTask(() -> fetch("/a"));
 *     Task<Page> b = tg.createTask(() -> fetch("/b"));
 *     tg.join();                        // waits for both; throws TaskGroupException if any failed
 *     use(a.result(), b.result());
 * }
 * }</pre>
 *
 * <p><b>Failure.</b> When a task of the group fails (ends with an exception that is not a cancellation), the group
 * cancels its other tasks and stops its block: if the block is waiting in {@link #join()}, {@code join} throws;
 * if it is suspended elsewhere, the group's {@link TaskGroupException} is thrown there (a {@link CancelShield} opened
 * inside the block defers that until it closes; one around the group does not). The exception carries every
 * error of the group's tasks; errors that happen while the group winds down are added to it.
 *
 * <p><b>Join and close.</b> {@link #join()} waits for every task; call it at the end of the block. Java's
 * try-with-resources cannot tell {@link #close()} whether the block ended normally or by an exception, so
 * {@code close()} treats a group that was not joined like asyncio treats a block that raised: it cancels the tasks
 * still running, waits for them to finish, and throws the group's errors if there are any (those already thrown
 * into the block again, as a copy whose cause is the first: the block may have caught them). (A block that forgets
 * {@code join()} therefore cancels its tasks; the loop logs that as a warning, or at level INFO if the task running
 * the block is being cancelled.) An exception the block throws
 * itself is not one of the group's errors: it leaves the block as it is, and the {@code TaskGroupException} that
 * {@code close()} throws, if any, is attached to it as suppressed (try-with-resources), where asyncio adds the
 * block's exception to the group's {@code ExceptionGroup}. For the same reason, a cancellation of the task that the
 * block's own exception replaced (a {@code finally} block that throws while the cancellation unwinds), or that the
 * task caught earlier without withdrawing it (a block that then throws), is not raised again at the task's next
 * suspension, as asyncio's group does for a block that raised while its task was being
 * cancelled: {@code close()} cannot tell that exception from the cancellation itself unwinding, whose clean-up must
 * not be cancelled again. Such a task goes on with {@link Task#cancelling()} above 0, which tells it.
 *
 * <p><b>Cancellation.</b> If the task running the block is cancelled (or its {@link Timeout} expires) while it waits
 * in {@code join()}, the group cancels its tasks, waits for them, and then lets the cancellation propagate. A group
 * cancels its tasks, here as on a failure or in {@code close()}, in the order they were created (asyncio's in the
 * order of a set, which CPython does not specify). Errors
 * win over a cancellation, as in asyncio: if tasks of the group failed, the group's {@link TaskGroupException} is
 * what the block throws (a cancellation arriving while the group's failure is on its way to the block does not
 * replace it), and the cancellation is raised again at the task's next suspension, so it is not swallowed. A block
 * that unwinds with a cancellation while {@code close()} finds errors can only attach them to that cancellation (Java's
 * try-with-resources); the task then ends failed with them rather than cancelled. Likewise, the expiry of a
 * {@link Timeout} around the group raised into {@code close()} while the block unwinds with a cancellation is only
 * attached to that cancellation, which is what reaches the timeout (see the limit described in {@link Timeout}).
 *
 * <p>Loop object: use it on its loop's thread. {@link #join()} and {@link #close()} belong to the task that created
 * the group (the block). {@link #createTask} may be called from any task or callback of the loop while the group is
 * open, as asyncio's {@code create_task}: a task of the group may add siblings while the block waits in
 * {@code join()}, which then waits for them too (a crawler adding the pages it finds).
 */
public final class TaskGroup implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("org.aio4j");

    private final EventLoop loop;
    private final Task<?> parent;
    private final Set<Task<?>> tasks = new LinkedHashSet<>();
    private final TaskGroupException errors;
    private boolean errorsThrown;
    private boolean aborting;
    private boolean joining;
    private boolean joined;
    private boolean closed;
    private Future<Void> allDone;

    /**
     * Opens a group owned by the current task: asyncio's {@code TaskGroup()} entered with {@code async with}.
     *
     * @throws IllegalStateException if not called from a task of a running loop
     */
    public TaskGroup() {
        this.loop = Aio.runningLoop();
        this.parent = loop.taskAwaiting("TaskGroup", "new TaskGroup()");
        this.errors = new TaskGroupException(parent.shieldDepth());
    }

    /**
     * Creates a task in the group: asyncio's {@code TaskGroup.create_task()}. With the loop's
     * {@link TaskFactory#EAGER eager} task factory the task runs its first step before this returns (see
     * {@link EventLoop#setTaskFactory}), and one that fails there aborts the group at once, as in asyncio: the block
     * goes on to its next suspension, which throws the group's abort, and a task created meanwhile is refused. A task
     * whose step the group was aborted in (a task it created in the group failed in its own step) is cancelled as soon
     * as it is a member, as the group's other tasks were (asyncio since gh-155418).
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @return the new task, a member of this group
     * @throws IllegalStateException if the group is joined, closed or failing
     * @throws NullPointerException if {@code coroutine} is null
     */
    public <T> Task<T> createTask(Coroutine<T> coroutine) {
        return createTask(coroutine, null);
    }

    /**
     * As {@link #createTask(Coroutine)} with a task name.
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @return the new task, a member of this group
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if the group is joined, closed or failing, or this thread does not hold the group's
     *                               loop
     */
    public <T> Task<T> createTask(Coroutine<T> coroutine, String name) {
        return add(coroutine, name, null);
    }

    /**
     * As {@link #createTask(Coroutine, String)}, the task running in {@code context} itself, not in a copy: asyncio's
     * {@code TaskGroup.create_task(coro, name=name, context=context)} (see
     * {@link EventLoop#createTask(Coroutine, String, Context)}).
     *
     * @param <T>       the type of the coroutine's result
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @param context   the context the task runs in
     * @return the new task, a member of this group
     * @throws NullPointerException  if {@code coroutine} or {@code context} is null
     * @throws IllegalStateException if the group is joined, closed or failing, or this thread does not hold the group's
     *                               loop
     */
    public <T> Task<T> createTask(Coroutine<T> coroutine, String name, Context context) {
        return add(coroutine, name, Objects.requireNonNull(context, "context must not be null"));
    }

    /**
     * As {@link #createTask(Coroutine, String, Context)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @param context   the context the task runs in
     * @return the new task, a member of this group; its result is {@code null}
     * @throws NullPointerException  if {@code coroutine} or {@code context} is null
     * @throws IllegalStateException if the group is joined, closed or failing, or this thread does not hold the group's
     *                               loop
     */
    public Task<Void> createTask(VoidCoroutine coroutine, String name, Context context) {
        return createTask(Objects.requireNonNull(coroutine, "coroutine must not be null").asCoroutine(), name,
                context);
    }

    /** A new task of the group, running in {@code context} itself, or in a copy of the current one if it is null. */
    private <T> Task<T> add(Coroutine<T> coroutine, String name, Context context) {
        Objects.requireNonNull(coroutine, "coroutine must not be null");
        loop.checkThread("TaskGroup.createTask");
        if (closed || joined) {
            throw new IllegalStateException("TaskGroup is finished: no task can be added");
        }
        if (aborting) {
            throw new IllegalStateException("TaskGroup is shutting down after a failure: no task can be added");
        }
        Task<T> task = context == null ? loop.createTask(coroutine, name) : loop.createTask(coroutine, name, context);
        task.group(this);
        if (task.isDone()) {
            // Ended in an eager start (see EventLoop.setTaskFactory): taken in at once, as asyncio's TaskGroup does,
            // so that a failure aborts the group before the block goes on.
            onTaskDone(task);
        } else {
            tasks.add(task);
            task.addDoneCallback(this::onTaskDone);
            if (aborting) {
                // The group was aborted during the task's eager step (a task it created there failed in its own),
                // when abort() could not see it yet: cancelled now as the others were, or the group would wait for it.
                task.cancel();
            }
        }
        return task;
    }

    /**
     * As {@link #createTask(Coroutine)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task
     * @return the new task, a member of this group; its result is {@code null}
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if the group is joined, closed or failing, or this thread does not hold the group's
     *                               loop
     */
    public Task<Void> createTask(VoidCoroutine coroutine) {
        return createTask(coroutine, null);
    }

    /**
     * As {@link #createTask(Coroutine, String)}, for a coroutine without a result.
     *
     * @param coroutine the body of the task
     * @param name      the task's name, or {@code null} for the default {@code Task-N}
     * @return the new task, a member of this group; its result is {@code null}
     * @throws NullPointerException  if {@code coroutine} is null
     * @throws IllegalStateException if the group is joined, closed or failing, or this thread does not hold the group's
     *                               loop
     */
    public Task<Void> createTask(VoidCoroutine coroutine, String name) {
        return createTask(Objects.requireNonNull(coroutine, "coroutine must not be null").asCoroutine(), name);
    }

    /**
     * Waits until every task of the group is done: the end of asyncio's {@code async with TaskGroup()} block.
     *
     * @throws TaskGroupException    if any task failed (after all of them are done)
     * @throws CancellationException if the calling task was cancelled meanwhile (after all tasks are done)
     * @throws IllegalStateException if the group was already joined or closed, if this thread does not hold the
     *                               group's loop, or if the calling task is not the one that created the group (a
     *                               task of the group would wait for itself)
     */
    public void join() {
        loop.checkThread("TaskGroup.join");
        if (joined || closed) {
            throw new IllegalStateException("TaskGroup was already joined or closed");
        }
        checkOwner("join()");
        joining = true;
        RuntimeException cancellation = waitForAll();
        joining = false;
        joined = true;
        throwOutcome(cancellation);
    }

    /**
     * Ends the group. If it was joined, does nothing. Otherwise cancels the tasks that are still running (unless a
     * failure of the group cancelled them already: they are not cancelled twice, so their clean-up may await), waits
     * for them to finish, and throws the group's {@link TaskGroupException} if it has errors (a copy, if they were already
     * delivered to the block, which may have caught them).
     *
     * @throws TaskGroupException    if a task of a group that was not joined failed
     * @throws CancellationException if the calling task was cancelled while it waited for the tasks (after they are
     *                               done)
     * @throws IllegalStateException if the group is neither joined nor closed and the calling task is not the one
     *                               that created it, or this thread does not hold the group's loop
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (joined) {
            closed = true;
            return;
        }
        loop.checkThread("TaskGroup.close");
        checkOwner("close()");
        closed = true;
        int running = 0;
        for (Task<?> t : tasks) {
            if (!t.isDone()) {
                running++;
            }
        }
        if (running > 0 && !aborting) {
            // Once, as asyncio's __aexit__: a group a failure aborted already cancelled its tasks, and cancelling
            // them again would cut short the clean-up they run in their finally blocks.
            abort();
            int cancelled = running;
            // A block being cancelled meant it; otherwise the block raised, or forgot join(), which is a bug that
            // would otherwise look like tasks that did nothing.
            LOG.log(parent.cancelling() > 0 ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                    () -> "TaskGroup closed without join(): cancelled its " + cancelled + " unfinished task(s), as"
                            + " asyncio does when the block raises; if the block ended normally, call tg.join() at"
                            + " its end to wait for them");
        }
        joining = true;
        RuntimeException cancellation = waitForAll();
        joining = false;
        if (!errors.isEmpty()) {
            rearmOutsideCancellation(cancellation);
        }
        if (!errors.isEmpty() && !errorsThrown) {
            errorsThrown = true;
            throw errors;
        }
        if (!errors.isEmpty()) {
            // The errors were delivered to the block (abortWith), which may have caught them and ended normally:
            // close() cannot tell, so it throws them again, as a copy (the same instance could not be attached to
            // itself when the block does let them propagate). asyncio's __aexit__ raises the group's errors always.
            throw errors.copy();
        }
        if (cancellation != null) {
            throw cancellation;
        }
    }

    /**
     * Refuses a wait for the group from another task than its creator's: a task of the group would wait for itself,
     * another task take the block's place (asyncio's {@code async with} is the creator's by construction).
     */
    private void checkOwner(String operation) {
        if (loop.currentTask() != parent) {
            throw new IllegalStateException("TaskGroup." + operation + " must be called by the task that created the"
                    + " group (" + parent.getName() + "), not " + (loop.currentTask() == null ? "outside a task"
                    : "by " + loop.currentTask().getName()));
        }
    }

    private RuntimeException waitForAll() {
        RuntimeException cancellation = null;
        while (!tasks.isEmpty()) {
            allDone = new Future<>(loop);
            allDone.owner = this;
            try {
                allDone.await();
            } catch (RuntimeException e) {
                if (loop.isClosing() || !(e instanceof CancellationException || e instanceof TaskGroupException
                        || parent.isInterruption(e))) {
                    // The loop is closing (it refuses the next wait: the block's finally blocks must run now; its
                    // close cancels the tasks), or the wait failed for another reason.
                    throw e;
                }
                // The block's task was cancelled or aborted while waiting: cancel the tasks, wait for them anyway.
                if (e == errors) {
                    errorsThrown = false; // our own abort, delivered here rather than to the block: still to throw
                } else if (cancellation == null
                        || e instanceof TaskGroupException && !(cancellation instanceof TaskGroupException)) {
                    cancellation = e; // an outer group's abort goes before a cancellation, as its errors do
                }
                if (!aborting) {
                    // Once, as asyncio's: a child awaiting this very task passes its cancellation back here, and
                    // aborting again would cancel it again, round and round, where asyncio's group waits (a deadlock).
                    abort();
                }
            } catch (Exception impossible) {
                throw new IllegalStateException(impossible);
            } finally {
                allDone = null;
            }
        }
        return cancellation;
    }

    private void throwOutcome(RuntimeException cancellation) {
        if (!errors.isEmpty()) {
            rearmOutsideCancellation(cancellation);
            errorsThrown = true;
            throw errors;
        }
        if (cancellation != null) {
            throw cancellation;
        }
    }

    /**
     * The group's errors are about to leave {@code join()} or {@code close()}. An abort of the block still pending
     * (a {@link CancelShield} deferred it and the block reached them without suspending) is withdrawn, as asyncio's
     * TaskGroup uncancels its parent task: it would raise the same errors again after the group. The errors win over
     * a cancellation of the block's task, but do not swallow it: as asyncio's TaskGroup, if the task was cancelled
     * (and not uncancelled), its next suspension raises the cancellation again, with its message ({@code caught}, the
     * cancellation the group's wait caught, if any).
     */
    private void rearmOutsideCancellation(RuntimeException caught) {
        parent.withdrawAbort(errors);
        parent.endOvertaking(errors, false); // an outer group's abort that this one's went ahead of is deferred again
        if (parent.cancelling() > 0) {
            parent.rearmCancellation(caught);
        }
    }

    private void abort() {
        aborting = true;
        for (Task<?> t : tasks) {
            if (!t.isDone()) {
                t.cancel();
            }
        }
    }

    private void onTaskDone(Future<?> task) {
        tasks.remove(task);
        if (tasks.isEmpty() && allDone != null && !allDone.isDone()) {
            allDone.complete(null);
        }
        if (task.isCancelled()) {
            return;
        }
        Throwable error = task.peekException();
        if (error == null) {
            return;
        }
        task.markRetrieved();
        errors.add(error);
        if (parent.isDone()) {
            loop.callExceptionHandler(new ExceptionContext(
                    "Task has errored out but its TaskGroup's parent task is already done", error, task, null));
            return;
        }
        if (!aborting) {
            abort();
            if (!joining) {
                // The block is suspended elsewhere: stop it there with the group's failure.
                errorsThrown = true;
                parent.abortWith(errors);
            }
        }
    }

    /** The group's tasks not done yet, in creation order: for deadlock reports and task dumps. */
    List<Task<?>> pendingTasks() {
        return tasks.stream().filter(t -> !t.isDone()).toList();
    }

    @Override
    public String toString() {
        return "TaskGroup[tasks=" + tasks.size() + (aborting ? ", aborting" : "") + (joined ? ", joined" : "") + "]";
    }
}
