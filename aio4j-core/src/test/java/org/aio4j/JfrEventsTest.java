package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JfrEventsTest {

    @Test
    void aRecordingSeesTasksCreatedSteppingAndFinishing(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("loop.jfr");
        try (var recording = new Recording()) {
            recording.enable("org.aio4j.TaskCreated");
            recording.enable("org.aio4j.TaskStep");
            recording.enable("org.aio4j.TaskFinished");
            recording.start();
            TestLoops.runVirtual(() -> {
                Task<Void> worker = Aio.createTask(() -> {
                    Aio.sleep(1);
                    Aio.sleep(1);
                }, "worker");
                worker.await();
                return null;
            });
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
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

    @Test
    void withoutARecordingTheLoopDoesNotTrace() throws Exception {
        assertThat(Tracing.jfrOn).isFalse();
    }
}
