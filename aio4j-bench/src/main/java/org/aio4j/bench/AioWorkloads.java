package org.aio4j.bench;

import java.util.ArrayList;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.Future;
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

    @Override
    public String name() {
        return "aio4j";
    }

    @Override
    public boolean supports(Workload workload) {
        return switch (workload) {
            case SWITCH, SPAWN_GATHER, PING_PONG, CALL_SOON -> true;
            case QUEUE, SEMAPHORE -> false; // TODO(queues): aio4j's Queue and Semaphore are not on main yet
        };
    }

    @Override
    public long run(Workload workload, int n) throws Exception {
        return switch (workload) {
            case SWITCH -> Aio.run(() -> switching(n));
            case SPAWN_GATHER -> Aio.run(() -> spawnGather(n));
            case PING_PONG -> Aio.run(() -> pingPong(n));
            case CALL_SOON -> Aio.run(() -> callSoon(n));
            case QUEUE, SEMAPHORE -> throw new UnsupportedOperationException(name() + " has no " + workload.id());
        };
    }

    static long switching(int n) throws Exception {
        Task<Long> a = Aio.createTask(() -> sleepZero(n));
        Task<Long> b = Aio.createTask(() -> sleepZero(n));
        return a.await() + b.await();
    }

    private static long sleepZero(int n) {
        long switches = 0;
        for (int i = 0; i < n; i++) {
            Aio.sleep(0);
            switches++;
        }
        return switches;
    }

    static long spawnGather(int n) throws Exception {
        List<Task<Long>> tasks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long index = i;
            tasks.add(Aio.createTask(() -> {
                Aio.sleep(0);
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
}
