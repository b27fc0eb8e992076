package org.aio4j.bench;

import java.util.Locale;

/**
 * The workloads the harness runs under every peer (aio4j, CPython asyncio, uvloop, Kotlin coroutines, bare virtual
 * threads), from issues 2 and 3. Each has a size {@code n}, an operation that the per-operation figures divide by, and
 * an answer every implementation must compute: the harness rejects a run whose answer is wrong, so no peer can win by
 * skipping work.
 *
 * <p>The Python twins of these definitions are in {@code src/main/python/asyncio_workloads.py}; the two must describe
 * the same work.
 */
public enum Workload {

    /**
     * Two tasks each doing {@code n} {@code sleep(0)}: {@code 2n} real switches. Answer: the number of resumptions
     * after which the other task had run meanwhile, {@code 2n} (a {@code sleep(0)} that did not suspend counts none).
     */
    SWITCH("switch", 1_000_000, "switch", "two tasks × %s sleep(0) each") {
        @Override
        public long operations(int n) {
            return 2L * n;
        }

        @Override
        public long answer(int n) {
            return 2L * n;
        }
    },

    /**
     * {@code n} tasks that each suspend once ({@code sleep(0)}) and return their index, gathered. Answer: the sum of
     * the indexes. In an event loop's FIFO order every task has taken its first step before the first one resumes;
     * a task that finds otherwise did not suspend, and fails the run.
     */
    SPAWN_GATHER("spawn-gather", 1_000_000, "task", "spawn and gather %s tasks that each suspend once"),

    /**
     * Two tasks handing a counter back and forth through futures, {@code n} round trips ({@code 2n} hand-offs, each
     * through a new future that carries the value and the future for the reply). Answer: {@code 2n}.
     */
    PING_PONG("ping-pong", 500_000, "round trip", "two tasks ping-ponging through futures, %s round trips") {
        @Override
        public long answer(int n) {
            return 2L * n;
        }
    },

    /**
     * {@code n} callbacks scheduled with {@code callSoon} by one task, which then awaits the last. Answer: the sum of
     * the callbacks' indexes. Only event loops have it (not Kotlin, not bare threads).
     */
    CALL_SOON("call-soon", 1_000_000, "callback", "%s callSoon callbacks, scheduled by one task"),

    /**
     * One producer putting {@code 0..n-1} into a {@code Queue(maxsize=1000)} drained by 4 workers (ended by one
     * sentinel each, or by closing a channel). Answer: the sum of the items.
     */
    QUEUE("queue", 1_000_000, "item", "1 producer → Queue(maxsize=1000) → 4 workers, %s items"),

    /**
     * {@code n} tasks passing a {@code Semaphore(100)}: each acquires, suspends once holding the permit, releases.
     * Answer: the sum of the indexes; more than 100 holders at once is an error, and so, in an event loop, is fewer
     * than {@code min(n, 100)} at some moment (its first holders all suspend inside before one releases).
     */
    SEMAPHORE("semaphore", 100_000, "task", "%s tasks passing a Semaphore(100), each suspending once inside");

    /** The size of the queue in {@link #QUEUE}. */
    public static final int QUEUE_MAXSIZE = 1000;
    /** The number of workers draining the queue in {@link #QUEUE}. */
    public static final int QUEUE_WORKERS = 4;
    /** The semaphore's value in {@link #SEMAPHORE}. */
    public static final int SEMAPHORE_PERMITS = 100;

    private final String id;
    private final int fullSize;
    private final String unit;
    private final String description;

    Workload(String id, int fullSize, String unit, String description) {
        this.id = id;
        this.fullSize = fullSize;
        this.unit = unit;
        this.description = description;
    }

    /** The name used on command lines, in result files and by the Python script, e.g. {@code spawn-gather}. */
    public String id() {
        return id;
    }

    /** The size the issues ask for. */
    public int fullSize() {
        return fullSize;
    }

    /** What one operation is, for per-operation figures ("switch", "task", ...). */
    public String unit() {
        return unit;
    }

    /** A one-line description at size {@code n}. */
    public String describe(int n) {
        return String.format(description, String.format(Locale.ROOT, "%,d", n));
    }

    /** How many operations a run of size {@code n} does: the divisor of per-operation figures. */
    public long operations(int n) {
        return n;
    }

    /** The answer a correct run of size {@code n} computes. By default the sum {@code 0 + 1 + ... + (n - 1)}. */
    public long answer(int n) {
        return (long) n * (n - 1) / 2;
    }

    /**
     * Fails unless {@code peak}, the most holders of {@link #SEMAPHORE}'s semaphore at once, reached
     * {@code min(n, 100)}: in an event loop the first holders all suspend inside before one releases, so fewer means a
     * {@code sleep(0)} did not suspend. (Not for threads running in parallel, which need not reach it.)
     *
     * @throws IllegalStateException naming the peak and what it should have been
     */
    public static void checkHoldersSuspended(int peak, int n) {
        int expected = Math.min(n, SEMAPHORE_PERMITS);
        if (peak < expected) {
            throw new IllegalStateException("Semaphore(" + SEMAPHORE_PERMITS + ") had at most " + peak
                    + " holder(s) at once, expected " + expected + ": a holder's sleep(0) did not suspend it");
        }
    }

    /** The workload named {@code id}. */
    public static Workload byId(String id) {
        for (Workload w : values()) {
            if (w.id.equals(id)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + id + "'; known: " + ids());
    }

    /** The ids of all workloads, comma-separated. */
    public static String ids() {
        var sb = new StringBuilder();
        for (Workload w : values()) {
            sb.append(sb.isEmpty() ? "" : ", ").append(w.id);
        }
        return sb.toString();
    }
}
