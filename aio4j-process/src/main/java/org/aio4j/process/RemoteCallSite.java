package org.aio4j.process;

/**
 * Added as a suppressed exception to an exception that came back from a worker: it names the worker and carries the
 * parent's side of the trace, the code that made the call (for an initializer's exception, the code that gave the
 * initializer to the pool's builder). The exception's own trace holds the worker's frames.
 */
final class RemoteCallSite extends Exception {

    private static final long serialVersionUID = 1L;

    RemoteCallSite(int workerId, long pid, StackTraceElement[] origin) {
        this("the call ran in worker " + workerId + " (pid " + pid + "); it was made here:", origin);
    }

    /** With its own message: {@code "the initializer ran in worker 1 (pid 4242); it was given here:"}, say. */
    RemoteCallSite(String message, StackTraceElement[] origin) {
        super(message, null, false, true);
        setStackTrace(origin);
    }
}
