package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The timeouts in seconds, as asyncio takes them ({@code asyncio.timeout(3.5)}, {@code wait_for(aw, 0.5)},
 * {@code wait(fs, timeout=0.25)}), beside the {@link java.time.Duration} forms: the same deadline, infinity for none
 * (asyncio's {@code math.inf}), NaN and negative refused at the call.
 */
class SecondsOverloadsTest {

    @Test
    void aTimeoutInSecondsExpiresAtThatLoopTime() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var t = Aio.timeout(1.5)) {
                assertThat(t.when()).isEqualTo(1.5);
                Aio.sleep(10);
            } catch (TimeoutCancellationException e) {
                log.add("expired at " + Aio.getRunningLoop().time());
            }
            try (var t = Aio.timeout(Double.POSITIVE_INFINITY)) {
                assertThat(t.when()).isInfinite();
                Aio.sleep(100);
                log.add("no deadline at infinity: slept to " + Aio.getRunningLoop().time());
            }
            return null;
        });
        assertThat(log).containsExactly("expired at 1.5", "no deadline at infinity: slept to 101.5");
    }

    @Test
    void aHugeTimeoutInSecondsIsThatFarAsInAsyncio() throws Exception {
        // asyncio.timeout(1e300).when() is loop.time() + 1e300; it was cut to some 292 years (Long.MAX_VALUE ns)
        TestLoops.runVirtual(() -> {
            Aio.sleep(2);
            try (var t = Aio.timeout(1e300)) {
                assertThat(t.when()).isEqualTo(2 + 1e300);
                Aio.sleep(10);
            }
            assertThat(Aio.getRunningLoop().time()).isEqualTo(12.0);
            return null;
        });
    }

    @Test
    void waitForInSecondsTimesOutFuturesAndCoroutinesAlike() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> never = loop.createFuture();
            assertThatThrownBy(() -> Aio.waitFor(never, 0.5)).isInstanceOf(TimeoutException.class);
            log.add("future timed out at " + loop.time() + ", cancelled " + never.isCancelled());
            assertThatThrownBy(() -> Aio.waitFor(() -> Aio.sleep(5, "late"), 0.25))
                    .isInstanceOf(TimeoutException.class);
            log.add("coroutine timed out at " + loop.time());
            assertThatThrownBy(() -> Aio.waitFor(() -> Aio.sleep(5), 0.25)).isInstanceOf(TimeoutException.class);
            log.add("void coroutine timed out at " + loop.time());
            log.add(Aio.waitFor(() -> Aio.sleep(2, "in time"), Double.POSITIVE_INFINITY) + " at " + loop.time());
            return null;
        });
        assertThat(log).containsExactly("future timed out at 0.5, cancelled true", "coroutine timed out at 0.75",
                "void coroutine timed out at 1.0", "in time at 3.0");
    }

    @Test
    void waitInSecondsLeavesWhatIsNotDoneByThenPending() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<String> fast = Aio.createTask(() -> Aio.sleep(0.1, "fast"));
            Task<String> slow = Aio.createTask(() -> Aio.sleep(1, "slow"));
            WaitResult<Task<String>> r = Aio.wait(List.of(fast, slow), 0.25, ReturnWhen.ALL_COMPLETED);
            assertThat(r.done()).containsExactly(fast);
            assertThat(r.pending()).containsExactly(slow);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(0.25);
            r = Aio.wait(List.of(slow), Double.POSITIVE_INFINITY, ReturnWhen.ALL_COMPLETED);
            assertThat(r.done()).containsExactly(slow);
            return null;
        });
    }

    @Test
    void aNegativeOrNaNTimeoutInSecondsIsRefusedAtTheCall() throws Exception {
        TestLoops.runVirtual(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            assertThatThrownBy(() -> Aio.timeout(-1.0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("timeout must be a number of seconds >= 0, got -1.0");
            assertThatThrownBy(() -> Aio.timeout(Double.NaN)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("timeout must be a number of seconds >= 0, got NaN");
            assertThatThrownBy(() -> Aio.waitFor(f, -0.5)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("timeout must be a number of seconds >= 0, got -0.5");
            assertThatThrownBy(() -> Aio.waitFor(() -> "x", Double.NaN)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got NaN");
            assertThatThrownBy(() -> Aio.wait(List.of(f), -2.0, ReturnWhen.FIRST_COMPLETED))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -2.0");
            assertThat(f.isDone()).as("a refused call leaves the future alone").isFalse();
            return null;
        });
    }

    /**
     * asyncio's {@code loop.slow_callback_duration} is a float of seconds that can be read back; beside the Duration
     * form it is set in seconds and read with {@code getSlowCallbackDuration()}, infinity for never reported.
     */
    @Test
    void theSlowCallbackDurationIsSetInSecondsOrAsADurationAndReadBack() throws Exception {
        try (var loop = new EventLoop()) {
            assertThat(loop.getSlowCallbackDuration()).isEqualTo(Duration.ofMillis(100)); // asyncio's 0.1
            loop.setSlowCallbackDuration(0.25);
            assertThat(loop.getSlowCallbackDuration()).isEqualTo(Duration.ofMillis(250));
            loop.setSlowCallbackDuration(Duration.ofMillis(50));
            assertThat(loop.getSlowCallbackDuration()).isEqualTo(Duration.ofMillis(50));
            assertThatThrownBy(() -> loop.setSlowCallbackDuration(-0.5)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("slow callback duration").hasMessageContaining("-0.5");
            assertThatThrownBy(() -> loop.setSlowCallbackDuration(Double.NaN))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
            assertThat(loop.getSlowCallbackDuration()).as("unchanged by a refused value")
                    .isEqualTo(Duration.ofMillis(50));
            loop.setSlowCallbackDuration(Double.POSITIVE_INFINITY);
            assertThat(loop.getSlowCallbackDuration()).isEqualTo(Duration.ofNanos(Long.MAX_VALUE));
        }
    }
}
