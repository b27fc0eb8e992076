package org.aio4j;

import java.util.List;

/**
 * Thrown by {@link EventLoop#runUntilComplete} when the future it waits for can never be done: no callback is
 * ready, no timer is scheduled and no offloaded work is in flight, so nothing can wake any task again. asyncio has no
 * counterpart: it hangs.
 *
 * <p>The message is the wait-for graph: each pending task, what it waits on and the line where it waits, and, in
 * debug mode, the line that created it; beyond the first thousand tasks (in creation order) it only counts them, and
 * {@link #tasks()} has them all. The offloaded calls that wait for the loop (blocked in {@code Future.get()} on one of
 * its futures) are listed before the tasks, the first thousand of them, the others counted.
 */
public final class DeadlockException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient List<Task<?>> tasks;

    DeadlockException(Future<?> target, List<Task<?>> tasks, InFlight.Blocked blockedCalls) {
        super(WaitGraph.describe(target, tasks, blockedCalls));
        this.tasks = List.copyOf(tasks);
    }

    /** {@code found} again, its message led by {@code context}: what the loop was waiting for, in the caller's terms. */
    DeadlockException(String context, DeadlockException found) {
        super(context + found.getMessage(), found);
        this.tasks = found.tasks;
    }

    /**
     * The tasks that were pending when the deadlock was found, in creation order.
     *
     * @return an unmodifiable list of the tasks
     */
    public List<Task<?>> tasks() {
        return tasks;
    }
}
