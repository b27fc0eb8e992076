package org.aio4j.cookbook;

/**
 * Fetches a URL with a blocking call, as the seed's {@code requests.get(u)} does: the work that recipe 6 offloads
 * with {@code runInExecutor}: a blocking HTTP GET ({@link Site#blockingGet()}), which a test may wrap to watch the
 * calls.
 */
@FunctionalInterface
interface Fetch {

    /** Fetches {@code url}, blocking the calling thread, and returns what it got. */
    String get(String url) throws Exception;
}
