package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** mapConcurrent and mapConcurrentUnordered. */
class ConcurrentMapTest {

    /** Counts calls in flight and remembers the most there ever were. */
    static final class InFlight {
        int now;
        int max;
        int started;
        int finished;

        void enter() {
            started++;
            now++;
            max = Math.max(max, now);
        }

        void exit() {
            now--;
            finished++;
        }
    }

    private static AsyncIterator<Integer> numbers(int n) {
        return AsyncIterator.from(IntStream.range(0, n).boxed().toList());
    }

    @Test
    void aThousandItemsWithLimit8NeverHaveMoreThan8InFlightAndKeepInputOrder() throws Exception {
        long seed = new Random().nextLong();
        var flight = new InFlight();
        List<Integer> out = TestLoops.runVirtual(() -> {
            var random = new Random(seed);
            return numbers(1_000).mapConcurrent(8, i -> {
                flight.enter();
                try {
                    Aio.sleep(random.nextInt(1, 100) / 1000.0);
                    return i * 2;
                } finally {
                    flight.exit();
                }
            }).toList();
        });
        assertThat(out).as("seed %d", seed).isEqualTo(IntStream.range(0, 1_000).map(i -> i * 2).boxed().toList());
        assertThat(flight.max).as("seed %d", seed).isEqualTo(8);
        assertThat(flight.started).isEqualTo(1_000);
        assertThat(flight.finished).isEqualTo(1_000);
    }

    @Test
    void theCallsRunConcurrently() throws Exception {
        TestLoops.runVirtual(() -> {
            var out = numbers(100).mapConcurrent(10, i -> {
                Aio.sleep(1);
                return i;
            }).toList();
            assertThat(out).hasSize(100);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(10.0); // 100 one-second calls, 10 at a time
            return null;
        });
    }

    @Test
    void unorderedDeliversInCompletionOrderWithinTheLimit() throws Exception {
        var flight = new InFlight();
        TestLoops.runVirtual(() -> {
            List<Integer> delays = List.of(5, 1, 4, 2, 3);
            var out = AsyncIterator.from(delays).mapConcurrentUnordered(3, d -> {
                flight.enter();
                try {
                    Aio.sleep(d);
                    return d;
                } finally {
                    flight.exit();
                }
            }).toList();
            // t=1: 1 (then 2 starts, ends t=3); t=3: 2 (then 3 starts, ends t=6); t=4: 4; t=5: 5; t=6: 3
            assertThat(out).containsExactly(1, 2, 4, 5, 3);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(6.0);
            return null;
        });
        assertThat(flight.max).isEqualTo(3);
    }

    @Test
    void aFailingElementSurfacesAtThatElementAndTheCallsAfterItAreCancelled() throws Exception {
        var boom = new IllegalStateException("item 37 failed");
        var laterFailure = new IllegalArgumentException("item 39 failed too");
        var flight = new InFlight();
        List<Integer> got = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var it = numbers(100).mapConcurrent(8, i -> {
                flight.enter();
                try {
                    if (i == 37) {
                        Aio.sleep(5); // fails late: items 38.. are done before it
                        throw boom;
                    }
                    if (i == 39) {
                        throw laterFailure;
                    }
                    Aio.sleep(0.1);
                    return i;
                } finally {
                    flight.exit();
                }
            });
            assertThatThrownBy(() -> {
                for (int i : it) {
                    got.add(i);
                }
            }).isSameAs(boom);
            assertThat(flight.now).isZero(); // the calls in flight were cancelled and awaited
            assertThat(it.hasNext()).isFalse();
            return null;
        });
        assertThat(got).isEqualTo(IntStream.range(0, 37).boxed().toList());
        assertThat(boom.getSuppressed()).containsExactly(laterFailure); // not lost
        assertThat(reports).isEmpty();
    }

    @Test
    void anUpstreamFailureSurfacesAfterTheResultsOfTheItemsReadBeforeIt() throws Exception {
        var boom = new IllegalStateException("source broke after 5");
        List<Integer> got = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var source = AsyncGenerator.<Integer>of(out -> {
                for (int i = 0; i < 5; i++) {
                    out.emit(i);
                }
                throw boom;
            });
            var it = source.mapConcurrent(3, i -> {
                Aio.sleep(1);
                return i;
            });
            assertThatThrownBy(() -> {
                for (int i : it) {
                    got.add(i);
                }
            }).isSameAs(boom);
            return null;
        });
        assertThat(got).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void closingEarlyCancelsAndAwaitsTheCallsInFlightAndClosesTheSource() throws Exception {
        var flight = new InFlight();
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var it = AsyncGeneratorTest.counting(1_000, 0, log).mapConcurrent(4, i -> {
                flight.enter();
                try {
                    Aio.sleep(1 + i);
                    return i;
                } finally {
                    flight.exit();
                }
            })) {
                assertThat(it.next()).isZero();
                assertThat(it.next()).isEqualTo(1);
                assertThat(flight.now).isEqualTo(3); // calls 2, 3 and 4 (started while the consumer waited for 1)
            }
            assertThat(flight.now).isZero();
            assertThat(log).endsWith("finally");
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask()); // no helper task left
            return null;
        });
        assertThat(flight.started).isEqualTo(flight.finished);
    }

    @Test
    void cancellingTheConsumerCancelsTheCallsAndTheProducer() throws Exception {
        var flight = new InFlight();
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<List<Integer>> consumer = Aio.createTask(() ->
                    AsyncGeneratorTest.counting(1_000, 0.25, log).mapConcurrent(8, i -> {
                        flight.enter();
                        try {
                            Aio.sleep(3);
                            return i;
                        } finally {
                            flight.exit();
                        }
                    }).toList());
            Aio.sleep(10);
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            assertThat(flight.now).isZero();
            assertThat(log).endsWith("finally");
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            return null;
        });
        assertThat(flight.started).isEqualTo(flight.finished).isPositive();
    }

    /** A result is emitted as soon as its call ends, not when the upstream, slow to give the next item, gives it. */
    @Test
    void aReadyResultIsNotHeldBehindASlowUpstream() throws Exception {
        for (boolean ordered : new boolean[] {true, false}) {
            List<String> got = TestLoops.runVirtual(() -> {
                EventLoop loop = Aio.runningLoop();
                var source = AsyncGenerator.<Integer>of(out -> {
                    out.emit(0);
                    Aio.sleep(10); // the next item comes late
                    out.emit(1);
                });
                CoroutineFunction<Integer, Integer> times10 = x -> x * 10;
                var results = new ArrayList<String>();
                try (var it = ordered ? source.mapConcurrent(4, times10) : source.mapConcurrentUnordered(4, times10)) {
                    for (int r : it) {
                        results.add(r + " at " + loop.time());
                    }
                }
                return results;
            });
            assertThat(got).as(ordered ? "mapConcurrent" : "mapConcurrentUnordered")
                    .containsExactly("0 at 0.0", "10 at 10.0");
        }
    }

    /**
     * A crawler: the consumer feeds the upstream (a queue of URLs) from the results it gets, so the upstream has a next
     * item only once a result has been emitted. Limit 4, a page of each level has two links, three levels: every page
     * is fetched once and the iteration ends when the queue is shut down.
     */
    @Test
    void anUpstreamFedByTheConsumerFromTheResultsKeepsGoing() throws Exception {
        for (boolean ordered : new boolean[] {true, false}) {
            List<String> fetched = TestLoops.runVirtual(() -> {
                var urls = new Queue<String>();
                urls.putNowait("/");
                CoroutineFunction<String, String> fetch = url -> {
                    Aio.sleep(1);
                    return url;
                };
                var source = AsyncGenerator.<String>of(out -> {
                    for (String url : urls) { // ends when the queue is shut down
                        out.emit(url);
                    }
                });
                var pages = new ArrayList<String>();
                int pending = 1;
                try (var it = ordered ? source.mapConcurrent(4, fetch) : source.mapConcurrentUnordered(4, fetch)) {
                    for (String page : it) {
                        pages.add(page);
                        pending--;
                        if (page.length() < 4) { // "/", "/a", "/aa"...: two links below each
                            for (String link : new String[] {"a", "b"}) {
                                urls.putNowait(page + link);
                                pending++;
                            }
                        }
                        if (pending == 0) {
                            urls.shutdown();
                        }
                    }
                }
                return pages;
            });
            assertThat(fetched).as(ordered ? "mapConcurrent" : "mapConcurrentUnordered").hasSize(15)
                    .doesNotHaveDuplicates().contains("/", "/a", "/b", "/aa", "/bb", "/aaa", "/bba", "/bbb");
        }
    }
}
