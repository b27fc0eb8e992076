package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletionException;
import org.aio4j.Aio;
import org.aio4j.AsyncIterator;
import org.aio4j.http.ClientException;
import org.aio4j.http.ClientSession;

/**
 * Recipe 9, "iterate asynchronously": an async iterator over URLs, each fetched over HTTP from the demo server (or
 * {@code $AIO4J_BASE_URL}, see {@link Site}) without blocking the loop, consumed by an ordinary {@code for} loop:
 * Python's {@code async for}.
 *
 * <p>{@link UrlFetches} is the seed's {@code AsyncIterator} class, its {@code __anext__} written as
 * {@code hasNext()}. The same in three lines, with the backpressure and closing rules for free, is a generator:
 * <pre>{@code
 * AsyncGenerator.of(out -> { for (String u : urls) { http.get(u).raiseForStatus(); out.emit(u); } })
 * }</pre>
 * and for many URLs at once with a limit, {@link ClientSession#fetchEach}.
 */
public final class AsyncIteration implements Recipe {

    @Override
    public String name() {
        return "async-iterator";
    }

    @Override
    public String summary() {
        return "a for loop over URL fetches that suspend, never block (__aiter__/__anext__)";
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        try (Site site = Site.open(options)) {
            Aio.run(options.loops(), () -> {
                try (var pages = new UrlFetches(site.http(), List.of("/a", "/b", "/c"))) {   // async for resp in
                    for (String url : pages) {                                                //   AsyncIterator(urls):
                        out.println(url);                                                     //     print(resp)
                    }
                }
                return null;
            });
        }
    }

    /**
     * The seed's {@code AsyncIterator(urls)}: each {@code hasNext()} fetches the next URL, suspending the task (not
     * the loop) until its response is in, and {@code next()} hands over what it fetched: the URL, as the seed's
     * {@code blocking_get(u)} returns {@code u}. A failed fetch surfaces at its URL.
     */
    static final class UrlFetches implements AsyncIterator<String> {

        private final ClientSession http;
        private final Iterator<String> urls;
        private String fetched;
        private boolean closed;

        UrlFetches(ClientSession http, List<String> urls) {
            this.http = http;
            this.urls = urls.iterator();
        }

        /** {@code __anext__}: fetches the next URL; false at the end ({@code StopAsyncIteration}). */
        @Override
        public boolean hasNext() {
            if (fetched == null && !closed && urls.hasNext()) {
                String url = urls.next();
                try {
                    http.get(url).raiseForStatus();
                } catch (ClientException e) {
                    closed = true;
                    throw new CompletionException(e);
                }
                fetched = url;
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
