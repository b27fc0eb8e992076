package org.aio4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.aio4j.bench.AioWorkloads;
import org.aio4j.bench.Workload;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmarks of the core's hot paths and of its queue and semaphore, in nanoseconds per operation: the same code as the harness's aio4j
 * workloads ({@link AioWorkloads}), at a size where one invocation takes milliseconds, with JMH's forks, warm-up and
 * error bars. Each invocation is one {@code Aio.run} on a new loop, loop creation included (a small share at these
 * sizes). Run with {@code ./aio4j bench jmh [JMH options]}, e.g. {@code ./aio4j bench jmh CoreBenchmark.switching
 * -jvmArgsAppend -Djdk.virtualThreadScheduler.parallelism=1} to measure with one carrier thread.
 *
 * <p>The harness ({@code ./aio4j bench}) measures the same workloads at the issues' sizes against CPython and the
 * other peers, cold and warm; these give the warm per-operation figure with a confidence interval.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class CoreBenchmark {

    /** Tasks, switches, round trips or callbacks per invocation. */
    static final int N = 20_000;

    private final AioWorkloads aio = new AioWorkloads();

    /** Two tasks each doing {@code N / 2} {@code sleep(0)}: ns per switch. */
    @Benchmark
    @OperationsPerInvocation(N)
    public long switching() throws Exception {
        return aio.run(Workload.SWITCH, N / 2);
    }

    /** Two tasks handing a value back and forth through futures: ns per round trip (two hand-offs). */
    @Benchmark
    @OperationsPerInvocation(N)
    public long pingPong() throws Exception {
        return aio.run(Workload.PING_PONG, N);
    }

    /** Create {@code N} tasks that suspend once, gather them: ns per task. */
    @Benchmark
    @OperationsPerInvocation(N)
    public long spawnGather() throws Exception {
        return aio.run(Workload.SPAWN_GATHER, N);
    }

    /** {@code N} callbacks through {@code callSoon}: ns per callback. */
    @Benchmark
    @OperationsPerInvocation(N)
    public long callSoon() throws Exception {
        return aio.run(Workload.CALL_SOON, N);
    }

    /** One producer, {@code Queue(maxsize=1000)}, 4 workers: ns per item. */
    @Benchmark
    @OperationsPerInvocation(N)
    public long queue() throws Exception {
        return aio.run(Workload.QUEUE, N);
    }

    /** {@code N} tasks passing a {@code Semaphore(100)}, suspending once inside: ns per task. */
    @Benchmark
    @OperationsPerInvocation(N)
    public long semaphore() throws Exception {
        return aio.run(Workload.SEMAPHORE, N);
    }
}
