package org.aio4j.bench;

/**
 * One peer's implementation of the {@link Workload workloads}, run inside the calling JVM. The aio4j, Kotlin and
 * bare-virtual-thread implementations share this interface so that {@link WorkloadMain} times them all the same way.
 */
public interface Workloads {

    /** The peer's name on command lines and in results, e.g. {@code aio4j}. */
    String name();

    /** The versions of the libraries this peer runs on, for the report, e.g. {@code kotlinx-coroutines=1.11.0}. */
    default String versions() {
        return "";
    }

    /** Whether this peer has an implementation of {@code workload}. */
    boolean supports(Workload workload);

    /**
     * Runs {@code workload} at size {@code n} to the end and returns its answer (see {@link Workload#answer}).
     *
     * @throws UnsupportedOperationException if {@link #supports} is false for it
     * @throws Exception                     whatever the workload throws; a wrong answer is the caller's to detect
     */
    long run(Workload workload, int n) throws Exception;
}
