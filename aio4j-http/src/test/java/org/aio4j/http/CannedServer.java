package org.aio4j.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local server that answers every request with the same bytes (or the first with others), however wrong they are as
 * HTTP, and then closes the connection: for what a client does with a malformed response (the JDK's
 * {@code HttpServer} always answers well). It records the request line of each request as it came on the wire, for
 * what a client sends.
 */
public final class CannedServer implements AutoCloseable {

    private final ServerSocket socket;
    private final List<byte[]> answers;
    private final boolean reset;
    private final boolean holdOpen;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private final List<String> requestHeads = new CopyOnWriteArrayList<>();

    private CannedServer(ServerSocket socket, List<byte[]> answers, boolean reset, boolean holdOpen) {
        this.socket = socket;
        this.answers = answers;
        this.reset = reset;
        this.holdOpen = holdOpen;
    }

    /** Starts answering {@code answer} (ISO-8859-1 text) on an ephemeral port of 127.0.0.1. */
    public static CannedServer start(String answer) throws IOException {
        return start(List.of(answer), false, false);
    }

    /**
     * As {@link #start(String)}, but answering the first connection with {@code first} and every later one with
     * {@code then}: a redirect, say, and the page it leads to.
     */
    public static CannedServer start(String first, String then) throws IOException {
        return start(List.of(first, then), false, false);
    }

    /**
     * As {@link #start(String, String)}, but keeping each connection open after the answer until the client closes
     * it: an answer whose end is its connection's close, or that is cut short, never ends.
     */
    public static CannedServer startHoldingOpen(String first, String then) throws IOException {
        return start(List.of(first, then), false, true);
    }

    /**
     * As {@link #start(String)}, but closing each connection after the answer with a TCP reset (RST), not a FIN: the
     * client reads a "connection reset".
     */
    public static CannedServer startResetting(String answer) throws IOException {
        return start(List.of(answer), true, false);
    }

    private static CannedServer start(List<String> answers, boolean reset, boolean holdOpen) throws IOException {
        var s = new CannedServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
                answers.stream().map(a -> a.getBytes(StandardCharsets.ISO_8859_1)).toList(), reset, holdOpen);
        acceptAll(s.socket, "canned-server", s::answer);
        return s;
    }

    /** The absolute URL of {@code path}. */
    public String url(String path) {
        return "http://127.0.0.1:" + socket.getLocalPort() + path;
    }

    /**
     * Accepts connections on {@code socket}, on a virtual thread named {@code name}, until it is closed, and serves
     * each with {@code connection} on a virtual thread of its own.
     */
    static void acceptAll(ServerSocket socket, String name, java.util.function.Consumer<Socket> connection) {
        Thread.ofVirtual().name(name).start(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket c = socket.accept();
                    Thread.ofVirtual().name(name + "-connection").start(() -> connection.accept(c));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    private void answer(Socket c) {
        try (c) {
            String head = readRequestHead(c.getInputStream());
            requestLines.add(head.substring(0, Math.max(0, head.indexOf("\r\n"))));
            requestHeads.add(head);
            c.getOutputStream().write(answers.get(Math.min(connections.getAndIncrement(), answers.size() - 1)));
            c.getOutputStream().flush();
            if (reset) {
                c.setSoLinger(true, 0);
            }
            if (holdOpen) {
                c.getInputStream().transferTo(OutputStream.nullOutputStream()); // until the client closes it
            }
        } catch (IOException clientGone) {
            // the client gave up first: nothing to answer
        }
    }

    /**
     * The request line of each request received so far, in order, its bytes as ISO-8859-1 (one char per byte, so that
     * a byte that is not ASCII shows as itself).
     */
    public List<String> requestLines() {
        return List.copyOf(requestLines);
    }

    /** The head (request line and header lines) of each request received so far, in order, as {@link #requestLines}. */
    public List<String> requestHeads() {
        return List.copyOf(requestHeads);
    }

    /** Reads up to the empty line that ends the request's head (the tests send no body). */
    static void skipRequestHead(InputStream in) throws IOException {
        readRequestHead(in);
    }

    /** Reads up to the empty line that ends the request's head and returns the head, bytes as ISO-8859-1. */
    static String readRequestHead(InputStream in) throws IOException {
        var head = new ByteArrayOutputStream();
        int matched = 0;
        for (int b; matched < 4 && (b = in.read()) >= 0; ) {
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
