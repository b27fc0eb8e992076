package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JfrEventsTest {

    @Test
    void aRecordingSeesTasksCreatedSteppingAndFinishing(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("loop.jfr");
        List<RecordedEvent> events = record(file, () -> {
            Task<Void> worker = Aio.createTask(() -> {
                Aio.sleep(1);
                Aio.sleep(1);
            }, "worker");
            worker.await();
            return null;
        });
        List<String> workerSteps = new ArrayList<>();
        boolean created = false;
        boolean finished = false;
        for (RecordedEvent e : events) {
            String type = e.getEventType().getName();
            if (type.equals("org.aio4j.TaskStep") && "worker".equals(e.getString("task"))) {
                workerSteps.add(e.getString("outcome"));
            }
            created |= type.equals("org.aio4j.TaskCreated") && "worker".equals(e.getString("task"));
            finished |= type.equals("org.aio4j.TaskFinished") && "worker".equals(e.getString("task"))
                    && "SUCCESS".equals(e.getString("state"));
        }
        assertThat(created).isTrue();
        assertThat(finished).isTrue();
        assertThat(workerSteps).containsExactly("suspended", "suspended", "finished");
        assertThat(Files.size(file)).isPositive();
    }

    /**
     * A task started eagerly ({@link EventLoop#setTaskFactory}) is recorded created before its first step, which ends
     * where it suspends; the creator's step is recorded in two, ended before that step (as "suspended") and begun
     * again after it.
     */
    @Test
    void anEagerStartIsRecordedAsAStepOfItsOwnBetweenTwoOfItsCreator(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events = record(dir.resolve("loop.jfr"), () -> {
            Aio.getRunningLoop().setTaskFactory(TaskFactory.EAGER);
            Aio.createTask(() -> Aio.sleep(1), "eager").await();
            return null;
        });
        List<String> steps = events.stream()
                .filter(e -> e.getEventType().getName().equals("org.aio4j.TaskStep"))
                .sorted(java.util.Comparator.comparing(RecordedEvent::getStartTime))
                .map(e -> e.getString("task") + " " + e.getString("outcome"))
                .toList();
        assertThat(steps).containsExactly("Task-1 suspended", "eager suspended", "Task-1 suspended", "eager finished",
                "Task-1 finished");
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("org.aio4j.TaskCreated");
            assertThat(e.getString("task")).isEqualTo("eager");
        });
    }

    /** A task cancelled before it ever ran finishes in the recording too, as every task created does. */
    @Test
    void aTaskCancelledBeforeItStartedIsRecordedFinishingCancelled(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events = record(dir.resolve("loop.jfr"), () -> {
            Task<Void> never = Aio.createTask(() -> Aio.sleep(1), "never-ran");
            never.cancel();
            Aio.gatherWithExceptions(never).await();
            return null;
        });
        List<String> seen = new ArrayList<>();
        for (RecordedEvent e : events) {
            String type = e.getEventType().getName();
            if (type.equals("org.aio4j.TaskCreated") && "never-ran".equals(e.getString("task"))) {
                seen.add(type);
            } else if (type.equals("org.aio4j.TaskFinished") && "never-ran".equals(e.getString("task"))) {
                seen.add(type + " " + e.getString("state"));
            }
        }
        assertThat(seen).containsExactly("org.aio4j.TaskCreated", "org.aio4j.TaskFinished CANCELLED");
    }

    /**
     * Under a recording with the JDK's default settings (what a service running JFR all the time uses), aio4j's
     * events cost what the JDK's own virtual-thread events do: task creations and ends are off (as
     * {@code jdk.VirtualThreadStart}/{@code End}), and a step is recorded only if it held the loop 20 ms or more (as
     * {@code jdk.VirtualThreadPinned}): one event per step made a ten-second program's recording 190 MB.
     */
    @Test
    void aRecordingWithDefaultSettingsRecordsOnlyTheStepsThatHeldTheLoopLong(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("default.jfr");
        try (var recording = new Recording(jdk.jfr.Configuration.getConfiguration("default"))) {
            recording.start();
            TestLoops.runVirtual(() -> {
                Task<Void> blocker = Aio.createTask(() -> {
                    Aio.sleep(1);
                    Thread.sleep(30); // the step under test: it blocks the loop for 30 ms at least
                }, "blocker");
                blocker.await();
                return null;
            });
            recording.stop();
            recording.dump(file);
        }
        List<String> seen = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            if (type.startsWith("org.aio4j.")) {
                seen.add(type + " " + e.getString("task"));
                if (type.equals("org.aio4j.TaskStep")) {
                    assertThat(e.getDuration()).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(20));
                }
            }
        }
        assertThat(seen).contains("org.aio4j.TaskStep blocker")
                .noneMatch(s -> s.startsWith("org.aio4j.TaskCreated") || s.startsWith("org.aio4j.TaskFinished"));
    }

    /**
     * A step begun under one recording and ended after it stopped leaves no event behind for a later recording: one
     * started in the middle of another task's step does not record that step (it saw only its end), and above all not
     * as lasting from the older step's start under the other task's name. Failing before: the second recording had
     * "late suspended" beginning before it started.
     */
    @Test
    void aRecordingStartedMidStepDoesNotRecordAStepBegunUnderAnEarlierRecording(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("second.jfr");
        var first = new Recording();
        first.enable("org.aio4j.TaskStep").withoutThreshold();
        var second = new Recording();
        second.enable("org.aio4j.TaskStep").withoutThreshold();
        java.time.Instant[] secondStarted = new java.time.Instant[1];
        try (first; second) {
            TestLoops.runVirtual(() -> {
                first.start();
                Aio.sleep(0); // main's next step begins under the first recording
                first.stop(); // and goes on after it stopped
                Aio.createTask(() -> {
                    secondStarted[0] = java.time.Instant.now();
                    second.start(); // in the middle of this step: its begin was seen by no recording
                    Aio.sleep(0);
                }, "late").await();
                second.stop();
                return null;
            });
            second.dump(file);
        }
        List<String> steps = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals("org.aio4j.TaskStep") && "late".equals(e.getString("task"))) {
                steps.add(e.getString("outcome"));
                assertThat(e.hasField("subject")).as("the step's own bookkeeping is not recorded").isFalse();
                assertThat(e.getStartTime()).isAfterOrEqualTo(secondStarted[0].minusMillis(1));
            }
        }
        assertThat(steps).containsExactly("finished");
    }

    /**
     * A task that finishes in the step during which a recording of TaskFinished started is recorded finishing: the
     * end does not depend on the step's begin having been seen. Failing before: no TaskFinished without a TaskStep
     * begun under the recording.
     */
    @Test
    void aTaskFinishingInTheStepARecordingStartedInIsRecordedFinishing(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("finished.jfr");
        try (var recording = new Recording()) {
            recording.enable("org.aio4j.TaskFinished");
            TestLoops.runVirtual(() -> {
                Aio.createTask(() -> {
                    Aio.sleep(1);
                    recording.start(); // in the middle of the step that ends the task
                }, "quick").await();
                recording.stop();
                return null;
            });
            recording.dump(file);
        }
        assertThat(RecordingFile.readAllEvents(file)).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("org.aio4j.TaskFinished");
            assertThat(e.getString("task")).isEqualTo("quick");
        });
    }

    /** Runs {@code main} on a virtual-time loop under a recording of aio4j's events, dumped to {@code file}. */
    private static List<RecordedEvent> record(Path file, Coroutine<?> main) throws Exception {
        try (var recording = new Recording()) {
            recording.enable("org.aio4j.TaskCreated");
            recording.enable("org.aio4j.TaskStep").withoutThreshold();
            recording.enable("org.aio4j.TaskFinished");
            recording.start();
            TestLoops.runVirtual(main);
            recording.stop();
            recording.dump(file);
        }
        return RecordingFile.readAllEvents(file);
    }

    /**
     * A recording that is already running when aio4j installs its recording listener (at the first loop) sees the
     * events all the same: one started at launch ({@code -XX:StartFlightRecording}), or one the application started
     * before its first loop. Each runs in a JVM of its own: in this one, another test may already have created a loop,
     * and so installed the listener, before any recording started.
     */
    @ParameterizedTest
    @ValueSource(strings = {"launch", "api"})
    void aRecordingRunningBeforeTheFirstLoopSeesTheEvents(String startedBy, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("recording.jfr");
        Path log = dir.resolve("child.log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (startedBy.equals("launch")) {
            command.add("-XX:StartFlightRecording:filename=" + file + ",dumponexit=true"
                    + ",+org.aio4j.TaskStep#threshold=0ms,+org.aio4j.TaskCreated#enabled=true"
                    + ",+org.aio4j.TaskFinished#enabled=true"); // as JfrTracer's Javadoc says
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RecordedChild.class.getName(),
                startedBy, file.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child JVM ends").isTrue();
        assertThat(child.exitValue()).as(Files.readString(log, StandardCharsets.UTF_8)).isZero();
        List<String> seen = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            if (type.startsWith("org.aio4j.") && "child-worker".equals(e.getString("task"))) {
                seen.add(type);
            }
        }
        assertThat(seen).contains("org.aio4j.TaskCreated", "org.aio4j.TaskStep", "org.aio4j.TaskFinished");
    }

    /**
     * The child JVM of {@link #aRecordingRunningBeforeTheFirstLoopSeesTheEvents}: its first loop runs under a
     * recording started at launch ({@code launch}) or by {@code main} itself ({@code api}, dumped to the given file).
     */
    static final class RecordedChild {
        public static void main(String[] args) throws Exception {
            Recording recording = null;
            if (args[0].equals("api")) {
                recording = new Recording();
                recording.enable("org.aio4j.TaskCreated");
                recording.enable("org.aio4j.TaskStep").withoutThreshold();
                recording.enable("org.aio4j.TaskFinished");
                recording.start();
            }
            TestLoops.runVirtual(() -> Aio.createTask(() -> Aio.sleep(1), "child-worker").await());
            if (recording != null) {
                recording.stop();
                recording.dump(Path.of(args[1]));
                recording.close();
            }
        }
    }

    @Test
    void withoutARecordingTheLoopDoesNotTrace() throws Exception {
        assertThat(Tracing.jfrOn).isFalse();
    }
}
