package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many offloaded calls on a small fixed pool, on a virtual clock: calls that return at once and calls blocked in
 * {@link Future#get()} on loop futures that timers or sleeping tasks settle, submitted at time 0 and later, some
 * cancelled while they wait in the pool's queue or while they block. The pool's threads are often all blocked with
 * calls queued behind them: the clock must then jump (they wait for the loop), and must not while a thread is free
 * to take a queued call. So every call runs exactly when a pool of real threads on the real clock would run it, and
 * the test computes when that is: the pool runs the calls in submission order, each on the thread free first; a
 * call blocked in get() ends when its future is settled or when its cancellation interrupts it; a call cancelled in
 * the queue is skipped. Exact checks: each call's outcome and the loop time when its future became done, how many
 * times it ran (0 or 1) and whether it was interrupted, the result of each cancel(), and the final time. Seeded;
 * the seed is in every failure message.
 */
class QueuedBehindBlockedCallsStressTest {

    private static final int CALLS = 200;
    private static final int STEPS = 40;

    /** One call: what it does, when it is submitted and cancelled, and what was seen of it. */
    private static final class Call {
        final int id;
        final boolean get; // blocks in get() on its target; otherwise returns at once
        final double submitAt; // 0, or a quarter step
        final double settleAt; // get: when its target is settled (a whole step)
        final boolean settleFails;
        final boolean settledByTimer;
        final double cancelAt; // NaN, or a half step (no two calls share one)
        Future<Integer> target;
        Future<Integer> future;
        final AtomicInteger ran = new AtomicInteger();
        final AtomicInteger interrupted = new AtomicInteger();
        volatile Throwable ownError;
        double doneAt = Double.NaN;
        boolean cancelReturned;

        Call(int id, boolean get, double submitAt, double settleAt, boolean settleFails, boolean settledByTimer,
             double cancelAt) {
            this.id = id;
            this.get = get;
            this.submitAt = submitAt;
            this.settleAt = settleAt;
            this.settleFails = settleFails;
            this.settledByTimer = settledByTimer;
            this.cancelAt = cancelAt;
        }

        @Override
        public String toString() {
            return "call " + id + (get ? " get(settled at " + settleAt + ")" : " return") + " submitted at "
                    + submitAt + (Double.isNaN(cancelAt) ? "" : ", cancelled at " + cancelAt);
        }
    }

    /** What the simulated pool says of a call. */
    private record Expected(double doneAt, boolean cancelled, boolean ran, boolean interrupted) {
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang fails instead of stalling the build
    void eachCallRunsWhenAPoolOfRealThreadsWould(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        int threads = 1 + random.nextInt(4);
        List<Double> cancelSlots = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            cancelSlots.add(s + 0.5);
        }
        Collections.shuffle(cancelSlots, random);
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            boolean get = random.nextInt(100) < 60;
            double submitAt = random.nextInt(10) < 7 ? 0 : random.nextInt(STEPS) + 0.25;
            double cancelAt = !cancelSlots.isEmpty() && random.nextInt(6) == 0 ? cancelSlots.removeLast() : Double.NaN;
            if (cancelAt < submitAt) {
                cancelAt = Double.NaN; // not cancelled before it exists
            }
            calls.add(new Call(i, get, submitAt, 1 + random.nextInt(STEPS), random.nextInt(4) == 0,
                    random.nextBoolean(), cancelAt));
        }
        // Submission order: by time, then by id (the order of the main task's loop, and of each submitting task's).
        List<Call> order = new ArrayList<>(calls);
        order.sort((a, b) -> a.submitAt != b.submitAt ? Double.compare(a.submitAt, b.submitAt)
                : Integer.compare(a.id, b.id));
        Expected[] expected = simulate(order, threads);

        ExecutorService pool = Executors.newFixedThreadPool(threads);
        double endTime;
        try {
            endTime = TestLoops.runVirtual(() -> {
                EventLoop loop = Aio.getRunningLoop();
                List<Future<?>> all = new ArrayList<>();
                for (Call c : calls) {
                    if (c.get) {
                        all.add(settle(c, loop));
                    }
                }
                TreeMap<Double, List<Call>> waves = new TreeMap<>();
                for (Call c : order) {
                    if (c.submitAt == 0) {
                        submit(c, loop, pool);
                    } else {
                        waves.computeIfAbsent(c.submitAt, k -> new ArrayList<>()).add(c);
                    }
                }
                waves.forEach((at, wave) -> all.add(Aio.createTask(() -> {
                    Aio.sleep(at);
                    for (Call c : wave) {
                        submit(c, loop, pool);
                    }
                    return null;
                }, "submits at " + at)));
                all.add(Aio.createTask(() -> {
                    List<Call> cancelled = new ArrayList<>(calls.stream().filter(c -> !Double.isNaN(c.cancelAt))
                            .toList());
                    cancelled.sort((a, b) -> Double.compare(a.cancelAt, b.cancelAt));
                    for (Call c : cancelled) {
                        Aio.sleep(c.cancelAt - loop.time());
                        c.cancelReturned = c.future.cancel();
                    }
                    return null;
                }, "canceller"));
                Aio.gatherWithExceptions(all).await();
                List<Future<Integer>> futures = new ArrayList<>();
                for (Call c : calls) {
                    futures.add(c.future);
                }
                Aio.gatherWithExceptions(futures).await(); // the calls queued last end with the last settlement
                return loop.time();
            });
        } finally {
            pool.shutdown();
        }
        assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).as(description + ": the pool's calls ended").isTrue();

        List<String> problems = new ArrayList<>();
        double lastEvent = 0;
        for (Call c : calls) {
            Expected e = expected[c.id];
            lastEvent = Math.max(lastEvent, Math.max(c.get ? c.settleAt : 0, Double.isNaN(c.cancelAt) ? 0 : c.cancelAt));
            lastEvent = Math.max(lastEvent, c.submitAt);
            if (c.doneAt != e.doneAt) {
                problems.add(c + ": done at " + c.doneAt + ", expected at " + e.doneAt);
            }
            if (c.future.isCancelled() != e.cancelled || c.cancelReturned != e.cancelled) {
                problems.add(c + ": cancelled " + c.future.isCancelled() + ", cancel() returned " + c.cancelReturned
                        + ", expected " + e.cancelled);
            }
            if (c.ran.get() != (e.ran ? 1 : 0)) {
                problems.add(c + ": ran " + c.ran + " times, expected " + (e.ran ? 1 : 0));
            }
            if (c.interrupted.get() != (e.interrupted ? 1 : 0)) {
                problems.add(c + ": interrupted " + c.interrupted + " times, expected " + (e.interrupted ? 1 : 0));
            }
            if (!e.cancelled) {
                if (c.get && c.settleFails) {
                    Throwable error = c.future.exception();
                    if (!(error instanceof ExecutionException) || error.getCause() != c.ownError) {
                        problems.add(c + ": failed with " + error);
                    }
                } else if (c.future.exception() != null || c.future.result() != c.id) {
                    problems.add(c + ": ended " + c.future);
                }
            }
        }
        assertThat(problems).as(description + ", " + threads + " thread(s)").isEmpty();
        assertThat(endTime).as(description + ": the clock ends at the last event").isEqualTo(lastEvent);
    }

    /**
     * The pool of {@code threads} threads, by hand: each call in submission order goes to the thread free first, and
     * starts when that thread is free and the call is submitted. Starts happen at 0, at whole steps (a future
     * settled), at quarter steps (a submission) or at half steps (a cancellation freed a thread), and no two calls
     * are cancelled at the same half step: a call's start is never its cancellation.
     */
    private static Expected[] simulate(List<Call> order, int threads) {
        var expected = new Expected[order.size()];
        var free = new PriorityQueue<Double>();
        for (int t = 0; t < threads; t++) {
            free.add(0.0);
        }
        for (Call c : order) {
            double start = Math.max(free.poll(), c.submitAt);
            boolean cancels = !Double.isNaN(c.cancelAt);
            if (cancels && c.cancelAt < start) { // still queued: skipped when its turn comes
                expected[c.id] = new Expected(c.cancelAt, true, false, false);
                free.add(start);
                continue;
            }
            double end = c.get ? Math.max(start, c.settleAt) : start;
            if (cancels && c.cancelAt < end) { // blocked in get(): interrupted
                expected[c.id] = new Expected(c.cancelAt, true, true, true);
                free.add(c.cancelAt);
                continue;
            }
            expected[c.id] = new Expected(end, false, true, false);
            free.add(end);
        }
        return expected;
    }

    /** Settles {@code c}'s target at {@code c.settleAt}, from a timer or a sleeping task; returns what to await. */
    private static Future<?> settle(Call c, EventLoop loop) {
        Future<Integer> target = loop.createFuture();
        c.target = target;
        if (c.settleFails) {
            c.ownError = new IllegalStateException("target of call " + c.id);
        }
        Runnable settle = () -> {
            if (c.settleFails) {
                target.setException(c.ownError);
                target.exception(); // retrieved: its call may have been cancelled
            } else {
                target.setResult(c.id);
            }
        };
        if (c.settledByTimer) {
            Future<Void> fired = loop.createFuture();
            loop.callLater(c.settleAt, () -> {
                settle.run();
                fired.setResult(null);
            });
            return fired;
        }
        return Aio.createTask(() -> {
            Aio.sleep(c.settleAt);
            settle.run();
            return null;
        }, "settles the target of call " + c.id);
    }

    private static void submit(Call c, EventLoop loop, ExecutorService pool) {
        c.future = loop.runInExecutor(pool, () -> {
            c.ran.incrementAndGet();
            if (!c.get) {
                return c.id;
            }
            try {
                return c.target.get();
            } catch (InterruptedException e) {
                c.interrupted.incrementAndGet();
                throw e;
            }
        });
        c.future.addDoneCallback(f -> c.doneAt = loop.time());
    }
}
