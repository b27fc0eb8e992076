package org.aio4j.cookbook;

/**
 * A blocking fetch of a URL, as the seed's {@code requests.get(u)}: the work that recipes 6 ({@code queue}) and 9
 * ({@code async-iterator}) offload with {@code runInExecutor}. The recipes use a blocking HTTP GET
 * ({@link Site#blockingGet()}); a test may wrap it to watch the calls.
 */
@FunctionalInterface
interface Fetch {

    /** Fetches {@code url}, blocking the calling thread, and returns what it got. */
    String get(String url) throws Exception;
}
