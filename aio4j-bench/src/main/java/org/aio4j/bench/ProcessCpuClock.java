package org.aio4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;

/**
 * The CPU time this whole process has used, in nanoseconds, to the nanosecond where the platform tells it.
 *
 * <p>{@code OperatingSystemMXBean.getProcessCpuTime()} counts in clock ticks on Linux (10 ms): a 50 ms run read as
 * 40 or 60 ms, a short one as 0, while CPython's {@code time.process_time()}, which the Python peers report, counts in
 * nanoseconds. On Linux this clock reads {@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)} (through the foreign function
 * API, which the harness enables for its JVM peers with {@code --enable-native-access=ALL-UNNAMED}), which counts
 * every thread's time, the exited ones' too, in nanoseconds; elsewhere, or if the call cannot be linked, the MXBean's.
 */
final class ProcessCpuClock {

    /** Linux's {@code CLOCK_PROCESS_CPUTIME_ID}. */
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;

    private static final MethodHandle CLOCK_GETTIME = linkClockGettime();

    private ProcessCpuClock() {
    }

    /** Whether {@link #nanos()} reads {@code clock_gettime}, to the nanosecond; if not, the MXBean's ticks. */
    static boolean precise() {
        return CLOCK_GETTIME != null;
    }

    /** The process's CPU time so far (an origin of its own: only differences mean something). */
    static long nanos() {
        if (CLOCK_GETTIME == null) {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment timespec = arena.allocate(ValueLayout.JAVA_LONG, 2);   // tv_sec, tv_nsec
            int status = (int) CLOCK_GETTIME.invokeExact(CLOCK_PROCESS_CPUTIME_ID, timespec);
            if (status != 0) {
                throw new IllegalStateException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed: " + status);
            }
            return timespec.getAtIndex(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L
                    + timespec.getAtIndex(ValueLayout.JAVA_LONG, 1);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("clock_gettime could not be called", e);
        }
    }

    @SuppressWarnings("restricted")   // the harness enables native access for its JVM peers
    private static MethodHandle linkClockGettime() {
        // A 64-bit Linux's timespec is two longs; other systems keep the MXBean.
        if (!System.getProperty("os.name").equals("Linux") || ValueLayout.ADDRESS.byteSize() != 8) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("clock_gettime")
                    .map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS)))
                    .orElse(null);
        } catch (IllegalCallerException | UnsupportedOperationException e) {
            return null;   // native access denied (--enable-native-access=... without this module), or no linker
        }
    }
}
