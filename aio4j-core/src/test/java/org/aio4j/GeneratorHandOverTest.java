package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A started generator belongs to the task that drove it last and is closed when that task ends: what happens to the
 * items it had not produced yet when another task or a publisher was to take it over.
 */
class GeneratorHandOverTest {

    private static AsyncGenerator<Integer> oneToFive(List<String> events) {
        return AsyncGenerator.of(out -> {
            try {
                for (int i = 1; i <= 5; i++) {
                    out.emit(i);
                }
            } finally {
                events.add("body closed");
            }
        });
    }

    /**
     * A task named "first" takes item 1 of {@link #oneToFive}, subscribes a recorder to {@code wrap} of the generator
     * and ends at once; returns the recorder's signals once the subscription ended.
     */
    private static List<Object> subscribedByATaskThatEnds(
            Function<AsyncGenerator<Integer>, AsyncIterator<Integer>> wrap, List<String> events) throws Exception {
        var subscriber = new ToPublisherEndingTest.Recorder();
        TestLoops.runVirtual(() -> {
            var gen = oneToFive(events);
            Future<Void> ended = Aio.getRunningLoop().createFuture();
            subscriber.onComplete = () -> ended.setResult(null);
            subscriber.onError = e -> ended.setResult(null);
            Aio.createTask(() -> {
                assertThat(gen.next()).isEqualTo(1);
                wrap.apply(gen).toPublisher().subscribe(subscriber); // then ends, before the pump's first step
            }, "first").await();
            ended.await();
            return null;
        });
        return subscriber.signals;
    }

    @Test
    void aPublisherSubscribedByTheTaskThatDroveTheGeneratorGetsTheRestAfterThatTaskEnds() throws Exception {
        List<String> events = new ArrayList<>();
        assertThat(subscribedByATaskThatEnds(gen -> gen, events)).containsExactly("subscribed", 2, 3, 4, 5, "complete");
        assertThat(events).containsExactly("body closed");
    }

    @Test
    void aGeneratorWhosePumpNeverRanIsStillClosedWhenTheLoopEnds() throws Exception {
        // The main task drives the generator, subscribes and returns: Aio.run cancels the pump before its first
        // step. The pump's done callback must still close the generator it took over (its body's finally runs),
        // which a callback cannot do itself (aclose() resumes the body).
        List<String> events = new ArrayList<>();
        List<ExceptionContext> errors = new ArrayList<>();
        var subscriber = new ToPublisherEndingTest.Recorder();
        subscriber.onSubscribe = s -> { };
        TestLoops.runVirtual(errors, () -> {
            var gen = oneToFive(events);
            assertThat(gen.next()).isEqualTo(1);
            gen.toPublisher().subscribe(subscriber);
            return null;
        });
        assertThat(subscriber.signals).hasSize(2).startsWith("subscribed");
        assertThat(events).containsExactly("body closed");
        assertThat(errors).extracting(ExceptionContext::describe).isEmpty();
    }

    @Test
    void anotherTaskDrivingAGeneratorClosedByItsOwnersEndIsToldSoInsteadOfSeeingItsEnd() throws Exception {
        List<String> events = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var gen = Aio.createTask(() -> oneToFive(events), "maker").await(); // its creator has ended
            Aio.createTask(() -> gen.next(), "first").await();
            assertThat(events).as("the first task's end closed it").containsExactly("body closed");
            assertThatThrownBy(gen::hasNext).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("was closed when task 'first', the last task that drove it, ended");
            return null;
        });
    }

    /**
     * A generator whose body iterates another one ({@code async for x in inner(): yield x}), both made and driven by a
     * task that subscribes to the outer one and ends: the inner generator goes over to the pump with the outer one,
     * and is closed as the outer one's body ends. The end of the task closed the inner one half-way, and the pump's
     * next item was an IllegalStateException "closed when task 'first' ... ended".
     */
    @Test
    void aGeneratorWhoseBodyIteratesAnotherIsHandedToThePublisherWithIt() throws Exception {
        List<String> events = new ArrayList<>();
        var subscriber = new ToPublisherEndingTest.Recorder();
        TestLoops.runVirtual(() -> {
            Future<Void> ended = Aio.getRunningLoop().createFuture();
            subscriber.onComplete = () -> ended.setResult(null);
            subscriber.onError = e -> ended.setResult(null);
            Aio.createTask(() -> {
                var inner = oneToFive(events);
                var outer = AsyncGenerator.<Integer>of(out -> {
                    try {
                        for (int x : inner) {
                            out.emit(x * 10);
                        }
                    } finally {
                        events.add("outer closed");
                    }
                });
                assertThat(outer.next()).isEqualTo(10);
                outer.toPublisher().subscribe(subscriber); // then ends, before the pump's first step
            }, "first").await();
            ended.await();
            return null;
        });
        assertThat(subscriber.signals).containsExactly("subscribed", 20, 30, 40, 50, "complete");
        assertThat(events).containsExactly("body closed", "outer closed");
    }

    @Test
    void aGeneratorUnderMapAndFilterIsHandedToThePublisherToo() throws Exception {
        List<String> events = new ArrayList<>();
        assertThat(subscribedByATaskThatEnds(gen -> gen.map(i -> i * 10).filter(i -> i != 30), events))
                .containsExactly("subscribed", 20, 40, 50, "complete");
        assertThat(events).containsExactly("body closed");
    }

    @Test
    void aGeneratorUnderTakeIsHandedToThePublisherToo() throws Exception {
        List<String> events = new ArrayList<>();
        assertThat(subscribedByATaskThatEnds(gen -> gen.take(3), events))
                .containsExactly("subscribed", 2, 3, 4, "complete");
        assertThat(events).containsExactly("body closed");
    }

    @Test
    void aGeneratorUnderBufferIsHandedToThePublisherToo() throws Exception {
        List<String> events = new ArrayList<>();
        assertThat(subscribedByATaskThatEnds(gen -> gen.buffer(2), events))
                .containsExactly("subscribed", 2, 3, 4, 5, "complete");
        assertThat(events).containsExactly("body closed");
    }

    @Test
    void aGeneratorUnderMapConcurrentIsHandedToThePublisherToo() throws Exception {
        List<String> events = new ArrayList<>();
        assertThat(subscribedByATaskThatEnds(gen -> gen.mapConcurrent(2, i -> i * 10), events))
                .containsExactly("subscribed", 20, 30, 40, 50, "complete");
        assertThat(events).containsExactly("body closed");
    }

    @Test
    void aGeneratorUnderMergeUnderMapIsHandedToThePublisherToo() throws Exception {
        List<String> events = new ArrayList<>();
        assertThat(subscribedByATaskThatEnds(gen -> AsyncIterator.merge(List.of(gen)).map(i -> i + 100), events))
                .containsExactly("subscribed", 102, 103, 104, 105, "complete");
        assertThat(events).containsExactly("body closed");
    }

    @Test
    void aGeneratorClosedExplicitlyIsExhaustedAsInPython() throws Exception {
        List<String> events = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var gen = oneToFive(events);
            assertThat(gen.next()).isEqualTo(1);
            gen.aclose();
            assertThat(gen.hasNext()).isFalse();
            return null;
        });
        assertThat(events).containsExactly("body closed");
    }
}
