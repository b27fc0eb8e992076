package org.aio4j.test;

import static org.aio4j.test.AioTesting.runTest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.aio4j.Aio;
import org.junit.jupiter.api.Test;

/**
 * The watchdog racing with bodies that end around its timeout: whichever wins, runTest either returns or fails with
 * the timeout, never hangs or loses a body's {@code finally}.
 */
class WatchedRunStressTest {

    @Test
    void bodiesEndingAroundTheTimeoutAreEitherDoneOrTimedOutAndAlwaysUnwound() throws Exception {
        long seed = Long.getLong("aio4j.test.seed", System.nanoTime());
        var random = new Random(seed);
        int runs = 60;
        var unwound = new CountDownLatch(runs);
        var passed = new AtomicInteger();
        var timedOut = new AtomicInteger();
        TestOptions options = TestOptions.defaults().withTimeout(Duration.ofMillis(2))
                .withCancellationGrace(Duration.ofMillis(random.nextInt(3)));
        for (int i = 0; i < runs; i++) {
            int kind = random.nextInt(3);
            int amount = random.nextInt(4000);
            Throwable failure = catchThrowable(() -> runTest(options, () -> {
                try {
                    switch (kind) {
                        case 0 -> Aio.toThread(() -> spinMicros(amount));
                        case 1 -> {
                            for (int k = 0; k < amount; k++) {
                                Aio.sleep(0);
                            }
                        }
                        default -> {
                            spinMicros(amount / 4); // holds the loop a little: the cancellation waits for it
                            Aio.sleep(amount);
                        }
                    }
                } finally {
                    unwound.countDown();
                }
            }));
            if (failure == null) {
                passed.incrementAndGet();
            } else {
                assertThat(failure).as("seed %d, run %d", seed, i).isInstanceOf(AssertionError.class)
                        .hasMessageContaining("timed out");
                timedOut.incrementAndGet();
            }
        }
        assertThat(unwound.await(1, TimeUnit.MINUTES)).as("every body unwound, seed %d", seed).isTrue();
        System.out.printf("watchdog stress, seed %d: %d passed, %d timed out%n", seed, passed.get(), timedOut.get());
        assertThat(passed.get() + timedOut.get()).isEqualTo(runs);
    }

    private static Void spinMicros(long micros) {
        long end = System.nanoTime() + micros * 1000;
        while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
            Thread.onSpinWait();
        }
        return null;
    }
}
