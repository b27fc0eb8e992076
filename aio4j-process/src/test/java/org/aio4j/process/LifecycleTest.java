package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.junit.jupiter.api.Test;

/** Shutting a pool down, and workers that never outlive it or its JVM. */
class LifecycleTest {

    /** Waits for process {@code pid} to exit; fails after two minutes, a guard against a hang, not a timing test. */
    private static void assertExited(long pid) throws Exception {
        var handle = ProcessHandle.of(pid);
        if (handle.isPresent()) {
            try {
                handle.get().onExit().get(2, TimeUnit.MINUTES);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("process " + pid + " is still running " + handle.get().info(), e);
            }
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));
    }

    @Test
    void shutdownLetsQueuedAndRunningCallsFinishThenEndsTheWorkers() throws Exception {
        var pool = ProcessPool.builder().workers(1).build();
        long pid = pool.submit(WorkerTasks::pid).get();
        var calls = new ArrayList<Future<Integer>>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            calls.add(pool.submit(() -> WorkerTasks.square(n)));
        }
        pool.shutdown();
        assertThat(pool.isShutdown()).isTrue();
        assertThatThrownBy(() -> pool.submit(WorkerTasks::pid))
                .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("is shut down")
                .hasMessageContaining("cannot run remote the task (a lambda in " + LifecycleTest.class.getName() + ")")
                .hasMessageNotContaining("SubmittedCall");
        assertThatThrownBy(() -> pool.remote(WorkerTasks::pid).call())
                .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("is shut down");
        assertThat(pool.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(calls.get(i).get()).isEqualTo(i * i);
        }
        assertExited(pid);
        assertThat(pool.toString()).startsWith("ProcessPool[terminated, workers=0/1");
    }

    @Test
    void shutdownNowCancelsQueuedAndRunningCalls() throws Exception {
        var pool = ProcessPool.builder().workers(1).gracePeriod(Duration.ofMillis(300)).build();
        try (var log = new WorkerLog()) {
            Future<String> running = pool.submit(() -> WorkerTasks.block("stop-now"));
            long pid = log.awaitPid("stop-now");
            Future<Integer> queued = pool.submit(() -> WorkerTasks.square(2));
            assertThat(pool.shutdownNow()).isEmpty();
            assertThat(pool.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
            log.await("stop-now interrupted");
            // Both cancelled, the queued one as cancel_futures=True leaves it; the running one is interrupted in its
            // worker (CPython lets it finish).
            assertThat(running.isCancelled()).isTrue();
            assertThat(queued.isCancelled()).isTrue();
            assertThatThrownBy(queued::get).isInstanceOf(java.util.concurrent.CancellationException.class);
            assertExited(pid);
        }
    }

    /** A gate file, not there yet: {@link WorkerTasks#deafUntil} spins in its worker until the test creates it. */
    private static File gate() throws java.io.IOException {
        var gate = File.createTempFile("aio4j-gate", ".flag");
        assertThat(gate.delete()).isTrue();
        return gate;
    }

    /** Runs {@code body} with a single-worker pool whose worker runs a call held until {@code gate} exists. */
    private static void withHeldCall(File gate, String marker, HeldCallBody body) throws Exception {
        var pool = ProcessPool.builder().workers(1).build();
        try (var log = new WorkerLog()) {
            String gatePath = gate.getPath();
            Future<String> running = pool.submit(() -> WorkerTasks.deafUntil(gatePath, marker));
            log.await(marker + " pid=");
            body.run(pool, running);
            assertThat(gate.createNewFile()).isTrue();
            assertThat(running.get(2, TimeUnit.MINUTES)).as("the running call is left to finish")
                    .isEqualTo("ended by itself");
            assertThat(pool.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
        } finally {
            gate.delete();
            pool.shutdownNow();
        }
    }

    private interface HeldCallBody {
        void run(ProcessPool pool, Future<String> running) throws Exception;
    }

    @Test
    void shutdownCancellingFuturesCancelsTheQueuedCallsAndLetsTheRunningOneFinish() throws Exception {
        // asyncio's shutdown(cancel_futures=True): the queued calls end cancelled, the running one is left to finish
        // (shutdownNow() interrupts it).
        withHeldCall(gate(), "cancel-queued", (pool, running) -> {
            var queued = List.of(pool.submit(() -> WorkerTasks.square(2)), pool.submit(() -> WorkerTasks.square(3)));
            pool.shutdown(true);
            for (Future<Integer> f : queued) {   // queued, or about to be by the thread that runs the submit
                assertThatThrownBy(() -> f.get(2, TimeUnit.MINUTES))
                        .isInstanceOf(java.util.concurrent.CancellationException.class);
                assertThat(f.isCancelled()).isTrue();
            }
            assertThat(running.isDone()).as("the running call is not cancelled").isFalse();
            assertThat(pool.isShutdown()).isTrue();
            assertThatThrownBy(() -> pool.submit(WorkerTasks::pid)).isInstanceOf(RejectedExecutionException.class);
        });
    }

    @Test
    void shutdownWithoutCancellingFuturesThenWithCancelsWhatIsStillQueued() throws Exception {
        withHeldCall(gate(), "then-cancel", (pool, running) -> {
            Future<Integer> queued = pool.submit(() -> WorkerTasks.square(4));
            pool.shutdown(false);
            assertThat(queued.isDone()).as("shutdown(false) leaves the queued call to run").isFalse();
            pool.shutdown(true);
            assertThatThrownBy(() -> queued.get(2, TimeUnit.MINUTES))
                    .isInstanceOf(java.util.concurrent.CancellationException.class);
            assertThat(queued.isCancelled()).isTrue();
        });
    }

    @Test
    void afterShutdownNowALoopFutureOfARemoteCallFailsWithoutBeingCancelledUnlikeAsyncios() throws Exception {
        var pool = ProcessPool.builder().workers(1).gracePeriod(Duration.ofMillis(300)).build();
        try (var log = new WorkerLog()) {
            List<Object> seen = Aio.run(() -> {
                EventLoop loop = Aio.getRunningLoop();
                org.aio4j.Future<String> running = loop.runInExecutor(pool,
                        pool.remote(() -> WorkerTasks.block("loop-stop-now")));
                Aio.toThread(() -> log.awaitPid("loop-stop-now"));
                org.aio4j.Future<Integer> queued = loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.square(2)));
                pool.shutdownNow();
                var out = new ArrayList<Object>();
                for (org.aio4j.Future<?> f : List.of(running, queued)) {
                    assertThatThrownBy(f::await).isInstanceOfAny(InterruptedException.class,
                            java.util.concurrent.CancellationException.class);
                    out.add(f.isCancelled());
                }
                return out;
            });
            assertThat(seen).containsExactly(false, false);
            assertThat(pool.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
        }
    }

    @Test
    void shutdownNowStopsAWorkerStillStartingSoThePoolTerminates() throws Exception {
        // Only workers running a call were stopped: one still starting (here it waits for a debugger before it
        // connects) was left to start, which with no start timeout kept the pool from terminating for ever.
        var pool = ProcessPool.builder().workers(1).startTimeout(ChronoUnit.FOREVER.getDuration())
                .jvmOptions("-agentlib:jdwp=transport=dt_socket,server=y,suspend=y,address=127.0.0.1:0").build();
        try (var log = new WorkerLog()) {
            Future<Long> queued = pool.submit(WorkerTasks::pid);
            log.await("Listening for transport dt_socket");   // started, and will not connect
            long pid = pool.statistics().workerPids().getFirst();
            assertThat(pool.shutdownNow()).isEmpty();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();   // a guard against a hang
            // Cancelled in the queue, or its bridge thread interrupted first: cancelled either way.
            assertThat(queued.isCancelled()).isTrue();
            assertExited(pid);
            // Stopping it was asked for: no error to report (it was logged as one, "could not start").
            assertThat(log.await("stopped by shutdownNow()")).contains("could not start");
            assertThat(log.errors()).isEmpty();
        } finally {
            pool.statistics().workerPids().forEach(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
        }
    }

    @Test
    void aWorkerThatStartedIsNotKeptInMemoryUntilItsStartTimeoutHasPassed() throws Exception {
        // The start timeout was a task scheduled for startTimeout that nothing cancelled, holding its worker (and so
        // the pool): each worker started stayed in memory for the start timeout, for ever with no limit.
        var pool = ProcessPool.builder().workers(1).startTimeout(ChronoUnit.FOREVER.getDuration()).build();
        var worker = new java.util.concurrent.atomic.AtomicReference<java.lang.ref.WeakReference<Worker>>();
        pool.beforeSend = (w, c) -> worker.set(new java.lang.ref.WeakReference<>(w));
        assertThat(pool.submit(WorkerTasks::pid).get(1, TimeUnit.MINUTES)).isPositive();
        pool.close();
        pool.beforeSend = (w, c) -> { };
        for (int i = 0; i < 20 && worker.get().get() != null; i++) {
            System.gc();   // a worker nothing refers to any more goes at the first or second collection
        }
        assertThat(worker.get().get()).as("the worker, after its pool terminated").isNull();
    }

    @Test
    void aWorkerWhoseCancelledCallEndedIsNotKeptInMemoryUntilTheGracePeriodHasPassed() throws Exception {
        // The grace period of a cancellation was a task scheduled for gracePeriod that nothing cancelled when the call
        // ended, holding its worker (and so the pool) that long after each cancellation, however quickly it ended.
        var pool = ProcessPool.builder().workers(1).gracePeriod(Duration.ofDays(1)).build();
        var worker = new java.util.concurrent.atomic.AtomicReference<java.lang.ref.WeakReference<Worker>>();
        pool.beforeSend = (w, c) -> worker.set(new java.lang.ref.WeakReference<>(w));
        try (var log = new WorkerLog()) {
            Future<String> blocked = pool.submit(() -> WorkerTasks.block("graced"));
            log.awaitPid("graced");
            assertThat(blocked.cancel(true)).isTrue();
            log.await("graced interrupted");   // the call ended well within its grace period
            assertThat(pool.submit(WorkerTasks::pid).get(1, TimeUnit.MINUTES)).isPositive();
        }
        pool.close();
        assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        pool.beforeSend = (w, c) -> { };
        for (int i = 0; i < 20 && worker.get().get() != null; i++) {
            System.gc();   // a worker nothing refers to any more goes at the first or second collection
        }
        assertThat(worker.get().get()).as("the worker, after its pool terminated").isNull();
    }

    @Test
    void aioRunShutsDownTheDefaultExecutorWhenItIsTheProcessPool() throws Exception {
        var pool = ProcessPool.builder().workers(1).build();
        long pid = Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            loop.setDefaultExecutor(pool);
            return loop.runInExecutor(null, pool.remote(WorkerTasks::pid)).await();
        });
        assertThat(pool.isTerminated()).isTrue();
        assertExited(pid);
    }

    @Test
    void closeWaitsForTheRunningCalls() throws Exception {
        Future<Integer> call;
        long pid;
        try (var pool = ProcessPool.builder().workers(1).build()) {
            pid = pool.submit(WorkerTasks::pid).get();
            call = pool.submit(() -> WorkerTasks.square(12));
        }
        assertThat(call.isDone()).isTrue();
        assertThat(call.get()).isEqualTo(144);
        assertExited(pid);
    }

    @Test
    void closeOrAwaitTerminationFromACommandOfThePoolDoesNotWaitForItself() throws Exception {
        // The pool terminates once its commands have ended: close() in one of them waited for ever, for itself, and
        // awaitTermination(1 day) for a day, its outcome known from the start.
        var pool = ProcessPool.builder().workers(1).build();
        try {
            var outcomes = new java.util.concurrent.CompletableFuture<List<Object>>();
            pool.execute(() -> {
                var seen = new ArrayList<Object>();
                try {
                    pool.close();
                } catch (Throwable e) {
                    seen.add(e);
                }
                try {
                    seen.add(pool.awaitTermination(1, TimeUnit.DAYS));
                } catch (Throwable e) {
                    seen.add(e);
                }
                outcomes.complete(seen);
            });
            assertThat(outcomes.get(1, TimeUnit.MINUTES))   // a guard against a hang, not a timing
                    .satisfiesExactly(
                            close -> assertThat(close).isInstanceOf(IllegalStateException.class)
                                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                                    .hasMessageStartingWith("close() called from a command of ProcessPool[running")
                                    .hasMessageContaining("call shutdown() there and close() from a thread outside"),
                            await -> assertThat(await).isEqualTo(false));
            assertThat(pool.isShutdown()).as("nothing shut down by the refused close()").isFalse();
            pool.close();
            assertThat(pool.isTerminated()).isTrue();
        } finally {
            pool.shutdownNow();   // does not wait: on a failure, the command may still be waiting for itself
        }
    }

    @Test
    void aCommandWhoseThreadCannotStartDoesNotKeepThePoolFromTerminating() throws Exception {
        // The thread was counted as a running command before start() failed, and never uncounted: close() waited
        // for it for ever. A factory whose thread has already run makes start() fail, as a scheduler's refusal would.
        var pool = ProcessPool.builder().workers(1).build();
        java.util.concurrent.ThreadFactory real = pool.bridgeThreads;
        pool.bridgeThreads = body -> {
            Thread spent = real.newThread(() -> { });
            spent.start();
            try {
                spent.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return spent;
        };
        assertThatThrownBy(() -> pool.execute(() -> { })).isInstanceOf(IllegalThreadStateException.class);
        pool.shutdown();
        assertThat(pool.isTerminated()).as("terminated: %s", pool).isTrue();
    }

    @Test
    void aPoolWithNoCallEverMadeStartsNoWorkerAndTerminatesAtOnce() throws Exception {
        var pool = new ProcessPool();
        assertThat(pool.statistics().workers()).isZero();
        pool.shutdown();
        assertThat(pool.isTerminated()).isTrue();
    }

    @Test
    void workersExitWhenTheirParentJvmIsKilled() throws Exception {
        assertWorkerExitsWhenItsParentIsKilled("in-call");
    }

    /**
     * The initializer runs on the worker's main thread, which reads the connection otherwise: a worker stuck in it
     * (waiting for a service, say) saw nothing of its parent's death and ran on for ever, an orphan.
     */
    @Test
    void aWorkerRunningItsInitializerExitsWhenItsParentJvmIsKilled() throws Exception {
        assertWorkerExitsWhenItsParentIsKilled("initializer");
    }

    private static void assertWorkerExitsWhenItsParentIsKilled(String where) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process parent = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                OrphanParent.class.getName(), where)
                .redirectError(new File("target/orphan-parent-" + where + ".log")).start();
        long worker;
        try (var out = new BufferedReader(new InputStreamReader(parent.getInputStream()))) {
            String first = out.readLine();
            assertThat(first).as("the parent's first line").startsWith("worker ");
            worker = Long.parseLong(first.substring("worker ".length()));
            assertThat(out.readLine()).isEqualTo("ready");
            assertThat(ProcessHandle.of(worker)).hasValueSatisfying(h -> assertThat(h.isAlive()).isTrue());
            parent.destroyForcibly();   // kill -9: no shutdown hook, no close(); only the pipe ends
            parent.waitFor();
        }
        assertExited(worker);
    }
}
