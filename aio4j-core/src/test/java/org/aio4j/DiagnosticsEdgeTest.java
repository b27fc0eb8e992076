package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Diagnostics at their edges: failing report sinks, odd task names, steps still running, deep task trees. */
class DiagnosticsEdgeTest {

    /**
     * The watchdog's sink is the application's code: one that throws must not break the loop (the report made when a
     * step ends is sent from the loop's thread) nor stop the reports that follow.
     */
    @Test
    void aSlowStepSinkThatThrowsBreaksNeitherTheLoopNorTheNextReports() throws Exception {
        var calls = new AtomicInteger();
        int result = Aio.run(() -> EventLoop.builder().debug(true).onSlowStep(r -> {
            calls.incrementAndGet();
            throw new IllegalStateException("broken sink");
        }).build(), () -> {
            Aio.getRunningLoop().setSlowCallbackDuration(Duration.ZERO); // every step is slow: every end reports
            for (int i = 0; i < 3; i++) {
                Aio.sleep(0);
            }
            return 42;
        });
        assertThat(result).isEqualTo(42);
        assertThat(calls.get()).as("the sink still receives the reports after it threw").isGreaterThanOrEqualTo(3);
    }

    /**
     * A slow step's report names the task with its state, and a task that ended shows its result: a result whose
     * toString() throws must not break the report, nor the task's end, nor the loop.
     */
    @Test
    void aSlowStepReportOfATaskWhoseResultCannotBePrintedStillNamesTheTask() throws Exception {
        List<SlowStep> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
        Object unprintable = new Object() {
            @Override
            public String toString() {
                throw new IllegalStateException("cannot print me");
            }
        };
        Object result = Aio.run(() -> EventLoop.builder().debug(true).onSlowStep(reports::add).build(), () -> {
            Aio.getRunningLoop().setSlowCallbackDuration(Duration.ZERO);
            return Aio.createTask(() -> unprintable, "unprintable").await();
        });
        assertThat(result).isSameAs(unprintable);
        assertThat(reports).anySatisfy(r -> {
            assertThat(r.finished()).isTrue();
            assertThat(r.subject()).startsWith("Task[name=unprintable, finished");
        });
    }

    /**
     * asyncio's {@code Task.print_stack()}: a waiting task's frames, a failed task's traceback (without marking its
     * exception retrieved), else "No stack for".
     */
    @Test
    void printStackShowsWhereATaskWaitsOrWhyItFailed() throws Exception {
        List<String> printed = TestLoops.runVirtual(() -> {
            var out = new ArrayList<String>();
            Task<Void> waiting = Aio.createTask(() -> Aio.sleep(5), "waiting");
            Task<Void> failed = Aio.createTask(() -> {
                throw new IllegalArgumentException("bad input");
            }, "failed");
            Task<Void> notStarted = Aio.createTask(() -> null, "not-started");
            out.add(print(notStarted));
            Aio.sleep(1);
            out.add(print(waiting));
            out.add(print(failed));
            assertThat(failed.isRetrieved()).as("printing does not retrieve the exception").isFalse();
            failed.exception();
            waiting.cancel();
            return out;
        });
        assertThat(printed.get(0)).isEqualTo("No stack for Task[name=not-started, pending]\n");
        assertThat(printed.get(1)).startsWith("Stack for Task[name=waiting, pending, waiting on a sleep until 5.0]"
                + " (most recent call first):\n\tat org.aio4j.DiagnosticsEdgeTest.lambda$");
        assertThat(printed.get(2)).startsWith("Traceback for Task[name=failed, finished exception="
                + "java.lang.IllegalArgumentException: bad input] (most recent call first):\n"
                + "java.lang.IllegalArgumentException: bad input\n\tat org.aio4j.DiagnosticsEdgeTest.lambda$");
    }

    private static String print(Task<?> t) {
        var bytes = new java.io.ByteArrayOutputStream();
        t.printStack(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * A task's name is any string: quotes, backslashes, control characters, non-ASCII text, and a lone surrogate (a
     * name cut in the middle of an emoji) must all leave a file that parses and gives the name back.
     */
    @Test
    void aTimelineFileIsValidJsonWhateverTheTaskNames() throws Exception {
        List<String> names = List.of("quote\"back\\slash", "tab\tnl\nnul\u0000bel\u0007del\u007f", "tâche 任务 🎉",
                "cut \uD83C", "\uDF89 orphan low", "sep\u2028\u2029");
        var loop = EventLoop.builder().virtualTime().build();
        Timeline timeline = loop.recordTimeline();
        loop.runUntilComplete(() -> {
            List<Task<Void>> tasks = new ArrayList<>();
            for (String n : names) {
                tasks.add(Aio.createTask(() -> Aio.sleep(1), n));
            }
            Aio.gather(tasks).await();
            return null;
        });
        loop.close();
        Path file = Files.createTempFile("aio4j-timeline", ".json");
        try {
            timeline.writeChromeTrace(file);
            JsonObject trace = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            List<String> rows = new ArrayList<>();
            for (var e : trace.getAsJsonArray("traceEvents")) {
                JsonObject o = e.getAsJsonObject();
                if (o.get("ph").getAsString().equals("M")) {
                    rows.add(o.getAsJsonObject("args").get("name").getAsString());
                }
            }
            // Well-formed text comes back as it was; a lone surrogate, which UTF-8 cannot hold, as U+FFFD.
            assertThat(rows).contains(names.get(0), names.get(1), names.get(2), names.get(5), "cut \uFFFD",
                    "\uFFFD orphan low");
        } finally {
            Files.delete(file);
        }
    }

    /**
     * A trace written while a step still runs (Ctrl-C on a recipe whose task blocks the loop, a test timing out) shows
     * that step, up to the moment of writing: it is the one the reader is looking for.
     */
    @Test
    void aTimelineWrittenWhileAStepRunsShowsThatStep() throws Exception {
        var loop = new EventLoop();
        Timeline timeline = loop.recordTimeline();
        var entered = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        Thread runner = Thread.ofPlatform().start(() -> {
            try {
                loop.runUntilComplete(() -> Aio.createTask(() -> {
                    entered.countDown();
                    release.await(); // blocks the loop: the bug the reader wants to see
                    return null;
                }, "blocker").await());
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        List<String> names = new ArrayList<>();
        try {
            entered.await();
            JsonObject trace = JsonParser.parseString(timeline.toChromeTraceJson()).getAsJsonObject();
            for (var e : trace.getAsJsonArray("traceEvents")) {
                JsonObject o = e.getAsJsonObject();
                if (o.get("ph").getAsString().equals("X")) {
                    names.add(o.get("name").getAsString());
                    assertThat(o.get("dur").getAsDouble()).isNotNegative();
                }
            }
        } finally {
            release.countDown();
            runner.join();
            loop.close();
        }
        assertThat(names).contains("blocker (running)");
        assertThat(timeline.toChromeTraceJson()).contains("\"blocker (end)\"").doesNotContain("(running)");
    }

    /**
     * A deep chain of tasks, each awaiting the one it created (a recursive walk), dumps with lines of bounded length
     * and without running out of stack: the indentation stops growing, and says the depth instead.
     */
    @Test
    void aDumpOfADeepChainOfTasksHasLinesOfBoundedLength() throws Exception {
        int depth = 5000;
        String dump = TestLoops.runVirtual(() -> {
            Future<Void> bottom = Aio.getRunningLoop().createFuture();
            Task<Void> top = Aio.createTask(nested(depth, bottom), "level-" + depth);
            Aio.waitAllTasksBlocked();
            String d = Aio.getRunningLoop().dumpTasks();
            bottom.setResult(null);
            top.await();
            return d;
        });
        assertThat(dump).contains("level-1 waits on Future[pending]", "level-" + depth + " waits on task level-");
        assertThat(dump.lines().filter(l -> l.contains("level-")).count()).isEqualTo(depth);
        assertThat(dump.lines().mapToInt(String::length).max().orElseThrow())
                .as("the longest line of the dump").isLessThan(400);
    }

    /**
     * A task that hands over to a successor it creates and then ends (a supervisor restarting itself, a periodic
     * job scheduling its next run) does not keep itself, its result and every predecessor reachable for as long as
     * the chain goes on: the successor's link to its creator must not hold a chain of ended tasks.
     */
    @Test
    void aChainOfTasksEachCreatingItsSuccessorDoesNotKeepTheEndedOnesReachable() throws Exception {
        var first = new java.util.concurrent.atomic.AtomicReference<java.lang.ref.WeakReference<Object>>();
        String dump = TestLoops.runVirtual(() -> {
            Future<Void> last = Aio.getRunningLoop().createFuture();
            Future<Task<?>> tail = Aio.getRunningLoop().createFuture();
            Task<Object> head = Aio.createTask(relay(3, last, tail), "relay-3");
            first.set(new java.lang.ref.WeakReference<>(head));
            head = null;
            Task<?> pending = tail.await();
            Aio.waitAllTasksBlocked();
            for (int i = 0; i < 50 && first.get().get() != null; i++) {
                System.gc();
            }
            assertThat(first.get().get()).as("the first task, ended, reachable only through its successors").isNull();
            assertThat(pending.parent()).as("the creator of a pending task, ended").isNull();
            String d = Aio.getRunningLoop().dumpTasks();
            last.setResult(null);
            pending.await();
            return d;
        });
        assertThat(dump).contains("relay-1 waits on Future[pending]");
    }

    private static Coroutine<Object> relay(int n, Future<Void> last, Future<Task<?>> tail) {
        return () -> {
            if (n == 1) {
                tail.setResult(Aio.getRunningLoop().currentTask());
                last.await();
            } else {
                Aio.createTask(relay(n - 1, last, tail), "relay-" + (n - 1));
            }
            return new byte[1 << 20];
        };
    }

    private static Coroutine<Void> nested(int level, Future<Void> bottom) {
        return () -> {
            if (level == 1) {
                bottom.await();
            } else {
                Aio.createTask(nested(level - 1, bottom), "level-" + (level - 1)).await();
            }
            return null;
        };
    }
}
