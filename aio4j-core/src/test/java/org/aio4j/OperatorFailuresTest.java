package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

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
}
