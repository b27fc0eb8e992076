package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Edge cases of async generators, operators and the Flow bridges, checked against PEP 525, asyncio and the Reactive
 * Streams rules (several found by a review: each failed before its fix).
 */
class IteratorEdgeCasesTest {

    /** A subscriber that logs its signals and runs the test's reactions to onSubscribe and onNext. */
    private static final class Scripted implements Flow.Subscriber<Integer> {
        final List<String> signals = Collections.synchronizedList(new ArrayList<>());
        private final Consumer<Flow.Subscription> onSubscribe;
        private final BiConsumer<Flow.Subscription, Integer> onNext;
        volatile Flow.Subscription subscription;

        Scripted(Consumer<Flow.Subscription> onSubscribe, BiConsumer<Flow.Subscription, Integer> onNext) {
            this.onSubscribe = onSubscribe;
            this.onNext = onNext;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            signals.add("subscribe");
            onSubscribe.accept(s);
        }

        @Override
        public void onNext(Integer item) {
            signals.add("next " + item);
            onNext.accept(subscription, item);
        }

        @Override
        public void onError(Throwable t) {
            signals.add("error " + t.getClass().getSimpleName());
        }

        @Override
        public void onComplete() {
            signals.add("complete");
        }
    }


    /** PEP 525: a generator that yields after GeneratorExit makes aclose() raise RuntimeError. */
    @Test
    void acloseReportsABodyThatIgnoredGeneratorExitEvenIfTheBodyCaughtTheError() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Throwable thrown = TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                for (int i = 0; i < 3; i++) {
                    try {
                        out.emit(i);
                    } catch (RuntimeException e) { // e.g. "log and continue" around a yield
                        log.add("caught " + e.getClass().getSimpleName());
                    }
                }
            });
            assertThat(gen.next()).isEqualTo(0);
            try {
                gen.aclose();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        assertThat(log).contains("caught GeneratorExit", "caught IllegalStateException");
        assertThat(thrown).as("aclose() must report 'ignored GeneratorExit'").isInstanceOf(IllegalStateException.class);
    }

    /** chunked() holds a source failure back until the partial chunk is out, but not the consumer's cancellation. */
    @Test
    void chunkedLetsTheConsumersCancellationOutAtOnce() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                out.emit(1);
                Aio.sleep(10);
                out.emit(2);
            });
            Task<String> consumer = Aio.createTask(() -> {
                try (var chunks = gen.chunked(3)) {
                    if (chunks.hasNext()) {
                        log.add("chunk " + chunks.next());
                    }
                }
                Aio.sleep(100); // a cancelled task would not get here
                log.add("after");
                return "done";
            });
            Aio.sleep(1);
            consumer.cancel();
            try {
                log.add("result " + consumer.await());
            } catch (CancellationException e) {
                log.add("cancelled");
            }
            return null;
        });
        assertThat(log).containsExactly("cancelled");
    }

    /**
     * A cancellation that is the source's own failure (it awaited a future something else cancelled) is not the
     * consumer's interruption: chunked() holds it back like any failure, and the partial chunk comes first.
     */
    @Test
    void chunkedHoldsASourcesOwnCancellationUntilThePartialChunkIsOut() throws Exception {
        List<Object> got = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Future<Void> cancelledElsewhere = Aio.getRunningLoop().createFuture();
            var gen = AsyncGenerator.<Integer>of(out -> {
                out.emit(0);
                out.emit(1);
                Aio.getRunningLoop().callSoon(() -> cancelledElsewhere.cancel("not the consumer's"));
                cancelledElsewhere.await();
            });
            try (var chunks = gen.chunked(3)) {
                for (List<Integer> c : chunks) {
                    got.add(c);
                }
            } catch (CancellationException e) {
                got.add(e.getMessage());
            }
            assertThat(Aio.currentTask().cancelling()).isZero();
            return null;
        });
        assertThat(got).containsExactly(List.of(0, 1), "not the consumer's");
    }

    /** Rule 3.6: after cancel(), request(n<=0) must be a no-op (no onError after cancellation). */
    @Test
    void toPublisherIgnoresARequestAfterCancel() throws Exception {
        var subscriber = new Scripted(s -> s.request(1), (s, item) -> {
            s.cancel();
            s.request(0);
        });
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                for (int i = 0; ; i++) {
                    Aio.sleep(1);
                    out.emit(i);
                }
            });
            gen.toPublisher().subscribe(subscriber);
            Aio.sleep(10);
            return null;
        });
        assertThat(subscriber.signals).containsExactly("subscribe", "next 0");
    }

    /**
     * A source that fails as the pump closes it after the subscription ended: the failure goes to the loop's exception
     * handler, and the subscriber gets no signal after its cancel (rule 1.8). After cancel() it was sent to the
     * subscriber that had cancelled; after request(0) had ended the subscription with onError, it was dropped.
     */
    @ParameterizedTest
    @ValueSource(strings = {"cancel", "request(0)"})
    void toPublisherReportsASourceThatFailsAsTheEndedSubscriptionClosesIt(String ending) throws Exception {
        var cleanup = new IllegalStateException("cleanup failed");
        var subscriber = new Scripted(s -> s.request(2), (s, item) -> { });
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                try {
                    out.emit(0);
                    Aio.sleep(10);
                    out.emit(1);
                } finally {
                    throw cleanup;
                }
            });
            gen.toPublisher().subscribe(subscriber);
            Aio.sleep(1); // the subscriber has item 0; the pump waits inside the source for item 1
            if (ending.equals("cancel")) {
                subscriber.subscription.cancel();
            } else {
                subscriber.subscription.request(0);
            }
            Aio.sleep(1);
            return null;
        });
        List<String> expected = ending.equals("cancel") ? List.of("subscribe", "next 0")
                : List.of("subscribe", "next 0", "error IllegalArgumentException");
        assertThat(subscriber.signals).containsExactlyElementsOf(expected);
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(cleanup);
    }

    /** Cancelling the subscription closes the iterator (documented), also when done from onSubscribe. */
    @Test
    void toPublisherCancelledInOnSubscribeClosesItsSource() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        var subscriber = new Scripted(Flow.Subscription::cancel, (s, item) -> { });
        TestLoops.runVirtual(() -> {
            AsyncIterator<Integer> source = AsyncIterator.from(Stream.of(1, 2, 3).onClose(() -> closed.set(true)));
            source.toPublisher().subscribe(subscriber);
            Aio.sleep(10);
            return null;
        });
        assertThat(closed).as("source closed after cancel").isTrue();
        assertThat(subscriber.signals).containsExactly("subscribe");
    }

    /** Rule 3.9 + close: request(0) in onSubscribe signals onError, and the source is closed. */
    @Test
    void toPublisherRequestZeroInOnSubscribeSignalsAnErrorAndClosesItsSource() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        var subscriber = new Scripted(s -> s.request(0), (s, item) -> { });
        TestLoops.runVirtual(() -> {
            AsyncIterator<Integer> source = AsyncIterator.from(Stream.of(1, 2, 3).onClose(() -> closed.set(true)));
            source.toPublisher().subscribe(subscriber);
            Aio.sleep(10);
            return null;
        });
        assertThat(subscriber.signals).containsExactly("subscribe", "error IllegalArgumentException");
        assertThat(closed).as("source closed after the subscription ended").isTrue();
    }

    /** Rules 1.8/3.12: cancel() from onNext stops the signals, also with unbounded demand. */
    @Test
    void toPublisherStopsOnACancelFromOnNextEvenWithUnboundedDemandAndASourceThatNeverSuspends() throws Exception {
        var subscriber = new Scripted(s -> s.request(Long.MAX_VALUE), (s, item) -> {
            if (item == 2) {
                s.cancel();
            }
        });
        TestLoops.runVirtual(() -> {
            AsyncIterator<Integer> source = AsyncIterator.from(Stream.iterate(0, i -> i + 1).limit(100_000));
            source.toPublisher().subscribe(subscriber);
            Aio.sleep(10);
            return null;
        });
        assertThat(subscriber.signals).containsExactly("subscribe", "next 0", "next 1", "next 2");
    }

    /** Python: aclose() on a running async generator raises RuntimeError and has no other effect. */
    @Test
    void acloseOfARunningOperatorFromAnotherTaskIsRefusedWithoutSideEffects() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            var mapped = AsyncIterator.from(List.of(1, 2, 3, 4, 5, 6)).mapConcurrent(2, x -> {
                Aio.sleep(1);
                return x;
            });
            Task<List<Integer>> a = Aio.createTask(() -> mapped.toList());
            Aio.sleep(0.5);
            try {
                mapped.aclose();
                log.add("closed");
            } catch (IllegalStateException e) {
                log.add("refused");
            }
            log.add("a got " + a.await());
            return null;
        });
        assertThat(log).containsExactly("refused", "a got [1, 2, 3, 4, 5, 6]");
    }

    /**
     * Python: an aclose() that cannot run raises and changes nothing; here, from a thread outside the loop. A started
     * generator was left half-closed (its next hasNext() threw GeneratorExit into the body: the stream ended early,
     * silently), and buffer(), merge() and mapConcurrent() went on to close their source from that thread, under the
     * loop (their consumer then saw an early end).
     */
    @ParameterizedTest
    @ValueSource(strings = {"generator", "buffer", "merge", "mapConcurrent"})
    void acloseFromAThreadOutsideTheLoopIsRefusedWithoutSideEffects(String operator) throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            var items = AsyncIterator.from(Stream.of(1, 2, 3, 4).onClose(() -> log.add("source closed")));
            AsyncIterator<Integer> it = switch (operator) {
                case "generator" -> AsyncGenerator.of(out -> {
                    try (items) {
                        for (int i : items) {
                            out.emit(i);
                        }
                    }
                });
                case "buffer" -> items.buffer(1);
                case "merge" -> AsyncIterator.merge(items);
                default -> items.mapConcurrent(1, x -> x);
            };
            assertThat(it.next()).isEqualTo(1);
            acloseFromAThreadIsRefused(it);
            log.add("refused");
            log.add("rest " + it.toList());
            return null;
        });
        assertThat(log).containsExactly("refused", "source closed", "rest [2, 3, 4]"); // toList() closes it
    }

    /**
     * The same close, of an operator that never started over a generator that did: refused, it changes nothing. The
     * operator's generator was marked closed before its source refused, so the consumer then saw an empty stream (and
     * the source's rest was lost until the end of its task closed it).
     */
    @ParameterizedTest
    @ValueSource(strings = {"buffer", "merge", "mapConcurrent"})
    void aRefusedAcloseOfAnOperatorThatNeverStartedChangesNothing(String operator) throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            var source = oneToFour(() -> log.add("source closed"));
            assertThat(source.next()).isEqualTo(1);
            AsyncIterator<Integer> it = switch (operator) {
                case "buffer" -> source.buffer(1);
                case "merge" -> AsyncIterator.merge(source);
                default -> source.mapConcurrent(1, x -> x);
            };
            acloseFromAThreadIsRefused(it);
            log.add("refused");
            log.add("rest " + it.toList());
            return null;
        });
        assertThat(log).containsExactly("refused", "source closed", "rest [2, 3, 4]");
    }

    /**
     * merge() that never started, closed while one of its sources runs in another task: the close is refused as that
     * source refuses it, and closes none of the other sources either. The sources before it were closed, and the
     * merge marked closed: its consumer got nothing of the others.
     */
    @Test
    void aRefusedAcloseOfAMergeThatNeverStartedClosesNoneOfItsSources() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            var idle = AsyncIterator.from(Stream.of(1, 2).onClose(() -> log.add("idle source closed")));
            var running = AsyncGenerator.<Integer>of(out -> {
                Aio.sleep(1);
                out.emit(3);
            });
            var merged = AsyncIterator.merge(idle, running);
            Task<List<Integer>> driver = Aio.createTask(() -> {
                running.hasNext();
                return merged.toList();
            }, "driver");
            Aio.sleep(0.5); // the driver waits inside the running source's body
            assertThatThrownBy(merged::aclose).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already running");
            log.add("refused");
            log.add("rest " + driver.await().stream().sorted().toList());
            return null;
        });
        assertThat(log).containsExactly("refused", "idle source closed", "rest [1, 2, 3]");
    }

    /**
     * A source that releases its resource in aclose(), which suspends (AsyncIterator: "A direct implementation ...
     * releases its resources in aclose()"; here a stream whose close handler awaits), read to its end through buffer() or merge(): the pump that read it closes
     * it, and the consumer, which meanwhile took the last item and saw the end, ends the operator, whose end cancels
     * the pump. That cancellation cut the source's close short at its await, and the operator's own close of the
     * source found it marked closed: the resource was never released.
     */
    @ParameterizedTest
    @ValueSource(strings = {"buffer", "merge"})
    void aSourceReadToItsEndIsReleasedEvenIfItsCloseSuspends(String operator) throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var source = AsyncIterator.from(Stream.of(1, 2).onClose(() -> {
                Aio.sleep(1); // the close suspends: say, a network round trip
                log.add("released");
            }));
            AsyncIterator<Integer> it = operator.equals("buffer") ? source.buffer(2) : AsyncIterator.merge(source);
            log.add("got " + it.toList());
            return null;
        });
        assertThat(log).containsExactly("released", "got [1, 2]");
    }

    /**
     * Python: a refused aclose() changes nothing. filter() and chunked() dropped the item they held (the item
     * hasNext() looked ahead at, the chunk it filled) before their upstream refused the close: the consumer went on
     * without it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"filter", "chunked"})
    void aRefusedAcloseKeepsTheItemAnOperatorHolds(String operator) throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            AsyncIterator<?> it = evenOrPairsOfOneToFour(operator, () -> log.add("source closed"));
            assertThat(it.hasNext()).isTrue(); // holds 2, or [1, 2]
            acloseFromAThreadIsRefused(it);
            log.add("refused");
            log.add("rest " + it.toList());
            return null;
        });
        assertThat(log).containsExactly("refused", "source closed",
                operator.equals("filter") ? "rest [2, 4]" : "rest [[1, 2], [3, 4]]");
    }

    /**
     * A close that is not refused but fails (the source's finally block throws) is still a close: filter() and
     * chunked() drop what they hold, and hasNext() is false after it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"filter", "chunked"})
    void aFailedAcloseStillDropsTheItemAnOperatorHolds(String operator) throws Exception {
        var cleanup = new IllegalStateException("cleanup failed");
        TestLoops.runVirtual(() -> {
            AsyncIterator<?> it = evenOrPairsOfOneToFour(operator, () -> {
                throw cleanup;
            });
            assertThat(it.hasNext()).isTrue();
            assertThatThrownBy(it::aclose).isSameAs(cleanup);
            assertThat(it.hasNext()).isFalse();
            it.aclose();
            return null;
        });
    }

    /** An aclose() of {@code it} from an offloaded call, not a task of its loop: refused. */
    private static void acloseFromAThreadIsRefused(AsyncIterator<?> it) {
        assertThatThrownBy(() -> Aio.toThread(() -> {
            it.aclose();
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("no running event loop");
    }

    /** filter() of the even numbers, or chunked(2), over a generator of 1..4 whose finally block runs {@code atEnd}. */
    private static AsyncIterator<?> evenOrPairsOfOneToFour(String operator, Runnable atEnd) {
        var source = oneToFour(atEnd);
        return operator.equals("filter") ? source.filter(i -> i % 2 == 0) : source.chunked(2);
    }

    /** A generator of 1..4 whose finally block runs {@code atEnd}. */
    private static AsyncGenerator<Integer> oneToFour(Runnable atEnd) {
        return AsyncGenerator.of(out -> {
            try {
                for (int i = 1; i <= 4; i++) {
                    out.emit(i);
                }
            } finally {
                atEnd.run();
            }
        });
    }

    /**
     * take(): an aclose() refused because another task runs the source left take() ended: that task's next hasNext()
     * returned false after the item it was fetching, though the source was open and the limit not reached.
     */
    @Test
    void aRefusedAcloseOfTakeDoesNotEndIt() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var source = AsyncGenerator.<Integer>of(out -> {
                for (int i = 1; ; i++) {
                    Aio.sleep(1);
                    out.emit(i);
                }
            });
            var firstThree = source.take(3);
            Task<List<Integer>> a = Aio.createTask(firstThree::toList);
            Aio.sleep(0.5); // a waits inside the source
            assertThatThrownBy(firstThree::aclose).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already running");
            log.add("a got " + a.await());
            return null;
        });
        assertThat(log).containsExactly("a got [1, 2, 3]");
    }

    /** aclose() throws what releasing the source raised (AsyncIterator#aclose), through buffer() as through map(). */
    @ParameterizedTest
    @ValueSource(strings = {"buffer", "merge"})
    void acloseThrowsWhatClosingTheSourceRaised(String operator) throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(errors, () -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                try {
                    for (int i = 0; ; i++) {
                        out.emit(i);
                    }
                } finally {
                    throw new IllegalStateException("cleanup failed");
                }
            });
            AsyncIterator<Integer> it = operator.equals("buffer") ? gen.buffer(2)
                    : AsyncIterator.merge(gen, AsyncIterator.from(List.of(100, 101)));
            log.add("got " + it.next());
            try {
                it.aclose();
                log.add("closed quietly");
            } catch (IllegalStateException e) {
                log.add("close threw " + e.getMessage());
            }
            return null;
        });
        log.add("handler " + errors.size());
        assertThat(log).containsExactly("got 0", "close threw cleanup failed", "handler 0");
    }

    /** A consumer cancelled while the body sleeps: the body's finally can still await; the consumer ends cancelled. */
    @Test
    void aConsumerCancelledWhileTheBodySleepsRunsTheBodysFinallyAndEndsCancelled() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                try {
                    out.emit(0);
                    Aio.sleep(10);
                    out.emit(1);
                } finally {
                    Aio.sleep(1);
                    log.add("finally");
                }
            });
            Task<Void> c = Aio.createTask(() -> {
                for (int x : gen) {
                    log.add("got " + x);
                }
            });
            Aio.sleep(1);
            c.cancel();
            try {
                c.await();
            } catch (CancellationException e) {
                log.add("cancelled");
            }
            return null;
        });
        assertThat(log).containsExactly("got 0", "finally", "cancelled");
    }

    /** Rule 1.7: no signal after onError; here request(0) races with a pump that is ready to resume. */
    @Test
    void toPublisherSendsNoOnNextAfterOnErrorWhenRequestZeroRacesAReadyPump() throws Exception {
        var subscriber = new Scripted(s -> s.request(1), (s, item) -> { });
        TestLoops.runVirtual(() -> {
            Future<Integer> f = Aio.getRunningLoop().createFuture();
            var gen = AsyncGenerator.<Integer>of(out -> out.emit(f.await()));
            gen.toPublisher().subscribe(subscriber);
            Aio.sleep(1); // the pump waits on f inside the generator
            f.setResult(42);                    // the pump is about to resume with an item...
            subscriber.subscription.request(0); // ...when the subscriber breaks rule 3.9: onError, and nothing after
            Aio.sleep(1);
            return null;
        });
        // the item was requested, so it may come before the error; nothing may come after it (rule 1.7)
        assertThat(subscriber.signals).startsWith("subscribe").endsWith("error IllegalArgumentException")
                .doesNotHaveDuplicates().doesNotContain("complete");
    }

    /** Rules 1.1/1.9 broken (onNext before onSubscribe): the iterator fails, and the subscription is cancelled. */
    @Test
    void fromPublisherFailsOnAnItemBeforeOnSubscribeAndCancelsTheLateSubscription() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Flow.Publisher<Integer> broken = s -> {
            s.onNext(1); // before onSubscribe: nothing was requested
            s.onSubscribe(new Flow.Subscription() {
                public void request(long n) {
                    log.add("request " + n);
                }

                public void cancel() {
                    log.add("cancel");
                }
            });
        };
        logFirstHasNext(broken, IllegalStateException.class, log);
        assertThat(log).containsExactly("cancel", "failed Publisher sent an item before onSubscribe (Reactive Streams"
                + " rules 1.9 and 1.1); its subscription is cancelled when it comes");
    }

    /**
     * Logs the outcome of a first {@code hasNext()} of {@code fromPublisher(broken, 4)} under a 2 s guard ("hasNext
     * ...", "timed out", or "failed MESSAGE" for a {@code failure}), then what the loop's exception handler got (none
     * expected).
     */
    private static void logFirstHasNext(Flow.Publisher<Integer> broken, Class<? extends RuntimeException> failure,
                                        List<String> log) throws Exception {
        List<ExceptionContext> errors = Collections.synchronizedList(new ArrayList<>());
        Aio.run(() -> EventLoop.builder().exceptionHandler((l, ctx) -> errors.add(ctx)).build(), () -> {
            try (var it = AsyncIterator.fromPublisher(broken, 4);
                 var t = Aio.timeout(java.time.Duration.ofSeconds(2))) {
                log.add("hasNext " + it.hasNext());
            } catch (TimeoutCancellationException e) {
                log.add("timed out");
            } catch (RuntimeException e) {
                if (!failure.isInstance(e)) {
                    throw e;
                }
                log.add("failed " + e.getMessage());
            }
            return null;
        });
        errors.forEach(e -> log.add("handler " + e.describe().lines().limit(3).toList()));
    }

    /**
     * Rule 2.13: a null signal makes the subscriber throw NullPointerException, and the publisher must then consider
     * the subscription cancelled: nothing follows. The iterator fails at once rather than wait for ever (it waited:
     * the timeout below ran out), and cancels the subscription for a publisher that would go on.
     */
    @ParameterizedTest
    @ValueSource(strings = {"onSubscribe", "onNext", "onError"})
    void fromPublisherFailsOnANullSignalInsteadOfWaitingForEver(String signal) throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Flow.Publisher<Integer> broken = s -> {
            try {
                s.onSubscribe(signal.equals("onSubscribe") ? null : new Flow.Subscription() {
                    public void request(long n) {
                        log.add("request " + n);
                    }

                    public void cancel() {
                        log.add("cancel");
                    }
                });
                if (signal.equals("onNext")) {
                    s.onNext(null);
                } else if (signal.equals("onError")) {
                    s.onError(null);
                }
            } catch (NullPointerException e) {
                log.add("publisher got " + e.getMessage());
            }
        };
        logFirstHasNext(broken, NullPointerException.class, log);
        String what = switch (signal) {
            case "onSubscribe" -> "onSubscribe subscription";
            case "onNext" -> "onNext item";
            default -> "onError throwable";
        };
        var expected = new ArrayList<String>();
        // the publisher signals inside subscribe(), which the iterator calls on the loop: the signals are handled after
        expected.add("publisher got " + what + " must not be null (Reactive Streams rule 2.13)");
        if (!signal.equals("onSubscribe")) {
            expected.add("request 4");
            expected.add("cancel");
        }
        expected.add("failed Publisher called " + signal + "(null) (Reactive Streams rule 2.13): the subscription is"
                + " cancelled");
        assertThat(log).containsExactlyElementsOf(expected);
    }

    /**
     * Rule 1.9 broken with onComplete before onSubscribe: the iterator ends, and the late subscription is cancelled
     * (rule 2.5). It was asked for {@code prefetch} items instead, and never cancelled, since the iterator had
     * completed.
     */
    @Test
    void fromPublisherCancelsASubscriptionThatComesAfterOnComplete() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Flow.Publisher<Integer> broken = s -> {
            s.onComplete(); // before onSubscribe
            s.onSubscribe(new Flow.Subscription() {
                public void request(long n) {
                    log.add("request " + n);
                }

                public void cancel() {
                    log.add("cancel");
                }
            });
        };
        TestLoops.runVirtual(() -> {
            try (var it = AsyncIterator.fromPublisher(broken, 4)) {
                log.add("hasNext " + it.hasNext());
            }
            return null;
        });
        assertThat(log).containsExactly("cancel", "hasNext false");
    }

    /**
     * Rule 3.16 broken (the subscription's first request throws): the iterator fails with that exception and cancels
     * the subscription. The exception went to the loop's handler only, and the consumer waited for ever for items
     * never requested (here: until the test's timeout).
     */
    @Test
    void fromPublisherFailsWhenTheFirstRequestThrows() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        List<ExceptionContext> errors = Collections.synchronizedList(new ArrayList<>());
        Flow.Publisher<Integer> broken = s -> s.onSubscribe(new Flow.Subscription() {
            public void request(long n) {
                throw new IllegalStateException("request " + n + " broke");
            }

            public void cancel() {
                log.add("cancel");
            }
        });
        Aio.run(() -> EventLoop.builder().exceptionHandler((l, ctx) -> errors.add(ctx)).build(), () -> {
            try (var it = AsyncIterator.fromPublisher(broken, 4);
                 var t = Aio.timeout(java.time.Duration.ofSeconds(2))) { // bounds the old code's wait
                log.add("hasNext " + it.hasNext());
            } catch (TimeoutCancellationException e) {
                log.add("timed out");
            } catch (IllegalStateException e) {
                log.add("failed " + e.getMessage());
            }
            return null;
        });
        errors.forEach(e -> log.add("handler " + e.exception()));
        assertThat(log).containsExactly("cancel", "failed request 4 broke");
    }

    /**
     * Rule 3.16 broken by a later request (the one made as the consumer takes an item): the item taken and those
     * received before are still delivered, then the request's exception, and the subscription is cancelled. The
     * item being taken was lost, and the consumer got the exception at once.
     */
    @Test
    void fromPublisherDeliversTheItemsBeforeALaterRequestThatThrows() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Flow.Publisher<Integer> broken = s -> s.onSubscribe(new Flow.Subscription() {
            int requests;

            public void request(long n) {
                if (++requests > 1) {
                    throw new IllegalStateException("request " + requests + " broke");
                }
                s.onNext(10);
                s.onNext(11);
            }

            public void cancel() {
                log.add("cancel");
            }
        });
        TestLoops.runVirtual(() -> {
            try (var it = AsyncIterator.fromPublisher(broken, 2)) {
                for (int i : it) {
                    log.add("got " + i);
                }
            } catch (IllegalStateException e) {
                log.add("failed " + e.getMessage());
            }
            return null;
        });
        assertThat(log).containsExactly("cancel", "got 10", "got 11", "failed request 2 broke");
    }

    /**
     * Rule 3.15 broken (cancel throws) when a consumer cancelled while it waits closes the subscription: the
     * consumer's task still ends cancelled, the exception attached to its cancellation (reported if nobody retrieves
     * it, as the loop does for a cancelled task). It ended
     * with the cancel's exception instead: the cancellation was lost.
     */
    @Test
    void fromPublisherKeepsTheConsumersCancellationWhenTheSubscriptionsCancelThrows() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var broke = new IllegalStateException("cancel broke");
        TestLoops.runVirtual(errors, () -> {
            var requested = new Future<Void>(Aio.getRunningLoop());
            Flow.Publisher<Integer> broken = s -> s.onSubscribe(new Flow.Subscription() {
                public void request(long n) {
                    requested.complete(null); // on the loop: the iterator requests there
                }

                public void cancel() {
                    throw broke;
                }
            });
            Task<Boolean> consumer = Aio.createTask(() -> AsyncIterator.fromPublisher(broken, 2).hasNext());
            requested.await();
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class)
                    .satisfies(e -> assertThat(Future.attachedFailures(e)).containsExactly(broke));
            return null;
        });
        assertThat(errors).isEmpty(); // retrieved with the cancellation, so not reported
    }

    // ---- behaviour that was right already, kept as regression tests

    @Test
    void takeZeroNeverStartsTheBodyAndChunkedHoldsASourceFailureAfterThePartialChunk() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> log.add("started"));
            assertThat(gen.take(0).toList()).isEmpty();
            var failing = AsyncGenerator.<Integer>of(out -> {
                out.emit(1);
                out.emit(2);
                throw new IllegalArgumentException("boom");
            });
            var chunks = failing.chunked(3);
            assertThat(chunks.next()).containsExactly(1, 2);
            assertThatThrownBy(chunks::hasNext).hasMessage("boom");
            assertThat(chunks.hasNext()).isFalse();
            return null;
        });
        assertThat(log).isEmpty();
    }

    @Test
    void mergeFailureClosesTheOtherSourcesAndMapConcurrentRespectsItsLimit() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            var slow = AsyncGenerator.<Integer>of(out -> {
                try {
                    for (int i = 0; ; i++) {
                        Aio.sleep(1);
                        out.emit(i);
                    }
                } finally {
                    log.add("slow finally");
                }
            });
            var failing = AsyncGenerator.<Integer>of(out -> {
                Aio.sleep(2.5);
                throw new IllegalArgumentException("boom");
            });
            var merged = AsyncIterator.merge(slow, failing);
            assertThatThrownBy(merged::toList).hasMessage("boom");
            AtomicInteger running = new AtomicInteger();
            AtomicInteger max = new AtomicInteger();
            var out = AsyncIterator.from(List.of(5, 1, 4, 2, 3, 1, 1)).mapConcurrent(3, x -> {
                max.accumulateAndGet(running.incrementAndGet(), Math::max);
                Aio.sleep(x);
                running.decrementAndGet();
                return x;
            }).toList();
            assertThat(out).containsExactly(5, 1, 4, 2, 3, 1, 1);
            assertThat(max.get()).isEqualTo(3);
            return null;
        });
        assertThat(log).containsExactly("slow finally");
    }
}
