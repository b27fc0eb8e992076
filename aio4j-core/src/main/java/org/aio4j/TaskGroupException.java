package org.aio4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The failure of a {@link TaskGroup}: every exception, other than cancellations, that its tasks (or its block)
 * ended with: asyncio's {@code ExceptionGroup} raised by {@code TaskGroup}.
 *
 * <p>Each error is in {@link #exceptions()} and also attached as a suppressed exception, so a printed stack trace
 * shows them all. None is dropped: an error that arrives while the group is already failing is added to the same
 * exception.
 */
public final class TaskGroupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<Throwable> errors = new ArrayList<>();

    TaskGroupException() {
        super(null, null, true, true);
    }

    void add(Throwable error) {
        errors.add(error);
        addSuppressed(error);
    }

    /** A new exception with the same errors. */
    TaskGroupException copy() {
        var copy = new TaskGroupException();
        errors.forEach(copy::add);
        return copy;
    }

    boolean isEmpty() {
        return errors.isEmpty();
    }

    /** The errors, in the order they happened. */
    public List<Throwable> exceptions() {
        return Collections.unmodifiableList(errors);
    }

    @Override
    public String getMessage() {
        int n = errors.size();
        var out = new StringBuilder("unhandled errors in a TaskGroup (").append(n)
                .append(n == 1 ? " sub-exception)" : " sub-exceptions)");
        for (Throwable e : errors) {
            out.append("\n  ").append(e);
        }
        return out.toString();
    }
}
