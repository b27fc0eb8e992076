package org.aio4j;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Aio.createSubprocessExec: a child's pipes as the loop's streams (POSIX tools: cat and sh). */
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
    void theLoopsCloseKillsAChildStillRunning() throws Exception {
        var child = new AtomicReference<Process>();
        Aio.run(() -> {
            child.set(Aio.createSubprocessExec("cat").process()); // waits for input for ever
            return null;
        });
        child.get().onExit().join();
        assertThat(child.get().isAlive()).isFalse();
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
