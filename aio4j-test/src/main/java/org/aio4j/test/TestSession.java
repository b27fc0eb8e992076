package org.aio4j.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.aio4j.Aio;
import org.aio4j.Context;
import org.aio4j.Coroutine;
import org.aio4j.EventLoop;
import org.aio4j.ExceptionContext;
import org.aio4j.ExceptionHandler;
import org.aio4j.Task;

/**
 * One test's event loop, from its creation to the end-of-test checks: the counterpart of kotlinx-coroutines-test's
 * {@code TestScope} and of {@code unittest.IsolatedAsyncioTestCase}'s runner, which runs {@code asyncSetUp}, the
 * test and {@code asyncTearDown} on one loop.
 *
 * <p>{@link #run} runs a coroutine as the main task of the loop, as a {@link WatchedRun} (under the real-time
 * timeout); it may be called several times (set-up, test, tear-down), and tasks left by one run stay pending for the next. {@link #finish} then checks
 * for tasks still pending, cancels what is left, closes the loop, and returns every failure it found, including the
 * errors that reached the loop's exception handler meanwhile (exceptions of tasks nobody awaited, failing callbacks).
 *
 * <p>Not thread-safe: one thread (the test runner's) calls {@code run} and {@code finish}, one at a time.
 */
final class TestSession {

    private final TestOptions options;
    private final EventLoop loop;
    private final List<ExceptionContext> reported = new CopyOnWriteArrayList<>();
    /** Records what reaches it in {@link #reported}; put back for the end of the test if the test replaced it. */
    private final ExceptionHandler handler = (l, context) -> reported.add(context);
    /**
     * The loop's default executor ({@code runInExecutor(null, ...)}), the session's own so that its threads are named
     * after the test module; shut down when the session ends.
     */
    private final ExecutorService offloads =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("aio4j-test-executor-", 0).factory());
    /** Why the loop was abandoned to its driver thread (null if it was not): see {@link #markAbandoned}. */
    private volatile String abandoned;
    private boolean finished;
    /**
     * The context every run of the session runs in: a copy of the creating thread's, so that the body sees the
     * caller's {@link org.aio4j.ContextVar} values (as {@code Aio.run}'s main task does) and what set-up sets is seen
     * by the test and the tear-down (as {@code IsolatedAsyncioTestCase} runs them in one context since Python 3.11).
     */
    private final Context context = Context.copyContext();

    TestSession(TestOptions options) {
        this.options = options;
        EventLoop.Builder b = EventLoop.builder()
                .debug(options.debug())
                .deadlockDetection(options.deadlockDetection())
                .exceptionHandler(handler);
        if (options.virtualTime()) {
            b.virtualTime();
        }
        options.scheduleSeed().ifPresent(b::scheduleSeed);
        this.loop = b.build();
        loop.setDefaultExecutor(offloads);
    }

    TestOptions options() {
        return options;
    }

    EventLoop loop() {
        return loop;
    }

    /** The context the runs' main tasks run in, one for the session. */
    Context context() {
        return context;
    }

    /**
     * Runs {@code body} as the loop's main task named {@code name}, under the watchdog; {@code description} names it
     * in failure messages.
     *
     * @throws IllegalStateException if the session is finished, or its loop was abandoned after a timeout
     * @see WatchedRun#run
     */
    <T> T run(String name, String description, Coroutine<T> body) throws Exception {
        String why = abandoned;
        if (why != null) {
            throw new IllegalStateException("'" + name + "' was not run: the test's event loop was abandoned "
                    + why);
        }
        if (finished) {
            throw new IllegalStateException("'" + name + "' was not run: the test's event loop is closed");
        }
        return WatchedRun.run(this, name, description, body);
    }

    /**
     * Ends the session and returns the failures found, in this order: tasks still pending (if {@code checkPending}
     * and the options do not allow them), a failure of the cleanup (a task that does not end when cancelled), and
     * the errors reported to the loop's exception handler. The loop is closed. If the loop was abandoned (that run
     * failed the test already), only the errors reported so far are returned. Returns nothing after the first call.
     *
     * <p>An interrupt of the calling thread that is pending when this is called (the one that cancelled the body,
     * restored when the run threw its {@link InterruptedException}) is set aside while the cleanup and the close run,
     * each bounded by the timeout as ever, and restored after: it was reported already, and left pending it would
     * cancel the cleanup at once and count as a close that did not end in time. An interrupt arriving meanwhile
     * acts as during any run.
     */
    List<Throwable> finish(boolean checkPending) {
        if (finished) {
            return List.of();
        }
        finished = true;
        boolean interrupted = Thread.interrupted();
        try {
            return finishChecks(checkPending);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private List<Throwable> finishChecks(boolean checkPending) {
        if (abandoned != null) {
            // The loop is still held by a blocked task; its driver cleans up if it ever comes back.
            return reported.isEmpty() ? List.of() : List.of(unhandledErrors(List.copyOf(reported)));
        }
        var failures = new ArrayList<Throwable>();
        if (checkPending && !options.allowPendingTasks() && !loop.allTasks().isEmpty()) {
            int n = loop.allTasks().size();
            // A task cancelled and not awaited whose clean-up suspends is still pending: "cancel them" was done.
            long unwinding = loop.allTasks().stream().filter(t -> t.cancelling() > 0).count();
            failures.add(new AssertionError(n + (n == 1 ? " task was" : " tasks were")
                    + " still pending at the end of the test (await or cancel them, or allow background tasks with"
                    + " allowPendingTasks)" + (unwinding == 0 ? "" : "; " + unwinding + " of them "
                    + (unwinding == 1 ? "was" : "were") + " cancelled and " + (unwinding == 1 ? "is" : "are")
                    + " still unwinding: await a task after cancel()") + "; the end-of-test cleanup cancels them.\n"
                    + dump()));
        }
        // A handler the test installed (code under test may install its own) heard what was reported while it was
        // there; what the cleanup and the close find must fail the test.
        loop.setExceptionHandler(handler);
        try {
            WatchedRun.run(this, "end-of-test cleanup", "The end-of-test cleanup (cancelling the tasks left, then"
                    + " waiting for the offloaded calls in flight)", this::cancelRemaining);
        } catch (Throwable e) {
            failures.add(e);
        }
        if (abandoned == null) {
            closeWatched(failures); // reports the exceptions nobody retrieved
        }
        offloads.shutdown(); // the loop shuts down only a default executor it created itself
        if (!reported.isEmpty()) {
            failures.add(unhandledErrors(List.copyOf(reported)));
        }
        return failures;
    }

    /**
     * Closes the loop on a thread of its own and waits for it under the run timeout (see {@link #closeBound()}), as
     * every run is watched: the close resumes the tasks still pending (after a cleanup that deadlocked, say) so that
     * their {@code finally} blocks run, and a blocking call there would hold it for ever. If the close is not done in time, this adds the
     * failure with the task dump, interrupts the thread holding the loop, and gives the close the cancellation grace
     * to end; a close that still does not end is left to its thread.
     */
    private void closeWatched(List<Throwable> failures) {
        var closed = new CountDownLatch(1);
        var failed = new AtomicReference<Throwable>();
        Thread.ofPlatform().daemon().name("aio4j-test-close").start(() -> {
            try {
                loop.close();
            } catch (Throwable e) {
                failed.set(e);
            } finally {
                closed.countDown();
            }
        });
        boolean interrupted = false;
        boolean done;
        try {
            done = closed.await(WatchedRun.nanos(closeBound()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
            done = false;
        }
        if (!done) {
            String dump = dump();
            Thread holder = loop.interruptRunningThread();
            boolean ended = !interrupted && awaitQuietly(closed, options.cancellationGrace());
            failures.add(new AssertionError("Closing the test's event loop did not end within "
                    + WatchedRun.seconds(closeBound()) + (interrupted ? " (the thread running the test was"
                    + " interrupted)" : "") + ": the close resumes the tasks still pending so that they unwind, and"
                    + " one of them held the loop (a blocking call in a finally block or a cancellation handler?). "
                    + (holder == null ? "" : "The thread holding it (" + holder + ") was interrupted; ")
                    + (ended ? "the close then ended." : "the close is left to its thread.") + " Tasks then:\n"
                    + dump));
        }
        if (failed.get() != null) {
            failures.add(failed.get());
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The longest a close may take before it counts as held: the run timeout, but at least {@link #MIN_CLOSE_BOUND},
     * since a close that works may take seconds (it sends what streams still had to send, up to a stall of 2 s each,
     * and ends the children still running) even when the test's own timeout is short.
     */
    private Duration closeBound() {
        return options.timeout().compareTo(MIN_CLOSE_BOUND) > 0 ? options.timeout() : MIN_CLOSE_BOUND;
    }

    private static final Duration MIN_CLOSE_BOUND = Duration.ofSeconds(10);

    private static boolean awaitQuietly(CountDownLatch latch, Duration limit) {
        try {
            return latch.await(WatchedRun.nanos(limit), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * With schedule exploration on, adds the seed to a failure that leaves the test (as a suppressed note, so that
     * the failure itself, e.g. the body's own exception, stays as it is): the seed replays the interleaving. A failure
     * that records no suppressed exceptions (built with suppression disabled), which would drop the note, becomes the
     * cause of an {@link AssertionError} that carries it, as in {@link AioTesting#combine}.
     */
    Throwable noteSeed(Throwable failure) {
        OptionalLong seed = options.scheduleSeed();
        if (seed.isEmpty() || failure instanceof ScheduleSeedNote
                || java.util.Arrays.stream(failure.getSuppressed()).anyMatch(ScheduleSeedNote.class::isInstance)) {
            return failure;
        }
        var note = new ScheduleSeedNote(seed.getAsLong());
        failure.addSuppressed(note);
        if (failure.getSuppressed().length > 0) {
            return failure;
        }
        var carrier = new AssertionError("The test failed with " + failure + ", which records no suppressed"
                + " exceptions; the schedule seed is noted here", failure);
        carrier.addSuppressed(note);
        return carrier;
    }

    /** The seed of a failed test that explored schedules. */
    static final class ScheduleSeedNote extends AssertionError {
        private static final long serialVersionUID = 1L;

        ScheduleSeedNote(long seed) {
            super("The loop ran its ready tasks in an order shuffled with schedule seed " + seed
                    + "; TestOptions.withScheduleSeed(" + seed + ") or @AioTest(scheduleSeed = " + seed
                    + ") replays it");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // a note, not an error: its stack would say nothing
        }
    }

    /**
     * Cancels every other task and waits for them, then for the offloaded calls still in flight, so that their errors
     * are reported too; again until nothing is left. Run as the main task of the cleanup.
     */
    private Void cancelRemaining() throws Exception {
        Task<?> me = Aio.currentTask();
        for (;;) {
            var others = new ArrayList<Task<?>>(Aio.allTasks());
            others.remove(me);
            if (!others.isEmpty()) {
                for (Task<?> t : others) {
                    t.cancel("the test ended");
                }
                List<Object> outcomes = Aio.gatherWithExceptions(others).await();
                for (int i = 0; i < outcomes.size(); i++) {
                    if (outcomes.get(i) instanceof Throwable e && !(e instanceof CancellationException)) {
                        loop.callExceptionHandler(new ExceptionContext(
                                "Task failed when it was cancelled at the end of the test", e, others.get(i), null));
                    }
                }
            }
            // Every offloaded call in flight (Aio.toThread, any executor, a wrapped stage), on either clock: this
            // returns once each has ended and its outcome has been delivered, so that its error is reported and its
            // thread does not outlive the test. A call blocked in Future.get() on a future of the loop is not waited
            // for: only the loop could settle that future; the close releases the call and reports it. Nor is a call
            // queued on a fixed pool all of whose threads run such calls: the close drops it and reports it.
            Aio.waitAllTasksBlocked();
            if (Aio.allTasks().size() == 1) {
                return null;
            }
        }
    }

    private static AssertionError unhandledErrors(List<ExceptionContext> errors) {
        var message = new StringBuilder().append(errors.size())
                .append(errors.size() == 1 ? " error" : " errors")
                .append(" reached the event loop's exception handler (exceptions of tasks nobody awaited, of callbacks,"
                        + " ...); the first is the cause");
        if (errors.size() > 1) {
            message.append(", the others are suppressed");
        }
        message.append(':');
        for (ExceptionContext c : errors) {
            message.append("\n  - ").append(c.message());
            if (c.future() != null) {
                message.append(": ").append(c.future());
            } else if (c.handle() != null) {
                message.append(": ").append(c.handle()).append(c.exception() != null ? " raised " + c.exception() : "");
            } else if (c.exception() != null) {
                message.append(": ").append(c.exception());
            }
        }
        var failure = new AssertionError(message.toString(), throwableOf(errors.getFirst()));
        for (ExceptionContext c : errors.subList(1, errors.size())) {
            failure.addSuppressed(throwableOf(c));
        }
        return failure;
    }

    private static Throwable throwableOf(ExceptionContext c) {
        return c.exception() != null ? c.exception() : new AssertionError(c.describe());
    }

    /** The loop's task dump; from another thread while the loop runs, a best-effort snapshot. */
    String dump() {
        try {
            return loop.dumpTasks();
        } catch (RuntimeException racingWithTheLoop) {
            return "(the task dump failed: " + racingWithTheLoop + ")";
        }
    }

    /**
     * Called by the watchdog when it gives up on the loop; {@code why} completes "the test's event loop was abandoned
     * ...", e.g. {@code "after a timeout, because a task was blocking it"}.
     */
    void markAbandoned(String why) {
        abandoned = why;
    }

    /**
     * Called on the driver thread when an abandoned loop comes back: closes the loop, which cancels what is left (a
     * task that will not end is abandoned by the loop itself, so this always returns). The test has failed already;
     * what this finds goes to the default exception handler (the log).
     */
    void cleanUpAbandoned() {
        loop.setExceptionHandler(null);
        loop.close();
        offloads.shutdown();
    }
}
