package org.aio4j.process;

import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.FutureTask;
import java.util.function.Predicate;

/**
 * The future of a task given to {@link ProcessPool#submit(Callable) submit}, {@code invokeAll} or {@code invokeAny}:
 * run by the pool's {@link ProcessPool#execute execute}, it makes the remote call and waits for it. Cancelling it
 * with {@code mayInterruptIfRunning} interrupts that wait, which cancels the remote call wherever it is (see
 * {@link RemoteCallable}); cancelling it without drops the remote call if it still waits in the pool's queue, so
 * that it never starts, as the cancelled task of a {@code ThreadPoolExecutor} or a pending call of asyncio's
 * {@code ProcessPoolExecutor} never does, and leaves a call that a worker has taken to run to its end.
 */
final class SubmittedCall<T> extends FutureTask<T> {

    /**
     * Where the remote call is left as it is queued, and where the body finds the future it belongs to: the body is
     * made before the future, which it cannot name then. {@link #call} is written under the pool's lock only
     * ({@link ProcessPool#execute}, which queues the call of a future it is given, or {@link ProcessPool#enqueue}
     * when the body queues it, run otherwise), and read under it by a cancellation, so that a cancellation either
     * finds the call queued and drops it, or comes first and keeps it out of the queue. The body reads it as it
     * starts: a call {@code execute} queued before it started the body's thread.
     */
    private static final class Queued implements Predicate<PoolCall> {
        volatile SubmittedCall<?> future;
        private volatile PoolCall call;

        @Override
        public boolean test(PoolCall queued) {
            call = queued;
            return !future.isCancelled();
        }

        PoolCall call() {
            return call;
        }
    }

    private final ProcessPool pool;
    private final Queued queued;
    private final Body<T> body;

    private SubmittedCall(ProcessPool pool, Queued queued, Body<T> body) {
        super(body);
        this.body = body;
        this.pool = pool;
        this.queued = queued;
        queued.future = this;
    }

    /** A future whose value is that of the remote call. */
    static <T> SubmittedCall<T> of(ProcessPool pool, RemoteCallable<T> remote) {
        var queued = new Queued();
        return new SubmittedCall<>(pool, queued, new Body<>(remote, queued, null, false));
    }

    /** A future whose value is {@code value} once the remote call has returned. */
    static <T> SubmittedCall<T> of(ProcessPool pool, RemoteCallable<?> remote, T value) {
        var queued = new Queued();
        return new SubmittedCall<>(pool, queued, new Body<>(remote, queued, value, true));
    }

    /** What the future runs: the remote call; named as it is in the future's {@code toString()}. */
    private record Body<T>(RemoteCallable<?> remote, Queued queued, T value, boolean valueGiven)
            implements Callable<T> {
        @Override
        @SuppressWarnings("unchecked")
        public T call() throws Exception {
            PoolCall queuedAlready = queued.call();
            Object result = queuedAlready != null ? remote.await(queuedAlready) : remote.call(queued);
            return valueGiven ? value : (T) result;
        }

        @Override
        public String toString() {
            return remote.toString();
        }
    }

    /** Whether this future makes its remote call in {@code pool}. */
    boolean isOf(ProcessPool pool) {
        return this.pool == pool;
    }

    /**
     * Called by {@link ProcessPool#execute} under the pool's lock, before it starts the thread that runs this future:
     * the remote call, numbered {@code id}, recorded as this future's, for the pool to queue at once; {@code null} if
     * the future was cancelled already (the call is not to be made).
     */
    PoolCall admit(long id) {
        if (isCancelled()) {
            return null;
        }
        PoolCall call = body.remote().newCall(id);
        queued.call = call;
        return call;
    }

    /**
     * The remote call this future makes, as a rejection by {@link ProcessPool#execute} names it (the pool's own
     * name is already in that message), rather than {@code FutureTask}'s class name and hash code.
     */
    @Override
    public String toString() {
        return body.remote().what();
    }

    /**
     * A remote call that the pool cancelled leaves this future cancelled, as CPython's
     * {@code shutdown(cancel_futures=True)} leaves the futures of pending calls, rather than failed with a
     * {@link CancellationException} or {@link InterruptedException}: a queued call that
     * {@link ProcessPool#shutdownNow()} dropped, or whose waiting thread it interrupted, a call it stopped before it
     * was queued, and a running call it cancelled. The exception of a call that was not cancelled is its exception,
     * whatever its type.
     */
    @Override
    protected void setException(Throwable t) {
        PoolCall call = queued.call();
        boolean cancelledCall = call == null ? t instanceof CancellationException
                : call.isCancelled() && (t instanceof CancellationException || t instanceof InterruptedException);
        if (cancelledCall) {
            super.cancel(false);
        } else {
            super.setException(t);
        }
    }

    /**
     * Cancels the future as {@code FutureTask} does, and its remote call: with {@code mayInterruptIfRunning}, wherever
     * it is (dropped if queued, else interrupted in its worker), without it only if it is still queued. The call is
     * cancelled here, not only through the interrupt of the thread that waits for it: {@code execute} queued it
     * before that thread started, and a future cancelled before its thread runs it is never run.
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            if (mayInterruptIfRunning) {
                pool.cancel(queued::call);
            } else {
                pool.dropIfQueued(queued::call);
            }
        }
        return cancelled;
    }
}
