package org.aio4j;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * JDK Flight Recorder events for the loop, so JDK Mission Control shows tasks being created, holding the loop
 * (each step from resumption to suspension or end) and finishing: {@code org.aio4j.TaskCreated} (with the creation
 * stack), {@code org.aio4j.TaskStep} (slow steps are the long ones; callbacks have no event) and
 * {@code org.aio4j.TaskFinished}, in the category "aio4j / Tasks". While no recording has these
 * events enabled, {@link Tracing#jfrOn} is false and the loop does not call in here at all: the cost is one
 * volatile read per step. Loaded only if the {@code jdk.jfr} module is present.
 *
 * <p>Their defaults are those of the JDK's own virtual-thread events, for a service that records all the time:
 * creations and ends are off (as {@code jdk.VirtualThreadStart} and {@code End}), and a step is recorded only if it
 * held the loop 20 ms or more (as {@code jdk.VirtualThreadPinned} and {@code jdk.ThreadPark}), which is what blocks
 * the loop. Recording every step made a two-million-switch benchmark's default recording 189 MB (0.46 MB with the
 * threshold); a step under it still costs an event object and two clock reads, as a short park costs the JDK. To see
 * them all: {@code -XX:StartFlightRecording:+org.aio4j.TaskStep#threshold=0ms,+org.aio4j.TaskCreated#enabled=true,
 * +org.aio4j.TaskFinished#enabled=true} (the {@code +} adds a setting the settings file lacks), or
 * {@code recording.enable("org.aio4j.TaskStep").withoutThreshold()}.
 */
final class JfrTracer implements StepObserver {

    static final JfrTracer INSTANCE = new JfrTracer();

    private JfrTracer() {
    }

    /**
     * Follows recordings starting and stopping, and keeps {@link Tracing#jfrOn} up to date. A recording that is
     * already running when this is called (one started at launch with {@code -XX:StartFlightRecording}, or by the
     * application before its first loop) turns the events on at once: the listener alone would only see the next
     * change of a recording's state.
     */
    static void install() {
        FlightRecorder.addListener(new FlightRecorderListener() {
            @Override
            public void recordingStateChanged(Recording recording) {
                refresh();
            }
        });
        // After the listener is added, so that a recording starting in between is seen by one or the other.
        refresh();
    }

    /**
     * Sets {@link Tracing#jfrOn} to whether a running recording has one of aio4j's events enabled. Without an
     * initialized flight recorder no recording can be running, and the event classes are not even registered.
     * Synchronized so that the last call, which saw the latest state, is the one that writes last.
     */
    private static synchronized void refresh() {
        boolean on = FlightRecorder.isInitialized()
                && (EventType.getEventType(TaskStep.class).isEnabled()
                        || EventType.getEventType(TaskCreated.class).isEnabled()
                        || EventType.getEventType(TaskFinished.class).isEnabled());
        if (on && !Tracing.jfrOn) {
            onPeriod++; // before the flag: a step begun under the new period reads its number
        }
        Tracing.jfrOn = on;
    }

    /**
     * Counts the periods in which {@link Tracing#jfrOn} was true. A step begun in one period and ended in another
     * (the events turned off meanwhile, so that its end was not seen, then on again in the middle of a later step)
     * must not be taken for that later step: see {@link #stepEnded}.
     */
    private static volatile int onPeriod;

    static void taskCreated(Task<?> task) {
        var e = new TaskCreated();
        if (e.shouldCommit()) {
            e.task = task.getName();
            e.parent = task.creator == null ? null : task.creator.name();
            e.commit();
        }
    }

    @Override
    public void stepStarted(EventLoop loop, Object subject, long nanoTime) {
        if (subject instanceof Task<?>) {
            var e = new TaskStep();
            e.subject = subject;
            e.period = onPeriod;
            e.begin();
            loop.jfrStep = e;
        }
    }

    @Override
    public void stepEnded(EventLoop loop, Object subject, long nanoTime, boolean finished) {
        if (!(subject instanceof Task<?> t)) {
            return;
        }
        if (loop.jfrStep instanceof TaskStep e) {
            loop.jfrStep = null;
            e.end();
            // Only the step this event began with, in this period of the events on: one begun before the events went
            // off (its end unseen) and on again would be committed as this step, from the older one's start. The name
            // only for an event committed: most steps are under the threshold.
            if (e.subject == t && e.period == onPeriod && e.shouldCommit()) {
                e.task = t.getName();
                e.outcome = finished ? "finished" : "suspended";
                e.commit();
            }
        }
        if (finished) { // whether or not the step's begin was seen: a recording may have started in the step
            var f = new TaskFinished();
            if (f.shouldCommit()) {
                f.task = t.getName();
                f.state = t.state().name();
                f.commit();
            }
        }
    }

    @Name("org.aio4j.TaskCreated")
    @Label("Task Created")
    @Category({"aio4j", "Tasks"})
    @Description("A task was created (asyncio create_task)")
    @StackTrace(true)
    @Enabled(false)
    static final class TaskCreated extends Event {
        @Label("Task")
        String task;
        @Label("Created By")
        String parent;
    }

    @Name("org.aio4j.TaskStep")
    @Label("Task Step")
    @Category({"aio4j", "Tasks"})
    @Description("A task held the event loop: from its start or resumption to its next suspension or its end")
    @StackTrace(false)
    @Threshold("20 ms")
    static final class TaskStep extends Event {
        @Label("Task")
        String task;
        @Label("Outcome")
        String outcome;
        /** The task whose step this is; transient, so not recorded. */
        transient Object subject;
        /** {@link #onPeriod} when the step began; transient, so not recorded. */
        transient int period;
    }

    @Name("org.aio4j.TaskFinished")
    @Label("Task Finished")
    @Category({"aio4j", "Tasks"})
    @StackTrace(false)
    @Enabled(false)
    static final class TaskFinished extends Event {
        @Label("Task")
        String task;
        @Label("State")
        String state;
    }
}
