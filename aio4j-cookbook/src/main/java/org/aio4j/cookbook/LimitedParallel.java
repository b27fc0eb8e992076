package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.Future;
import org.aio4j.Semaphore;
import org.aio4j.WaitResult;

/**
 * Recipe 7, "limit parallelism": nine tasks, but a {@link Semaphore} of 3 lets at most three run their body at once
 * (the seed's advice for scraping 1000 URLs without opening 1000 connections); each body fetches a page over HTTP
 * (see {@link Site}). The recipe counts how many bodies run at once; the peak is exactly the limit.
 */
public final class LimitedParallel implements Recipe {

    /** The seed's body, {@code sleeping(str(num), num)}: suspends, then returns its label. */
    @FunctionalInterface
    interface Body {
        String run(int num) throws Exception;
    }

    /** The nine lengths, what Python's {@code random.Random(7).randint(0, 3)} returns nine times. */
    static final List<Integer> SECONDS = List.of(2, 1, 3, 0, 0, 0, 2, 0, 1);
    private static final int LIMIT = 3;

    /**
     * The recipe whose body fetches {@code /delay/N} from the demo server it starts (N units of latency: the seed's
     * {@code sleeping(str(num), num)}, as the page of a site being scraped), or from {@code $AIO4J_BASE_URL}.
     */
    public LimitedParallel() {
    }

    @Override
    public String name() {
        return "semaphore";
    }

    @Override
    public String summary() {
        return "nine tasks, never more than three bodies at once (Semaphore)";
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        try (Site site = Site.open(options)) {
            run(num -> site.http().get("/delay/" + num).raiseForStatus().text(), options, out);
        }
    }

    static void run(Body body, Options options, PrintStream out) throws Exception {
        Aio.run(options.loops(), () -> {
            var sem = new Semaphore(LIMIT);
            int[] running = {0};
            int[] peak = {0};
            List<Future<String>> tasks = new ArrayList<>();
            for (int num : SECONDS) {
                tasks.add(Aio.createTask(() -> {
                    try (var _ = sem.acquire()) {   // async with sem:
                        running[0]++;
                        peak[0] = Math.max(peak[0], running[0]);
                        try {
                            return body.run(num);
                        } finally {
                            running[0]--;  // a failed body leaves too
                        }
                    }
                }));
            }
            WaitResult<Future<String>> waited = Aio.wait(tasks);
            out.println("limited parallel: " + waited.done().size() + " done, peak concurrency " + peak[0]);
            return null;
        });
    }
}
