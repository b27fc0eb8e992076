package org.aio4j.cookbook;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Holds the {@code queue} recipe's fetches to the order that the seed's latencies give them ({@code /b} 1, {@code /a}
 * 3, {@code /c} 1 + 4 units), whatever the machine's load: the fetch of {@code /a} returns only once the thread that
 * fetched {@code /b} has ended, that of {@code /c} once {@code /a}'s has. An offloaded call's thread (the loop's
 * default executor starts one per call) ends after it has posted its outcome to the loop, whose inbox is FIFO, so the
 * done-callbacks, which print the results, run in that order. Each call still waits for its real response first: a
 * gate only adds the wait that a thread stalled by a loaded machine would otherwise take away, and never changes
 * which calls overlap ({@code /a} and {@code /b} still run at once).
 */
final class SeedOrder {

    /** The URL whose call's end each URL's waits for. */
    private static final Map<String, String> AFTER = Map.of("/a", "/b", "/c", "/a");

    private SeedOrder() {
    }

    /** The gate: each fetch it wraps (one per run of the recipe) is held to the seed's order on its own. */
    static UnaryOperator<Fetch> gate() {
        return SeedOrder::held;
    }

    /** {@code real}, held to the seed's order for one run of the recipe (a fetch of each URL once). */
    private static Fetch held(Fetch real) {
        Map<String, CompletableFuture<Thread>> threads = new ConcurrentHashMap<>();
        for (String url : List.of("/a", "/b", "/c")) {
            threads.put(url, new CompletableFuture<>());
        }
        return url -> {
            CompletableFuture<Thread> own = threads.get(url);
            if (own != null) {
                own.complete(Thread.currentThread());
            }
            String got = real.get(url);
            String before = AFTER.get(url);
            if (before != null) {
                // Guards against a hang, not timings: past them the order is left to the clock, and a wrong one
                // fails the test that compares the output.
                Thread earlier = threads.get(before).get(1, TimeUnit.MINUTES);
                earlier.join(java.time.Duration.ofMinutes(1));
            }
            return got;
        };
    }

    /** {@code recipe}, with its fetches held to the seed's order if it is the {@code queue} recipe. */
    static Recipe steady(Recipe recipe) {
        return recipe instanceof QueueExecution ? new QueueExecution(gate()) : recipe;
    }
}
