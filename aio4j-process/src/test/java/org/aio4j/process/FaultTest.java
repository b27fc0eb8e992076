package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectOutputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.Task;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workers that die, payloads that are refused, workers that cannot start: only the calls concerned fail. */
class FaultTest {

    private static ProcessPool pool;

    @BeforeAll
    static void startPool() {
        pool = ProcessPool.builder().workers(2).build();
    }

    @AfterAll
    static void closePool() {
        pool.close();
    }

    @Test
    void aWorkerKilledMidCallFailsThatCallOnlyAndTheNext100Succeed() throws Exception {
        try (var log = new WorkerLog()) {
            Aio.run(() -> {
                EventLoop loop = Aio.getRunningLoop();
                Task<String> victim = Aio.createTask(() ->
                        loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.block("victim"))).await());
                long pid = Aio.toThread(() -> log.awaitPid("victim"));
                ProcessHandle.of(pid).orElseThrow().destroyForcibly();   // kill -9
                assertThatThrownBy(victim::await)
                        .isInstanceOf(BrokenWorkerException.class)
                        .hasMessageMatching("(?s)worker \\d+ \\(pid " + pid + "\\) died while running remote call "
                                + "\\d+ of the task \\(a lambda in org.aio4j.process.FaultTest\\): exit status 137 "
                                + "\\(killed by signal 9, SIGKILL\\).*")
                        .satisfies(e -> {
                            var b = (BrokenWorkerException) e;
                            assertThat(b.pid()).isEqualTo(pid);
                            assertThat(b.exitStatus()).isEqualTo(137);
                        });
                var next = new ArrayList<org.aio4j.Future<Long>>();
                for (int i = 0; i < 100; i++) {
                    next.add(loop.runInExecutor(pool, pool.remote(WorkerTasks::pid)));
                }
                List<Long> pids = Aio.gather(next).await();
                assertThat(pids).hasSize(100).doesNotContain(pid, ProcessHandle.current().pid());
                return null;
            });
        }
        assertThat(pool.statistics().workers()).isLessThanOrEqualTo(2);
    }

    @Test
    void aWorkerThatExitsMidCallFailsItWithItsExitStatus() {
        assertThatThrownBy(() -> pool.remote(() -> {
            System.err.println("about to exit");
            System.exit(42);
            return 0;
        }).call())
                .isInstanceOf(BrokenWorkerException.class)
                .hasMessageContaining("exit status 42")
                .hasMessageContaining("about to exit")
                .satisfies(e -> assertThat(((BrokenWorkerException) e).exitStatus()).isEqualTo(42));
    }

    @Test
    void aWorkerRefusesAForgedPayloadOutsideItsAllowListOrTooDeepAndGoesOn() throws Exception {
        try (var single = ProcessPool.builder().workers(1).build()) {
            long pid = single.remote(WorkerTasks::pid).call();
            // Forged payloads, written without the parent's checks: the worker's filter is the last line.
            assertThatThrownBy(forged(single, new WorkerTasks.Secret("smuggled"))::call)
                    .isInstanceOf(InvalidClassException.class)
                    .hasMessageStartingWith(WorkerTasks.Secret.class.getName() + "; refused by the process pool's "
                            + "allow-list (reading the task in worker 1): allow it with");
            Object deep = List.of();
            for (int i = 0; i < 150; i++) {
                deep = new ArrayList<>(List.of(deep));
            }
            assertThatThrownBy(forged(single, deep)::call)
                    .isInstanceOf(InvalidClassException.class)
                    .hasMessageContaining("deeper than the pool's maxDepth 100");
            // The same worker process goes on.
            assertThat(single.remote(WorkerTasks::pid).call()).isEqualTo(pid);
            assertThat(single.statistics().workerPids()).containsExactly(pid);
        }
    }

    private static Callable<Object> forged(ProcessPool target, Object payload) throws Exception {
        var bytes = new ByteArrayOutputStream();
        try (var out = new ObjectOutputStream(bytes)) {
            out.writeObject(payload);
        }
        var p = new Payloads.Payload(bytes.toByteArray(), Set.of(), "a forged payload");
        return new RemoteCallable<>(target, p, FaultTest.class.getClassLoader());
    }

    @Test
    void aWorkerThatCannotStartFailsTheWaitingCallsSayingWhy() {
        try (var broken = ProcessPool.builder().workers(1).jvmOptions("-Xmx1k").build()) {
            assertThatThrownBy(() -> broken.remote(WorkerTasks::pid).call())
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasMessageMatching("(?s)worker 1 \\(pid \\d+\\) could not start: exit status 1; its last lines "
                            + "of output:.*heap.*");
        }
    }

    @Test
    void aWorkerWhoseProcessCannotBeCreatedFailsTheCallsWithTheReasonAsCause() {
        // The IOException of ProcessBuilder.start() was in the message only: the exception had no cause.
        try (var broken = ProcessPool.builder().workers(1).jvmOptions("-Dbad=\u0000").build()) {
            assertThatThrownBy(() -> broken.remote(WorkerTasks::pid).call())
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasMessageStartingWith("worker 1 could not be started: invalid null character in command "
                            + "(command: ")
                    .cause().isInstanceOf(IOException.class).hasMessage("invalid null character in command");
        }
    }

    @Test
    void aWorkerWhoseSocketCannotBeMadeFailsTheCallsWithTheReasonAsCause(@TempDir Path dir) {
        Path missing = dir.resolve("missing");
        try (var broken = ProcessPool.builder().workers(1).build()) {
            broken.socketDirectory = missing;
            assertThatThrownBy(() -> broken.remote(WorkerTasks::pid).call())
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasMessageStartingWith("worker 1 could not be started: could not make the socket a worker "
                            + "connects to, in " + missing + ": java.nio.file.NoSuchFileException: ")
                    .cause().isInstanceOf(IOException.class)
                    .cause().isInstanceOf(NoSuchFileException.class);
        }
    }

    @Test
    void timeoutsTooLongToCountInNanosecondsMeanNoLimitInsteadOfBreakingTheWorkers() throws Exception {
        // Duration.toNanos() overflows past 292 years: the worker's driver threw, leaving its calls waiting forever.
        var forever = java.time.temporal.ChronoUnit.FOREVER.getDuration();
        var unlimited = ProcessPool.builder().workers(1).startTimeout(forever).gracePeriod(forever).build();
        try {
            Future<Long> first = unlimited.submit(WorkerTasks::pid);
            assertThat(first.get(1, TimeUnit.MINUTES)).isPositive();   // a guard against a hang, not a timing
            Future<Integer> exiting = unlimited.submit(() -> {
                System.exit(42);
                return 0;
            });
            assertThatThrownBy(() -> exiting.get(1, TimeUnit.MINUTES))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(BrokenWorkerException.class).hasMessageContaining("exit status 42");
            unlimited.shutdown();
            assertThat(unlimited.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        } finally {
            unlimited.shutdownNow();
        }
    }

    @Test
    void aWorkerThatIsNotReadyWithinTheStartTimeoutFailsTheWaitingCallsSayingSo() {
        try (var slow = ProcessPool.builder().workers(1).startTimeout(java.time.Duration.ofMillis(1)).build()) {
            assertThatThrownBy(() -> slow.remote(WorkerTasks::pid).call())
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasMessageMatching("(?s)worker 1 \\(pid \\d+\\) could not start: it was not ready within the "
                            + "pool's startTimeout PT0\\.001S and was killed, exit status 137 \\(killed by signal 9, "
                            + "SIGKILL\\).*");
        }
    }

    /** A pool whose {@code n}th worker thread (counting from 1) cannot be made, as with no native thread left. */
    private static ProcessPool failingThread(int n) {
        var pool = ProcessPool.builder().workers(1).build();
        var made = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ThreadFactory real = pool.workerThreads;
        pool.workerThreads = body -> {
            if (made.incrementAndGet() == n) {
                throw new OutOfMemoryError("unable to create native thread: possibly out of memory");
            }
            return real.newThread(body);
        };
        return pool;
    }

    @Test
    void aWorkerWhoseStartFailsInThisProcessIsKilledAndFailsTheWaitingCallsInsteadOfStartingForEver()
            throws Exception {
        // launch() threw outside the driver's try: the worker counted as starting for ever, its calls waited for
        // ever, the pool never terminated, and the worker JVM lived on.
        var pool = failingThread(2);   // 1 is worker 1's driver, 2 the thread forwarding its output
        try {
            Future<Long> call = pool.submit(WorkerTasks::pid);
            assertThatThrownBy(() -> call.get(1, TimeUnit.MINUTES))   // a guard against a hang, not a timing
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(BrokenWorkerException.class)
                    .hasMessageMatching("(?s)worker 1 \\(pid \\d+\\) could not start: starting it here failed with "
                            + "java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory, so "
                            + "it was killed, exit status 137 \\(killed by signal 9, SIGKILL\\).*")
                    .hasCauseInstanceOf(OutOfMemoryError.class)
                    .satisfies(e -> {
                        long pid = ((BrokenWorkerException) e).pid();
                        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive))
                                .isNotEqualTo(java.util.Optional.of(true));
                    });
            assertTheNextWorkerServesAndThePoolEnds(pool);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aWorkerWhoseDriverThreadCannotBeMadeFailsTheWaitingCallsInsteadOfStartingForEver() throws Exception {
        // The error reached the caller, but the call stayed queued and the worker counted as starting for ever.
        var pool = failingThread(1);
        try {
            Future<Long> call = pool.submit(WorkerTasks::pid);
            assertThatThrownBy(() -> call.get(1, TimeUnit.MINUTES))   // a guard against a hang, not a timing
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(BrokenWorkerException.class)
                    .hasMessage("worker 1 could not be started: no thread could be made to drive it "
                            + "(java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory)")
                    .hasCauseInstanceOf(OutOfMemoryError.class);
            assertThat(pool.statistics().workers()).isZero();
            assertTheNextWorkerServesAndThePoolEnds(pool);
        } finally {
            pool.shutdownNow();
        }
    }

    /** After a worker that could not start: worker 2 starts and serves a call, and the pool then terminates. */
    private static void assertTheNextWorkerServesAndThePoolEnds(ProcessPool pool) throws Exception {
        assertThat(pool.submit(WorkerTasks::pid).get(1, TimeUnit.MINUTES)).isPositive();
        pool.shutdown();
        assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    }

    @Test
    void aResultThatFailsWithAnErrorWhenReadFailsItsCallSayingSoInsteadOfLeavingItWaitingForever() throws Exception {
        // Only the parent reads a result: its readObject throws an AssertionError there, not in the worker. That
        // AssertionError came alone, as if the task had thrown it, as would the ClassNotFoundException of a result
        // whose class the parent cannot load.
        var fragile = ProcessPool.builder().workers(1).allow(WorkerTasks.Fragile.class).build();
        try {
            long pid = fragile.remote(WorkerTasks::pid).call();
            Future<WorkerTasks.Fragile> call = fragile.submit(WorkerTasks.Fragile::new);
            assertThatThrownBy(() -> call.get(1, TimeUnit.MINUTES))   // a guard against a hang, not a timing
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(java.io.InvalidObjectException.class)
                    .hasMessageMatching("the result of remote call \\d+ of the task \\(a lambda in "
                            + "org.aio4j.process.FaultTest\\) in worker 1 \\(pid " + pid + "\\) could not be read in "
                            + "the parent: java.lang.AssertionError: a Fragile cannot be read back")
                    .satisfies(e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(RemoteCallSite.class))
                    .cause().isInstanceOf(AssertionError.class).hasMessage("a Fragile cannot be read back");
            // The worker is unharmed, as with any result the parent refuses.
            assertThat(fragile.remote(WorkerTasks::pid).call()).isEqualTo(pid);
            assertThat(fragile.statistics().runningCalls()).isZero();
            fragile.shutdown();
            assertThat(fragile.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        } finally {
            fragile.shutdownNow();
        }
    }

    @Test
    void anExceptionOfTheTaskThatCannotBeReadFailsTheCallSayingSoWithTheReadFailureAsCause() throws Exception {
        // The AssertionError of the exception's readObject came alone: it passed for what the task threw.
        try (var single = ProcessPool.builder().workers(1).allow(WorkerTasks.FragileException.class).build()) {
            long pid = single.remote(WorkerTasks::pid).call();
            assertThatThrownBy(() -> single.remote(() -> {
                throw new WorkerTasks.FragileException("thrown by the task");
            }).call())
                    .isInstanceOf(java.io.InvalidObjectException.class)
                    .hasMessageMatching("remote call \\d+ of the task \\(a lambda in org.aio4j.process.FaultTest\\) "
                            + "threw an exception in worker 1 \\(pid " + pid + "\\) that could not be read in the "
                            + "parent: java.lang.AssertionError: a FragileException cannot be read back")
                    .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                            .isInstanceOf(RemoteCallSite.class))
                    .cause().isInstanceOf(AssertionError.class).hasMessage("a FragileException cannot be read back");
            assertThat(single.remote(WorkerTasks::pid).call()).isEqualTo(pid); // the worker is unharmed
        }
    }

    @Test
    void aTaskHoldingAClassTheWorkerCannotLoadFailsSayingWhereWorkersLoadClassesFrom() throws Exception {
        // A class the parent loaded from elsewhere than its class path (a plugin's class loader, a nested jar): the
        // worker met a bare ClassNotFoundException reading the task, which came back as if the task had thrown it.
        Object ghost = ghostClass("org.aio4j.process.ghost.Ghost").getConstructor().newInstance();
        try (var single = ProcessPool.builder().workers(1).allow("org.aio4j.process.ghost.*").build()) {
            long pid = single.remote(WorkerTasks::pid).call();
            assertThatThrownBy(() -> single.remote(() -> ghost.hashCode()).call())
                    .isInstanceOf(java.io.InvalidClassException.class)
                    .hasMessageStartingWith("org.aio4j.process.ghost.Ghost; worker 1 (pid " + pid + ") could not"
                            + " read the task: it cannot load class org.aio4j.process.ghost.Ghost. A worker loads"
                            + " classes from the parent's class path (java.class.path)")
                    .cause().isInstanceOf(ClassNotFoundException.class);
            assertThat(single.remote(WorkerTasks::pid).call()).isEqualTo(pid); // the worker is unharmed
        }
    }

    @Test
    void anExceptionOfAClassOnlyTheWorkerCanLoadComesBackAsAStandInWithItsNameMessageTraceAndCauses() throws Exception {
        // A class defined at run time in the worker: the parent could not load it, and the call failed with an
        // InvalidObjectException naming the ClassNotFoundException alone; the name, message and trace were lost.
        try (var single = ProcessPool.builder().workers(1).build()) {
            long pid = single.remote(WorkerTasks::pid).call();
            assertThatThrownBy(() -> single.remote(() -> throwGhost("made in the worker")).call())
                    .isExactlyInstanceOf(ExceptionStandIn.class)
                    .hasMessage("org.aio4j.process.ghost.GhostException: made in the worker [sent as a stand-in: "
                            + "the parent could not read it: java.lang.ClassNotFoundException: "
                            + "org.aio4j.process.ghost.GhostException]")
                    .satisfies(e -> {
                        assertThat(e.getStackTrace()).anySatisfy(f -> assertThat(f.getMethodName())
                                .isEqualTo("throwGhost"));
                        assertThat(e.getSuppressed()).singleElement().isInstanceOf(RemoteCallSite.class)
                                .satisfies(s -> assertThat(s.getStackTrace()).anySatisfy(f -> assertThat(
                                        f.getMethodName()).isEqualTo(
                                        "anExceptionOfAClassOnlyTheWorkerCanLoadComesBackAsAStandInWithItsNameMessageTra"
                                                + "ceAndCauses")));
                    })
                    .cause().isExactlyInstanceOf(ExceptionStandIn.class)
                    .hasMessage("java.lang.IllegalStateException: its cause [sent as a stand-in: the exception it "
                            + "caused could not be read in the parent]")
                    .hasNoCause();
            // A cause of such a class makes its effect, whose class the parent has, a stand-in as well.
            assertThatThrownBy(() -> single.remote(() -> {
                try {
                    return throwGhost("the cause");
                } catch (RuntimeException ghost) {
                    throw new IllegalStateException("the effect", ghost);
                }
            }).call())
                    .isExactlyInstanceOf(ExceptionStandIn.class)
                    .hasMessage("java.lang.IllegalStateException: the effect [sent as a stand-in: the parent could not "
                            + "read it: java.lang.ClassNotFoundException: org.aio4j.process.ghost.GhostException]")
                    .cause().isExactlyInstanceOf(ExceptionStandIn.class)
                    .hasMessage("org.aio4j.process.ghost.GhostException: the cause [sent as a stand-in: the exception "
                            + "it caused could not be read in the parent]");
            // The same worker goes on.
            assertThat(single.remote(WorkerTasks::pid).call()).isEqualTo(pid);
        }
    }

    @Test
    void aResultOfAClassOnlyTheWorkerCanLoadStillFailsItsCallSayingItCouldNotBeRead() throws Exception {
        // Only exceptions get a stand-in: a value that cannot be read is no value.
        try (var single = ProcessPool.builder().workers(1).allow("org.aio4j.process.ghost.*").build()) {
            long pid = single.remote(WorkerTasks::pid).call();
            assertThatThrownBy(() -> single.remote(FaultTest::ghostInTheWorker).call())
                    .isInstanceOf(java.io.InvalidObjectException.class)
                    .hasMessageMatching("the result of remote call \\d+ of the task \\(a lambda in "
                            + "org.aio4j.process.FaultTest\\) in worker 1 \\(pid " + pid + "\\) could not be read in "
                            + "the parent: java.lang.ClassNotFoundException: org.aio4j.process.ghost.Ghost")
                    .cause().isInstanceOf(ClassNotFoundException.class);
            assertThat(single.remote(WorkerTasks::pid).call()).isEqualTo(pid);
        }
    }

    /** Run in a worker: throws a {@code GhostException}, a class defined there, caused by an IllegalStateException. */
    static int throwGhost(String message) throws Exception {
        String name = "org.aio4j.process.ghost.GhostException";
        var desc = java.lang.constant.ClassDesc.of(name);
        var runtimeException = java.lang.constant.ClassDesc.of("java.lang.RuntimeException");
        var ofString = java.lang.constant.MethodTypeDesc.of(java.lang.constant.ConstantDescs.CD_void,
                java.lang.constant.ConstantDescs.CD_String);
        byte[] bytes = java.lang.classfile.ClassFile.of().build(desc, cb -> cb
                .withFlags(java.lang.classfile.ClassFile.ACC_PUBLIC)
                .withSuperclass(runtimeException)
                .withMethodBody(java.lang.constant.ConstantDescs.INIT_NAME, ofString,
                        java.lang.classfile.ClassFile.ACC_PUBLIC, code -> code.aload(0).aload(1)
                                .invokespecial(runtimeException, java.lang.constant.ConstantDescs.INIT_NAME, ofString)
                                .return_()));
        var ghost = (RuntimeException) define(name, bytes).getConstructor(String.class).newInstance(message);
        ghost.initCause(new IllegalStateException("its cause"));
        throw ghost;
    }

    /** Run in a worker: an instance of {@code Ghost}, a class defined there. */
    static Object ghostInTheWorker() throws Exception {
        return ghostClass("org.aio4j.process.ghost.Ghost").getConstructor().newInstance();
    }

    private static Class<?> define(String name, byte[] bytes) {
        var loader = new ClassLoader(FaultTest.class.getClassLoader()) {
            Class<?> define() {
                return defineClass(name, bytes, 0, bytes.length);
            }
        };
        return loader.define();
    }

    /** A serializable class with a public no-arg constructor, defined by a class loader of its own, on no class path. */
    private static Class<?> ghostClass(String name) throws Exception {
        var desc = java.lang.constant.ClassDesc.of(name);
        byte[] bytes = java.lang.classfile.ClassFile.of().build(desc, cb -> cb
                .withFlags(java.lang.classfile.ClassFile.ACC_PUBLIC)
                .withInterfaceSymbols(java.lang.constant.ClassDesc.of("java.io.Serializable"))
                .withMethodBody(java.lang.constant.ConstantDescs.INIT_NAME, java.lang.constant.ConstantDescs.MTD_void,
                        java.lang.classfile.ClassFile.ACC_PUBLIC, code -> code.aload(0)
                                .invokespecial(java.lang.constant.ConstantDescs.CD_Object,
                                        java.lang.constant.ConstantDescs.INIT_NAME,
                                        java.lang.constant.ConstantDescs.MTD_void)
                                .return_()));
        return define(name, bytes);
    }

    @Test
    void aResultLargerThanMaxPayloadBytesFailsItsCallSayingSoBeforeItFillsTheWorkersHeap() throws Exception {
        // 30 MB of result fit a 64 MB heap, but its serialized copy grew without bound before the limit was checked:
        // the call failed with the worker's OutOfMemoryError instead of the pool's limit.
        try (var small = ProcessPool.builder().workers(1).maxPayloadBytes(1 << 20)
                .jvmOptions("-XX:+UseSerialGC", "-Xmx64m").build()) {
            long pid = small.remote(WorkerTasks::pid).call();
            assertThatThrownBy(() -> small.remote(() -> new byte[30 << 20]).call())
                    .isInstanceOf(java.io.InvalidObjectException.class)
                    .hasMessage("payload in the task's result is larger than the pool's maxPayloadBytes 1048576");
            assertThat(small.remote(WorkerTasks::pid).call()).isEqualTo(pid);
        }
    }

    static int length(byte[] data) {
        return data.length;
    }

    @Test
    void aCallThatKillsEveryWorkerItIsSentToFailsInsteadOfStartingWorkerAfterWorker() throws Exception {
        // 40 MB of payload in workers with a 24 MB heap: each worker dies reading it, before it could accept it
        try (var small = ProcessPool.builder().workers(1).jvmOptions("-XX:+UseSerialGC", "-Xmx24m").build()) {
            byte[] data = new byte[40 << 20];
            assertThatThrownBy(() -> small.remote(() -> length(data)).call())
                    .isInstanceOf(BrokenWorkerException.class);
            assertThat(small.remote(WorkerTasks::pid).call()).isPositive(); // the pool goes on with a fresh worker
        }
    }

    @Test
    void workersKilledWhileIdleBeforeACallReachedThemDoNotCountAsKilledByIt() throws Exception {
        // An idle worker killed (the OOM killer) before its driver heard of it could still be given a call: each such
        // death counted against the call, and two in a row failed a call that never ran with BrokenWorkerException.
        try (var single = ProcessPool.builder().workers(1).build()) {
            var killed = new java.util.concurrent.CopyOnWriteArrayList<Long>();
            single.beforeSend = (w, c) -> {
                if (killed.size() < 2) {
                    ProcessHandle worker = ProcessHandle.of(w.pid()).orElseThrow();
                    killed.add(w.pid());
                    worker.destroyForcibly();
                    worker.onExit().join();   // dead, and its pipes closed, before the call is sent
                }
            };
            long pid = single.remote(WorkerTasks::pid).call();
            assertThat(killed).hasSize(2).doesNotContain(pid);
            assertThat(pid).isNotEqualTo(ProcessHandle.current().pid());
        }
    }

    /**
     * A future of submit cancelled without interrupting, once a worker's driver has taken its call but before the call
     * went out: if that worker turns out dead (killed while idle), the call ends cancelled. It went back to the queue
     * and ran on the next worker, although cancel(false) had returned true (Future's contract: it should never run).
     */
    @Test
    void aCallCancelledBeforeItWentOutToAWorkerThatDiedIdleNeverRuns(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String journal = dir.resolve("ran").toString();
        try (var single = ProcessPool.builder().workers(1).build()) {
            var submitted = new java.util.concurrent.CompletableFuture<Future<Integer>>();
            var cancelled = new java.util.concurrent.atomic.AtomicBoolean();
            single.beforeSend = (w, c) -> {
                if (cancelled.get()) {
                    return;
                }
                cancelled.set(submitted.join().cancel(false));
                ProcessHandle worker = ProcessHandle.of(w.pid()).orElseThrow();
                worker.destroyForcibly();
                worker.onExit().join(); // dead before the call is sent
            };
            submitted.complete(single.submit(() -> WorkerTasks.journal(journal, 1)));
            assertThat(single.remote(WorkerTasks::pid).call()).as("the pool goes on with a fresh worker").isPositive();
            assertThat(cancelled).isTrue();
            assertThat(submitted.join().isCancelled()).isTrue();
            assertThat(Path.of(journal)).as("the cancelled call never ran").doesNotExist();
        }
    }

    /** A void lambda goes to submit as a SerializableRunnable, not as a plain Runnable that could not be sent. */
    @Test
    void aVoidLambdaCanBeSubmitted(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String journal = dir.resolve("ran").toString();
        try (var pool = ProcessPool.builder().workers(1).build()) {
            Future<?> f = pool.submit(() -> WorkerTasks.touch(journal));
            assertThat(f.get()).isNull();
            assertThat(pool.submit(() -> WorkerTasks.touch(journal), "done").get()).isEqualTo("done");
            assertThat(java.nio.file.Files.readAllLines(Path.of(journal))).hasSize(2);
        }
    }

    /** A function of a named class, which submit and remote send, is sent by map too. */
    @Test
    void mapSendsAFunctionOfANamedClassAsSubmitDoes() throws Exception {
        try (var pool = ProcessPool.builder().workers(1).build()) {
            assertThat(pool.map(new Square(), List.of(1, 2, 3), 2)).containsExactly(1, 4, 9);
        }
    }

    /** A function of a named class (not a lambda). */
    static final class Square implements SerializableFunction<Integer, Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer apply(Integer n) {
            return n * n;
        }
    }

    /**
     * A cancelled call that does not stop within the grace period has its worker killed; if it ends by itself just
     * then, the kill must not land on the next call sent to that worker, which nobody cancelled. The grace timer
     * decided, then logged, then killed: a call ending and the next one starting in that gap (here, while the log's
     * handler runs) was killed in its place.
     */
    @Test
    void theGracePeriodsKillNeverLandsOnTheNextCall(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String gate = dir.resolve("gate").toString();
        var sentTo = new java.util.concurrent.ConcurrentHashMap<String, Long>();
        var secondSent = new java.util.concurrent.CountDownLatch(1);
        var handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains("did not stop")) {
                    try {
                        java.nio.file.Files.writeString(Path.of(gate), "go"); // the first call ends by itself now
                        secondSent.await(2, TimeUnit.MINUTES); // a hang guard: until the second call is sent
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        var logger = java.util.logging.Logger.getLogger("org.aio4j.process");
        logger.addHandler(handler);
        try (var log = new WorkerLog();
             var single = ProcessPool.builder().workers(1).gracePeriod(java.time.Duration.ofMillis(200)).build()) {
            single.beforeSend = (w, c) -> {
                sentTo.put(sentTo.isEmpty() ? "first" : "second", w.pid());
                if (sentTo.size() == 2) {
                    secondSent.countDown();
                }
            };
            Future<String> first = single.submit(() -> WorkerTasks.deafUntil(gate, "deaf"));
            log.await("deaf pid=");
            Future<Long> second = single.submit(WorkerTasks::pid); // queued behind the first, never cancelled
            first.cancel(true);
            assertThat(second.get(2, TimeUnit.MINUTES)).as("the second call ran to its end").isPositive();
            assertThat(sentTo.get("second")).as("not on the worker the grace period killed")
                    .isNotEqualTo(sentTo.get("first"));
        } finally {
            logger.removeHandler(handler);
        }
    }
}
