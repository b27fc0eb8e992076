package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletionException;
import java.util.function.UnaryOperator;
import org.aio4j.Aio;
import org.aio4j.AsyncIterator;
import org.aio4j.http.ClientSession;

/**
 * Recipe 9, "iterate asynchronously": an async iterator over URLs, consumed by an ordinary {@code for} loop:
 * Python's {@code async for}. As in the seed, each {@code __anext__} offloads a blocking HTTP GET (the seed's
 * {@code requests.get}, here {@link Site#blockingGet()} of the demo server or {@code $AIO4J_BASE_URL}) with
 * {@code runInExecutor} and awaits it: the task suspends, the loop is free meanwhile, and the items arrive in order.
 *
 * <p>{@link UrlFetches} is the seed's {@code AsyncIterator} class, its {@code __anext__} written as
 * {@code hasNext()}. Without a thread per fetch, with aio4j's non-blocking client, and with the backpressure and
 * closing rules for free, the same is a generator:
 * <pre>{@code
 * AsyncGenerator.of(out -> { for (String u : urls) { http.get(u).raiseForStatus(); out.emit(u); } })
 * }</pre>
 * and for many URLs at once with a limit, {@link ClientSession#fetchEach}.
 */
public final class AsyncIteration implements Recipe {

    private static final List<String> URLS = List.of("/a", "/b", "/c");

    private final UnaryOperator<Fetch> around;

    /**
     * The recipe with a blocking HTTP GET ({@link Site#blockingGet()}) of the demo server it starts, whose
     * {@code /a}, {@code /b}, {@code /c} take the seed's latencies, or of {@code $AIO4J_BASE_URL}.
     */
    public AsyncIteration() {
        this(UnaryOperator.identity());
    }

    /** The recipe with its fetch wrapped by {@code around}, e.g. to watch the calls. */
    AsyncIteration(UnaryOperator<Fetch> around) {
        this.around = around;
    }

    @Override
    public String name() {
        return "async-iterator";
    }

    @Override
    public String summary() {
        return "a for loop over URL fetches offloaded to threads: the task suspends, the loop goes on"
                + " (__aiter__/__anext__ + run_in_executor)";
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        try (Site site = Site.open(options)) {
            Fetch fetch = around.apply(site.blockingGet());
            Aio.run(options.loops(), () -> {
                try (var pages = new UrlFetches(fetch, URLS)) {   // async for resp in AsyncIterator(urls):
                    for (String url : pages) {
                        out.println(url);                          //     print(resp.url)
                    }
                }
                return null;
            });
        }
    }

    /**
     * The seed's {@code AsyncIterator(urls)}: each {@code hasNext()} offloads the fetch of the next URL to the loop's
     * default executor and awaits it, suspending the task (not the loop) until the response is in; {@code next()}
     * hands over what the fetch returned (the URL, as the seed's {@code resp.url}). A failed fetch surfaces at its
     * URL and, like a cancellation, ends the iteration.
     */
    static final class UrlFetches implements AsyncIterator<String> {

        private final Fetch fetch;
        private final Iterator<String> urls;
        private String fetched;
        private boolean closed;

        UrlFetches(Fetch fetch, List<String> urls) {
            this.fetch = fetch;
            this.urls = urls.iterator();
        }

        /**
         * {@code __anext__}: {@code await loop.run_in_executor(None, requests.get, u)}; false at the end
         * ({@code StopAsyncIteration}).
         */
        @Override
        public boolean hasNext() {
            if (fetched == null && !closed && urls.hasNext()) {
                String url = urls.next();
                try {
                    fetched = Aio.getRunningLoop().runInExecutor(null, () -> fetch.get(url)).await();
                } catch (RuntimeException | Error e) {   // a cancellation included: the iterator is then exhausted
                    closed = true;
                    throw e;
                } catch (Exception e) {
                    closed = true;
                    throw new CompletionException(e);
                }
            }
            return fetched != null;
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more URLs");
            }
            String url = fetched;
            fetched = null;
            return url;
        }

        @Override
        public void aclose() {
            closed = true;
            fetched = null;
        }
    }
}
