package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class FutureTest {

    @Test
    void resultAndStateTransitions() {
        try (var loop = new EventLoop()) {
            Future<String> f = loop.createFuture();
            assertThat(f.isDone()).isFalse();
            assertThat(f.state()).isEqualTo(java.util.concurrent.Future.State.RUNNING);
            assertThatThrownBy(f::result).isInstanceOf(InvalidStateException.class)
                    .hasMessageStartingWith("Result is not ready");
            assertThatThrownBy(f::exception).isInstanceOf(InvalidStateException.class);
            f.setResult("x");
            assertThat(f.result()).isEqualTo("x");
            assertThat(f.exception()).isNull();
            assertThat(f.state()).isEqualTo(java.util.concurrent.Future.State.SUCCESS);
            assertThatThrownBy(() -> f.setResult("y")).isInstanceOf(InvalidStateException.class)
                    .hasMessageContaining("setResult on a future that is already done");
            assertThatThrownBy(() -> f.setException(new RuntimeException()))
                    .isInstanceOf(InvalidStateException.class);
            assertThat(f.cancel()).isFalse();
            assertThat(f.result()).isEqualTo("x");
        }
    }

    @Test
    void exceptionsComeBackAsTheyWere() {
        try (var loop = new EventLoop()) {
            Future<String> unchecked = loop.createFuture();
            var iae = new IllegalArgumentException("bad");
            unchecked.setException(iae);
            assertThatThrownBy(unchecked::result).isSameAs(iae);
            assertThat(unchecked.exception()).isSameAs(iae);

            Future<String> checked = loop.createFuture();
            var io = new java.io.IOException("io");
            checked.setException(io);
            assertThatThrownBy(checked::result).isInstanceOf(CompletionException.class).hasCause(io);
            assertThatThrownBy(checked::get).isInstanceOf(ExecutionException.class).hasCause(io);
            assertThatThrownBy(() -> checked.setException(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("exception must not be null");
        }
    }

    @Test
    void cancelledFutures() {
        try (var loop = new EventLoop()) {
            Future<String> f = loop.createFuture();
            assertThat(f.cancel("why")).isTrue();
            assertThat(f.isCancelled()).isTrue();
            assertThat(f.cancel()).isFalse();
            assertThatThrownBy(f::result).isInstanceOf(CancellationException.class).hasMessage("why");
            assertThatThrownBy(f::exception).isInstanceOf(CancellationException.class);
            assertThatThrownBy(f::get).isInstanceOf(CancellationException.class);
            assertThat(f.state()).isEqualTo(java.util.concurrent.Future.State.CANCELLED);
            assertThatThrownBy(() -> f.setResult("late")).isInstanceOf(InvalidStateException.class);
        }
    }

    @Test
    void doneCallbacksAreScheduledNotRunInlineAndRunInCompletionOrder() throws Exception {
        List<String> seen = new ArrayList<>();
        Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> a = loop.createFuture();
            Future<String> b = loop.createFuture();
            a.addDoneCallback(f -> seen.add("a1:" + f.result()));
            b.addDoneCallback(f -> seen.add("b:" + f.result()));
            a.addDoneCallback(f -> seen.add("a2:" + f.result()));
            b.setResult("B");
            a.setResult("A");
            seen.add("set both");
            Future<String> done = loop.createFuture();
            done.setResult("D");
            done.addDoneCallback(f -> seen.add("late:" + f.result()));
            seen.add("added late");
            Aio.sleep(0);
            return null;
        });
        assertThat(seen).containsExactly("set both", "added late", "b:B", "a1:A", "a2:A", "late:D");
    }

    @Test
    void removeDoneCallbackRemovesEveryRegistration() throws Exception {
        List<String> seen = new ArrayList<>();
        Aio.run(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            java.util.function.Consumer<Future<String>> cb = x -> seen.add("removed");
            f.addDoneCallback(cb);
            f.addDoneCallback(x -> seen.add("kept"));
            f.addDoneCallback(cb);
            assertThat(f.removeDoneCallback(cb)).isEqualTo(2);
            // as addDoneCallback(null) is refused, so is its removal: a null there is a caller's mistake
            assertThatThrownBy(() -> f.removeDoneCallback(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("callback must not be null");
            f.setResult("r");
            Aio.sleep(0);
            return null;
        });
        assertThat(seen).containsExactly("kept");
    }

    @Test
    void awaitingADoneFutureDoesNotSuspend() throws Exception {
        List<String> seen = new ArrayList<>();
        Aio.run(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            f.setResult("ready");
            Aio.createTask(() -> seen.add("other task"));
            seen.add(f.await());
            seen.add("still first");
            Aio.sleep(0);
            return null;
        });
        assertThat(seen).containsExactly("ready", "still first", "other task");
    }

    @Test
    void awaitOutsideATaskIsRefused() {
        try (var loop = new EventLoop()) {
            Future<String> f = loop.createFuture();
            assertThatThrownBy(f::await).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("must be called from a task of a running event loop");
        }
    }

    @Test
    void getBlocksAThreadOutsideTheLoopUntilDone() throws Exception {
        try (var loop = new EventLoop()) {
            Future<String> f = loop.createFuture();
            String[] got = new String[1];
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    got[0] = f.get();
                } catch (Exception e) {
                    got[0] = e.toString();
                }
            });
            loop.runUntilComplete(() -> {
                // Let the waiter register, then complete the future.
                Aio.toThread(() -> {
                    while (waiter.getState() != Thread.State.WAITING) {
                        Thread.onSpinWait();
                    }
                    return null;
                });
                f.setResult("done");
                Aio.toThread(() -> {
                    waiter.join();
                    return null;
                });
                return null;
            });
            assertThat(got[0]).isEqualTo("done");
        }
    }

    @Test
    @Timeout(60) // a guard: without the release the two threads stay blocked for ever (the old code's behaviour)
    void aThreadBlockedInGetIsReleasedWhenTheLoopClosesWithTheFutureStillPending() throws Exception {
        var loop = new EventLoop();
        Future<String> f = loop.createFuture();
        Throwable[] got = new Throwable[2];
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                f.get();
            } catch (Throwable e) {
                got[0] = e;
            }
        });
        Thread timedWaiter = Thread.ofPlatform().start(() -> {
            try {
                f.get(1, TimeUnit.DAYS);
            } catch (Throwable e) {
                got[1] = e;
            }
        });
        while (waiter.getState() != Thread.State.WAITING || timedWaiter.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait(); // both blocked in get(): the close must release them, or the joins below never end
        }
        loop.close();
        waiter.join();
        timedWaiter.join();
        assertThat(got).allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Event loop closed while a thread waited: nothing can complete"));
    }

    @Test
    void getWithTimeoutInATaskDoesNotCancel() throws Exception {
        Boolean cancelled = TestLoops.runVirtual(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(1.0);
            f.setResult("x");
            assertThat(f.get(1, TimeUnit.SECONDS)).isEqualTo("x");
            return f.isCancelled();
        });
        assertThat(cancelled).isFalse();
    }

    @Test
    void unretrievedExceptionIsReportedWhenTheLoopCloses() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var boom = new IllegalStateException("nobody looked at me");
        TestLoops.runVirtual(errors, () -> {
            Aio.createTask(() -> {
                throw boom;
            }, "forgotten");
            Task<?> retrieved = Aio.createTask(() -> {
                throw new IllegalStateException("looked at");
            });
            Aio.sleep(1);
            assertThat(retrieved.exception()).hasMessage("looked at");
            return null;
        });
        assertThat(errors).singleElement().satisfies(c -> {
            assertThat(c.message()).isEqualTo("Task exception was never retrieved");
            assertThat(c.exception()).isSameAs(boom);
            assertThat(((Task<?>) c.future()).getName()).isEqualTo("forgotten");
            assertThat(c.describe()).contains("created by task Task-1");
        });
    }

    @Test
    void debugModeRecordsWhereATaskWasCreated() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        Aio.run(() -> EventLoop.builder().debug(true).exceptionHandler((l, c) -> errors.add(c)).build(), () -> {
            Aio.createTask(() -> {
                throw new IllegalStateException("x");
            });
            Aio.sleep(0);
            return null;
        });
        assertThat(errors).singleElement().satisfies(c ->
                assertThat(c.describe()).contains("created at:").contains("FutureTest.lambda$debugMode"));
    }

    /**
     * asyncio's {@code Future} keeps {@code _source_traceback} in debug mode, and its "exception was never retrieved"
     * report carries it: a plain future's report named no line at all, where a task's names the line that created
     * it. In debug mode each public way to a future records its creation site (the user frames calling
     * {@code createFuture}, {@code runInExecutor}, {@code wrapFuture}, {@code gather}); outside it, nothing.
     */
    @Test
    void debugModeRecordsWhereAFutureWasCreatedAndItsNeverRetrievedReportSaysSo() throws Exception {
        for (boolean debug : new boolean[] {true, false}) {
            List<ExceptionContext> errors = new ArrayList<>();
            Aio.run(() -> EventLoop.builder().debug(debug).exceptionHandler((l, c) -> errors.add(c)).build(), () -> {
                EventLoop loop = Aio.getRunningLoop();
                loop.<Void>createFuture().setException(new IllegalStateException("made"));
                Future<Void> offloaded = loop.runInExecutor(null, () -> {
                    throw new IllegalStateException("offloaded");
                });
                loop.wrapFuture(java.util.concurrent.CompletableFuture.failedFuture(
                        new IllegalStateException("wrapped")));
                Future<List<Object>> gathered = Aio.gather(Aio.createTask(() -> {
                    throw new IllegalStateException("gathered");
                }));
                Aio.wait(List.of(offloaded, gathered)); // retrieves nothing
                return null;
            });
            assertThat(errors).as("debug=" + debug).hasSize(4).allSatisfy(c -> {
                assertThat(c.message()).isEqualTo("Future exception was never retrieved");
                if (debug) {
                    assertThat(c.describe()).as(c.exception().getMessage()).contains("\ncreated at:\n\tat "
                            + "org.aio4j.FutureTest.lambda$debugModeRecordsWhereAFutureWasCreatedAndItsNever");
                } else {
                    assertThat(c.describe()).doesNotContain("created at");
                }
            });
            assertThat(errors).extracting(c -> c.exception().getMessage())
                    .containsExactlyInAnyOrder("made", "offloaded", "wrapped", "gathered");
        }
    }

    @Test
    void toStringShowsState() {
        try (var loop = new EventLoop()) {
            Future<String> f = loop.createFuture();
            assertThat(f).hasToString("Future[pending]");
            f.setResult("r");
            assertThat(f).hasToString("Future[finished result=r]");
        }
    }

    @Test
    void getWithATimeoutRaisesTheCallersCancellationEvenIfTheTimeoutComesFirst() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> inner = Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } catch (CancellationException e) {
                    Aio.sleep(5); // a slow clean-up: still running when the caller's timeout fires
                    throw e;
                }
                return "x";
            });
            Task<Void> caller = Aio.createTask(() -> {
                try {
                    inner.get(1, TimeUnit.SECONDS);
                    log.add("got");
                } catch (TimeoutException e) {
                    log.add("timed out");
                } catch (CancellationException e) {
                    log.add("cancelled at " + Aio.getRunningLoop().time());
                    throw e;
                }
            });
            Aio.sleep(0.5);
            caller.cancel();
            assertThatThrownBy(caller::await).isInstanceOf(CancellationException.class);
            assertThatThrownBy(inner::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(log).containsExactly("cancelled at 1.0");
    }
    /** state() tells a failed future from one with a result (java.util.concurrent.Future.State). */
    @Test
    void stateIsFailedForAFutureWithAnException() {
        try (var loop = new EventLoop()) {
            Future<String> f = loop.createFuture();
            f.setException(new IllegalStateException("x"));
            assertThat(f.state()).isEqualTo(java.util.concurrent.Future.State.FAILED);
            f.exception();
        }
    }

    /**
     * resultNow() answers only for a future with a result and exceptionNow() only for one with an exception (as the
     * JDK's Future says); exceptionNow() counts as retrieving the exception, which is then not reported.
     */
    @Test
    void resultNowAndExceptionNowAnswerOnlyForTheirOutcome() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var boom = new IllegalStateException("boom");
        TestLoops.runVirtual(errors, () -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> pending = loop.createFuture();
            Future<String> succeeded = loop.createFuture();
            succeeded.setResult("r");
            Future<String> failed = loop.createFuture();
            failed.setException(boom);
            Future<String> cancelled = loop.createFuture();
            cancelled.cancel();
            for (Future<String> f : List.of(pending, failed, cancelled)) {
                assertThatThrownBy(f::resultNow).as(f.toString()).isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("Future did not complete with a result");
            }
            assertThat(succeeded.resultNow()).isEqualTo("r");
            for (Future<String> f : List.of(pending, succeeded, cancelled)) {
                assertThatThrownBy(f::exceptionNow).as(f.toString()).isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("Future did not complete with an exception");
            }
            assertThat(failed.exceptionNow()).isSameAs(boom);
            return null;
        });
        assertThat(errors).as("exceptionNow() retrieved it").isEmpty();
    }

    /**
     * get(timeout): a timeout of 0 is allowed (a negative one is refused), a pending future times out without being
     * cancelled, a future done in time gives its result, and a done future answers even once its loop is closed.
     */
    @Test
    void getWithATimeoutOutsideTheLoop() throws Exception {
        Future<String> done;
        try (var loop = new EventLoop()) {
            Future<String> pending = loop.createFuture();
            assertThatThrownBy(() -> pending.get(-1, TimeUnit.SECONDS))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be >= 0, got -1");
            assertThatThrownBy(() -> pending.get(0, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class)
                    .hasMessageStartingWith("Future not done after 0 SECONDS");
            assertThat(pending.isCancelled()).isFalse();
            done = loop.createFuture();
            done.setResult("r");
            assertThat(done.get(0, TimeUnit.SECONDS)).isEqualTo("r");
            pending.cancel();
        }
        assertThat(done.get(0, TimeUnit.SECONDS)).isEqualTo("r");
        assertThat(done.get()).isEqualTo("r");
    }

    /** A callback of the loop may get() a future that is done: nothing to wait for (only a pending one is refused). */
    @Test
    void getOfADoneFutureWorksInACallbackOfTheLoop() throws Exception {
        List<Object> seen = new ArrayList<>();
        Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> done = loop.createFuture();
            done.setResult("r");
            Future<String> pending = loop.createFuture();
            loop.callSoon(() -> {
                try {
                    seen.add(done.get());
                    seen.add(done.get(0, TimeUnit.SECONDS));
                    pending.get();
                } catch (Exception e) {
                    seen.add(e.getClass().getSimpleName());
                }
            });
            Aio.sleep(0);
            return null;
        });
        assertThat(seen).containsExactly("r", "r", "IllegalStateException");
    }

    /** In a task, get() and get(timeout) suspend the task (other tasks run) until the future is done in time. */
    @Test
    void getInATaskSuspendsUntilTheFutureIsDone() throws Exception {
        TestLoops.runVirtual(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            Aio.createTask(() -> {
                Aio.sleep(0.5);
                f.setResult("set by another task");
            });
            assertThat(f.get(1, TimeUnit.SECONDS)).isEqualTo("set by another task");
            assertThat(Aio.getRunningLoop().time()).isEqualTo(0.5);
            Future<String> g = Aio.getRunningLoop().createFuture();
            Aio.createTask(() -> g.setResult("again"));
            assertThat(g.get()).isEqualTo("again");
            return null;
        });
    }

    /**
     * removeDoneCallback() returns how many registrations it removed, also when the callback is the only one (or is
     * not there), and also for a callback added while a ContextVar had a value (kept with that context).
     */
    @Test
    void removeDoneCallbackCountsWhatItRemoved() throws Exception {
        var request = new ContextVar<String>("request");
        List<String> seen = new ArrayList<>();
        Aio.run(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            java.util.function.Consumer<Future<String>> cb = x -> seen.add("removed");
            java.util.function.Consumer<Future<String>> other = x -> seen.add("other");
            f.addDoneCallback(cb);
            assertThat(f.removeDoneCallback(other)).isZero();
            assertThat(f.removeDoneCallback(cb)).isEqualTo(1);
            assertThat(f.removeDoneCallback(cb)).isZero();
            request.set("r1");
            f.addDoneCallback(cb);
            assertThat(f.removeDoneCallback(cb)).as("added with a context").isEqualTo(1);
            f.addDoneCallback(x -> seen.add("kept, in context " + request.get()));
            f.setResult("r");
            Aio.sleep(0);
            return null;
        });
        assertThat(seen).containsExactly("kept, in context r1");
    }

    /** toString() shows a cancellation's message and an exception, and abbreviates a result longer than 60 chars. */
    @Test
    void toStringShowsCancellationExceptionAndLongResults() {
        try (var loop = new EventLoop()) {
            Future<String> cancelled = loop.createFuture();
            cancelled.cancel("why");
            assertThat(cancelled).hasToString("Future[cancelled message=why]");
            Future<String> plain = loop.createFuture();
            plain.cancel();
            assertThat(plain).hasToString("Future[cancelled]");
            Future<String> failed = loop.createFuture();
            failed.setException(new IllegalStateException("bad"));
            assertThat(failed).hasToString("Future[finished exception=java.lang.IllegalStateException: bad]");
            failed.exception();
            String sixty = "x".repeat(60);
            Future<String> fits = loop.createFuture();
            fits.setResult(sixty);
            assertThat(fits).hasToString("Future[finished result=" + sixty + "]");
            Future<String> tooLong = loop.createFuture();
            tooLong.setResult(sixty + "y");
            assertThat(tooLong).hasToString("Future[finished result=" + "x".repeat(57) + "...]");
        }
    }

    /**
     * A future is a loop object: another thread that changes it while the loop runs is refused with an
     * IllegalStateException naming the operation, and the future is unchanged.
     */
    @Test
    void changingAFutureFromAnotherThreadWhileItsLoopRunsIsRefused() throws Exception {
        List<String> refused = new ArrayList<>();
        Aio.run(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            java.util.function.Consumer<Future<String>> cb = x -> { };
            f.addDoneCallback(cb);
            Future<List<String>> gathered = Aio.gather(f);
            List<Runnable> calls = List.of(() -> f.setResult("x"), () -> f.setException(new RuntimeException()),
                    () -> f.cancel(), () -> f.addDoneCallback(cb), () -> f.removeDoneCallback(cb),
                    () -> gathered.cancel());
            refused.addAll(FromAnotherThread.refused(calls));
            assertThat(f.isDone()).isFalse();
            assertThat(f.removeDoneCallback(cb)).as("neither added nor removed by the other thread").isEqualTo(1);
            f.setResult("r");
            assertThat(gathered.await()).containsExactly("r");
            return null;
        });
        assertThat(refused).containsExactly("Future.setResult", "Future.setException", "Future.cancel",
                "Future.addDoneCallback", "Future.removeDoneCallback", "Future.cancel");
    }

    /** A callback added to a done future whose loop is closed could never run: refused, not silently dropped. */
    @Test
    void addingADoneCallbackToADoneFutureOfAClosedLoopIsRefused() {
        Future<String> f;
        try (var loop = new EventLoop()) {
            f = loop.createFuture();
            f.setResult("r");
        }
        assertThatThrownBy(() -> f.addDoneCallback(x -> { })).isInstanceOf(IllegalStateException.class);
    }
}
