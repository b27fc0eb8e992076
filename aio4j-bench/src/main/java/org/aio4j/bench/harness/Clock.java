package org.aio4j.bench.harness;

/** Which duration of a run a figure is made of. */
public enum Clock {

    /** Elapsed time around the workload: what a user waits. The targets are judged on it. */
    WALL,

    /**
     * CPU time of the whole process during the workload (every thread: the workload's, and for a JVM the JIT
     * compiler's and the GC's). On a loaded, shared machine it is inflated much less than the elapsed time.
     */
    CPU
}
