package org.aio4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The CPU clock the JVM peers report their runs by. */
class ProcessCpuClockTest {

    @Test
    @EnabledOnOs(OS.LINUX)
    void onLinuxItCountsInNanosecondsNotInClockTicks() {
        assertThat(ProcessCpuClock.precise()).isTrue();
        // The MXBean's clock moves in steps of a clock tick (10 ms); this one moves between two reads a few
        // microseconds apart. Spin until it moves and look at the step, once the first calls (which link
        // clock_gettime and its invocation) are over.
        for (int i = 0; i < 1_000; i++) {
            ProcessCpuClock.nanos();
        }
        long first = ProcessCpuClock.nanos();
        long next;
        do {
            next = ProcessCpuClock.nanos();
        } while (next == first);
        assertThat(next - first).isPositive().isLessThan(1_000_000);
    }

    @Test
    void itCountsTheTimeOfEveryThreadOfTheProcessAsTheMXBeanDoes() throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        ProcessCpuClock.nanos();   // its first call links clock_gettime: not between the two first readings
        long beanBefore = os.getProcessCpuTime();
        long before = ProcessCpuClock.nanos();
        // Work on two other threads, which end before the second reading: their time still counts.
        Thread[] spinners = new Thread[2];
        for (int i = 0; i < spinners.length; i++) {
            spinners[i] = Thread.ofPlatform().start(ProcessCpuClockTest::spinForTwentyMillisOfCpu);
        }
        for (Thread t : spinners) {
            t.join();
        }
        long used = ProcessCpuClock.nanos() - before;
        long beanUsed = os.getProcessCpuTime() - beanBefore;
        assertThat(used).isGreaterThanOrEqualTo(2 * 20_000_000L);
        // Both read the same process clock, the MXBean to the tick (10 ms) below, at either end.
        assertThat(beanUsed).isBetween(used - 30_000_000L, used + 30_000_000L);
    }

    private static void spinForTwentyMillisOfCpu() {
        var threads = ManagementFactory.getThreadMXBean();
        long start = threads.getCurrentThreadCpuTime();
        while (threads.getCurrentThreadCpuTime() - start < 20_000_000L) {
            Thread.onSpinWait();
        }
    }
}
