package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.ExceptionContext;
import org.aio4j.Task;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cancelling the task that awaits a remote call cancels the call: queued, it never starts; running, it stops. */
class CancellationTest {

    private static ProcessPool pool;

    @BeforeAll
    static void startPool() {
        // A grace period no loaded machine outlasts: a call that stops when interrupted is never killed first. The
        // test of the kill has a pool of its own.
        pool = ProcessPool.builder().workers(2).gracePeriod(Duration.ofMinutes(1)).build();
    }

    @AfterAll
    static void closePool() {
        pool.close();
    }

    @Test
    void cancellingTheAwaitingTaskInterruptsTheRunningCallInItsWorker() throws Exception {
        try (var log = new WorkerLog()) {
            long pid = Aio.run(() -> {
                EventLoop loop = Aio.getRunningLoop();
                Task<String> t = Aio.createTask(() ->
                        loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.block("running-cancel"))).await());
                long worker = Aio.toThread(() -> log.awaitPid("running-cancel"));
                t.cancel();
                assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
                return worker;
            });
            // Aio.run waited for the offloaded call, and so for the remote call to stop: the worker saw the interrupt.
            log.await("running-cancel interrupted");
            assertThat(ProcessHandle.of(pid)).hasValueSatisfying(h -> assertThat(h.isAlive()).isTrue());
            assertThat(pool.statistics().workerPids()).contains(pid);
        }
    }

    @Test
    void cancellingAQueuedCallDropsItBeforeItStarts(@TempDir Path dir) throws Exception {
        String journal = dir.resolve("journal").toString();
        try (var log = new WorkerLog()) {
            Aio.run(() -> {
                EventLoop loop = Aio.getRunningLoop();
                // Both workers busy...
                Task<String> b1 = Aio.createTask(() ->
                        loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.block("busy-1"))).await());
                Task<String> b2 = Aio.createTask(() ->
                        loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.block("busy-2"))).await());
                Aio.toThread(() -> log.awaitPid("busy-1") + log.awaitPid("busy-2"));
                // ...so this call waits in the queue, and is cancelled there.
                Task<Integer> queued = Aio.createTask(() ->
                        loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.journal(journal, 3))).await());
                Aio.sleep(0);
                queued.cancel();
                assertThatThrownBy(queued::await).isInstanceOf(CancellationException.class);
                b1.cancel();
                b2.cancel();
                int after = loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.journal(journal, 4))).await();
                assertThat(after).isEqualTo(8);
                return null;
            });
        }
        // Every call has ended (Aio.run awaited them): the cancelled one never ran.
        assertThat(Files.readAllLines(Path.of(journal))).containsExactly("4");
    }

    @Test
    void aFailureOfItsOwnAfterTheCancellationIsReportedAsForAToThreadCallInsteadOfLost() throws Exception {
        // A remote call that ended by itself, its interrupt unseen, ended as cancelled: its failure vanished, where
        // the same call offloaded with toThread reaches the loop's exception handler.
        var reported = new CopyOnWriteArrayList<ExceptionContext>();
        try (var log = new WorkerLog()) {
            Aio.run(() -> {
                EventLoop loop = Aio.getRunningLoop();
                loop.setExceptionHandler((l, context) -> reported.add(context));
                var localStarted = new CountDownLatch(1);
                Task<String> local = Aio.createTask(() -> Aio.toThread(() -> {
                    localStarted.countDown();
                    return WorkerTasks.failWithTheInterruptUnseen("local-unseen");
                }));
                Task<String> remote = Aio.createTask(() -> loop.runInExecutor(pool,
                        pool.remote(() -> WorkerTasks.failWithTheInterruptUnseen("remote-unseen"))).await());
                Aio.toThread(() -> {
                    localStarted.await();
                    return log.awaitPid("remote-unseen");
                });
                local.cancel();
                remote.cancel();
                assertThatThrownBy(local::await).isInstanceOf(CancellationException.class);
                assertThatThrownBy(remote::await).isInstanceOf(CancellationException.class);
                return null;
            });
            // Aio.run waited for both calls to end.
            log.await("remote-unseen interrupt pending");
        }
        assertThat(reported).extracting(ExceptionContext::exception)
                .allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class))
                .extracting(Throwable::getMessage)
                .containsExactlyInAnyOrder("local-unseen: a failure of its own", "remote-unseen: a failure of its own");
    }

    @Test
    void aCallThatIgnoresInterruptsIsStoppedByKillingItsWorkerWhichIsReplaced() throws Exception {
        try (var log = new WorkerLog();
                var impatient = ProcessPool.builder().workers(1).gracePeriod(Duration.ofMillis(300)).build()) {
            long pid = Aio.run(() -> {
                EventLoop loop = Aio.getRunningLoop();
                Task<String> t = Aio.createTask(() -> loop.runInExecutor(impatient,
                        impatient.remote(() -> WorkerTasks.spinForever("stubborn"))).await());
                long worker = Aio.toThread(() -> log.awaitPid("stubborn"));
                t.cancel();
                assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
                return worker;
            });
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
            assertThat(log.lines()).anySatisfy(l -> assertThat(l).contains("(pid " + pid + ")")
                    .contains("within PT0.3S of its cancellation: killing the worker"));
            long next = impatient.remote(WorkerTasks::pid).call();
            assertThat(next).isNotEqualTo(pid);
        }
    }

    /**
     * Stops the single worker {@code pid} of {@code single} (a worker that reads nothing more: hung, in a real
     * program) and submits a task whose frame is larger than the pipe's buffer, so that it never gets through; returns
     * once the pool's driver is stuck writing it.
     */
    private static Future<Integer> stickATaskFrameInThePipe(ProcessPool single, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor()).isZero();
        byte[] data = new byte[4 << 20];
        Future<Integer> stuck = single.submit(() -> length(data));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1); // bounds a failure only
        while (!isWritingATaskFrame("aio4j-process-worker-1")) {
            assertThat(System.nanoTime() - deadline).as("the driver never got stuck writing the frame").isNegative();
            Thread.onSpinWait();   // until the driver is stuck in the write
        }
        return stuck;
    }

    static int length(byte[] data) {
        return data.length;
    }

    @Test
    void cancellingACallWhoseTaskFrameIsStuckInThePipeKillsTheWorkerAfterTheGracePeriod() throws Exception {
        var single = ProcessPool.builder().workers(1).gracePeriod(Duration.ofMillis(300)).build();
        try {
            long pid = single.remote(WorkerTasks::pid).call();
            Future<Integer> stuck = stickATaskFrameInThePipe(single, pid);
            assertThat(stuck.cancel(true)).isTrue();
            single.shutdown();
            // The cancelled call is stopped by killing its worker, so the pool can end.
            assertThat(single.awaitTermination(1, TimeUnit.MINUTES)).as("terminated: %s", single).isTrue();
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        } finally {
            single.shutdownNow();
        }
    }

    @Test
    void shutdownNowReturnsAtOnceEvenWhenATaskFrameIsStuckInThePipe() throws Exception {
        // shutdownNow() wrote the CANCEL frame itself, so it waited for the driver stuck writing the task frame, that
        // is until the grace period killed the worker: it returned only after the kill was logged.
        var single = ProcessPool.builder().workers(1).gracePeriod(Duration.ofSeconds(20)).build();
        try (var log = new WorkerLog()) {
            long pid = single.remote(WorkerTasks::pid).call();
            Future<Integer> stuck = stickATaskFrameInThePipe(single, pid);
            single.shutdownNow();
            assertThat(log.lines()).as("shutdownNow() waited for the grace period's kill")
                    .noneMatch(l -> l.contains("killing the worker"));
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);   // what the grace period would do
            assertThat(single.awaitTermination(1, TimeUnit.MINUTES)).as("terminated: %s", single).isTrue();
            assertThat(stuck.isCancelled()).isTrue();
        } finally {
            single.shutdownNow();
        }
    }

    @Test
    void shutdownNowStopsACallWhoseFutureWasCancelledWithoutInterruptWhileItsFrameWentOut() throws Exception {
        // cancel(false) of a call whose frame was going out marked it cancelled, so that it would not go back to the
        // queue; shutdownNow() then took that mark for its own cancellation already under way and neither sent a
        // CANCEL frame nor started the grace period: the pool waited for ever for a worker that reads no more.
        var single = ProcessPool.builder().workers(1).gracePeriod(Duration.ofMillis(300)).build();
        long pid = single.remote(WorkerTasks::pid).call();
        try {
            Future<Integer> stuck = stickATaskFrameInThePipe(single, pid);
            assertThat(stuck.cancel(false)).isTrue();
            single.shutdownNow();
            assertThat(single.awaitTermination(1, TimeUnit.MINUTES)).as("terminated: %s", single).isTrue();
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            single.shutdownNow();
        }
    }

    private static boolean isWritingATaskFrame(String threadName) {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().equals(threadName))
                .anyMatch(e -> java.util.Arrays.stream(e.getValue())
                        .anyMatch(f -> f.getMethodName().equals("writeTaskRest")));
    }

    @Test
    void cancellingASubmittedFutureInterruptsTheRemoteCall() throws Exception {
        try (var log = new WorkerLog()) {
            Future<String> f = pool.submit(() -> WorkerTasks.block("future-cancel"));
            log.awaitPid("future-cancel");
            assertThat(f.cancel(true)).isTrue();
            log.await("future-cancel interrupted");
            assertThat(f.isCancelled()).isTrue();
            assertThat(pool.submit(() -> 1 + 1).get(2, TimeUnit.MINUTES)).isEqualTo(2);
        }
    }

    @Test
    void cancellingASubmittedFutureWithoutInterruptDropsItsQueuedCallWhichNeverRuns(@TempDir Path dir)
            throws Exception {
        // cancel(false) cancelled the future only: the call stayed in the queue and ran once a worker was free, as
        // the cancelled task of a ThreadPoolExecutor or a pending call of CPython's ProcessPoolExecutor never does.
        String journal = dir.resolve("journal").toString();
        List<Future<String>> busy = occupyBothWorkers("keep-busy");
        try {
            Future<Integer> queued = pool.submit(() -> WorkerTasks.journal(journal, 5));
            assertThat(pool.statistics().queuedCalls()).as("queued by submit").isOne();
            assertThat(queued.cancel(false)).isTrue();
            assertThat(queued.isCancelled()).isTrue();
            assertThat(pool.statistics().queuedCalls()).isZero();
            // One worker freed: a call still queued would run on it before the next one.
            busy.getFirst().cancel(true);
            assertThat(pool.submit(() -> WorkerTasks.journal(journal, 6)).get(2, TimeUnit.MINUTES)).isEqualTo(12);
            assertThat(Files.readAllLines(Path.of(journal))).containsExactly("6");
        } finally {
            busy.forEach(f -> f.cancel(true));
        }
    }

    @Test
    void aFutureCancelledWithoutInterruptWhileItsCallIsBeingQueuedLeavesNothingInTheQueue(@TempDir Path dir)
            throws Exception {
        // The call joined the queue before the future learnt of it: a cancel(false) in between returned with the call
        // still queued (dropped a moment later by the bridge thread), so statistics() showed a call that never runs.
        // Cancelling at once after submit hits that window now and then; every one of them must leave the queue empty.
        cancellingAtOnceAfterSubmitLeavesNothingQueued(dir, "hold", 2_000, false);
    }

    @Test
    void aFutureCancelledWithInterruptAtOnceAfterSubmitLeavesNothingInTheQueue(@TempDir Path dir) throws Exception {
        // submit queues the call before the thread that waits for it runs the future; cancelled before that thread
        // runs it, the future is never run, so its cancellation must drop the call itself: an interrupt reaches no one.
        cancellingAtOnceAfterSubmitLeavesNothingQueued(dir, "hold-interrupt", 500, true);
    }

    /**
     * With both workers held ({@code hold}), submits {@code calls} calls each cancelled at once ({@code interrupt}
     * as {@code cancel}'s argument): each cancel succeeds and leaves the queue empty, and none of them ever runs (the
     * journal then holds only the call made after them).
     */
    private void cancellingAtOnceAfterSubmitLeavesNothingQueued(Path dir, String hold, int calls,
                                                                boolean interrupt) throws Exception {
        String journal = dir.resolve("journal").toString();
        List<Future<String>> busy = occupyBothWorkers(hold);
        try {
            for (int i = 0; i < calls; i++) {
                int n = i;
                Future<Integer> f = pool.submit(() -> WorkerTasks.journal(journal, n));
                assertThat(f.cancel(interrupt)).isTrue();
                assertThat(pool.statistics().queuedCalls()).as("queued after cancelling call %d", i).isZero();
            }
            busy.getFirst().cancel(true);
            assertThat(pool.submit(() -> WorkerTasks.journal(journal, -1)).get(2, TimeUnit.MINUTES)).isEqualTo(-2);
            assertThat(Files.readAllLines(Path.of(journal))).containsExactly("-1");
        } finally {
            busy.forEach(f -> f.cancel(true));
        }
    }

    /**
     * Both workers of the pool busy, each with a call blocked until it is cancelled ({@code marker-1} and
     * {@code marker-2}), once both have started; the caller cancels them when done.
     */
    private List<Future<String>> occupyBothWorkers(String marker) throws InterruptedException {
        try (var log = new WorkerLog()) {   // listening before the calls can print their markers
            List<Future<String>> busy = List.of(pool.submit(() -> WorkerTasks.block(marker + "-1")),
                    pool.submit(() -> WorkerTasks.block(marker + "-2")));
            try {
                log.awaitPid(marker + "-1");
                log.awaitPid(marker + "-2");
                return busy;
            } catch (InterruptedException | RuntimeException | Error e) {
                busy.forEach(f -> f.cancel(true));
                throw e;
            }
        }
    }
}
