package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Failures in the iterator operators: none goes unseen, and an operator that failed is exhausted. */
class OperatorFailuresTest {

    /**
     * AsyncIterator's contract: "After a failure, the iterator is exhausted", as Python's
     * {@code (await fn(x) async for x in it)} is after fn raised (CPython 3.11: StopAsyncIteration at the next
     * {@code __anext__}). map() and filter() went on with the items after the failing one.
     */
    @Test
    void mapAndFilterAreExhaustedAfterTheirFunctionFailed() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var source = AsyncGenerator.<Integer>of(out -> {
                try {
                    for (int i = 1; i <= 4; i++) {
                        out.emit(i);
                    }
                } finally {
                    log.add("source closed");
                }
            });
            try (var mapped = source.map(i -> {
                if (i == 2) {
                    throw new IllegalStateException("map " + i);
                }
                return i;
            })) {
                assertThat(mapped.next()).isEqualTo(1);
                assertThatThrownBy(mapped::next).hasMessage("map 2");
                assertThat(mapped.hasNext()).isFalse();
                assertThatThrownBy(mapped::next).isInstanceOf(NoSuchElementException.class);
            }
            assertThat(log).containsExactly("source closed"); // closing still reaches the source

            try (var filtered = AsyncIterator.from(List.of(1, 2, 3, 4)).filter(i -> {
                if (i == 2) {
                    throw new IllegalStateException("filter " + i);
                }
                return true;
            })) {
                assertThat(filtered.next()).isEqualTo(1);
                assertThatThrownBy(filtered::next).hasMessage("filter 2");
                assertThat(filtered.hasNext()).isFalse();
            }
            return null;
        });
    }

    /**
     * mapConcurrent: "An upstream failure surfaces after the results of the items read before it", and failures are
     * "never lost". When a call of an item read before the upstream failed fails itself, the call's failure surfaces
     * at its item, and the upstream's failure was dropped: not thrown, not suppressed, not reported.
     */
    @Test
    void mapConcurrentKeepsTheUpstreamFailureWhenACallBeforeItFails() throws Exception {
        for (boolean ordered : new boolean[] {true, false}) {
            var upstreamBoom = new IllegalStateException("upstream broke after 2 items");
            var callBoom = new IllegalArgumentException("call of item 1 failed");
            List<ExceptionContext> reports = new ArrayList<>();
            List<Integer> got = new ArrayList<>();
            TestLoops.runVirtual(reports, () -> {
                var source = AsyncGenerator.<Integer>of(out -> {
                    out.emit(0);
                    out.emit(1);
                    throw upstreamBoom;
                });
                CoroutineFunction<Integer, Integer> fn = i -> {
                    Aio.sleep(1 + i);
                    if (i == 1) {
                        throw callBoom;
                    }
                    return i;
                };
                var it = ordered ? source.mapConcurrent(4, fn) : source.mapConcurrentUnordered(4, fn);
                assertThatThrownBy(() -> {
                    for (int i : it) {
                        got.add(i);
                    }
                }).isSameAs(callBoom);
                return null;
            });
            assertThat(got).containsExactly(0);
            assertThat(callBoom.getSuppressed()).as("ordered=%s", ordered).containsExactly(upstreamBoom);
            assertThat(reports).isEmpty();
        }
    }

    /**
     * merge: two sources fail at the same moment. The first failure surfaces; the second one was silently dropped
     * (each pump catches its source's failure and queues it, so no task fails and nothing is reported), though the
     * design promises errors are never lost and mapConcurrent attaches such failures as suppressed.
     */
    @Test
    void mergeAttachesTheFailuresOfOtherSourcesThatAlreadyArrived() throws Exception {
        var a = new IllegalStateException("source a");
        var b = new IllegalStateException("source b");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var first = AsyncGenerator.<Integer>of(out -> {
                Aio.sleep(1);
                throw a;
            });
            var second = AsyncGenerator.<Integer>of(out -> {
                Aio.sleep(1);
                throw b;
            });
            assertThatThrownBy(() -> AsyncIterator.merge(first, second).toList()).isSameAs(a);
            return null;
        });
        assertThat(a.getSuppressed()).containsExactly(b);
        assertThat(reports).isEmpty();
    }

    /**
     * A source that sleeps between items and whose finally block fails, read by buffer() or merge().
     * {@code log} records that the finally block ran.
     */
    private static AsyncIterator<Integer> pumpedSourceFailingAsItCloses(String operator, RuntimeException cleanup,
                                                                        List<String> log) {
        var source = AsyncGenerator.<Integer>of(out -> {
            try {
                for (int i = 0; ; i++) {
                    out.emit(i);
                    Aio.sleep(10);
                }
            } finally {
                log.add("source's finally");
                throw cleanup;
            }
        });
        return operator.equals("buffer") ? source.buffer(2) : AsyncIterator.merge(source, AsyncIterator.empty());
    }

    /**
     * aclose() throws what releasing the source raised (AsyncIterator#aclose), also when the pump is waiting inside
     * the source at that moment: the pump's cancellation lands at the source's sleep, the source's finally block
     * fails, and the pump kept that failure for a consumer that had already left, so aclose() returned quietly and
     * nothing was reported. Without buffer() or merge(), the same close throws it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"buffer", "merge"})
    void acloseThrowsTheSourcesCloseFailureWhenThePumpWaitsInsideTheSource(String operator) throws Exception {
        var cleanup = new IllegalStateException("cleanup failed");
        List<String> log = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var it = pumpedSourceFailingAsItCloses(operator, cleanup, log);
            assertThat(it.next()).isZero();
            Aio.sleep(1); // the pump asks the source for its next item: the source sleeps
            assertThatThrownBy(it::aclose).isSameAs(cleanup);
            return null;
        });
        assertThat(log).containsExactly("source's finally");
        assertThat(reports).isEmpty();
    }

    /**
     * As above, when the consumer is cancelled instead of closing: it ends cancelled, and the source's close failure
     * reaches the loop's exception handler (HelperTasks' rule for a helper failing under a cancelled body). It was
     * lost.
     */
    @ParameterizedTest
    @ValueSource(strings = {"buffer", "merge"})
    void aCancelledConsumersSourceCloseFailureIsReportedWhenThePumpWaitsInsideTheSource(String operator)
            throws Exception {
        var cleanup = new IllegalStateException("cleanup failed");
        List<String> log = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var it = pumpedSourceFailingAsItCloses(operator, cleanup, log);
            Task<Void> consumer = Aio.createTask(() -> {
                for (int i : it) {
                    log.add("got " + i);
                }
                return null;
            });
            Aio.sleep(1); // the consumer took item 0 and waits for item 1, which the pump waits for in the source
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(log).containsExactly("got 0", "source's finally");
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(cleanup);
    }

    /**
     * merge: when one source fails, the others are closed; a failure of one of them while it closes is attached to
     * the failure merge throws. It was lost: its pump queued it as an arrival after the body had ended.
     */
    @Test
    void mergeAttachesTheCloseFailureOfAnotherSourceToTheFailureItThrows() throws Exception {
        var a = new IllegalStateException("source a");
        var bCleanup = new IllegalStateException("source b's cleanup");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var first = AsyncGenerator.<Integer>of(out -> {
                Aio.sleep(1);
                throw a;
            });
            var second = AsyncGenerator.<Integer>of(out -> {
                try {
                    Aio.sleep(10);
                    out.emit(2);
                } finally {
                    throw bCleanup;
                }
            });
            assertThatThrownBy(() -> AsyncIterator.merge(first, second).toList()).isSameAs(a);
            return null;
        });
        assertThat(a.getSuppressed()).containsExactly(bCleanup);
        assertThat(reports).isEmpty();
    }
}
