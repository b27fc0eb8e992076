package org.aio4j;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A child process whose pipes are streams of the loop: asyncio's {@code asyncio.subprocess.Process}, as
 * {@link Aio#createSubprocessExec} and {@link Aio#createSubprocessShell} return it.
 *
 * <p>Each pipe is read or written by a virtual thread of its own, off the loop, as a connection is (see
 * {@link StreamReader}, {@link StreamWriter}): {@link #stdin()} is a writer whose {@code writeEof()} or
 * {@code close()} closes the child's standard input, and which is closed when the child exits (its
 * {@code waitClosed()} returns, a later {@code write} is dropped and {@code drain()} throws, as asyncio's pipe
 * transport closes when the child's end does), {@link #stdout()} and {@link #stderr()} are readers. A stream
 * the {@link ProcessBuilder} does not redirect to a pipe ({@link ProcessBuilder.Redirect#PIPE}) is {@code null}, as
 * asyncio's is when it is not {@code PIPE}.
 *
 * <pre>{@code
 * Subprocess p = Aio.createSubprocessExec("sort");
 * Subprocess.Output out = p.communicate("b\na\n".getBytes());   // out.stdout() is "a\nb\n"
 * int status = p.await();                                        // 0
 * }</pre>
 *
 * <p><b>Exit status.</b> {@link #await()} and {@link #returncode()} give the JDK's exit value: a child killed by
 * signal N reports 128 + N on Unix (asyncio's {@code returncode} is then -N).
 *
 * <p><b>The loop's close</b> kills a child still running (SIGKILL; asyncio's transport kills it too when it is
 * closed) and closes its pipes. In debug mode ({@link EventLoop#isDebug()}) it logs a warning naming the child, as
 * asyncio's debug mode does ({@code "Close running child process: kill ..."}, to the {@code System.Logger}
 * {@code "org.aio4j"}). A thread reading the child's output may outlive the close, though: the JDK cannot
 * interrupt a read from a pipe, so while another process still holds its writing end (a grandchild the child started
 * in the background, {@code sh -c "server &"}), the thread stays blocked in that read until the grandchild exits
 * or closes it.
 *
 * <p><b>Threads.</b> A loop object: call it from a task of its loop; its streams are loop objects too.
 */
public final class Subprocess extends LoopBound {

    /**
     * What {@link #communicate} read: asyncio's {@code (stdout_data, stderr_data)}.
     *
     * @param stdout everything the child wrote to its standard output, or null if it was not a pipe
     * @param stderr everything the child wrote to its standard error, or null if it was not a pipe
     */
    public record Output(byte[] stdout, byte[] stderr) {
    }

    private final Process process;
    private final StreamWriter stdin;
    /** The transport of {@link #stdin}, or null if it is not a pipe. */
    private final StreamTransport stdinTransport;
    private final StreamReader stdout;
    private final StreamReader stderr;
    private final OpenStreams.Closer killer;
    /**
     * Completed once the child has exited and its input pipe was closed (that closing's loss posted to the loop):
     * what {@link #await()} waits for, so that the loss reaches the writer before the task resumes, as asyncio's
     * {@code wait()} returns with the pipes closed.
     */
    private final java.util.concurrent.CompletableFuture<Void> exited;
    private static final System.Logger LOG = System.getLogger("org.aio4j");
    /** errno 2 in the JDK's message of a failed start. */
    private static final java.util.regex.Pattern ENOENT = java.util.regex.Pattern.compile("\\berror(=| ?: ?)2\\b");

    private Subprocess(EventLoop loop, Process process, ProcessBuilder builder, int limit) {
        this.process = process;
        String name = "pid " + process.pid();
        StreamTransport input = builder.redirectInput() == ProcessBuilder.Redirect.PIPE
                ? started(StreamTransport.ofPipe(loop, process.getOutputStream(), "stdin of " + name,
                        process.toHandle())) : null;
        this.stdin = input != null ? input.writer : null;
        this.stdinTransport = input;
        this.stdout = builder.redirectOutput() == ProcessBuilder.Redirect.PIPE
                ? started(StreamTransport.ofPipe(loop, process.getInputStream(), limit, "stdout of " + name)).reader
                : null;
        this.stderr = builder.redirectError() == ProcessBuilder.Redirect.PIPE && !builder.redirectErrorStream()
                ? started(StreamTransport.ofPipe(loop, process.getErrorStream(), limit, "stderr of " + name)).reader
                : null;
        this.killer = () -> { // the loop's close: asyncio's transport kills the child when closed, and says so
            if (process.isAlive() && loop.isDebug()) {
                LOG.log(System.Logger.Level.WARNING, "Close running child process: kill " + this);
            }
            process.toHandle().destroyForcibly();
        };
        loop.openStreams.add(killer);
        this.exited = process.onExit().thenCompose(p -> {
            loop.openStreams.remove(killer);
            return input != null ? closeInputAtExit(input, WRITE_AT_EXIT) : CompletableFuture.completedFuture(null);
        });
        check("new");
    }

    /**
     * How long the exit of a child waits for a write to its input that is in progress, to know whether the child
     * read it: a write the child's pipe took returns at once; one that still blocks is held by another process that
     * keeps the pipe open without reading it (a grandchild).
     */
    static final Duration WRITE_AT_EXIT = Duration.ofSeconds(1);

    /**
     * Closes the input pipe of a child that has exited, failing what was left to write. The JDK closes the pipe once
     * the child has exited, and nothing will write to it again; asyncio's pipe transport sees its reading end close,
     * and fails what was left to write with {@code BrokenPipeError}. A write in progress is waited for (up to
     * {@code writeBound}): the child may have read it all before it exited, and the exit be seen before the write
     * returns; its bytes are then sent, not left.
     */
    static CompletableFuture<Void> closeInputAtExit(StreamTransport input, Duration writeBound) {
        return input.writePump().leftUnsentAfterWrite().copy() // the bound is this caller's, not the pump's
                .completeOnTimeout(true, writeBound.toNanos(), TimeUnit.NANOSECONDS)
                .thenAccept(left -> input.abort(left ? new IOException("Broken pipe: " + input
                        + " was closed when the child exited, with bytes left to write") : null));
    }

    private static StreamTransport started(StreamTransport t) {
        t.start();
        return t;
    }

    /**
     * {@link Aio#createSubprocessExec(ProcessBuilder)}, or {@link Aio#createSubprocessShell} ({@code function}, the
     * name that messages give).
     */
    static Subprocess start(ProcessBuilder builder, int limit, String function) throws IOException {
        Objects.requireNonNull(builder, "builder must not be null");
        List<String> command = builder.command();
        if (command.isEmpty()) {
            throw new IllegalArgumentException(function + "(): the command is empty");
        }
        for (int i = 0; i < command.size(); i++) { // ProcessBuilder.start() says nothing, on the starting thread
            if (command.get(i) == null) {
                throw new NullPointerException(function + "(): element " + i + " of the command is null");
            }
            if (command.get(i).indexOf('\0') >= 0) { // asyncio's ValueError; the JDK's start, an IOException
                throw new IllegalArgumentException(function + "(): element " + i
                        + " of the command contains a NUL character");
            }
        }
        if (limit <= 0) {
            throw new IllegalArgumentException(function + "(): limit must be > 0, got " + limit);
        }
        EventLoop loop = Aio.runningLoop();
        loop.taskAwaiting(function, "Aio." + function + "()");
        Process p;
        try {
            p = Streams.offload(loop, builder::start, Process::destroyForcibly);
        } catch (IOException e) {
            throw notStarted(e);
        }
        return new Subprocess(loop, p, builder, limit);
    }

    /**
     * What a failed start throws, made in the calling task (see {@link ThrownHere}): a program or working directory
     * that does not exist (errno ENOENT, which the JDK gives only in its message: {@code "error=2, No such file or
     * directory"}, or with JDK 25's launch helper {@code "Exec failed, error: 2 (No such file or directory)"}) as a
     * {@link FileNotFoundException}, as asyncio raises {@code FileNotFoundError}; anything else as the JDK's
     * exception, copied.
     */
    static IOException notStarted(IOException e) {
        String message = e.getMessage();
        if (message != null && ENOENT.matcher(message).find()) {
            var missing = new FileNotFoundException(message);
            missing.initCause(e);
            return missing;
        }
        return ThrownHere.copyOf(e);
    }

    /**
     * The command line that runs {@code command} in the system's shell, as CPython's {@code subprocess} builds it for
     * {@code shell=True}: {@code /bin/sh -c command}, and on Windows ({@code osName} starting with "Windows")
     * {@code comspec /c command} with {@code comspec} the {@code COMSPEC} environment variable, or {@code cmd.exe}
     * if it is null.
     */
    static List<String> shellCommand(String command, String osName, String comspec) {
        Objects.requireNonNull(command, "command must not be null");
        if (command.isBlank()) {
            throw new IllegalArgumentException("createSubprocessShell(): the command is blank");
        }
        if (osName != null && osName.startsWith("Windows")) {
            return List.of(comspec != null ? comspec : "cmd.exe", "/c", command);
        }
        return List.of("/bin/sh", "-c", command);
    }

    /**
     * The child's standard input: asyncio's {@code stdin}. Once the child has closed it or exited, what is written
     * is dropped and {@link StreamWriter#drain()} throws an {@link IOException} whose message starts with
     * {@code "stdin of pid N: "} (asyncio's {@code BrokenPipeError} or {@code ConnectionResetError}).
     *
     * @return a writer to it, or null if it is not a pipe
     */
    public StreamWriter stdin() {
        return stdin;
    }

    /**
     * The child's standard output: asyncio's {@code stdout}.
     *
     * @return a reader of it, or null if it is not a pipe
     */
    public StreamReader stdout() {
        return stdout;
    }

    /**
     * The child's standard error: asyncio's {@code stderr}.
     *
     * @return a reader of it, or null if it is not a pipe (or merged into standard output)
     */
    public StreamReader stderr() {
        return stderr;
    }

    /**
     * The child's process id: asyncio's {@code pid}.
     *
     * @return the operating system's id of the process
     */
    public long pid() {
        return process.pid();
    }

    /**
     * The exit status if the child has exited: asyncio's {@code returncode}.
     *
     * @return the exit value, or null while the child runs
     * @throws IllegalStateException if called on a thread that does not hold the process's loop
     */
    public Integer returncode() {
        check("returncode");
        return process.isAlive() ? null : process.exitValue();
    }

    /**
     * Suspends until the child exits and returns its exit status: asyncio's {@code wait()} (named as
     * {@link Event#await()} is, since {@code Object.wait()} is final). While it waits, the exit counts as work in
     * flight. It does not read the child's pipes: a child that fills a pipe nobody reads blocks, and this waits for
     * ever, as in asyncio; {@link #communicate} reads them.
     *
     * @return the exit value
     * @throws CancellationException if the task is cancelled while it waits (the child runs on)
     * @throws IllegalStateException if it has to wait and is not called from a task, or is called on a thread that
     *                               does not hold the process's loop
     */
    public int await() {
        EventLoop l = check("await()");
        if (!exited.isDone()) {
            waitingTask(l, "await()");
            try {
                l.wrapFuture(exited.copy()).await(); // a copy: cancelling the wait must not cancel exited
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception impossible) { // exited completes with the process only
                throw new IllegalStateException(impossible);
            }
        }
        if (stdinTransport != null) {
            stdinTransport.deliverAbortNow(); // the input pipe, closed as the child exited, is closed for the task too
        }
        return process.exitValue();
    }

    /**
     * Writes {@code input} to the child's standard input and closes it, reads its standard output and error to
     * their end, and waits for it to exit: asyncio's {@code communicate(input)}. The three run at once, in tasks of
     * their own, so a child that writes much before it reads all its input does not block. A child that closed its
     * input early is not an error (what it did not read is dropped, as asyncio ignores {@code BrokenPipeError}).
     *
     * @param input the bytes to send, or null to send nothing (standard input is closed all the same, if a pipe)
     * @return what the child wrote
     * @throws IOException              if a pipe failed
     * @throws IllegalArgumentException if {@code input} is given and standard input is not a pipe
     * @throws CancellationException    if the task is cancelled meanwhile: the tasks reading and writing are
     *                                  cancelled too, and the child runs on
     * @throws IllegalStateException    if {@code input} is given and standard input was closed already (by an
     *                                  earlier {@code communicate}, its {@code close()} or {@code writeEof()}:
     *                                  asyncio drops the input then), if not
     *                                  called from a task, or from a thread that does not hold the process's loop
     */
    public Output communicate(byte[] input) throws IOException {
        EventLoop l = check("communicate()");
        if (input != null && stdin == null) {
            throw new IllegalArgumentException("communicate(input): the child's standard input is not a pipe");
        }
        if (input != null && stdin.refusesWrites()) {
            throw new IllegalStateException("communicate(input): the child's standard input is already closed ("
                    + this + ")");
        }
        waitingTask(l, "communicate()");
        List<Task<byte[]>> parts = new ArrayList<>();
        if (stdin != null) {
            parts.add(l.createQueuedTask(() -> {
                try {
                    if (input != null) {
                        stdin.write(input);
                        stdin.drain();
                    }
                } catch (IOException childClosedItsInput) {
                    // as asyncio: BrokenPipeError and ConnectionResetError are ignored
                }
                stdin.close();
                return null;
            }, "communicate() stdin of pid " + pid()));
        }
        Task<byte[]> out = stdout == null ? null : l.createQueuedTask(() -> stdout.read(-1), "communicate() stdout");
        Task<byte[]> err = stderr == null ? null : l.createQueuedTask(() -> stderr.read(-1), "communicate() stderr");
        for (Task<byte[]> t : new ArrayList<>(java.util.Arrays.asList(out, err))) {
            if (t != null) {
                parts.add(t);
            }
        }
        try {
            Aio.gather(parts).await();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception impossible) { // the tasks throw nothing else
            throw new IllegalStateException(impossible);
        }
        await();
        return new Output(out == null ? null : out.resultNow(), err == null ? null : err.resultNow());
    }

    /**
     * Asks the child to stop: asyncio's {@code terminate()}, the JDK's {@link ProcessHandle#destroy()} (SIGTERM on
     * Unix). Does nothing if it has exited. Its pipes stay open (unlike {@link Process#destroy()}, which closes
     * them): what it wrote before it ended can still be read, then the end of the stream.
     */
    public void terminate() {
        check("terminate");
        process.toHandle().destroy();
    }

    /**
     * Kills the child: asyncio's {@code kill()}, the JDK's {@link ProcessHandle#destroyForcibly()} (SIGKILL on
     * Unix). Its pipes stay open, as for {@link #terminate()}.
     */
    public void kill() {
        check("kill");
        process.toHandle().destroyForcibly();
    }

    /**
     * Sends the child a signal: asyncio's {@code send_signal(signal)}, with the signal's name instead of its number.
     * Does nothing if the child has exited, as {@link #terminate()} and {@link #kill()} (asyncio's raise
     * {@code ProcessLookupError} once the child has exited and its pipes have ended). {@code TERM} and {@code KILL}
     * are those two; any other signal is sent by the system's {@code kill} command, by its number
     * ({@code sh -c 'kill -NUMBER PID'}: the shell may not know every name the JVM does, such as Linux's
     * {@code POLL}), which the calling thread waits for: the loop is held for the millisecond or so that starting a
     * process takes (the JDK has no call that sends a signal to another process).
     *
     * <p>As in asyncio, a child that exits just before the signal is sent is not an error; like
     * {@code os.kill}, the signal goes to the process id, which the system could give to a new process once the JDK
     * has collected the child's exit (the JDK's own {@code destroy}, used for {@code TERM} and {@code KILL}, checks
     * the process's start time too).
     *
     * @param signal the signal's name, such as {@code "INT"}, {@code "SIGHUP"} or {@code "USR1"}, as
     *               {@link EventLoop#addSignalHandler} takes it
     * @throws IllegalArgumentException      if {@code signal} is not the name of a signal of this system
     * @throws NullPointerException          if {@code signal} is null
     * @throws UnsupportedOperationException on Windows, for a signal other than {@code TERM} and {@code KILL}
     * @throws IllegalStateException         if the system's {@code kill} command failed to send it to a child
     *                                       that is still running (its message quoted), or if called on a thread
     *                                       that does not hold the process's loop
     */
    public void sendSignal(String signal) {
        Objects.requireNonNull(signal, "signal must not be null");
        check("sendSignal");
        String name = Signals.validName(signal);
        switch (name) {
            case "TERM" -> terminate();
            case "KILL" -> kill();
            default -> {
                if (System.getProperty("os.name", "").startsWith("Windows")) {
                    throw new UnsupportedOperationException("sendSignal(\"" + signal + "\"): Windows has no"
                            + " signals other than TERM and KILL (terminate() and kill())");
                }
                if (process.isAlive()) {
                    runKill(name, Signals.number(name));
                }
            }
        }
    }

    private void runKill(String name, int number) {
        Process kill;
        try {
            kill = new ProcessBuilder("/bin/sh", "-c", "kill -" + number + " " + process.pid())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("sendSignal(\"" + name + "\") to pid " + process.pid() + ": cannot"
                    + " start /bin/sh to send it: " + e.getMessage(), e);
        }
        String said;
        int status;
        try (var out = kill.getInputStream()) {
            kill.getOutputStream().close();
            said = new String(out.readAllBytes(), StandardCharsets.UTF_8).strip();
            status = kill.waitFor();
        } catch (IOException e) {
            said = e.toString();
            status = -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // kept for the loop: it cancels the task, as for any interrupt
            kill.destroyForcibly();
            return;
        }
        if (status != 0 && process.isAlive()) {
            throw new IllegalStateException("sendSignal(\"" + name + "\") to pid " + process.pid() + ": kill"
                    + " failed (exit status " + status + "): " + said);
        }
    }

    /** The JDK's process (for tests). */
    Process process() {
        return process;
    }

    @Override
    public String toString() {
        return "Subprocess[pid " + process.pid() + (process.isAlive() ? "" : ", exited " + process.exitValue())
                + "]";
    }
}
