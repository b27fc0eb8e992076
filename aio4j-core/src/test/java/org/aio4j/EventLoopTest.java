package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class EventLoopTest {

    @Test
    void callSoonRunsCallbacksInFifoOrder() {
        List<Integer> seen = new ArrayList<>();
        try (var loop = new EventLoop()) {
            for (int i = 0; i < 100; i++) {
                int n = i;
                loop.callSoon(() -> seen.add(n));
            }
            loop.callSoon(loop::stop);
            loop.runForever();
        }
        assertThat(seen).hasSize(100).isSorted();
    }

    @Test
    void callbacksScheduledDuringAnIterationRunInTheNextOne() {
        List<String> seen = new ArrayList<>();
        try (var loop = new EventLoop()) {
            loop.callSoon(() -> {
                seen.add("a");
                loop.callSoon(() -> seen.add("c"));
            });
            loop.callSoon(() -> seen.add("b"));
            loop.callSoon(loop::stop);
            loop.runForever();
            // stop() ends the loop after the iteration it was called in: "c" was queued for the next one.
            assertThat(seen).containsExactly("a", "b");
            loop.callSoon(loop::stop);
            loop.runForever();
            assertThat(seen).containsExactly("a", "b", "c");
        }
    }

    @Test
    void stopBeforeRunForeverRunsOneIteration() {
        List<String> seen = new ArrayList<>();
        try (var loop = new EventLoop()) {
            loop.callSoon(() -> {
                seen.add("first");
                loop.callSoon(() -> seen.add("second"));
            });
            loop.stop();
            loop.runForever();
            assertThat(seen).containsExactly("first");
        }
    }

    @Test
    void timersFireInDeadlineOrderAndTiesInSchedulingOrder() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            loop.callLater(0.3, () -> seen.add("0.3"));
            loop.callLater(0.1, () -> seen.add("0.1a"));
            loop.callLater(Duration.ofMillis(100), () -> seen.add("0.1b"));
            loop.callAt(loop.time() + 0.2, () -> seen.add("0.2"));
            TimerHandle cancelled = loop.callLater(0.15, () -> seen.add("cancelled"));
            cancelled.cancel();
            loop.callLater(0.4, loop::stop);
            loop.runForever();
            assertThat(seen).containsExactly("0.1a", "0.1b", "0.2", "0.3");
            assertThat(cancelled.isCancelled()).isTrue();
            assertThat(loop.time()).isEqualTo(0.4);
        }
    }

    /**
     * asyncio's {@code _run_once} rebuilds its heap without the cancelled timers once they are more than half of a
     * heap of more than 100 ({@code _MIN_SCHEDULED_TIMER_HANDLES}, {@code _MIN_CANCELLED_TIMER_HANDLES_FRACTION}),
     * as this class's Javadoc says; the heap was rebuilt only once more than 100 timers were cancelled.
     */
    @Test
    void cancelledTimersLeaveTheHeapOnceMoreThanHalfOfAHeapOfOverAHundred() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            loop.callSoon(() -> {
                Timers timers = loop.timers;
                loop.callLater(3000, () -> { }); // live, and first: no cancelled timer reaches the top
                List<TimerHandle> doomed = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    doomed.add(loop.callLater(3600, () -> { }));
                }
                for (int i = 0; i < 50; i++) {
                    doomed.get(i).cancel();
                }
                seen.add(timers.heapSize() + " held, " + timers.live() + " live"); // 50 of 101: not more than half
                doomed.get(50).cancel();
                seen.add(timers.heapSize() + " held, " + timers.live() + " live"); // 51 of 101: rebuilt
                doomed.get(51).cancel();
                for (int i = 0; i < 50; i++) {
                    loop.callLater(3600, () -> { }).cancel();
                }
                seen.add(timers.heapSize() + " held, " + timers.live() + " live"); // 51 of 100: not over 100
                for (int i = 0; i < 4; i++) {
                    loop.callLater(3000, () -> { });
                }
                loop.callLater(3600, () -> { }).cancel();
                seen.add(timers.heapSize() + " held, " + timers.live() + " live"); // 52 of 105
                loop.callLater(3600, () -> { }).cancel();
                seen.add(timers.heapSize() + " held, " + timers.live() + " live"); // 53 of 106: half
                loop.callLater(3600, () -> { }).cancel();
                seen.add(timers.heapSize() + " held, " + timers.live() + " live"); // 54 of 107: rebuilt
                loop.stop();
            });
            loop.runForever();
        }
        assertThat(seen).containsExactly("101 held, 51 live", "50 held, 50 live", "100 held, 49 live",
                "105 held, 53 live", "106 held, 53 live", "53 held, 53 live");
    }

    /**
     * A cancelled timer counts as cancelled until it leaves the heap, whether it reaches the top or is cancelled from
     * another thread; one cancelled after it ran, or twice, is not counted (asyncio's {@code TimerHandle.cancel}
     * tells the loop only while the handle is scheduled).
     */
    @Test
    void aCancelledTimerIsCountedOnceAndOnlyWhileItIsInTheHeap() throws Exception {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().virtualTime().build()) {
            Timers timers = loop.timers;
            TimerHandle ran = loop.callLater(0.1, () -> { });
            TimerHandle top = loop.callLater(0.2, () -> { });
            loop.callLater(0.3, () -> {
                ran.cancel(); // it ran: nothing to count
                seen.add("after a cancel of one that ran: " + timers.live() + " live, " + timers.heapSize() + " held");
                loop.callLater(5, () -> { }); // live, and first: the cancelled ones below stay in the heap
                TimerHandle far = loop.callLater(10, () -> { });
                far.cancel();
                far.cancel();
                seen.add("cancelled twice: " + timers.live() + " live, " + timers.heapSize() + " held");
                TimerHandle foreign = loop.callLater(20, () -> { });
                Thread t = Thread.ofVirtual().start(foreign::cancel);
                try {
                    t.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                seen.add("cancelled by another thread, not yet told: " + timers.live() + " live");
                // The cancel posted to the loop joins the ready queue behind a callback scheduled now: look after it.
                loop.callSoon(() -> loop.callSoon(() -> {
                    seen.add("told: " + timers.live() + " live, " + timers.heapSize() + " held");
                    loop.stop();
                }));
            });
            top.cancel(); // by a thread that does not hold the loop: the loop is told when it runs
            seen.add("one cancelled: " + timers.live() + " live, " + timers.heapSize() + " held");
            loop.runForever();
            seen.add("at the end: " + timers.live() + " live, " + timers.heapSize() + " held");
        }
        assertThat(seen).containsExactly("one cancelled: 3 live, 3 held",
                "after a cancel of one that ran: 0 live, 0 held",
                "cancelled twice: 1 live, 2 held",
                "cancelled by another thread, not yet told: 2 live",
                "told: 1 live, 3 held",
                "at the end: 1 live, 3 held");
    }

    /** A handle prints its callback, when a timer is due, and whether it was cancelled (as asyncio's reprs). */
    @Test
    void handlesPrintTheirCallbackWhenTheyAreDueAndWhetherTheyWereCancelled() {
        Runnable job = new Runnable() {
            @Override
            public void run() {
            }

            @Override
            public String toString() {
                return "job";
            }
        };
        try (var loop = EventLoop.builder().virtualTime().build()) {
            Handle soon = loop.callSoon(job);
            TimerHandle later = loop.callAt(2.5, () -> { });
            assertThat(soon).hasToString("Handle[job]");
            assertThat(later).hasToString("TimerHandle[lambda in org.aio4j.EventLoopTest, when=2.5]");
            soon.cancel();
            later.cancel();
            assertThat(soon).hasToString("Handle[job, cancelled]");
            assertThat(later).hasToString("TimerHandle[lambda in org.aio4j.EventLoopTest, when=2.5, cancelled]");
        }
    }

    @Test
    void loopTimeIsReadOncePerIteration() {
        try (var loop = new EventLoop()) {
            double[] times = new double[2];
            loop.callSoon(() -> {
                times[0] = loop.time();
                long spin = System.nanoTime() + 2_000_000;
                while (System.nanoTime() < spin) {
                    Thread.onSpinWait();
                }
                times[1] = loop.time();
            });
            loop.callSoon(loop::stop);
            loop.runForever();
            assertThat(times[1]).isEqualTo(times[0]);
        }
    }

    @Test
    void sameDelayInTheSameIterationWakesInSleepOrderEvenUnderLoad() throws Exception {
        // The seed's two-tasks trap: the second sleep starts microseconds after the first. Both must be due in the
        // same iteration however long the first task's step takes.
        List<String> seen = new ArrayList<>();
        Aio.run(() -> {
            var a = Aio.createTask(() -> {
                Aio.sleep(0.01);
                seen.add("a1");
                Aio.sleep(0);
                seen.add("a2");
            });
            var b = Aio.createTask(() -> {
                long spin = System.nanoTime() + 3_000_000; // a busy step: 3 ms between the two sleeps
                while (System.nanoTime() < spin) {
                    Thread.onSpinWait();
                }
                Aio.sleep(0.01);
                seen.add("b1");
                Aio.sleep(0);
                seen.add("b2");
            });
            Aio.gather(a, b).await();
        });
        assertThat(seen).containsExactly("a1", "b1", "a2", "b2");
    }

    @Test
    void callSoonThreadsafeFrom16ThreadsLosesNothing() throws Exception {
        int threads = 16;
        int perThread = 100_000;
        var count = new AtomicInteger();
        int[] onLoop = {0};
        try (var loop = new EventLoop()) {
            var start = new CountDownLatch(1);
            List<Thread> producers = new ArrayList<>();
            long[][] lastSeen = new long[threads][1];
            boolean[] inOrder = {true};
            for (int t = 0; t < threads; t++) {
                int id = t;
                producers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    for (int i = 1; i <= perThread; i++) {
                        long n = i;
                        loop.callSoonThreadsafe(() -> {
                            onLoop[0]++;
                            if (lastSeen[id][0] != n - 1) {
                                inOrder[0] = false;
                            }
                            lastSeen[id][0] = n;
                            if (count.incrementAndGet() == threads * perThread) {
                                loop.stop();
                            }
                        });
                    }
                }));
            }
            start.countDown();
            loop.runForever();
            for (Thread p : producers) {
                p.join();
            }
            assertThat(count.get()).isEqualTo(threads * perThread);
            assertThat(onLoop[0]).isEqualTo(threads * perThread);
            assertThat(inOrder[0]).as("each thread's callbacks run in its order").isTrue();
        }
    }

    @Test
    void callSoonThreadsafeWakesASleepingLoop() throws Exception {
        try (var loop = new EventLoop()) {
            var ran = new CountDownLatch(1);
            Thread other = Thread.ofPlatform().start(() -> loop.callSoonThreadsafe(() -> {
                ran.countDown();
                loop.stop();
            }));
            loop.callLater(3600, () -> { });   // the loop would sleep an hour without the wake-up
            loop.runForever();
            other.join();
            assertThat(ran.getCount()).isZero();
        }
    }

    @Test
    void exceptionInCallbackGoesToTheHandlerAndTheLoopGoesOn() {
        List<ExceptionContext> errors = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().exceptionHandler((l, c) -> errors.add(c)).build()) {
            loop.callSoon(() -> {
                throw new IllegalStateException("boom");
            });
            loop.callSoon(() -> seen.add("after"));
            loop.callSoon(loop::stop);
            loop.runForever();
        }
        assertThat(seen).containsExactly("after");
        assertThat(errors).singleElement().satisfies(c -> {
            assertThat(c.message()).startsWith("Exception in callback");
            assertThat(c.exception()).hasMessage("boom");
            assertThat(c.handle()).isNotNull();
        });
    }

    @Test
    void aFailingExceptionHandlerDoesNotStopTheLoop() {
        List<String> seen = new ArrayList<>();
        try (var loop = EventLoop.builder().exceptionHandler((l, c) -> {
            throw new RuntimeException("handler broke");
        }).build()) {
            loop.callSoon(() -> {
                throw new IllegalStateException("boom");
            });
            loop.callSoon(() -> seen.add("after"));
            loop.callSoon(loop::stop);
            loop.runForever();
        }
        assertThat(seen).containsExactly("after");
    }

    @Test
    void runUntilCompleteReturnsTheResultOrThrowsTheOriginalException() throws Exception {
        try (var loop = new EventLoop()) {
            assertThat(loop.runUntilComplete(() -> 42)).isEqualTo(42);
            var boom = new java.io.IOException("io");
            assertThatThrownBy(() -> loop.runUntilComplete(() -> {
                throw boom;
            })).isSameAs(boom);
        }
    }

    /**
     * An interrupt of the thread in runUntilComplete of a plain future (no main task to cancel) stops the loop: the
     * "stopped before the future completed" error then says that the interrupt stopped it, not leave the caller
     * looking for a stop() nobody called; the interrupt status is set again.
     */
    @Test
    void runUntilCompleteOfAFutureStoppedByAnInterruptSaysSo() throws Exception {
        Thread caller = Thread.currentThread();
        List<ExceptionContext> errors = new ArrayList<>();
        try (var loop = EventLoop.builder().exceptionHandler((l, c) -> errors.add(c)).build()) {
            Future<String> never = loop.createFuture();
            loop.createTask(() -> {
                Aio.toThread(() -> {
                    caller.interrupt();
                    return null;
                });
                Aio.sleep(3600); // keeps the loop running, as a real program's pending work does
            });
            assertThatThrownBy(() -> loop.runUntilComplete(never)).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Event loop stopped before Future completed: Future[pending]")
                    .hasMessageContaining("the thread running the loop was interrupted");
            assertThat(Thread.interrupted()).as("the interrupt status is set again").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void runUntilCompleteCannotBeReentered() throws Exception {
        try (var loop = new EventLoop()) {
            Throwable inner = loop.runUntilComplete(() -> {
                try {
                    loop.runUntilComplete(() -> 1);
                    return null;
                } catch (IllegalStateException e) {
                    return e;
                }
            });
            assertThat(inner).hasMessage("This event loop is already running");
        }
    }

    @Test
    void anotherLoopCannotRunInsideARunningOne() throws Exception {
        try (var outer = new EventLoop(); var inner = new EventLoop()) {
            Throwable e = outer.runUntilComplete(() -> {
                try {
                    inner.runUntilComplete(() -> 1);
                    return null;
                } catch (IllegalStateException ex) {
                    return ex;
                }
            });
            assertThat(e).hasMessageContaining("another loop is running");
        }
    }

    @Test
    void aioRunInsideALoopThrows() throws Exception {
        Throwable e = Aio.run(() -> {
            try {
                Aio.run(() -> 1);
                return null;
            } catch (IllegalStateException ex) {
                return ex;
            }
        });
        assertThat(e).hasMessage("Aio.run() cannot be called from a running event loop");
    }

    /**
     * {@code Aio.run(loopFactory, main)} takes a main without a result, as {@code Aio.run(main)} does: asyncio's
     * {@code asyncio.run(main(), loop_factory=...)} of an {@code async def main()} returning {@code None}, with no
     * {@code return null;} (it used to accept only a {@code Coroutine}, so such a lambda did not compile).
     */
    @Test
    void aioRunOnAFactorysLoopTakesAMainWithoutAResult() throws Exception {
        List<Double> sleptUntil = new ArrayList<>();
        Aio.run(() -> EventLoop.builder().virtualTime().build(), () -> {
            Aio.sleep(5);
            sleptUntil.add(Aio.getRunningLoop().time());
        });
        assertThat(sleptUntil).containsExactly(5.0);
        var boom = new java.io.IOException("boom");
        assertThatThrownBy(() -> Aio.run(EventLoop::new, () -> {
            throw boom;
        })).isSameAs(boom);
        assertThatThrownBy(() -> Aio.run(EventLoop::new, (VoidCoroutine) null))
                .isInstanceOf(NullPointerException.class).hasMessage("main coroutine must not be null");
    }

    @Test
    void aClosedLoopRefusesWork() {
        var loop = new EventLoop();
        loop.close();
        loop.close(); // idempotent
        assertThat(loop.isClosed()).isTrue();
        assertThatThrownBy(loop::runForever).hasMessage("Event loop is closed");
        assertThatThrownBy(() -> loop.runUntilComplete(() -> 1)).hasMessage("Event loop is closed");
        assertThatThrownBy(() -> loop.callSoon(() -> { })).hasMessage("Event loop is closed");
        assertThatThrownBy(() -> loop.callSoonThreadsafe(() -> { })).hasMessage("Event loop is closed");
        assertThatThrownBy(() -> loop.createTask(() -> 1)).hasMessage("Event loop is closed");
        assertThatThrownBy(loop::createFuture).hasMessage("Event loop is closed");
    }

    @Test
    void aRunningLoopCannotBeClosed() throws Exception {
        try (var loop = new EventLoop()) {
            Throwable e = loop.runUntilComplete(() -> {
                try {
                    loop.close();
                    return null;
                } catch (IllegalStateException ex) {
                    return ex;
                }
            });
            assertThat(e).hasMessage("Cannot close a running event loop");
            assertThat(loop.isRunning()).isFalse();
        }
    }

    @Test
    void badArgumentsAreRefusedWithClearMessages() {
        try (var loop = new EventLoop()) {
            assertThatThrownBy(() -> loop.callSoon(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("callback must not be null");
            assertThatThrownBy(() -> loop.callLater(-1, () -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("delay must be a number of seconds >= 0, got -1.0");
            assertThatThrownBy(() -> loop.callLater(Double.NaN, () -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("delay must be a number of seconds >= 0, got NaN");
            assertThatThrownBy(() -> loop.callLater(Duration.ofSeconds(-1), () -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delay must be >= 0");
            assertThatThrownBy(() -> loop.callAt(Double.NaN, () -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("when must be a loop time, got NaN");
            assertThatThrownBy(() -> loop.createTask((Coroutine<Object>) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("coroutine must not be null");
            assertThatThrownBy(() -> loop.runUntilComplete((Future<Object>) null))
                    .isInstanceOf(NullPointerException.class);
        }
    }

    @Test
    void loopObjectsRefuseOtherThreadsWhileRunning() throws Exception {
        try (var loop = new EventLoop()) {
            Future<Integer> f = loop.createFuture();
            Throwable[] fromOtherThread = new Throwable[1];
            loop.runUntilComplete(() -> {
                Thread t = Thread.ofPlatform().start(() -> {
                    try {
                        f.setResult(1);
                    } catch (Throwable e) {
                        fromOtherThread[0] = e;
                    }
                });
                Aio.toThread(() -> {
                    t.join();
                    return null;
                });
                return null;
            });
            assertThat(fromOtherThread[0]).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Future.setResult called from thread")
                    .hasMessageContaining("callSoonThreadsafe");
            assertThat(f.isDone()).isFalse();
        }
    }

    @Test
    void helpersOutsideALoopSayThereIsNoRunningLoop() {
        assertThatThrownBy(() -> Aio.sleep(1)).isInstanceOf(IllegalStateException.class)
                .hasMessage("no running event loop: call this from a task (or callback) of a running loop, such as the"
                        + " main coroutine of Aio.run(...) or a task it creates; from another thread, use"
                        + " loop.runCoroutineThreadsafe(...) or loop.callSoonThreadsafe(...)");
        assertThatThrownBy(() -> Aio.createTask(() -> 1)).hasMessageStartingWith("no running event loop: ");
        assertThatThrownBy(Aio::getRunningLoop).hasMessageStartingWith("no running event loop: ");
        assertThatThrownBy(() -> Aio.gather(List.<Future<Object>>of()))
                .hasMessageStartingWith("no running event loop"); // and no future to take one from
    }

    @Test
    void suspendingInACallbackIsRefused() throws Exception {
        Throwable e = Aio.run(() -> {
            Future<Throwable> caught = Aio.getRunningLoop().createFuture();
            Aio.getRunningLoop().callSoon(() -> {
                try {
                    Aio.sleep(0);
                    caught.setResult(null);
                } catch (IllegalStateException ex) {
                    caught.setResult(ex);
                }
            });
            return caught.await();
        });
        assertThat(e).hasMessageContaining("cannot suspend in a callback");
    }

    @Test
    void virtualTimeRunsLongSleepsInstantly() throws Exception {
        double loopTime = TestLoops.runVirtual(() -> {
            Aio.sleep(3600);
            Aio.sleep(Duration.ofDays(1));
            return Aio.getRunningLoop().time();
        });
        assertThat(loopTime).isEqualTo(3600 + 86400);
    }

    @Test
    void aPositiveDelayBelowANanosecondStillLetsTheVirtualClockMove() throws Exception {
        // A token bucket refilling at 5 per second, checked 0.2 s after it emptied, holds (0.6 - 0.4) * 5 =
        // 0.9999999999999998 tokens and sleeps the 4.4e-17 s missing: that sleep, rounded to 0 ns, was a sleep(0),
        // after which the virtual clock never moved and the loop spun for ever (the real clock moves on by itself).
        double[] seen = TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Aio.sleep(0.4);
            double tokens = 0;
            double updated = loop.time();
            Aio.sleep(0.2);
            int sleeps = 0;
            while (true) {
                tokens += (loop.time() - updated) * 5;
                updated = loop.time();
                if (tokens >= 1 || sleeps == 1000) {
                    break;
                }
                Aio.sleep((1 - tokens) / 5);
                sleeps++;
            }
            Future<String> soon = loop.createFuture();
            loop.callLater(1e-12, () -> soon.setResult("at " + loop.time()));
            Aio.sleep(0);
            boolean ranAfterSleepZero = soon.isDone();
            soon.await();
            return new double[] {sleeps, ranAfterSleepZero ? 1 : 0, loop.time()};
        });
        assertThat(seen[0]).isEqualTo(1);    // one sleep of a nanosecond, not a spin
        assertThat(seen[1]).isEqualTo(0);    // callLater(1e-12) is a timer of 1 ns, not a callSoon
        assertThat(seen[2]).isEqualTo(0.600000002);
    }

    @Test
    void sleepWithAResultReturnsItOnceTheDelayIsOver() throws Exception {
        // CPython 3.13: await asyncio.sleep(0.5, result="slept") gives "slept" at loop time 0.5
        List<String> seen = TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            List<String> order = new ArrayList<>();
            order.add(Aio.sleep(0.5, "slept") + " at " + loop.time());
            order.add(Aio.sleep(Duration.ofSeconds(2), 42) + " at " + loop.time());
            order.add(Aio.sleep(0, (String) null) + " at " + loop.time());
            assertThatThrownBy(() -> Aio.sleep(-1, "x")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sleep delay must be a number of seconds >= 0, got -1.0");
            assertThatThrownBy(() -> Aio.sleep(Double.NaN, "x")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sleep delay must be a number of seconds >= 0, got NaN");
            assertThatThrownBy(() -> Aio.sleep(Duration.ofSeconds(-1), "x"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("sleep delay must be >= 0, got PT-1S");
            assertThatThrownBy(() -> Aio.sleep((Duration) null, "x")).isInstanceOf(NullPointerException.class)
                    .hasMessage("sleep delay must not be null");
            Task<String> sleeper = Aio.createTask(() -> Aio.sleep(10, "never"));
            Aio.sleep(1);
            sleeper.cancel();
            Aio.gatherWithExceptions(sleeper).await();
            order.add("cancelled: " + sleeper.isCancelled() + " at " + loop.time());
            return order;
        });
        assertThat(seen).containsExactly("slept at 0.5", "42 at 2.5", "null at 2.5", "cancelled: true at 3.5");
        assertThatThrownBy(() -> Aio.sleep(1, "x")).hasMessageStartingWith("no running event loop: ");
    }

    @Test
    void virtualTimeWaitsForOffloadedWork() throws Exception {
        var gate = new CountDownLatch(1);
        List<String> seen = TestLoops.runVirtual(() -> {
            List<String> order = new ArrayList<>();
            var sleeper = Aio.createTask(() -> {
                Aio.sleep(10);
                order.add("slept 10s");
            });
            var offloaded = Aio.createTask(() -> {
                Aio.toThread(() -> {
                    gate.await();
                    return null;
                });
                order.add("offload done at " + Aio.getRunningLoop().time());
            });
            Aio.sleep(0);
            // The clock must not jump past the 10 s timer while the blocking call runs.
            Aio.getRunningLoop().callSoon(() -> order.add("clock " + Aio.getRunningLoop().time()));
            Aio.sleep(0);
            gate.countDown();
            Aio.gather(sleeper, offloaded).await();
            return order;
        });
        assertThat(seen).containsExactly("clock 0.0", "offload done at 0.0", "slept 10s");
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void onTheVirtualClockATimerAlreadyDueRunsWhileAnOffloadedCallIsInFlight() throws Exception {
        // A timer due now (callLater(0), callAt(past), a Timeout at the current time) needs no clock jump: it must run
        // as on the real clock, not wait for the offloaded call, which here waits for it.
        for (boolean past : new boolean[] {false, true}) {
            var released = new CountDownLatch(1);
            List<String> seen = TestLoops.runVirtual(() -> {
                EventLoop loop = Aio.getRunningLoop();
                List<String> order = new ArrayList<>();
                Runnable release = () -> {
                    order.add("timer at " + loop.time());
                    released.countDown();
                };
                if (past) {
                    Aio.sleep(5);
                    loop.callAt(1, release);
                } else {
                    loop.callLater(0, release);
                }
                boolean inTime = Aio.toThread(() -> released.await(5, java.util.concurrent.TimeUnit.SECONDS));
                order.add("offloaded call released: " + inTime);
                return order;
            });
            assertThat(seen).containsExactly("timer at " + (past ? "5.0" : "0.0"), "offloaded call released: true");
        }
    }

    @Test
    void closingResumesATaskAwaitingAPendingTaskWithACancellationNotANullResult() throws Exception {
        List<String> log = new ArrayList<>();
        EventLoop loop = TestLoops.virtual(new ArrayList<>());
        Task<?>[] b = new Task<?>[1];
        loop.runUntilComplete(() -> {
            Aio.createTask(() -> { // created first, so abandoned first at close while b is still pending
                Aio.sleep(0.5);
                try {
                    log.add("got " + b[0].await());
                } catch (CancellationException e) {
                    log.add("cancelled");
                    throw e;
                }
            });
            b[0] = Aio.createTask(() -> {
                Aio.sleep(100);
                return "b";
            });
            Aio.sleep(1);
            return null;
        });
        loop.close();
        assertThat(log).containsExactly("cancelled");
    }

    @Test
    void aRefusedRunUntilCompleteDoesNotRunItsCoroutine() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            assertThatThrownBy(() -> loop.runUntilComplete(() -> log.add("ran")))
                    .hasMessage("This event loop is already running");
            assertThatThrownBy(() -> loop.runUntilComplete(() -> {
                log.add("ran too");
            })).hasMessage("This event loop is already running");
            Aio.sleep(1);
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            return null;
        });
        assertThat(log).isEmpty();
    }

    @Test
    void anExecutorThatThrowsInExecuteLeavesNothingInFlight() throws Exception {
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            assertThatThrownBy(() -> loop.runInExecutor(command -> {
                throw new IllegalStateException("executor closed");
            }, () -> 1)).isInstanceOf(IllegalStateException.class).hasMessage("executor closed");
            Aio.sleep(1); // on the virtual clock: instant only if nothing is left in flight
            assertThat(loop.time()).isEqualTo(1.0);
            return null;
        });
    }

    @Test
    void aSameThreadExecutorRunsTheCallBeforeRunInExecutorReturnsWhileTheTaskHoldsTheLoop() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            loop.callSoon(() -> seen.add("callback"));
            Future<Integer> f = loop.runInExecutor(Runnable::run, () -> {
                seen.add("call");
                return 7;
            });
            seen.add("returned");
            assertThat(f.await()).isEqualTo(7);
            return null;
        });
        assertThat(seen).containsExactly("call", "returned", "callback"); // the loop ran nothing meanwhile
    }

    @Test
    void cancellingACallItsExecutorDroppedStopsTheLoopWaitingForIt() throws Exception {
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            ExecutorService single = Executors.newSingleThreadExecutor();
            var gate = new CountDownLatch(1);
            Future<Integer> first = loop.runInExecutor(single, () -> {
                gate.await();
                return 1;
            });
            Future<Integer> queued = loop.runInExecutor(single, () -> 2);
            assertThat(single.shutdownNow()).hasSize(1); // the queued call is dropped, never to run
            assertThatThrownBy(first::await).isInstanceOf(InterruptedException.class);
            queued.cancel(); // as runInExecutor's Javadoc asks: the loop stops counting it as in flight
            Aio.sleep(5);    // so the virtual clock jumps
            assertThat(loop.time()).isEqualTo(5.0);
            return null;
        });
    }

    @Test
    void callSoonThreadsafeOnTheLoopsOwnThreadKeepsItsPlaceAmongCallSoons() throws Exception {
        List<String> seen = new ArrayList<>();
        try (var loop = new EventLoop()) {
            loop.callSoon(() -> {
                loop.callSoonThreadsafe(() -> seen.add("threadsafe"));
                loop.callSoon(() -> seen.add("soon"));
                loop.callSoon(loop::stop);
            });
            loop.runForever();
        }
        assertThat(seen).containsExactly("threadsafe", "soon"); // asyncio: both join the same ready queue in order
    }

    @Test
    void afterShutdownDefaultExecutorNoDefaultExecutorIsCreatedAgain() throws Exception {
        try (var loop = new EventLoop()) {
            assertThat(loop.shutdownDefaultExecutor(Duration.ofSeconds(1))).isTrue(); // there was none yet
            loop.runUntilComplete(() -> {
                assertThatThrownBy(() -> loop.runInExecutor(null, () -> 1))
                        .isInstanceOf(java.util.concurrent.RejectedExecutionException.class)
                        .hasMessageContaining("shutdownDefaultExecutor");
                loop.setDefaultExecutor(command -> Thread.ofVirtual().start(command));
                return loop.runInExecutor(null, () -> 1).await(); // one set explicitly is used
            });
        }
    }

    @Test
    void callExceptionHandlerRefusesANullContextInsteadOfDroppingIt() {
        try (var loop = new EventLoop()) {
            List<ExceptionContext> handled = new ArrayList<>();
            assertThatThrownBy(() -> loop.callExceptionHandler(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("context must not be null");
            assertThatThrownBy(() -> loop.defaultExceptionHandler(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("context must not be null");
            loop.setExceptionHandler((l, c) -> handled.add(c));
            assertThatThrownBy(() -> loop.callExceptionHandler(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("context must not be null");
            assertThat(handled).isEmpty(); // not passed on to the handler either
        }
    }

    @Test
    void shutdownDefaultExecutorChecksItsTimeout() throws Exception {
        try (var loop = new EventLoop()) {
            assertThatThrownBy(() -> loop.shutdownDefaultExecutor(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be >= 0, got PT-1S");
            assertThatThrownBy(() -> loop.shutdownDefaultExecutor(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("timeout must not be null");
            ExecutorService ex = Executors.newSingleThreadExecutor();
            loop.setDefaultExecutor(ex);
            // Longer than a long of nanoseconds: no limit, not an ArithmeticException after the executor was shut down
            assertThat(loop.shutdownDefaultExecutor(Duration.ofSeconds(Long.MAX_VALUE))).isTrue();
            assertThat(ex.isTerminated()).isTrue();
        }
    }

    /**
     * asyncio's {@code shutdown_default_executor(timeout=30.0)} takes seconds, infinity (as {@code None}) for no
     * limit: so does the seconds form, refusing a negative or NaN timeout before it shuts anything down.
     */
    @Test
    void shutdownDefaultExecutorTakesItsTimeoutInSecondsToo() throws Exception {
        try (var loop = new EventLoop()) {
            ExecutorService ex = Executors.newSingleThreadExecutor();
            loop.setDefaultExecutor(ex);
            assertThatThrownBy(() -> loop.shutdownDefaultExecutor(-1.0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("timeout must be a number of seconds >= 0, got -1.0");
            assertThatThrownBy(() -> loop.shutdownDefaultExecutor(Double.NaN))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
            assertThat(ex.isShutdown()).as("not shut down by a refused call").isFalse();
            assertThat(loop.shutdownDefaultExecutor(Double.POSITIVE_INFINITY)).isTrue();
            assertThat(ex.isTerminated()).isTrue();
        }
        try (var loop = new EventLoop()) {
            assertThat(loop.shutdownDefaultExecutor(0.5)).isTrue(); // there was none yet
        }
    }
}
