package org.aio4j;

/** The {@link Permit} handed out by the primitives: runs its release action once. */
final class Release implements Permit {

    private final Object of;
    private Runnable action;

    Release(Object of, Runnable action) {
        this.of = of;
        this.action = action;
    }

    @Override
    public void close() {
        Runnable a = action;
        if (a != null) {
            a.run(); // may throw (wrong thread): the permit then stays unreleased and can be closed again
            action = null;
        }
    }

    @Override
    public String toString() {
        return "Permit[" + (action == null ? "released" : "held") + ", of " + of + "]";
    }
}
