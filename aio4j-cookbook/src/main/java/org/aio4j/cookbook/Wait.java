package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.aio4j.Aio;
import org.aio4j.Future;
import org.aio4j.WaitResult;

/**
 * Recipe 5, "parallel, fixed length, done/pending": {@code wait} returns the sets of done and pending futures. A
 * failed job's exception would be raised by {@code result()}; aio4j also reports it if nobody ever asks.
 */
public final class Wait implements Recipe {

    @Override
    public String name() {
        return "wait";
    }

    @Override
    public String summary() {
        return "three jobs at once; done and pending sets (wait)";
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        Aio.run(options.loops(), () -> {
            Consumer<String> notify = order -> out.println(order + " has just finished.");
            List<Future<String>> cors = new ArrayList<>();
            for (var job : Sleeping.SECONDS) {
                cors.add(Aio.createTask(() -> Sleeping.sleeping(job, options, notify)));
            }
            WaitResult<Future<String>> waited = Aio.wait(cors);
            waited.done().stream()
                    .sorted(Comparator.comparing(Future::result))
                    .forEach(d -> out.println("asyncio.wait result: " + d.result()));
            out.println("pending: " + waited.pending().size());
            return null;
        });
    }
}
