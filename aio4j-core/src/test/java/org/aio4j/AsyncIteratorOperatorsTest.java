package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** map, filter, take, chunked, and the Iterable/Stream bridges. */
class AsyncIteratorOperatorsTest {

    private static AsyncGenerator<Integer> range(int n, List<String> log) {
        return AsyncGeneratorTest.counting(n, 0, log);
    }

    @Test
    void mapAppliesASuspendingFunctionLazilyInOrder() throws Exception {
        TestLoops.runVirtual(() -> {
            var out = range(4, new ArrayList<>()).map(i -> {
                Aio.sleep(1);
                return "#" + i;
            }).toList();
            assertThat(out).containsExactly("#0", "#1", "#2", "#3");
            assertThat(Aio.getRunningLoop().time()).isEqualTo(4.0);
            return null;
        });
    }

    @Test
    void aFailingMapSurfacesAtItsElementAndACheckedOneIsWrapped() throws Exception {
        var io = new IOException("bad 2");
        List<String> got = new ArrayList<>();
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var it = range(10, log).map(i -> {
                if (i == 2) {
                    throw io;
                }
                return "ok " + i;
            })) {
                assertThatThrownBy(() -> {
                    for (String s : it) {
                        got.add(s);
                    }
                }).isInstanceOf(CompletionException.class).hasCause(io);
            }
            return null;
        });
        assertThat(got).containsExactly("ok 0", "ok 1");
        assertThat(log).endsWith("emit 2", "finally"); // closing the map closed the generator
    }

    @Test
    void filterKeepsMatchingItemsAndClosesTheUpstream() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var evens = range(10, log).filter(i -> i % 2 == 0)) {
                assertThat(evens.next()).isZero();
                assertThat(evens.next()).isEqualTo(2);
                assertThat(evens.hasNext()).isTrue();
                assertThat(evens.hasNext()).isTrue(); // does not skip
                assertThat(evens.next()).isEqualTo(4);
            }
            return null;
        });
        assertThat(log).endsWith("emit 4", "finally");
    }

    @Test
    void takeStopsAndClosesTheUpstreamAfterNItems() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var first3 = range(1_000_000, log).take(3);
            List<Integer> got = new ArrayList<>();
            for (int i : first3) {
                got.add(i);
            }
            assertThat(got).containsExactly(0, 1, 2);
            assertThat(log).endsWith("emit 2", "finally"); // closed by the loop's last hasNext()
            assertThatThrownBy(first3::next).isInstanceOf(NoSuchElementException.class);
            assertThat(range(5, log).take(0).toList()).isEmpty();
            return null;
        });
    }

    @Test
    void chunkedGroupsItemsAndTheLastChunkIsShorter() throws Exception {
        TestLoops.runVirtual(() -> {
            assertThat(range(7, new ArrayList<>()).chunked(3).toList())
                    .containsExactly(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6));
            assertThat(range(6, new ArrayList<>()).chunked(3).toList())
                    .containsExactly(List.of(0, 1, 2), List.of(3, 4, 5));
            assertThat(range(0, new ArrayList<>()).chunked(3).toList()).isEmpty();
            return null;
        });
    }

    @Test
    void chunkedDeliversThePartialChunkBeforeAFailureSoNoItemIsLost() throws Exception {
        var boom = new IllegalStateException("boom after 4");
        List<List<Integer>> got = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                for (int i = 0; i < 4; i++) {
                    out.emit(i);
                }
                throw boom;
            });
            var chunks = gen.chunked(3);
            assertThatThrownBy(() -> {
                for (List<Integer> c : chunks) {
                    got.add(c);
                }
            }).isSameAs(boom);
            assertThat(chunks.hasNext()).isFalse();
            return null;
        });
        assertThat(got).containsExactly(List.of(0, 1, 2), List.of(3));
    }

    @Test
    void fromIterableAndStreamAndBackToAStream() throws Exception {
        List<String> closed = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            assertThat(AsyncIterator.from(List.of("a", "b")).toList()).containsExactly("a", "b");

            Stream<Integer> source = IntStream.range(0, 5).boxed().onClose(() -> closed.add("source stream"));
            try (var it = AsyncIterator.from(source)) {
                assertThat(it.next()).isZero();
            }
            assertThat(closed).containsExactly("source stream");

            List<String> log = new ArrayList<>();
            try (Stream<Integer> s = range(100, log).stream()) {
                assertThat(s.map(i -> i * 10).limit(3).toList()).containsExactly(0, 10, 20);
            }
            assertThat(log).endsWith("finally"); // closing the stream closed the generator

            assertThat(AsyncIterator.<String>empty().hasNext()).isFalse();
            return null;
        });
    }

    /**
     * The contract's "after a failure the iterator is exhausted", as for a generator whose body threw: a stream's
     * pipeline or an iterator that throws at one element ends the iteration there (it went on with the elements after
     * it, and so did take and chunked over it), and closing it still closes the stream.
     */
    @Test
    void fromEndsAtTheFirstFailureOfItsIteratorAndStillClosesTheStream() throws Exception {
        List<String> closed = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Stream<Integer> failingAtTwo = Stream.of(1, 2, 3).map(i -> {
                if (i == 2) {
                    throw new IllegalStateException("bad " + i);
                }
                return i;
            });
            var it = AsyncIterator.from(failingAtTwo.onClose(() -> closed.add("stream")));
            assertThat(it.next()).isEqualTo(1);
            assertThatThrownBy(it::hasNext).isInstanceOf(IllegalStateException.class).hasMessage("bad 2");
            assertThat(it.hasNext()).isFalse();
            assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
            it.aclose();
            assertThat(closed).containsExactly("stream");

            Iterator<Integer> firstFails = new Iterator<>() {
                private int i;

                @Override
                public boolean hasNext() {
                    return i < 3;
                }

                @Override
                public Integer next() {
                    if (i++ == 0) {
                        throw new IllegalArgumentException("first");
                    }
                    return i;
                }
            };
            var taken = AsyncIterator.from(() -> firstFails).take(3);
            assertThatThrownBy(taken::next).isInstanceOf(IllegalArgumentException.class).hasMessage("first");
            assertThat(taken.hasNext()).isFalse();
            return null;
        });
    }

    @Test
    void anIteratorIsIterableOnceLikeAPythonAsyncIterator() throws Exception {
        TestLoops.runVirtual(() -> {
            var it = AsyncIterator.from(List.of(1, 2, 3, 4));
            List<Integer> first = new ArrayList<>();
            for (int i : it) {
                first.add(i);
                if (i == 2) {
                    break;
                }
            }
            List<Integer> rest = new ArrayList<>();
            for (int i : it) {
                rest.add(i);
            }
            assertThat(first).containsExactly(1, 2);
            assertThat(rest).containsExactly(3, 4);
            return null;
        });
    }

    @Test
    void operatorsCompose() throws Exception {
        TestLoops.runVirtual(() -> {
            var out = AsyncIterator.from(IntStream.range(0, 100).boxed())
                    .filter(i -> i % 3 == 0)
                    .map(i -> i * 2)
                    .buffer(4)
                    .mapConcurrent(5, i -> {
                        Aio.sleep(1);
                        return i + 1;
                    })
                    .take(7)
                    .chunked(2)
                    .toList();
            assertThat(out).containsExactly(List.of(1, 7), List.of(13, 19), List.of(25, 31), List.of(37));
            return null;
        });
    }

    @Test
    void mapConcurrentWaitsForItsCallsToCleanUpWhenItsTaskIsCancelledAndThenAbortedByItsGroup() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> owner = Aio.createTask(() -> {
                try (var group = new TaskGroup()) {
                    group.createTask(() -> {
                        Aio.sleep(2);
                        throw new IllegalStateException("boom");
                    });
                    var results = AsyncIterator.from(List.of(1, 2)).mapConcurrent(2, i -> {
                        try {
                            Aio.sleep(10);
                            return i;
                        } catch (CancellationException e) {
                            // a slow clean-up, deaf to further cancellations: it runs until t=4, past the abort
                            while (Aio.getRunningLoop().time() < 4) {
                                try {
                                    Aio.sleep(4 - Aio.getRunningLoop().time());
                                } catch (CancellationException again) {
                                    log.add("call " + i + " cancelled again");
                                }
                            }
                            log.add("cleaned " + i + " at " + Math.round(Aio.getRunningLoop().time()));
                            throw e;
                        }
                    });
                    try {
                        results.toList(); // cancelled at t=1: the operator cancels its calls and waits for them
                    } finally {
                        log.add("left at " + Math.round(Aio.getRunningLoop().time()));
                    }
                }
            });
            Aio.sleep(1);
            owner.cancel();
            assertThatThrownBy(owner::await).isInstanceOf(TaskGroupException.class); // its errors win, as in asyncio
            return null;
        });
        // the body leaves the iteration only after both calls have cleaned up, whatever interrupts it meanwhile
        assertThat(log).containsSubsequence("cleaned 1 at 4", "left at 4")
                .containsSubsequence("cleaned 2 at 4", "left at 4");
    }

    @Test
    void badArgumentsAreRefusedAtTheCallSite() throws Exception {
        TestLoops.runVirtual(() -> {
            var it = AsyncIterator.from(List.of(1));
            assertThatThrownBy(() -> it.take(-1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("take() count must be >= 0, got -1");
            assertThatThrownBy(() -> it.chunked(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("chunked() size must be >= 1, got 0");
            assertThatThrownBy(() -> it.buffer(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("buffer() size must be >= 1, got 0");
            assertThatThrownBy(() -> it.mapConcurrent(0, x -> x)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("mapConcurrent() limit must be >= 1, got 0");
            assertThatThrownBy(() -> it.mapConcurrentUnordered(-3, x -> x))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("mapConcurrentUnordered() limit must be >= 1, got -3");
            assertThatThrownBy(() -> it.mapConcurrent(2, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("mapConcurrent() function must not be null");
            assertThatThrownBy(() -> it.map(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("map() function must not be null");
            assertThatThrownBy(() -> it.filter(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("filter() predicate must not be null");
            assertThatThrownBy(() -> AsyncIterator.from((Iterable<Integer>) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("items must not be null");
            assertThatThrownBy(() -> AsyncIterator.from((Stream<Integer>) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("stream must not be null");
            assertThatThrownBy(() -> AsyncIterator.merge(it, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("merge() source 1 is null");
            var twice = AsyncIterator.from(List.of(1, 2));
            assertThatThrownBy(() -> AsyncIterator.merge(it, twice, twice)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("merge() source 2 is source 1 again: each source is pulled by a task of its own, so an"
                            + " iterator can be merged once");
            assertThatThrownBy(() -> AsyncIterator.fromPublisher(null, 1)).isInstanceOf(NullPointerException.class)
                    .hasMessage("publisher must not be null");
            assertThatThrownBy(() -> AsyncIterator.fromPublisher(s -> { }, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("fromPublisher() prefetch must be >= 1, got 0");
            return null;
        });
    }
}
