package org.aio4j.process;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a worker being started connects to its pool: a Unix domain socket in a new directory that only this user may
 * enter, accepting one connection, which must begin with a random token of this worker's. The worker learns the
 * socket's path and the token from its standard input ({@link #sendTo}), which is then closed: neither appears on a
 * command line or in an environment, and the worker's standard input is empty from then on. The socket and its
 * directory are deleted as soon as the connection is made, or the start failed ({@link #close()}), so no other
 * process can connect after the worker. If this JVM exits first (by {@code System.exit}, or as its last non-daemon
 * thread ends, which the daemon drivers do not hold up) while a worker is starting, its exit deletes them (a shutdown
 * hook); only a JVM killed outright ({@code kill -9}, a crash) leaves them behind.
 *
 * <p>Thread-safety: {@link #close()} may be called from any thread, to end a wait in {@link #accept()} (the worker
 * died, or was not ready within the start timeout); the other methods are the starting driver's.
 */
final class Rendezvous implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The rendezvous not closed yet, which the exit of this JVM closes. */
    private static final Set<Rendezvous> OPEN = ConcurrentHashMap.newKeySet();

    static {
        try {
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("aio4j-process-rendezvous-cleaner")
                    .unstarted(() -> OPEN.forEach(Rendezvous::close)));
        } catch (IllegalStateException exiting) {
            // This JVM is exiting already: a worker that starts now is stopped with it.
        }
    }

    private final Path directory;
    private final Path socket;
    private final ServerSocketChannel server;
    private final byte[] token = new byte[Protocol.TOKEN_BYTES];
    // Guarded by this: the connection accept() is reading the token of, and close() having begun.
    private SocketChannel connecting;
    private boolean closed;

    private Rendezvous(Path directory, Path socket, ServerSocketChannel server) {
        this.directory = directory;
        this.socket = socket;
        this.server = server;
        RANDOM.nextBytes(token);
    }

    /**
     * The longest path of a socket this binds, in bytes: Linux takes 107, macOS 103; a longer one cannot be bound
     * ("Unix domain path too long").
     */
    private static final int MAX_SOCKET_PATH_BYTES = 100;

    /** What a socket's path adds to its directory's: {@code /aio4j-}, a random long's digits, {@code /w}. */
    private static final int SOCKET_NAME_BYTES = "/aio4j-".length() + 20 + "/w".length();

    /**
     * Makes the directory in {@code parent} (if null, the temporary directory {@code java.io.tmpdir}, or
     * {@code /tmp} where that is too deep for a socket's path) and binds the socket in it.
     *
     * @throws IOException if either fails (the directory is not writable, or too deep for a socket's path, and so
     *                     is the fallback); nothing is left behind
     */
    static Rendezvous open(Path parent) throws IOException {
        if (parent != null) {
            return open(parent, null);
        }
        Path tmp = Path.of("/tmp");
        return open(Path.of(System.getProperty("java.io.tmpdir")), Files.isDirectory(tmp) ? tmp : null);
    }

    /**
     * Makes the directory in {@code parent}, or in {@code fallback} (if not null) where {@code parent} is too deep
     * for a socket's path, and binds the socket in it.
     *
     * @throws IOException as {@link #open(Path)}
     */
    static Rendezvous open(Path parent, Path fallback) throws IOException {
        if (fitsSocketPath(parent)) {
            return openIn(parent);
        }
        if (fallback != null && fitsSocketPath(fallback)) {
            return openIn(fallback);
        }
        throw new IOException("could not make the socket a worker connects to, in " + parent + ": its path would be"
                + " too long for a Unix domain socket address; set java.io.tmpdir to a shorter directory");
    }

    private static boolean fitsSocketPath(Path directory) {
        return directory.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length + SOCKET_NAME_BYTES
                <= MAX_SOCKET_PATH_BYTES;
    }

    private static Rendezvous openIn(Path parent) throws IOException {
        Path directory = null;
        Path socket = null;
        ServerSocketChannel server = null;
        try {
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                var ownerOnly = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
                directory = Files.createTempDirectory(parent, "aio4j-", ownerOnly);
            } else {
                // Windows: the user's own temporary directory is private to the user already.
                directory = Files.createTempDirectory(parent, "aio4j-");
            }
            socket = directory.resolve("w");
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket), 1);
            var rendezvous = new Rendezvous(directory, socket, server);
            OPEN.add(rendezvous);
            return rendezvous;
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.close();
            }
            if (socket != null) {
                Files.deleteIfExists(socket);
                Files.deleteIfExists(directory);
            }
            throw new IOException("could not make the socket a worker connects to, in " + (directory != null
                    ? directory : parent) + ": " + e, e);
        }
    }

    /** Writes the socket's path and the token to the worker's standard input, and closes it. */
    void sendTo(OutputStream workerInput) throws IOException {
        try (var out = new DataOutputStream(workerInput)) {
            out.writeUTF(socket.toString());
            out.write(token);
        }
    }

    /**
     * Waits for the worker to connect and present its token, and returns the connection; the socket and its
     * directory are deleted then, whatever the outcome.
     *
     * @throws AsynchronousCloseException if {@link #close()} ended the wait
     * @throws ProtocolException if what connected did not present the token (then not the worker)
     * @throws IOException       if the connection failed
     */
    SocketChannel accept() throws IOException {
        try {
            SocketChannel channel = server.accept();
            synchronized (this) {
                if (closed) {
                    channel.close();
                    throw new AsynchronousCloseException();
                }
                connecting = channel;
            }
            var presented = ByteBuffer.allocate(Protocol.TOKEN_BYTES);
            while (presented.hasRemaining() && channel.read(presented) >= 0) {
                // Reads until the token is complete, or the connection ends.
            }
            if (!MessageDigest.isEqual(presented.array(), token) || presented.hasRemaining()) {
                channel.close();
                throw new ProtocolException("a process that is not the worker connected to its socket " + socket
                        + " (it did not present the worker's token)");
            }
            synchronized (this) {
                connecting = null;
                if (closed) {
                    channel.close();
                    throw new AsynchronousCloseException();
                }
            }
            return channel;
        } finally {
            close();
        }
    }

    /**
     * Deletes the socket and its directory and stops accepting; a connection still presenting its token is closed.
     * Idempotent; a connection {@link #accept()} returned is not touched. Returns once all that is done, also to a
     * caller that finds another thread's close under way, and before a wait in {@link #accept()} it ends returns: who
     * learns that a start failed does not find its socket still there.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        OPEN.remove(this);
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            PoolLog.log(System.Logger.Level.WARNING,
                    "could not delete the socket of a worker, " + socket + ": " + e);
        }
        // Neither wakes a waiter that needs this lock to return: accept() takes it only after the wait, and its own
        // close() then waits for this one to end.
        closeQuietly(server);
        if (connecting != null) {
            closeQuietly(connecting);
            connecting = null;
        }
    }

    private static void closeQuietly(Channel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // Closed all the same.
        }
    }
}
