package org.aio4j.cookbook;

import java.io.PrintStream;
import org.aio4j.EventLoop;

/**
 * Recipe 1, "write a non-blocking process": a coroutine that awaits three jobs one after the other. With a single
 * coroutine on the loop, awaiting in sequence runs in sequence: nothing else is there to run meanwhile.
 */
public final class Basic implements Recipe {

    @Override
    public String name() {
        return "basic";
    }

    @Override
    public String summary() {
        return "a coroutine awaiting three jobs in sequence (run_until_complete)";
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        // loop = asyncio.get_event_loop(); loop.run_until_complete(basic_async())
        try (EventLoop loop = options.newLoop()) {
            loop.runUntilComplete(() -> {
                for (var job : Sleeping.SECONDS) {
                    String r = Sleeping.sleeping(job, options, null);
                    out.println(r + " is finished.");
                }
                return true;
            });
        }
    }
}
