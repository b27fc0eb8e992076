package org.aio4j.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local keep-alive HTTP/1.1 server that counts the connections it holds, for what becomes of a connection when its
 * exchange is cancelled or times out: whether the client closes it or leaves it taken. By path: {@code /ok} answers
 * {@code ok} and keeps the connection for the next request, {@code /chunked-ok} the same as a chunked body;
 * {@code /head} never answers; {@code /body} sends the head of a 10-byte body and 3 of its bytes; {@code /chunked}
 * sends the head of a chunked body and one chunk. Those three then wait on the connection until the client closes it, and count as {@link #stuck()} meanwhile.
 */
final class ScriptedServer implements AutoCloseable {

    private final ServerSocket socket;
    private final AtomicInteger stuck = new AtomicInteger();
    private final Object lock = new Object(); // notified when stuck changes

    private ScriptedServer(ServerSocket socket) {
        this.socket = socket;
    }

    /** Starts serving on an ephemeral port of 127.0.0.1. */
    static ScriptedServer start() throws IOException {
        var s = new ScriptedServer(new ServerSocket(0, 200, InetAddress.getLoopbackAddress()));
        CannedServer.acceptAll(s.socket, "scripted-server", s::serve);
        return s;
    }

    /** The absolute URL of {@code path}. */
    String url(String path) {
        return "http://127.0.0.1:" + socket.getLocalPort() + path;
    }

    private void serve(Socket c) {
        try (c) {
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            for (String line; (line = requestLine(in)) != null; ) {
                String path = line.split(" ")[1];
                switch (path) {
                    case "/ok" -> {
                        out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                        out.flush();
                        continue;
                    }
                    case "/chunked-ok" -> {
                        out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
                        out.flush();
                        continue;
                    }
                    case "/head" -> { }
                    case "/body" -> out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
                    case "/chunked" -> out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + "3\r\nabc\r\n"));
                    default -> throw new IllegalArgumentException("no script for " + path);
                }
                out.flush();
                changeStuck(1);
                try {
                    in.transferTo(OutputStream.nullOutputStream()); // until the client closes the connection
                } finally {
                    changeStuck(-1);
                }
                return;
            }
        } catch (IOException clientGone) {
            // the client closed or reset the connection
        }
    }

    /** The request line of the next request on the connection; null at the end of the connection. */
    private static String requestLine(InputStream in) throws IOException {
        String head = CannedServer.readRequestHead(in);
        return head.endsWith("\r\n\r\n") ? head.substring(0, head.indexOf("\r\n")) : null;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** How many connections are open on an answer that never ends, waiting for the client to close them. */
    int stuck() {
        return stuck.get();
    }

    private void changeStuck(int by) {
        synchronized (lock) {
            stuck.addAndGet(by);
            lock.notifyAll();
        }
    }

    /**
     * Waits (on a thread of the caller's, not spinning: the JDK client may take its selector's 3 s timeout to close
     * a connection) until no connection is {@link #stuck()}.
     */
    void awaitNoneStuck() throws InterruptedException {
        synchronized (lock) {
            while (stuck.get() > 0) {
                lock.wait();
            }
        }
    }

    /** Waits (on a thread of the caller's, not spinning) until {@code n} connections or more are {@link #stuck()}. */
    void awaitStuck(int n) throws InterruptedException {
        synchronized (lock) {
            while (stuck.get() < n) {
                lock.wait();
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
