package org.aio4j.cookbook;

import java.util.List;
import java.util.function.Consumer;
import org.aio4j.Aio;

/**
 * The seed's {@code sleeping(order, seconds, hook)} coroutine and its {@code Seconds} table: three jobs that take
 * 5, 0 and 3 seconds.
 */
final class Sleeping {

    /** A job of the seed: its name and how long it sleeps. */
    record Job(String order, double seconds) {
    }

    /** The seed's {@code Seconds = [("first", 5), ("second", 0), ("third", 3)]}. */
    static final List<Job> SECONDS = List.of(new Job("first", 5), new Job("second", 0), new Job("third", 3));

    private Sleeping() {
    }

    /**
     * {@code async def sleeping(order, seconds, hook=None)}: sleeps, calls the hook, returns the order.
     */
    static String sleeping(Job job, Options options, Consumer<String> hook) {
        Aio.sleep(options.seconds(job.seconds()));
        if (hook != null) {
            hook.accept(job.order());
        }
        return job.order();
    }
}
