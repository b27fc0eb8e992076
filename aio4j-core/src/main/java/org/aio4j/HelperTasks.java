package org.aio4j;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.concurrent.CancellationException;

/**
 * The helper tasks of an iterator operator (a pump reading ahead, the calls of {@code mapConcurrent}): created by the
 * operator's generator body and cancelled and awaited when that body ends, so that none outlives the iterator.
 */
final class HelperTasks {

    private final EventLoop loop;
    private final LinkedHashSet<Task<?>> tasks = new LinkedHashSet<>();

    HelperTasks(EventLoop loop) {
        this.loop = loop;
    }

    <R> Task<R> start(Coroutine<R> body, String name) {
        Task<R> t = loop.createQueuedTask(body, name);
        tasks.add(t);
        return t;
    }

    /** Stops tracking a task whose outcome the operator has consumed. */
    void forget(Task<?> t) {
        tasks.remove(t);
    }

    int size() {
        return tasks.size();
    }

    /**
     * Closes {@code upstream} from the helper task that read it (a pump), shielded from that helper's cancellation:
     * the body's end cancels its helpers, also one that has read its upstream to the end and closes it, and that
     * cancellation must not cut the close short (an upstream whose {@code aclose()} suspends would never be released;
     * the body waits for its helpers anyway, see {@link #cancelAndAwait}). A cancellation deferred meanwhile ends
     * the helper cancelled.
     */
    @SuppressWarnings("try") // the shield defers cancellation while it is open; unnamed in the body
    static void closeUpstream(AsyncIterator<?> upstream) {
        try (CancelShield shield = CancelShield.enter()) {
            upstream.aclose();
        }
    }

    /**
     * Cancels the helpers that are not done and waits until every one has finished: the end of the operator's body,
     * called with the exception the body ends with ({@code primary}, or null).
     *
     * <p>Nothing is lost. A helper that failed (or ended cancelled with failures attached to its cancellation) is
     * attached to {@code primary} as suppressed (and marked retrieved) when {@code primary} is a real failure; it is
     * returned, for the body to raise, when the body ended normally or was closed ({@code primary} null or a
     * {@link GeneratorExit}: the failure came while releasing the source, and {@code aclose()} reports that); when the
     * body was cancelled, a failed helper's stays unretrieved and the loop reports it, and a cancelled helper's is
     * reported here at once (marked retrieved, so that the loop's close does not report it again). If the calling
     * task is cancelled (or aborted by its TaskGroup) while it waits, it goes on waiting, and then returns that
     * interruption (or attaches it to a failing {@code primary}).
     *
     * @return what the body must raise instead of ending as it does, or null
     */
    Throwable cancelAndAwait(Throwable primary) {
        for (Task<?> t : tasks) {
            t.cancel();
        }
        boolean realFailure = primary != null && !(primary instanceof CancellationException);
        boolean releasing = primary == null || primary instanceof GeneratorExit;
        RuntimeException interrupted;
        Throwable helperFailure = null;
        try (CancelShield shield = CancelShield.enter()) {
            Task<?> me = loop.currentTask;
            for (Task<?> t : new ArrayList<>(tasks)) {
                if (!t.isDone()) {
                    me.awaitDone(t); // neither raises t's outcome nor cancels t again: the shield defers interruptions
                }
            }
            interrupted = shield.takeInterruption();
        }
        for (Task<?> t : new ArrayList<>(tasks)) {
            Throwable error = failureOf(t);
            if (error != null && realFailure && error != primary) {
                t.markRetrieved();
                primary.addSuppressed(error);
            } else if (error != null && releasing) {
                t.markRetrieved();
                helperFailure = Failures.combine(helperFailure, error);
            } else if (error != null && t.isCancelled()) {
                // The loop would report it only when it closes: reported now, where the operator knows what it is.
                t.markRetrieved();
                loop.callExceptionHandler(new ExceptionContext("helper task failed as it was cancelled: its clean-up"
                        + " attached this to its cancellation, and the operator's consumer was cancelled", error, t,
                        null));
            }
        }
        tasks.clear();
        if (interrupted != null) {
            if (realFailure) {
                primary.addSuppressed(interrupted);
                return null;
            }
            return Failures.combine(interrupted, helperFailure);
        }
        return helperFailure;
    }

    /**
     * What {@code t} failed with: its exception; if it ended cancelled, what its clean-up attached to the cancellation
     * (a source that failed to close as the cancellation unwound it, see {@link GeneratorStage}), the first with the
     * others suppressed; null if nothing.
     */
    private static Throwable failureOf(Task<?> t) {
        if (!t.isCancelled()) {
            return t.peekException();
        }
        Throwable failure = null;
        for (Throwable attached : t.attachedFailures()) {
            failure = Failures.combine(failure, attached);
        }
        return failure;
    }

    @Override
    public String toString() {
        return "helper tasks " + tasks;
    }
}
