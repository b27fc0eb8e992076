package org.aio4j;

import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sockets of a loop's streams that are still open: connections ({@link SocketTransport}) and listening sockets
 * ({@link Server}). {@link EventLoop#close()} closes those left, so that a program that forgot one leaves neither a
 * socket nor a thread blocked in it behind (asyncio leaves them to the garbage collector). Thread-safe: sockets close
 * on their own threads.
 */
final class OpenSockets {

    /** A socket the loop can close when it closes. */
    interface Closer {

        /** Closes the socket at once, from any thread, dropping what is not written; does nothing if it is closed. */
        void closeNow();
    }

    private final Set<Closer> open = ConcurrentHashMap.newKeySet();

    void add(Closer socket) {
        open.add(socket);
    }

    void remove(Closer socket) {
        open.remove(socket);
    }

    /** How many are open (for tests). */
    int size() {
        return open.size();
    }

    /** Closes every socket left open. */
    void closeAll() {
        for (Closer socket : new ArrayList<>(open)) {
            open.remove(socket);
            socket.closeNow();
        }
    }
}
