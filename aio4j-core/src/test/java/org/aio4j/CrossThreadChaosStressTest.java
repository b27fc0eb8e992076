package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every thread-safe door of a running loop used at once by six platform and six virtual threads, while one of them
 * closes the loop at a random moment (a close refused while it runs, then {@code stop()} and a close from that
 * thread, racing the others): {@code callSoonThreadsafe}, {@code runCoroutineThreadsafe} with random cancels and
 * {@code get()}s, timers made on the loop and cancelled from the thread, {@link Future#get()} on a loop future, and
 * {@code toString()}/{@code getStack()}/{@code dumpTasks()} read from outside. Exact outcomes: every post accepted
 * runs exactly once and a refused one never; every submission is settled; no thread stays blocked, none is left
 * registered in a {@code get()}, the inbox is empty; nothing is reported but the tasks the close cancels. Found
 * nothing when written (about a hundred closes); kept for the combination, which no other test makes. Seeded; the
 * seed is in every failure.
 */
class CrossThreadChaosStressTest {

    private static final long GUARD_SECONDS = 30;

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void threadsUsingEveryDoorWhileOneClosesTheLoopLoseNothingAndLeaveNothingBlocked(long seed) throws Exception {
        for (int rep = 0; rep < 4; rep++) {
            once(seed + rep * 1_000_003L);
        }
    }

    private void once(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        var random = new Random(seed);
        int threads = 12;
        int maxOps = 20_000;
        var ran = new AtomicIntegerArray(maxOps);
        var accepted = new AtomicIntegerArray(maxOps);
        var ids = new AtomicInteger();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        List<ExceptionContext> errors = Collections.synchronizedList(new ArrayList<>());
        var submissions = new ConcurrentLinkedQueue<CompletableFuture<Integer>>();
        var tasks = new ConcurrentLinkedQueue<Task<?>>();
        var timerRuns = new AtomicInteger();
        var closeBegun = new java.util.concurrent.atomic.AtomicBoolean();
        EventLoop loop = EventLoop.builder().exceptionHandler((l, ctx) -> errors.add(ctx)).build();
        var driverDone = new CountDownLatch(1);
        var go = new CountDownLatch(1);
        int stopAt = 500 + random.nextInt(maxOps / 2);
        Thread driver = Thread.ofPlatform().start(() -> {
            try {
                loop.runForever();
            } catch (Throwable e) {
                if (!closeBegun.get()) {
                    problems.add("runForever threw " + e);
                }
            } finally {
                driverDone.countDown();
            }
        });
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            var r = new Random(seed * 31 + w);
            Runnable body = () -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (;;) {
                    int id = ids.getAndIncrement();
                    if (id >= maxOps) {
                        return;
                    }
                    try {
                        switch (r.nextInt(6)) {
                            case 0, 1 -> {
                                loop.callSoonThreadsafe(() -> ran.incrementAndGet(id));
                                accepted.set(id, 1);
                            }
                            case 2 -> {
                                CompletableFuture<Integer> f = loop.runCoroutineThreadsafe(() -> {
                                    tasks.add(Aio.currentTask());
                                    if (id % 3 == 0) {
                                        Aio.sleep(0);
                                    } else if (id % 3 == 1) {
                                        Aio.sleep(0.0001);
                                    }
                                    return id;
                                });
                                accepted.set(id, 2);
                                submissions.add(f);
                                switch (r.nextInt(4)) {
                                    case 0 -> f.cancel(true);
                                    case 1 -> {
                                        try {
                                            Integer v = f.get();
                                            if (v != id) {
                                                problems.add("submission " + id + " got " + v);
                                            }
                                        } catch (CancellationException | ExecutionException e) {
                                            // the close cancelled it
                                        }
                                    }
                                    case 2 -> {
                                        try {
                                            f.get(r.nextInt(50), TimeUnit.MICROSECONDS);
                                        } catch (CancellationException | ExecutionException | TimeoutException e) {
                                            // fine
                                        }
                                    }
                                    default -> { }
                                }
                            }
                            case 3 -> {
                                var cancelNow = new CompletableFuture<TimerHandle>();
                                loop.callSoonThreadsafe(() -> cancelNow.complete(
                                        loop.callLater(r.nextInt(3) * 0.0001, timerRuns::incrementAndGet)));
                                try {
                                    cancelNow.get(GUARD_SECONDS, TimeUnit.SECONDS).cancel();
                                } catch (TimeoutException e) {
                                    if (!loop.isClosed()) {
                                        problems.add("the timer was never made");
                                    }
                                }
                            }
                            case 4 -> {
                                Future<Integer> f;
                                try {
                                    f = loop.runCoroutineThreadsafe(() -> {
                                        Future<Integer> made = Aio.getRunningLoop().createFuture();
                                        Aio.getRunningLoop().callSoon(() -> {
                                            if (!made.isDone()) {
                                                made.complete(id);
                                            }
                                        });
                                        return made;
                                    }).get();
                                } catch (CancellationException | ExecutionException e) {
                                    continue;
                                }
                                try {
                                    Integer v = f.get();
                                    if (v != id) {
                                        problems.add("future " + id + " got " + v);
                                    }
                                } catch (CancellationException | ExecutionException e) {
                                    // the close cancelled it
                                } catch (IllegalStateException e) {
                                    if (!loop.isClosed()) {
                                        problems.add("get() threw " + e + " on an open loop");
                                    }
                                }
                            }
                            default -> {
                                for (Task<?> t : tasks) {
                                    t.toString();
                                    t.getStack();
                                    if (r.nextInt(8) == 0) {
                                        break;
                                    }
                                }
                                if (r.nextInt(16) == 0) {
                                    loop.dumpTasks();
                                }
                            }
                        }
                    } catch (IllegalStateException e) {
                        if (!closeBegun.get() || !e.getMessage().startsWith("Event loop")) {
                            problems.add("op " + id + " threw " + e);
                        }
                    } catch (Throwable e) {
                        problems.add("op " + id + " threw " + e);
                    }
                    if (id == stopAt) {
                        closeBegun.set(true);
                        try {
                            loop.close();
                            if (!loop.isClosed()) {
                                problems.add("close returned with the loop open");
                            }
                        } catch (IllegalStateException running) {
                            // running: stop it and close it once it has stopped
                        }
                        loop.stop();
                        try {
                            driverDone.await();
                        } catch (InterruptedException e) {
                            return;
                        }
                        loop.close();
                    }
                }
            };
            workers.add(w % 2 == 0 ? Thread.ofPlatform().start(body) : Thread.ofVirtual().start(body));
        }
        go.countDown();
        for (Thread t : workers) {
            t.join(TimeUnit.SECONDS.toMillis(GUARD_SECONDS));
            if (t.isAlive()) {
                problems.add("worker still alive: " + t + "\n" + stack(t));
            }
        }
        driver.join(TimeUnit.SECONDS.toMillis(GUARD_SECONDS));
        loop.close();
        assertThat(problems).as(description).isEmpty();
        for (int i = 0; i < maxOps; i++) {
            if (accepted.get(i) == 1) {
                assertThat(ran.get(i)).as(description + ": post " + i + " runs").isEqualTo(1);
            } else {
                assertThat(ran.get(i)).as(description + ": refused post " + i + " runs").isZero();
            }
        }
        for (CompletableFuture<Integer> f : submissions) {
            assertThat(f).as(description).isDone();
        }
        assertThat(loop.blockedGets.isEmpty()).as(description + ": blocked gets left").isTrue();
        assertThat(loop.hasPosts()).as(description).isFalse();
        for (ExceptionContext ctx : errors) {
            if (!ctx.message().startsWith("Task was still pending when its event loop closed")) {
                problems.add("reported: " + ctx);
            }
        }
        assertThat(problems).as(description).isEmpty();
    }

    private static String stack(Thread t) {
        var out = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            out.append("\tat ").append(e).append('\n');
        }
        return out.toString();
    }
}
