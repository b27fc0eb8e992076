package org.aio4j;

import java.util.Arrays;

/**
 * The step observers of one loop (debug-mode watchdog, timelines) and the JDK Flight Recorder events, behind one
 * cheap check: {@link #active()} is one volatile read of an array length and one of a static flag.
 */
final class Tracing {

    /** True while a JFR recording has aio4j's events enabled; kept up to date by {@link JfrTracer}. */
    static volatile boolean jfrOn;

    private static final StepObserver[] NONE = new StepObserver[0];

    static {
        if (ModuleLayer.boot().findModule("jdk.jfr").isPresent()) {
            try {
                JfrTracer.install();
            } catch (LinkageError | SecurityException unavailable) {
                // No flight recorder in this runtime: no events, nothing else changes.
            }
        }
    }

    private final EventLoop loop;
    /** Copy-on-write: read on every step by the loop, and by offloaded calls' threads. */
    private volatile StepObserver[] observers = NONE;

    Tracing(EventLoop loop) {
        this.loop = loop;
    }

    synchronized void add(StepObserver o) {
        StepObserver[] old = observers;
        StepObserver[] grown = Arrays.copyOf(old, old.length + 1);
        grown[old.length] = o;
        observers = grown;
    }

    synchronized void remove(StepObserver o) {
        StepObserver[] kept = Arrays.stream(observers).filter(x -> x != o).toArray(StepObserver[]::new);
        observers = kept.length == 0 ? NONE : kept;
    }

    /** Whether anything observes steps: the only cost of tracing when nothing does. */
    boolean active() {
        return observers.length != 0 || jfrOn;
    }

    /**
     * The subject of the step begun last and not ended, while anything observes steps: the step that an eager start
     * ({@link EventLoop#setTaskFactory}) interrupts, ended and begun again around the new task's first step.
     */
    Object stepping;

    void stepStarted(Object subject) {
        stepping = subject;
        long t = System.nanoTime();
        for (StepObserver o : observers) {
            o.stepStarted(loop, subject, t);
        }
        if (jfrOn) {
            JfrTracer.INSTANCE.stepStarted(loop, subject, t);
        }
    }

    void stepEnded(Object subject, boolean finished) {
        stepping = null;
        long t = System.nanoTime();
        for (StepObserver o : observers) {
            o.stepEnded(loop, subject, t, finished);
        }
        if (jfrOn) {
            JfrTracer.INSTANCE.stepEnded(loop, subject, t, finished);
        }
    }

    /** Called on an offloaded call's thread when it starts ({@code start}) or ends. */
    void offload(Object call, boolean start) {
        StepObserver[] os = observers;
        if (os.length == 0) {
            return;
        }
        long t = System.nanoTime();
        for (StepObserver o : os) {
            if (start) {
                o.offloadStarted(call, t);
            } else {
                o.offloadEnded(call, t);
            }
        }
    }
}
