package org.aio4j.process;

/**
 * A call of a {@link ProcessPool} failed because the worker JVM running it died (it crashed, called
 * {@code System.exit}, or was killed) or could not start, or because the pool is broken: the counterpart of asyncio's
 * {@code concurrent.futures.process.BrokenProcessPool}, with one difference. A {@code BrokenProcessPool} breaks the
 * whole executor and fails every pending call; here only the call the dead worker was running fails, and the pool
 * starts another worker for the calls that follow. When a worker cannot even start (e.g. bad JVM options), the calls
 * waiting in the queue fail with this exception too, since no worker could run them; its cause is then the exception
 * that kept the worker from starting, if one did (its process could not be created, say), and none if the worker
 * exited (the message gives its exit status and last lines of output).
 *
 * <p>The pool's {@linkplain ProcessPool.Builder#initializer initializer} failing in a worker breaks the pool as a
 * {@code BrokenProcessPool} does: every call pending, queued or running, fails with this exception, and so does every
 * remote call made afterwards ({@code submit} throws it at once). Its cause is then the initializer's exception,
 * copied from the worker (as a stand-in if it cannot cross as it is, as a call's exception is), or none if the worker
 * died while running it; {@link #workerId()}, {@link #pid()} and
 * {@link #exitStatus()} are that worker's.
 *
 * <p>The message names the worker, its process id, the call and the worker's exit status, e.g. {@code worker 3
 * (pid 41872) died while running remote call 12 of the task (a lambda in com.example.Main): exit status 137 (killed
 * by signal 9, SIGKILL)}, followed by the worker's last lines of output (its standard output and error) when there
 * are any.
 */
public final class BrokenWorkerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The pool's number for the worker; see {@link #workerId()}. */
    private final int workerId;
    /** The worker's process id, or -1; see {@link #pid()}. */
    private final long pid;
    /** The worker's exit status, or -1; see {@link #exitStatus()}. */
    private final int exitStatus;

    BrokenWorkerException(String message, int workerId, long pid, int exitStatus) {
        super(message);
        this.workerId = workerId;
        this.pid = pid;
        this.exitStatus = exitStatus;
    }

    /** With the exception that broke the worker (one that kept it from starting, say) as its cause. */
    BrokenWorkerException(String message, int workerId, long pid, int exitStatus, Throwable cause) {
        super(message, cause);
        this.workerId = workerId;
        this.pid = pid;
        this.exitStatus = exitStatus;
    }

    /** A new exception with the same message, worker, pid, exit status and cause: one for each call it fails. */
    BrokenWorkerException copy() {
        return new BrokenWorkerException(getMessage(), workerId, pid, exitStatus, getCause());
    }

    /**
     * The pool's number for the worker (1 for the first worker the pool started, and so on).
     *
     * @return the worker's number, from 1
     */
    public int workerId() {
        return workerId;
    }

    /**
     * The worker's process id, or -1 if the process could not be created at all.
     *
     * @return the process id, or -1
     */
    public long pid() {
        return pid;
    }

    /**
     * The worker's exit status: 128 + n when it was killed by signal n (137 for {@code kill -9}), or -1 if the
     * process could not be created.
     *
     * @return the exit status, or -1
     */
    public int exitStatus() {
        return exitStatus;
    }
}
