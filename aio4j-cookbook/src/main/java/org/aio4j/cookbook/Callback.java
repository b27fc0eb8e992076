package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.Future;

/**
 * Recipe 8, "act when a task finishes": a done-callback on each task collects the results, in completion order.
 */
public final class Callback implements Recipe {

    @Override
    public String name() {
        return "callback";
    }

    @Override
    public String summary() {
        return "done-callbacks run in completion order (add_done_callback)";
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        Aio.run(options.loops(), () -> {
            List<String> results = new ArrayList<>();
            List<Future<String>> futures = new ArrayList<>();
            for (var job : Sleeping.SECONDS) {
                Future<String> f = Aio.createTask(() -> Sleeping.sleeping(job, options, null));
                f.addDoneCallback(done -> results.add(done.result()));
                futures.add(f);
            }
            Aio.wait(futures);
            for (String r : results) {
                out.println("future callback: " + r);
            }
            return null;
        });
    }
}
