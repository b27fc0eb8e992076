package org.aio4j.process;

/**
 * Added as a suppressed exception to an exception that came back from a worker: it names the worker and carries the
 * parent's side of the trace, the code that made the call. The exception's own trace holds the worker's frames.
 */
final class RemoteCallSite extends Exception {

    private static final long serialVersionUID = 1L;

    RemoteCallSite(int workerId, long pid, StackTraceElement[] origin) {
        super("the call ran in worker " + workerId + " (pid " + pid + "); it was made here:", null, false, true);
        setStackTrace(origin);
    }
}
