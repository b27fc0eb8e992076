package org.aio4j.bench;

import java.util.ArrayList;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.Future;
import org.aio4j.Queue;
import org.aio4j.Semaphore;
import org.aio4j.Task;

/**
 * The workloads on aio4j, written as an asyncio user would write them (and as {@code asyncio_workloads.py} does):
 * each run is one {@link Aio#run} on a new loop, so a run includes the loop's creation and closing, as
 * {@code asyncio.run()} does in Python.
 */
public final class AioWorkloads implements Workloads {

    /** One hand-off of {@link Workload#PING_PONG}: the counter and the future to answer on ({@code null} ends it). */
    private record Message(long value, Future<Message> reply) {
    }

    /** The item that tells a {@link Workload#QUEUE} worker to stop (compared by identity, as Python's sentinel). */
    private static final Long STOP = -1L;

    @Override
    public String name() {
        return "aio4j";
    }

    @Override
    public boolean supports(Workload workload) {
        return true;
    }

    @Override
    public long run(Workload workload, int n) throws Exception {
        return switch (workload) {
            case SWITCH -> Aio.run(() -> switching(n));
            case SPAWN_GATHER -> Aio.run(() -> spawnGather(n));
            case PING_PONG -> Aio.run(() -> pingPong(n));
            case CALL_SOON -> Aio.run(() -> callSoon(n));
            case QUEUE -> Aio.run(() -> queue(n));
            case SEMAPHORE -> Aio.run(() -> semaphore(n));
        };
    }

    static long switching(int n) throws Exception {
        int[] last = {-1}; // which task resumed last: a switch counts only if the other one ran meanwhile
        Task<Long> a = Aio.createTask(() -> sleepZero(n, 0, last));
        Task<Long> b = Aio.createTask(() -> sleepZero(n, 1, last));
        return a.await() + b.await();
    }

    private static long sleepZero(int n, int me, int[] last) {
        long switches = 0;
        for (int i = 0; i < n; i++) {
            Aio.sleep(0);
            if (last[0] != me) {
                switches++;
            }
            last[0] = me;
        }
        return switches;
    }

    static long spawnGather(int n) throws Exception {
        List<Task<Long>> tasks = new ArrayList<>(n);
        int[] started = {0}; // in the loop's FIFO order all have started before the first resumes
        for (int i = 0; i < n; i++) {
            long index = i;
            tasks.add(Aio.createTask(() -> {
                started[0]++;
                Aio.sleep(0);
                if (started[0] != n) {
                    throw new IllegalStateException("task " + index + " resumed before all " + n
                            + " tasks had started: its sleep(0) did not suspend it");
                }
                return index;
            }));
        }
        long sum = 0;
        for (long v : Aio.gather(tasks).await()) {
            sum += v;
        }
        return sum;
    }

    static long pingPong(int n) throws Exception {
        EventLoop loop = Aio.getRunningLoop();
        Future<Message> first = loop.createFuture();
        Task<Void> ponger = Aio.createTask(() -> {
            Future<Message> inbox = first;
            for (;;) {
                Message m = inbox.await();
                if (m.reply() == null) {
                    return;
                }
                inbox = loop.createFuture();
                m.reply().setResult(new Message(m.value() + 1, inbox));
            }
        });
        long value = 0;
        Future<Message> toPonger = first;
        for (int i = 0; i < n; i++) {
            Future<Message> mine = loop.createFuture();
            toPonger.setResult(new Message(value + 1, mine));
            Message answer = mine.await();
            value = answer.value();
            toPonger = answer.reply();
        }
        toPonger.setResult(new Message(value, null));
        ponger.await();
        return value;
    }

    static long callSoon(int n) throws Exception {
        EventLoop loop = Aio.getRunningLoop();
        Future<Long> done = loop.createFuture();
        long[] sum = {0};
        for (int i = 0; i < n; i++) {
            long index = i;
            loop.callSoon(() -> {
                sum[0] += index;
                if (index == n - 1) {
                    done.setResult(sum[0]);
                }
            });
        }
        return done.await();
    }

    static long queue(int n) throws Exception {
        Queue<Long> queue = new Queue<>(Workload.QUEUE_MAXSIZE);
        List<Task<Long>> workers = new ArrayList<>(Workload.QUEUE_WORKERS);
        for (int w = 0; w < Workload.QUEUE_WORKERS; w++) {
            workers.add(Aio.createTask(() -> {
                long mine = 0;
                for (Long item = queue.get(); item != STOP; item = queue.get()) {
                    mine += item;
                }
                return mine;
            }));
        }
        for (long i = 0; i < n; i++) {
            queue.put(i);
        }
        for (int w = 0; w < Workload.QUEUE_WORKERS; w++) {
            queue.put(STOP);
        }
        long sum = 0;
        for (long mine : Aio.gather(workers).await()) {
            sum += mine;
        }
        return sum;
    }

    static long semaphore(int n) throws Exception {
        Semaphore semaphore = new Semaphore(Workload.SEMAPHORE_PERMITS);
        int[] active = {0};
        int[] peak = {0};
        long[] sum = {0};
        List<Task<Void>> tasks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long index = i;
            tasks.add(Aio.createTask(() -> {
                try (var _ = semaphore.acquire()) {
                    peak[0] = Math.max(peak[0], ++active[0]);
                    Aio.sleep(0);
                    active[0]--;
                    sum[0] += index;
                }
            }));
        }
        Aio.gather(tasks).await();
        if (peak[0] > Workload.SEMAPHORE_PERMITS) {
            throw new IllegalStateException("Semaphore(" + Workload.SEMAPHORE_PERMITS + ") let " + peak[0]
                    + " tasks in at once");
        }
        Workload.checkHoldersSuspended(peak[0], n);
        return sum[0];
    }
}
