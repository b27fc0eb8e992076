package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.Iterator;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.http.ClientException;
import org.aio4j.http.ClientSession;

/**
 * Recipe 9, "iterate asynchronously": an async iterator over URLs, each fetched over HTTP from the demo server (or
 * {@code $AIO4J_BASE_URL}) without blocking the loop, consumed by an ordinary {@code for} loop, which is Python's
 * {@code async for}.
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
                for (String url : new UrlFetches(site.http(), List.of("/a", "/b", "/c"))) {
                    out.println(url);
                }
                return null;
            });
        }
    }

    /** The seed's {@code AsyncIterator} class: {@code next()} (its {@code __anext__}) fetches the next URL. */
    static final class UrlFetches implements Iterator<String>, Iterable<String> {

        private final ClientSession http;
        private final Iterator<String> urls;

        UrlFetches(ClientSession http, List<String> urls) {
            this.http = http;
            this.urls = urls.iterator();
        }

        @Override
        public boolean hasNext() {
            return urls.hasNext();
        }

        /** Fetches the next URL, suspending the task (not the loop) until its response is in. */
        @Override
        public String next() {
            String url = urls.next();
            try {
                http.get(url).raiseForStatus();
            } catch (ClientException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return url;
        }

        @Override
        public Iterator<String> iterator() {
            return this;
        }
    }
}
