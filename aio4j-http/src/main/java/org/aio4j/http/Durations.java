package org.aio4j.http;

import java.time.Duration;
import java.util.Objects;

/** Checking and printing the timeouts of this package. */
final class Durations {

    private Durations() {
    }

    /** {@code timeout}, checked to be positive. */
    static Duration positive(Duration timeout, String what) {
        Objects.requireNonNull(timeout, what + " must not be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(what + " must be > 0, got " + format(timeout));
        }
        return timeout;
    }

    /** {@code d} in nanoseconds, or {@code Long.MAX_VALUE} if it is too long for a {@code long} of them. */
    static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException beyond292Years) {
            return Long.MAX_VALUE;
        }
    }

    /** {@code 250 ms}, {@code 5 s}, {@code 1.5 s}: easier to read in a message than ISO-8601's {@code PT0.25S}. */
    static String format(Duration d) {
        if (d.isNegative()) {
            return "-" + format(d.negated());
        }
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            long nanos = d.toNanos();
            return nanos % 1_000_000 == 0 ? nanos / 1_000_000 + " ms" : nanos / 1e6 + " ms";
        }
        double s = d.getSeconds() + d.getNano() / 1e9;
        return (s == Math.rint(s) ? String.valueOf((long) s) : String.valueOf(s)) + " s";
    }
}
