package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class BufferedTest {

    /** A generator of 0..n-1, one item per {@code pause} seconds, counting what it produced into {@code produced}. */
    private static AsyncGenerator<Integer> producing(int n, double pause, int[] produced, List<String> log) {
        return AsyncGenerator.of(out -> {
            try {
                for (int i = 0; i < n; i++) {
                    Aio.sleep(pause);
                    produced[0]++;
                    out.emit(i);
                }
            } finally {
                log.add("producer finally");
            }
        });
    }

    @Test
    void theProducerRunsAheadConcurrentlyButNeverMoreThanNItems() throws Exception {
        int[] produced = {0};
        int[] maxAhead = {0};
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            int consumed = 0;
            try (var it = producing(20, 1, produced, log).buffer(3)) {
                for (int i : it) {
                    assertThat(i).isEqualTo(consumed);
                    consumed++;
                    maxAhead[0] = Math.max(maxAhead[0], produced[0] - consumed);
                    Aio.sleep(1); // the consumer is as slow as the producer: with the buffer they overlap
                    maxAhead[0] = Math.max(maxAhead[0], produced[0] - consumed);
                }
            }
            assertThat(consumed).isEqualTo(20);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(21.0); // not 40: producing and consuming overlap
            return null;
        });
        assertThat(maxAhead[0]).isBetween(1, 3);
        assertThat(log).containsExactly("producer finally");
    }

    @Test
    void aFastProducerFillsTheBufferAndWaits() throws Exception {
        int[] produced = {0};
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var it = producing(1_000, 0, produced, log).buffer(5)) {
                assertThat(it.next()).isZero();
                Aio.sleep(100);
                // One item taken, five waiting in the buffer: the producer was asked for six.
                assertThat(produced[0]).isEqualTo(6);
            }
            assertThat(log).containsExactly("producer finally");
            return null;
        });
    }

    @Test
    void anUpstreamFailureSurfacesAfterTheBufferedItems() throws Exception {
        var boom = new IllegalStateException("boom after 3");
        List<Integer> got = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var source = AsyncGenerator.<Integer>of(out -> {
                out.emit(0);
                out.emit(1);
                out.emit(2);
                throw boom;
            });
            var it = source.buffer(10);
            assertThatThrownBy(() -> {
                for (int i : it) {
                    got.add(i);
                }
            }).isSameAs(boom);
            return null;
        });
        assertThat(got).containsExactly(0, 1, 2);
    }

    @Test
    void cancellingTheConsumerCancelsThePumpAndClosesTheProducer() throws Exception {
        int[] produced = {0};
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<List<Integer>> consumer = Aio.createTask(() -> producing(1_000, 1, produced, log).buffer(4).toList());
            Aio.sleep(7.5);
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            assertThat(log).containsExactly("producer finally");
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            return null;
        });
        assertThat(produced[0]).isEqualTo(7);
    }

    @Test
    void closingABufferThatNeverStartedClosesItsSource() throws Exception {
        List<String> closed = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var source = AsyncIterator.from(java.util.stream.Stream.of(1, 2).onClose(() -> closed.add("source")));
            source.buffer(2).close();
            return null;
        });
        assertThat(closed).containsExactly("source");
    }

    /**
     * Items may be null (AsyncIterator: "items may be null, except where a bridge forbids it"): a null item is
     * delivered in its place, as without the buffer. The buffer's deque, an ArrayDeque, threw a bare
     * NullPointerException in the pump, which the consumer got instead of the null and the items after it.
     */
    @Test
    void aNullItemIsDeliveredInItsPlace() throws Exception {
        List<String> items = TestLoops.runVirtual(() ->
                AsyncIterator.from(java.util.Arrays.asList("a", null, "b", null)).buffer(2).toList());
        assertThat(items).containsExactly("a", null, "b", null);
    }
}
