package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InvalidObjectException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Failures of the pool's own threads, and of the worker's, while they handle a failure: an exception whose
 * {@code toString()} throws. Each fails the call concerned, or none, and leaves the pool serving; none leaves a caller
 * waiting for ever (each {@code get} is bounded: a guard against a hang, not a timing).
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
}
