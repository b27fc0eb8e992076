package org.aio4j;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The debug-mode watchdog: a daemon thread that notices a step (task or callback) holding the loop longer than the
 * threshold while it still does, reports it with the stack of the thread holding the loop at that moment, and
 * reports the total when the step ends. A slow step that ended between two of its polls is reported when it ends,
 * without a stack (asyncio measures every callback when it ends). Runs while the loop runs in debug mode.
 *
 * <p>The sink is the application's code, and may take its time: it is never called holding this object's monitor,
 * which the loop takes at each step's end, so a sink slow on the watchdog's thread never holds the loop up. The
 * reports still go out in the order they are decided, the two of one step included: while the watchdog's thread is
 * delivering, a report made at a step's end is queued for that thread to send next ({@link #pending}) instead of
 * being sent by the loop's thread, and {@link #stop()} waits until what was queued has been delivered, for at most
 * {@link #SINK_GRACE}: a sink that never returns must not hold the loop's run (or close) for ever, so past that
 * time the reports it has not been given are logged instead, with a warning naming the report it is still handling.
 */
final class Watchdog implements StepObserver {

    private static final System.Logger LOG = System.getLogger("org.aio4j");

    /** How long {@link #stop()} waits for the sink to be done with the reports of the run. */
    static final Duration SINK_GRACE = Duration.ofSeconds(1);

    /**
     * The loop's slow-callback duration in nanoseconds, read at each check: a {@link EventLoop#setSlowCallbackDuration}
     * from any thread, at any moment, applies from the next poll (at most 250 ms later), with no copy to miss it.
     */
    private final LongSupplier thresholdNanos;
    private final Consumer<SlowStep> sink;
    private final Thread thread;

    // Written by the loop thread at step boundaries, read by the watchdog thread.
    private volatile Object subject;
    private volatile Thread holder;
    private volatile long startedAt;
    private volatile long step;
    /** The step number last reported as slow while it ran; guarded by this. */
    private long reportedStep = -1;
    /**
     * Whether the watchdog's thread is handing reports to the sink (the report of a step still running, then
     * {@link #pending}); guarded by this.
     */
    private boolean delivering;
    /** The report the watchdog's thread is handing the sink, while {@link #delivering}; guarded by this. */
    private SlowStep inSink;
    /** Reports made at steps' ends while the watchdog's thread was delivering, for it to send next; guarded by this. */
    private final java.util.ArrayDeque<SlowStep> pending = new java.util.ArrayDeque<>();
    private volatile boolean stopped;

    Watchdog(LongSupplier thresholdNanos, Consumer<SlowStep> sink) {
        this.thresholdNanos = thresholdNanos;
        this.sink = sink;
        this.thread = Thread.ofPlatform().daemon().name("aio4j-watchdog").unstarted(this::watch);
    }

    void start() {
        thread.start();
    }

    /**
     * Stops the watchdog's thread, once it has handed the sink what it is delivering and what is queued for it: every
     * report of the loop's run is delivered when the run returns. Unless the sink takes longer than
     * {@link #SINK_GRACE} (or an interrupt, which is kept, stops the wait): then the reports still queued are taken
     * from the watchdog's thread and logged at WARNING with the report the sink is still handling, and this returns;
     * the sink's call goes on, on the watchdog's thread, which ends when it returns.
     */
    void stop() {
        stopped = true;
        LockSupport.unpark(thread);
        if (Thread.currentThread() == thread) {
            return; // the sink itself turned debug mode off
        }
        SlowStep stuck;
        List<SlowStep> undelivered;
        Duration waited;
        synchronized (this) {
            long start = System.nanoTime();
            long deadline = start + SINK_GRACE.toNanos();
            while (delivering) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (!delivering) {
                return;
            }
            waited = Duration.ofNanos(System.nanoTime() - start); // less than the grace if an interrupt ended it
            stuck = inSink;
            undelivered = List.copyOf(pending);
            pending.clear(); // the watchdog's thread, once the sink returns, finds nothing left and ends
        }
        var message = new StringBuilder("The onSlowStep sink is still handling a report after ")
                .append(waited.toMillis()).append(" ms; the loop goes on without waiting for it. The report: ")
                .append(stuck.describe());
        if (!undelivered.isEmpty()) {
            message.append("\nThe ").append(undelivered.size()).append(" report(s) queued for the sink after it:");
            for (SlowStep r : undelivered) {
                message.append("\n").append(r.describe());
            }
        }
        try {
            LOG.log(System.Logger.Level.WARNING, message.toString());
        } catch (Throwable ignored) {
            // nothing left to report with
        }
    }

    @Override
    public void stepStarted(EventLoop loop, Object what, long nanoTime) {
        startedAt = nanoTime;
        holder = Thread.currentThread();
        step++;
        // Last: a poll that reads this subject then reads this step's number and start (volatile writes before it),
        // so it cannot take the new subject for the previous step and report it twice.
        subject = what;
    }

    @Override
    public void stepEnded(EventLoop loop, Object what, long nanoTime, boolean finished) {
        if (step == 0) {
            return; // the step that started the watchdog (EventLoop.setDebug from the loop) began before it watched
        }
        long held = nanoTime - startedAt;
        SlowStep report = null;
        synchronized (this) {
            subject = null;
            if (reportedStep == step || held >= thresholdNanos.getAsLong()) {
                report = new SlowStep(describe(what), Duration.ofNanos(held), List.of(), true);
                if (delivering) { // after what the watchdog's thread is handing the sink (this step's first report?)
                    pending.add(report);
                    return;
                }
            }
        }
        if (report != null) {
            send(report); // outside the monitor: this is the application's code
        }
    }

    /**
     * Hands {@code report} to the sink, the application's code, never holding this object's monitor: what it throws
     * is logged, and neither reaches the step that ends (the report at a step's end is sent from the thread holding
     * the loop, inside the loop's step machinery) nor stops the watchdog's thread.
     */
    private void send(SlowStep report) {
        try {
            sink.accept(report);
        } catch (Throwable e) {
            try {
                LOG.log(System.Logger.Level.WARNING, "The onSlowStep sink threw while reporting: "
                        + report.subject(), e);
            } catch (Throwable ignored) {
                // nothing left to report with
            }
        }
    }

    private void watch() {
        while (!stopped) {
            long threshold = thresholdNanos.getAsLong();
            LockSupport.parkNanos(this, Math.clamp(threshold / 4, 1_000_000L, 250_000_000L));
            Object what = subject;
            long s = step;
            long started = startedAt;
            if (what == null) {
                continue;
            }
            long held = System.nanoTime() - started;
            if (held >= threshold) {
                Thread t = what instanceof Task<?> task && task.thread != null ? task.thread : holder;
                StackTraceElement[] frames = t == null ? new StackTraceElement[0] : t.getStackTrace();
                Thread.State state = t == null ? null : t.getState();
                if (what instanceof Handle) {
                    frames = callbackFrames(frames);
                }
                var report = new SlowStep(describe(what), Duration.ofNanos(held), Arrays.asList(frames), false, state);
                synchronized (this) {
                    if (subject != what || step != s || reportedStep == s || stopped) {
                        continue; // the step ended while we looked (its end reports it), or it was reported
                    }
                    reportedStep = s;
                    delivering = true;
                    inSink = report;
                }
                deliver(report);
            }
        }
    }

    /**
     * On the watchdog's thread, which has set {@link #delivering} and {@link #inSink}: sends {@code report}, then the
     * reports that steps' ends queued meanwhile, in order, each outside the monitor; then clears {@code delivering}.
     */
    private void deliver(SlowStep report) {
        while (report != null) {
            send(report); // throws nothing
            synchronized (this) {
                report = pending.poll();
                inSink = report;
                if (report == null) {
                    delivering = false;
                    notifyAll(); // a stop() waiting for the reports of the run
                }
            }
        }
    }

    /**
     * The frames of a callback's step: those above the loop's call of the callback. The loop runs a callback on
     * whichever thread holds it, often a suspending task's, whose frames below (the loop's, then that task's own
     * code) have nothing to do with the callback and would point at another task's line. All of {@code frames} if
     * the call is not among them (the callback has just returned).
     */
    static StackTraceElement[] callbackFrames(StackTraceElement[] frames) {
        String handle = Handle.class.getName();
        String sited = SitedCallback.class.getName();
        for (int i = 0; i < frames.length; i++) {
            if (frames[i].getClassName().equals(handle) && frames[i].getMethodName().equals("run")) {
                int end = i;
                while (end > 0 && frames[end - 1].getClassName().equals(sited)) {
                    end--; // debug mode's wrapper, which records where the callback was scheduled
                }
                return Arrays.copyOf(frames, end);
            }
        }
        return frames;
    }

    /**
     * The step as its report names it: a task with the line that created it (debug mode records it), as asyncio's
     * slow-callback warning shows the task's repr with its {@code created at}; a callback as it prints itself.
     */
    static String describe(Object what) {
        if (what instanceof Task<?> t) {
            StackTraceElement[] site = t.site();
            if (site != null && site.length > 0) {
                return t + " created at " + site[0];
            }
        }
        return String.valueOf(what);
    }
}
