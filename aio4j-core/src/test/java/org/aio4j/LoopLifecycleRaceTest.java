package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop's lifecycle (run, stop, close, callSoonThreadsafe) when other threads act on it at the same moment. Each
 * test repeats a race many times and checks the exact outcome of every repetition; a hang (a lost wake-up) is caught by
 * the timeout, which only guards against a hang and never decides a result.
 */
class LoopLifecycleRaceTest {

    private static final String ALREADY_RUNNING = "This event loop is already running";

    private ExecutorService threads;

    @BeforeEach
    void startThreads() {
        threads = Executors.newFixedThreadPool(4, Thread.ofPlatform().name("race-", 0).factory());
    }

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        threads.awaitTermination(10, TimeUnit.SECONDS);
    }

    /**
     * Runs {@code a} and {@code b} on two threads released together; returns what each returned or threw. They meet
     * spinning, not parked: a parked thread wakes microseconds after the one that woke it, which would let one
     * side finish before the other starts.
     */
    private Object[] race(CheckedCall a, CheckedCall b) throws Exception {
        var arrived = new AtomicInteger();
        Future<Object> fa = threads.submit(() -> outcome(arrived, a));
        Future<Object> fb = threads.submit(() -> outcome(arrived, b));
        return new Object[] {fa.get(), fb.get()};
    }

    private static Object outcome(AtomicInteger arrived, CheckedCall call) {
        arrived.incrementAndGet();
        while (arrived.get() < 2) {
            Thread.onSpinWait();
        }
        try {
            return call.call();
        } catch (Throwable e) {
            return e;
        }
    }

    @FunctionalInterface
    private interface CheckedCall {
        Object call() throws Exception;
    }

    private static boolean refusedAsRunning(Object outcome) {
        return outcome instanceof IllegalStateException e && ALREADY_RUNNING.equals(e.getMessage());
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void stopFromAnotherThreadAsTheLoopStartsIsNeverLost() throws Exception {
        for (int rep = 0; rep < 5000; rep++) {
            var loop = new EventLoop();
            Object[] out = race(() -> {
                loop.runForever(); // nothing else would ever wake it: only the stop can end this run
                return "returned";
            }, () -> {
                loop.stop();
                return "stopped";
            });
            assertThat(out).as("rep %d", rep).containsExactly("returned", "stopped");
            loop.close();
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void stopFromAnotherThreadNeverThrowsWhileTheLoopEndsAndCloses() throws Exception {
        for (int rep = 0; rep < 3000; rep++) {
            var loop = new EventLoop();
            loop.stop();
            Object[] out = race(() -> {
                loop.runForever();
                loop.close();
                return "closed";
            }, () -> {
                // Stops while the loop ends its one iteration and closes (a bounded number: each one is a post).
                for (int i = 0; i < 20_000 && !loop.isClosed(); i++) {
                    loop.stop();
                }
                return "stopped";
            });
            assertThat(out).as("rep %d", rep).containsExactly("closed", "stopped");
            loop.stop(); // asyncio's stop() on a closed loop does nothing
            assertThat(loop.hasPosts()).isFalse();
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aPostRacingCloseIsEitherRefusedOrDroppedByTheClose() throws Exception {
        for (int rep = 0; rep < 3000; rep++) {
            var loop = new EventLoop();
            Object[] out = race(() -> {
                int accepted = 0;
                try {
                    for (;;) {
                        loop.callSoonThreadsafe(() -> { });
                        accepted++;
                    }
                } catch (IllegalStateException refused) {
                    return refused.getMessage();
                }
            }, () -> {
                loop.close();
                return "closed";
            });
            assertThat(out).as("rep %d", rep).containsExactly("Event loop is closed", "closed");
            // Every post accepted before the close was dropped by it; none is left behind in the closed loop.
            assertThat(loop.hasPosts()).as("rep %d: a post accepted after close cleared the inbox", rep).isFalse();
        }
    }
}
