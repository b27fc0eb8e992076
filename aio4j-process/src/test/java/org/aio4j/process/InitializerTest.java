package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool's initializer, CPython's {@code ProcessPoolExecutor(initializer=, initargs=)}: run once in each worker before
 * its first call; if it throws, the pool is broken, as CPython 3.13's is (checked against
 * {@code ~/.pyenv/versions/3.13.0}: the pending futures, a running one in another worker included, fail with
 * {@code BrokenProcessPool}, and so does every {@code submit} afterwards).
 */
class InitializerTest {

    @Test
    void theInitializerRunsOnceInEachWorkerBeforeItsFirstCall(@TempDir Path dir) throws Exception {
        String journal = dir.resolve("inits").toString();
        try (var pool = ProcessPool.builder().workers(2)
                .initializer(() -> WorkerTasks.initialize(journal, "ready")).build()) {
            var futures = new ArrayList<Future<String>>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(WorkerTasks::initialized));
            }
            var pids = new ArrayList<String>();
            for (Future<String> f : futures) {
                String[] seen = f.get().split(" ");
                assertThat(seen[1]).as("runs of the initializer in the worker of the call").isEqualTo("1");
                assertThat(seen[2]).isEqualTo("ready");
                pids.add(seen[0]);
            }
            List<String> initialized = Files.readAllLines(Path.of(journal));
            assertThat(initialized).as("one run per worker").doesNotHaveDuplicates();
            assertThat(initialized).containsAll(pids);
        }
    }

    @Test
    void anInitializerThatThrowsBreaksThePoolWithItsExceptionAsTheCause() throws Exception {
        try (var log = new WorkerLog(); var pool = ProcessPool.builder().workers(1).initializer(() -> {
            throw new IllegalStateException("no database");
        }).build()) {
            Future<Long> pending = pool.submit(WorkerTasks::pid);
            assertThatThrownBy(pending::get)
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasMessageMatching("worker 1 \\(pid \\d+\\)'s initializer threw java.lang.IllegalStateException: "
                            + "no database \\(exit status 1\\): the pool is broken, as CPython's BrokenProcessPool; "
                            + "it fails the calls pending and refuses new ones")
                    .satisfies(e -> {
                        var broken = (BrokenWorkerException) e;
                        assertThat(broken.workerId()).isEqualTo(1);
                        assertThat(broken.exitStatus()).isEqualTo(1);
                        assertInitializersException(broken.getCause(), broken.pid());
                    });
            assertThat(pool.toString()).startsWith("ProcessPool[running, broken, workers=0/1");
            // Afterwards: submit throws at once, as ProcessPoolExecutor.submit raises BrokenProcessPool; a remote
            // callable made before or after fails as it is called.
            var remote = pool.remote(WorkerTasks::pid);
            assertThatThrownBy(() -> pool.submit(WorkerTasks::pid))
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasMessageContaining("'s initializer threw java.lang.IllegalStateException: no database")
                    .satisfies(e -> assertInitializersException(e.getCause(), ((BrokenWorkerException) e).pid()));
            assertThatThrownBy(remote::call).isInstanceOf(BrokenWorkerException.class);
            assertThatThrownBy(() -> pool.invokeAll(List.of(WorkerTasks::pid)))
                    .isInstanceOf(BrokenWorkerException.class);
            assertThat(log.lines()).anySatisfy(l -> assertThat(l).contains("exception in initializer:"));
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        }
    }

    private static void assertInitializersException(Throwable cause, long pid) {
        assertThat(cause).isInstanceOf(IllegalStateException.class).hasMessage("no database");
        assertThat(cause.getStackTrace()).anySatisfy(f -> assertThat(f.getClassName())
                .startsWith(WorkerMain.class.getName()));
        assertThat(cause.getSuppressed()).singleElement().satisfies(s -> {
            assertThat(s).hasMessage("the initializer ran in worker 1 (pid " + pid + "); it was given here:");
            assertThat(s.getStackTrace()).anySatisfy(f -> assertThat(f.getMethodName())
                    .isEqualTo("anInitializerThatThrowsBreaksThePoolWithItsExceptionAsTheCause"));
        });
    }

    @Test
    void anInitializersExceptionOfAClassOnlyTheWorkerCanLoadBreaksThePoolWithItsStandInAsTheCause() throws Exception {
        // A class defined at run time in the worker (a plugin's, say): the parent could not load it, and the cause was
        // an InvalidObjectException naming the ClassNotFoundException alone; the class name, message and trace were
        // only in the worker's logged output.
        try (var pool = ProcessPool.builder().workers(1).initializer(InitializerTest::throwGhost).build()) {
            Future<Long> pending = pool.submit(WorkerTasks::pid);
            assertThatThrownBy(pending::get)
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasMessageMatching("worker 1 \\(pid \\d+\\)'s initializer threw org.aio4j.process.ghost."
                            + "GhostException: no plugin \\[sent as a stand-in: the parent could not read it: "
                            + "java.lang.ClassNotFoundException: org.aio4j.process.ghost.GhostException\\] \\(exit "
                            + "status 1\\): the pool is broken, as CPython's BrokenProcessPool; it fails the calls "
                            + "pending and refuses new ones")
                    .satisfies(e -> {
                        var broken = (BrokenWorkerException) e;
                        assertThat(broken.exitStatus()).isEqualTo(1);
                        assertThat(broken.getCause()).isExactlyInstanceOf(ExceptionStandIn.class)
                                .hasMessage("org.aio4j.process.ghost.GhostException: no plugin [sent as a stand-in: "
                                        + "the parent could not read it: java.lang.ClassNotFoundException: "
                                        + "org.aio4j.process.ghost.GhostException]")
                                .satisfies(standIn -> {
                                    assertThat(standIn.getStackTrace()).anySatisfy(f -> assertThat(
                                            f.getMethodName()).isEqualTo("throwGhost"));
                                    assertThat(standIn.getSuppressed()).singleElement().satisfies(s -> {
                                        assertThat(s).hasMessage("the initializer ran in worker 1 (pid "
                                                + broken.pid() + "); it was given here:");
                                        assertThat(s.getStackTrace()).anySatisfy(f -> assertThat(f.getMethodName())
                                                .startsWith("anInitializersExceptionOfAClassOnlyTheWorkerCanLoad"));
                                    });
                                })
                                .cause().isExactlyInstanceOf(ExceptionStandIn.class)
                                .hasMessage("java.lang.IllegalStateException: its cause [sent as a stand-in: the "
                                        + "exception it caused could not be read in the parent]");
                    });
            assertThatThrownBy(() -> pool.submit(WorkerTasks::pid))
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasCauseExactlyInstanceOf(ExceptionStandIn.class);
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        }
    }

    /** Run in a worker as its initializer: throws a {@code GhostException}, a class defined there. */
    private static void throwGhost() {
        try {
            FaultTest.throwGhost("no plugin");
        } catch (RuntimeException ghost) {
            throw ghost;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aWorkerThatExitsInItsInitializerBreaksThePoolToo() {
        try (var pool = ProcessPool.builder().workers(1).initializer(() -> {
            System.out.println("exiting");
            System.exit(3);
        }).build()) {
            assertThatThrownBy(() -> pool.remote(WorkerTasks::pid).call())
                    .isInstanceOf(BrokenWorkerException.class)
                    .hasMessageMatching("(?s)worker 1 \\(pid \\d+\\) ended while running its initializer \\(exit "
                            + "status 3\\): the pool is broken, as CPython's BrokenProcessPool; it fails the calls "
                            + "pending and refuses new ones; its last lines of output:\n  exiting")
                    .hasNoCause();
            assertThatThrownBy(() -> pool.submit(WorkerTasks::pid)).isInstanceOf(BrokenWorkerException.class);
        }
    }

    @Test
    void anInitializerThatThrowsInASecondWorkerFailsTheCallRunningInTheFirst(@TempDir Path dir) throws Exception {
        String flag = dir.resolve("first").toString();
        try (var log = new WorkerLog(); var pool = ProcessPool.builder().workers(2)
                .initializer(() -> WorkerTasks.initializeFirstOnly(flag)).build()) {
            Future<String> running = pool.submit(() -> WorkerTasks.block("running"));
            long first = log.awaitPid("running");
            Future<Long> second = pool.submit(WorkerTasks::pid);
            for (Future<?> f : List.of(running, second)) {
                assertThatThrownBy(f::get).cause()
                        .isInstanceOf(BrokenWorkerException.class)
                        .hasMessageMatching("worker 2 \\(pid \\d+\\)'s initializer threw java.lang."
                                + "IllegalStateException: not the first worker: FileAlreadyExistsException .*")
                        .hasCauseInstanceOf(IllegalStateException.class);
            }
            ProcessHandle.of(first).ifPresent(h -> h.onExit().join());   // killed, as CPython terminates it
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
            assertThat(pool.statistics().workers()).isZero();
        }
    }

    @Test
    void shutdownNowStopsAWorkerStuckInItsInitializerWithoutBreakingThePool() throws Exception {
        try (var log = new WorkerLog(); var pool = ProcessPool.builder().workers(1).initializer(() -> {
            try {
                WorkerTasks.block("initializing");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }).build()) {
            Future<Long> pending = pool.submit(WorkerTasks::pid);
            long pid = log.awaitPid("initializing");
            pool.shutdownNow();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
            assertThat(pending.isCancelled()).isTrue();   // as cancel_futures=True leaves it
            assertThat(ProcessHandle.of(pid)).isEmpty();
            assertThat(pool.toString()).doesNotContain("broken");
            assertThat(log.errors()).isEmpty();
        }
    }

    @Test
    void anInitializerHoldingAClassTheAllowListRefusesFailsAtBuildNamingIt() {
        var secret = new WorkerTasks.Secret("key");
        var builder = ProcessPool.builder().initializer(() -> System.setProperty("secret", secret.text()));
        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the initializer (a lambda in " + InitializerTest.class.getName() + ")")
                .hasMessageContaining(WorkerTasks.Secret.class.getName());
        try (var pool = builder.allow(WorkerTasks.Secret.class).build()) {
            assertThat(pool.statistics().workers()).isZero();
        }
    }

    /**
     * An initializer that returns with its thread's interrupt pending (a library that swallowed an interrupt and set it
     * again) has not failed: CPython's worker looks only at whether it raised. The worker's next write failed on the
     * interrupt and the pool was broken.
     */
    @Test
    void anInitializerThatReturnsWithAnInterruptPendingDoesNotBreakThePool() throws Exception {
        try (var pool = ProcessPool.builder().workers(1).initializer(() -> Thread.currentThread().interrupt())
                .build()) {
            assertThat(pool.remote(() -> WorkerTasks.square(7)).call()).isEqualTo(49);
        }
    }
}
