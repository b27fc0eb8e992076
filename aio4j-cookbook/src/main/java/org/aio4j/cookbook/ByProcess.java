package org.aio4j.cookbook;

import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.Coroutine;
import org.aio4j.EventLoop;
import org.aio4j.Queue;
import org.aio4j.process.ProcessPool;

/**
 * Recipes 10 and 11, "non-blocking in several processes": a {@link ProcessPool} (asyncio's
 * {@code ProcessPoolExecutor}) set as the loop's default executor, and the queue recipe with four workers that each
 * send CPU work to it. Every number is squared exactly once, in a worker JVM; the loop's thread only waits.
 *
 * <p>The seed's puzzle, "print_num must be a global function": a task crosses to the worker JVM serialized, so it may
 * capture only serializable values. {@code printNum} is static and the lambda captures the number alone. A lambda
 * that called an instance method of this recipe would capture {@code this}, and {@code pool.remote(...)} would refuse
 * it at once, saying so; a result class must be allowed by the pool ({@code allow(Squared.class)}).
 */
public final class ByProcess implements Recipe {

    @Override
    public String name() {
        return "process-pool";
    }

    @Override
    public String summary() {
        return "CPU work in worker JVMs: a process pool as the default executor, a queue drained by 4 workers";
    }

    /** What a worker sends back: the square, and which process computed it. */
    record Squared(int num, int square, long pid) implements Serializable {
    }

    /** The seed's {@code print_num}: runs in a worker JVM. */
    static Squared printNum(int num) {
        return new Squared(num, num * num, ProcessHandle.current().pid());
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        List<Integer> squares = squares(options).stream().map(Squared::square).sorted().toList();
        out.println("process pool squares: " + squares);
    }

    /** Runs the recipe and returns what the workers sent back, in completion order. */
    static List<Squared> squares(Options options) throws Exception {
        try (var pool = ProcessPool.builder().workers(2).allow(Squared.class).build()) {
            return Aio.run(options.loops(), () -> {
                EventLoop loop = Aio.getRunningLoop();
                loop.setDefaultExecutor(pool);   // recipe 10; Aio.run shuts the default executor down at the end
                // Recipe 11: the queue recipe with four workers sending CPU work to the pool.
                var queue = new Queue<Integer>();
                for (int i = 0; i < 10; i++) {
                    queue.putNowait(i);
                }
                var results = new ArrayList<Squared>();
                Coroutine<Void> proc = () -> {
                    while (!queue.empty()) {
                        int i = queue.get();
                        results.add(loop.runInExecutor(null, pool.remote(() -> printNum(i))).await());
                    }
                    return null;
                };
                Aio.gather(proc, proc, proc, proc).await();   // 4 = the seed's "number of cpu core"
                return results;
            });
        }
    }
}
