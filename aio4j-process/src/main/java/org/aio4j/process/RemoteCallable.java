package org.aio4j.process;

import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * The local face of a task bound to a pool ({@link ProcessPool#remote}): each {@link #call()} sends the task,
 * serialized once when it was made, to a worker and blocks the calling thread until the outcome comes back.
 *
 * <p>Interrupting the calling thread cancels the remote call: a queued call is dropped, a running one is interrupted
 * in its worker (which is killed and replaced if the call does not end within the pool's grace period). {@code call}
 * then waits until the call has really stopped and throws {@link InterruptedException}; unless the call ended by
 * itself meanwhile, with a value or an exception other than {@code InterruptedException}: that outcome is returned or
 * thrown, the interrupt status set again (as a blocking call that did not see the interrupt leaves it), so that the
 * loop's {@code Offload} reports a failure of the call's own as it does for {@code toThread}.
 */
final class RemoteCallable<T> implements Callable<T> {

    private final ProcessPool pool;
    private final Payloads.Payload payload;
    private final ClassLoader loader;
    /** Where the task was made remote: the part of a remote exception's trace that is in this JVM. */
    private final StackTraceElement[] origin;

    RemoteCallable(ProcessPool pool, Payloads.Payload payload, ClassLoader loader) {
        this.pool = pool;
        this.payload = payload;
        this.loader = loader;
        this.origin = new Throwable().getStackTrace();
    }

    @Override
    public T call() throws Exception {
        return call(queued -> true);
    }

    /**
     * As {@link #call()}, showing the remote call to {@code admit} under the pool's lock just before it joins the
     * queue; if {@code admit} says no, the call is not made and this throws CancellationException.
     */
    T call(Predicate<PoolCall> admit) throws Exception {
        return await(pool.enqueue(payload, loader, origin, admit));
    }

    /** A call of the task numbered {@code id}, for the pool to queue. */
    PoolCall newCall(long id) {
        return new PoolCall(id, payload, loader, origin);
    }

    /**
     * Waits for {@code call}, a call of this task already queued, and gives its outcome; interrupted, cancels it, as
     * {@link #call()} does.
     */
    @SuppressWarnings("unchecked")
    T await(PoolCall call) throws Exception {
        try {
            call.awaitDone();
        } catch (InterruptedException e) {
            pool.cancel(call);
            call.awaitDoneUninterruptibly();
            Thread.interrupted();
            if (call.isCancelled()) {
                throw e;
            }
            Thread.currentThread().interrupt();
        }
        return (T) call.report();
    }

    /** Whether this calls its task in {@code pool}'s workers. */
    boolean isOf(ProcessPool pool) {
        return this.pool == pool;
    }

    /** What is called, without the pool: {@code "remote " + the task's description}. */
    String what() {
        return "remote " + payload.description();
    }

    @Override
    public String toString() {
        return what() + " on " + pool;
    }
}
