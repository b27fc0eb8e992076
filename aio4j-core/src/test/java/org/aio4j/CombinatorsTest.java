package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** gather, wait, asCompleted, waitFor, shield: asyncio's tasks.py combinators. */
class CombinatorsTest {

    private static Coroutine<String> after(double seconds, String value, List<String> log) {
        return () -> {
            Aio.sleep(seconds);
            log.add(value);
            return value;
        };
    }

    @Test
    void gatherReturnsResultsInArgumentOrder() throws Exception {
        List<String> finished = new ArrayList<>();
        List<String> results = TestLoops.runVirtual(() ->
                Aio.gather(after(3, "a", finished), after(1, "b", finished), after(2, "c", finished)).await());
        assertThat(results).containsExactly("a", "b", "c");
        assertThat(finished).containsExactly("b", "c", "a");
    }

    @Test
    void gatherOfNothingIsAnEmptyList() throws Exception {
        List<Object> r = TestLoops.runVirtual(() -> Aio.gather(List.<Future<Object>>of()).await());
        assertThat(r).isEmpty();
    }

    @Test
    void gatherFailsAsSoonAsAChildFailsWhileTheOthersKeepRunning() throws Exception {
        List<String> log = new ArrayList<>();
        var boom = new IllegalStateException("child 2 failed");
        TestLoops.runVirtual(() -> {
            Task<String> slow = Aio.createTask(after(10, "slow", log));
            Task<String> failing = Aio.createTask(() -> {
                Aio.sleep(1);
                throw boom;
            });
            assertThatThrownBy(() -> Aio.gather(slow, failing).await()).isSameAs(boom);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(1.0);
            assertThat(slow.isDone()).isFalse();
            assertThat(slow.await()).isEqualTo("slow");
            return null;
        });
        assertThat(log).containsExactly("slow");
    }

    @Test
    void gatherWithExceptionsPutsThemInPlace() throws Exception {
        var boom = new IllegalArgumentException("bad");
        List<Object> r = TestLoops.runVirtual(() -> {
            Task<String> ok = Aio.createTask(() -> "ok");
            Task<String> bad = Aio.createTask(() -> {
                throw boom;
            });
            Task<String> cancelled = Aio.createTask(() -> {
                Aio.sleep(5);
                return "never";
            });
            Aio.sleep(0);
            cancelled.cancel("no");
            return Aio.gatherWithExceptions(ok, bad, cancelled).await();
        });
        assertThat(r.get(0)).isEqualTo("ok");
        assertThat(r.get(1)).isSameAs(boom);
        assertThat(r.get(2)).isInstanceOf(CancellationException.class).hasFieldOrPropertyWithValue("message", "no");
    }

    @Test
    void cancellingTheGatherCancelsItsChildren() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<String> a = Aio.createTask(after(5, "a", new ArrayList<>()));
            Task<String> b = Aio.createTask(after(5, "b", new ArrayList<>()));
            Future<List<String>> g = Aio.gather(a, b);
            Aio.sleep(1);
            assertThat(g.cancel()).isTrue();
            assertThatThrownBy(g::await).isInstanceOf(CancellationException.class);
            assertThat(a.isCancelled()).isTrue();
            assertThat(b.isCancelled()).isTrue();
            assertThat(g.isCancelled()).isTrue();
            return null;
        });
    }

    /**
     * asyncio's _GatheringFuture.cancel(): it returns whether it cancelled a child. A gather whose children are all
     * done, their done callbacks not yet run, cancels nothing: cancel() is false and the gather ends with the
     * results. A gather that already ended (a child failed) is not cancelled again, nor are its pending children.
     */
    @Test
    void cancellingAGatherThatHasNothingLeftToCancelReturnsFalseAndChangesNothing() throws Exception {
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> a = loop.createFuture();
            Future<List<String>> g = Aio.gather(a);
            a.setResult("a");                       // the gather's callback is queued, not run
            assertThat(g.isDone()).isFalse();
            assertThat(g.cancel()).isFalse();
            assertThat(g.await()).containsExactly("a");

            var boom = new IllegalStateException("boom");
            Future<String> failing = loop.createFuture();
            Future<String> pending = loop.createFuture();
            Future<List<String>> failed = Aio.gather(failing, pending);
            failing.setException(boom);
            Aio.sleep(0);
            assertThat(failed.cancel()).isFalse();
            assertThat(pending.isCancelled()).as("the sibling the failed gather left running").isFalse();
            assertThatThrownBy(failed::await).isSameAs(boom);
            pending.setResult("p");
            return null;
        });
    }

    /**
     * A child cancelled by someone else than the gather fails the gather with a CancellationException (asyncio's
     * set_exception(CancelledError)): the gather is done but not cancelled(). Only a gather that was itself cancelled
     * ends cancelled.
     */
    @Test
    void aChildCancelledFromOutsideFailsTheGatherWithoutCancellingIt() throws Exception {
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> a = loop.createFuture();
            Future<String> b = loop.createFuture();
            Future<List<String>> g = Aio.gather(a, b);
            a.cancel("by someone else");
            Aio.sleep(0);
            assertThat(g.isDone()).isTrue();
            assertThat(g.isCancelled()).isFalse();
            assertThat(g.state()).isEqualTo(java.util.concurrent.Future.State.FAILED);
            assertThatThrownBy(g::await).isInstanceOf(CancellationException.class).hasMessage("by someone else");
            assertThat(b.isCancelled()).isFalse();
            b.setResult("b");
            return null;
        });
    }

    /** A gather's toString() tells its state and how many of its children are done. */
    @Test
    void aGathersToStringCountsItsChildrenDone() throws Exception {
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Future<String> a = loop.createFuture();
            Future<String> b = loop.createFuture();
            Future<List<String>> g = Aio.gather(a, b);
            a.setResult("a");
            Aio.sleep(0);
            assertThat(g).hasToString("GatheringFuture[pending, 1/2 children done]");
            b.setResult("b");
            Aio.sleep(0);
            assertThat(g).hasToString("GatheringFuture[finished result=[a, b], 2/2 children done]");
            return null;
        });
    }

    @Test
    void cancellingTheTaskAwaitingAGatherCancelsTheChildren() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<String> a = Aio.createTask(after(5, "a", new ArrayList<>()));
            Task<List<String>> waiter = Aio.createTask(() -> Aio.gather(a).await());
            Aio.sleep(1);
            waiter.cancel();
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(a.isCancelled()).isTrue();
            return null;
        });
    }

    @Test
    void waitThrowsNoCheckedExceptionSoItCanBeCalledWhereNoneIsAllowed() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<String> task = Aio.createTask(after(1, "x", new ArrayList<>()));
            Supplier<WaitResult<Task<String>>> waitForIt = () -> Aio.wait(List.of(task), Duration.ofSeconds(5),
                    ReturnWhen.ALL_COMPLETED);
            assertThat(waitForIt.get().done()).containsExactly(task);
            return null;
        });
    }

    @Test
    void waitAllCompletedReturnsDoneSets() throws Exception {
        TestLoops.runVirtual(() -> {
            List<Future<String>> fs = List.of(Aio.createTask(after(2, "x", new ArrayList<>())),
                    Aio.createTask(after(1, "y", new ArrayList<>())));
            var r = Aio.wait(fs);
            assertThat(r.done()).containsExactlyElementsOf(fs);
            assertThat(r.pending()).isEmpty();
            assertThat(Aio.getRunningLoop().time()).isEqualTo(2.0);
            return null;
        });
    }

    @Test
    void waitAndAsCompletedTakeFuturesOfDifferentResultTypesAndGiveBackTheirOwnType() throws Exception {
        // asyncio's wait(fs) takes any awaitables: a server's task and the task waiting for its stop event, say. With
        // wait(Collection<? extends Future<T>>) such a list did not compile (no T fits both), and tasks came back as
        // Future<T>, so a Task's name or cancelling() needed a cast.
        TestLoops.runVirtual(() -> {
            Event stop = new Event();
            Task<String> server = Aio.createTask(after(10, "served", new ArrayList<>()), "server");
            Task<Void> stopped = Aio.createTask(stop::await, "stopped");
            Aio.getRunningLoop().callLater(1, stop::set);
            WaitResult<Task<?>> r = Aio.wait(List.of(server, stopped), ReturnWhen.FIRST_COMPLETED);
            assertThat(r.done()).containsExactly(stopped);
            assertThat(r.pending()).containsExactly(server);
            assertThat(r.done().iterator().next().getName()).isEqualTo("stopped");
            List<String> names = new ArrayList<>();
            for (Task<?> t : Aio.asCompleted(List.of(server, stopped))) {
                names.add(t.getName() + "=" + t.result());
            }
            assertThat(names).containsExactly("stopped=null", "server=served");
            return null;
        });
    }

    @Test
    void waitFirstCompletedAndFirstException() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<String> fast = Aio.createTask(after(1, "fast", new ArrayList<>()));
            Task<String> slow = Aio.createTask(after(3, "slow", new ArrayList<>()));
            var first = Aio.wait(List.of(fast, slow), ReturnWhen.FIRST_COMPLETED);
            assertThat(first.done()).containsExactly(fast);
            assertThat(first.pending()).containsExactly(slow);

            Task<String> failsLater = Aio.createTask(() -> {
                Aio.sleep(1);
                throw new IllegalStateException("x");
            });
            Task<String> cancelledFirst = Aio.createTask(after(10, "c", new ArrayList<>()));
            Aio.sleep(0);
            cancelledFirst.cancel();
            var exc = Aio.wait(List.of(slow, failsLater, cancelledFirst), ReturnWhen.FIRST_EXCEPTION);
            // A cancellation does not count as an exception; the failure at t=2 does.
            assertThat(exc.done()).containsExactly(failsLater, cancelledFirst);
            assertThat(exc.pending()).containsExactly(slow);
            assertThat(failsLater.exception()).hasMessage("x");
            slow.await();
            return null;
        });
    }

    /**
     * Unlike asyncio, which marks them retrieved: the failure of a child after its gather failed, and the one
     * wait(FIRST_EXCEPTION) returned for, stay the task's, and the loop reports them when nobody asks for them.
     */
    @Test
    void failuresThatGatherAndWaitDidNotDeliverAreReportedWhenNobodyRetrievesThem() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        TestLoops.runVirtual(errors, () -> {
            Task<Void> first = Aio.createTask(() -> {
                Aio.sleep(1);
                throw new IllegalStateException("first");
            });
            Task<Void> second = Aio.createTask(() -> {
                Aio.sleep(2);
                throw new IllegalStateException("after the gather failed");
            });
            assertThatThrownBy(() -> Aio.gather(first, second).await()).hasMessage("first");
            Task<Void> third = Aio.createTask(() -> {
                Aio.sleep(1);
                throw new IllegalStateException("seen by wait");
            });
            assertThat(Aio.wait(List.of(third), ReturnWhen.FIRST_EXCEPTION).done()).containsExactly(third);
            Aio.sleep(2); // the second has failed by now
            return null;
        });
        assertThat(errors).extracting(e -> e.exception().getMessage())
                .containsExactlyInAnyOrder("after the gather failed", "seen by wait");
    }

    @Test
    void waitWithATimeoutLeavesPendingTasksRunning() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> quick = Aio.createTask(after(1, "quick", log));
            Task<String> slow = Aio.createTask(after(10, "slow", log));
            var r = Aio.wait(List.of(quick, slow), Duration.ofSeconds(5), ReturnWhen.ALL_COMPLETED);
            assertThat(r.done()).containsExactly(quick);
            assertThat(r.pending()).containsExactly(slow);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(5.0);
            assertThat(slow.cancelling()).isZero();
            slow.await();
            return null;
        });
        assertThat(log).containsExactly("quick", "slow");
    }

    /** asyncio's wait(fs, timeout=t): all completed or the timeout, in seconds or as a Duration. */
    @Test
    void waitWithOnlyATimeoutWaitsForAllOrTheTimeout() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> quick = Aio.createTask(after(1, "quick", log));
            Task<String> middle = Aio.createTask(after(3, "middle", log));
            Task<String> slow = Aio.createTask(after(10, "slow", log));
            var first = Aio.wait(List.of(quick, middle, slow), 2.5);
            assertThat(first.done()).containsExactly(quick);
            assertThat(first.pending()).containsExactly(middle, slow);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(2.5);
            var second = Aio.wait(List.of(middle, slow), Duration.ofSeconds(4));
            assertThat(second.done()).containsExactly(middle);
            assertThat(second.pending()).containsExactly(slow);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(6.5);
            var last = Aio.wait(List.of(slow), Double.POSITIVE_INFINITY);
            assertThat(last.done()).containsExactly(slow);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(10.0);
            assertThatThrownBy(() -> Aio.wait(List.of(slow), (Duration) null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("timeout must not be null (wait(futures) waits without one)");
            assertThatThrownBy(() -> Aio.wait(List.of(slow), -1.0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("timeout must be a number of seconds >= 0, got -1.0");
            return null;
        });
        assertThat(log).containsExactly("quick", "middle", "slow");
    }

    @Test
    void waitRefusesBadInput() throws Exception {
        TestLoops.runVirtual(() -> {
            assertThatThrownBy(() -> Aio.wait(List.<Future<String>>of())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at least one future");
            Task<String> t = Aio.createTask(() -> "x");
            assertThatThrownBy(() -> Aio.wait(List.of(t), Duration.ofSeconds(-1), ReturnWhen.ALL_COMPLETED))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be >= 0, got PT-1S");
            assertThatThrownBy(() -> Aio.wait(List.of(t), (ReturnWhen) null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("returnWhen must not be null");
            return t.await();
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void gatherRefusesNullArgumentsByName() throws Exception {
        TestLoops.runVirtual(() -> {
            assertThatThrownBy(() -> Aio.gather((Future<Object>[]) null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("futures must not be null");
            assertThatThrownBy(() -> Aio.gather((Coroutine<Object>[]) null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("coroutines must not be null");
            assertThatThrownBy(() -> Aio.gatherWithExceptions((Future<?>[]) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("futures must not be null");
            return null;
        });
    }

    @Test
    void gatherOfCoroutinesWithANullOneStartsNone() throws Exception {
        List<String> ran = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Coroutine<String> first = () -> {
                ran.add("first");
                return "first";
            };
            assertThatThrownBy(() -> Aio.gather(first, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("gather() argument must not be null");
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            Aio.sleep(0);
            return null;
        });
        assertThat(ran).isEmpty();
    }

    @Test
    void gatherWithExceptionsOfCoroutinesRunsEachInATaskAndGivesResultsAndExceptionsInOrder() throws Exception {
        // asyncio's gather(*coros, return_exceptions=True): gather had the coroutine form, gatherWithExceptions not.
        List<String> ran = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var boom = new IllegalStateException("boom");
            List<Object> outcomes = Aio.gatherWithExceptions(after(2, "slow", ran), () -> {
                Aio.sleep(1);
                throw boom;
            }, after(1, "fast", ran)).await();
            assertThat(outcomes).containsExactly("slow", boom, "fast");
            assertThat(ran).containsExactly("fast", "slow");
            assertThatThrownBy(() -> Aio.gatherWithExceptions(after(1, "never", ran), null))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessage("gatherWithExceptions() argument must not be null");
            assertThat(Aio.allTasks()).containsExactly(Aio.currentTask());
            assertThatThrownBy(() -> Aio.gatherWithExceptions((Coroutine<?>[]) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("coroutines must not be null");
            return null;
        });
    }

    @Test
    void asCompletedYieldsInCompletionOrder() throws Exception {
        List<String> order = TestLoops.runVirtual(() -> {
            List<Future<String>> fs = new ArrayList<>();
            fs.add(Aio.createTask(after(3, "3s", new ArrayList<>())));
            fs.add(Aio.createTask(after(1, "1s", new ArrayList<>())));
            fs.add(Aio.createTask(after(2, "2s", new ArrayList<>())));
            List<String> out = new ArrayList<>();
            for (Future<String> f : Aio.asCompleted(fs)) {
                out.add(f.result() + "@" + Aio.getRunningLoop().time());
            }
            return out;
        });
        assertThat(order).containsExactly("1s@1.0", "2s@2.0", "3s@3.0");
    }

    @Test
    void asCompletedYieldsFuturesAlreadyDoneInTheOrderGiven() throws Exception {
        // asyncio takes them in a set's order, which CPython leaves unspecified: aio4j's order is the collection's
        List<String> order = TestLoops.runVirtual(() -> {
            Future<String> first = Aio.getRunningLoop().createFuture();
            Future<String> second = Aio.getRunningLoop().createFuture();
            first.setResult("completed first");
            second.setResult("completed second");
            Future<String> pending = Aio.createTask(after(1, "pending", new ArrayList<>()));
            List<String> out = new ArrayList<>();
            for (Future<String> f : Aio.asCompleted(List.of(pending, second, first))) {
                out.add(f.result());
            }
            return out;
        });
        assertThat(order).containsExactly("completed second", "completed first", "pending");
    }

    @Test
    void waitForReturnsInTime() throws Exception {
        String r = TestLoops.runVirtual(() -> Aio.waitFor(Aio.createTask(after(1, "in time", new ArrayList<>())),
                Duration.ofSeconds(2)));
        assertThat(r).isEqualTo("in time");
    }

    @Test
    void waitForCancelsOnTimeoutAndWaitsForTheTaskToFinishCleaningUp() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> slowToDie = Aio.createTask(() -> {
                try {
                    Aio.sleep(100);
                    return "never";
                } catch (CancellationException e) {
                    log.add("cleanup starts at " + Aio.getRunningLoop().time());
                    Aio.sleep(3);
                    log.add("cleanup ends at " + Aio.getRunningLoop().time());
                    throw e;
                }
            });
            assertThatThrownBy(() -> Aio.waitFor(slowToDie, Duration.ofSeconds(2)))
                    .isInstanceOf(TimeoutException.class).hasCauseInstanceOf(TimeoutCancellationException.class);
            log.add("waitFor raised at " + Aio.getRunningLoop().time());
            assertThat(slowToDie.isCancelled()).isTrue();
            assertThat(Aio.currentTask().cancelling()).isZero();
            return null;
        });
        assertThat(log).containsExactly("cleanup starts at 2.0", "cleanup ends at 5.0", "waitFor raised at 5.0");
    }

    @Test
    void waitForACoroutineRunsItInlineWithADeadline() throws Exception {
        TestLoops.runVirtual(() -> {
            Task<?> me = Aio.currentTask();
            assertThat(Aio.waitFor(() -> Aio.currentTask() == me, Duration.ofSeconds(1))).isTrue();
            assertThatThrownBy(() -> Aio.waitFor(after(5, "late", new ArrayList<>()), Duration.ofSeconds(1)))
                    .isInstanceOf(TimeoutException.class);
            assertThatThrownBy(() -> Aio.waitFor(after(5, "late", new ArrayList<>()), Duration.ZERO))
                    .isInstanceOf(TimeoutException.class);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(1.0);
            return null;
        });
    }

    /**
     * asyncio's wait_for(fut, 0) cancels fut and waits for it to end, removing its done callback in a finally. A
     * caller cancelled while it waits used to leave that callback on the future: one per call, on a task that takes
     * its time to end.
     */
    @Test
    void waitForZeroCancelledWhileTheFutureEndsLeavesNothingOnIt() throws Exception {
        var field = Future.class.getDeclaredField("callbacks");
        field.setAccessible(true);
        int left = TestLoops.runVirtual(() -> {
            Future<Void> gate = Aio.getRunningLoop().createFuture();
            Task<Void> slowToEnd = Aio.createTask(() -> {
                try (CancelShield shield = CancelShield.enter()) {
                    gate.await(); // ends only when the gate opens, however often it is cancelled
                }
            });
            int calls = 100;
            Task<Integer> caller = Aio.createTask(() -> {
                int cancelled = 0;
                for (int i = 0; i < calls; i++) {
                    try {
                        Aio.waitFor(slowToEnd, Duration.ZERO);
                    } catch (CancellationException e) {
                        cancelled++;
                        Aio.currentTask().uncancel();
                    }
                }
                return cancelled;
            });
            for (int i = 0; i < calls; i++) {
                Aio.waitAllTasksBlocked();
                caller.cancel();
            }
            assertThat(caller.await()).isEqualTo(calls);
            Object callbacks = field.get(slowToEnd); // null, one entry, or a list of them
            gate.setResult(null);
            assertThatThrownBy(slowToEnd::await).isInstanceOf(CancellationException.class);
            return callbacks == null ? 0 : callbacks instanceof List<?> list ? list.size() : 1;
        });
        assertThat(left).as("done callbacks left on the future by waitFor calls that were cancelled").isEqualTo(0);
    }

    /*
     * ev = asyncio.Event()
     * try: await asyncio.wait_for(ev.wait(), 0.1)
     * except TimeoutError: log("timed out", elapsed)
     * loop.call_later(0.5, ev.set); await asyncio.wait_for(ev.wait(), 1); log("set", elapsed)
     * CPython 3.13: timed out 0.1 | set 0.6
     */
    @Test
    void waitForTakesACoroutineWithoutAResult() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Event ev = new Event();
            try {
                Aio.waitFor(() -> ev.await(), Duration.ofMillis(100));
            } catch (TimeoutException e) {
                log.add("timed out " + loop.time());
            }
            loop.callLater(0.5, ev::set);
            Aio.waitFor(() -> ev.await(), Duration.ofSeconds(1));
            log.add("set " + loop.time());
            return null;
        });
        assertThat(log).containsExactly("timed out 0.1", "set 0.6");
    }

    /*
     * async def work(name, d): await asyncio.sleep(d); log(name, elapsed)
     * async def boom(): await asyncio.sleep(1); raise ValueError("boom")
     * log(await asyncio.gather(work("a", 2), work("b", 1)))
     * log(await asyncio.gather(work("c", 1), boom(), return_exceptions=True))
     * CPython 3.13: b 1.0 | a 2.0 | [None, None] | c 3.0 | [None, ValueError('boom')]
     */
    @Test
    void gatherTakesCoroutinesWithoutAResult() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            log.add(String.valueOf(Aio.gather(
                    () -> { Aio.sleep(2); log.add("a " + loop.time()); },
                    () -> { Aio.sleep(1); log.add("b " + loop.time()); }).await()));
            List<Object> outcomes = Aio.gatherWithExceptions(
                    () -> { Aio.sleep(1); log.add("c " + loop.time()); },
                    () -> { Aio.sleep(1); throw new IllegalStateException("boom"); }).await();
            log.add(outcomes.get(0) + ", " + ((Throwable) outcomes.get(1)).getMessage());
            return null;
        });
        assertThat(log).containsExactly("b 1.0", "a 2.0", "[null, null]", "c 3.0", "null, boom");
    }

    @Test
    void waitForWithoutTimeoutJustAwaits() throws Exception {
        String r = TestLoops.runVirtual(() -> Aio.waitFor(Aio.createTask(after(7, "x", new ArrayList<>())), null));
        assertThat(r).isEqualTo("x");
    }

    @Test
    void shieldProtectsTheInnerTaskWhenTheOuterAwaitIsCancelled() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> inner = Aio.createTask(after(5, "inner finished", log));
            Task<String> waiter = Aio.createTask(() -> Aio.shield(inner).await());
            Aio.sleep(1);
            waiter.cancel();
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(inner.isCancelled()).isFalse();
            assertThat(inner.await()).isEqualTo("inner finished");
            assertThat(Aio.getRunningLoop().time()).isEqualTo(5.0);
            return null;
        });
        assertThat(log).containsExactly("inner finished");
    }

    @Test
    void shieldPassesResultsAndErrorsThrough() throws Exception {
        TestLoops.runVirtual(() -> {
            assertThat(Aio.shield(Aio.createTask(after(1, "v", new ArrayList<>()))).await()).isEqualTo("v");
            var boom = new IllegalStateException("b");
            Task<String> failing = Aio.createTask(() -> {
                throw boom;
            });
            assertThatThrownBy(() -> Aio.shield(failing).await()).isSameAs(boom);
            return null;
        });
    }

    /*
     * async def writer():
     *     try: await asyncio.sleep(10)
     *     finally:
     *         try: await asyncio.shield(flush())         # flush(): sleep(0.05), log("flushed")
     *         except asyncio.CancelledError: log("writer cancelled during the flush"); raise
     * w = create_task(writer()); await sleep(0.01); w.cancel(); await sleep(0.01); w.cancel(); ...; await sleep(0.1)
     * CPython 3.13: writer cancelled during the flush 0.02 | flushed 0.06
     */
    @Test
    void shieldOfACoroutineRunsItInATaskThatTheCancellationOfTheAwaiterLeavesRunning() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            Task<Void> writer = Aio.createTask(() -> {
                try {
                    Aio.sleep(10);
                } finally {
                    try {
                        Aio.shield(() -> {
                            Aio.sleep(0.05);
                            log.add("flushed " + loop.time());
                        }).await();
                    } catch (CancellationException e) {
                        log.add("writer cancelled during the flush " + loop.time());
                        throw e;
                    }
                }
            });
            Aio.sleep(0.01);
            writer.cancel();
            Aio.sleep(0.01);
            writer.cancel();
            assertThatThrownBy(writer::await).isInstanceOf(CancellationException.class);
            Aio.sleep(0.1);
            assertThat(Aio.shield(() -> Aio.sleep(1, "v")).await()).isEqualTo("v");
            return null;
        });
        assertThat(log).containsExactly("writer cancelled during the flush 0.02", "flushed 0.06");
    }

    @Test
    void awaitingACompletionStageDoesNotBlockTheLoop() throws Exception {
        List<String> log = new ArrayList<>();
        String r = Aio.run(() -> {
            var cf = new CompletableFuture<String>();
            Task<Void> other = Aio.createTask(() -> {
                log.add("other ran while waiting");
                Aio.toThread(() -> cf.complete("from another thread"));
            });
            String v = Aio.await(cf);
            other.await();
            return v;
        });
        assertThat(r).isEqualTo("from another thread");
        assertThat(log).containsExactly("other ran while waiting");
    }

    @Test
    void aFailedCompletionStageThrowsItsOwnException() throws Exception {
        var boom = new java.io.IOException("io");
        Throwable e = Aio.run(() -> {
            try {
                Aio.await(CompletableFuture.supplyAsync(() -> {
                    throw new java.io.UncheckedIOException(boom);
                }));
                return null;
            } catch (java.io.UncheckedIOException ex) {
                return ex.getCause();
            }
        });
        assertThat(e).isSameAs(boom);
    }

    /** As asyncio's, the iterator can be shared: each next() counts itself out before it waits. */
    @Test
    void twoTasksConsumingOneAsCompletedIteratorBothGetTheirFuture() throws Exception {
        List<String> got = TestLoops.runVirtual(() -> {
            List<Future<String>> fs = List.of(
                    Aio.createTask(() -> { Aio.sleep(1); return "a"; }),
                    Aio.createTask(() -> { Aio.sleep(2); return "b"; }));
            var it = Aio.asCompleted(fs).iterator();
            List<String> out = new ArrayList<>();
            Coroutine<Void> consumer = () -> {
                while (it.hasNext()) {
                    out.add(it.next().result());
                }
                return null;
            };
            Task<Void> c1 = Aio.createTask(consumer);
            Task<Void> c2 = Aio.createTask(consumer);
            Aio.gather(c1, c2).await();
            return out;
        });
        assertThat(got).containsExactly("a", "b");
    }

    /** waitFor's TimeoutException means its own deadline passed; a timeout of the work itself leaves as it is. */
    @Test
    void waitForDoesNotReportATimeoutOfTheWorkItselfAsItsOwn() throws Exception {
        Coroutine<String> timesOutAfterOneSecond = () -> {
            try (Timeout t = Aio.timeout(Duration.ofSeconds(1))) {
                Aio.sleep(5);
            }
            return "never";
        };
        TestLoops.runVirtual(() -> {
            assertThatThrownBy(() -> Aio.waitFor(Aio.createTask(timesOutAfterOneSecond), Duration.ofSeconds(10)))
                    .isInstanceOf(TimeoutCancellationException.class);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(1.0);
            assertThatThrownBy(() -> Aio.waitFor(timesOutAfterOneSecond, Duration.ofSeconds(10)))
                    .isInstanceOf(TimeoutCancellationException.class);
            assertThat(Aio.getRunningLoop().time()).isEqualTo(2.0);
            return null;
        });
    }

    @Test
    void waitForZeroOnAFutureOfAnotherLoopIsRefusedLikeAnyOtherTimeout() throws Exception {
        EventLoop other = new EventLoop();
        Future<String> foreign = other.createFuture();
        TestLoops.runVirtual(() -> {
            for (Duration timeout : List.of(Duration.ofSeconds(1), Duration.ZERO)) {
                assertThatThrownBy(() -> Aio.waitFor(foreign, timeout)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("attached to a different loop");
            }
            return null;
        });
        assertThat(foreign.isCancelled()).isFalse();
        other.close();
    }

    /** asyncio's wait_for(fut, 0) returns a done future's outcome: nothing timed out, so no TimeoutError. */
    @Test
    void waitForZeroOnAFutureCancelledBeforehandRaisesItsCancellationNotATimeout() throws Exception {
        TestLoops.runVirtual(() -> {
            Future<String> cancelled = Aio.getRunningLoop().createFuture();
            cancelled.cancel("gone");
            for (Duration timeout : List.of(Duration.ofSeconds(1), Duration.ZERO)) {
                assertThatThrownBy(() -> Aio.waitFor(cancelled, timeout))
                        .isExactlyInstanceOf(CancellationException.class).hasMessage("gone");
            }
            Future<String> done = Aio.getRunningLoop().createFuture();
            done.setResult("ready");
            assertThat(Aio.waitFor(done, Duration.ZERO)).isEqualTo("ready");
            return null;
        });
    }

    /**
     * A gather cancelled while a child's cancellation unwinds ends with what that child's clean-up attached to it, as
     * shield does (CPython's gather raises such a child's error, which replaces its CancelledError there); one that
     * waited for every child leaves their failures to them. Nothing is lost either way.
     */
    @Test
    void aCancelledGatherCarriesTheCleanUpFailuresOfItsChildren() throws Exception {
        for (boolean returnExceptions : new boolean[] {false, true}) {
            var cleanUp = new java.io.IOException("close failed");
            var otherCleanUp = new IllegalStateException("release failed");
            List<ExceptionContext> errors = new ArrayList<>();
            Throwable[] suppressed = TestLoops.runVirtual(errors, () -> {
                Task<Void> a = Aio.createTask(TestLoops.attachingToItsCancellation(cleanUp));
                Task<Void> b = Aio.createTask(TestLoops.attachingToItsCancellation(otherCleanUp));
                Future<?> g = returnExceptions ? Aio.gatherWithExceptions(a, b) : Aio.gather(a, b);
                Aio.sleep(1);
                g.cancel();
                try {
                    g.await();
                    throw new AssertionError("the gather was cancelled");
                } catch (CancellationException e) {
                    return e.getSuppressed();
                }
            });
            if (returnExceptions) {
                // It waited for every child, whose outcomes it no longer lists: they stay the children's.
                assertThat(suppressed).isEmpty();
            } else {
                // It ended with the first child's cancellation; the second child's failure stays its own.
                assertThat(suppressed).containsExactly(cleanUp);
            }
            assertThat(errors).as("what was not delivered is reported, each once").extracting(
                    ExceptionContext::exception).containsExactlyElementsOf(returnExceptions
                            ? List.of(cleanUp, otherCleanUp) : List.of(otherCleanUp));
        }
    }

    /**
     * gather() of futures takes the loop of the first one when no loop runs, as asyncio's does:
     * {@code loop.run_until_complete(asyncio.gather(t1, t2))}.
     */
    @Test
    void gatherOfFuturesOutsideALoopUsesTheirLoop() throws Exception {
        var loop = EventLoop.builder().virtualTime().build();
        try {
            Task<Integer> a = loop.createTask(() -> {
                Aio.sleep(1);
                return 1;
            });
            Task<Integer> b = loop.createTask(() -> 2);
            assertThat(loop.runUntilComplete(Aio.gather(a, b))).containsExactly(1, 2);
            Task<Integer> c = loop.createTask(() -> {
                throw new IllegalStateException("boom");
            });
            assertThat(loop.runUntilComplete(Aio.gatherWithExceptions(List.of(c)))).singleElement()
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> Aio.gather(List.<Future<Integer>>of())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no running event loop");
            var other = EventLoop.builder().virtualTime().build();
            Task<Integer> d = other.createTask(() -> 4);
            assertThatThrownBy(() -> Aio.gather(a, d)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("attached to a different loop");
            other.runUntilComplete(d);
            other.close();
        } finally {
            loop.close();
        }
    }
}
