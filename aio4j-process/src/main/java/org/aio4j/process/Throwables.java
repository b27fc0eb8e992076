package org.aio4j.process;

/**
 * The text of an exception that is not the pool's own (a task's, one a result's {@code readObject} threw, an error of
 * the JVM), for a message the pool writes while it handles a failure. Its {@code toString()} and {@code getMessage()}
 * are code of the user's that may throw in turn; were the handler to throw, the thread handling the failure would end
 * without finishing its call, which would wait for ever. These never throw (short of a lack of memory).
 */
final class Throwables {

    private Throwables() {
    }

    /** {@code e.toString()}, or if that throws, the class name of {@code e} and of what it threw. */
    static String describe(Throwable e) {
        try {
            return e.toString();
        } catch (Throwable failure) {
            return e.getClass().getName() + " (whose toString() threw " + failure.getClass().getName() + ")";
        }
    }

    /** {@code String.valueOf(e.getMessage())}, or if that throws, a text naming the class of what it threw. */
    static String message(Throwable e) {
        try {
            return String.valueOf(e.getMessage());
        } catch (Throwable failure) {
            return "(its getMessage() threw " + failure.getClass().getName() + ")";
        }
    }
}
