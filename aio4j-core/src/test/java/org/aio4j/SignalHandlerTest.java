package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link EventLoop#addSignalHandler} and {@link EventLoop#removeSignalHandler}: asyncio's
 * {@code add_signal_handler}/{@code remove_signal_handler}. A real signal is sent only to a child JVM ({@link Child}),
 * which prints what its loop did; the test reads its lines (stderr too, so that a warning printed by the JVM would
 * show) and its exit status. Bad input is checked in this JVM: no signal is sent there.
 */
class SignalHandlerTest {

    /** The child JVM: the scenario named by {@code args[0]}, reported line by line on stdout. */
    static final class Child {
        static final ContextVar<String> WHO = new ContextVar<>("who", "nobody");

        static void out(String line) {
            System.out.println(line);
        }

        /**
         * Waits, without sleeping, until a signal's callback waits in the loop's inbox and the JVM's thread that
         * posted it has ended: a post is accepted only when it returns (one that meets a close beginning withdraws
         * itself, and the signal is dropped), so a close right after the callback shows in the inbox could drop it.
         */
        static void awaitPost(EventLoop loop) {
            while (!loop.hasPosts()) {
                Thread.onSpinWait();
            }
            while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().endsWith(" handler")
                    && t.getName().startsWith("SIG"))) {
                Thread.onSpinWait();
            }
        }

        public static void main(String[] args) throws Exception {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> out("shutdown hook ran")));
            switch (args[0]) {
                case "cancel-main" -> {
                    try {
                        Aio.run(() -> {
                            EventLoop loop = Aio.getRunningLoop();
                            Task<?> main = Aio.currentTask();
                            WHO.set("the adder");
                            loop.addSignalHandler("TERM", () -> out("the replaced handler ran"));
                            loop.addSignalHandler("SIGTERM", () -> {
                                out("handler: holds the loop " + (Aio.getRunningLoop() == loop) + ", a callback "
                                        + (Aio.currentTask() == null) + ", context of " + WHO.get());
                                main.cancel();
                            });
                            WHO.set("the code after the add");
                            out("ready");
                            try {
                                Aio.sleep(Double.POSITIVE_INFINITY);
                            } finally {
                                out("main's finally ran");
                            }
                        });
                    } catch (CancellationException e) {
                        out("Aio.run threw CancellationException");
                    }
                }
                case "removed" -> {
                    EventLoop loop = new EventLoop();
                    loop.addSignalHandler("TERM", () -> out("the removed handler ran"));
                    boolean removed = loop.removeSignalHandler("TERM");
                    out("removed " + removed + ", again " + loop.removeSignalHandler("SIGTERM"));
                    out("ready");
                    loop.runUntilComplete(() -> Aio.sleep(Double.POSITIVE_INFINITY));
                }
                case "idle-then-close" -> {
                    EventLoop loop = new EventLoop();
                    loop.addSignalHandler("TERM", () -> out("handler ran, " + loop));
                    out("ready: idle");
                    awaitPost(loop);
                    out("posted while idle");
                    loop.runUntilComplete(() -> Aio.sleep(0));
                    out("ready: idle again");
                    awaitPost(loop);
                    loop.close();
                    out("closed");
                    System.in.read(); // until the JVM ends, or the test does
                }
                case "one-context" -> Aio.run(() -> {
                    EventLoop loop = Aio.getRunningLoop();
                    WHO.set("the adder");
                    Event third = new Event();
                    loop.addSignalHandler("TERM", () -> {
                        out("delivery sees " + WHO.get());
                        WHO.set(WHO.get() + "+1");
                        if (WHO.get().endsWith("+1+1+1")) {
                            third.set();
                        }
                    });
                    out("ready");
                    third.await();
                    out("main sees " + WHO.get());
                    return null;
                });
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
    }

    /** A child JVM running {@code scenario}, with its output lines (stdout and stderr) to read. */
    private record Running(Process process, BufferedReader lines) implements AutoCloseable {

        static Running start(String scenario) throws IOException {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), Child.class.getName(), scenario)
                    .redirectErrorStream(true).start();
            // A guard against a hang, not a measure: a child that ignores a signal would leave readLine waiting for
            // good; killed, it ends the stream and fails the assertions.
            Thread.ofPlatform().daemon().name("signal-test-guard").start(() -> {
                try {
                    if (!p.waitFor(60, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                }
            });
            return new Running(p, new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8)));
        }

        String next() throws IOException {
            return lines.readLine();
        }

        /** Sends SIGTERM, as {@code kill} does (not Process.destroy(), which also closes the streams read here). */
        void term() {
            process.toHandle().destroy();
        }

        /** Sends SIGTERM, which the JVM's own handler takes: its shutdown hooks run and it exits with 128 + 15. */
        void termEndsTheJvmItsDefaultWay() throws Exception {
            term();
            assertThat(next()).isEqualTo("shutdown hook ran");
            assertThat(exitStatus()).isEqualTo(128 + 15);
        }

        int exitStatus() throws Exception {
            assertThat(next()).as("the end of the child's output").isNull();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the child JVM ends").isTrue();
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly(); // a failed assertion must not leave a JVM waiting on the machine
        }
    }

    @Test
    void theSignalRunsTheLastHandlerOnTheLoopInTheAddersContextAndCancellingMainRunsItsFinally() throws Exception {
        try (var child = Running.start("cancel-main")) {
            assertThat(child.next()).isEqualTo("ready");
            child.term();
            assertThat(child.next()).isEqualTo("handler: holds the loop true, a callback true, context of the adder");
            assertThat(child.next()).isEqualTo("main's finally ran");
            assertThat(child.next()).isEqualTo("Aio.run threw CancellationException");
            assertThat(child.next()).isEqualTo("shutdown hook ran"); // the normal end of the JVM
            assertThat(child.exitStatus()).isZero();
        }
    }

    /**
     * Every delivery runs in the one copy of the adder's context that the add made, so a value one delivery sets is
     * the next one's, and the adder's own does not change: CPython 3.13 (add_signal_handler makes one Handle, which
     * copies the context once) prints the adder's value, then it with one "+1", then with two.
     */
    @Test
    void everyDeliveryRunsInTheSameCopyOfTheAddersContext() throws Exception {
        try (var child = Running.start("one-context")) {
            assertThat(child.next()).isEqualTo("ready");
            child.term();
            assertThat(child.next()).isEqualTo("delivery sees the adder");
            child.term();
            assertThat(child.next()).isEqualTo("delivery sees the adder+1");
            child.term();
            assertThat(child.next()).isEqualTo("delivery sees the adder+1+1");
            assertThat(child.next()).isEqualTo("main sees the adder");
            assertThat(child.next()).isEqualTo("shutdown hook ran");
            assertThat(child.exitStatus()).isZero();
        }
    }

    @Test
    void afterRemoveTheSignalTakesTheJvmsDefaultPathThroughTheShutdownHooks() throws Exception {
        try (var child = Running.start("removed")) {
            assertThat(child.next()).isEqualTo("removed true, again false");
            assertThat(child.next()).isEqualTo("ready");
            child.termEndsTheJvmItsDefaultWay();
        }
    }

    @Test
    void aSignalWhileIdleRunsInTheNextRunOrTheCloseAndTheCloseGivesTheSignalBack() throws Exception {
        try (var child = Running.start("idle-then-close")) {
            assertThat(child.next()).isEqualTo("ready: idle");
            child.term();
            assertThat(child.next()).isEqualTo("posted while idle");
            assertThat(child.next()).isEqualTo("handler ran, EventLoop[running]");
            assertThat(child.next()).isEqualTo("ready: idle again");
            child.term();
            assertThat(child.next()).isEqualTo("handler ran, EventLoop[closing]");
            assertThat(child.next()).isEqualTo("closed");
            child.termEndsTheJvmItsDefaultWay();
        }
    }

    @Test
    void badInputIsRefusedAtTheCallSiteNamingTheProblem() {
        EventLoop loop = new EventLoop();
        try {
            assertThatThrownBy(() -> loop.addSignalHandler(null, () -> { }))
                    .isInstanceOf(NullPointerException.class).hasMessage("signal must not be null");
            assertThatThrownBy(() -> loop.addSignalHandler("INT", null))
                    .isInstanceOf(NullPointerException.class).hasMessage("callback must not be null");
            assertThatThrownBy(() -> loop.addSignalHandler("NOPE", () -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown signal \"NOPE\": give a"
                            + " signal's name in capitals, with or without \"SIG\" (\"INT\", \"TERM\", \"SIGHUP\","
                            + " \"USR1\")");
            assertThatThrownBy(() -> loop.addSignalHandler("int", () -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("unknown signal \"int\": ");
            assertThatThrownBy(() -> loop.removeSignalHandler("SIGNOPE"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("unknown signal \"SIGNOPE\"");
            for (String kept : new String[] {"KILL", "SIGSTOP", "QUIT", "SEGV"}) {
                String name = kept.startsWith("SIG") ? kept : "SIG" + kept;
                assertThatThrownBy(() -> loop.addSignalHandler(kept, () -> { }))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage(name + " cannot be handled: the JVM or the OS keeps it for itself (Signal already"
                                + " used by VM or OS: " + name + "); KILL and STOP cannot be caught by any process,"
                                + " and HotSpot uses QUIT, SEGV, FPE and ILL");
                assertThat(loop.removeSignalHandler(kept)).as(kept).isFalse(); // a known signal, never this loop's
            }
        } finally {
            loop.close();
        }
        assertThatThrownBy(() -> loop.addSignalHandler("TERM", () -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessage("Event loop is closed");
        assertThat(loop.removeSignalHandler("TERM")).isFalse();
    }

    @Test
    void onlyTheThreadHoldingARunningLoopMayAddOrRemove() throws Exception {
        var loop = new EventLoop();
        try {
            String refusal = loop.runUntilComplete(() -> Aio.toThread(() -> {
                try {
                    loop.addSignalHandler("WINCH", () -> { });
                    return "accepted";
                } catch (IllegalStateException e) {
                    return e.getMessage();
                }
            }));
            assertThat(refusal).startsWith("addSignalHandler called from thread ").contains(", which does not hold ");
            assertThatThrownBy(() -> loop.runUntilComplete(
                    () -> Aio.toThread(() -> loop.removeSignalHandler("WINCH"))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("removeSignalHandler called from");
        } finally {
            loop.close();
        }
    }

    /**
     * A loop that holds a signal and has nothing else to do waits for it, as asyncio's does: the usual graceful stop
     * (an Event that the handler sets) is not a deadlock. It was reported as one at once, unless the signal had come
     * first. Once the handler is removed, a wait that nothing can end is a deadlock again. The signal is sent only
     * when the task's thread waits in the loop's idle wait (read from its stack), so the old code failed every time.
     */
    @Test
    void aLoopHoldingASignalWaitsForItInsteadOfReportingADeadlock() throws Exception {
        var loop = new EventLoop();
        try {
            String how = loop.runUntilComplete(() -> {
                Event stop = new Event();
                loop.addSignalHandler("WINCH", stop::set);
                Thread waiting = Thread.currentThread();
                Thread.ofPlatform().daemon().name("winch-sender").start(() -> {
                    while (Arrays.stream(waiting.getStackTrace())
                            .noneMatch(f -> f.getMethodName().equals("waitForInbox"))) {
                        if (loop.isClosed()) {
                            return; // the test failed: the loop never waited
                        }
                        Thread.onSpinWait();
                    }
                    try {
                        new ProcessBuilder("kill", "-WINCH", String.valueOf(ProcessHandle.current().pid()))
                                .inheritIO().start().waitFor();
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                stop.await();
                return "stopped by the signal";
            });
            assertThat(how).isEqualTo("stopped by the signal");
            assertThat(loop.runUntilComplete(() -> loop.removeSignalHandler("WINCH"))).isTrue();
            assertThatThrownBy(() -> loop.runUntilComplete(() -> new Event().await()))
                    .isInstanceOf(DeadlockException.class);
        } finally {
            loop.close();
        }
    }

    /** WINCH (a terminal's resize, ignored by default) is harmless to take in the test JVM for a moment. */
    @Test
    void aSignalIsHeldByOneLoopAtATimeUntilItRemovesItsHandlerOrCloses() throws Exception {
        var first = new EventLoop();
        var second = new EventLoop();
        try {
            first.addSignalHandler("WINCH", () -> { });
            first.addSignalHandler("SIGWINCH", () -> { }); // the same loop again: a replacement
            String held = "SIGWINCH is handled by another event loop, " + first + "@"
                    + Integer.toHexString(System.identityHashCode(first)) + ": a signal has one handler in the JVM;"
                    + " remove it there (removeSignalHandler(\"WINCH\")) or close that loop first";
            assertThatThrownBy(() -> second.addSignalHandler("WINCH", () -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessage(held);
            assertThat(second.removeSignalHandler("WINCH")).as("another loop's handler is left alone").isFalse();
            assertThatThrownBy(() -> second.addSignalHandler("SIGWINCH", () -> { })).hasMessage(held);

            assertThat(first.removeSignalHandler("WINCH")).isTrue();
            second.addSignalHandler("WINCH", () -> { });
            assertThatThrownBy(() -> first.addSignalHandler("WINCH", () -> { })).hasMessageContaining(
                    "SIGWINCH is handled by another event loop, " + second + "@");
            second.close();
            first.addSignalHandler("WINCH", () -> { }); // the close let it go
        } finally {
            first.close();
            second.close();
        }
    }
}
