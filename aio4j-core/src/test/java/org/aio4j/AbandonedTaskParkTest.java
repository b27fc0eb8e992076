package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AbandonedTaskParkTest {

    /** A task abandoned by the closing loop with its interrupt status set must stay parked, not spin on a carrier. */
    @Test
    void anAbandonedTaskWithItsInterruptSetDoesNotSpin() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        AtomicReference<Thread> thread = new AtomicReference<>();
        loop.runUntilComplete(() -> {
            Queue<String> jobs = new Queue<>();
            Aio.createTask(() -> {
                thread.set(Thread.currentThread());
                for (;;) {
                    try {
                        jobs.get();
                    } catch (RuntimeException e) {
                        // e.g. runTest's watchdog (interruptRunningThread) interrupted it while it looped
                        Thread.currentThread().interrupt();
                    }
                }
            }, "stubborn");
            Aio.sleep(0);
            return null;
        });
        loop.close();
        Thread t = thread.get();
        Thread.State s = null;
        for (int i = 0; i < 50; i++) { // demonstration only: a spinning thread is RUNNABLE every time
            s = t.getState();
            if (s == Thread.State.WAITING) {
                break;
            }
            Thread.sleep(20);
        }
        assertThat(s).as("abandoned thread parked, not spinning on its interrupt").isEqualTo(Thread.State.WAITING);
    }
}
