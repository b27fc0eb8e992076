package org.aio4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.aio4j.bench.harness.ProcessResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The benchmark's smoke test, the only part of it that runs in {@code ./aio4j test}: every workload of every peer, at
 * a size that takes milliseconds, computes the answer {@link Workload#answer} says, so that the harness compares
 * peers doing the same work; and the peer processes speak the protocol the harness parses. No timing here: timing
 * is the harness's job.
 */
class WorkloadSmokeTest {

    private static final int N = 1_500; // above Queue's maxsize and Semaphore's permits, so both fill up and block

    static Stream<Arguments> jvmPeers() {
        var out = new ArrayList<Arguments>();
        for (Workloads peer : WorkloadMain.PEERS) {
            for (Workload w : Workload.values()) {
                if (peer.supports(w)) {
                    out.add(Arguments.of(peer.name(), w));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("jvmPeers")
    void jvmPeerComputesTheAnswer(String peer, Workload workload) throws Exception {
        assertThat(WorkloadMain.peer(peer).run(workload, N)).isEqualTo(workload.answer(N));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Workload.class)
    void cpythonAsyncioComputesTheAnswer(Workload workload) throws Exception {
        Path script = Path.of(getClass().getResource("/asyncio_workloads.py").toURI());
        ProcessResult r = runProtocol(workload, List.of("python3", script.toString(), "asyncio"));
        assertThat(r.info()).startsWith("python=3.");
    }

    /**
     * A peer whose {@code sleep(0)} does not suspend does a fraction of the work (no switch, no task parked, one holder
     * of the semaphore at a time), yet computed every answer right: the switch counted loop rounds, spawn-gather
     * summed indexes and semaphore checked only that no more than 100 held it. Each of these workloads now checks
     * that the suspensions happened (in a loop's FIFO order, which every event-loop peer has), so the harness rejects
     * such a peer. Shown on the Python twin, with {@code asyncio.sleep} replaced by a coroutine that never yields.
     */
    @Test
    void aCPythonPeerWhoseSleepDoesNotSuspendIsCaught() throws Exception {
        Path script = Path.of(getClass().getResource("/asyncio_workloads.py").toURI());
        String program = """
                import asyncio, sys
                sys.path.insert(0, sys.argv[1])
                import asyncio_workloads as w
                async def no_yield(delay, result=None):
                    return result
                asyncio.sleep = no_yield
                for name in ("switch", "spawn-gather", "semaphore"):
                    try:
                        print(name, asyncio.run(w.WORKLOADS[name](%d)))
                    except Exception as e:
                        print(name, "raised", type(e).__name__, e)
                """.formatted(N);
        Process p = new ProcessBuilder("python3", "-c", program, script.getParent().toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("process finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out.lines()).as(out).containsExactly(
                "switch 2",
                "spawn-gather raised RuntimeError task 0 resumed before all " + N + " tasks had started:"
                        + " its sleep(0) did not suspend it",
                "semaphore raised RuntimeError Semaphore(100) had at most 1 holder(s) at once, expected 100:"
                        + " a holder's sleep(0) did not suspend it");
    }

    @Test
    void workloadMainSpeaksTheHarnessProtocol() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessResult r = runProtocol(Workload.PING_PONG, List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), WorkloadMain.class.getName(), "aio4j"));
        assertThat(r.info()).startsWith("jvm=" + Runtime.version().feature()).contains(" cpu-clock=ns ");
    }

    @Test
    void eventLoopPeersCoverEveryWorkload() {
        // CALL_SOON is an event-loop operation; every other workload has a Kotlin and a virtual-thread twin.
        for (Workload w : Workload.values()) {
            assertThat(WorkloadMain.peer("kotlin").supports(w)).as("kotlin " + w).isEqualTo(w != Workload.CALL_SOON);
            assertThat(WorkloadMain.peer("vthreads").supports(w)).as("vthreads " + w)
                    .isEqualTo(w != Workload.CALL_SOON);
        }
    }

    /** Runs a peer process for 2 runs of {@code workload} at size N and checks what it printed. */
    private static ProcessResult runProtocol(Workload workload, List<String> command)
            throws IOException, InterruptedException {
        var full = new ArrayList<>(command);
        full.addAll(List.of(workload.id(), Integer.toString(N), "2"));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("process finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        ProcessResult r = ProcessResult.parse(out, 2, workload.answer(N), -1, -1);
        assertThat(r.error()).as(out).isNull();
        assertThat(r.runNanos()).hasSize(2).allSatisfy(nanos -> assertThat(nanos).isPositive());
        assertThat(r.runCpuNanos()).hasSize(2).allSatisfy(nanos -> assertThat(nanos).isPositive());
        return r;
    }
}
