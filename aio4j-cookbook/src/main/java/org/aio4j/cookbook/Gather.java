package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.List;
import java.util.function.Consumer;
import org.aio4j.Aio;
import org.aio4j.Coroutine;

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
            @SuppressWarnings("unchecked")
            Coroutine<String>[] cors = Sleeping.SECONDS.stream()
                    .map(job -> (Coroutine<String>) () -> Sleeping.sleeping(job, options, notify))
                    .toArray(Coroutine[]::new);
            List<String> results = Aio.gather(cors).await();
            for (String r : results) {
                out.println("asyncio.gather result: " + r);
            }
            return null;
        });
    }
}
