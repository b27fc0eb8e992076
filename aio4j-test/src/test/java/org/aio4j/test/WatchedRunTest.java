package org.aio4j.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.aio4j.Aio;
import org.junit.jupiter.api.Test;

/**
 * The watchdog giving up on a run before the driver thread has even created the body's task (an interrupt already
 * pending, or a timeout shorter than the driver's start): the cancellation must still reach the body, once it has
 * started, so that it unwinds as any cancelled body does and the loop stays usable, instead of being found "held" by a
 * task and abandoned.
 */
class WatchedRunTest {

    private static final Duration LONG_GRACE = Duration.ofSeconds(30);

    @Test
    void aRunInterruptedBeforeItsBodyStartedCancelsTheBodyAndLeavesTheLoopUsable() throws Exception {
        var session = new TestSession(TestOptions.defaults().withCancellationGrace(LONG_GRACE));
        var body = new AtomicReference<String>("not started");
        var thrown = new AtomicReference<Throwable>();
        Thread runner = Thread.ofPlatform().start(() -> {
            Thread.currentThread().interrupt(); // seen by the watchdog at once, before the driver made the task
            thrown.set(catchThrowable(() -> session.run("interrupted", "Test body 'interrupted'",
                    () -> waitForeverNoting(body))));
        });
        runner.join();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(body.get()).as("the body started, was cancelled and unwound before run() threw")
                .isEqualTo("cancelled");
        assertThat(session.run("next", "Test body 'next'", () -> "still usable")).isEqualTo("still usable");
        assertThat(session.finish(true)).isEmpty();
    }

    /** Waits for ever, noting in {@code state} that it started, then that it was cancelled. */
    private static Void waitForeverNoting(AtomicReference<String> state) throws Exception {
        state.set("started");
        try {
            return Aio.toThread(() -> {
                new CountDownLatch(1).await();
                return null;
            });
        } catch (CancellationException e) {
            state.set("cancelled");
            throw e;
        }
    }
}
