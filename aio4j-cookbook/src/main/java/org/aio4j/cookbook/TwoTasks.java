package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.Task;

/**
 * Recipe 2, "see two tasks share one loop": the same coroutine twice, as two tasks. Each {@code sleep} is a
 * suspension point where the loop switches to the other task, so their lines interleave, the same way every run.
 */
public final class TwoTasks implements Recipe {

    @Override
    public String name() {
        return "two-tasks";
    }

    @Override
    public String summary() {
        return "two tasks interleave at every suspension point (ensure_future x2)";
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        Aio.run(options.loops(), () -> {
            Task<Boolean> t1 = Aio.createTask(() -> basicAsync(1, options, out));
            Task<Boolean> t2 = Aio.createTask(() -> basicAsync(2, options, out));
            Aio.wait(List.of(t1, t2));
            return null;
        });
    }

    private static boolean basicAsync(int num, Options options, PrintStream out) {
        for (var job : Sleeping.SECONDS) {
            String r = Sleeping.sleeping(job, options, null);
            out.println(num + "'s " + r + " is finished.");
        }
        return true;
    }
}
