package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InvalidObjectException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Failures of the pool's own threads, and of the worker's, while they handle a failure: an exception whose
 * {@code toString()} throws, a logging backend that throws. Each fails the call concerned, or none, and leaves the
 * pool serving; none leaves a caller waiting for ever (each {@code get} is bounded: a guard against a hang, not a
 * timing).
 */
class InternalFailureTest {

    @Test
    void aResultWhoseReadFailureCannotBePrintedFailsItsCallSayingSoAndLeavesTheWorkerServing() throws Exception {
        // The driver, writing the message of the read failure, called its toString(), which threw: the driver died
        // and the call waited for ever.
        var pool = ProcessPool.builder().workers(1).allow(WorkerTasks.ReadsUnprintably.class).build();
        try {
            long pid = pool.remote(WorkerTasks::pid).call();
            Future<WorkerTasks.ReadsUnprintably> call = pool.submit(WorkerTasks.ReadsUnprintably::new);
            assertThatThrownBy(() -> call.get(1, TimeUnit.MINUTES))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(InvalidObjectException.class)
                    .hasMessageEndingWith("could not be read in the parent: org.aio4j.process.WorkerTasks$Unprintable"
                            + " (whose toString() threw org.aio4j.process.WorkerTasks$Unprintable)")
                    .hasCauseInstanceOf(WorkerTasks.Unprintable.class);
            assertThat(pool.remote(WorkerTasks::pid).call()).isEqualTo(pid);   // the worker is unharmed
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aDriverThatFailsWithAnErrorThatCannotBePrintedFailsItsCallAndIsReplaced() throws Exception {
        // The driver's handler of its own failure built the message with the Error's toString(), which threw: the
        // driver died, the call stayed SENT and waited for ever.
        var pool = ProcessPool.builder().workers(1).build();
        try {
            long pid = pool.remote(WorkerTasks::pid).call();
            var failed = new AtomicBoolean();
            pool.beforeSend = (w, c) -> {
                if (failed.compareAndSet(false, true)) {
                    throw new WorkerTasks.UnprintableError();
                }
            };
            Future<Long> call = pool.submit(WorkerTasks::pid);
            assertThatThrownBy(() -> call.get(1, TimeUnit.MINUTES))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(BrokenWorkerException.class)
                    .hasMessageStartingWith("worker 1 (pid " + pid + ") was stopped")
                    .hasMessageContaining("its driver in this process failed with "
                            + "org.aio4j.process.WorkerTasks$UnprintableError (whose toString() threw "
                            + "org.aio4j.process.WorkerTasks$Unprintable)")
                    .hasCauseInstanceOf(WorkerTasks.UnprintableError.class);
            assertThat(pool.submit(WorkerTasks::pid).get(1, TimeUnit.MINUTES)).isPositive().isNotEqualTo(pid);
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anExceptionOfTheTaskThatCannotBeSentNorPrintedComesBackAsAStandIn() throws Exception {
        // Making its stand-in called getMessage(), which threw; the worker's last resort, printing that failure
        // before halting, threw in turn, so the worker neither answered nor died, and the call waited for ever.
        var pool = ProcessPool.builder().workers(1).build();
        try {
            long pid = pool.remote(WorkerTasks::pid).call();
            Future<Object> call = pool.submit(() -> {
                throw new WorkerTasks.UnsendableUnprintable();
            });
            assertThatThrownBy(() -> call.get(1, TimeUnit.MINUTES))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(ExceptionStandIn.class)
                    .hasMessageStartingWith("org.aio4j.process.WorkerTasks$UnsendableUnprintable: (its getMessage()"
                            + " threw org.aio4j.process.WorkerTasks$Unprintable) [sent as a stand-in: ");
            assertThat(pool.remote(WorkerTasks::pid).call()).isEqualTo(pid);   // the worker is unharmed
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A logging backend that fails at the first {@code failures} records of {@code org.aio4j.process} from
     * {@code level} up; added first, it keeps the handlers added after it from seeing them.
     */
    private static final class ThrowingLog extends Handler implements AutoCloseable {
        private static final Logger LOGGER = Logger.getLogger("org.aio4j.process");
        private final Level level;
        private final AtomicInteger failures;

        ThrowingLog(Level level, int failures) {
            this.level = level;
            this.failures = new AtomicInteger(failures);
            LOGGER.addHandler(this);
        }

        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= level.intValue() && failures.getAndDecrement() > 0) {
                throw new IllegalStateException("this log is broken");
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            LOGGER.removeHandler(this);
        }
    }

    @Test
    void aLogThatThrowsDoesNotKeepTheCallsOfAWorkerThatCannotStartWaitingForever() throws Exception {
        // The pool logged the failed start before it counted the worker as gone: the log's exception ended the
        // driver there, the worker counted as starting for ever, and its calls waited for ever.
        var pool = ProcessPool.builder().workers(1).jvmOptions("-Xmx1k").build();
        try (var log = new ThrowingLog(Level.WARNING, Integer.MAX_VALUE)) {
            Future<Long> call = pool.submit(WorkerTasks::pid);
            assertThatThrownBy(() -> call.get(1, TimeUnit.MINUTES))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(BrokenWorkerException.class)
                    .hasMessageStartingWith("worker 1 (pid ");
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLogThatThrowsOnceDoesNotStopTheWorkersOutputBeingForwarded() throws Exception {
        // The thread forwarding the worker's output to the log died at the log's first exception, closing the pipe:
        // all the worker printed after that was lost.
        var pool = ProcessPool.builder().workers(1).build();
        try (var log = new ThrowingLog(Level.INFO, 1); var kept = new WorkerLog()) {
            assertThat(pool.submit(() -> {
                System.out.println("lost");
                System.out.println("kept");
                return 42;
            }).get(1, TimeUnit.MINUTES)).isEqualTo(42);
            assertThat(kept.await("kept")).endsWith(": kept");
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }
}
