package org.aio4j;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The names that {@link Aio#openUnixConnection} gives a client connecting to a server of its own loop, so that the
 * server can tell the client's connection from others when it accepts it (a TCP client's port tells it; an unbound
 * Unix-domain client has the same empty name as every other, and the kernel says nothing else about the peer). Each
 * is a unique path in a directory of this process's own, bound only for the connect: its file is deleted once the
 * connect has returned, while the socket keeps the name, which the server's end sees as its peer's. Neither end
 * reports it: both show the client as unnamed, as asyncio's unbound client is.
 *
 * <p>Without such a name (the directory cannot be made, or its path is too long) the client connects unbound, as
 * any other; the loop then does not know the two ends for its own (see {@link Server}'s deadlock detection).
 */
final class UnixClientNames {

    private static final AtomicLong COUNT = new AtomicLong();

    /**
     * The directory once {@link Directory} has made it, else null: what {@link #isOne} compares with, which must not
     * make it (every Unix-domain connection's two addresses are looked at, and a process whose loops are no clients
     * of their own servers would leave an empty directory behind if it were killed).
     */
    private static volatile Path made;

    private UnixClientNames() {
    }

    /** The directory, made on first use; null if it cannot be made. */
    private static final class Directory {
        static final Path PATH = make();

        private static Path make() {
            try {
                Path dir = Files.createTempDirectory("aio4j-unix-");
                dir.toFile().deleteOnExit(); // empty by then: each name's file is deleted after its connect
                made = dir;
                return dir;
            } catch (IOException | SecurityException e) {
                return null;
            }
        }
    }

    /**
     * Binds {@code channel} to a new name and returns its path, whose file the caller deletes once the connect has
     * returned; returns null, leaving the channel unbound, if no name can be bound.
     */
    static Path bind(SocketChannel channel) {
        Path dir = Directory.PATH;
        if (dir == null) {
            return null;
        }
        Path name = dir.resolve("c" + COUNT.incrementAndGet());
        if (UnixPaths.bytes(name) > UnixPaths.LIMIT) {
            return null;
        }
        try {
            channel.bind(UnixDomainSocketAddress.of(name));
            return name;
        } catch (IOException e) { // the directory was removed meanwhile, say
            return null;
        }
    }

    /** Whether {@code address} is one of these names. */
    static boolean isOne(SocketAddress address) {
        // No name was bound before the directory was made: looking does not make it.
        Path dir = made;
        return dir != null && address instanceof UnixDomainSocketAddress u && dir.equals(u.getPath().getParent());
    }
}
