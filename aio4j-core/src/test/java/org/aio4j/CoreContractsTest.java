package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Contracts of Future.get() from other threads, wrapFuture and done callbacks. */
class CoreContractsTest {

    /** Starts a platform thread that calls {@code f.get()} and records what it returned or threw. */
    private static Thread blockedGet(Future<?> f, AtomicReference<Object> outcome) {
        return Thread.ofPlatform().start(() -> {
            try {
                outcome.set(f.get());
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
    }

    private static void awaitBlocked(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1); // bounds a failure only
        while (t.getState() != Thread.State.WAITING && t.isAlive()) {
            assertThat(System.nanoTime() - deadline).as("%s never blocked", t).isNegative();
            Thread.onSpinWait();
        }
    }

    /**
     * Stress: 8 platform threads each block in get() on 250 futures of a running loop, with and without a timeout,
     * while the loop completes, fails or cancels the futures in a shuffled order; every get returns or throws exactly
     * its own future's outcome.
     */
    @Test
    void manyThreadsBlockedInGetOnManyFuturesAreEachReleasedWithTheirOwnOutcome() throws Exception {
        long seed = new java.util.Random().nextLong();
        int threads = 8;
        int perThread = 250;
        var loop = new EventLoop();
        List<Future<Integer>> futures = new ArrayList<>();
        for (int i = 0; i < threads * perThread; i++) {
            futures.add(loop.createFuture());
        }
        var started = new java.util.concurrent.CountDownLatch(threads);
        var outcomes = new java.util.concurrent.atomic.AtomicReferenceArray<Object>(futures.size());
        var failures = new java.util.concurrent.ConcurrentLinkedQueue<Throwable>();
        List<Thread> getters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            getters.add(Thread.ofPlatform().start(() -> {
                started.countDown();
                for (int i = id * perThread; i < (id + 1) * perThread; i++) {
                    Future<Integer> f = futures.get(i);
                    try {
                        outcomes.set(i, i % 2 == 0 ? f.get() : f.get(1, TimeUnit.DAYS));
                    } catch (ExecutionException e) {
                        outcomes.set(i, e.getCause());
                    } catch (CancellationException e) {
                        outcomes.set(i, "cancelled");
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            }));
        }
        Object[] expected = new Object[futures.size()];
        loop.runUntilComplete(() -> {
            Aio.toThread(() -> {
                started.await();
                return null;
            });
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                order.add(i);
            }
            var random = new java.util.Random(seed);
            java.util.Collections.shuffle(order, random);
            for (int i : order) {
                switch (random.nextInt(3)) {
                    case 0 -> futures.get(i).setResult(i);
                    case 1 -> futures.get(i).setException(new IllegalStateException("future " + i));
                    default -> futures.get(i).cancel();
                }
                expected[i] = futures.get(i).isCancelled() ? "cancelled"
                        : futures.get(i).peekException() != null ? futures.get(i).peekException() : (Object) i;
                if (i % 64 == 0) {
                    Aio.sleep(0);
                }
            }
            return null;
        });
        for (Thread g : getters) {
            g.join();
        }
        loop.close();
        assertThat(failures).as("seed %d", seed).isEmpty();
        for (int i = 0; i < futures.size(); i++) {
            assertThat(outcomes.get(i)).as("future %d, seed %d", i, seed).isEqualTo(expected[i]);
        }
        assertThat(loop.blockedGets.isEmpty()).isTrue();
    }

    @Test
    void getOnAForeignThreadReturnsWhenCloseCancelsTheTaskItWaitsFor() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        Task<String> sleeper = loop.createTask(() -> {
            Aio.sleep(3600);
            return "woke";
        });
        var outcome = new AtomicReference<Object>();
        Thread waiter = blockedGet(sleeper, outcome);
        loop.runUntilComplete(() -> {
            Aio.toThread(() -> {
                awaitBlocked(waiter);
                return null;
            });
            Aio.sleep(0); // the waiter has registered by now
            return null;
        });
        loop.close(); // cancels the sleeper: the thread blocked in get() must see it
        waiter.join(TimeUnit.SECONDS.toMillis(10));
        try {
            assertThat(sleeper.isCancelled()).isTrue();
            assertThat(waiter.isAlive()).as("get() still blocked on a cancelled task").isFalse();
            assertThat(outcome.get()).isInstanceOf(CancellationException.class);
        } finally {
            waiter.interrupt();
        }
    }

    @Test
    void getOnAForeignThreadWhileTheLoopIsIdleReturnsWhenCloseCancelsTheTask() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        Task<String> never = loop.createTask(() -> "not started");
        var outcome = new AtomicReference<Object>();
        Thread waiter = blockedGet(never, outcome);
        awaitBlocked(waiter);
        loop.close(); // the task never ran: close cancels it
        waiter.join(TimeUnit.SECONDS.toMillis(10));
        try {
            assertThat(never.isCancelled()).isTrue();
            assertThat(waiter.isAlive()).as("get() still blocked on a cancelled task").isFalse();
            assertThat(outcome.get()).isInstanceOf(CancellationException.class);
        } finally {
            waiter.interrupt();
        }
    }

    @Test
    void timedOutOrInterruptedGetsOnAForeignThreadLeaveNothingOnTheFuture() throws Exception {
        var field = Future.class.getDeclaredField("callbacks");
        field.setAccessible(true);
        Object left = TestLoops.runVirtual(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            Aio.toThread(() -> {
                for (int i = 0; i < 50; i++) {
                    try {
                        f.get(1, TimeUnit.MILLISECONDS);
                    } catch (TimeoutException expected) {
                        // polled again
                    }
                }
                Thread.currentThread().interrupt();
                try {
                    f.get();
                } catch (InterruptedException expected) {
                    // given up
                }
                return null;
            });
            Aio.sleep(0); // whatever the gets posted has run
            assertThat(Aio.getRunningLoop().blockedGets.isEmpty()).as("latches of get() calls that returned").isTrue();
            Object callbacks = field.get(f);
            f.setResult("done");
            return callbacks;
        });
        assertThat(left).as("registrations left by get() calls that returned").isNull();
    }

    @Test
    void getOnAForeignThreadWrapsAsJavaFutureSays() throws Exception {
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> failed = loop.createFuture();
            Future<String> cancelled = loop.createFuture();
            Future<String> slow = loop.createFuture();
            failed.setException(new IllegalArgumentException("bad"));
            cancelled.cancel("why");
            Aio.toThread(() -> {
                assertThatThrownBy(failed::get).isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(cancelled::get).isInstanceOf(CancellationException.class).hasMessage("why");
                assertThatThrownBy(() -> slow.get(5, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
                return null;
            });
            assertThat(slow.isDone()).isFalse();
            slow.setResult("ok");
            return null;
        });
    }

    @Test
    void aWrappedCompletableFutureCancelledLaterEndsCancelled() throws Exception {
        TestLoops.runVirtual(() -> {
            var cf = new CompletableFuture<String>();
            Future<String> wrapped = Aio.getRunningLoop().wrapFuture(cf);
            Aio.toThread(() -> cf.cancel(true));
            assertThatThrownBy(wrapped::await).isInstanceOf(CancellationException.class);
            // as asyncio's wrap_future (wrapped.cancelled() is True), and as the already-cancelled case here
            assertThat(wrapped.isCancelled()).isTrue();
            assertThat(wrapped.state()).isEqualTo(java.util.concurrent.Future.State.CANCELLED);
            assertThatThrownBy(wrapped::get).isInstanceOf(CancellationException.class);

            var early = new CompletableFuture<String>();
            early.cancel(true);
            assertThat(Aio.getRunningLoop().wrapFuture(early).isCancelled()).isTrue();
            return null;
        });
    }

    /** A CompletableFuture's minimalCompletionStage() refuses isDone(): wrapping one must not throw. */
    @Test
    void aMinimalCompletionStageCanBeWrappedAndAwaited() throws Exception {
        String got = TestLoops.runVirtual(() -> {
            var cf = new CompletableFuture<String>();
            Future<String> wrapped = Aio.getRunningLoop().wrapFuture(cf.minimalCompletionStage());
            Aio.toThread(() -> cf.complete("value"));
            return wrapped.await();
        });
        assertThat(got).isEqualTo("value");
    }

    /** A cancelled wrapped stage that the cancel cannot reach no longer holds the virtual clock (found by a review). */
    /**
     * A wrapped stage whose cancel throws (a misbehaving CompletableFuture subclass): the failure goes to the exception
     * handler, and the stage, which nothing of the loop waits for any more, no longer holds the virtual clock. The
     * cancel threw in the wrapper's done callback before it took the stage out of the calls in flight, so the clock
     * never jumped again (here: until the test's timeout).
     */
    /**
     * In a task of a virtual-clock loop: wraps {@code stage}, cancels a task awaiting the wrapped future, checks both
     * ended cancelled, then sleeps 10 s; returns the loop's time after the sleep (10.0 if the clock could jump).
     */
    private static double cancelAWaiterThenSleep(java.util.concurrent.CompletionStage<String> stage) {
        Future<String> wrapped = Aio.getRunningLoop().wrapFuture(stage);
        Task<String> waiter = Aio.createTask(() -> wrapped.await());
        Aio.sleep(0);
        waiter.cancel();
        assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
        assertThat(wrapped.isCancelled()).isTrue();
        Aio.sleep(10); // the clock jumps: nothing of the loop is in flight any more
        return Aio.getRunningLoop().time();
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aCancelledWrappedStageWhoseCancelThrowsNoLongerHoldsTheVirtualClock() throws Exception {
        var broken = new CompletableFuture<String>() { // never completes
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                throw new IllegalStateException("cancel broke");
            }
        };
        List<ExceptionContext> errors = new java.util.ArrayList<>();
        double woke = TestLoops.runVirtual(errors, () -> cancelAWaiterThenSleep(broken));
        assertThat(woke).isEqualTo(10.0);
        assertThat(errors).singleElement().satisfies(e -> assertThat(e.exception()).hasMessage("cancel broke"));
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aCancelledWrappedStageThatIgnoresTheCancelNoLongerHoldsTheVirtualClock() throws Exception {
        var original = new CompletableFuture<String>(); // never completes
        double woke = TestLoops.runVirtual(() -> cancelAWaiterThenSleep(original.minimalCompletionStage()));
        assertThat(woke).isEqualTo(10.0);
        assertThat(original.isDone()).as("a copy's cancel does not reach the original").isFalse();
    }

    @Test
    void addDoneCallbackToADoneFutureOfAClosedLoopIsRefused() {
        var loop = new EventLoop();
        Future<String> f = loop.createFuture();
        f.setResult("x");
        loop.close();
        // asyncio: add_done_callback on a done future calls call_soon, which raises RuntimeError('Event loop is
        // closed'); the Javadoc says the callback is scheduled with callSoon, which throws IllegalStateException.
        assertThatThrownBy(() -> f.addDoneCallback(done -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
