package org.aio4j.cookbook;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.aio4j.http.ClientSession;
import org.aio4j.http.DemoServer;

/**
 * Where the network recipes ({@code queue}, {@code semaphore}, {@code async-iterator}) fetch their URLs from: a
 * {@link DemoServer} that the recipe starts on 127.0.0.1 and stops at its end, so that they print the reference lines
 * with no network; or, when the environment variable {@value #BASE_URL_VARIABLE} is set, that site ({@code queue} and
 * {@code async-iterator} then fetch {@code $AIO4J_BASE_URL/a}, {@code /b}, {@code /c}, and {@code semaphore} fetches
 * {@code $AIO4J_BASE_URL/delay/N}, e.g. {@code AIO4J_BASE_URL=https://httpbin.org/anything}).
 *
 * <p>The demo server's latencies are the seed's ({@code /a} 3, {@code /b} 1, {@code /c} 4 seconds) times
 * {@code --scale}. With {@code --virtual-time} the loop's clock is virtual but the server is a real one, on the
 * real clock: its latencies are then scaled by {@code min(scale, 0.05)}, so that a virtual-time run stays quick and
 * the responses still arrive in the seed's order.
 */
final class Site implements AutoCloseable {

    /** The environment variable naming a real site to fetch from instead of the demo server. */
    static final String BASE_URL_VARIABLE = "AIO4J_BASE_URL";

    /** The most real time a unit of latency takes when the loop runs on a virtual clock. */
    private static final double VIRTUAL_TIME_UNIT = 0.05;

    private final DemoServer server;
    private final ClientSession http;
    private HttpClient blocking;

    private Site(DemoServer server, ClientSession http) {
        this.server = server;
        this.http = http;
    }

    /** The demo server, started for {@code options}, or the site named by {@value #BASE_URL_VARIABLE}. */
    static Site open(Options options) throws IOException {
        return open(options, System.getenv(BASE_URL_VARIABLE));
    }

    /**
     * Refuses a {@code base} (the value of {@value #BASE_URL_VARIABLE}) that names no site, as {@link #open} would:
     * one that is not {@code null}, not blank and not an absolute http(s) URL without query or fragment.
     *
     * @throws IllegalArgumentException naming the variable, what is wrong and how to do without it
     */
    static void checkBaseUrl(String base) {
        if (base != null && !base.isBlank()) {
            try {
                ClientSession.builder().baseUrl(base.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("$" + BASE_URL_VARIABLE + ": " + e.getMessage()
                        + "; unset it to fetch from the demo server", e);
            }
        }
    }

    /** The site at {@code base}, or, if it is {@code null} or blank, a demo server started for {@code options}. */
    static Site open(Options options, String base) throws IOException {
        if (base != null && !base.isBlank()) {
            return new Site(null, ClientSession.builder().baseUrl(base.strip()).build());
        }
        double unit = options.virtualTime() ? Math.min(options.scale(), VIRTUAL_TIME_UNIT) : options.scale();
        DemoServer server = DemoServer.start(0, unit);
        return new Site(server, ClientSession.builder().baseUrl(server.baseUrl()).build());
    }

    /** The demo server, or {@code null} when fetching from a real site. */
    DemoServer server() {
        return server;
    }

    /** The session to fetch with; relative URLs ({@code /a}) go to the site. */
    ClientSession http() {
        return http;
    }

    /**
     * A blocking fetch of a URL of the site, for the {@code run_in_executor} of recipes 6 and 9: the seed's
     * {@code requests.get(u)}, here the JDK's {@code HttpClient.send}, which blocks its thread (so it belongs off
     * the loop). Returns the URL, as the seed's stand-in {@code blocking_get(u)} does.
     */
    synchronized Fetch blockingGet() throws IOException, InterruptedException {
        Fetch fetch = this::blockingGet;
        if (blocking == null) {
            blocking = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            if (server != null) {
                // The first request of a JVM loads the HttpClient's classes (a tenth of a second or more); two
                // first requests at once wait for each other there. Done here, before the recipe, so that the
                // seed's latencies decide the order of the responses, not class loading.
                blockingGet("/bytes/0");
            }
        }
        return fetch;
    }

    private String blockingGet(String url) throws IOException, InterruptedException {
        HttpClient client;
        synchronized (this) {
            client = blocking;
        }
        HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(http.baseUrl() + url)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() >= 400) {
            throw new IOException("GET " + r.uri() + ": HTTP status " + r.statusCode());
        }
        return url;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (blocking != null) {
                blocking.shutdownNow();
            }
        }
        http.close();
        if (server != null) {
            server.close();
        }
    }
}
