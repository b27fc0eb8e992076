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

    /**
     * How long the loop's close waits for the streams still sending what was written to them while none of them sends
     * anything (their peers take nothing): then it closes them, dropping what is left. Long enough for a peer that
     * reads slowly but steadily: a writing thread blocked on a full TCP send buffer (up to 4 MiB on Linux) is woken
     * only once a third of it has drained, so a peer that takes 1 MB/s shows progress about every 1.3 s.
     */
    static final long FLUSH_STALL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    /** Something the loop closes when it closes. */
    interface Closer {

        /**
         * The loop's close, first step, on the closing thread: starts sending what was written and not yet sent, to
         * close once it is sent; {@link #closeNow()} follows. Nothing to do for what sends nothing.
         */
        default void flushBeforeClose() {
        }

        /** Whether it is still sending what was written before {@link #flushBeforeClose()}. */
        default boolean flushing() {
            return false;
        }

        /** A count that grows as it sends (bytes or datagrams sent so far). */
        default long flushProgress() {
            return 0;
        }

        /** Waits up to {@code nanos} for it to have sent everything; returns early once it has. */
        default void awaitFlushed(long nanos) throws InterruptedException {
        }

        /** Closes it at once, from any thread, dropping what is not written; does nothing if it is closed. */
        void closeNow();
    }

    private final Set<Closer> open = ConcurrentHashMap.newKeySet();
    /**
     * The streams started whose loss the loop has not processed yet (still open, or closed with the loss posted):
     * {@link #closeAll()} delivers it to those left, whose posts the closed loop refuses, so that their readers see
     * the end of the stream and their writers are closed.
     */
    private final Set<StreamTransport> unsettled = ConcurrentHashMap.newKeySet();
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

    /** On the loop: {@code t} is started; its loss is to be delivered. */
    void started(StreamTransport t) {
        unsettled.add(t);
    }

    /** On the loop (or the thread closing it): the loss of {@code t} is delivered. */
    void settled(StreamTransport t) {
        unsettled.remove(t);
    }

    /** How many are open (for tests). */
    int size() {
        return open.size();
    }

    /**
     * Closes everything left open, on the thread closing the loop. What was written to a connection (or a datagram
     * endpoint) and is not sent yet is sent first, as asyncio hands what a program writes to the system as it writes
     * it: a program that wrote and ended has sent what it wrote. The wait lasts while the streams send; once none has
     * sent anything for {@link #FLUSH_STALL_NANOS} (their peers take nothing), or if the closing thread is
     * interrupted, they are closed with what is left dropped.
     */
    void closeAll() {
        var all = new ArrayList<>(open);
        for (Closer c : all) {
            c.flushBeforeClose();
        }
        awaitFlushes(all);
        // What sends nothing first (servers, and children, killed): closing a child's stdin waits for its writing
        // thread's write (the JDK's pipe holds its lock while it writes), which ends once the child is gone.
        for (boolean streams : new boolean[] {false, true}) {
            for (Closer c : all) {
                if ((c instanceof StreamTransport) == streams) {
                    open.remove(c);
                    c.closeNow();
                }
            }
        }
        // Every stream is closed now (by this close, or by itself once the loop refused its posts): its reader and
        // writer learn of it here, as the loop would have from the post, which nothing will run.
        for (StreamTransport t : new ArrayList<>(unsettled)) {
            t.closeNow();
            t.deliverAbortNow();
        }
    }

    private static void awaitFlushes(java.util.List<Closer> all) {
        long seen = -1;
        try {
            for (;;) {
                var flushing = new ArrayList<Closer>();
                long progress = 0;
                for (Closer c : all) {
                    progress += c.flushProgress(); // of all: it only grows, so an equal sum means none sent anything
                    if (c.flushing()) {
                        flushing.add(c);
                    }
                }
                if (flushing.isEmpty() || progress == seen) {
                    return; // all sent, or nothing sent for FLUSH_STALL_NANOS
                }
                seen = progress;
                long deadline = System.nanoTime() + FLUSH_STALL_NANOS;
                for (Closer c : flushing) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    c.awaitFlushed(left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closed at once: what is not sent is dropped
        }
    }
}
