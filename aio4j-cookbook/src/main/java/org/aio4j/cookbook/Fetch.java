package org.aio4j.cookbook;

/**
 * Fetches a URL with a blocking call, as the seed's {@code requests.get(u)} does: the work that recipe 6 offloads
 * with {@code runInExecutor}. A recipe takes its fetch as a parameter, so a test can watch the calls (see {@link Site#blockingGet()}) and a
 * real HTTP client are interchangeable.
 */
@FunctionalInterface
interface Fetch {

    /** Fetches {@code url}, blocking the calling thread, and returns what it got. */
    String get(String url) throws Exception;
}
