package org.aio4j.jdbc;

import java.util.concurrent.atomic.AtomicLong;

/** A Java function H2 calls for each row of the counted test queries ({@code CREATE ALIAS PROBE}); public for H2. */
public final class H2Probe {

    static final AtomicLong PRODUCED = new AtomicLong();

    private H2Probe() {
    }

    /** Counts one produced row and returns {@code x}. */
    public static long probe(long x) {
        PRODUCED.incrementAndGet();
        return x;
    }
}
