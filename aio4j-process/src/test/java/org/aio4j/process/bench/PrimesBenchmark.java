package org.aio4j.process.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.Future;
import org.aio4j.process.ProcessPool;

/**
 * CPU-bound throughput: 2 × N prime counts (N = the processors) run on the loop's own thread, one after the other,
 * and then sent to a {@link ProcessPool} of N workers with {@code runInExecutor}, all at once. On an idle N-core
 * machine the pool should do about N times the work per second. Each mode is warmed up once (for the pool that also
 * starts the workers), then timed {@code rounds} times. Besides wall time, each mode reports the CPU time its
 * processes used (the parent's for the loop thread, the workers' for the pool): CPU seconds per wall second is the
 * number of cores the mode kept busy, which shows whether the pool used them all even when other processes on a
 * shared machine keep the wall-clock speed-up down (with Linux's autogroup scheduling, a session's processes share
 * one session's slice of the CPUs, however many there are).
 *
 * <pre>
 * aio4j-process/bench-primes.sh [limit] [rounds]     (defaults: 3000000 5)
 * </pre>
 */
public final class PrimesBenchmark {

    private PrimesBenchmark() {
    }

    /** The number of primes below {@code limit}, by trial division: plain CPU work. */
    static int countPrimes(int limit) {
        int count = 0;
        for (int n = 2; n < limit; n++) {
            boolean prime = true;
            for (int d = 2; (long) d * d <= n; d++) {
                if (n % d == 0) {
                    prime = false;
                    break;
                }
            }
            if (prime) {
                count++;
            }
        }
        return count;
    }

    public static void main(String[] args) throws Exception {
        int limit = args.length > 0 ? Integer.parseInt(args[0]) : 3_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int workers = Runtime.getRuntime().availableProcessors();
        int chunks = 2 * workers;
        System.out.printf("primes below %,d, %d chunks per round, %d workers, %d rounds; load average %s%n",
                limit, chunks, workers, rounds, loadAverage());
        double[] loop = new double[rounds];
        double[] pool = new double[rounds];
        onLoopThread(chunks, limit);
        long cpu = cpuNanos(List.of(ProcessHandle.current().pid()));
        for (int r = 0; r < rounds; r++) {
            loop[r] = onLoopThread(chunks, limit);
        }
        double loopCpu = (cpuNanos(List.of(ProcessHandle.current().pid())) - cpu) / 1e9;
        double poolCpu;
        try (var processes = ProcessPool.builder().workers(workers).build()) {
            inPool(processes, chunks, limit);
            List<Long> pids = processes.statistics().workerPids();
            cpu = cpuNanos(pids);
            for (int r = 0; r < rounds; r++) {
                pool[r] = inPool(processes, chunks, limit);
            }
            poolCpu = (cpuNanos(pids) - cpu) / 1e9;
        }
        report("loop thread", loop, chunks, loopCpu);
        report("process pool", pool, chunks, poolCpu);
        System.out.printf("speed-up (median): %.2fx; load average after: %s%n", median(loop) / median(pool),
                loadAverage());
    }

    private static double onLoopThread(int chunks, int limit) throws Exception {
        long start = System.nanoTime();
        int total = Aio.run(() -> {
            int sum = 0;
            for (int i = 0; i < chunks; i++) {
                sum += countPrimes(limit);
            }
            return sum;
        });
        return check(total, chunks, limit, start);
    }

    private static double inPool(ProcessPool pool, int chunks, int limit) throws Exception {
        long start = System.nanoTime();
        int total = Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            List<Future<Integer>> counts = new ArrayList<>();
            for (int i = 0; i < chunks; i++) {
                counts.add(loop.runInExecutor(pool, pool.remote(() -> countPrimes(limit))));
            }
            return Aio.gather(counts).await().stream().mapToInt(Integer::intValue).sum();
        });
        return check(total, chunks, limit, start);
    }

    private static int expected = -1;

    private static double check(int total, int chunks, int limit, long start) {
        double seconds = (System.nanoTime() - start) / 1e9;
        if (expected < 0) {
            expected = total / chunks;
        }
        if (total != expected * chunks) {
            throw new AssertionError("wrong prime count " + total + " for " + chunks + " x " + limit);
        }
        return seconds;
    }

    private static void report(String mode, double[] seconds, int chunks, double cpuSeconds) {
        System.out.printf("%-13s median %.3f s per round (%.2f chunks/s), best %.3f s, all %s; CPU %.1f s in %.1f s "
                        + "= %.2f cores busy%n", mode, median(seconds), chunks / median(seconds),
                Arrays.stream(seconds).min().orElseThrow(),
                Arrays.toString(Arrays.stream(seconds).map(s -> Math.round(s * 1000) / 1000.0).toArray()),
                cpuSeconds, Arrays.stream(seconds).sum(), cpuSeconds / Arrays.stream(seconds).sum());
    }

    /** The CPU time the processes used so far. */
    private static long cpuNanos(List<Long> pids) {
        return pids.stream().mapToLong(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration())
                .orElseThrow(() -> new IllegalStateException("no CPU time for process " + pid)).toNanos()).sum();
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
