package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.List;
import java.util.function.Consumer;
import org.aio4j.Aio;
import org.aio4j.Task;

/**
 * Recipe 4, "parallel, fixed length, ordered results": {@code gather} runs the three jobs at once. The hooks fire in
 * completion order (second, third, first); the results come back in argument order.
 */
public final class Gather implements Recipe {

    @Override
    public String name() {
        return "gather";
    }

    @Override
    public String summary() {
        return "three jobs at once; results in argument order (gather)";
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        Aio.run(options.loops(), () -> {
            Consumer<String> notify = order -> out.println(order + " has just finished.");
            // gather(*[sleeping(j) for j in jobs]) wraps each coroutine in a task, in order: createTask does it here.
            List<Task<String>> tasks = Sleeping.SECONDS.stream()
                    .map(job -> Aio.createTask(() -> Sleeping.sleeping(job, options, notify)))
                    .toList();
            List<String> results = Aio.gather(tasks).await();
            for (String r : results) {
                out.println("asyncio.gather result: " + r);
            }
            return null;
        });
    }
}
