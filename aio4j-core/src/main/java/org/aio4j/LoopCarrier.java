package org.aio4j;

import java.lang.reflect.Constructor;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * The optional mechanism of {@link EventLoop.Builder#dedicatedCarrier}: one platform thread of the loop's own that
 * carries all of that loop's task threads. A task that hands the loop over makes the next one runnable on the same
 * carrier, which runs it as soon as the first has parked: no wake-up of another carrier, no cross-core hand-over.
 *
 * <p>The JDK has no public API to give virtual threads a scheduler: this uses the package-private constructor
 * {@code java.lang.ThreadBuilders.VirtualThreadBuilder(Executor)}, which needs the JVM flag
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED} ({@code =org.aio4j} on the module path). Without the flag,
 * {@link #threadFactory} fails with a message that names it.
 *
 * <p>The carrier runs the continuations it is handed in FIFO order. It parks when it has nothing to run, and ends its
 * thread once its loop is closed and nothing is left, or after a second with nothing to run; a continuation handed
 * over later (a timer of a loop waiting long, a task thread abandoned by a closed loop and interrupted) starts a new
 * carrier thread, so none is ever stranded and a loop that is never closed holds no thread while it waits.
 */
final class LoopCarrier implements Executor {

    static final String FLAG = "--add-opens java.base/java.lang=ALL-UNNAMED";
    /**
     * A carrier with nothing to run for this long ends its thread (the next continuation starts another), so that a
     * loop that is never closed does not keep a platform thread forever.
     */
    private static final long IDLE_NANOS = 1_000_000_000L;

    private static final Constructor<?> BUILDER = builderConstructor();
    /** The JDK's own virtual-thread scheduler, or {@code null} without the flag. */
    private static final Executor SHARED = sharedScheduler();
    /** Offloaded work, whoever starts it: on the JDK's scheduler, never on a loop's carrier. */
    private static final ThreadFactory HOPS = sharedThreads("aio4j-offload-submit", -1);

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final String name;
    private volatile Thread worker;
    private volatile boolean parked;
    private volatile boolean closed;

    LoopCarrier(String name) {
        this.name = name;
    }

    /** Whether the JVM lets aio4j give virtual threads a scheduler ({@link #FLAG} was passed). */
    static boolean available() {
        return BUILDER != null;
    }

    private static Constructor<?> builderConstructor() {
        try {
            Constructor<?> c = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder")
                    .getDeclaredConstructor(Executor.class);
            c.setAccessible(true);
            return c;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // InaccessibleObjectException without the flag
        }
    }

    private static Executor sharedScheduler() {
        if (BUILDER == null) {
            return null;
        }
        try {
            var m = Class.forName("java.lang.VirtualThread").getDeclaredMethod("defaultScheduler");
            m.setAccessible(true);
            return (Executor) m.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * A factory of virtual threads on the JDK's shared scheduler, even when called from a task on a dedicated carrier.
     * A virtual thread created without a scheduler takes its creator's: a {@code toThread} call made by such a task
     * would otherwise run on the loop's only carrier, and a blocking or CPU-bound call there would stall the loop.
     */
    static ThreadFactory sharedThreads(String threadName, long counterStart) {
        Thread.Builder.OfVirtual b = Thread.ofVirtual();
        if (BUILDER != null && SHARED != null) {
            try {
                b = (Thread.Builder.OfVirtual) BUILDER.newInstance(SHARED);
            } catch (ReflectiveOperationException e) {
                // keep the plain builder: without the flag no loop has a carrier of its own, so inheriting is harmless
            }
        }
        return (counterStart < 0 ? b.name(threadName) : b.name(threadName, counterStart)).factory();
    }

    /**
     * Runs {@code submit} (an executor's {@code execute}) on a virtual thread of the JDK's scheduler and waits for it:
     * an executor that starts a virtual thread per call then starts it there, not on the calling task's carrier.
     * Called by a task of a loop on a dedicated carrier; the task waits without giving the loop up, as it would for
     * an {@code execute} that takes a lock. Exceptions of {@code submit} are rethrown.
     */
    static void submitFromSharedScheduler(Runnable submit) {
        var hop = new java.util.concurrent.FutureTask<Void>(submit, null);
        HOPS.newThread(hop).start();
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    hop.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true; // the submission is short: finish it, then restore the flag
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A factory of virtual threads carried by this carrier, named {@code threadName}.
     *
     * @throws IllegalStateException if the JVM was started without {@link #FLAG}
     */
    ThreadFactory threadFactory(String threadName) {
        if (BUILDER == null) {
            throw new IllegalStateException("A dedicated carrier (aio4j.dedicatedCarrier) needs the JVM flag "
                    + FLAG + " (=org.aio4j when aio4j is on the module path)");
        }
        try {
            var b = (Thread.Builder.OfVirtual) BUILDER.newInstance(this);
            return b.name(threadName).inheritInheritableThreadLocals(false).factory();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot build virtual threads on a dedicated carrier: " + e, e);
        }
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
