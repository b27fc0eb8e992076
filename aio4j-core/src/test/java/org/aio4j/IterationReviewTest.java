package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

/** Contract points of the iterator operators found by a review. */
class IterationReviewTest {

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
}
