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
 * <p>The carrier runs the continuations it is handed in FIFO order. It parks when it has nothing to run and exits
 * once its loop is closed and nothing is left; a continuation handed over later (a task thread abandoned by the
 * closed loop and interrupted, say) starts a new carrier thread, so none is ever stranded.
 */
final class LoopCarrier implements Executor {

    static final String FLAG = "--add-opens java.base/java.lang=ALL-UNNAMED";

    private static final Constructor<?> BUILDER = builderConstructor();

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
            t.start();
        }
    }

    /**
     * The carrier's loop. Whoever hands over a continuation writes the queue, then reads {@code parked} and
     * {@code worker}; the carrier writes those, then reads the queue: one of the two always sees the other's write,
     * so no continuation waits for a carrier that is not coming.
     */
    private void work() {
        Thread self = Thread.currentThread();
        for (;;) {
            Runnable r = queue.poll();
            if (r != null) {
                r.run();
                continue;
            }
            parked = true;
            if (!queue.isEmpty()) {
                parked = false;
                continue;
            }
            if (closed) {
                parked = false;
                if (retire(self)) {
                    return;
                }
                continue;
            }
            LockSupport.park(this);
            parked = false;
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
