package org.aio4j;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Aio.createSubprocessExec and Aio.createSubprocessShell: a child's pipes as the loop's streams (POSIX tools: cat and
 * sh).
 */
class SubprocessTest {

    private static byte[] b(String s) {
        return s.getBytes(US_ASCII);
    }

    private static String s(byte[] bytes) {
        return new String(bytes, US_ASCII);
    }

    @Test
    void communicateSendsTheInputAndReadsBothOutputsToTheirEnd() throws Exception {
        Aio.run(() -> {
            Subprocess cat = Aio.createSubprocessExec("cat");
            assertThat(cat.returncode()).isNull();
            byte[] big = new byte[1 << 20]; // more than a pipe holds: writing and reading must overlap
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) i;
            }
            Subprocess.Output out = cat.communicate(big);
            assertThat(out.stdout()).isEqualTo(big);
            assertThat(out.stderr()).isEmpty();
            assertThat(cat.await()).isZero();
            assertThat(cat.returncode()).isZero();
            return null;
        });
    }

    @Test
    void theStreamsReadLinesAndTheExitStatusComesBack() throws Exception {
        Aio.run(() -> {
            Subprocess sh = Aio.createSubprocessExec("sh", "-c",
                    "read line; echo \"got $line\"; echo oops >&2; exit 3");
            sh.stdin().write(b("hello\n"));
            sh.stdin().drain();
            assertThat(s(sh.stdout().readline())).isEqualTo("got hello\n");
            assertThat(s(sh.stderr().readline())).isEqualTo("oops\n");
            assertThat(sh.await()).isEqualTo(3);
            assertThat(sh.stdout().read(-1)).isEmpty();
            assertThat(sh.stdout().atEof()).isTrue();
            sh.stdin().close();
            sh.stdin().waitClosed();
            return null;
        });
    }

    /**
     * A child's input pipe whose writes return only when the test says so: the JDK may see the child exit before the
     * write of what the child read returns.
     */
    private static final class GatedPipe extends java.io.OutputStream {
        final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        volatile boolean fail;

        /** In a task: a child's input over this pipe, whose thread is now writing a line to it. */
        StreamTransport writingALine() throws Exception {
            StreamTransport stdin = StreamTransport.ofPipe(Aio.getRunningLoop(), this, "stdin of a test child",
                    ProcessHandle.current());
            stdin.start();
            stdin.writer.write(b("hello\n"));
            Aio.toThread(() -> entered.await(1, java.util.concurrent.TimeUnit.MINUTES));
            return stdin;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            if (fail) {
                throw new IOException("Broken pipe");
            }
        }
    }

    /** The write of a line the child read returns only after its exit is seen: no byte was left, nothing fails. */
    @Test
    void aWriteInProgressWhenTheChildExitsIsNotCountedAsLeftToWrite() throws Exception {
        Aio.run(() -> {
            var pipe = new GatedPipe();
            StreamTransport stdin = pipe.writingALine();
            CompletableFuture<Void> exit = Subprocess.closeInputAtExit(stdin, Duration.ofMinutes(1)); // exits now
            assertThat(exit).as("waits for the write in progress").isNotDone();
            pipe.release.countDown(); // the write returns: the child had read it
            Aio.getRunningLoop().wrapFuture(exit).await();
            stdin.writer.waitClosed(); // closed cleanly: throws if it failed
            return null;
        });
    }

    /** What is queued behind the write in progress, or a write that fails or never returns, is left to write. */
    @Test
    void bytesQueuedBehindTheWriteOrAFailedOrStuckWriteAreLeftToWriteWhenTheChildExits() throws Exception {
        for (String how : List.of("queued", "failed", "stuck")) {
            Aio.run(() -> {
                var pipe = new GatedPipe();
                StreamTransport stdin = pipe.writingALine();
                if (how.equals("queued")) {
                    stdin.writer.write(b("more\n"));
                }
                CompletableFuture<Void> exit = Subprocess.closeInputAtExit(stdin,
                        how.equals("stuck") ? Duration.ofMillis(1) : Duration.ofMinutes(1));
                pipe.fail = how.equals("failed");
                if (!how.equals("stuck")) {
                    pipe.release.countDown();
                }
                Aio.getRunningLoop().wrapFuture(exit).await();
                assertThatThrownBy(stdin.writer::waitClosed).as(how).isInstanceOf(IOException.class)
                        .hasMessageContaining("Broken pipe");
                pipe.release.countDown();
                return null;
            });
        }
    }

    @Test
    void aChildWaitedForIsNotADeadlockNorLetsAVirtualClockJump() throws Exception {
        int status = Aio.run(() -> EventLoop.builder().virtualTime().build(), () -> {
            Subprocess cat = Aio.createSubprocessExec("cat");
            Task<Integer> exit = Aio.createTask(cat::await);
            Aio.sleep(0);
            cat.stdin().writeEof(); // cat ends once its input does
            return Aio.waitFor(exit, Duration.ofSeconds(10));
        });
        assertThat(status).isZero();
    }

    /**
     * Children whose pipes stay idle leave the program its threads: a pipe's pump blocks in a read or write of a file,
     * which a virtual thread cannot leave its carrier for, and the JDK's scheduler makes up for only so many carriers
     * blocked that way, depending on timing: with the pumps on virtual threads, a full run of the suite hung with three
     * such pipes (of a child that ignored its signal, and of a grandchild that held its parent's stdout), no carrier
     * left for the loop's tasks on two cores. So the pumps of pipes are platform threads, and eight idle children
     * leave the loop free to run, start a ninth and switch tasks.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang fails instead of stalling the build
    void childrenWithIdlePipesLeaveTheLoopItsThreads() throws Exception {
        int switches = Aio.run(() -> {
            var idle = new ArrayList<Subprocess>();
            for (int i = 0; i < 8; i++) {
                idle.add(Aio.createSubprocessExec("cat")); // stdin, stdout and stderr idle
            }
            for (Subprocess child : idle) { // whether the scheduler copes depends on timing: the pumps must not need it
                for (var pipe : List.of(child.stdin().transport(), child.stdout().transport(),
                        child.stderr().transport())) {
                    assertThat(pipe.threads()).as("the pumps of %s", pipe).isNotEmpty()
                            .allSatisfy(t -> assertThat(t.isVirtual()).as(t.toString()).isFalse());
                }
            }
            Subprocess echo = Aio.createSubprocessExec("echo", "still running");
            assertThat(s(echo.stdout().read(-1))).isEqualTo("still running\n");
            assertThat(echo.await()).isZero();
            int[] turns = new int[1];
            Coroutine<Void> switching = () -> {
                for (int k = 0; k < 100; k++) {
                    turns[0]++;
                    Aio.sleep(0);
                }
                return null;
            };
            Aio.gather(Aio.createTask(switching), Aio.createTask(switching));
            for (Subprocess child : idle) {
                child.stdin().writeEof();
                assertThat(child.await()).isZero();
            }
            return turns[0];
        });
        assertThat(switches).isEqualTo(200);
    }

    /**
     * The loop's close kills children that read nothing though their stdin is full: closing a stdin pipe waits for its
     * writing thread's write (the JDK's pipe holds its lock while it writes), which such a child never ends, so the
     * close hung when it reached a stdin before its child's kill (for eight children, almost always).
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang fails instead of stalling the build
    void theLoopsCloseKillsChildrenThatReadNothingOfTheirFullStdin() throws Exception {
        var children = new ArrayList<Subprocess>();
        Aio.run(() -> {
            for (int i = 0; i < 8; i++) {
                Subprocess child = Aio.createSubprocessExec("sleep", "60");
                child.stdin().write(new byte[256 * 1024]); // more than a pipe holds
                children.add(child);
            }
            return null; // no await(), no writeEof(): the loop's close kills them
        });
        for (Subprocess child : children) {
            assertThat(child.process().waitFor()).isEqualTo(128 + 9);
        }
    }

    @Test
    void killEndsTheChildAndACancelledAwaitLeavesItRunning() throws Exception {
        Aio.run(() -> {
            Subprocess cat = Aio.createSubprocessExec("cat");
            Task<Integer> waiting = Aio.createTask(cat::await);
            Aio.sleep(0);
            waiting.cancel();
            assertThatThrownBy(waiting::await).isInstanceOf(CancellationException.class);
            assertThat(cat.returncode()).isNull();
            cat.kill();
            assertThat(cat.await()).isEqualTo(128 + 9); // the JDK's status of a child killed by SIGKILL
            assertThat(cat.stdout().read(-1)).isEmpty();
            return null;
        });
    }

    @Test
    void sendSignalDeliversTheSignalNamedToTheChild() throws Exception {
        Aio.run(() -> {
            // The child waits in the shell's wait, which a trapped signal interrupts; "ready" once its traps are set.
            // Not HUP: under nohup the child inherits an ignored SIGHUP, which a non-interactive shell cannot trap.
            Subprocess sh = Aio.createSubprocessExec("sh", "-c",
                    "trap 'echo usr1; kill $child; exit 7' USR1; trap 'echo term' TERM; echo ready; sleep 1000 &"
                            + " child=$!; wait $child; wait $child");
            assertThat(s(sh.stdout().readline())).isEqualTo("ready\n");
            sh.sendSignal("SIGTERM");
            assertThat(s(sh.stdout().readline())).isEqualTo("term\n");
            assertThat(sh.returncode()).isNull();
            sh.sendSignal("USR1");
            assertThat(s(sh.stdout().readline())).isEqualTo("usr1\n");
            assertThat(sh.await()).isEqualTo(7);

            // Not INT: a child inherits an ignored SIGINT (a JVM started in the background by a shell without job
            // control ignores it), and cat would never end. Nobody ignores USR2, whose default ends the process.
            Subprocess cat = Aio.createSubprocessExec("cat");
            cat.sendSignal("USR2");
            assertThat(cat.await()).isEqualTo(128 + 12); // SIGUSR2, not caught by cat
            cat.sendSignal("USR2"); // exited: nothing to do (asyncio's raises ProcessLookupError here; porting.md)
            cat.sendSignal("KILL");
            assertThat(cat.returncode()).isEqualTo(128 + 12);
            return null;
        });
    }

    @Test
    void sendSignalSendsASignalTheJvmNamesAndTheShellsKillDoesNot() throws Exception {
        // The JVM knows Linux's SIGIO as POLL too, and SIGCHLD as CLD; dash's kill -s knows neither name.
        Aio.run(() -> {
            Subprocess cat = Aio.createSubprocessExec("cat");
            cat.sendSignal("POLL");
            assertThat(cat.await()).isEqualTo(128 + 29); // SIGIO, whose default is to end the process
            Subprocess sh = Aio.createSubprocessExec("sh", "-c",
                    "trap 'echo chld' CHLD; echo ready; sleep 1000 & child=$!; wait $child; kill $child");
            assertThat(s(sh.stdout().readline())).isEqualTo("ready\n");
            sh.sendSignal("SIGCLD");
            assertThat(s(sh.stdout().readline())).isEqualTo("chld\n");
            return null;
        });
    }

    @Test
    void sendSignalRefusesANameThatIsNoSignal() throws Exception {
        Aio.run(() -> {
            Subprocess cat = Aio.createSubprocessExec("cat");
            assertThatThrownBy(() -> cat.sendSignal("INTERRUPT")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unknown signal \"INTERRUPT\"");
            assertThatThrownBy(() -> cat.sendSignal("int; rm -rf x")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> cat.sendSignal(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("signal must not be null");
            assertThat(cat.returncode()).isNull();
            cat.sendSignal("TERM");
            assertThat(cat.await()).isEqualTo(128 + 15);
            return null;
        });
    }

    @Test
    void theInputPipeOfAChildThatExitedIsClosed() throws Exception {
        // It stayed open, with its writing thread, until the loop closed: a write to a child long gone was taken
        // without complaint, and waitClosed() waited for ever.
        Aio.run(() -> {
            var open = Aio.getRunningLoop().openStreams;
            for (int i = 0; i < 3; i++) {
                Subprocess p = Aio.createSubprocessExec("true");
                assertThat(p.await()).isZero();
                Aio.waitFor(Aio.createTask(p.stdin()::waitClosed), Duration.ofSeconds(10));
                assertThat(p.stdin().isClosing()).isTrue();
                p.stdin().write(b("to nobody"));
                assertThatThrownBy(p.stdin()::drain).isInstanceOf(java.net.SocketException.class)
                        .hasMessageContaining("Connection lost");
                assertThat(p.stdout().read(-1)).isEmpty();
                assertThat(p.stderr().read(-1)).isEmpty();
            }
            assertThat(open.size()).isZero();
            return null;
        });
    }

    @Test
    void afterAwaitTheInputPipeOfTheChildIsAlreadyClosed() throws Exception {
        // await() followed the child's exit by a future of its own, and the pipe was closed by another: await() could
        // return first, and a write then was taken and drain() returned, where asyncio's drain() raises.
        Aio.run(() -> {
            for (int i = 0; i < 20; i++) {
                Subprocess p = Aio.createSubprocessExec("sh", "-c", "exit 0");
                assertThat(p.await()).isZero();
                assertThat(p.stdin().isClosing()).as("stdin closing once await() returned, child %d", i).isTrue();
                p.stdin().write(b("to nobody"));
                assertThatThrownBy(p.stdin()::drain).isInstanceOf(java.net.SocketException.class)
                        .hasMessageContaining("Connection lost");
            }
            return null;
        });
    }

    @Test
    void theLoopsCloseKillsAChildStillRunning() throws Exception {
        var child = new AtomicReference<Process>();
        Aio.run(() -> {
            child.set(Aio.createSubprocessExec("cat").process()); // waits for input for ever
            return null;
        });
        child.get().onExit().join();
        assertThat(child.get().isAlive()).isFalse();
    }

    /**
     * asyncio's debug mode warns when closing a subprocess transport kills a child still running ("Close running child
     * process: kill ..."); the loop's close killed it without a word, in debug mode too. Without debug mode it says
     * nothing, as asyncio's logger does not.
     */
    @Test
    void inDebugModeTheLoopsCloseWarnsOfTheChildItKills() throws Exception {
        try (var log = new CapturedLog()) {
            for (boolean debug : new boolean[] {true, false}) {
                log.records.clear();
                var killed = new ArrayList<String>();
                Aio.run(() -> EventLoop.builder().debug(debug).build(), () -> {
                    killed.add(Aio.createSubprocessExec("sleep", "60").toString()); // running at the close
                    Subprocess done = Aio.createSubprocessExec("true");
                    done.await(); // exited: nothing to say of it
                    return null;
                });
                var warnings = log.messages(java.util.logging.Level.WARNING);
                if (debug) {
                    assertThat(warnings).containsExactly("Close running child process: kill " + killed.get(0));
                } else {
                    assertThat(warnings).isEmpty();
                }
            }
        }
    }

    @Test
    void createSubprocessShellRunsTheCommandLineInBinSh() throws Exception {
        // CPython 3.13, create_subprocess_shell(same, stdout=PIPE, stderr=PIPE).communicate():
        // (b'/bin/sh\nA|B|', b'err\n') 4, and for an unknown program, status 127 and the shell's complaint
        Aio.run(() -> {
            Subprocess sh = Aio.createSubprocessShell(
                    "echo \"$0\"; printf '%s|' a b | tr a-z A-Z; echo err >&2; exit 4");
            Subprocess.Output out = sh.communicate(null);
            assertThat(s(out.stdout())).isEqualTo("/bin/sh\nA|B|");
            assertThat(s(out.stderr())).isEqualTo("err\n");
            assertThat(sh.await()).isEqualTo(4);
            Subprocess cat = Aio.createSubprocessShell("cat | tr a-z A-Z");
            assertThat(s(cat.communicate(b("piped\n")).stdout())).isEqualTo("PIPED\n");
            Subprocess missing = Aio.createSubprocessShell("no-such-program-aio4j");
            Subprocess.Output complaint = missing.communicate(null);
            assertThat(missing.await()).isEqualTo(127);
            assertThat(s(complaint.stderr())).contains("no-such-program-aio4j");
            return null;
        });
    }

    /**
     * asyncio raises FileNotFoundError for a program that does not exist (and for a missing cwd); this threw the
     * JDK's plain IOException, from the thread that started the child, with no line of the task. A program that
     * exists but cannot run stays a plain IOException, made in the task too.
     */
    @Test
    void aMissingProgramOrDirectoryIsAFileNotFoundExceptionMadeInTheCallingTask(@TempDir Path dir) throws Exception {
        Path notExecutable = Files.writeString(dir.resolve("script"), "echo hi\n");
        Aio.run(() -> {
            Throwable missing = catchThrowable(() -> Aio.createSubprocessExec("no-such-program-aio4j", "x"));
            assertThat(missing).isExactlyInstanceOf(java.io.FileNotFoundException.class)
                    .hasMessageContaining("no-such-program-aio4j").hasCauseInstanceOf(IOException.class);
            assertThat(missing.getStackTrace()).anyMatch(f -> f.getClassName().startsWith(SubprocessTest.class.getName()));
            assertThatThrownBy(() -> Aio.createSubprocessExec(new ProcessBuilder("true")
                    .directory(dir.resolve("gone").toFile()))).isExactlyInstanceOf(java.io.FileNotFoundException.class)
                    .hasMessageContaining("gone");
            Throwable denied = catchThrowable(() -> Aio.createSubprocessExec(notExecutable.toString()));
            assertThat(denied).isExactlyInstanceOf(IOException.class).hasMessageContaining("script")
                    .hasCauseExactlyInstanceOf(IOException.class);
            assertThat(denied.getStackTrace()).anyMatch(f -> f.getClassName().startsWith(SubprocessTest.class.getName()));
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            return null;
        });
        // the JDK gives errno in its message only, in two forms (posix_spawn's and JDK 25's launch helper's)
        for (String enoent : new String[] {"Cannot run program \"x\": error=2, No such file or directory",
                "Cannot run program \"x\": Exec failed, error: 2 (No such file or directory)"}) {
            assertThat(Subprocess.notStarted(new IOException(enoent))).as(enoent)
                    .isExactlyInstanceOf(java.io.FileNotFoundException.class).hasMessage(enoent);
        }
        for (String other : new String[] {"Cannot run program \"x\": error=13, Permission denied",
                "Cannot run program \"x\": Exec failed, error: 22 (Invalid argument)"}) {
            assertThat(Subprocess.notStarted(new IOException(other))).as(other)
                    .isExactlyInstanceOf(IOException.class).hasMessage(other);
        }
    }

    @Test
    void theShellCommandLineIsBinShOrComspecAndABlankCommandIsRefused() throws Exception {
        assertThat(Subprocess.shellCommand("ls -l | wc", "Linux", null)).containsExactly("/bin/sh", "-c", "ls -l | wc");
        assertThat(Subprocess.shellCommand("dir /b", "Windows 11", null)).containsExactly("cmd.exe", "/c", "dir /b");
        assertThat(Subprocess.shellCommand("dir", "Windows Server 2022", "C:\\Windows\\system32\\cmd.exe"))
                .containsExactly("C:\\Windows\\system32\\cmd.exe", "/c", "dir");
        Aio.run(() -> {
            assertThatThrownBy(() -> Aio.createSubprocessShell(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("command must not be null");
            for (String blank : new String[] {"", " \t\n"}) {
                assertThatThrownBy(() -> Aio.createSubprocessShell(blank))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("createSubprocessShell(): the command is blank");
            }
            return null;
        });
        assertThatThrownBy(() -> Aio.createSubprocessShell("true")).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("no running event loop: ");
    }

    @Test
    void writingToAChildThatExitedFailsNamingItsInputPipe() throws Exception {
        Aio.run(() -> {
            Subprocess child = Aio.createSubprocessExec("true");
            assertThat(child.await()).isZero();
            // the JDK's pipe to a child that exited says only "Stream closed" (or "Broken pipe"), from the writing
            // thread: nothing named the child or its standard input
            Throwable failed = catchThrowable(() -> {
                for (int i = 0; i < 100; i++) {
                    child.stdin().write(new byte[100_000]);
                    child.stdin().drain();
                }
            });
            // its stdin is closed once the child has exited (as asyncio's pipe transport is): a drain then fails as
            // asyncio's does ("Connection lost"), naming the pipe
            assertThat(failed).isInstanceOf(IOException.class).hasMessageContaining("stdin of pid " + child.pid());
            assertThat(child.communicate(b("late")).stdout()).isEmpty(); // lost, not closed: dropped, as asyncio's
            return null;
        });
    }

    @Test
    void communicateWithInputAfterStandardInputWasClosedIsRefusedUpFront() throws Exception {
        Aio.run(() -> {
            Subprocess cat = Aio.createSubprocessExec("cat");
            assertThat(s(cat.communicate(b("a\n")).stdout())).isEqualTo("a\n");
            // a second communicate: it failed in its writing task with "StreamWriter.write() after close()", and
            // left its reading tasks behind
            assertThatThrownBy(() -> cat.communicate(b("b\n"))).isInstanceOf(IllegalStateException.class)
                    .hasMessage("communicate(input): the child's standard input is already closed (" + cat + ")");
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            Subprocess.Output again = cat.communicate(null); // nothing to send: what is left is read, as asyncio's
            assertThat(again.stdout()).isEmpty();
            assertThat(again.stderr()).isEmpty();
            Subprocess sort = Aio.createSubprocessExec("sort");
            sort.stdin().write(b("b\na\n"));
            sort.stdin().writeEof();
            assertThatThrownBy(() -> sort.communicate(b("c\n"))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("standard input is already closed");
            assertThat(s(sort.communicate(null).stdout())).isEqualTo("a\nb\n");
            return null;
        });
    }

    /**
     * A null arguments array threw the JVM's "Cannot read the array length because "args" is null", and a null in a
     * builder's command a NullPointerException with no message, made by {@code ProcessBuilder.start()} on the thread
     * that starts the child: neither named the problem.
     */
    @Test
    void aNullArgumentsArrayOrANullOrANulCharacterInTheCommandIsRefusedNamingIt() throws Exception {
        Aio.run(() -> {
            assertThatThrownBy(() -> Aio.createSubprocessExec("true", (String[]) null))
                    .isExactlyInstanceOf(NullPointerException.class).hasMessage("args must not be null");
            Throwable nullElement = catchThrowable(() -> Aio.createSubprocessExec(
                    new ProcessBuilder(java.util.Arrays.asList("sh", "-c", null))));
            assertThat(nullElement).isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("createSubprocessExec(): element 2 of the command is null");
            assertThat(nullElement.getStackTrace())
                    .anyMatch(f -> f.getClassName().startsWith(SubprocessTest.class.getName()));
            // asyncio raises ValueError("embedded null byte"); the JDK's start threw an IOException, a failure to start
            assertThatThrownBy(() -> Aio.createSubprocessExec("echo", "a\0b"))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("createSubprocessExec(): element 1 of the command contains a NUL character");
            assertThatThrownBy(() -> Aio.createSubprocessShell("echo \0"))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("createSubprocessShell(): element 2 of the command contains a NUL character");
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            return null;
        });
    }

    /**
     * asyncio's {@code create_subprocess_exec(..., limit=)} sets the limit of the child's readers, as
     * {@code open_connection}'s does; here the connections took a limit and the children did not, so a child's line
     * longer than 64 KiB could not be read with {@code readline()} at all.
     */
    @Test
    void theLimitOfTheChildsReadersCanBeGiven() throws Exception {
        Aio.run(() -> {
            String longLine = "head -c 100000 /dev/zero | tr '\\0' x; echo; echo short";
            Subprocess dflt = Aio.createSubprocessExec("sh", "-c", longLine);
            assertThatThrownBy(dflt.stdout()::readline).isInstanceOf(LimitOverrunException.class);
            dflt.kill();
            Subprocess wide = Aio.createSubprocessExec(new ProcessBuilder("sh", "-c", "{ " + longLine + "; } >&2")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD), 200_000);
            assertThat(wide.stderr().readline()).hasSize(100_001);
            assertThat(s(wide.stderr().readline())).isEqualTo("short\n");
            assertThat(wide.await()).isZero();
            for (int bad : new int[] {0, -1}) {
                assertThatThrownBy(() -> Aio.createSubprocessExec(new ProcessBuilder("true"), bad))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("createSubprocessExec(): limit must be > 0, got " + bad);
            }
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            return null;
        });
    }

    @Test
    void badArgumentsAndAMissingProgramAreRefused() throws Exception {
        Aio.run(() -> {
            assertThatThrownBy(() -> Aio.createSubprocessExec((String) null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("program");
            assertThatThrownBy(() -> Aio.createSubprocessExec(new ProcessBuilder()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("command is empty");
            assertThatThrownBy(() -> Aio.createSubprocessExec("/no/such/program"))
                    .isInstanceOf(IOException.class).hasMessageContaining("/no/such/program");
            Subprocess p = Aio.createSubprocessExec(new ProcessBuilder("true")
                    .redirectInput(ProcessBuilder.Redirect.INHERIT));
            assertThat(p.stdin()).isNull();
            assertThatThrownBy(() -> p.communicate(b("x"))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("standard input is not a pipe");
            assertThat(p.communicate(null).stdout()).isEmpty();
            assertThat(p.await()).isZero();
            return null;
        });
    }
}
