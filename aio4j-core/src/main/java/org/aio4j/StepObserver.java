package org.aio4j;

/**
 * Sees every step of a loop: each time a task holds the loop (from its resumption to its next suspension or its
 * end) and each callback run. Implemented by the debug-mode {@link Watchdog}, the {@link Timeline} recorder and the
 * JFR tracer. Step methods run on the thread holding the loop and must be quick; offload methods run on the threads
 * of offloaded calls.
 */
interface StepObserver {

    /** {@code subject} (a {@link Task} or a {@link Handle}) starts holding the loop. */
    void stepStarted(EventLoop loop, Object subject, long nanoTime);

    /** {@code subject} stops holding the loop; {@code finished} if a task ended rather than suspended. */
    void stepEnded(EventLoop loop, Object subject, long nanoTime, boolean finished);

    /** An offloaded call started running on the current thread. */
    default void offloadStarted(Object call, long nanoTime) {
    }

    /** An offloaded call ended on the current thread. */
    default void offloadEnded(Object call, long nanoTime) {
    }
}
