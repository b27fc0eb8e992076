package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link EventLoop.Builder#dedicatedCarrier}: a loop's tasks on a carrier thread of its own. The whole core suite
 * also runs a second time with every loop on a dedicated carrier (the {@code dedicated-carrier} execution in the
 * module's pom); these tests check the carrier itself.
 */
class DedicatedCarrierTest {

    /** {@code VirtualThread[#31,aio4j-task]/runnable@aio4j-carrier-1}: the name after the {@code @}. */
    private static String carrierOfCurrentThread() {
        String s = Thread.currentThread().toString();
        int at = s.lastIndexOf('@');
        return at < 0 ? "?" : s.substring(at + 1);
    }

    @Test
    void tasksInterleaveAsUnderCPythonAllOnTheLoopsCarrier() throws Exception {
        List<String> lines = new ArrayList<>();
        var carriers = ConcurrentHashMap.<String>newKeySet();
        try (var loop = EventLoop.builder().dedicatedCarrier(true).build()) {
            loop.runUntilComplete(loop.createTask(() -> {
                List<Task<Void>> tasks = new ArrayList<>();
                for (String name : List.of("1", "2")) {
                    tasks.add(Aio.createTask(() -> {
                        for (String step : List.of("first", "second", "third")) {
                            carriers.add(carrierOfCurrentThread());
                            Aio.sleep(0);
                            lines.add(name + "'s " + step);
                        }
                        return null;
                    }));
                }
                Aio.gather(tasks).get();
                return null;
            }));
        }
        assertThat(lines).containsExactly("1's first", "2's first", "1's second", "2's second", "1's third",
                "2's third");
        assertThat(carriers).hasSize(1).allSatisfy(c -> assertThat(c).startsWith("aio4j-carrier-"));
    }

    @Test
    void eachLoopHasACarrierOfItsOwn() throws Exception {
        var names = new ArrayList<String>();
        for (int i = 0; i < 2; i++) {
            try (var loop = EventLoop.builder().dedicatedCarrier(true).build()) {
                names.add(loop.runUntilComplete(loop.createTask(DedicatedCarrierTest::carrierOfCurrentThread)));
            }
        }
        assertThat(names).doesNotHaveDuplicates().allSatisfy(c -> assertThat(c).startsWith("aio4j-carrier-"));
    }

    @Test
    void thePropertyDecidesForLoopsBuiltWithoutTheOption() throws Exception {
        // Run twice by the build: once plainly, once with -Daio4j.dedicatedCarrier=true for the whole suite.
        String carrier;
        try (var loop = new EventLoop()) {
            carrier = loop.runUntilComplete(loop.createTask(DedicatedCarrierTest::carrierOfCurrentThread));
        }
        if (Boolean.getBoolean("aio4j.dedicatedCarrier")) {
            assertThat(carrier).startsWith("aio4j-carrier-");
        } else {
            assertThat(carrier).startsWith("ForkJoinPool");
        }
    }

    @Test
    void offloadedWorkRunsOnTheSharedSchedulerNotOnTheLoopsCarrier() throws Exception {
        // A virtual thread takes its creator's scheduler: offloads started by a task must not inherit the carrier,
        // where a blocking or CPU-bound call would stall the whole loop.
        List<String> where;
        try (var loop = EventLoop.builder().dedicatedCarrier(true).build();
             var userExecutor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            where = loop.runUntilComplete(loop.createTask(() -> List.of(
                    Aio.toThread(DedicatedCarrierTest::carrierOfCurrentThread),
                    Aio.getRunningLoop().runInExecutor(null, DedicatedCarrierTest::carrierOfCurrentThread).get(),
                    Aio.getRunningLoop().runInExecutor(userExecutor, DedicatedCarrierTest::carrierOfCurrentThread)
                            .get())));
        }
        assertThat(where).hasSize(3).allSatisfy(c -> assertThat(c).startsWith("ForkJoinPool"));
    }

    @Test
    void aContinuationThatThrowsDoesNotStopTheCarrier() throws Exception {
        var carrier = new LoopCarrier("test-carrier");
        var reported = new java.util.concurrent.atomic.AtomicReference<Throwable>();
        var ran = new CountDownLatch(1);
        carrier.execute(() -> {
            Thread.currentThread().setUncaughtExceptionHandler((t, e) -> reported.set(e));
            throw new IllegalStateException("boom");
        });
        carrier.execute(ran::countDown);
        ran.await();
        assertThat(reported.get()).hasMessage("boom");
        carrier.shutdown();
    }

    @Test
    void anIdleCarrierEndsItsThreadEvenIfItsLoopIsNeverClosed() throws Exception {
        var carrier = new LoopCarrier("test-carrier");
        var first = new CountDownLatch(1);
        carrier.execute(first::countDown);
        first.await();
        Thread t = carrier.worker();
        assertThat(t).isNotNull();
        assertThat(t.join(Duration.ofSeconds(30))).as("idle carrier thread ends").isTrue();
        var again = new CountDownLatch(1);
        carrier.execute(again::countDown);
        again.await();
        carrier.shutdown();
    }

    @Test
    void manyTasksAQueueAndASemaphoreLoseNothing() throws Exception {
        int tasks = 20_000;
        var inside = new AtomicInteger();
        var peak = new AtomicInteger();
        long sum;
        try (var loop = EventLoop.builder().dedicatedCarrier(true).build()) {
            sum = loop.runUntilComplete(loop.createTask(() -> {
                var q = new Queue<Integer>(100);
                var sem = new Semaphore(7);
                List<Task<Long>> workers = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    workers.add(Aio.createTask(() -> {
                        long s = 0;
                        for (Integer item : q) {
                            try (var _ = sem.acquire()) {
                                peak.accumulateAndGet(inside.incrementAndGet(), Math::max);
                                Aio.sleep(0);
                                inside.decrementAndGet();
                            }
                            s += item;
                        }
                        return s;
                    }));
                }
                for (int i = 1; i <= tasks; i++) {
                    q.put(i);
                }
                q.shutdown();
                long total = 0;
                for (long s : Aio.gather(workers).get()) {
                    total += s;
                }
                return total;
            }));
        }
        assertThat(sum).isEqualTo((long) tasks * (tasks + 1) / 2);
        assertThat(peak.get()).isBetween(1, 4);
    }

    @Test
    void theCarrierRunsContinuationsFromManyThreadsExactlyOnceInTheirOrder() throws Exception {
        var carrier = new LoopCarrier("test-carrier");
        int threads = 8;
        int each = 20_000;
        var done = new CountDownLatch(threads * each);
        List<List<Integer>> seen = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            seen.add(Collections.synchronizedList(new ArrayList<>()));
        }
        var runners = ConcurrentHashMap.<String>newKeySet();
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            producers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < each; i++) {
                    int n = i;
                    carrier.execute(() -> {
                        runners.add(Thread.currentThread().getName());
                        seen.get(id).add(n);
                        done.countDown();
                    });
                }
            }));
        }
        for (Thread p : producers) {
            p.join();
        }
        done.await();
        for (List<Integer> s : seen) {
            assertThat(s).hasSize(each).isSorted();
        }
        assertThat(runners).containsExactly("test-carrier");
        carrier.shutdown();
    }

    @Test
    void aClosedCarrierEndsItsThreadAndALateContinuationStartsAnother() throws Exception {
        var carrier = new LoopCarrier("test-carrier");
        var first = new CountDownLatch(1);
        carrier.execute(first::countDown);
        first.await();
        Thread t1 = carrier.worker();
        assertThat(t1).isNotNull();
        carrier.shutdown();
        assertThat(t1.join(Duration.ofSeconds(30))).as("carrier thread ends after shutdown").isTrue();
        assertThat(carrier.worker()).isNull();

        var late = new CountDownLatch(1);
        carrier.execute(late::countDown);
        late.await(); // not stranded: a new carrier thread ran it
        Thread t2 = carrier.worker();
        if (t2 != null) { // it may already have retired again
            assertThat(t2).isNotSameAs(t1);
            assertThat(t2.join(Duration.ofSeconds(30))).isTrue();
        }
    }

    /** Run in a JVM without {@code --add-opens}: prints what building a dedicated-carrier loop throws. */
    static final class WithoutTheFlag {
        public static void main(String[] args) {
            try {
                new EventLoop().close();
                System.out.println("no exception");
            } catch (IllegalStateException e) {
                System.out.println(e.getMessage());
            }
        }
    }

    @Test
    void withoutTheJvmFlagBuildingSuchALoopFailsNamingTheFlag() throws Exception {
        String cp = Path.of(EventLoop.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                + File.pathSeparator
                + Path.of(WithoutTheFlag.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Daio4j.dedicatedCarrier=true", "-cp", cp,
                WithoutTheFlag.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).isZero();
        assertThat(out).isEqualTo("A dedicated carrier (aio4j.dedicatedCarrier) needs the JVM flag "
                + "--add-opens java.base/java.lang=ALL-UNNAMED (=org.aio4j when aio4j is on the module path)");
    }
}
