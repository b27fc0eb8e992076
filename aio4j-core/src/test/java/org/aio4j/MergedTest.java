package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MergedTest {

    private static AsyncGenerator<String> ticking(String name, int n, double period, List<String> log) {
        return AsyncGenerator.of(out -> {
            try {
                for (int i = 0; i < n; i++) {
                    Aio.sleep(period);
                    out.emit(name + i);
                }
            } finally {
                log.add(name + " finally");
            }
        });
    }

    @Test
    void itemsOfAllSourcesArriveInTimeOrder() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var merged = AsyncIterator.merge(ticking("a", 3, 1.0, log), ticking("b", 2, 1.4, log));
            assertThat(merged.toList()).containsExactly("a0", "b0", "a1", "b1", "a2");
            assertThat(Aio.getRunningLoop().time()).isEqualTo(3.0);
            return null;
        });
        assertThat(log).containsExactlyInAnyOrder("a finally", "b finally");
    }

    @Test
    void eachSourceIsAtMostOneItemAheadOfTheConsumer() throws Exception {
        int[] produced = {0, 0};
        TestLoops.runVirtual(() -> {
            List<AsyncIterator<Integer>> sources = new ArrayList<>();
            for (int s = 0; s < 2; s++) {
                int source = s;
                sources.add(AsyncGenerator.of(out -> {
                    for (int i = 0; i < 100; i++) {
                        produced[source]++;
                        out.emit(i);
                    }
                }));
            }
            try (var merged = AsyncIterator.merge(sources)) {
                merged.next();
                Aio.sleep(10);
                // one item taken, and each source holds one more at most
                assertThat(produced[0] + produced[1]).isLessThanOrEqualTo(3);
            }
            return null;
        });
    }

    @Test
    void aFailingSourceSurfacesAfterTheItemsBeforeItAndClosesTheOthers() throws Exception {
        var boom = new IllegalStateException("b broke");
        List<String> log = new ArrayList<>();
        List<String> got = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var failing = AsyncGenerator.<String>of(out -> {
                Aio.sleep(2.5);
                throw boom;
            });
            var merged = AsyncIterator.merge(ticking("a", 100, 1.0, log), failing);
            assertThatThrownBy(() -> {
                for (String s : merged) {
                    got.add(s);
                }
            }).isSameAs(boom);
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            return null;
        });
        assertThat(got).containsExactly("a0", "a1");
        assertThat(log).containsExactly("a finally");
    }

    @Test
    void closingTheMergeClosesEverySource() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var merged = AsyncIterator.merge(ticking("a", 100, 1.0, log), ticking("b", 100, 1.0, log))) {
                merged.next();
            }
            assertThat(log).containsExactlyInAnyOrder("a finally", "b finally");
            assertThat(AsyncIterator.merge().toList()).isEmpty();
            return null;
        });
    }
}
