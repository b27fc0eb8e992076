package org.aio4j;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * The optional mechanism of {@link EventLoop.Builder#dedicatedCarrier}: one platform thread of the loop's own that
 * carries all of that loop's task threads. A task that hands the loop over makes the next one runnable on the same
 * carrier, which runs it as soon as the first has parked: no wake-up of another carrier, no cross-core hand-over.
 *
 * <p>Its task threads are built through {@link Schedulers}, which needs the JVM flag {@link Schedulers#FLAG};
 * without it, {@link #threadFactory} fails with a message that names it.
 *
 * <p>The carrier runs the continuations it is handed in FIFO order. It parks when it has nothing to run, and ends its
 * thread once its loop is closed and nothing is left, or after a second with nothing to run; a continuation handed
 * over later (a timer of a loop waiting long, a task thread abandoned by a closed loop and interrupted) starts a new
 * carrier thread, so none is ever stranded and a loop that is never closed holds no thread while it waits.
 */
final class LoopCarrier implements Executor {

    /**
     * A carrier with nothing to run for this long ends its thread (the next continuation starts another), so that a
     * loop that is never closed does not keep a platform thread forever.
     */
    private static final long IDLE_NANOS = 1_000_000_000L;

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final String name;
    private volatile Thread worker;
    private volatile boolean parked;
    private volatile boolean closed;

    LoopCarrier(String name) {
        this.name = name;
    }

    /**
     * A factory of virtual threads carried by this carrier, named {@code threadName}.
     *
     * @throws IllegalStateException if the JVM was started without {@link Schedulers#FLAG}
     */
    ThreadFactory threadFactory(String threadName) {
        return Schedulers.on(this).name(threadName).inheritInheritableThreadLocals(false).factory();
    }

    /** Runs {@code continuation} on the carrier thread, after those already handed over. Any thread. */
    @Override
    public void execute(Runnable continuation) {
        queue.offer(continuation);
        Thread w = worker;
        if (w == null) {
            startIfNone();
        } else if (parked) {
            LockSupport.unpark(w);
        }
    }

    /** The carrier thread now, or {@code null} if there is none (for tests). */
    Thread worker() {
        return worker;
    }

    /** The loop is closed: the carrier thread ends once it has nothing left to run. */
    void shutdown() {
        closed = true;
        Thread w = worker;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    private synchronized void startIfNone() {
        if (worker == null && !queue.isEmpty()) {
            Thread t = Thread.ofPlatform().daemon().name(name).unstarted(this::work);
            worker = t;
            try {
                t.start();
            } catch (Throwable e) { // e.g. no native thread left: the next execute() tries again
                worker = null;
                throw e;
            }
        }
    }

    /**
     * The carrier's loop. Whoever hands over a continuation writes the queue, then reads {@code parked} and
     * {@code worker}; the carrier writes those, then reads the queue: one of the two always sees the other's write,
     * so no continuation waits for a carrier that is not coming.
     */
    private void work() {
        Thread self = Thread.currentThread();
        boolean idle = false;
        for (;;) {
            Runnable r = queue.poll();
            if (r != null) {
                try {
                    r.run();
                } catch (Throwable e) { // not expected from the JDK's continuations; keep carrying the others
                    self.getUncaughtExceptionHandler().uncaughtException(self, e);
                }
                continue;
            }
            parked = true;
            if (!queue.isEmpty()) {
                parked = false;
                continue;
            }
            if (closed || idle) {
                parked = false;
                if (retire(self)) {
                    return;
                }
                idle = false;
                continue;
            }
            long start = System.nanoTime();
            LockSupport.parkNanos(this, IDLE_NANOS);
            parked = false;
            idle = System.nanoTime() - start >= IDLE_NANOS;
        }
    }

    /** Ends this carrier thread unless a continuation arrived meanwhile; {@code false} to go on running. */
    private synchronized boolean retire(Thread self) {
        worker = null;
        if (queue.isEmpty()) {
            return true;
        }
        worker = self;
        return false;
    }
}
