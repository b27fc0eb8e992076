package org.aio4j;

/**
 * When a task that hands the loop over should spin before parking (see {@code EventLoop.suspend}): only with
 * several carrier threads, and only while spinning pays off. A miss is recorded as soon as the spin ends, not when
 * the task gets the loop back (that may be after a million other suspensions). When spinning has stopped paying
 * off, one suspension in {@code probeInterval} tries again, and each failed probe doubles the interval (up to 64k),
 * so a round-robin over many tasks wastes almost nothing while a ping-pong between two tasks soon spins again.
 *
 * <p>Updated by waiting threads that do not hold the loop: racy on purpose, a lost update only delays adaptation.
 */
final class SpinPolicy {

    /** How long one spin lasts (override: {@code -Daio4j.spinNanos}; 0 turns spinning off). */
    static final long SPIN_NANOS = Long.getLong("aio4j.spinNanos", 50_000);
    private static final boolean SEVERAL_CARRIERS = carrierCount() > 1 && SPIN_NANOS > 0;

    private final boolean enabled;
    private volatile int score = 8;
    private volatile int probeInterval = 64;
    private int probe; // loop thread only

    /** {@code enabled = false} for a loop whose tasks share one carrier thread: nobody could hand the loop back. */
    SpinPolicy(boolean enabled) {
        this.enabled = enabled && SEVERAL_CARRIERS;
    }

    private static int carrierCount() {
        String p = System.getProperty("jdk.virtualThreadScheduler.parallelism");
        try {
            return p != null ? Integer.parseInt(p.trim()) : Runtime.getRuntime().availableProcessors();
        } catch (NumberFormatException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /** Whether the task suspending now should spin (called by the thread holding the loop). */
    boolean worthTrying() {
        if (!enabled) {
            return false;
        }
        if (score >= 0) {
            return true;
        }
        if (++probe < probeInterval) {
            return false;
        }
        probe = 0;
        return true;
    }

    /** Records whether a spin got the loop back before it ended. */
    void record(boolean hit) {
        if (hit) {
            score = Math.min(score + 2, 16);
            probeInterval = 64;
        } else {
            if (score < 0) {
                probeInterval = Math.min(probeInterval * 2, 1 << 16);
            }
            score = Math.max(score - 1, -1);
        }
    }
}
