package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InvalidClassException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Remote calls, outcomes and the checks made at submission, on one pool shared by the tests. */
class ProcessPoolTest {

    private static final long PARENT = ProcessHandle.current().pid();
    private static ProcessPool pool;

    @BeforeAll
    static void startPool() {
        pool = ProcessPool.builder().workers(2).build();
    }

    @AfterAll
    static void closePool() {
        pool.close();
        assertThat(pool.isTerminated()).isTrue();
    }

    private int instanceField = 3;

    private int instanceSquare() {
        return instanceField * instanceField;
    }

    @Test
    void aRemoteCallRunsInAWorkerProcessAndItsFutureIsTheLoopsOwn() throws Exception {
        long pid = Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            org.aio4j.Future<Long> f = loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.pid()));
            return f.await();
        });
        assertThat(pid).isNotEqualTo(PARENT);
        assertThat(pool.statistics().workerPids()).contains(pid);
    }

    @Test
    void capturedArgumentsTravelWithTheTaskAndResultsComeBack() throws Exception {
        List<Integer> squares = Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            var futures = new ArrayList<org.aio4j.Future<Integer>>();
            for (int i = 0; i < 10; i++) {
                int n = i;
                futures.add(loop.runInExecutor(pool, pool.remote(() -> WorkerTasks.square(n))));
            }
            return Aio.gather(futures).await();
        });
        assertThat(squares).containsExactly(0, 1, 4, 9, 16, 25, 36, 49, 64, 81);
    }

    @Test
    void collectionsAndStringsAreAllowedByDefault() throws Exception {
        var input = new ArrayList<>(List.of("b", "a", "c"));
        List<String> sorted = pool.submit(() -> input.stream().sorted().toList()).get();
        assertThat(sorted).containsExactly("a", "b", "c");
    }

    @Test
    void anExceptionComesBackWithItsTypeMessageWorkerFramesAndTheCallSite() {
        assertThatThrownBy(() -> Aio.run(() -> Aio.getRunningLoop().runInExecutor(pool, pool.remote(() -> {
            if (PARENT > 0) {
                throw new WorkerTasks.TaskFailed("boom 7");
            }
            return 0;
        })).await()))
                .isInstanceOf(WorkerTasks.TaskFailed.class)
                .hasMessage("boom 7")
                .satisfies(e -> {
                    assertThat(e.getStackTrace()).anySatisfy(f -> assertThat(f.getClassName())
                            .isEqualTo(ProcessPoolTest.class.getName()));
                    assertThat(e.getStackTrace()).anySatisfy(f -> assertThat(f.getClassName())
                            .startsWith(WorkerMain.class.getName()));
                    assertThat(e.getSuppressed()).singleElement().satisfies(s -> {
                        assertThat(s).hasMessageMatching("the call ran in worker \\d+ \\(pid \\d+\\); it was made "
                                + "here:");
                        assertThat(s.getStackTrace()).anySatisfy(f -> assertThat(f.getMethodName())
                                .contains("anExceptionComesBack"));
                    });
                });
    }

    @Test
    void uncheckedExceptionsAndErrorsKeepTheirTypeToo() {
        assertThatThrownBy(() -> pool.remote(() -> Integer.parseInt("not a number")).call())
                .isInstanceOf(NumberFormatException.class)
                .hasMessage("For input string: \"not a number\"");
        assertThatThrownBy(() -> pool.remote(() -> {
            throw new AssertionError("deep in a worker");
        }).call()).isInstanceOf(AssertionError.class).hasMessage("deep in a worker");
    }

    @Test
    void anExceptionThatCannotBeSerializedComesBackAsAStandInWithItsNameMessageAndTrace() {
        assertThatThrownBy(() -> pool.remote(() -> {
            throw new WorkerTasks.Unsendable("kept");
        }).call())
                .isExactlyInstanceOf(ExceptionStandIn.class)
                .hasMessageStartingWith(WorkerTasks.Unsendable.class.getName() + ": kept [sent as a stand-in: "
                        + "java.io.NotSerializableException: java.lang.Object]")
                .satisfies(e -> assertThat(e.getStackTrace()).anySatisfy(f -> assertThat(f.getClassName())
                        .isEqualTo(ProcessPoolTest.class.getName())));
    }

    @Test
    void anExceptionThatCannotBeSerializedComesBackAsAStandInWithAStandInOfItsCause() throws Exception {
        // Each stand-in was made with a null cause, which initCause cannot overwrite: the worker failed to send any
        // outcome, halted (exit status 3), and the call failed with a BrokenWorkerException.
        List<Long> before = warmWorkers();
        assertThatThrownBy(() -> pool.remote(() -> {
            throw new WorkerTasks.Unsendable("outer", new IllegalStateException("inner"));
        }).call())
                .isExactlyInstanceOf(ExceptionStandIn.class)
                .hasMessageStartingWith(WorkerTasks.Unsendable.class.getName() + ": outer [sent as a stand-in: ")
                .cause().isExactlyInstanceOf(ExceptionStandIn.class)
                .hasMessage("java.lang.IllegalStateException: inner [sent as a stand-in: the exception it caused "
                        + "could not be sent]")
                .hasNoCause();
        // A cause that cannot be sent makes its effect a stand-in too, the stand-in's cause that of the cause.
        assertThatThrownBy(() -> pool.remote(() -> {
            throw new IllegalStateException("effect", new WorkerTasks.Unsendable("cause"));
        }).call())
                .isExactlyInstanceOf(ExceptionStandIn.class)
                .hasMessageStartingWith("java.lang.IllegalStateException: effect [sent as a stand-in: ")
                .cause().isExactlyInstanceOf(ExceptionStandIn.class)
                .hasMessageStartingWith(WorkerTasks.Unsendable.class.getName() + ": cause [sent as a stand-in: ");
        assertThat(pool.statistics().workerPids()).containsExactlyInAnyOrderElementsOf(before);
    }

    @Test
    void aStandInKeepsTheExceptionsSuppressedByTheOriginal() {
        // A try-with-resources whose close failed too: the stand-in dropped that failure.
        assertThatThrownBy(() -> pool.remote(() -> {
            var failure = new WorkerTasks.Unsendable("body failed");
            failure.addSuppressed(new IllegalStateException("close failed"));
            failure.addSuppressed(new WorkerTasks.Unsendable("second close failed", new IllegalStateException("io")));
            throw failure;
        }).call())
                .isExactlyInstanceOf(ExceptionStandIn.class)
                .satisfies(e -> assertThat(e.getSuppressed()).filteredOn(s -> !(s instanceof RemoteCallSite))
                        .satisfiesExactly(
                                s -> assertThat(s).hasMessage("java.lang.IllegalStateException: close failed [sent as"
                                        + " a stand-in: the exception it was suppressed by could not be sent]"),
                                s -> assertThat(s).hasMessageStartingWith(WorkerTasks.Unsendable.class.getName()
                                        + ": second close failed [sent as a stand-in: ").cause()
                                        .hasMessageStartingWith("java.lang.IllegalStateException: io [sent as")));
    }

    @Test
    void aStandInNamesTheWorkerAndTheCallSiteLikeAnyRemoteException() {
        assertThatThrownBy(() -> pool.remote(() -> {
            throw new WorkerTasks.Unsendable("where from?");
        }).call())
                .isExactlyInstanceOf(ExceptionStandIn.class)
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().satisfies(s -> {
                    assertThat(s).isInstanceOf(RemoteCallSite.class)
                            .hasMessageMatching("the call ran in worker \\d+ \\(pid \\d+\\); it was made here:");
                    assertThat(s.getStackTrace()).anySatisfy(f -> assertThat(f.getMethodName())
                            .contains("aStandInNamesTheWorker"));
                }));
    }

    @Test
    void anExceptionWhoseWritingThrowsComesBackAsAStandInAndTheWorkerLivesOn() throws Exception {
        try (var allowing = ProcessPool.builder().workers(1)
                .allow(WorkerTasks.Unwritable.class, WorkerTasks.UnwritableByError.class).build()) {
            long pid = allowing.remote(WorkerTasks::pid).call();
            assertThatThrownBy(() -> allowing.remote(() -> {
                throw new WorkerTasks.CarriesUnwritable("kept too", new WorkerTasks.Unwritable());
            }).call())
                    .isExactlyInstanceOf(ExceptionStandIn.class)
                    .hasMessageStartingWith(WorkerTasks.CarriesUnwritable.class.getName() + ": kept too [sent as a "
                            + "stand-in: java.lang.IllegalStateException: an Unwritable cannot be written]");
            // An Error thrown while writing it, too: it used to escape and halt the worker (exit status 3).
            assertThatThrownBy(() -> allowing.remote(() -> {
                throw new WorkerTasks.CarriesUnwritable("kept by error", new WorkerTasks.UnwritableByError());
            }).call())
                    .isExactlyInstanceOf(ExceptionStandIn.class)
                    .hasMessageStartingWith(WorkerTasks.CarriesUnwritable.class.getName() + ": kept by error [sent as "
                            + "a stand-in: java.lang.AssertionError: an UnwritableByError cannot be written]");
            assertThat(allowing.remote(WorkerTasks::pid).call()).isEqualTo(pid);
        }
    }

    @Test
    void aResultThatCannotBeSerializedFailsItsCallSayingWhichClass() {
        assertThatThrownBy(() -> pool.remote(() -> List.of(new WorkerTasks.Unserializable())).call())
                .isInstanceOf(java.io.NotSerializableException.class)
                .hasMessageStartingWith("the task's result (a java.util.ImmutableCollections$List12) contains a "
                        + WorkerTasks.Unserializable.class.getName() + ", which is not Serializable: return a value"
                        + " that is (make that class implement java.io.Serializable");
    }

    @Test
    void aLambdaThatIsNotSerializableFailsAtSubmissionSayingSo() {
        Callable<Integer> plain = () -> 42;
        assertThatThrownBy(() -> pool.remote(plain))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the task (a lambda in " + ProcessPoolTest.class.getName() + ")")
                .hasMessageContaining("is not serializable")
                .hasMessageContaining("SerializableCallable");
        assertThatThrownBy(() -> pool.submit(plain)).isInstanceOf(IllegalArgumentException.class);
        // A void lambda passed straight to submit is a SerializableRunnable (FaultTest.aVoidLambdaCanBeSubmitted);
        // one typed as a plain Runnable is not serializable.
        Runnable plainRunnable = () -> System.out.println("a plain Runnable");
        assertThatThrownBy(() -> pool.submit(plainRunnable)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not serializable").hasMessageContaining("SerializableRunnable");
    }

    @Test
    void aCapturedValueThatIsNotSerializableFailsAtSubmissionNamingItsClass() {
        var thing = new WorkerTasks.Unserializable();
        assertThatThrownBy(() -> pool.remote(() -> thing.value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("captures or contains a " + WorkerTasks.Unserializable.class.getName()
                        + ", which is not Serializable");
    }

    @Test
    void aLambdaCapturingThisIsExplained() {
        // The seed's puzzle: "print_num must be a global function". Here: the lambda calls an instance method.
        assertThatThrownBy(() -> pool.remote(() -> instanceSquare()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a " + ProcessPoolTest.class.getName() + ", which is not Serializable")
                .hasMessageContaining("captures 'this'")
                .hasMessageContaining("static method");
    }

    @Test
    void anAnonymousOrInnerClassHoldingItsEnclosingInstanceIsExplained() {
        // The message said "make it Serializable, mark the field transient, or do not capture it", though the task
        // captured nothing: javac gives a serializable inner class its enclosing instance even when it is unused.
        class Local implements SerializableCallable<Integer> {
            @Override
            public Integer call() {
                return 1;
            }
        }
        var anonymous = new SerializableCallable<Integer>() {
            @Override
            public Integer call() {
                return 1;
            }
        };
        for (SerializableCallable<Integer> task : List.of(new Local(), anonymous)) {
            assertThatThrownBy(() -> pool.remote(task))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a " + ProcessPoolTest.class.getName() + ", which is not Serializable")
                    .hasMessageContaining("holds the instance of its enclosing class, even if it never uses it")
                    .hasMessageContaining("static nested class");
        }
    }

    @Test
    void aTaskHoldingAClassOutsideTheAllowListFailsAtSubmission() {
        var secret = new WorkerTasks.Secret("s");
        assertThatThrownBy(() -> pool.remote(() -> secret.text().length()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(WorkerTasks.Secret.class.getName())
                .hasMessageContaining("refused by the process pool's allow-list")
                .hasMessageContaining("allow(\"org.aio4j.process.WorkerTasks$Secret\")")
                .hasCauseInstanceOf(InvalidClassException.class);
    }

    @Test
    void aResultOutsideTheAllowListFailsItsCallAndLeavesTheWorkersAlone() throws Exception {
        List<Long> before = warmWorkers();
        assertThatThrownBy(() -> pool.remote(() -> new WorkerTasks.Secret("result")).call())
                .isInstanceOf(InvalidClassException.class)
                .hasMessageContaining(WorkerTasks.Secret.class.getName())
                .hasMessageContaining("in the task's result");
        assertThat(pool.remote(() -> WorkerTasks.square(9)).call()).isEqualTo(81);
        assertThat(pool.statistics().workerPids()).containsExactlyInAnyOrderElementsOf(before);
    }

    @Test
    void aLambdaReturnedByATaskComesBackIfItsClassIsAllowedAndIsRefusedNamingItOtherwise() throws Exception {
        try (var allowing = ProcessPool.builder().workers(1).allow(WorkerTasks.class).build()) {
            SerializableCallable<Integer> adder = allowing.remote(() -> WorkerTasks.adder(41)).call();
            assertThat(adder.call()).isEqualTo(42);
        }
        assertThatThrownBy(() -> pool.remote(() -> WorkerTasks.adder(41)).call())
                .isInstanceOf(InvalidClassException.class)
                .hasMessageStartingWith(WorkerTasks.class.getName() + "; refused by the process pool's allow-list "
                        + "(in the task's result): allow it with");
        assertThat(pool.remote(() -> WorkerTasks.square(5)).call()).isEqualTo(25);
    }

    @Test
    void aPoolThatAllowsAClassLetsItThrough() throws Exception {
        try (var allowing = ProcessPool.builder().workers(1).allow(WorkerTasks.Secret.class).build()) {
            var secret = new WorkerTasks.Secret("shared");
            assertThat(allowing.remote(() -> new WorkerTasks.Secret(secret.text() + "!")).call())
                    .isEqualTo(new WorkerTasks.Secret("shared!"));
        }
    }

    @Test
    void submitInvokeAllAndInvokeAnyRunInWorkers() throws Exception {
        assertThat(pool.submit(() -> 6 * 7).get()).isEqualTo(42);
        List<SerializableCallable<Long>> tasks = List.of(WorkerTasks::pid, WorkerTasks::pid, WorkerTasks::pid);
        for (Future<Long> f : pool.invokeAll(tasks)) {
            assertThat(f.get()).isNotEqualTo(PARENT);
        }
        assertThat(pool.invokeAny(tasks)).isNotEqualTo(PARENT);
        Future<?> failing = pool.submit((SerializableCallable<Integer>) () -> Integer.parseInt("x"));
        assertThatThrownBy(failing::get).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(NumberFormatException.class);
    }

    @Test
    void aRemoteCallableOfThePoolIsTakenAsItsTaskBySubmitInvokeAllAndInvokeAny() throws Exception {
        // It was refused as a task that is not serializable, with the advice to pass the lambda to pool.remote(...).
        Callable<Long> remote = pool.remote(WorkerTasks::pid);
        assertThat(pool.submit(remote).get()).isNotEqualTo(PARENT);
        assertThat(pool.invokeAll(List.of(remote, remote))).map(Future::get).doesNotContain(PARENT);
        assertThat(pool.invokeAny(List.of(remote))).isNotEqualTo(PARENT);
        assertThat(pool.remote(remote)).isSameAs(remote);
        try (var other = ProcessPool.builder().workers(1).build()) {
            assertThatThrownBy(() -> other.submit(remote))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("the task is a remote the task (a lambda in org.aio4j.process.ProcessPoolTest)"
                            + " on ProcessPool[running")
                    .hasMessageContaining("a remote callable of another pool");
        }
    }

    @Test
    void executeRunsAPlainCommandHereOnAVirtualThread() throws Exception {
        var ran = new java.util.concurrent.CompletableFuture<Thread>();
        pool.execute(() -> ran.complete(Thread.currentThread()));
        assertThat(ran.get().isVirtual()).isTrue();
        // So a plain callable given to runInExecutor runs locally, as with the loop's own default executor.
        long pid = Aio.run(() -> Aio.getRunningLoop().runInExecutor(pool, () -> ProcessHandle.current().pid())
                .await());
        assertThat(pid).isEqualTo(PARENT);
    }

    @Test
    void whatATaskPrintsIsLoggedWithTheWorkersIdAndPid() throws Exception {
        try (var log = new WorkerLog()) {
            long pid = pool.remote(() -> {
                System.out.println("hello from the task");
                System.err.println("and from its stderr");
                return WorkerTasks.pid();
            }).call();
            assertThat(log.await("hello from the task")).matches("worker \\d+ \\(pid " + pid + "\\): hello from the task");
            assertThat(log.await("and from its stderr")).startsWith("worker ");
        }
    }

    @Test
    void toStringAndStatisticsShowTheState() throws Exception {
        warmWorkers();
        var s = pool.statistics();
        assertThat(s.maxWorkers()).isEqualTo(2);
        assertThat(s.queuedCalls()).isZero();
        assertThat(s.runningCalls()).isZero();
        assertThat(pool.toString()).startsWith("ProcessPool[running, workers=").contains("/2");
    }

    /** Makes sure both workers run, and returns their pids. */
    private static List<Long> warmWorkers() throws Exception {
        var calls = new ArrayList<Future<Long>>();
        for (int i = 0; i < 4; i++) {
            calls.add(pool.submit(WorkerTasks::pid));
        }
        for (var c : calls) {
            c.get();
        }
        return pool.statistics().workerPids();
    }

    @Test
    void builderRefusesBadSettingsSayingWhy() {
        assertThatThrownBy(() -> ProcessPool.builder().workers(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("workers must be >= 1, got 0");
        assertThatThrownBy(() -> ProcessPool.builder().allow("com.example.;drop"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad character ';'");
        assertThatThrownBy(() -> ProcessPool.builder().gracePeriod(java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("gracePeriod must be > 0, got PT0S");
        assertThatThrownBy(() -> ProcessPool.builder().maxPayloadBytes(10))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxPayloadBytes must be >= 65536, got 10");
        assertThatThrownBy(() -> ProcessPool.builder().jvmOptions("-Xmx64m", " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
        // A null array failed with "Cannot read the array length because "<local2>" is null".
        assertThatThrownBy(() -> ProcessPool.builder().jvmOptions((String[]) null))
                .isInstanceOf(NullPointerException.class).hasMessage("JVM options must not be null");
        assertThatThrownBy(() -> ProcessPool.builder().allow((String[]) null))
                .isInstanceOf(NullPointerException.class).hasMessage("allow-list patterns must not be null");
        assertThatThrownBy(() -> ProcessPool.builder().allow((Class<?>[]) null))
                .isInstanceOf(NullPointerException.class).hasMessage("allowed classes must not be null");
    }

    @Test
    void aNullTaskIsRefusedSayingSoAsRemoteAndExecuteRefuseOne() {
        // submit failed with AbstractExecutorService's NullPointerException, which has no message at all.
        try (var pool = ProcessPool.builder().workers(1).build()) {
            assertThatThrownBy(() -> pool.submit((SerializableCallable<Integer>) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("task must not be null");
            assertThatThrownBy(() -> pool.submit((SerializableRunnable) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("task must not be null");
            assertThatThrownBy(() -> pool.submit((SerializableRunnable) null, 1))
                    .isInstanceOf(NullPointerException.class).hasMessage("task must not be null");
            assertThatThrownBy(() -> pool.remote((SerializableCallable<Integer>) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("task must not be null");
            assertThatThrownBy(() -> pool.execute(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("command must not be null");
            assertThat(pool.statistics().workers()).as("workers started").isZero();
        }
    }

    @Test
    void invokeAllAndInvokeAnyRefuseANullCollectionOrElementBeforeSendingAnything() {
        // A null collection failed with AbstractExecutorService's NullPointerException, which has no message; a null
        // element after others was refused only once the calls before it had been sent to a worker.
        List<SerializableCallable<Integer>> withNull = new ArrayList<>();
        withNull.add(() -> 1);
        withNull.add(null);
        try (var pool = ProcessPool.builder().workers(1).build()) {
            assertThatThrownBy(() -> pool.invokeAll(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("tasks must not be null");
            assertThatThrownBy(() -> pool.invokeAll(null, 1, TimeUnit.SECONDS))
                    .isInstanceOf(NullPointerException.class).hasMessage("tasks must not be null");
            assertThatThrownBy(() -> pool.invokeAny(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("tasks must not be null");
            assertThatThrownBy(() -> pool.invokeAny(null, 1, TimeUnit.SECONDS))
                    .isInstanceOf(NullPointerException.class).hasMessage("tasks must not be null");
            assertThatThrownBy(() -> pool.invokeAll(withNull))
                    .isInstanceOf(NullPointerException.class).hasMessage("tasks[1] must not be null");
            assertThatThrownBy(() -> pool.invokeAll(withNull, 1, TimeUnit.SECONDS))
                    .isInstanceOf(NullPointerException.class).hasMessage("tasks[1] must not be null");
            assertThatThrownBy(() -> pool.invokeAny(withNull))
                    .isInstanceOf(NullPointerException.class).hasMessage("tasks[1] must not be null");
            assertThatThrownBy(() -> pool.invokeAll(List.<Callable<Integer>>of(() -> 1), 1, null))
                    .isInstanceOf(NullPointerException.class).hasMessage("unit must not be null");
            assertThatThrownBy(() -> pool.invokeAny(List.<Callable<Integer>>of(() -> 1), 1, null))
                    .isInstanceOf(NullPointerException.class).hasMessage("unit must not be null");
            assertThat(pool.statistics().workers()).as("workers started").isZero();
        }
    }

    @Test
    void allowingAnArrayClassAllowsItsElementClassInsteadOfBreakingBuild() throws Exception {
        // allow(Secret[].class) added the pattern "[Lorg...Secret;", which build() then refused as a bad pattern.
        try (var allowing = ProcessPool.builder().workers(1).allow(WorkerTasks.Secret[][].class, int[].class).build()) {
            var secret = new WorkerTasks.Secret("in an array");
            assertThat(allowing.remote(() -> new WorkerTasks.Secret[] {secret}).call())
                    .containsExactly(new WorkerTasks.Secret("in an array"));
        }
        SerializableCallable<Integer> lambda = () -> 1;
        assertThatThrownBy(() -> ProcessPool.builder().allow(lambda.getClass()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is a hidden class")
                .hasMessageContaining(ProcessPoolTest.class.getName());
    }

    // ProcessPool.map: CPython's list(ProcessPoolExecutor.map(fn, items, chunksize=n)), checked against CPython 3.13
    // (results in order; the first failure in order raised; chunksize below 1 refused at once).

    @Test
    void mapGivesTheResultsInTheOrderOfTheItemsAndMakesOneRemoteCallPerChunk() throws Exception {
        List<Integer> items = IntStream.range(0, 20).boxed().toList();
        assertThat(pool.map(WorkerTasks::square, items, 3))
                .containsExactlyElementsOf(items.stream().map(n -> n * n).toList());
        // Each remote call runs on a thread of its own in its worker: one thread per chunk of 3.
        List<String> threads = pool.map(n -> Thread.currentThread().getName(), items, 3);
        for (int i = 0; i < items.size(); i++) {
            assertThat(threads.get(i)).as("item %d", i).isEqualTo(threads.get(i - i % 3));
        }
        assertThat(threads.stream().distinct()).hasSize(7);
    }

    /**
     * One worker runs the calls of {@code submit}, {@code map} and {@code invokeAll} in the order they were made, as
     * a {@code ProcessPoolExecutor(max_workers=1)} runs its pending calls (a FIFO queue). Each call joined the queue
     * from the virtual thread that then waited for it, so calls made one after the other raced for the queue and an
     * idle worker took a later one first now and then (a few in a thousand); here the second call's thread runs first.
     */
    @Test
    void oneWorkerRunsTheCallsOfSubmitMapAndInvokeAllInTheOrderTheyWereMade(@TempDir Path dir) throws Exception {
        String journal = dir.resolve("journal").toString();
        try (var single = ProcessPool.builder().workers(1).build()) {
            single.bridgeThreads = secondBridgeFirst();
            Future<Integer> first = single.submit(() -> WorkerTasks.journal(journal, 1));
            Future<Integer> second = single.submit(() -> WorkerTasks.journal(journal, 2));
            assertThat(List.of(first.get(), second.get())).containsExactly(2, 4);
            single.bridgeThreads = secondBridgeFirst();
            assertThat(single.map(n -> WorkerTasks.journal(journal, n), List.of(3, 4), 1)).containsExactly(6, 8);
            single.bridgeThreads = secondBridgeFirst();
            List<SerializableCallable<Integer>> tasks = List.of(() -> WorkerTasks.journal(journal, 5),
                    () -> WorkerTasks.journal(journal, 6));
            assertThat(single.invokeAll(tasks)).map(Future::get).containsExactly(10, 12);
        }
        assertThat(Files.readAllLines(Path.of(journal))).containsExactly("1", "2", "3", "4", "5", "6");
    }

    /** Virtual threads for a pool's commands, of which the first starts its command once the second has ended. */
    private static ThreadFactory secondBridgeFirst() {
        var secondEnded = new CountDownLatch(1);
        var made = new AtomicInteger();
        return command -> switch (made.incrementAndGet()) {
            case 1 -> Thread.ofVirtual().unstarted(() -> {
                try {
                    secondEnded.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                command.run();
            });
            case 2 -> Thread.ofVirtual().unstarted(() -> {
                try {
                    command.run();
                } finally {
                    secondEnded.countDown();
                }
            });
            default -> Thread.ofVirtual().unstarted(command);
        };
    }

    /** A ported function that does I/O throws checked exceptions, as the Python one raises OSError. */
    @Test
    void mapTakesAFunctionThatThrowsACheckedExceptionAndThrowsIt() {
        assertThatThrownBy(() -> pool.map(n -> {
            if (n == 3) {
                throw new java.io.IOException("cannot read item " + n);
            }
            return n;
        }, IntStream.range(0, 6).boxed().toList(), 2))
                .isInstanceOf(java.io.IOException.class)
                .hasMessage("cannot read item 3");
    }

    /**
     * A task that throws CancellationException or InterruptedException of its own, nobody having cancelled it, fails
     * with it: its future is not cancelled, as CPython's future of a function raising CancelledError is finished
     * with that exception, not cancelled. map throws it as the worker threw it.
     */
    @Test
    void aTasksOwnCancellationOrInterruptIsItsExceptionNotACancellation() throws Exception {
        Future<Object> ownCancel = pool.submit((SerializableCallable<Object>) () -> {
            throw new java.util.concurrent.CancellationException("the task's own");
        });
        Future<Object> ownInterrupt = pool.submit((SerializableCallable<Object>) () -> {
            throw new InterruptedException("the task's own");
        });
        for (Future<Object> f : List.of(ownCancel, ownInterrupt)) {
            assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOfAny(java.util.concurrent.CancellationException.class, InterruptedException.class)
                    .hasMessage("the task's own");
            assertThat(f.isCancelled()).isFalse();
            assertThat(f.state()).isEqualTo(Future.State.FAILED);
        }
        assertThatThrownBy(() -> pool.map(n -> {
            if (n == 1) {
                throw new InterruptedException("item " + n + " of its own");
            }
            return n;
        }, List.of(0, 1, 2), 1)).isInstanceOf(InterruptedException.class).hasMessage("item 1 of its own");
        assertThat(pool.submit(() -> 7).get()).as("the pool goes on").isEqualTo(7);
    }

    @Test
    void mapThrowsTheExceptionOfTheFirstFailingItemAsARemoteCallDoes() {
        assertThatThrownBy(() -> pool.map(n -> {
            if (n == 5 || n == 8) {
                throw new IllegalStateException("item " + n);
            }
            return n;
        }, IntStream.range(0, 10).boxed().toList(), 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("item 5")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().satisfies(s -> {
                    assertThat(s).hasMessageMatching("the call ran in worker \\d+ \\(pid \\d+\\); it was made here:");
                    assertThat(s.getStackTrace()).anySatisfy(f -> assertThat(f.getMethodName())
                            .contains("mapThrowsTheExceptionOfTheFirstFailingItem"));
                }));
    }

    @Test
    void mapOfNoItemsGivesNoResultsAndABadChunksizeOrItemIsRefusedAtOnce() throws Exception {
        assertThat(pool.map(WorkerTasks::square, List.of(), 4)).isEmpty();
        assertThatThrownBy(() -> pool.map(WorkerTasks::square, List.of(1), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("chunksize must be >= 1, got 0");
        assertThatThrownBy(() -> pool.map(WorkerTasks.Secret::text, List.of(new WorkerTasks.Secret("s")), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the function of map (a lambda in " + ProcessPoolTest.class.getName()
                        + ") on items 0 to 0")
                .hasMessageContaining(WorkerTasks.Secret.class.getName());
    }
}
