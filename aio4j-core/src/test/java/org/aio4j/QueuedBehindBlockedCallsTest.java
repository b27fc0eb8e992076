package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An offloaded call queued on a bounded {@link java.util.concurrent.ThreadPoolExecutor} whose threads all run calls
 * blocked in {@link Future#get()} on pending futures of the loop cannot start before the loop settles one of them: it
 * waits for the loop as those calls do, so it must neither hold a virtual clock (which would wait for it for ever)
 * nor hide a deadlock. A queued call that can start (a thread of the pool is free, or runs something else) still
 * counts as in flight.
 */
class QueuedBehindBlockedCallsTest {

    /**
     * The defect: the two threads of the pool wait for futures that timers settle, and a third call waits in the
     * pool's queue. On the real clock the program ends after two seconds; a virtual clock must jump just the same.
     */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void onAVirtualClockACallQueuedBehindThreadsBlockedOnTheLoopLetsTheClockJump() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<String> got = TestLoops.runVirtual(() -> {
                EventLoop loop = Aio.getRunningLoop();
                Future<String> first = loop.createFuture();
                Future<String> second = loop.createFuture();
                loop.callLater(1, () -> first.setResult("first"));
                Aio.createTask(() -> {
                    Aio.sleep(2);
                    second.setResult("second");
                    return null;
                });
                Future<String> a = loop.runInExecutor(pool, first::get);
                Future<String> b = loop.runInExecutor(pool, second::get);
                Future<String> c = loop.runInExecutor(pool, () -> "queued"); // both threads are taken
                List<String> seen = new ArrayList<>();
                for (Future<String> f : List.of(a, b, c)) {
                    f.addDoneCallback(done -> seen.add(done.result() + " at " + loop.time()));
                }
                Aio.gather(a, b, c).await();
                return seen;
            });
            // The queued call runs once the first thread is free, at 1, before the clock moves on.
            assertThat(got).containsExactly("first at 1.0", "queued at 1.0", "second at 2.0");
        } finally {
            pool.shutdownNow();
        }
    }

    /** On either clock, the loop finds all its tasks blocked while a call is queued behind such threads. */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void waitAllTasksBlockedReturnsWhileACallIsQueuedBehindThreadsBlockedOnTheLoop() throws Exception {
        for (boolean virtual : new boolean[] {false, true}) {
            ExecutorService pool = Executors.newFixedThreadPool(1);
            try {
                String got = Aio.run(() -> virtual ? EventLoop.builder().virtualTime().build() : new EventLoop(),
                        () -> {
                            EventLoop loop = Aio.getRunningLoop();
                            Future<String> gate = loop.createFuture();
                            Future<String> a = loop.runInExecutor(pool, gate::get);
                            Future<String> b = loop.runInExecutor(pool, () -> "b");
                            Aio.waitAllTasksBlocked();
                            assertThat(a.isDone() || b.isDone()).isFalse();
                            gate.setResult("gate");
                            return a.await() + ", " + b.await();
                        });
                assertThat(got).as("virtual=" + virtual).isEqualTo("gate, b");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * With no timer left, a call queued behind threads blocked on futures nothing settles can never run: a deadlock,
     * reported with who waits on what, on either clock.
     */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCallQueuedBehindThreadsBlockedOnFuturesNothingSettlesIsADeadlock() {
        for (boolean virtual : new boolean[] {false, true}) {
            ExecutorService pool = Executors.newFixedThreadPool(1);
            try {
                var reports = new CopyOnWriteArrayList<ExceptionContext>();
                EventLoop.Builder b = EventLoop.builder().exceptionHandler((l, c) -> reports.add(c));
                assertThatThrownBy(() -> Aio.run(() -> (virtual ? b.virtualTime() : b).build(), () -> {
                    EventLoop loop = Aio.getRunningLoop();
                    Future<String> never = loop.createFuture();
                    loop.runInExecutor(pool, never::get);
                    Task<String> caller = Aio.createTask(() -> loop.runInExecutor(pool, () -> "never runs").await(),
                            "caller");
                    return caller.await();
                })).as("virtual=" + virtual)
                        .isInstanceOf(DeadlockException.class)
                        .hasMessageMatching("(?s).*\\n  offloaded call [^\\n]* running on [^\\n]* is blocked in"
                                + " Future.get\\(\\) on Future\\[pending\\]\\n.*")
                        .hasMessageMatching("(?s).*\\n  offloaded call [^\\n]* \\(queued\\) waits for a thread of"
                                + " java.util.concurrent.ThreadPoolExecutor@[^\\n]*, whose 1 thread\\(s\\) all run"
                                + " calls blocked in Future.get\\(\\) on the loop's futures\\n.*")
                        .hasMessageContaining("caller waits on offloaded call");
                // Aio.run's shutdown cancelled the caller, and so its queued call: the close releases the other.
                assertThat(reports).as("virtual=" + virtual).singleElement().satisfies(c -> assertThat(c.message())
                        .startsWith("Event loop closed while offloaded call").contains(" is blocked in Future.get()"));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * The loop accounts for the threads of a {@link java.util.concurrent.ThreadPoolExecutor} with any of the JDK's
     * four rejection policies (each runs an accepted call on one of the pool's threads, or never), not only the
     * default one: a call queued behind the pool's only thread, blocked on a future nothing settles, is a deadlock.
     */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aPoolWithAnyOfTheJdksRejectionPoliciesIsAccountedFor() {
        List<java.util.concurrent.RejectedExecutionHandler> policies = List.of(
                new java.util.concurrent.ThreadPoolExecutor.AbortPolicy(),
                new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy(),
                new java.util.concurrent.ThreadPoolExecutor.DiscardOldestPolicy(),
                new java.util.concurrent.ThreadPoolExecutor.CallerRunsPolicy());
        for (var policy : policies) {
            var pool = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.SECONDS,
                    new java.util.concurrent.LinkedBlockingQueue<>(), policy);
            try {
                assertThatThrownBy(() -> Aio.run(() -> EventLoop.builder().virtualTime()
                        .exceptionHandler((l, c) -> { }).build(), () -> {
                            EventLoop loop = Aio.getRunningLoop();
                            Future<String> never = loop.createFuture();
                            loop.runInExecutor(pool, never::get);
                            return loop.runInExecutor(pool, () -> "never runs").await();
                        })).as(policy.getClass().getSimpleName())
                        .isInstanceOf(DeadlockException.class)
                        .hasMessageContaining("(queued) waits for a thread of java.util.concurrent.ThreadPoolExecutor@");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Calls on two pools, blocked and queued in turn: the deadlock report names each call in the order it was
     * submitted, each queued call with its own pool and the number of that pool's threads, on either clock.
     */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theDeadlockReportNamesEachCallInOrderWithItsOwnPool() {
        for (boolean virtual : new boolean[] {false, true}) {
            ExecutorService one = Executors.newFixedThreadPool(1);
            ExecutorService two = Executors.newFixedThreadPool(2);
            try {
                var reports = new CopyOnWriteArrayList<ExceptionContext>();
                EventLoop.Builder b = EventLoop.builder().exceptionHandler((l, c) -> reports.add(c));
                String blocked = "offloaded call [^\\n]* running on [^\\n]* is blocked in Future.get\\(\\) on"
                        + " Future\\[pending\\]";
                String queuedOn = "offloaded call [^\\n]* \\(queued\\) waits for a thread of"
                        + " java.util.concurrent.ThreadPoolExecutor@[^\\n]*pool size = %1$d, [^\\n]*, whose %1$d"
                        + " thread\\(s\\) all run calls blocked in Future.get\\(\\) on the loop's futures";
                assertThatThrownBy(() -> Aio.run(() -> (virtual ? b.virtualTime() : b).build(), () -> {
                    EventLoop loop = Aio.getRunningLoop();
                    Future<String> never = loop.createFuture();
                    loop.runInExecutor(one, never::get);
                    loop.runInExecutor(two, never::get);
                    Future<String> queuedOnOne = loop.runInExecutor(one, () -> "one");
                    loop.runInExecutor(two, never::get);
                    Future<String> queuedOnTwo = loop.runInExecutor(two, () -> "two");
                    return Aio.gather(queuedOnOne, queuedOnTwo).await();
                })).as("virtual=" + virtual)
                        .isInstanceOf(DeadlockException.class)
                        .hasMessageMatching("(?s).*own futures:\\n  " + blocked + "\\n  " + blocked + "\\n  "
                                + queuedOn.formatted(1) + "\\n  " + blocked + "\\n  " + queuedOn.formatted(2)
                                + "\\nPending tasks.*");
                // Aio.run's shutdown cancelled the main task, and so the queued calls: the close releases the others.
                assertThat(reports).as("virtual=" + virtual).hasSize(3).allSatisfy(c -> assertThat(c.message())
                        .startsWith("Event loop closed while offloaded call").contains(" is blocked in Future.get()"));
            } finally {
                one.shutdownNow();
                two.shutdownNow();
            }
        }
    }

    /**
     * A queued call nobody awaits, behind a call blocked on a future nothing settles: Aio.run's shutdown does not
     * wait for it, and the close reports both, releases the blocked call and drops the queued one, which never runs
     * (its outcome could go nowhere).
     */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theCloseReportsAndDropsACallQueuedBehindACallItReleases() throws Exception {
        for (boolean virtual : new boolean[] {false, true}) {
            ExecutorService pool = Executors.newFixedThreadPool(1);
            var reports = new CopyOnWriteArrayList<ExceptionContext>();
            var ran = new AtomicInteger();
            try {
                EventLoop.Builder b = EventLoop.builder().exceptionHandler((l, c) -> reports.add(c));
                String got = Aio.run(() -> (virtual ? b.virtualTime() : b).build(), () -> {
                    EventLoop loop = Aio.getRunningLoop();
                    Future<String> never = loop.createFuture();
                    loop.runInExecutor(pool, never::get);
                    loop.runInExecutor(pool, () -> {
                        ran.incrementAndGet();
                        return "dropped";
                    });
                    return "main done";
                });
                assertThat(got).isEqualTo("main done");
                pool.shutdown();
                assertThat(pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
                assertThat(ran.get()).as("virtual=" + virtual).isZero();
                assertThat(reports).as("virtual=" + virtual).extracting(ExceptionContext::message)
                        .satisfiesExactly(
                                m -> assertThat(m).matches("Event loop closed while offloaded call [^\\n]* is blocked"
                                        + " in Future.get\\(\\) on Future\\[pending\\]: the call is released with an"
                                        + " IllegalStateException"),
                                m -> assertThat(m).matches("Event loop closed while offloaded call [^\\n]* \\(queued\\)"
                                        + " waits for a thread of [^\\n]*: the call is dropped, it will not run"));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * A thread of the pool runs something else than a call of the loop (work submitted by another thread): the call
     * queued behind it may start at any moment, so it counts as in flight, and the virtual clock waits for it.
     */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCallQueuedBehindOtherWorkOfThePoolHoldsTheClock() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        var otherStarted = new CountDownLatch(1);
        var otherMayEnd = new CountDownLatch(1);
        try {
            String got = TestLoops.runVirtual(() -> {
                EventLoop loop = Aio.getRunningLoop();
                Future<String> first = loop.createFuture();
                loop.callLater(1, () -> first.setResult("first"));
                Future<String> a = loop.runInExecutor(pool, first::get);
                Aio.waitAllTasksBlocked(); // a is blocked in get()
                pool.execute(() -> { // not a call of the loop's: it may end whenever
                    otherStarted.countDown();
                    try {
                        otherMayEnd.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                Aio.toThread(() -> {
                    otherStarted.await();
                    return null;
                });
                Future<String> queued = loop.runInExecutor(pool, () -> "queued");
                assertThat(loop.inFlightNotWaitingForTheLoop()).singleElement().asString().endsWith("(queued)");
                otherMayEnd.countDown();
                String q = queued.await() + " at " + loop.time();
                return q + ", " + a.await() + " at " + loop.time();
            });
            assertThat(got).isEqualTo("queued at 0.0, first at 1.0");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A pool shared with another loop: a thread blocked on the other loop's future may be freed whenever that loop
     * settles it, so a call queued behind it holds this loop's clock.
     */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCallQueuedBehindACallOfAnotherLoopHoldsTheClock() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        EventLoop other = new EventLoop();
        Future<String> othersFuture = other.createFuture();
        var go = new CountDownLatch(1);
        Thread otherDriver = Thread.ofPlatform().name("runs the other loop").start(() -> {
            try {
                go.await();
                other.callSoon(() -> othersFuture.setResult("other's"));
                other.runUntilComplete(othersFuture);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        try {
            String got = TestLoops.runVirtual(() -> {
                EventLoop loop = Aio.getRunningLoop();
                Future<String> mine = loop.createFuture();
                Future<String> a = loop.runInExecutor(pool, mine::get);
                Aio.waitAllTasksBlocked(); // a is blocked in get()
                Future<String> b = loop.runInExecutor(pool, othersFuture::get);
                Future<String> queued = loop.runInExecutor(pool, () -> "queued");
                assertThat(loop.inFlightNotWaitingForTheLoop()).hasSize(2).doesNotContain(a.owner);
                go.countDown();
                String q = queued.await() + " at " + loop.time();
                mine.setResult("mine");
                return q + ", " + a.await() + ", " + b.await() + " at " + loop.time();
            });
            assertThat(got).isEqualTo("queued at 0.0, mine, other's at 0.0");
        } finally {
            go.countDown();
            otherDriver.join();
            other.close();
            pool.shutdownNow();
        }
    }
}
