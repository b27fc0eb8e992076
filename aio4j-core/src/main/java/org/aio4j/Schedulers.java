package org.aio4j;

import java.lang.reflect.Constructor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;

/**
 * Virtual threads on a scheduler of aio4j's choosing. The JDK has no public API for it: this uses the package-private
 * constructor {@code java.lang.ThreadBuilders.VirtualThreadBuilder(Executor)} and {@code VirtualThread}'s default
 * scheduler, which need the JVM flag {@link #FLAG}. A virtual thread created without a scheduler takes its creator's,
 * so once a loop has a {@link LoopCarrier}, whatever a task of it starts would run on that carrier unless it is
 * started on the shared scheduler explicitly, as here.
 */
final class Schedulers {

    static final String FLAG = "--add-opens java.base/java.lang=ALL-UNNAMED";

    /** {@code VirtualThreadBuilder(Executor)}, or {@code null} without the flag. */
    private static final Constructor<?> BUILDER = builderConstructor();
    /** The JDK's own virtual-thread scheduler, or {@code null} without the flag. */
    private static final Executor SHARED = sharedScheduler();
    /** Where {@link #submitFromSharedScheduler} calls an executor. */
    private static final ThreadFactory HOPS = sharedThreads("aio4j-offload-submit", -1);

    private Schedulers() {
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
     * A builder of virtual threads run by {@code scheduler}.
     *
     * @throws IllegalStateException if the JVM was started without {@link #FLAG}
     */
    static Thread.Builder.OfVirtual on(Executor scheduler) {
        if (BUILDER == null) {
            throw new IllegalStateException("A dedicated carrier (aio4j.dedicatedCarrier) needs the JVM flag "
                    + FLAG + " (=org.aio4j when aio4j is on the module path)");
        }
        try {
            return (Thread.Builder.OfVirtual) BUILDER.newInstance(scheduler);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot build virtual threads on a scheduler of aio4j's: " + e, e);
        }
    }

    /**
     * A factory of virtual threads on the JDK's shared scheduler, even when called from a task on a dedicated carrier
     * (where a {@code toThread} call would otherwise run on the loop's only carrier, and a blocking or CPU-bound call
     * there stall the loop). Without the flag no loop has a carrier of its own, and a plain factory does.
     */
    static ThreadFactory sharedThreads(String threadName, long counterStart) {
        Thread.Builder.OfVirtual b = SHARED != null ? on(SHARED) : Thread.ofVirtual();
        return (counterStart < 0 ? b.name(threadName) : b.name(threadName, counterStart)).factory();
    }

    /**
     * Runs {@code submit} (an executor's {@code execute}) on a virtual thread of the JDK's scheduler and waits for it:
     * an executor that starts a virtual thread per call then starts it there, not on the calling task's carrier.
     * Called by a task of a loop on a dedicated carrier; the task waits without giving the loop up, as it would for
     * an {@code execute} that takes a lock. What {@code submit} throws is rethrown.
     */
    static void submitFromSharedScheduler(Runnable submit) {
        var hop = new FutureTask<Void>(submit, null);
        HOPS.newThread(hop).start();
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    hop.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true; // the submission is short: finish it, then restore the flag
                } catch (ExecutionException e) {
                    throw Failures.unchecked(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
