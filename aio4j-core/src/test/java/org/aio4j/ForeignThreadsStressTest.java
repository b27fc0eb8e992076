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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The loop's doors to other threads, used from many platform threads at once while tasks are cancelled at random:
 * {@link EventLoop#wrapFuture} and {@link Aio#await(java.util.concurrent.CompletionStage)} on stages completed by
 * other threads, {@link EventLoop#callSoonThreadsafe}, and {@link Aio#toThread}. Exact counts: every stage ends exactly
 * one way (completed by its thread, or cancelled through its cancelled task), every task that was not cancelled gets
 * exactly what its thread delivered, every error of an offloaded call reaches its task or the exception handler once.
 * ({@link Future#get()} from many threads: CoreContractsTest.) Seeded; the seed is in every failure message.
 */
class ForeignThreadsStressTest {

    private static final int THREADS = 8;

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void stagesCompletedByOtherThreadsEndExactlyOneWay(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        int n = 2_000;
        var random = new Random(seed);
        List<CompletableFuture<Integer>> stages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            stages.add(new CompletableFuture<>());
        }
        // completedBy[i]: "value", "error" if the stage's thread completed it, null if the thread found it cancelled.
        var completedBy = new AtomicReferenceArray<String>(n);
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        var posted = new AtomicInteger();
        int[] ranPosted = {0};

        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            List<Task<Integer>> tasks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                CompletableFuture<Integer> stage = stages.get(i);
                boolean wrapped = random.nextBoolean();
                tasks.add(Aio.createTask(() -> wrapped ? loop.wrapFuture(stage).await() : Aio.await(stage)));
            }
            Aio.sleep(0); // every task waits on its stage now
            var start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                var threadRandom = new Random(seed + t);
                threads.add(Thread.ofPlatform().start(() -> {
                    awaitLatch(start);
                    for (int i = id; i < n; i += THREADS) {
                        boolean fails = threadRandom.nextInt(4) == 0;
                        boolean done = fails ? stages.get(i).completeExceptionally(new IllegalStateException("e" + i))
                                : stages.get(i).complete(i);
                        if (done) {
                            completedBy.set(i, fails ? "error" : "value");
                        }
                        loop.callSoonThreadsafe(() -> ranPosted[0]++);
                        posted.incrementAndGet();
                    }
                }));
            }
            try (var _ = loop.expectExternal()) { // virtual time waits for the threads
                start.countDown();
                for (int k = 0; k < n / 4; k++) { // cancel while the threads complete
                    tasks.get(random.nextInt(n)).cancel();
                    if (k % 16 == 0) {
                        Aio.sleep(0);
                    }
                }
                Aio.toThread(() -> {
                    for (Thread t : threads) {
                        t.join();
                    }
                    return null;
                });
            }
            Aio.gatherWithExceptions(tasks).await();
            Aio.sleep(0); // the last callSoonThreadsafe callbacks
            for (int i = 0; i < n; i++) {
                Task<Integer> task = tasks.get(i);
                CompletableFuture<Integer> stage = stages.get(i);
                String by = completedBy.get(i);
                if (by == null && !stage.isCancelled()) {
                    problems.add(i + ": the stage was neither completed by its thread nor cancelled: " + stage);
                }
                if (by != null && stage.isCancelled()) {
                    problems.add(i + ": the stage was completed by its thread and cancelled");
                }
                if (!task.isCancelled()) {
                    Object got = task.exception() != null ? "error" : "value";
                    if (!got.equals(by) || ("value".equals(by) && task.result() != i)) {
                        problems.add(i + ": the thread delivered " + by + ", the task ended " + task);
                    }
                } else {
                    if (by == null && !stage.isCancelled()) {
                        problems.add(i + ": the task was cancelled but its stage was not: " + stage);
                    }
                    // Cancelled after its stage failed but before it resumed: the error rides along.
                    CancellationException cancellation = null;
                    try {
                        task.exception();
                    } catch (CancellationException e) {
                        cancellation = e;
                    }
                    if (cancellation == null || cancellation.getSuppressed().length > 0 && !"error".equals(by)) {
                        problems.add(i + ": the task was cancelled and carries " + cancellation + ", its thread"
                                + " delivered " + by);
                    }
                }
            }
            return null;
        });

        assertThat(problems).as(description).isEmpty();
        assertThat(posted.get()).as(description).isEqualTo(n);
        assertThat(ranPosted[0]).as(description + ": callSoonThreadsafe callbacks run").isEqualTo(n);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void toThreadCallsFromManyTasksUnderRandomCancellation(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        int n = 1_000;
        var random = new Random(seed);
        var ran = new AtomicInteger();
        var thrown = new ConcurrentLinkedQueue<Throwable>();
        List<Throwable> toTasks = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        List<String> problems = new ArrayList<>();

        TestLoops.runVirtual(reports, () -> {
            List<Task<Integer>> tasks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int value = i;
                boolean fails = random.nextInt(5) == 0;
                int spins = random.nextInt(20_000); // deaf to interrupts: widens the window for a cancellation
                tasks.add(Aio.createTask(() -> Aio.toThread(() -> {
                    ran.incrementAndGet();
                    for (int k = 0; k < spins; k++) {
                        Thread.onSpinWait();
                    }
                    if (fails) {
                        var e = new IllegalStateException("call " + value);
                        thrown.add(e);
                        throw e;
                    }
                    return value;
                })));
            }
            for (int k = 0; k < n / 3; k++) {
                tasks.get(random.nextInt(n)).cancel();
                if (k % 8 == 0) {
                    Aio.sleep(0);
                }
            }
            Aio.gatherWithExceptions(tasks).await();
            int delivered = 0;
            for (int i = 0; i < n; i++) {
                Task<Integer> task = tasks.get(i);
                if (task.isCancelled()) {
                    try {
                        task.exception();
                    } catch (CancellationException e) {
                        // Cancelled after the call failed but before the task resumed: the error rides along.
                        toTasks.addAll(List.of(e.getSuppressed()));
                    }
                    continue;
                }
                delivered++;
                if (task.exception() != null) {
                    toTasks.add(task.exception());
                }
                if (task.exception() == null ? task.result() != i
                        : !("call " + i).equals(task.exception().getMessage())) {
                    problems.add(i + ": the task ended " + task);
                }
            }
            if (ran.get() < delivered) {
                problems.add(delivered + " tasks got a call's outcome, but only " + ran.get() + " calls ran");
            }
            return null;
        });

        assertThat(problems).as(description).isEmpty();
        // Each error of a call reaches its task (attached to its cancellation, if that came after the error), or the
        // exception handler, if the call failed after the cancellation.
        List<Throwable> delivered = new ArrayList<>(toTasks);
        for (ExceptionContext r : reports) {
            assertThat(r.message()).as(description).isEqualTo("Offloaded call failed after its future was cancelled");
            delivered.add(r.exception());
        }
        List<String> lost = thrown.stream().filter(e -> delivered.stream().noneMatch(d -> d == e))
                .map(Throwable::getMessage).toList();
        assertThat(lost).as(description + ": call errors delivered nowhere").isEmpty();
        assertThat(delivered).as(description + ": each call error delivered once").hasSize(thrown.size());
    }

    /**
     * {@link Handle#cancel()} and {@link TimerHandle#cancel()} from 16 platform threads at once: the plain handles
     * while the loop is held by the task that scheduled them (so every cancel comes before the loop reaches its
     * handle), the timers while the loop runs and handles the cancels that reach it (the virtual clock waits for the
     * threads, so none is due meanwhile). Exactly the callbacks that were not cancelled run, each once, and the
     * loop's count of live timers matches (each timer cancelled once or twice, from two threads).
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void handlesCancelledFromSixteenThreadsAreDroppedExactly(long seed) throws Exception {
        String description = StressSeeds.describe(seed);
        int threadCount = 16;
        int n = 4_000;
        var random = new Random(seed);
        boolean[] cancel = new boolean[n];
        for (int i = 0; i < n; i++) {
            cancel[i] = random.nextInt(3) != 0;
        }
        var thrown = new ConcurrentLinkedQueue<Throwable>();
        List<Integer> ranSoon = new ArrayList<>();
        List<Integer> ranLater = new ArrayList<>();
        int[] liveTimers = new int[2];

        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            List<Handle> soon = new ArrayList<>();
            List<TimerHandle> later = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                soon.add(loop.callSoon(() -> ranSoon.add(id)));
                later.add(loop.callLater(1 + i, () -> ranLater.add(id)));
            }
            // The plain handles: the loop is held by this task until every thread is done.
            for (Thread t : cancellers(threadCount, soon, cancel, thrown)) {
                t.join();
            }
            // The timers: this task waits, the loop runs the cancels posted to it while the threads go on.
            try (var _ = loop.expectExternal()) {
                List<Thread> threads = cancellers(threadCount, later, cancel, thrown);
                Aio.toThread(() -> {
                    for (Thread t : threads) {
                        t.join();
                    }
                    return null;
                });
            }
            Aio.sleep(0); // the last cancels posted to the loop
            liveTimers[0] = loop.timers.live();
            Aio.sleep(n + 1);
            liveTimers[1] = loop.timers.live();
            return null;
        });

        assertThat(thrown).as(description).isEmpty();
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!cancel[i]) {
                expected.add(i);
            }
        }
        assertThat(ranSoon).as(description + ": plain handles run").isEqualTo(expected);
        assertThat(ranLater).as(description + ": timers run").isEqualTo(expected);
        assertThat(liveTimers).as(description + ": live timers after the cancels, at the end")
                .containsExactly(expected.size(), 0);
    }

    /**
     * Starts {@code threadCount} platform threads that cancel, at once, the handles {@code cancel} marks: thread t
     * those whose index is t modulo {@code threadCount}, and every fifth of them again those of thread t + 1.
     */
    private static List<Thread> cancellers(int threadCount, List<? extends Handle> handles, boolean[] cancel,
            ConcurrentLinkedQueue<Throwable> thrown) {
        var start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < threadCount; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> {
                awaitLatch(start);
                try {
                    for (int i = 0; i < handles.size(); i++) {
                        int owner = i % threadCount;
                        if (cancel[i] && (owner == id || owner == (id + threadCount - 1) % threadCount && i % 5 == 0)) {
                            handles.get(i).cancel();
                        }
                    }
                } catch (Throwable e) {
                    thrown.add(e);
                }
            }));
        }
        start.countDown();
        return threads;
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
