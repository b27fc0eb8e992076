package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Flow;
import java.util.stream.Stream;
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
                var it = mappedOverZeroOneThenFailing(ordered, upstreamBoom, i -> {
                    Aio.sleep(1 + i);
                    if (i == 1) {
                        throw callBoom;
                    }
                    return i;
                });
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
     * A source that fails with an {@link Error} (an AssertionError of its own, say) after some items: the items read
     * before it reach the consumer, then the Error itself, as with an exception ("Failures of the source surface at
     * the element where they happen: an unchecked exception or Error as is"), and the source is closed once. chunked
     * threw the Error at once and lost its partial list; mapConcurrent threw it at once and cancelled the calls of
     * the items before it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"chunked", "buffer", "merge", "mapConcurrent", "mapConcurrentUnordered"})
    void anErrorOfTheSourceSurfacesAfterTheItemsReadBeforeIt(String operator) throws Exception {
        var boom = new AssertionError("source broke after 1");
        List<String> log = new ArrayList<>();
        List<Object> got = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var source = AsyncGenerator.<Integer>of(out -> {
                try {
                    out.emit(0);
                    out.emit(1);
                    throw boom;
                } finally {
                    log.add("source's finally");
                }
            });
            CoroutineFunction<Integer, Integer> slow = i -> {
                Aio.sleep(1);
                return i;
            };
            AsyncIterator<?> it = switch (operator) {
                case "chunked" -> source.chunked(5);
                case "buffer" -> source.buffer(5);
                case "merge" -> AsyncIterator.merge(source);
                case "mapConcurrent" -> source.mapConcurrent(5, slow);
                default -> source.mapConcurrentUnordered(5, slow);
            };
            try (it) {
                assertThatThrownBy(() -> {
                    for (Object x : it) {
                        got.add(x);
                    }
                }).isSameAs(boom);
                assertThat(it.hasNext()).isFalse();
            }
            return null;
        });
        assertThat(got).isEqualTo(operator.equals("chunked") ? List.of(List.of(0, 1)) : List.of(0, 1));
        assertThat(log).containsExactly("source's finally");
        assertThat(reports).isEmpty();
    }

    /**
     * mapConcurrent closed while calls it had started had already failed, and a call fails as the close cancels it.
     * The calls that failed before the close were read ahead of the consumer, which never reached them: each is
     * reported once, as chunked's, buffer's and merge's read-ahead failures are, and aclose() throws only what
     * releasing raised (the call that failed as it was cancelled). aclose() threw the first failed call, with the
     * others attached, and a consumer that stopped early failed because the calls went further than it did.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void mapConcurrentReportsTheCallsThatFailedBeforeTheCloseAndThrowsOnlyWhatTheCloseRaised(boolean ordered)
            throws Exception {
        var call1 = new IllegalStateException("call 1 failed at 1s");
        var call2 = new IllegalStateException("call 2 failed at 2s");
        var cleanup = new IllegalStateException("call 3 failed as it was cancelled");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            CoroutineFunction<Integer, Integer> fn = i -> {
                switch (i) {
                    case 0 -> {
                        return 0;
                    }
                    case 1, 2 -> {
                        Aio.sleep(i);
                        throw i == 1 ? call1 : call2;
                    }
                    default -> {
                        try {
                            Aio.sleep(100);
                        } finally {
                            throw cleanup;
                        }
                    }
                }
            };
            var source = AsyncIterator.from(List.of(0, 1, 2, 3));
            var it = ordered ? source.mapConcurrent(4, fn) : source.mapConcurrentUnordered(4, fn);
            assertThat(it.next()).isZero();
            Aio.sleep(5); // calls 1 and 2 fail; call 3 still runs
            assertThatThrownBy(it::aclose).isSameAs(cleanup);
            assertThat(reports).as("reported at the close").extracting(ExceptionContext::exception)
                    .containsExactlyInAnyOrder(call1, call2);
            return null;
        });
        assertThat(reports).extracting(ExceptionContext::exception).containsExactlyInAnyOrder(call1, call2);
        assertThat(reports).allSatisfy(r -> assertThat(r.message()).contains("never retrieved"));
        assertThat(cleanup.getSuppressed()).isEmpty();
    }

    /**
     * mapConcurrent's consumer cancelled while it waits for a call, after the upstream had failed (and, in input
     * order, a later call too; in completion order that call's failure would have reached the waiting consumer): none
     * is lost, and each is reported once. The upstream's failure was attached to the consumer's cancellation, which
     * nobody is told of when nobody awaits the consumer; buffer and merge report such a failure.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void mapConcurrentReportsWhatFailedBeforeItsWaitingConsumerWasCancelled(boolean ordered) throws Exception {
        var upstreamBoom = new IllegalStateException("upstream broke after 2 items");
        var call1 = new IllegalStateException("call 1 failed");
        List<ExceptionContext> reports = new ArrayList<>();
        List<Throwable> consumerGot = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var it = mappedOverZeroOneThenFailing(ordered, upstreamBoom, i -> {
                if (i == 1 && ordered) {
                    throw call1;
                }
                Aio.sleep(10);
                return i;
            });
            Task<List<Integer>> consumer = Aio.createTask(() -> {
                try {
                    return it.toList();
                } catch (CancellationException e) {
                    consumerGot.add(e);
                    throw e;
                }
            });
            Aio.sleep(1); // the upstream failed and call 1 failed; call 0 still runs
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(consumerGot).singleElement().satisfies(e -> assertThat(e.getSuppressed()).isEmpty());
        assertThat(reports).extracting(ExceptionContext::exception)
                .containsExactlyInAnyOrderElementsOf(ordered ? List.of(upstreamBoom, call1) : List.of(upstreamBoom));
    }

    /**
     * mapConcurrent (input order) or mapConcurrentUnordered of {@code fn}, limit 4, over a source that emits 0 and 1
     * and then fails with {@code upstreamBoom}.
     */
    private static AsyncIterator<Integer> mappedOverZeroOneThenFailing(boolean ordered, RuntimeException upstreamBoom,
                                                                      CoroutineFunction<Integer, Integer> fn) {
        var source = AsyncGenerator.<Integer>of(out -> {
            out.emit(0);
            out.emit(1);
            throw upstreamBoom;
        });
        return ordered ? source.mapConcurrent(4, fn) : source.mapConcurrentUnordered(4, fn);
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
     * A source that sleeps between items and whose finally block fails, read by buffer() or merge(): a generator, or
     * ("... of mapConcurrent") a mapConcurrent over a stream whose close fails. {@code log} records that the finally
     * block (the close) ran.
     */
    private static AsyncIterator<Integer> pumpedSourceFailingAsItCloses(String operator, RuntimeException cleanup,
                                                                        List<String> log) {
        AsyncIterator<Integer> source = AsyncGenerator.of(out -> {
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
        if (operator.endsWith("of mapConcurrent")) {
            // An operator written as a generator: it attaches its upstream's close failure to the cancellation it
            // ends with when the pump's cancellation lands in it.
            source = AsyncIterator.from(Stream.iterate(0, i -> i + 1).onClose(() -> {
                log.add("source's finally");
                throw cleanup;
            })).mapConcurrent(1, i -> {
                if (i > 0) {
                    Aio.sleep(10);
                }
                return i;
            });
        }
        return operator.startsWith("buffer") ? source.buffer(2) : AsyncIterator.merge(source, AsyncIterator.empty());
    }

    /**
     * aclose() throws what releasing the source raised (AsyncIterator#aclose), also when the pump is waiting inside
     * the source at that moment: the pump's cancellation lands at the source's sleep, the source's finally block
     * fails, and the pump kept that failure for a consumer that had already left, so aclose() returned quietly and
     * nothing was reported. Without buffer() or merge(), the same close throws it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"buffer", "merge", "buffer of mapConcurrent", "merge of mapConcurrent"})
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
    @ValueSource(strings = {"buffer", "merge", "buffer of mapConcurrent", "merge of mapConcurrent"})
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

    /**
     * An operator that reads ahead of its consumer over a source that emits 0 and then fails with {@code boom}:
     * chunked (the failure held behind the partial chunk), buffer and merge (a pump), mapConcurrent (the upstream read
     * while calls run), fromPublisher (an onError received before the consumer reached it).
     */
    private static AsyncIterator<?> readingAhead(String operator, RuntimeException boom) {
        var source = AsyncGenerator.<Integer>of(out -> {
            out.emit(0);
            throw boom;
        });
        return switch (operator) {
            case "chunked" -> source.chunked(2);
            case "buffer" -> source.buffer(2);
            case "merge" -> AsyncIterator.merge(source);
            case "mapConcurrent" -> source.mapConcurrent(2, x -> x);
            default -> AsyncIterator.fromPublisher(publisherOfZeroThenFailing(boom), 4);
        };
    }

    /** A publisher that sends 0 and then onError(boom) to its subscriber, as soon as it is asked for items. */
    private static Flow.Publisher<Integer> publisherOfZeroThenFailing(RuntimeException boom) {
        return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            private boolean sent;

            @Override
            public void request(long n) {
                if (!sent) {
                    sent = true;
                    subscriber.onNext(0);
                    subscriber.onError(boom);
                }
            }

            @Override
            public void cancel() {
            }
        });
    }

    /**
     * A failure an operator read ahead of its consumer, and that the consumer never reached because it closed the
     * iterator first, is reported to the loop's exception handler ("exception was never retrieved"), not lost; the
     * close itself returns quietly (AsyncIterator#aclose throws only what releasing the source raised). It was
     * dropped silently.
     */
    @ParameterizedTest
    @ValueSource(strings = {"chunked", "buffer", "merge", "mapConcurrent", "fromPublisher"})
    void aFailureReadAheadAndNeverReachedIsReportedWhenTheIteratorIsClosed(String operator) throws Exception {
        var boom = new IllegalStateException("source broke after 0");
        List<ExceptionContext> reports = new ArrayList<>();
        List<Object> got = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var it = readingAhead(operator, boom);
            got.add(it.next());
            Aio.sleep(1); // the read-ahead meets the failure
            it.aclose();
            got.add("closed quietly");
            assertThat(reports).as("reported at the close").hasSize(1);
            it.aclose(); // idempotent: not reported twice
            return null;
        });
        assertThat(got).containsExactly(operator.equals("chunked") ? List.of(0) : 0, "closed quietly");
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(boom);
        assertThat(reports.get(0).message()).contains("never retrieved");
    }

    /** A consumer that reaches the failure gets it, and nothing is reported. */
    @ParameterizedTest
    @ValueSource(strings = {"chunked", "buffer", "merge", "mapConcurrent", "fromPublisher"})
    void aFailureReadAheadAndReachedIsThrownAndNotReported(String operator) throws Exception {
        var boom = new IllegalStateException("source broke after 0");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            try (var it = readingAhead(operator, boom)) {
                it.next();
                Aio.sleep(1);
                assertThatThrownBy(it::hasNext).isSameAs(boom);
            }
            return null;
        });
        assertThat(reports).isEmpty();
    }

    /**
     * A consumer cancelled while it works on an item, before it reached a failure read ahead: its try-with-resources
     * closes the iterator as the cancellation unwinds, and the failure is reported too.
     */
    @ParameterizedTest
    @ValueSource(strings = {"chunked", "buffer", "merge", "mapConcurrent", "fromPublisher"})
    void aFailureReadAheadIsReportedWhenTheConsumerIsCancelledBeforeReachingIt(String operator) throws Exception {
        var boom = new IllegalStateException("source broke after 0");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<Void> consumer = Aio.createTask(() -> {
                try (var it = readingAhead(operator, boom)) {
                    it.next();
                    Aio.sleep(10); // working on the item
                    it.next();
                }
                return null;
            });
            Aio.sleep(1);
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(boom);
    }

    /**
     * A consumer whose task ends without closing the iterator, before it reached a failure read ahead. The operators
     * written as generators are closed by the end of the task, which reports it. chunked is no generator and its
     * source has ended (with that failure), so the end of the task closed nothing and the failure was lost with the
     * iterator; it is now known to the loop as an exception nobody retrieved is: reported when the loop closes, once.
     */
    @ParameterizedTest
    @ValueSource(strings = {"chunked", "buffer", "merge", "mapConcurrent", "fromPublisher"})
    void aFailureReadAheadIsReportedWhenTheConsumersTaskEndsWithoutClosingTheIterator(String operator)
            throws Exception {
        var boom = new IllegalStateException("source broke after 0");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<Object> consumer = Aio.createTask(() -> {
                var it = readingAhead(operator, boom); // its own: the iterator of a task still running would go back
                Object first = it.next();
                Aio.sleep(1); // the read-ahead meets the failure
                return first; // and the iterator is forgotten
            });
            assertThat(consumer.await()).isEqualTo(operator.equals("chunked") ? List.of(0) : 0);
            assertThat(reports).as("reported when the task ends, or (chunked) when the loop closes: another task"
                    + " may still take it").hasSize(operator.equals("chunked") ? 0 : 1);
            return null;
        });
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.exception()).isSameAs(boom);
            assertThat(r.message()).contains("never retrieved");
        });
        if (operator.equals("chunked")) {
            assertThat(reports.get(0).message()).startsWith("chunked(2): exception was never retrieved")
                    .endsWith("which ended without reaching it or closing the iterator");
        }
    }

    /** A failure chunked holds and a later task takes from it is delivered, and not reported when the loop closes. */
    @Test
    void aFailureChunkedHoldsAndAnotherTaskTakesIsNotReported() throws Exception {
        var boom = new IllegalStateException("source broke after 0");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var chunks = readingAhead("chunked", boom);
            assertThat(Aio.createTask(chunks::next).await()).isEqualTo(List.of(0));
            assertThatThrownBy(Aio.createTask(chunks::hasNext)::await).isSameAs(boom);
            return null;
        });
        assertThat(reports).isEmpty();
    }

    /**
     * fromPublisher closed by its consumer while the publisher fails: the onError that crosses the cancel arrives after
     * the close. No consumer can receive it any more, and it was dropped silently (Reactor's operators hand such an
     * error to onErrorDropped, RxJava's to its undeliverable-error hook; here it is the loop's exception handler).
     */
    @Test
    void fromPublisherReportsAnOnErrorThatArrivesAfterItsConsumerClosedIt() throws Exception {
        var boom = new IllegalStateException("publisher failed as the cancel reached it");
        List<Flow.Subscriber<? super Integer>> subscribers = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var it = AsyncIterator.<Integer>fromPublisher(subscriber -> {
                subscribers.add(subscriber);
                subscriber.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                        subscriber.onNext(0);
                    }

                    @Override
                    public void cancel() {
                    }
                });
            }, 1);
            assertThat(it.next()).isZero();
            it.aclose();
            subscribers.get(0).onError(boom);
            subscribers.get(0).onError(new IllegalStateException("a second onError breaks rule 1.7: ignored"));
            Aio.sleep(1);
            return null;
        });
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(boom);
    }

    /**
     * toPublisher's subscriber cancels while the pump waits inside the source, and releasing the source fails: here a
     * mapConcurrent whose upstream's close throws, which attaches that failure to the cancellation it ends with (as
     * every operator written as a generator does). The pump took the cancellation for its own and dropped it, with
     * the failure attached; a source that fails as it closes is reported (as when the source is a generator).
     */
    @Test
    void toPublisherReportsWhatTheCancelledSourceAttachedToItsCancellation() throws Exception {
        var cleanup = new IllegalStateException("closing the stream failed");
        List<String> signals = new ArrayList<>();
        List<Flow.Subscription> subscription = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var source = AsyncIterator.from(java.util.stream.Stream.of(0, 1, 2).onClose(() -> {
                throw cleanup;
            })).mapConcurrent(1, i -> {
                Aio.sleep(10);
                return i;
            });
            subscribeRequestingOne(source.toPublisher(), signals, subscription);
            Aio.sleep(1); // the pump waits inside mapConcurrent for the call of item 0
            subscription.get(0).cancel();
            Aio.sleep(1);
            return null;
        });
        assertThat(signals).isEmpty();
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(cleanup);
    }

    /**
     * As above, with the failure one level deeper: the source's clean-up ran in a task of its own that ended cancelled,
     * and the source attached that task's cancellation, which carries the failure, to the cancellation it ends with
     * (as a source that awaits a helper task as it unwinds does). The pump reported only what was attached directly
     * and lost the failure.
     */
    @Test
    void toPublisherReportsAFailureAttachedToACancellationAttachedToItsCancellation() throws Exception {
        var cleanup = new IllegalStateException("the helper's clean-up failed");
        List<String> signals = new ArrayList<>();
        List<Flow.Subscription> subscription = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var source = new AsyncIterator<Integer>() {
                @Override
                public boolean hasNext() {
                    try {
                        Aio.sleep(10);
                    } catch (CancellationException e) {
                        var helpers = new CancellationException("the helper was cancelled too");
                        helpers.addSuppressed(cleanup);
                        e.addSuppressed(helpers);
                        throw e;
                    }
                    return true;
                }

                @Override
                public Integer next() {
                    return 0;
                }

                @Override
                public void aclose() {
                }
            };
            subscribeRequestingOne(source.toPublisher(), signals, subscription);
            Aio.sleep(1); // the pump waits inside the source's hasNext()
            subscription.get(0).cancel();
            Aio.sleep(1);
            return null;
        });
        assertThat(signals).isEmpty();
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(cleanup);
    }

    /** Subscribes to {@code publisher}, requests one item, and records each signal (and the subscription). */
    private static void subscribeRequestingOne(Flow.Publisher<Integer> publisher, List<String> signals,
                                               List<Flow.Subscription> subscription) {
        publisher.subscribe(new Flow.Subscriber<Integer>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription.add(s);
                s.request(1);
            }

            @Override
            public void onNext(Integer item) {
                signals.add("next " + item);
            }

            @Override
            public void onError(Throwable t) {
                signals.add("error " + t);
            }

            @Override
            public void onComplete() {
                signals.add("complete");
            }
        });
    }

    /**
     * Every operator, its consumer cancelled while it waits inside the iterator: the consumer ends cancelled, the
     * items it got are the source's first ones in order (none skipped), the source's finally block runs once, no
     * helper task is left (fromPublisher's publisher ends its pump when the cancel of its subscription reaches it),
     * and nothing is reported. Then the same consumer cancelled while it works on an item, closing the iterator as the
     * cancellation unwinds.
     */
    @ParameterizedTest
    @ValueSource(strings = {"map", "filter", "take", "chunked", "buffer", "merge", "mapConcurrent",
            "mapConcurrentUnordered", "fromPublisher"})
    void aConsumerCancelledMidWayLosesNoItemAndLeavesNoTask(String operator) throws Exception {
        for (boolean insideTheIterator : new boolean[] {true, false}) {
            List<String> log = new ArrayList<>();
            List<Object> got = new ArrayList<>();
            TestLoops.runVirtual(() -> {
                var source = AsyncGenerator.<Integer>of(out -> {
                    try {
                        for (int i = 0; ; i++) {
                            out.emit(i);
                            Aio.sleep(1);
                        }
                    } finally {
                        log.add("source's finally");
                    }
                });
                AsyncIterator<?> it = switch (operator) {
                    case "map" -> source.map(i -> i);
                    case "filter" -> source.filter(i -> true);
                    case "take" -> source.take(100);
                    case "chunked" -> source.chunked(1);
                    case "buffer" -> source.buffer(2);
                    case "merge" -> AsyncIterator.merge(source);
                    case "mapConcurrent" -> source.mapConcurrent(2, i -> i);
                    case "mapConcurrentUnordered" -> source.mapConcurrentUnordered(2, i -> i);
                    default -> AsyncIterator.fromPublisher(source.toPublisher(), 2);
                };
                Task<Void> consumer = Aio.createTask(() -> {
                    try (it) {
                        for (Object x : it) {
                            got.add(operator.equals("chunked") ? ((List<?>) x).getFirst() : x);
                            if (!insideTheIterator) {
                                Aio.sleep(10); // working on the item
                            }
                        }
                    }
                });
                Aio.sleep(2.5);
                consumer.cancel();
                assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
                if (operator.equals("fromPublisher")) {
                    Aio.waitAllTasksBlocked();
                }
                assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
                return null;
            });
            String what = operator + (insideTheIterator ? ", inside" : ", working");
            assertThat(log).as(what).containsExactly("source's finally");
            assertThat(got).as(what).isNotEmpty()
                    .isEqualTo(java.util.stream.IntStream.range(0, got.size()).boxed().toList());
        }
    }

    /**
     * A read-ahead that ended with a cancellation is not reported: the loop reports no cancellation as never retrieved
     * (here the source's own, from a future cancelled elsewhere, held by chunked behind the partial chunk).
     */
    @Test
    void aCancellationReadAheadIsNotReportedWhenTheIteratorIsClosed() throws Exception {
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Future<Void> cancelledElsewhere = Aio.getRunningLoop().createFuture();
            var gen = AsyncGenerator.<Integer>of(out -> {
                out.emit(0);
                Aio.getRunningLoop().callSoon(() -> cancelledElsewhere.cancel("not the consumer's"));
                cancelledElsewhere.await();
            });
            try (var chunks = gen.chunked(2)) {
                assertThat(chunks.next()).containsExactly(0);
            }
            return null;
        });
        assertThat(reports).isEmpty();
    }

    /**
     * As above, the source awaiting a task cancelled elsewhere whose clean-up attached a failure to its cancellation:
     * the cancellation read ahead carries the failure, which awaiting the task retrieved, and which the close
     * dropped with the cancellation. It is reported, once.
     */
    @ParameterizedTest
    @ValueSource(strings = {"chunked", "buffer"})
    void theFailuresAttachedToACancellationReadAheadAreReportedWhenTheIteratorIsClosed(String operator)
            throws Exception {
        var cleanup = new IllegalStateException("the cancelled task's clean-up failed");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            Task<Void> cancelledElsewhere = Aio.createTask(TestLoops.attachingToItsCancellation(cleanup));
            var gen = AsyncGenerator.<Integer>of(out -> {
                out.emit(0);
                Aio.getRunningLoop().callSoon(() -> cancelledElsewhere.cancel("not the consumer's"));
                cancelledElsewhere.await();
            });
            AsyncIterator<?> it = operator.equals("chunked") ? gen.chunked(2) : gen.buffer(2);
            try (it) {
                it.next();
                Aio.sleep(1); // the read-ahead meets the cancellation
            }
            return null;
        });
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.exception()).isSameAs(cleanup);
            assertThat(r.message()).contains("never retrieved");
        });
    }

    /**
     * The read-ahead fails in the same loop iteration as the consumer waiting for it is cancelled: the consumer ends
     * cancelled, and the failure that landed meanwhile is reported, not lost.
     */
    @ParameterizedTest
    @ValueSource(strings = {"buffer", "merge"})
    void aFailureLandingAsTheWaitingConsumerIsCancelledIsReported(String operator) throws Exception {
        var boom = new IllegalStateException("source broke at 1s");
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var source = AsyncGenerator.<Integer>of(out -> {
                Aio.sleep(1);
                throw boom;
            });
            var it = operator.equals("buffer") ? source.buffer(2) : AsyncIterator.merge(source);
            Task<List<Integer>> consumer = Aio.createTask(it::toList);
            Aio.sleep(1);
            Aio.getRunningLoop().callSoon(() -> consumer.cancel()); // after the pump has caught the failure
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(reports).extracting(ExceptionContext::exception).containsExactly(boom);
    }

    /**
     * A consumer iterating mapConcurrent over a generator whose finally block fails, cancelled while it waits in the
     * iterator, and awaited by nobody: mapConcurrent's release of the generator attaches the failure to the
     * cancellation the consumer ends with, and the loop does not report a cancelled task, so the failure vanished. It
     * is reported once, as a failure attached to the consumer's cancellation.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aCloseFailureAttachedToTheCancellationOfAConsumerNobodyAwaitsIsReported(boolean ordered) throws Exception {
        var cleanup = new IllegalStateException("the generator's finally failed");
        List<String> log = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        TestLoops.runVirtual(reports, () -> {
            var source = AsyncGenerator.<Integer>of(out -> {
                try {
                    for (int i = 0; ; i++) {
                        out.emit(i);
                    }
                } finally {
                    log.add("source's finally");
                    throw cleanup;
                }
            });
            CoroutineFunction<Integer, Integer> slow = i -> {
                Aio.sleep(10);
                return i;
            };
            var it = ordered ? source.mapConcurrent(2, slow) : source.mapConcurrentUnordered(2, slow);
            Task<Void> consumer = Aio.createTask(() -> {
                for (int i : it) {
                    log.add("got " + i);
                }
                return null;
            }, "consumer");
            Aio.sleep(1); // the consumer waits in mapConcurrent for the calls of items 0 and 1
            consumer.cancel();
            Aio.sleep(1);
            assertThat(consumer.isCancelled()).isTrue();
            return null;
        });
        assertThat(log).containsExactly("source's finally");
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.exception()).isSameAs(cleanup);
            assertThat(r.message()).contains("consumer").contains("attached to its cancellation");
        });
    }
}
