package org.aio4j.process;

import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.function.Consumer;

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
     * Where the body leaves its remote call once queued, and finds the future it belongs to: the body is made
     * before the future, which it cannot name then.
     */
    private static final class Queued implements Consumer<PoolCall> {
        volatile SubmittedCall<?> future;
        volatile PoolCall call;

        @Override
        public void accept(PoolCall queued) {
            call = queued;
            if (future.isCancelled()) {
                future.pool.dropIfQueued(queued);   // cancelled while the call was being queued
            }
        }
    }

    private final ProcessPool pool;
    private final Queued queued;

    private SubmittedCall(ProcessPool pool, Queued queued, Callable<T> body) {
        super(body);
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
            Object result = remote.call(queued);
            return valueGiven ? value : (T) result;
        }

        @Override
        public String toString() {
            return remote.toString();
        }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        PoolCall call = queued.call;
        if (cancelled && !mayInterruptIfRunning && call != null) {
            pool.dropIfQueued(call);
        }
        return cancelled;
    }
}
