package org.aio4j;

import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a loop's streams hold open: connections and pipes ({@link StreamTransport}), listening sockets
 * ({@link Server}), child processes ({@link Subprocess}). {@link EventLoop#close()} closes (or kills) those left, so
 * that a program that forgot one leaves neither a socket, a child nor a thread blocked in it behind (asyncio leaves
 * sockets to the garbage collector, and kills a child when its transport is closed). Thread-safe: streams close on
 * their own threads.
 */
final class OpenStreams {

    /** Something the loop closes when it closes. */
    interface Closer {

        /** Closes it at once, from any thread, dropping what is not written; does nothing if it is closed. */
        void closeNow();
    }

    private final Set<Closer> open = ConcurrentHashMap.newKeySet();
    /**
     * The loop's servers that listen (touched on the loop only): {@link Aio#openConnection} and
     * {@link Aio#openUnixConnection} look for their peer.
     */
    final Set<Server> servers = new java.util.LinkedHashSet<>();

    /** The connects of the loop's clients in progress, by number (touched on the loop only). */
    private final java.util.TreeSet<Long> connectsInProgress = new java.util.TreeSet<>();
    private long connectsBegun;

    /**
     * On the loop: a connect begins; returns its number, to give {@link #connectEnded} once it has ended and its
     * accept, if by a server of the loop, is expected or matched.
     */
    long connectBegins() {
        connectsInProgress.add(++connectsBegun);
        return connectsBegun;
    }

    /** On the loop: the connect numbered {@code n} has ended; the servers forget what only it could have matched. */
    void connectEnded(long n) {
        connectsInProgress.remove(n);
        long first = connectsInProgress.isEmpty() ? Long.MAX_VALUE : connectsInProgress.first();
        for (Server s : servers) {
            s.forgetUnmatchedAccepts(first);
        }
    }

    /** On the loop: whether a connect is in progress. */
    boolean connecting() {
        return !connectsInProgress.isEmpty();
    }

    /** On the loop: the number of the last connect begun. */
    long lastConnectBegun() {
        return connectsBegun;
    }

    void add(Closer c) {
        open.add(c);
    }

    void remove(Closer c) {
        open.remove(c);
    }

    /** How many are open (for tests). */
    int size() {
        return open.size();
    }

    /** Closes everything left open. */
    void closeAll() {
        for (Closer c : new ArrayList<>(open)) {
            open.remove(c);
            c.closeNow();
        }
    }
}
