package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** AsyncIterator.fromPublisher and toPublisher: demand is honoured both ways. */
class PublisherBridgeTest {

    private static final long WAIT_SECONDS = 30; // a bound on hangs, not a timing assertion

    /**
     * A publisher of 0..total-1 on its own thread that sends exactly what is requested (or, if {@code greedy},
     * answers the first request at once, on the requesting thread, with one item more: a broken publisher), and
     * records every request.
     */
    static final class CountingPublisher implements Flow.Publisher<Integer>, AutoCloseable {
        final int total;
        final boolean greedy;
        final Throwable failAtEnd;
        final List<Long> requests = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong requested = new AtomicLong();
        volatile boolean cancelled;
        private final ExecutorService thread = Executors.newSingleThreadExecutor();
        private int next;
        private boolean done;

        CountingPublisher(int total, boolean greedy, Throwable failAtEnd) {
            this.total = total;
            this.greedy = greedy;
            this.failAtEnd = failAtEnd;
        }

        @Override
        public void subscribe(Flow.Subscriber<? super Integer> s) {
            thread.execute(() -> s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    requests.add(n);
                    requested.addAndGet(n);
                    if (greedy && requests.size() == 1) {
                        // One item too many, signalled at once on the requesting thread: all of them reach the
                        // iterator before it can take one and ask for more (which would make the extra one legal).
                        send(s, n + 1);
                    } else {
                        thread.execute(() -> send(s, n));
                    }
                }

                @Override
                public void cancel() {
                    cancelled = true;
                }
            }));
        }

        private void send(Flow.Subscriber<? super Integer> s, long n) {
            for (long i = 0; i < n && next < total && !cancelled; i++) {
                s.onNext(next++);
            }
            if (next == total && !done && !cancelled) {
                done = true;
                if (failAtEnd != null) {
                    s.onError(failAtEnd);
                } else {
                    s.onComplete();
                }
            }
        }

        @Override
        public void close() {
            thread.shutdownNow();
        }
    }

    @Test
    void fromPublisherNeverHasMoreThanPrefetchItemsRequestedAndNotTaken() throws Exception {
        try (var publisher = new CountingPublisher(1_000, false, null)) {
            long[] maxOutstanding = {0};
            List<Integer> got = TestLoops.runVirtual(() -> {
                List<Integer> out = new ArrayList<>();
                for (int i : AsyncIterator.fromPublisher(publisher, 8)) {
                    out.add(i);
                    maxOutstanding[0] = Math.max(maxOutstanding[0], publisher.requested.get() - out.size());
                    if (i % 100 == 0) {
                        Aio.sleep(1); // a slow consumer now and then: the publisher must wait for it
                        maxOutstanding[0] = Math.max(maxOutstanding[0], publisher.requested.get() - out.size());
                    }
                }
                return out;
            });
            assertThat(got).hasSize(1_000).isSorted();
            assertThat(maxOutstanding[0]).isLessThanOrEqualTo(8);
            assertThat(publisher.requests.getFirst()).isEqualTo(8);
            assertThat(publisher.requests.subList(1, publisher.requests.size())).containsOnly(4L);
            // 8 at first, then 4 per 4 taken: never more than needed for 1,000 items plus one prefetch
            assertThat(publisher.requested.get()).isLessThanOrEqualTo(1_000 + 8);
        }
    }

    @Test
    void fromPublisherDeliversOnErrorAfterTheItemsBeforeIt() throws Exception {
        var boom = new IllegalStateException("publisher failed");
        try (var publisher = new CountingPublisher(5, false, boom)) {
            List<Integer> got = new ArrayList<>();
            TestLoops.runVirtual(() -> {
                assertThatThrownBy(() -> {
                    for (int i : AsyncIterator.fromPublisher(publisher, 2)) {
                        got.add(i);
                    }
                }).isSameAs(boom);
                return null;
            });
            assertThat(got).containsExactly(0, 1, 2, 3, 4);
        }
    }

    @Test
    void aPublisherThatSendsMoreThanRequestedIsAnErrorAndIsCancelled() throws Exception {
        try (var publisher = new CountingPublisher(100, true, null)) {
            TestLoops.runVirtual(() -> {
                assertThatThrownBy(() -> AsyncIterator.fromPublisher(publisher, 4).toList())
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("rule 1.1");
                return null;
            });
            assertThat(publisher.cancelled).isTrue();
        }
    }

    @Test
    void closingEarlyCancelsTheSubscription() throws Exception {
        try (var publisher = new CountingPublisher(1_000, false, null)) {
            TestLoops.runVirtual(() -> {
                try (var it = AsyncIterator.fromPublisher(publisher, 16)) {
                    assertThat(it.next()).isZero();
                    assertThat(it.next()).isEqualTo(1);
                }
                assertThat(publisher.cancelled).isTrue();
                return null;
            });
            assertThat(publisher.requested.get()).isEqualTo(16);
        }
    }

    @Test
    void fromPublisherTakesEveryItemOfASubmissionPublisher() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (var publisher = new SubmissionPublisher<Integer>(executor, 16)) {
            var subscribed = new CountDownLatch(1);
            Flow.Publisher<Integer> announcing = s -> {
                publisher.subscribe(s);
                subscribed.countDown();
            };
            Thread submitter = Thread.ofPlatform().start(() -> {
                try {
                    assertThat(subscribed.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 10_000; i++) {
                    publisher.submit(i); // blocks while the subscriber's 16-item buffer is full
                }
                publisher.close();
            });
            List<Integer> got = TestLoops.runVirtual(() -> AsyncIterator.fromPublisher(announcing, 32).toList());
            submitter.join();
            assertThat(got).hasSize(10_000).isSorted();
        } finally {
            executor.shutdownNow();
        }
    }

    /** Records the signals of a subscription, for a thread outside the loop to wait on. */
    static final class RecordingSubscriber<T> implements Flow.Subscriber<T> {
        final BlockingQueue<Object> signals = new LinkedBlockingQueue<>();
        final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
        final AtomicLong requested = new AtomicLong();
        final CountDownLatch subscribed = new CountDownLatch(1);

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription.set(s);
            subscribed.countDown();
        }

        @Override
        public void onNext(T item) {
            signals.add(item);
        }

        @Override
        public void onError(Throwable t) {
            signals.add(t);
        }

        @Override
        public void onComplete() {
            signals.add("complete");
        }

        void request(long n) throws InterruptedException {
            assertThat(subscribed.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            requested.addAndGet(n);
            subscription.get().request(n);
        }

        Object next() throws InterruptedException {
            Object s = signals.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(s).as("a signal within %d s", WAIT_SECONDS).isNotNull();
            return s;
        }
    }

    @Test
    void toPublisherAsksTheIteratorOnlyForWhatWasRequested() throws Exception {
        var subscriber = new RecordingSubscriber<Integer>();
        int[] produced = {0};
        long[] overDemand = {0};
        var generatorClosed = new CountDownLatch(1);
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                try {
                    for (int i = 0; ; i++) {
                        produced[0]++;
                        overDemand[0] = Math.max(overDemand[0], produced[0] - subscriber.requested.get());
                        out.emit(i);
                    }
                } finally {
                    generatorClosed.countDown();
                }
            });
            gen.toPublisher().subscribe(subscriber);
            return Aio.toThread(() -> {
                subscriber.request(3);
                for (int i = 0; i < 3; i++) {
                    assertThat(subscriber.next()).isEqualTo(i);
                }
                subscriber.request(5);
                for (int i = 3; i < 8; i++) {
                    assertThat(subscriber.next()).isEqualTo(i);
                }
                subscriber.subscription.get().cancel();
                assertThat(generatorClosed.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
                return null;
            });
        });
        assertThat(produced[0]).isEqualTo(8);
        assertThat(overDemand[0]).isLessThanOrEqualTo(0);
        assertThat(subscriber.signals).isEmpty(); // no signal after cancel
    }

    @Test
    void toPublisherCompletesFailsAndRefusesAsTheSpecSays() throws Exception {
        var boom = new IllegalStateException("source failed");
        TestLoops.runVirtual(() -> {
            var done = new RecordingSubscriber<Integer>();
            var failing = new RecordingSubscriber<Integer>();
            var second = new RecordingSubscriber<Integer>();
            var nulls = new RecordingSubscriber<String>();
            var badRequest = new RecordingSubscriber<Integer>();
            List<String> closed = new ArrayList<>();

            AsyncIterator.from(List.of(1, 2)).toPublisher().subscribe(done);
            Flow.Publisher<Integer> failingPublisher = AsyncGenerator.<Integer>of(out -> {
                out.emit(1);
                throw boom;
            }).toPublisher();
            failingPublisher.subscribe(failing);
            failingPublisher.subscribe(second);
            AsyncIterator.from(java.util.Arrays.asList("a", null)).toPublisher().subscribe(nulls);
            AsyncGenerator.<Integer>of(out -> {
                try {
                    out.emit(1);
                } finally {
                    closed.add("closed");
                }
            }).toPublisher().subscribe(badRequest);

            return Aio.toThread(() -> {
                done.request(Long.MAX_VALUE);
                assertThat(List.of(done.next(), done.next(), done.next())).containsExactly(1, 2, "complete");
                failing.request(10);
                assertThat(failing.next()).isEqualTo(1);
                assertThat(failing.next()).isSameAs(boom);
                assertThat(second.next()).isInstanceOf(IllegalStateException.class)
                        .hasToString("java.lang.IllegalStateException: this Publisher of an AsyncIterator allows"
                                + " one subscriber: the iterator can be consumed once");
                nulls.request(5);
                assertThat(nulls.next()).isEqualTo("a");
                assertThat(nulls.next()).isInstanceOf(NullPointerException.class);
                badRequest.request(0);
                assertThat(badRequest.next()).isInstanceOf(IllegalArgumentException.class)
                        .asString().contains("rule 3.9");
                return null;
            });
        });
    }

    @Test
    void aRoundTripOnOneLoopKeepsVirtualTimeAndDemand() throws Exception {
        int[] produced = {0};
        int[] maxAhead = {0};
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                for (int i = 0; i < 20; i++) {
                    Aio.sleep(1);
                    produced[0]++;
                    out.emit(i);
                }
            });
            int taken = 0;
            for (int i : AsyncIterator.fromPublisher(gen.toPublisher(), 4)) {
                assertThat(i).isEqualTo(taken);
                taken++;
                maxAhead[0] = Math.max(maxAhead[0], produced[0] - taken);
                Aio.sleep(0.5);
            }
            assertThat(taken).isEqualTo(20);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(20.5);
            return null;
        });
        assertThat(maxAhead[0]).isBetween(0, 4);
    }

    /**
     * Rule 1.4 (a publisher that cannot go on signals onError): when the loop ends while the subscriber waits for
     * demand, it gets onError(CancellationException); it must get the same when the loop ends before the pump task
     * took its first step, not onSubscribe and then silence (the subscriber would wait forever).
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void theSubscriberIsToldWhenTheLoopEndsRightAfterSubscribe() throws Exception {
        List<Object> signals = Collections.synchronizedList(new ArrayList<>());
        TestLoops.runVirtual(() -> {
            AsyncIterator.from(List.of(1)).toPublisher().subscribe(new Flow.Subscriber<Integer>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    signals.add("subscribed");
                }

                @Override
                public void onNext(Integer item) {
                    signals.add(item);
                }

                @Override
                public void onError(Throwable t) {
                    signals.add(t.getClass());
                }

                @Override
                public void onComplete() {
                    signals.add("complete");
                }
            });
            return null; // the loop ends: its tasks are cancelled, the pump before its first step
        });
        assertThat(signals).containsExactly("subscribed", java.util.concurrent.CancellationException.class);
    }

    @Test
    void theDemandRenewedIsHalfThePrefetchRoundedUpEvenForTheLargestPrefetch() {
        // With Integer.MAX_VALUE, (prefetch + 1) / 2 was negative: no item was ever requested again after the first
        // 2^31 - 1, and the consumer waited for ever.
        assertThat(List.of(PublisherIterator.batchOf(1), PublisherIterator.batchOf(4), PublisherIterator.batchOf(5),
                PublisherIterator.batchOf(Integer.MAX_VALUE))).containsExactly(1, 2, 3, 1 << 30);
    }
}
