package org.aio4j;

/**
 * The {@link Permit} handed out by the primitives: gives its permit back once.
 *
 * <p>It holds the primitive and the borrower instead of a lambda on purpose: each {@code this::release} in the code
 * is a separate call site that the JVM links on first use, and the one after a waiter resumes is first used only when
 * the first waiter resumes, often after the method was compiled; the compiled code then traps, and every parked
 * waiter deoptimised on resume (measured: 65,000 deoptimisations for 100,000 tasks through a Semaphore(100)).
 */
final class Release implements Permit {

    private final LoopBound of;
    private final Object borrower;
    private boolean released;

    Release(LoopBound of, Object borrower) {
        this.of = of;
        this.borrower = borrower;
    }

    @Override
    public void close() {
        if (!released) {
            of.releasePermit(borrower); // may throw (wrong thread): the permit then stays held and can be closed again
            released = true;
        }
    }

    @Override
    public String toString() {
        return "Permit[" + (released ? "released" : "held") + ", of " + of + "]";
    }
}
