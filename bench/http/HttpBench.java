import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.aio4j.Aio;
import org.aio4j.http.ClientSession;
import org.aio4j.http.FetchOrder;
import org.aio4j.http.FetchResult;
import org.aio4j.http.HttpTransport;
import org.aio4j.http.vertx.VertxTransport;

/**
 * Issue 6's HTTP benchmark, one client per process: N GETs of one URL with at most C in flight, repeated ROUNDS
 * times; prints one line per round, {@code round <i> <requests/s> <bytes>}. Run by bench/http/run.
 *
 * <pre>
 * java -cp ... HttpBench CLIENT URL N C ROUNDS
 *   CLIENT: aio4j-jdk | aio4j-vertx   ClientSession.fetchAll(urls, C, COMPLETION) in Aio.run
 *           direct-jdk                the same JDK HttpClient, HttpClient.send on virtual threads + a Semaphore
 *           direct-vertx              the same Vert.x client on its own async API: C chains of requests, each
 *                                     starting the next from the previous one's completion callback
 * </pre>
 * Every round checks that all N requests answered 200 with the same length, and fails otherwise.
 */
public final class HttpBench {

    interface Round {
        long run() throws Exception; // returns the bytes received
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: HttpBench CLIENT URL N C ROUNDS");
            System.exit(2);
        }
        String client = args[0];
        String url = args[1];
        int n = Integer.parseInt(args[2]);
        int c = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        try (Bench b = new Bench(client, url, n, c)) {
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                long bytes = b.round.run();
                long t1 = System.nanoTime();
                System.out.printf("round %d %.0f %d%n", i, n / ((t1 - t0) / 1e9), bytes);
            }
        }
        System.exit(0); // Vert.x's and HttpClient's threads must not keep a whole-process run alive
    }

    static final class Bench implements AutoCloseable {
        final Round round;
        private AutoCloseable closer = () -> { };

        Bench(String client, String url, int n, int c) {
            List<String> urls = Collections.nCopies(n, url);
            switch (client) {
                case "aio4j-jdk", "aio4j-vertx" -> {
                    HttpTransport t = client.equals("aio4j-jdk") ? HttpTransport.jdk() : VertxTransport.create(c);
                    ClientSession http = ClientSession.builder().transport(t, true).build();
                    closer = http;
                    round = () -> check(n, Aio.run(() -> http.fetchAll(urls, c, FetchOrder.COMPLETION)));
                }
                case "direct-jdk" -> {
                    HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .followRedirects(HttpClient.Redirect.NORMAL).build();
                    closer = jdk::shutdownNow;
                    round = () -> direct(n, c, () -> {
                        // a request per URL, as a program fetching N different URLs builds (aio4j and aiohttp too)
                        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).build();
                        HttpResponse<byte[]> r = jdk.send(req, HttpResponse.BodyHandlers.ofByteArray());
                        return r.statusCode() == 200 ? r.body().length : -1;
                    });
                }
                case "direct-vertx" -> {
                    Vertx vertx = Vertx.vertx();
                    HttpClientAgent vx = vertx.createHttpClient(
                            new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                            new PoolOptions().setHttp1MaxSize(c).setMaxWaitQueueSize(-1));
                    closer = vertx::close;
                    round = () -> vertxAsync(n, c, () -> vx.request(new RequestOptions().setMethod(HttpMethod.GET)
                                    .setAbsoluteURI(url).setFollowRedirects(true))
                            .compose(req -> req.send())
                            .compose(resp -> resp.body().map(b -> resp.statusCode() == 200 ? b.length() : -1)));
                }
                default -> throw new IllegalArgumentException("unknown client '" + client
                        + "': aio4j-jdk, aio4j-vertx, direct-jdk or direct-vertx");
            }
        }

        @Override
        public void close() throws Exception {
            closer.close();
        }
    }

    interface Get {
        int get() throws Exception; // body length, or -1 for a status other than 200
    }

    /** N gets on virtual threads, at most C at once (a Semaphore), the way one would drive a blocking client. */
    static long direct(int n, int c, Get get) throws Exception {
        Semaphore permits = new Semaphore(c);
        int[] lengths = new int[n];
        AtomicLong failures = new AtomicLong();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                permits.acquire();
                int index = i;
                ex.execute(() -> {
                    try {
                        lengths[index] = get.get();
                    } catch (Exception e) {
                        failures.incrementAndGet();
                        lengths[index] = -1;
                    } finally {
                        permits.release();
                    }
                });
            }
        }
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " of " + n + " requests failed");
        }
        return checkLengths(n, Arrays.stream(lengths).boxed().toList());
    }

    /**
     * N gets with Vert.x's own async API, C at a time: each completion starts the next request from its callback, on
     * Vert.x's event loop. (Joining Vert.x futures on virtual threads instead hung a request now and then.)
     */
    static long vertxAsync(int n, int c, java.util.function.Supplier<io.vertx.core.Future<Integer>> get) {
        var done = new java.util.concurrent.CompletableFuture<Void>();
        var started = new java.util.concurrent.atomic.AtomicInteger();
        var finished = new java.util.concurrent.atomic.AtomicInteger();
        int[] lengths = new int[n];
        Runnable launch = new Runnable() {
            @Override
            public void run() {
                int i = started.getAndIncrement();
                if (i >= n) {
                    return;
                }
                get.get().onComplete(ar -> {
                    lengths[i] = ar.succeeded() ? ar.result() : -1;
                    if (finished.incrementAndGet() == n) {
                        done.complete(null);
                    } else {
                        run();
                    }
                });
            }
        };
        for (int k = 0; k < Math.min(c, n); k++) {
            launch.run();
        }
        done.join();
        return checkLengths(n, Arrays.stream(lengths).boxed().toList());
    }

    static long check(int n, List<FetchResult> results) {
        if (results.size() != n) {
            throw new IllegalStateException("expected " + n + " results, got " + results.size());
        }
        return checkLengths(n, results.stream().map(r -> {
            if (!r.succeeded()) {
                throw new IllegalStateException("request failed: " + r, r.error());
            }
            return r.response().status() == 200 ? r.response().length() : -1;
        }).toList());
    }

    static long checkLengths(int n, List<Integer> lengths) {
        int first = lengths.get(0);
        long total = 0;
        for (int len : lengths) {
            if (len < 0 || len != first) {
                throw new IllegalStateException("a response was not 200 with " + first + " bytes: " + len);
            }
            total += len;
        }
        return total;
    }
}
