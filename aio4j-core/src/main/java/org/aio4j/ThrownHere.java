package org.aio4j;

import java.io.IOException;

/**
 * An I/O error that a stream's thread met (a reset, a broken pipe), thrown again to each task that reads or writes
 * the stream afterwards: as a copy of the same class and message made in that task, with the error itself as its
 * cause, so that its stack trace shows the line of the task that read or wrote (the error's own shows only the
 * thread's frames). asyncio raises the same exception object each time, its traceback growing the await chain; Java
 * keeps a stack trace where an exception is made, hence the copy. A class that cannot be copied so (no public
 * constructor taking a message, or one that sets a cause of its own) is thrown as it is.
 */
final class ThrownHere {

    private ThrownHere() {
    }

    static IOException copyOf(IOException error) {
        return copyOf(error, error.getMessage());
    }

    /** As {@link #copyOf(IOException)}, the copy with {@code message} (the error itself keeps its own). */
    static IOException copyOf(IOException error, String message) {
        try {
            IOException copy = error.getClass().getConstructor(String.class).newInstance(message);
            copy.initCause(error);
            return copy;
        } catch (ReflectiveOperationException | RuntimeException cannotCopy) {
            return error;
        }
    }
}
