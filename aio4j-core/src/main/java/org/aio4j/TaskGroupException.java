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
    /** How many CancelShields of the group's task were open when it was created: see {@link #shieldsAtEntry()}. */
    private final transient int shieldsAtEntry;

    TaskGroupException(int shieldsAtEntry) {
        super(null, null, true, true);
        this.shieldsAtEntry = shieldsAtEntry;
    }

    /** Only shields opened inside the group's block defer its abort (this exception, thrown into the block). */
    int shieldsAtEntry() {
        return shieldsAtEntry;
    }

    void add(Throwable error) {
        errors.add(error);
        addSuppressed(error);
    }

    private TaskGroupException(TaskGroupException original) {
        super(null, original, false, true);
        this.shieldsAtEntry = original.shieldsAtEntry;
        errors.addAll(original.errors);
    }

    /**
     * The same errors again, for {@link TaskGroup#close()} to throw when they were already delivered to the block,
     * which may have caught them. Its cause is this exception (whose suppressed exceptions show each error) and it
     * takes no suppressed exceptions of its own: when the block did let this one propagate, the copy that
     * try-with-resources attaches to it adds one short entry, not every error again.
     */
    TaskGroupException copy() {
        return new TaskGroupException(this);
    }

    boolean isEmpty() {
        return errors.isEmpty();
    }

    /**
     * The errors, in the order they happened.
     *
     * @return an unmodifiable view of the errors
     */
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
