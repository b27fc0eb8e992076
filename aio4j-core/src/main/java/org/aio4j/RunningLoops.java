package org.aio4j;

import java.util.Arrays;

/**
 * The loops that are running, to find the loop of the current thread without a thread-local: a task's thread is the
 * holder of its loop whenever it runs code, so a scan of the (usually one) running loops for the one whose holder is
 * the current thread finds it. No per-thread map is created for any of the million threads a program may run.
 */
final class RunningLoops {

    private static final Object LOCK = new Object();
    private static volatile EventLoop[] running = new EventLoop[0];

    private RunningLoops() {
    }

    /**
     * The loop held by the current thread, or null. A thread holds two loops only while it closes one (its callbacks
     * and clean-up running there) from a task or callback of the other, which was running before: the newest loop is
     * the one whose code runs now, so the scan goes from the newest.
     */
    static EventLoop ofCurrentThread() {
        Thread me = Thread.currentThread();
        EventLoop[] loops = running;
        for (int i = loops.length - 1; i >= 0; i--) {
            if (loops[i].holderThread == me) {
                return loops[i];
            }
        }
        return null;
    }

    static void add(EventLoop loop) {
        synchronized (LOCK) {
            EventLoop[] old = running;
            EventLoop[] grown = Arrays.copyOf(old, old.length + 1);
            grown[old.length] = loop;
            running = grown;
        }
    }

    static void remove(EventLoop loop) {
        synchronized (LOCK) {
            running = Arrays.stream(running).filter(l -> l != loop).toArray(EventLoop[]::new);
        }
    }
}
