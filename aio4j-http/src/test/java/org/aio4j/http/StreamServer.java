package org.aio4j.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local keep-alive HTTP/1.1 server of large bodies generated as they are written (none is ever held whole), which
 * says how far it has written and whether it is blocked, for what a client reads ahead of its consumer. Non-blocking
 * writes: a write that the connection takes nothing of (the client's and the kernel's buffers are full: the client
 * reads no more) marks the server {@link #awaitBlockedOrDone blocked} until the connection takes bytes again. Paths:
 * {@code /bytes/N}, N bytes under a {@code Content-Length}, byte i being {@link #byteAt}{@code (i)};
 * {@code /gzip/N}, the same N bytes gzipped, chunked; {@code /held/N}, as {@code /bytes/N} but its last byte held
 * back until {@link #sendHeldByte()}; {@code /heldchunks/N}, the N bytes chunked, the last chunk (the body's end) held
 * back until {@link #sendHeldByte()}. It counts the connections open, and those the client closed.
 */
final class StreamServer implements AutoCloseable {

    private final ServerSocketChannel socket;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger closedByClient = new AtomicInteger();
    /** Permits for {@code /held/N} to send its last byte. */
    private final java.util.concurrent.Semaphore held = new java.util.concurrent.Semaphore(0);
    private final Object lock = new Object();
    private long written; // guarded by lock: body bytes written of the response being written
    private boolean blocked; // guarded by lock
    private boolean done; // guarded by lock: the response being written has been written whole

    private StreamServer(ServerSocketChannel socket) {
        this.socket = socket;
    }

    static StreamServer start() throws IOException {
        var channel = ServerSocketChannel.open();
        channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        var s = new StreamServer(channel);
        Thread.ofVirtual().name("stream-server").start(() -> {
            while (channel.isOpen()) {
                try {
                    SocketChannel c = channel.accept();
                    c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true); // no 40 ms per small body
                    s.open.incrementAndGet();
                    s.accepted.incrementAndGet();
                    Thread.ofVirtual().name("stream-server-connection").start(() -> s.serve(c));
                } catch (IOException closed) {
                    return;
                }
            }
        });
        return s;
    }

    /** The byte at {@code i} of every generated body. */
    static byte byteAt(long i) {
        return (byte) (i % 251);
    }

    String url(String path) {
        return "http://127.0.0.1:" + ((InetSocketAddress) socket.socket().getLocalSocketAddress()).getPort() + path;
    }

    /** The connections open now (the client's kept-alive ones included). */
    int open() {
        return open.get();
    }

    /** The connections accepted so far. */
    int accepted() {
        return accepted.get();
    }

    /** Lets a {@code /held/N} response send its last byte (now, or when it comes to it). Non-blocking. */
    void sendHeldByte() {
        held.release();
    }

    /** The connections the client closed (or reset) between two requests, or in the middle of a response. */
    int closedByClient() {
        return closedByClient.get();
    }

    /**
     * Waits until no connection is open (not spinning: the JDK client may take its selector's 3 s timeout to close a
     * connection whose exchange was aborted).
     */
    void awaitNoneOpen() throws InterruptedException {
        synchronized (lock) {
            while (open.get() > 0) {
                lock.wait();
            }
        }
    }

    /**
     * Waits until the server is blocked writing a body (the client reads no more), or has written it whole, and
     * returns how many bytes of it it has written.
     */
    long awaitBlockedOrDone() throws InterruptedException {
        synchronized (lock) {
            while (!blocked && !done) {
                lock.wait();
            }
            return written;
        }
    }

    private void serve(SocketChannel c) {
        try (c; Selector selector = Selector.open()) {
            c.configureBlocking(false);
            SelectionKey key = c.register(selector, SelectionKey.OP_READ);
            for (String path; (path = requestPath(c, key, selector)) != null; ) {
                synchronized (lock) {
                    written = 0;
                    blocked = false;
                    done = false;
                }
                if (path.startsWith("/bytes/") || path.startsWith("/held/")) {
                    boolean holding = path.startsWith("/held/");
                    long n = Long.parseLong(path.substring(path.indexOf('/', 1) + 1));
                    write(c, key, selector, ascii("HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\n\r\n"), false);
                    var chunk = ByteBuffer.allocate(16 * 1024);
                    for (long i = 0; i < n; ) {
                        chunk.clear();
                        while (chunk.hasRemaining() && i < n && !(holding && i == n - 1 && chunk.position() > 0)) {
                            chunk.put(byteAt(i++));
                        }
                        if (holding && i == n && chunk.position() == 1) {
                            held.acquireUninterruptibly();
                        }
                        write(c, key, selector, chunk.flip(), true);
                    }
                } else if (path.startsWith("/heldchunks/")) {
                    long n = Long.parseLong(path.substring("/heldchunks/".length()));
                    write(c, key, selector, ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), false);
                    for (long i = 0; i < n; ) {
                        int len = (int) Math.min(16 * 1024, n - i);
                        var chunk = ByteBuffer.allocate(len);
                        while (chunk.hasRemaining()) {
                            chunk.put(byteAt(i++));
                        }
                        write(c, key, selector, ascii(Integer.toHexString(len) + "\r\n"), false);
                        write(c, key, selector, chunk.flip(), true);
                        write(c, key, selector, ascii("\r\n"), false);
                    }
                    held.acquireUninterruptibly();
                    write(c, key, selector, ascii("0\r\n\r\n"), false);
                } else if (path.startsWith("/gzip/")) {
                    long n = Long.parseLong(path.substring("/gzip/".length()));
                    write(c, key, selector, ascii("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n"), false);
                    var chunked = new OutputStream() {
                        @Override
                        public void write(int b) throws IOException {
                            write(new byte[] {(byte) b}, 0, 1);
                        }

                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            if (len > 0) {
                                StreamServer.this.write(c, key, selector,
                                        ascii(Integer.toHexString(len) + "\r\n"), false);
                                StreamServer.this.write(c, key, selector, ByteBuffer.wrap(b, off, len), true);
                                StreamServer.this.write(c, key, selector, ascii("\r\n"), false);
                            }
                        }
                    };
                    try (var z = new java.util.zip.GZIPOutputStream(chunked, 8192) {
                        @Override
                        public void close() throws IOException {
                            finish(); // not the connection
                        }
                    }) {
                        byte[] plain = new byte[8192];
                        for (long i = 0; i < n; ) {
                            int len = 0;
                            while (len < plain.length && i < n) {
                                plain[len++] = byteAt(i++);
                            }
                            z.write(plain, 0, len);
                        }
                    }
                    write(c, key, selector, ascii("0\r\n\r\n"), false);
                } else {
                    write(c, key, selector, ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), false);
                }
                synchronized (lock) {
                    done = true;
                    lock.notifyAll();
                }
            }
            closedByClient.incrementAndGet(); // at the end of a request: no more came
        } catch (IOException clientGone) {
            closedByClient.incrementAndGet(); // the client closed or reset the connection
        } finally {
            synchronized (lock) {
                open.decrementAndGet();
                done = true;
                lock.notifyAll();
            }
        }
    }

    /** Writes {@code b} whole, waiting while the connection takes nothing; {@code body}: counted as body bytes. */
    private void write(SocketChannel c, SelectionKey key, Selector selector, ByteBuffer b, boolean body)
            throws IOException {
        while (b.hasRemaining()) {
            int n = c.write(b);
            if (n > 0) {
                if (body) {
                    synchronized (lock) {
                        written += n;
                    }
                }
                continue;
            }
            synchronized (lock) {
                blocked = true;
                lock.notifyAll();
            }
            key.interestOps(SelectionKey.OP_WRITE);
            selector.select();
            selector.selectedKeys().clear();
            synchronized (lock) {
                blocked = false;
            }
        }
    }

    /** The path of the next request on {@code c}; null at the connection's end. */
    private static String requestPath(SocketChannel c, SelectionKey key, Selector selector) throws IOException {
        key.interestOps(SelectionKey.OP_READ);
        var head = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (!head.toString().endsWith("\r\n\r\n")) {
            one.clear();
            int n = c.read(one);
            if (n < 0) {
                return null;
            }
            if (n == 0) {
                selector.select();
                selector.selectedKeys().clear();
                continue;
            }
            head.append((char) (one.get(0) & 0xFF));
        }
        return head.substring(0, head.indexOf("\r\n")).split(" ")[1];
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
