package org.aio4j.process;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * One remote call of a {@link ProcessPool}: its serialized task and where it is.
 *
 * <pre>
 * QUEUED ──(a worker takes it)──▶ SENT ──(ACCEPTED frame)──▶ ACCEPTED ──(RESULT/ERROR frame)──▶ DONE
 *   │                              │                           │
 *   └─ cancel: DONE at once        └─ worker died: QUEUED      └─ worker died: DONE, BrokenWorkerException
 *                                     again (it never ran), until cancel: CANCEL frame, DONE when the worker
 *                                     its MAX_DEATHS-th worker    answers or is killed after the grace period
 *                                     dies: then DONE, Broken-
 *                                     WorkerException (it kills
 *                                     them)
 * </pre>
 *
 * The state fields are guarded by the pool's lock; the outcome is published by {@link #finish}, after which
 * {@link #awaitDone()} returns.
 */
final class PoolCall {

    enum State { QUEUED, SENT, ACCEPTED, DONE }

    final long id;
    final Payloads.Payload payload;
    /** Where the result's classes are loaded from: the loader of the task's class. */
    final ClassLoader loader;
    /** The stack of the code that made the call, added to a remote exception as a suppressed trace. */
    final StackTraceElement[] origin;

    /**
     * How many workers may die while this call is SENT before it fails instead of being queued again: one death is
     * likely the worker's own (killed, crashed), more mean the call itself kills them (say, a payload too large for
     * the worker's heap), and re-queueing it would start worker after worker forever.
     */
    static final int MAX_DEATHS = 2;

    // Guarded by the pool's lock.
    State state = State.QUEUED;
    Worker worker;
    /**
     * Workers that died while this call was SENT to them, once the start of its frame had reached them: a worker
     * already dead when the call was given to it (killed while idle) could not take a byte of it, and is not counted.
     */
    int deaths;
    /**
     * Whether the call is to end cancelled if it does not run to its end: it is not sent if it has not gone out, and
     * an {@link InterruptedException} answered for it is its cancellation. Set by {@link ProcessPool#cancel} and by a
     * {@code cancel(false)} of its future that found it taken but not sent ({@link ProcessPool#dropIfQueued}); read by
     * the worker's driver under its write lock, set under the pool's lock.
     */
    volatile boolean cancelRequested;
    /**
     * Whether {@link ProcessPool#cancel} has asked its worker to stop it (a CANCEL frame, then the grace period's
     * kill); guarded by the pool's lock. Not {@link #cancelRequested}: a {@code cancel(false)} sets that one alone,
     * and a later cancellation that must stop the call (of {@code shutdownNow()}, say) would otherwise take it for
     * its own, under way, and leave the call running.
     */
    boolean stopRequested;
    // Guarded by the worker's write lock: whether the TASK frame went out (so a CANCEL frame may follow it).
    boolean frameWritten;

    private final CountDownLatch done = new CountDownLatch(1);
    /** Completed once the call has ended, after {@link #awaitDone()} returns: for whom must not wait for it. */
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    private Object value;
    private Throwable error;
    private boolean cancelled;

    PoolCall(long id, Payloads.Payload payload, ClassLoader loader, StackTraceElement[] origin) {
        this.id = id;
        this.payload = payload;
        this.loader = loader;
        this.origin = origin;
    }

    /** Publishes the outcome. Called once, outside the pool's lock, after the state became DONE. */
    void finish(Object value, Throwable error, boolean cancelled) {
        this.value = value;
        this.error = error;
        this.cancelled = cancelled;
        done.countDown();
        ended.complete(null);
    }

    void awaitDone() throws InterruptedException {
        done.await();
    }

    void awaitDoneUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the call ended cancelled; once {@link #awaitDone()} has returned. */
    boolean isCancelled() {
        return cancelled;
    }

    /** The call's value, or throws its exception ({@link CancellationException} if it was cancelled). */
    Object report() throws Exception {
        if (cancelled) {
            throw new CancellationException("remote call " + id + " of " + payload.description() + " was cancelled");
        }
        if (error instanceof Exception e) {
            throw e;
        }
        if (error instanceof Error e) {
            throw e;
        }
        if (error != null) {
            throw new IllegalStateException("remote call failed with " + error, error);
        }
        return value;
    }

    @Override
    public String toString() {
        return "remote call " + id + " of " + payload.description();
    }
}
