package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link EventLoop#runCoroutineThreadsafe}, asyncio's {@code run_coroutine_threadsafe}: other threads hand a loop
 * coroutines and get their outcomes, cancellations passing both ways.
 */
class RunCoroutineThreadsafeTest {

    private static final long GUARD_SECONDS = 30; // a bound on hangs, not a timing assertion

    @Test
    void theTasksResultOrExceptionReachesTheSubmittingThread() throws Exception {
        try (var background = new BackgroundLoop("threadsafe-outcomes")) {
            EventLoop loop = background.loop();
            CompletableFuture<String> ok = loop.runCoroutineThreadsafe(() -> {
                Aio.sleep(0.01);
                return "from " + Aio.currentTask().getName();
            });
            assertThat(ok.get(GUARD_SECONDS, TimeUnit.SECONDS)).startsWith("from Task-");
            assertThat(ok.cancel(true)).as("a done future cannot be cancelled").isFalse();
            assertThat(ok.isCancelled()).isFalse();
            assertThat(ok.join()).startsWith("from Task-");
            var boom = new IllegalStateException("boom");
            CompletableFuture<String> failed = loop.runCoroutineThreadsafe(() -> {
                throw boom;
            });
            assertThatThrownBy(() -> failed.get(GUARD_SECONDS, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isSameAs(boom);
            background.close();
            assertThat(background.errors).as("the exception was retrieved: not reported as lost").isEmpty();
        }
    }

    /**
     * A coroutine without a result is submitted as is, as every other method taking a coroutine takes one (asyncio's
     * {@code run_coroutine_threadsafe} of an {@code async def} returning {@code None}): the future gets {@code null},
     * or the body's exception. It used to take only a {@code Coroutine}, so such a lambda needed a
     * {@code return null;} and did not compile without it.
     */
    @Test
    void aCoroutineWithoutAResultIsSubmittedAsIs() throws Exception {
        try (var background = new BackgroundLoop("threadsafe-void")) {
            EventLoop loop = background.loop();
            List<String> ran = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Void> done = loop.runCoroutineThreadsafe(() -> {
                Aio.sleep(0.01);
                ran.add(Aio.currentTask().getName());
            });
            assertThat(done.get(GUARD_SECONDS, TimeUnit.SECONDS)).isNull();
            assertThat(ran).hasSize(1);
            var boom = new java.io.IOException("boom");
            CompletableFuture<Void> failed = loop.runCoroutineThreadsafe(() -> {
                throw boom;
            });
            assertThatThrownBy(() -> failed.get(GUARD_SECONDS, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isSameAs(boom);
            assertThatThrownBy(() -> loop.runCoroutineThreadsafe((VoidCoroutine) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("coroutine must not be null");
            background.close();
            assertThat(background.errors).as("the exception was retrieved: not reported as lost").isEmpty();
        }
    }

    @Test
    void cancellingTheFutureCancelsTheTaskWhichCleansUp() throws Exception {
        try (var background = new BackgroundLoop("threadsafe-cancel")) {
            var started = new CountDownLatch(1);
            var cleanedUp = new CompletableFuture<String>();
            CompletableFuture<String> f = background.loop().runCoroutineThreadsafe(() -> {
                started.countDown();
                try {
                    new Event().await();
                    return "never";
                } catch (CancellationException e) {
                    cleanedUp.complete("cancelled at its await");
                    throw e;
                }
            });
            assertThat(started.await(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(f.cancel(true)).isTrue();
            assertThat(cleanedUp.get(GUARD_SECONDS, TimeUnit.SECONDS)).isEqualTo("cancelled at its await");
            assertThat(f.isCancelled()).isTrue();
        }
    }

    @Test
    void aTaskCancelledOnTheLoopCancelsTheFuture() throws Exception {
        try (var background = new BackgroundLoop("threadsafe-cancelled-inside")) {
            CompletableFuture<String> f = background.loop().runCoroutineThreadsafe(() -> {
                Aio.currentTask().cancel();
                Aio.sleep(0);
                return "never";
            });
            assertThatThrownBy(() -> f.get(GUARD_SECONDS, TimeUnit.SECONDS))
                    .isInstanceOf(CancellationException.class);
            assertThat(f.isCancelled()).isTrue();
        }
    }

    @Test
    void aFutureCancelledBeforeTheLoopCameToItMakesNoTask() throws Exception {
        try (var background = new BackgroundLoop("threadsafe-cancel-early")) {
            EventLoop loop = background.loop();
            var holding = new CountDownLatch(1);
            var release = new CountDownLatch(1);
            loop.callSoonThreadsafe(() -> { // holds the loop, so that the submission waits behind it
                holding.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(holding.await(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
            var ran = new AtomicInteger();
            CompletableFuture<String> f = loop.runCoroutineThreadsafe(() -> {
                ran.incrementAndGet();
                return "ran";
            });
            assertThat(f.cancel(false)).isTrue();
            release.countDown();
            // Posted after it, so run after it: by then the loop has passed the submission by.
            CompletableFuture<Integer> tasks = loop.runCoroutineThreadsafe(() -> Aio.allTasks().size());
            assertThat(tasks.get(GUARD_SECONDS, TimeUnit.SECONDS)).as("the main task and this one").isEqualTo(2);
            assertThat(ran).hasValue(0);
        }
    }

    @Test
    void aTaskLeftRunningWhenItsLoopShutsDownCancelsTheFuture() throws Exception {
        CompletableFuture<String> f;
        var started = new CountDownLatch(1);
        try (var background = new BackgroundLoop("threadsafe-shutdown")) {
            f = background.loop().runCoroutineThreadsafe(() -> {
                started.countDown();
                Aio.sleep(3600);
                return "never";
            });
            assertThat(started.await(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
        assertThatThrownBy(() -> f.get(GUARD_SECONDS, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
    }

    @Test
    void aLoopRunningForeverInAThreadOfItsOwnServesOtherThreads() throws Exception {
        // asyncio's pattern: loop.run_forever() in a background thread, run_coroutine_threadsafe from the others.
        EventLoop loop = EventLoop.builder().build();
        Thread runner = Thread.ofPlatform().name("loop-forever").start(loop::runForever);
        try {
            List<CompletableFuture<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int n = i;
                results.add(loop.runCoroutineThreadsafe(() -> {
                    Aio.sleep(0.001 * (10 - n)); // the last submitted ends first
                    return n * n;
                }));
            }
            for (int i = 0; i < 10; i++) {
                assertThat(results.get(i).get(GUARD_SECONDS, TimeUnit.SECONDS)).isEqualTo(i * i);
            }
        } finally {
            loop.callSoonThreadsafe(loop::stop);
            runner.join(TimeUnit.SECONDS.toMillis(GUARD_SECONDS));
            loop.close();
        }
        assertThat(runner.isAlive()).isFalse();
    }

    @Test
    void badCallsAreRefusedAtTheCallSite() throws Exception {
        EventLoop loop = EventLoop.builder().build();
        assertThatThrownBy(() -> loop.runCoroutineThreadsafe((Coroutine<?>) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("coroutine must not be null");
        loop.close();
        assertThatThrownBy(() -> loop.runCoroutineThreadsafe(() -> "late")).isInstanceOf(IllegalStateException.class)
                .hasMessage("Event loop is closed");
    }

    /**
     * Threads submitting at once and cancelling at random: each future ends one way, a cancelled one only if its
     * {@code cancel} returned true, every other one with its own value; each body that began ended (returned, or was
     * cancelled at its sleep), and none began for a future cancelled before the loop came to it.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void submissionsFromManyThreadsWithRandomCancellationEndExactlyOneWay(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        int threads = 8;
        int perThread = 250;
        var began = new AtomicInteger();
        var ended = new AtomicInteger();
        var successfulCancels = new AtomicInteger();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Integer>> all = Collections.synchronizedList(new ArrayList<>());
        var background = new BackgroundLoop("threadsafe-stress");
        int cancelled = 0;
        try {
            EventLoop loop = background.loop();
            var go = new CountDownLatch(1);
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                var random = new Random(seed + t);
                int base = t * perThread;
                submitters.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < perThread; i++) {
                            int value = base + i;
                            boolean sleeps = random.nextBoolean();
                            CompletableFuture<Integer> f = loop.runCoroutineThreadsafe(() -> {
                                began.incrementAndGet();
                                try {
                                    if (sleeps) {
                                        Aio.sleep(0.001);
                                    }
                                    return value;
                                } finally {
                                    ended.incrementAndGet();
                                }
                            });
                            all.add(f);
                            if (random.nextInt(3) == 0 && f.cancel(true)) {
                                successfulCancels.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        problems.add("submitter failed: " + e);
                    }
                }));
            }
            go.countDown();
            for (Thread t : submitters) {
                t.join(TimeUnit.SECONDS.toMillis(GUARD_SECONDS));
            }
            for (CompletableFuture<Integer> f : List.copyOf(all)) {
                try {
                    Integer v = f.get(GUARD_SECONDS, TimeUnit.SECONDS);
                    if (v < 0 || v >= threads * perThread) {
                        problems.add("a future got " + v);
                    }
                } catch (CancellationException e) {
                    cancelled++;
                }
            }
        } finally {
            background.close(); // a cancelled future's task may still be unwinding: the shutdown waits for it
        }
        assertThat(problems).as(description).isEmpty();
        assertThat(all).as(description).hasSize(threads * perThread);
        assertThat(cancelled).as(description + ": cancelled futures").isEqualTo(successfulCancels.get());
        assertThat(ended.get()).as(description + ": bodies ended").isEqualTo(began.get());
        assertThat(began.get()).as(description + ": bodies begun")
                .isBetween(threads * perThread - cancelled, threads * perThread);
        assertThat(background.errors).as(description).isEmpty();
    }
}
