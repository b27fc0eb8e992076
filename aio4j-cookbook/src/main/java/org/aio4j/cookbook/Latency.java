package org.aio4j.cookbook;

import java.time.Duration;
import java.util.Map;

/**
 * The seed's local stand-in for fetching a URL: {@code blocking_get(u)} sleeps a fixed latency per URL
 * ({@code LATENCY = {"/a": 3, "/b": 1, "/c": 4}} seconds, scaled) with a blocking {@code time.sleep}, and returns the
 * URL.
 */
final class Latency {

    /** The seed's {@code LATENCY}, in seconds. */
    static final Map<String, Integer> LATENCY = Map.of("/a", 3, "/b", 1, "/c", 4);

    private Latency() {
    }

    /**
     * {@code blocking_get}: a fetch that blocks its thread for the URL's latency scaled by {@code options}. Meant to
     * run off the loop ({@code runInExecutor}); on the loop it would stall every task.
     */
    static Fetch blockingGet(Options options) {
        return url -> {
            Integer seconds = LATENCY.get(url);
            if (seconds == null) {
                throw new IllegalArgumentException("no latency for " + url + "; the stand-in knows " + LATENCY.keySet());
            }
            Thread.sleep(Duration.ofNanos((long) (options.seconds(seconds) * 1e9)));
            return url;
        };
    }
}
