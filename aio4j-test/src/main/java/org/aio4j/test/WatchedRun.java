package org.aio4j.test;

import java.lang.reflect.UndeclaredThrowableException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.aio4j.Coroutine;
import org.aio4j.DeadlockException;
import org.aio4j.EventLoop;
import org.aio4j.Task;

/**
 * Runs one coroutine as the main task of a test session's loop and waits for it in real time: the hang detector of
 * the test module (kotlinx-coroutines-test's {@code runTest} timeout; Trio has {@code fail_after} for the same).
 *
 * <p>The loop runs on a daemon <em>driver</em> thread; the calling thread (the test runner's) only waits, so it can
 * always give up. When the timeout passes, the watchdog takes the loop's task dump, cancels the main task through
 * {@link EventLoop#callSoonThreadsafe} and gives it the cancellation grace to unwind; the test then fails with the
 * dump. If the body is still not done after the grace, the loop is abandoned to its driver thread and the test fails
 * anyway, saying which of two things happened (the {@link Verdict}, decided in one place and carried out in one): the loop ran the cancellation but a task went on (it catches the
 * cancellation, or awaits something that ignores it), and the loop is then stopped (if the stop does not run within
 * another grace either, a task holds the loop since the cancellation, e.g. a blocking call in a {@code finally}
 * block, and this is the second case); or the loop never ran the cancellation because a task or callback holds it
 * (a busy loop, a blocking call), and the thread holding it is then interrupted. A driver that comes back after
 * being abandoned closes the loop, which ends what is left. An interrupt of the waiting thread cancels the body,
 * which is given the same grace to unwind before the loop is abandoned.
 */
final class WatchedRun<T> {

    private static final int RUNNING = 0;
    private static final int FINISHED = 1;
    private static final int ABANDONED = 2;

    private final TestSession session;
    private final String name;
    private final String description;
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private final CountDownLatch done = new CountDownLatch(1);
    // Written by the driver before done.countDown(), read by the waiting thread after it.
    private T value;
    private Throwable error;
    private volatile Task<T> task;
    /** Set on the loop when it runs the watchdog's cancellation: the loop is not held up. */
    private volatile boolean cancellationRan;
    // Written and read by the waiting thread only, when it abandons the loop (see carryOut).
    private Thread interruptedHolder;
    private String dumpWhenHeld;

    private WatchedRun(TestSession session, String name, String description) {
        this.session = session;
        this.name = name;
        this.description = description;
    }

    /**
     * Runs {@code body} as a task named {@code name} until it is done and returns its result. {@code description}
     * names it in failure messages, e.g. {@code Test body 'fetches'}.
     *
     * @throws AssertionError       if it timed out (with the task dump) or deadlocked (with the wait-for graph)
     * @throws InterruptedException if the calling thread was interrupted; the body was cancelled
     * @throws Exception            the body's exception
     */
    static <T> T run(TestSession session, String name, String description, Coroutine<T> body) throws Exception {
        var w = new WatchedRun<T>(session, name, description);
        Thread.ofPlatform().daemon().name("aio4j-test-loop[" + name + "]").start(() -> w.drive(body));
        return w.await();
    }

    private void drive(Coroutine<T> body) {
        EventLoop loop = session.loop();
        try {
            Task<T> t = createMainTask(loop, body);
            task = t;
            value = loop.runUntilComplete(t);
        } catch (Throwable e) {
            error = e;
        }
        done.countDown();
        if (!state.compareAndSet(RUNNING, FINISHED)) {
            session.cleanUpAbandoned();
        }
    }

    /**
     * The run's main task, created with the loop's debug mode off: in debug mode a task records where it was created,
     * and for this one that is here, in aio4j-test, which reports would show under the test's own task ("created at
     * org.aio4j.test.WatchedRun..."), leading nowhere; its line "waits on ... at" says where in the test it waits.
     * The loop is not running yet, so its watchdog is not affected.
     */
    private Task<T> createMainTask(EventLoop loop, Coroutine<T> body) {
        boolean debug = loop.isDebug();
        loop.setDebug(false);
        try {
            return loop.createTask(body, name, session.context());
        } finally {
            loop.setDebug(debug);
        }
    }

    private T await() throws Exception {
        TestOptions options = session.options();
        Duration grace = options.cancellationGrace();
        try {
            if (done.await(nanos(options.timeout()), TimeUnit.NANOSECONDS)) {
                return report();
            }
        } catch (InterruptedException e) {
            cancel("the thread running the test was interrupted");
            // Like a timeout, the body gets the grace to unwind: the loop stays usable (e.g. for @AfterEach methods,
            // after JUnit's @Timeout interrupted the test) unless it does not; then, as after a timeout, a stop that
            // does not take effect within another grace (clean-up blocking the loop) has the holder interrupted, so
            // no thread is left blocked for ever. The interrupt is reported once the loop is dealt with.
            giveUpUnlessUnwound(grace, "when the thread running the test was interrupted");
            Thread.currentThread().interrupt();
            throw e;
        }
        String dump = session.dump();
        cancel("the test timed out after " + seconds(options.timeout()));
        Verdict verdict = giveUpUnlessUnwound(grace, "after a timeout");
        throw timedOut(verdict, options, dump);
    }

    /**
     * Gives the cancelled body {@code grace} to unwind; if it does not, abandons the loop as the {@link Verdict}
     * says. A loop that was stopped gets another grace for the stop to take effect, and the verdict becomes
     * {@link Verdict#HELD_AFTER_CANCELLATION} if it does not.
     */
    private Verdict giveUpUnlessUnwound(Duration grace, String when) {
        boolean ended = awaitDone(grace) || !state.compareAndSet(RUNNING, ABANDONED);
        Verdict verdict = Verdict.of(ended, cancellationRan, false);
        carryOut(verdict, when);
        if (verdict.stopsTheLoop() && !awaitDone(grace)) {
            verdict = Verdict.of(false, true, true);
            carryOut(verdict, when);
        }
        return verdict;
    }

    /** Does what {@code verdict} says to the loop; the one place where the watchdog acts on an abandoned loop. */
    private void carryOut(Verdict verdict, String when) {
        if (verdict == Verdict.UNWOUND) {
            return;
        }
        session.markAbandoned(when + ", " + verdict.reason());
        if (verdict.stopsTheLoop()) {
            stopLoop();
        } else if (verdict.interruptsTheHolder()) {
            if (verdict == Verdict.HELD_AFTER_CANCELLATION) {
                dumpWhenHeld = session.dump(); // before the interrupt changes what the holder does
            }
            interruptedHolder = session.loop().interruptRunningThread();
        }
    }

    /** The failure of a run that timed out, saying what the verdict found and did. */
    private AssertionError timedOut(Verdict verdict, TestOptions options, String dump) {
        String timedOut = description + " timed out: not done after " + seconds(options.timeout())
                + " of real time (it was cancelled then).";
        String grace = seconds(options.cancellationGrace());
        String interrupted = interruptedHolder == null ? ""
                : "The thread holding it (" + interruptedHolder + ") was interrupted and ";
        return switch (verdict) {
            case UNWOUND -> new AssertionError(timedOut + " Something kept it from finishing: offloaded work that"
                    + " never ends, a wait for another thread, or tasks that never stop (on a virtual clock, a periodic"
                    + " task runs ahead at full speed). Tasks at the timeout:\n" + dump, error);
            case IGNORED_CANCELLATION -> new AssertionError(timedOut + " The loop ran the cancellation, but it was"
                    + " still not done " + grace + " later: a task catches its cancellation and goes on, or"
                    + " awaits something that ignores it (on a virtual clock, a task that sleeps in a loop runs ahead"
                    + " at full speed). The loop was stopped and is closed. Tasks at the timeout:\n" + dump);
            case HELD_AFTER_CANCELLATION -> new AssertionError(timedOut + " The loop ran the cancellation, but then a"
                    + " task or callback held it (a blocking call in a finally block or a cancellation handler?): it"
                    + " did not stop within " + grace + " more. " + interrupted + "the loop abandoned. Tasks now:\n"
                    + dumpWhenHeld + "\nTasks at the timeout:\n" + dump);
            case HELD -> new AssertionError(timedOut + " The loop did not respond to the cancellation within " + grace
                    + ": a task or callback is holding it (a busy loop or a blocking call; look for the task that"
                    + " waits on 'nothing (running)'). " + interrupted + "the loop abandoned. Tasks at the timeout:\n"
                    + dump);
        };
    }

    /** Stops the loop: its driver comes back at the end of this iteration, and closes it since the run is abandoned. */
    private void stopLoop() {
        try {
            session.loop().stop();
        } catch (IllegalStateException closed) {
            // The body ended just now and the driver is closing the loop: nothing to stop.
        }
    }

    /** Waits up to {@code grace} for the driver, not giving up on an interrupt (which is restored). */
    private boolean awaitDone(Duration grace) {
        long deadline = System.nanoTime() + Math.min(nanos(grace), Long.MAX_VALUE / 2);
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return done.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Cancels the main task from the loop. The watchdog may give up before the driver has created the task (a timeout
     * shorter than the driver's start, an interrupt pending when the run began): the task is then read when the loop
     * runs the cancellation (the loop runs nothing before the driver has created it), and cancelled once its first
     * step has run, so that the body starts and unwinds as any cancelled body does (its {@code finally} blocks run).
     */
    private void cancel(String message) {
        Task<T> created = task;
        try {
            session.loop().callSoonThreadsafe(created != null ? () -> cancelNow(created, message)
                    : () -> session.loop().callSoon(() -> cancelNow(task, message)));
        } catch (IllegalStateException closed) {
            // The loop closed meanwhile: the body is over.
        }
    }

    /** On the loop: the cancellation runs, so the loop is not held up; {@code t} is null if it was never created. */
    private void cancelNow(Task<T> t, String message) {
        cancellationRan = true;
        if (t != null) {
            t.cancel(message);
        }
    }

    private T report() throws Exception {
        Throwable e = error;
        if (e == null) {
            return value;
        }
        if (e instanceof DeadlockException deadlock) {
            // The loop's advice ends "build the loop with deadlockDetection(false)": the test did not build it.
            throw new AssertionError(deadlock.getMessage() + "\nThe test's loop was built by aio4j-test: its deadlock"
                    + " detection is turned off with TestOptions.withDeadlockDetection(false), or deadlockDetection ="
                    + " false of @AioTest or @AioTestOptions.", deadlock);
        }
        if (e instanceof Exception ex) {
            throw ex;
        }
        if (e instanceof Error err) {
            throw err;
        }
        throw new UndeclaredThrowableException(e);
    }

    /** {@code d} in nanoseconds, or {@code Long.MAX_VALUE} if it is too long for that. */
    static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** {@code d} in seconds, for messages; any duration, even one too long for a long of nanoseconds. */
    static String seconds(Duration d) {
        return d.getSeconds() + d.getNano() / 1e9 + " s";
    }
}
