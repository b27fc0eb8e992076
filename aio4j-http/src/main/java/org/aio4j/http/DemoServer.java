package org.aio4j.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small local HTTP server to try the client, the cookbook and the benchmarks on, with no network: the stand-in
 * for the remote sites of the seed's recipes (what httpbin.org is to aiohttp's examples; no asyncio counterpart).
 * It listens on {@code 127.0.0.1}, on an ephemeral port by default, and answers each request on a virtual thread of
 * its own (the JDK's {@code com.sun.net.httpserver}).
 *
 * <table>
 *   <caption>Paths (a <em>unit</em> is {@code secondsPerUnit} seconds, set at start)</caption>
 *   <tr><th>path</th><th>answer</th></tr>
 *   <tr><td>{@code /a}, {@code /b}, {@code /c}</td><td>the path as text, after 3, 1 and 4 units: the seed's
 *       latencies</td></tr>
 *   <tr><td>{@code /delay/N}</td><td>the path as text, after N units (N a decimal number, 0 to 3600)</td></tr>
 *   <tr><td>{@code /status/N}</td><td>status N (200 to 599) with a short text</td></tr>
 *   <tr><td>{@code /bytes/N}</td><td>N bytes (0 to 16 MiB) of {@code a..z}, at once</td></tr>
 *   <tr><td>{@code /slow}</td><td>nothing until the server closes (for client timeouts)</td></tr>
 *   <tr><td>{@code /trickle}</td><td>status 200 at once, then a byte every unit, never ending (for timeouts of the
 *       whole exchange)</td></tr>
 *   <tr><td>{@code /redirect/P}</td><td>a 302 to {@code /P}</td></tr>
 *   <tr><td>{@code /echo}</td><td>the request: a line {@code METHOD PATH}, its {@code X-...} headers as
 *       {@code name: value} lines (names in lower case, sorted), an empty line, and the body</td></tr>
 *   <tr><td>{@code /}</td><td>this list</td></tr>
 * </table>
 * Anything else is a 404. Every path answers any method.
 *
 * <p>Thread-safe. {@link #close()} stops the server and ends the requests still waiting. Run it on its own with
 * {@code java -cp aio4j-http.jar org.aio4j.http.DemoServer [PORT [SECONDS_PER_UNIT]]}.
 */
public final class DemoServer implements AutoCloseable {

    /** The seed's latencies, in units: {@code /a} 3, {@code /b} 1, {@code /c} 4. */
    public static final Map<String, Integer> LATENCY_UNITS = Map.of("/a", 3, "/b", 1, "/c", 4);

    private static final int MAX_BYTES = 16 << 20;
    private static final double MAX_DELAY_UNITS = 3600;
    private static final String INDEX = """
            aio4j demo server
            /a /b /c       the path, after 3, 1, 4 units
            /delay/N       the path, after N units
            /status/N      status N (200..599)
            /bytes/N       N bytes (up to 16 MiB)
            /slow          no answer until the server closes
            /trickle       status 200, then a byte every unit, never ending
            /redirect/P    a 302 to /P
            /echo          the method, path, X- headers and body of the request
            """;

    static {
        // com.sun.net.httpserver writes a response's headers and body separately; without TCP_NODELAY, Nagle's
        // algorithm holds the body back until the headers are acknowledged (a delayed ACK: up to 40 ms per request).
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService handlers;
    private final double secondsPerUnit;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private volatile boolean closed;

    private DemoServer(HttpServer server, ExecutorService handlers, double secondsPerUnit) {
        this.server = server;
        this.handlers = handlers;
        this.secondsPerUnit = secondsPerUnit;
    }

    /**
     * Starts a server on an ephemeral port of 127.0.0.1 where a unit is one second.
     *
     * @return the running server
     * @throws IOException if no port can be bound
     */
    public static DemoServer start() throws IOException {
        return start(0, 1.0);
    }

    /**
     * Starts a server on {@code port} of 127.0.0.1 (0 for an ephemeral one) where a unit is
     * {@code secondsPerUnit} seconds.
     *
     * @param port           the port to listen on, or 0 for an ephemeral one
     * @param secondsPerUnit how many seconds a unit of latency lasts; 0 for none
     * @return the running server
     * @throws IllegalArgumentException if the port is not in 0..65535 or the unit is negative or not finite
     * @throws IOException              if the port cannot be bound
     */
    public static DemoServer start(int port, double secondsPerUnit) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        if (!(secondsPerUnit >= 0) || Double.isInfinite(secondsPerUnit)) {
            throw new IllegalArgumentException("secondsPerUnit must be a finite number >= 0, got " + secondsPerUnit);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        ExecutorService handlers = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("aio4j-demo-server-", 0).factory());
        var demo = new DemoServer(server, handlers, secondsPerUnit);
        server.createContext("/", demo::handle);
        server.setExecutor(handlers);
        server.start();
        return demo;
    }

    /**
     * The server's root, e.g. {@code http://127.0.0.1:41234}, without a trailing slash.
     *
     * @return the base URL
     */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    /**
     * The absolute URL of {@code path} (which starts with {@code /}).
     *
     * @param path the path, starting with {@code /}
     * @return the base URL followed by {@code path}
     * @throws IllegalArgumentException if {@code path} does not start with {@code /}
     */
    public String url(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/', got '" + path + "'");
        }
        return baseUrl() + path;
    }

    /**
     * The port the server listens on.
     *
     * @return the port
     */
    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * How many seconds a unit of latency lasts.
     *
     * @return the seconds per unit
     */
    public double secondsPerUnit() {
        return secondsPerUnit;
    }

    /**
     * How many requests have arrived since the start.
     *
     * @return the number of requests
     */
    public long requests() {
        return requests.get();
    }

    /**
     * The most requests that were being answered at the same moment since the start.
     *
     * @return the peak number of requests answered at once
     */
    public int peakConcurrency() {
        return peak.get();
    }

    /** Stops listening, closes the connections and ends the requests still waiting. Closing twice does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        handlers.shutdownNow();
    }

    @Override
    public String toString() {
        return "DemoServer[" + (closed ? "closed" : baseUrl()) + ", unit " + secondsPerUnit + " s, "
                + requests() + " requests]";
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/echo")) {
                send(exchange, 200, echo(exchange, body));
            } else {
                answer(exchange, path);
            }
        } catch (InterruptedException e) {
            // close() ends waiting requests: their connections are closed already
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void answer(HttpExchange exchange, String path) throws IOException, InterruptedException {
        Integer units = LATENCY_UNITS.get(path);
        if (units != null) {
            delayThenEcho(exchange, path, units);
        } else if (path.startsWith("/delay/")) {
            double n = number(path, "/delay/", 0, MAX_DELAY_UNITS);
            if (Double.isNaN(n)) {
                send(exchange, 400, "bad delay in " + path + ": want /delay/N, N from 0 to " + MAX_DELAY_UNITS);
            } else {
                delayThenEcho(exchange, path, n);
            }
        } else if (path.startsWith("/status/")) {
            double code = number(path, "/status/", 200, 599);
            if (Double.isNaN(code) || code != Math.rint(code)) {
                send(exchange, 400, "bad status in " + path + ": want /status/N, N from 200 to 599");
            } else {
                int c = (int) code;
                send(exchange, c, c == 204 || c == 304 ? "" : "status " + c + "\n");
            }
        } else if (path.startsWith("/bytes/")) {
            double n = number(path, "/bytes/", 0, MAX_BYTES);
            if (Double.isNaN(n) || n != Math.rint(n)) {
                send(exchange, 400, "bad size in " + path + ": want /bytes/N, N from 0 to " + MAX_BYTES);
            } else {
                send(exchange, 200, letters((int) n));
            }
        } else if (path.equals("/slow")) {
            Thread.sleep(Duration.ofDays(1)); // until close() interrupts it
        } else if (path.equals("/trickle")) {
            trickle(exchange);
        } else if (path.startsWith("/redirect/")) {
            exchange.getResponseHeaders().set("Location", "/" + path.substring("/redirect/".length()));
            send(exchange, 302, "");
        } else if (path.equals("/")) {
            send(exchange, 200, INDEX);
        } else {
            send(exchange, 404, "no such path: " + path + "\n" + INDEX);
        }
    }

    /** A byte every unit until the client goes away or the server closes. */
    private void trickle(HttpExchange exchange) throws IOException, InterruptedException {
        Duration every = Duration.ofNanos(Math.max(1_000_000L, (long) (secondsPerUnit * 1e9)));
        exchange.sendResponseHeaders(200, 0); // chunked: no length
        try (var out = exchange.getResponseBody()) {
            for (;;) {
                out.write('.');
                out.flush();
                Thread.sleep(every);
            }
        } catch (IOException clientGone) {
            // the client aborted the exchange: what /trickle is for
        }
    }

    private void delayThenEcho(HttpExchange exchange, String path, double units) throws IOException,
            InterruptedException {
        long nanos = (long) (units * secondsPerUnit * 1e9);
        if (nanos > 0) {
            Thread.sleep(Duration.ofNanos(nanos));
        }
        send(exchange, 200, path);
    }

    private static byte[] echo(HttpExchange exchange, byte[] body) {
        var out = new StringBuilder(exchange.getRequestMethod()).append(' ')
                .append(exchange.getRequestURI()).append('\n');
        new java.util.TreeMap<>(exchange.getRequestHeaders()).forEach((name, values) -> {
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("x-")) {
                values.forEach(v -> out.append(lower).append(": ").append(v).append('\n'));
            }
        });
        out.append('\n');
        byte[] head = out.toString().getBytes(StandardCharsets.UTF_8);
        byte[] all = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** The number after {@code prefix} in {@code path} if it is within [min, max], else NaN. */
    private static double number(String path, String prefix, double min, double max) {
        try {
            double n = Double.parseDouble(path.substring(prefix.length()));
            return n >= min && n <= max ? n : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static byte[] letters(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }

    private static void send(HttpExchange exchange, int status, String text) throws IOException {
        send(exchange, status, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /**
     * Runs a server until the process is stopped: {@code DemoServer [PORT [SECONDS_PER_UNIT]]} (defaults: an
     * ephemeral port, 1 second). Prints its base URL on the first line.
     *
     * @param args the port and the seconds per unit, both optional
     * @throws NumberFormatException if an argument is not a number
     * @throws Exception             if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        double unit = args.length > 1 ? Double.parseDouble(args[1]) : 1.0;
        DemoServer server = start(port, unit);
        System.out.println(server.baseUrl());
        System.out.flush();
        Thread.currentThread().join();
    }
}
