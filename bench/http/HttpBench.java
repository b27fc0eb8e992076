import java.net.URI;
import java.time.Duration;
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
import org.aio4j.http.ClientRequest;
import org.aio4j.http.ClientResponse;
import org.aio4j.http.ClientSession;
import org.aio4j.http.FetchOrder;
import org.aio4j.http.FetchResult;
import org.aio4j.http.HttpTransport;
import org.aio4j.http.vertx.VertxTransport;

/**
 * Issue 6's HTTP benchmark, one client per process: N GETs of one URL with at most C in flight, repeated ROUNDS
 * times; prints one line per round, {@code round <i> <requests/s> <bytes> <process CPU us per request>}. Run by
 * bench/http/run.
 *
 * <pre>
 * java -cp ... HttpBench CLIENT URL N C ROUNDS
 *   CLIENT: aio4j-jdk | aio4j-vertx   ClientSession.fetchAll(urls, C, COMPLETION) in Aio.run
 *           direct-jdk                the same JDK HttpClient, HttpClient.send on virtual threads + a Semaphore
 *           direct-vertx              the same Vert.x transport, its futures joined on virtual threads + a Semaphore
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
            var os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int i = 0; i < rounds; i++) {
                long c0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                long bytes = b.round.run();
                long t1 = System.nanoTime();
                long c1 = os.getProcessCpuTime();
                System.out.printf("round %d %.0f %d %.1f%n", i, n / ((t1 - t0) / 1e9), bytes, (c1 - c0) / 1e3 / n);
            }
        }
        System.exit(0); // Vert.x's and HttpClient's threads must not keep a whole-process run alive
    }

    interface Closer {
        void close();
    }

    static final class Bench implements AutoCloseable {
        final Round round;
        private Closer closer = () -> { };

        Bench(String client, String url, int n, int c) {
            List<String> urls = Collections.nCopies(n, url);
            switch (client) {
                case "aio4j-jdk", "aio4j-vertx" -> {
                    HttpTransport t = client.equals("aio4j-jdk") ? HttpTransport.jdk() : VertxTransport.create(c);
                    ClientSession http = ClientSession.builder().transport(t, true).build();
                    closer = http::close;
                    round = () -> check(n, Aio.run(() -> http.fetchAll(urls, c, FetchOrder.COMPLETION)));
                }
                case "direct-jdk" -> {
                    // configured as HttpTransport.jdk() configures its own
                    HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .followRedirects(HttpClient.Redirect.NORMAL)
                            .executor(command -> Thread.ofVirtual().start(command)).build();
                    closer = jdk::shutdownNow;
                    round = () -> direct(n, c, () -> {
                        // a request per URL, as a program fetching N different URLs builds (aio4j and aiohttp too)
                        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).build();
                        HttpResponse<byte[]> r = jdk.send(req, HttpResponse.BodyHandlers.ofByteArray());
                        return r.statusCode() == 200 ? r.body().length : -1;
                    });
                }
                case "direct-vertx" -> {
                    // The same Vert.x transport without the event loop: its futures joined on virtual threads.
                    // (Driving Vert.x's client from its own callbacks lost a request now and then here, stalling the
                    // round; through the transport it never did.)
                    VertxTransport t = VertxTransport.create(c);
                    closer = t::close;
                    round = () -> direct(n, c, () -> {
                        ClientResponse r = t.send(ClientRequest.get(url).withTimeout(Duration.ofMinutes(5))).join();
                        return r.status() == 200 ? r.length() : -1;
                    });
                }
                default -> throw new IllegalArgumentException("unknown client '" + client
                        + "': aio4j-jdk, aio4j-vertx, direct-jdk or direct-vertx");
            }
        }

        @Override
        public void close() {
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
