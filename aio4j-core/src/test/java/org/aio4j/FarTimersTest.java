package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * Timers further away than loop time can count (about 292 years): they are due at the latest loop time a timer can
 * have ({@link Timers#LATEST}), never at the "no timer" mark, so a loop waiting for one is not deadlocked.
 */
class FarTimersTest {

    private static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE);
    private static final double END_OF_TIME = Timers.LATEST / 1e9;

    @Test
    @org.junit.jupiter.api.Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
    void onTheRealClockATaskSleepingPracticallyForeverWaitsUntilItIsCancelled() throws Exception {
        AtomicBoolean over = new AtomicBoolean();
        Thread[] canceller = new Thread[1];
        try {
            String outcome = Aio.run(() -> {
                EventLoop loop = Aio.getRunningLoop();
                AtomicReference<Thread> sleeperThread = new AtomicReference<>();
                Task<Void> sleeper = Aio.createTask(() -> {
                    sleeperThread.set(Thread.currentThread());
                    Aio.sleep(FOREVER);
                }, "sleeper");
                // Once the sleeper sleeps, its thread runs the loop's idle wait, the only place where it parks with a
                // timeout. Cancel it from another thread only then, when nothing but the far timer is pending: the
                // old loop took that for a deadlock.
                canceller[0] = Thread.ofPlatform().start(() -> {
                    Thread t;
                    while (!over.get()
                            && ((t = sleeperThread.get()) == null || t.getState() != Thread.State.TIMED_WAITING)) {
                        Thread.onSpinWait();
                    }
                    if (!over.get()) {
                        loop.callSoonThreadsafe(() -> sleeper.cancel());
                    }
                });
                try {
                    sleeper.await();
                    return "slept";
                } catch (CancellationException e) {
                    return sleeper.isCancelled() ? "cancelled" : "not cancelled: " + e;
                }
            });
            assertThat(outcome).isEqualTo("cancelled");
        } finally {
            over.set(true);
            if (canceller[0] != null) {
                canceller[0].join();
            }
        }
    }

    /** The common case: a nearer timer cancels the far sleep (the far timer is never the next one here). */
    @Test
    void onTheRealClockAFarSleepIsCancelledByACallLater() throws Exception {
        String outcome = Aio.run(() -> {
            Task<Void> sleeper = Aio.createTask(() -> Aio.sleep(FOREVER), "sleeper");
            Aio.getRunningLoop().callLater(0.01, () -> sleeper.cancel());
            try {
                sleeper.await();
                return "slept";
            } catch (CancellationException e) {
                return "cancelled";
            }
        });
        assertThat(outcome).isEqualTo("cancelled");
    }

    @Test
    void onAVirtualClockAFarSleepJumpsToTheEndOfTimeWhichIsTheLastTime() throws Exception {
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Aio.sleep(FOREVER);
            assertThat(loop.time()).isEqualTo(END_OF_TIME);
            Aio.sleep(Double.MAX_VALUE);
            Aio.sleep(1);
            assertThat(loop.time()).isEqualTo(END_OF_TIME);
            return null;
        });
    }

    @Test
    void farCallLaterAndCallAtAreTimersTheLoopWaitsFor() throws Exception {
        List<String> fired = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> f = loop.createFuture();
            TimerHandle later = loop.callLater(Duration.ofDays(365L * 300), () -> fired.add("callLater"));
            TimerHandle at = loop.callAt(1e300, () -> f.setResult("callAt"));
            TimerHandle max = loop.callAt(Double.MAX_VALUE, () -> fired.add("callAt max"));
            assertThat(List.of(later.when(), at.when(), max.when())).containsOnly(END_OF_TIME);
            assertThat(f.await()).isEqualTo("callAt");
            assertThat(loop.time()).isEqualTo(END_OF_TIME);
            return null;
        });
        assertThat(fired).containsExactly("callLater", "callAt max");
    }

    /**
     * asyncio's {@code sleep(math.inf)}, {@code call_later(math.inf, ...)} and {@code call_at(math.inf, ...)}: for ever
     * is the farthest time of all, as {@code 1e300} seconds is, and {@code call_at(-math.inf, ...)} the earliest.
     */
    @Test
    void infinityIsTheFarthestTimeAndMinusInfinityTheEarliest() throws Exception {
        List<String> fired = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            TimerHandle later = loop.callLater(Double.POSITIVE_INFINITY, () -> fired.add("callLater inf"));
            TimerHandle at = loop.callAt(Double.POSITIVE_INFINITY, () -> fired.add("callAt inf"));
            loop.callAt(Double.NEGATIVE_INFINITY, () -> fired.add("callAt -inf"));
            assertThat(List.of(later.when(), at.when())).containsOnly(END_OF_TIME);
            Aio.sleep(Double.POSITIVE_INFINITY);
            assertThat(loop.time()).isEqualTo(END_OF_TIME);
            return null;
        });
        assertThat(fired).containsExactly("callAt -inf", "callLater inf", "callAt inf");
    }

    @Test
    void aFarCallLaterThatIsCancelledNeverRuns() throws Exception {
        AtomicBoolean fired = new AtomicBoolean();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            TimerHandle far = loop.callLater(Duration.ofDays(365L * 300), () -> fired.set(true));
            Future<String> f = loop.createFuture();
            loop.callLater(1, () -> {
                far.cancel();
                f.setResult("cancelled the far one");
            });
            assertThat(f.await()).isEqualTo("cancelled the far one");
            Aio.sleep(1);
            assertThat(far.isCancelled()).isTrue();
            assertThat(loop.time()).isEqualTo(2.0);
            return null;
        });
        assertThat(fired).isFalse();
    }

    @Test
    void aTimeoutWithAFarDeadlineLetsAQuickBlockEnd() throws Exception {
        for (boolean virtual : new boolean[] {false, true}) {
            Aio.run(() -> virtual ? EventLoop.builder().virtualTime().build() : new EventLoop(), () -> {
                try (Timeout t = Aio.timeout(FOREVER)) {
                    Aio.sleep(0.01);
                    assertThat(t.expired()).isFalse();
                }
                try (Timeout t = Aio.timeoutAt(1e300)) {
                    Aio.sleep(0.01);
                    assertThat(t.when()).isEqualTo(1e300);
                    assertThat(t.expired()).isFalse();
                }
                assertThat(Aio.waitFor(Aio.createTask(() -> "quick"), FOREVER)).isEqualTo("quick");
                return null;
            });
        }
    }

    @Test
    void onAVirtualClockAFarTimeoutAroundAFarSleepExpiresFirstAsItWasSetFirst() throws Exception {
        TestLoops.runVirtual(() -> {
            Timeout[] scope = new Timeout[1];
            assertThatThrownBy(() -> {
                try (Timeout t = Aio.timeout(FOREVER)) {
                    scope[0] = t;
                    Aio.sleep(FOREVER);
                }
            }).isInstanceOf(TimeoutCancellationException.class);
            assertThat(scope[0].expired()).isTrue();
            assertThat(Aio.getRunningLoop().time()).isEqualTo(END_OF_TIME);
            return null;
        });
    }

    /** A time so far in the past that {@code deadline - now} would overflow: the old loop waited "until" it. */
    @Test
    @org.junit.jupiter.api.Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
    void onTheRealClockACallAtFarInThePastRunsInTheNextIteration() {
        List<String> ran = new ArrayList<>();
        try (var loop = new EventLoop()) {
            loop.callAt(-1e300, () -> {
                ran.add("past");
                loop.stop();
            });
            loop.runForever();
        }
        assertThat(ran).containsExactly("past");
    }
}
