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

    /** The loop held by the current thread, or null. */
    static EventLoop ofCurrentThread() {
        Thread me = Thread.currentThread();
        for (EventLoop loop : running) {
            if (loop.holderThread == me) {
                return loop;
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
