package org.aio4j.bench;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The workloads on bare virtual threads and {@code java.util.concurrent}, without an event loop: the floor an
 * event loop on virtual threads pays its scheduling on top of. Threads run in parallel here (on the JDK's default
 * scheduler), so shared counters are atomic; the answers are the same as the loop's. The switch alternates by
 * construction (a thread counts a turn only once the other has handed it over); spawn-gather and semaphore have no
 * FIFO order to check their suspensions by, as the event-loop peers do: their {@link Thread#yield()} unmounts the
 * thread and submits it to the scheduler again (the JDK's {@code VirtualThread.tryYield}), nothing pinning it here.
 */
public final class VirtualThreadWorkloads implements Workloads {

    /** One hand-off of {@link Workload#PING_PONG}: the counter and the future to answer on ({@code null} ends it). */
    private record Message(long value, CompletableFuture<Message> reply) {
    }

    /** The item that tells a {@link Workload#QUEUE} worker to stop. */
    private static final Long STOP = -1L;

    @Override
    public String name() {
        return "vthreads";
    }

    @Override
    public boolean supports(Workload workload) {
        return workload != Workload.CALL_SOON;
    }

    @Override
    public long run(Workload workload, int n) throws Exception {
        return switch (workload) {
            case SWITCH -> switching(n);
            case SPAWN_GATHER -> spawnGather(n);
            case PING_PONG -> pingPong(n);
            case QUEUE -> queue(n);
            case SEMAPHORE -> semaphore(n);
            case CALL_SOON -> throw new UnsupportedOperationException(name() + " has no event loop to call soon on");
        };
    }

    /** Two threads taking turns, each turn a park of one and an unpark of the other: the smallest real switch. */
    static long switching(int n) throws InterruptedException {
        AtomicInteger turn = new AtomicInteger();
        Thread[] players = new Thread[2];
        long[] counts = new long[2];
        for (int p = 0; p < 2; p++) {
            int me = p;
            players[p] = Thread.ofVirtual().unstarted(() -> {
                Thread other = players[1 - me];
                for (int i = 0; i < n; i++) {
                    while (turn.get() != me) {
                        LockSupport.park();
                    }
                    counts[me]++;
                    turn.set(1 - me);
                    LockSupport.unpark(other);
                }
            });
        }
        for (Thread t : players) {
            t.start();
        }
        for (Thread t : players) {
            t.join();
        }
        return counts[0] + counts[1];
    }

    static long spawnGather(int n) throws InterruptedException {
        Thread[] threads = new Thread[n];
        long[] results = new long[n];
        for (int i = 0; i < n; i++) {
            int index = i;
            threads[i] = Thread.ofVirtual().start(() -> {
                Thread.yield();
                results[index] = index;
            });
        }
        long sum = 0;
        for (int i = 0; i < n; i++) {
            threads[i].join();
            sum += results[i];
        }
        return sum;
    }

    static long pingPong(int n) throws InterruptedException {
        CompletableFuture<Message> first = new CompletableFuture<>();
        Thread ponger = Thread.ofVirtual().start(() -> {
            CompletableFuture<Message> inbox = first;
            for (;;) {
                Message m = inbox.join();
                if (m.reply() == null) {
                    return;
                }
                inbox = new CompletableFuture<>();
                m.reply().complete(new Message(m.value() + 1, inbox));
            }
        });
        long[] result = new long[1];
        Thread pinger = Thread.ofVirtual().start(() -> {
            long value = 0;
            CompletableFuture<Message> toPonger = first;
            for (int i = 0; i < n; i++) {
                CompletableFuture<Message> mine = new CompletableFuture<>();
                toPonger.complete(new Message(value + 1, mine));
                Message answer = mine.join();
                value = answer.value();
                toPonger = answer.reply();
            }
            toPonger.complete(new Message(value, null));
            result[0] = value;
        });
        pinger.join();
        ponger.join();
        return result[0];
    }

    static long queue(int n) throws InterruptedException {
        BlockingQueue<Long> queue = new ArrayBlockingQueue<>(Workload.QUEUE_MAXSIZE);
        AtomicLong sum = new AtomicLong();
        Thread[] workers = new Thread[Workload.QUEUE_WORKERS];
        for (int w = 0; w < workers.length; w++) {
            workers[w] = Thread.ofVirtual().start(() -> {
                long mine = 0;
                try {
                    for (Long item = queue.take(); item != STOP; item = queue.take()) {
                        mine += item;
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException("queue worker interrupted", e);
                }
                sum.addAndGet(mine);
            });
        }
        Thread producer = Thread.ofVirtual().start(() -> {
            try {
                for (long i = 0; i < n; i++) {
                    queue.put(i);
                }
                for (int w = 0; w < workers.length; w++) {
                    queue.put(STOP);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException("queue producer interrupted", e);
            }
        });
        producer.join();
        for (Thread w : workers) {
            w.join();
        }
        return sum.get();
    }

    static long semaphore(int n) throws InterruptedException {
        Semaphore semaphore = new Semaphore(Workload.SEMAPHORE_PERMITS, true);
        AtomicInteger active = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicLong sum = new AtomicLong();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            long index = i;
            threads[i] = Thread.ofVirtual().start(() -> {
                semaphore.acquireUninterruptibly();
                try {
                    peak.accumulateAndGet(active.incrementAndGet(), Math::max);
                    Thread.yield();
                    active.decrementAndGet();
                    sum.addAndGet(index);
                } finally {
                    semaphore.release();
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        if (peak.get() > Workload.SEMAPHORE_PERMITS) {
            throw new IllegalStateException("Semaphore(" + Workload.SEMAPHORE_PERMITS + ") let " + peak.get()
                    + " threads in at once");
        }
        return sum.get();
    }
}
