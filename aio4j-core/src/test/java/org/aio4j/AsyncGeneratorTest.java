package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class AsyncGeneratorTest {

    /** A generator of 0..n-1 that logs its life to {@code log}, sleeping {@code pause} seconds before each item. */
    static AsyncGenerator<Integer> counting(int n, double pause, List<String> log) {
        return AsyncGenerator.of(out -> {
            log.add("start");
            try {
                for (int i = 0; i < n; i++) {
                    if (pause > 0) {
                        Aio.sleep(pause);
                    }
                    log.add("emit " + i);
                    out.emit(i);
                }
                log.add("exhausted");
            } finally {
                log.add("finally");
            }
        });
    }

    @Test
    void forLoopTakesEveryItemInOrderAndTheBodyIsNeverAheadOfTheConsumer() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var gen = counting(3, 1, log)) {
                assertThat(log).isEmpty(); // lazy: nothing runs before the first hasNext()
                for (int i : gen) {
                    log.add("got " + i);
                }
            }
            assertThat(Aio.getRunningLoop().time()).isEqualTo(3.0);
            return null;
        });
        assertThat(log).containsExactly("start", "emit 0", "got 0", "emit 1", "got 1", "emit 2", "got 2",
                "exhausted", "finally");
    }

    @Test
    void consumerThatStopsAfterThreeItemsClosesTheGeneratorAndItsFinallyRuns() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var gen = counting(1_000, 0.5, log)) {
                for (int i : gen) {
                    log.add("got " + i);
                    if (i == 2) {
                        break;
                    }
                }
                assertThat(log).doesNotContain("finally");
            }
            assertThat(log).endsWith("got 2", "finally");
            return null;
        });
        assertThat(log).containsExactly("start", "emit 0", "got 0", "emit 1", "got 1", "emit 2", "got 2", "finally");
    }

    @Test
    void closeThrowsGeneratorExitAtTheEmitAndTheFinallyMaySuspend() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<String>of(out -> {
                try {
                    out.emit("a");
                    out.emit("b");
                } catch (GeneratorExit e) {
                    log.add("GeneratorExit at emit, current task " + Aio.currentTask().getName());
                    throw e;
                } finally {
                    Aio.sleep(2); // cleanup that awaits, inside the closing task
                    log.add("cleaned up at " + Aio.getRunningLoop().time());
                }
            });
            assertThat(gen.next()).isEqualTo("a");
            gen.aclose();
            log.add("aclose returned at " + Aio.getRunningLoop().time());
            assertThat(gen.hasNext()).isFalse();
            assertThatThrownBy(gen::next).isInstanceOf(NoSuchElementException.class);
            gen.aclose(); // idempotent
            return null;
        });
        assertThat(log).containsExactly("GeneratorExit at emit, current task Task-1", "cleaned up at 2.0",
                "aclose returned at 2.0");
    }

    /*
     * async def resilient(items):          # CPython 3.13
     *     n = 0
     *     while True:
     *         try:
     *             yield items[n % len(items)]; n += 1
     *         except KeyError as e: log("told to skip", e); n += 2
     * r = resilient("abcd"); log(await anext(r), await anext(r))
     * log("athrow ->", await r.athrow(KeyError("x"))); log(await anext(r))
     * try: await r.athrow(ValueError("fatal"))
     * except ValueError as e: log("propagated", e)
     * try: await anext(r)
     * except StopAsyncIteration: log("exhausted")
     * CPython: a b | told to skip 'x' | athrow -> d | a | propagated fatal | exhausted
     */
    @Test
    void athrowRaisesAtTheEmitAndReturnsTheNextItemOrPassesTheFailureOn() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            List<String> items = List.of("a", "b", "c", "d");
            var r = AsyncGenerator.<String>of(out -> {
                int n = 0;
                while (true) {
                    try {
                        Aio.sleep(0.01);
                        out.emit(items.get(n % items.size()));
                        n++;
                    } catch (NoSuchElementException e) {
                        log.add("told to skip " + e.getMessage());
                        n += 2;
                    }
                }
            });
            log.add(r.next() + " " + r.next());
            log.add("athrow -> " + r.athrow(new NoSuchElementException("x")));
            log.add(r.next());
            try {
                r.athrow(new IllegalArgumentException("fatal"));
            } catch (IllegalArgumentException e) {
                log.add("propagated " + e.getMessage());
            }
            log.add(r.hasNext() ? "not exhausted" : "exhausted");
            return null;
        });
        assertThat(log).containsExactly("a b", "told to skip x", "athrow -> d", "a", "propagated fatal", "exhausted");
    }

    /*
     * CPython 3.13: athrow(e) into a generator that never started raises e and closes it, its body never run; into
     * one whose body catches e and returns, StopAsyncIteration.
     */
    @Test
    void athrowBeforeTheStartClosesTheGeneratorAndABodyThatReturnsEndsIt() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var fresh = counting(3, 0, log);
            var boom = new IllegalStateException("fresh");
            assertThatThrownBy(() -> fresh.athrow(boom)).isSameAs(boom);
            assertThat(fresh.hasNext()).isFalse();
            var catcher = AsyncGenerator.<Integer>of(out -> {
                try {
                    out.emit(1);
                } catch (IllegalStateException e) {
                    log.add("caught, returning");
                }
            });
            assertThat(catcher.next()).isEqualTo(1);
            assertThatThrownBy(() -> catcher.athrow(new IllegalStateException("x")))
                    .isInstanceOf(NoSuchElementException.class).hasMessageContaining("returned without emitting");
            assertThatThrownBy(() -> catcher.athrow(new IllegalStateException("y")))
                    .isInstanceOf(NoSuchElementException.class).hasMessageContaining("exhausted");
            var held = counting(3, 0, log);
            assertThat(held.hasNext()).isTrue();
            assertThatThrownBy(() -> held.athrow(new IllegalStateException("z")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("take it with next() first");
            assertThat(held.next()).isEqualTo(0);
            held.aclose();
            return null;
        });
        assertThat(log).containsExactly("caught, returning", "start", "emit 0", "finally");
    }

    @Test
    void closingAGeneratorThatNeverStartedRunsNothing() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var gen = counting(3, 0, log);
            gen.close();
            assertThat(gen.hasNext()).isFalse();
            return null;
        });
        assertThat(log).isEmpty();
    }

    @Test
    void theBodyRunsAsTheConsumingTaskWithoutExtraLoopIterations() throws Exception {
        // CPython: async for over a generator that does not await gives other tasks no turn.
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<?> consumer = Aio.currentTask();
            Aio.createTask(() -> log.add("other task ran"));
            var gen = AsyncGenerator.<Integer>of(out -> {
                assertThat(Aio.currentTask()).isSameAs(consumer);
                for (int i = 0; i < 3; i++) {
                    out.emit(i);
                }
            });
            for (int i : gen) {
                log.add("got " + i);
            }
            Aio.sleep(0);
            return null;
        });
        assertThat(log).containsExactly("got 0", "got 1", "got 2", "other task ran");
    }

    @Test
    void aFailureSurfacesAtItsElementAfterTheItemsBeforeIt() throws Exception {
        var boom = new IllegalStateException("boom at 3");
        List<Integer> got = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                for (int i = 0; i < 10; i++) {
                    if (i == 3) {
                        throw boom;
                    }
                    out.emit(i);
                }
            });
            assertThatThrownBy(() -> {
                for (int i : gen) {
                    got.add(i);
                }
            }).isSameAs(boom);
            assertThat(gen.hasNext()).isFalse(); // exhausted after the failure, reported once
            gen.close();
            return null;
        });
        assertThat(got).containsExactly(0, 1, 2);
    }

    @Test
    void aCheckedFailureIsWrappedInCompletionException() throws Exception {
        var io = new IOException("disk gone");
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                out.emit(1);
                throw io;
            });
            assertThat(gen.next()).isEqualTo(1);
            assertThatThrownBy(gen::hasNext).isInstanceOf(CompletionException.class).hasCause(io);
            return null;
        });
    }

    @Test
    void noSuchElementInsideTheBodyIsAFailureNotTheEnd() throws Exception {
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                out.emit(1);
                List.<Integer>of().iterator().next();
            });
            assertThat(gen.next()).isEqualTo(1);
            assertThatThrownBy(gen::hasNext).isInstanceOf(NoSuchElementException.class);
            return null;
        });
    }

    @Test
    void cancellingTheConsumerWhileTheBodyAwaitsThrowsIntoTheBodyAndOutOfHasNext() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> consumer = Aio.createTask(() -> {
                try (var gen = counting(100, 1, log)) {
                    for (int i : gen) {
                        log.add("got " + i);
                    }
                }
            });
            Aio.sleep(2.5);
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            assertThat(consumer.isCancelled()).isTrue();
            return null;
        });
        assertThat(log).containsExactly("start", "emit 0", "got 0", "emit 1", "got 1", "finally");
    }

    @Test
    void aConsumerTaskThatEndsWithoutClosingClosesItsGeneratorsBeforeItIsDone() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Integer> consumer = Aio.createTask(() -> {
                var a = counting(10, 0, log);
                var b = AsyncGenerator.<String>of(out -> {
                    try {
                        out.emit("x");
                    } finally {
                        Aio.sleep(1);
                        log.add("b finally");
                    }
                });
                int first = a.next();
                b.next();
                return first; // forgets to close both
            });
            consumer.addDoneCallback(t -> log.add("consumer done"));
            assertThat(consumer.await()).isZero();
            return null;
        });
        // Newest first, as nested try-with-resources would, and before the task is done.
        assertThat(log).containsExactly("start", "emit 0", "b finally", "finally", "consumer done");
    }

    @Test
    void aCancelledConsumerWaitingElsewhereClosesItsGenerator() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<Void> consumer = Aio.createTask(() -> {
                var gen = counting(10, 0, log);
                gen.next();
                Aio.sleep(100); // cancelled here, with the generator suspended at emit
            });
            Aio.sleep(1);
            consumer.cancel();
            assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
            return null;
        });
        assertThat(log).containsExactly("start", "emit 0", "finally");
    }

    @Test
    void aTaskGroupDoesNotEndBeforeTheGeneratorsOfItsTasksAreClosed() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var tg = new TaskGroup()) {
                tg.createTask(() -> {
                    var gen = AsyncGenerator.<Integer>of(out -> {
                        try {
                            out.emit(1);
                            out.emit(2);
                        } finally {
                            Aio.sleep(5);
                            log.add("generator finally at " + Aio.getRunningLoop().time());
                        }
                    });
                    gen.next();
                });
                tg.join();
            }
            log.add("group joined at " + Aio.getRunningLoop().time());
            return null;
        });
        assertThat(log).containsExactly("generator finally at 5.0", "group joined at 5.0");
    }

    @Test
    void anErrorInTheImplicitCloseBecomesTheTaskExceptionOrIsSuppressed() throws Exception {
        var closeError = new IllegalStateException("close failed");
        var bodyError = new IllegalArgumentException("task failed");
        TestLoops.runVirtual(() -> {
            Coroutine<AsyncGenerator<Integer>> failingOnClose = () -> AsyncGenerator.of(out -> {
                try {
                    out.emit(1);
                } finally {
                    throw closeError;
                }
            });
            Task<Void> ok = Aio.createTask(() -> {
                failingOnClose.call().next();
            });
            assertThatThrownBy(ok::await).isSameAs(closeError);
            Task<Void> failing = Aio.createTask(() -> {
                failingOnClose.call().next();
                throw bodyError;
            });
            assertThatThrownBy(failing::await).isSameAs(bodyError);
            assertThat(bodyError.getSuppressed()).containsExactly(closeError);
            return null;
        });
    }

    @Test
    void aBodyThatEmitsAfterGeneratorExitIsAnError() throws Exception {
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                for (int i = 0; ; i++) {
                    try {
                        out.emit(i);
                    } catch (GeneratorExit ignored) {
                        // wrong: keeps going
                    }
                }
            });
            gen.next();
            assertThatThrownBy(gen::aclose).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ignored GeneratorExit");
            assertThat(gen.hasNext()).isFalse();
            return null;
        });
    }

    /**
     * PEP 525: a body that emits while being closed makes {@code aclose()} raise "async generator ignored
     * GeneratorExit", even if the body catches that error and returns: the first such error is the one raised.
     */
    @Test
    void aBodyThatCatchesTheIgnoredExitErrorAndReturnsStillFailsTheClose() throws Exception {
        List<IllegalStateException> caught = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                try {
                    out.emit(1);
                } catch (GeneratorExit e) {
                    for (int i = 2; i <= 3; i++) {
                        try {
                            out.emit(i);
                        } catch (IllegalStateException refused) {
                            caught.add(refused);
                        }
                    }
                }
            });
            gen.next();
            assertThatThrownBy(gen::aclose).isSameAs(caught.getFirst());
            assertThat(gen.hasNext()).isFalse();
            return null;
        });
        assertThat(caught).hasSize(2).allSatisfy(e -> assertThat(e).hasMessageContaining("ignored GeneratorExit"));
    }

    /**
     * A {@link GeneratorExit} that the body throws itself, not being closed, is a failure like any other: it comes out
     * of {@code hasNext()} (CPython's {@code anext()} raises it), and the generator is exhausted.
     */
    @Test
    void aGeneratorExitTheBodyThrowsWhenNotClosedIsItsFailure() throws Exception {
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                out.emit(1);
                throw new GeneratorExit();
            });
            assertThat(gen.next()).isEqualTo(1);
            assertThatThrownBy(gen::hasNext).isInstanceOf(GeneratorExit.class);
            assertThat(gen.hasNext()).isFalse();
            return null;
        });
    }

    @Test
    void aBodyThatCatchesGeneratorExitAndReturnsClosesCleanly() throws Exception {
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                try {
                    out.emit(1);
                } catch (GeneratorExit e) {
                    return;
                }
            });
            gen.next();
            gen.aclose();
            return null;
        });
    }

    @Test
    void drivingARunningGeneratorIsAnError() throws Exception {
        TestLoops.runVirtual(() -> {
            var holder = new ArrayList<AsyncGenerator<Integer>>();
            var gen = AsyncGenerator.<Integer>of(out -> {
                holder.getFirst().hasNext();
            });
            holder.add(gen);
            assertThatThrownBy(gen::hasNext).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already running (called from its own body)");

            var slow = AsyncGenerator.<Integer>of(out -> {
                Aio.sleep(10);
                out.emit(1);
            });
            Task<Integer> first = Aio.createTask(slow::next);
            Aio.sleep(1);
            assertThatThrownBy(slow::hasNext).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already running in task " + first.getName());
            assertThat(first.await()).isEqualTo(1);
            return null;
        });
    }

    @Test
    void emitFromAnotherTaskIsRefused() throws Exception {
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> {
                Task<Void> t = Aio.createTask(() -> out.emit(1));
                assertThatThrownBy(t::await).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("must be called by the generator's own body");
                out.emit(2);
            });
            assertThat(gen.toList()).containsExactly(2);
            return null;
        });
    }

    @Test
    void nullBodyAndUseOutsideATaskAreRefusedClearly() {
        assertThatThrownBy(() -> AsyncGenerator.of(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("generator body must not be null");
        var gen = AsyncGenerator.<Integer>of(out -> out.emit(1));
        assertThatThrownBy(gen::hasNext).isInstanceOf(IllegalStateException.class)
                .hasMessage("AsyncGenerator.hasNext(): no running event loop: an asynchronous generator is driven from"
                        + " a task of a running loop (inside Aio.run(...)), not from a plain thread");
    }

    /**
     * A task that advances a generator for the task that created it, which awaits it, gives it back to its creator
     * as it ends rather than close it, as CPython keeps a generator the creating frame still refers to ({@code await
     * create_task(anext(gen))} leaves {@code gen} going). It closed it, and the creator's next {@code hasNext()} threw.
     * A task nobody waits for, or one whose generator's creator has ended, still closes it, and says so to whoever
     * drives it next (a silent end would lose the items not produced yet).
     */
    @Test
    void aGeneratorAdvancedByAnotherTaskGoesBackToTheTaskThatCreatedIt() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var gen = counting(4, 0, log);
            assertThat(gen.next()).isZero();
            Task<Integer> other = Aio.createTask(gen::next);
            assertThat(other.await()).isEqualTo(1);
            assertThat(log).doesNotContain("finally");
            List<Integer> rest = new ArrayList<>();
            for (int x : gen) {
                rest.add(x);
            }
            assertThat(rest).containsExactly(2, 3);
            assertThat(log).containsOnlyOnce("finally");

            var forgotten = counting(4, 0, log); // advanced by a task nobody waits for: its end closes it
            Aio.createTask(forgotten::next);
            Aio.sleep(1);
            assertThatThrownBy(forgotten::hasNext).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the last task that drove it, ended");

            Task<AsyncGenerator<Integer>> maker = Aio.createTask(() -> counting(4, 0, log));
            var orphan = maker.await();
            assertThat(Aio.createTask(orphan::next).await()).isZero();
            assertThatThrownBy(orphan::hasNext).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the last task that drove it, ended");
            return null;
        });
    }

    /**
     * The creator's wait may go through other tasks: it awaits a task (or a group, a gather) that awaits the one
     * that advanced the generator ({@code Aio.gather(a::next, b::next)} inside a helper task, asyncio's
     * {@code await create_task(helper())} whose helper gathers {@code anext} calls). The generators go back to
     * their creator all the same, which is still waiting, as when it awaits that task itself. Before, the wait was
     * looked for one level deep only: the inner tasks' ends closed both generators, and the creator's next
     * {@code hasNext()} threw "closed when task ... ended".
     */
    @Test
    void aGeneratorAdvancedByATaskThatTheCreatorWaitsForThroughAnotherGoesBackToIt() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var a = counting(3, 1, log);
            var b = counting(3, 2, log);
            List<Integer> firsts = Aio.createTask(() -> Aio.gather(a::next, b::next).await()).await();
            assertThat(firsts).containsExactly(0, 0);
            try (var group = new TaskGroup()) {
                group.createTask(() -> Aio.createTask(() -> a.next() + b.next()).await());
                group.join();
            }
            assertThat(log).doesNotContain("finally");
            assertThat(a.next()).isEqualTo(2);
            assertThat(b.next()).isEqualTo(2);
            assertThat(a.hasNext()).isFalse();
            assertThat(b.hasNext()).isFalse();
            return null;
        });
        assertThat(log).filteredOn("finally"::equals).hasSize(2);
    }

    /**
     * The creator's wait may go through {@code Aio.shield} and {@code Aio.asCompleted} too, and through a shield
     * inside a gather, a wait, an {@code asCompleted} or another shield ({@code await gather(shield(t))},
     * {@code wait([shield(t)])}, ...): CPython 3.13 keeps the generator going in each case (the creating frame still
     * refers to it; checked with the same program), so here it goes back to the creator. A shield directly awaited,
     * and {@code asCompleted} over the tasks, were followed already (their waiting future names what it waits for); a
     * shield's future met inside another wait was not looked through: the task's end closed the generator, and the
     * creator's next {@code hasNext()} threw "closed when task ... ended".
     */
    @Test
    void aGeneratorAdvancedByATaskThatTheCreatorWaitsForThroughAShieldOrAsCompletedGoesBackToIt() throws Exception {
        interface Wait {
            Object on(Task<Integer> advancing) throws Exception;
        }
        java.util.Map<String, Wait> ways = new java.util.LinkedHashMap<>();
        ways.put("shield", t -> Aio.shield(t).await());
        ways.put("asCompleted", t -> Aio.asCompleted(List.of(t)).iterator().next().await());
        ways.put("shield in shield", t -> Aio.shield(Aio.shield(t)).await());
        ways.put("shield in gather", t -> Aio.gather(Aio.shield(t)).await().getFirst());
        ways.put("shield in wait", t -> Aio.wait(List.of(Aio.shield(t))).done().iterator().next().await());
        ways.put("shield in asCompleted", t -> Aio.asCompleted(List.of(Aio.shield(t))).iterator().next().await());
        ways.put("shield in a helper task's gather",
                t -> Aio.createTask(() -> Aio.gather(Aio.shield(t)).await().getFirst()).await());
        for (var way : ways.entrySet()) {
            List<String> log = new ArrayList<>();
            TestLoops.runVirtual(() -> {
                var gen = counting(4, 1, log);
                assertThat(gen.next()).isZero();
                assertThat(way.getValue().on(Aio.createTask(gen::next))).as(way.getKey()).isEqualTo(1);
                assertThat(log).as(way.getKey()).doesNotContain("finally");
                assertThat(gen.next()).as(way.getKey()).isEqualTo(2);
                gen.aclose();
                return null;
            });
            assertThat(log).as(way.getKey()).containsExactly("start", "emit 0", "emit 1", "emit 2", "finally");
        }
    }

    /**
     * asyncio's {@code await asyncio.gather(anext(a), anext(b))}, the way to advance two generators at once (aiostream's
     * zip): each call runs in a task of its own. Their ends closed both generators after the first pair, and the next
     * round threw "closed when task 'Task-2' ... ended".
     */
    @Test
    void generatorsAdvancedTogetherByGatherGoOn() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var a = counting(3, 1, log);
            var b = counting(3, 2, log);
            List<List<Integer>> pairs = new ArrayList<>();
            while (true) {
                var both = Aio.gather(() -> a.hasNext() ? a.next() : null, () -> b.hasNext() ? b.next() : null)
                        .await();
                if (both.contains(null)) {
                    break;
                }
                pairs.add(both);
            }
            assertThat(pairs).containsExactly(List.of(0, 0), List.of(1, 1), List.of(2, 2));
            assertThat(Aio.getRunningLoop().time()).as("the two advanced at once").isEqualTo(6.0);
            return null;
        });
        assertThat(log).filteredOn("finally"::equals).hasSize(2);
    }

    @Test
    void nestedGeneratorsHandTheTaskOnAndBack() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var inner = counting(3, 1, log);
            var outer = AsyncGenerator.<String>of(out -> {
                try (inner) {
                    for (int i : inner) {
                        Aio.sleep(0.5);
                        out.emit("<" + i + ">");
                    }
                }
            });
            assertThat(outer.toList()).containsExactly("<0>", "<1>", "<2>");
            assertThat(Aio.getRunningLoop().time()).isEqualTo(4.5);
            return null;
        });
        assertThat(log).endsWith("exhausted", "finally");
    }

    @Test
    void timeoutOfTheConsumerBoundsTheBodysWaits() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            try (var gen = counting(100, 1, log)) {
                try (var t = Aio.timeout(Duration.ofMillis(2500))) {
                    for (int i : gen) {
                        log.add("got " + i);
                    }
                } catch (TimeoutCancellationException e) {
                    log.add("timed out at " + Aio.getRunningLoop().time());
                }
            }
            return null;
        });
        assertThat(log).containsExactly("start", "emit 0", "got 0", "emit 1", "got 1", "finally",
                "timed out at 2.5");
    }

    @Test
    void toStringShowsTheState() throws Exception {
        TestLoops.runVirtual(() -> {
            var gen = AsyncGenerator.<Integer>of(out -> out.emit(1));
            assertThat(gen.toString()).isEqualTo("AsyncGenerator[created]");
            gen.hasNext();
            assertThat(gen.toString()).startsWith("AsyncGenerator[suspended, owner=Task-");
            gen.close();
            assertThat(gen.toString()).isEqualTo("AsyncGenerator[closed]");
            return null;
        });
    }

    @Test
    void aRunThatEndsWhileATaskIsInsideABodyCancelsItThereAndRunsTheFinally() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Aio.createTask(() -> {
                for (int i : counting(100, 10, log)) {
                    log.add("got " + i);
                }
            });
            Aio.sleep(5); // the other task is inside the body, in its sleep(10)
            return null;
        });
        assertThat(log).containsExactly("start", "finally");
    }

    @Test
    void closingALoopWithATaskSuspendedInsideABodyRunsTheFinally() throws Exception {
        List<String> log = new ArrayList<>();
        List<ExceptionContext> reports = new ArrayList<>();
        var loop = TestLoops.virtual(reports);
        try (loop) {
            loop.createTask(() -> {
                for (int i : counting(100, 10, log)) {
                    log.add("got " + i);
                }
            });
            loop.runUntilComplete(() -> Aio.sleep(5));
        }
        assertThat(log).containsExactly("start", "finally");
        assertThat(reports).extracting(ExceptionContext::message)
                .containsExactly("Task was still pending when its event loop closed; it was cancelled");
    }

    @Test
    void deadlockDetectionSeesThroughABody() {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            Future<Integer> never = Aio.getRunningLoop().createFuture();
            var gen = AsyncGenerator.<Integer>of(out -> out.emit(never.await()));
            return gen.next();
        })).isInstanceOf(DeadlockException.class).hasMessageContaining("AsyncGeneratorTest");
    }

    /** A generator whose body emits twice and sleeps a second in its finally block, logging its release. */
    private static AsyncGenerator<Integer> releasingSlowly(List<String> log) {
        return AsyncGenerator.of(out -> {
            try {
                out.emit(1);
                out.emit(2);
            } finally {
                Aio.sleep(1); // clean-up that awaits
                log.add("released");
            }
        });
    }

    /**
     * The generators a task leaves open are closed once its coroutine has returned, before the task is done; asyncio
     * closes them in a task of their own once the task is done. So a cancel() that comes meanwhile finds the task
     * ended, as asyncio's: it returns false, the result is kept, and the clean-up runs to its end.
     */
    @Test
    void aCancelWhileTheTaskClosesItsGeneratorsAfterReturningFindsItEnded() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> t = Aio.createTask(() -> {
                AsyncGenerator<Integer> g = releasingSlowly(log);
                g.next();
                return "result";
            });
            Aio.sleep(0.5); // t has returned; its end runs g's finally
            assertThat(t.isDone()).isFalse();
            assertThat(t.cancel()).as("the coroutine has returned").isFalse();
            assertThat(t.cancelling()).isZero();
            assertThat(t.await()).isEqualTo("result");
            assertThat(Aio.getRunningLoop().time()).isEqualTo(1.0);
            return null;
        });
        assertThat(log).containsExactly("released");
    }

    /**
     * A cancellation requested before the coroutine returned still ends the task cancelled, as in asyncio, but is not
     * thrown into the clean-up of the generators closed at its end.
     */
    @Test
    void aCancellationPendingWhenTheCoroutineReturnsDoesNotCutTheGeneratorsCleanUpShort() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Task<String> t = Aio.createTask(() -> {
                AsyncGenerator<Integer> g = releasingSlowly(log);
                g.next();
                Aio.currentTask().cancel();
                return "result";
            });
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            assertThat(t.isCancelled()).isTrue();
            assertThat(Aio.getRunningLoop().time()).isEqualTo(1.0);
            return null;
        });
        assertThat(log).containsExactly("released");
    }

    /** A generator holding {@code lock} from its first item to its end, emitting {@code 0..n-1}. */
    private static AsyncGenerator<Integer> holding(Lock lock, int n, List<String> log) {
        return AsyncGenerator.of(out -> {
            lock.acquire();
            try {
                for (int i = 0; i < n; i++) {
                    out.emit(i);
                }
            } finally {
                lock.release();
                log.add("inner released");
            }
        });
    }

    /**
     * A generator whose body iterated another one closes it when the body ends (closed or returned), as CPython
     * finalizes an inner generator once the outer's frame lets go of it: closing the outer released nothing held by
     * the inner until the task ended, and a task that then waited for it waited for itself.
     */
    @Test
    void closingAGeneratorClosesTheGeneratorsItsBodyLeftOpen() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            try (var outer = AsyncGenerator.<Integer>of(out -> {
                for (int x : holding(lock, 10, log)) {
                    out.emit(x * 10);
                }
            })) {
                assertThat(outer.next()).isZero();
                assertThat(lock.locked()).isTrue();
            }
            assertThat(log).containsExactly("inner released");
            assertThat(lock.locked()).isFalse();

            var returned = AsyncGenerator.<Integer>of(out -> { // breaks out of the inner and returns
                for (int x : holding(lock, 10, log)) {
                    if (x == 2) {
                        break;
                    }
                    out.emit(x);
                }
                log.add("outer returned");
            });
            List<Integer> seen = new ArrayList<>();
            for (int x : returned) {
                seen.add(x);
            }
            assertThat(seen).containsExactly(0, 1);
            assertThat(log).as("the inner closed when the outer body ended, after its last line (in CPython, once"
                    + " the outer let go of it)").containsExactly("inner released", "outer returned", "inner released");
            assertThat(lock.locked()).isFalse();
            return null;
        });
    }

    /**
     * The close of a generator the body left open may fail: the outer generator's end throws it (as closing resources
     * in a try-with-resources adds their failures), nothing lost; an inner generator the body closed itself, or one
     * that the consumer drove, is not closed again.
     */
    @Test
    void aFailureClosingAGeneratorTheBodyLeftOpenIsTheOutersFailure() throws Exception {
        TestLoops.runVirtual(() -> {
            var failing = AsyncGenerator.<Integer>of(out -> {
                try {
                    out.emit(1);
                    out.emit(2);
                } finally {
                    throw new IOException("inner clean-up failed");
                }
            });
            var outer = AsyncGenerator.<Integer>of(out -> {
                for (int x : failing) {
                    out.emit(x);
                }
            });
            assertThat(outer.next()).isEqualTo(1);
            assertThatThrownBy(outer::aclose).isInstanceOf(CompletionException.class) // as the inner's own close
                    .hasRootCauseMessage("inner clean-up failed");

            var consumers = AsyncGenerator.<Integer>of(out -> {
                out.emit(1);
                out.emit(2);
            });
            var other = AsyncGenerator.<Integer>of(out -> out.emit(0));
            assertThat(consumers.next()).isEqualTo(1); // the task's, not other's body's
            for (int x : other) {
                assertThat(x).isZero();
            }
            assertThat(consumers.next()).as("left open by the end of other's body").isEqualTo(2);
            consumers.aclose();
            return null;
        });
    }

    /**
     * A task that ends with a generator open whose body iterates another one closes the outer one first, and the
     * inner one as the outer's body ends, as an explicit {@code aclose()} of the outer does and as CPython finalizes
     * them (the inner one once the outer's frame lets go of it): the outer's {@code finally} may still use the inner
     * one. The task's end closed the inner one first, newest first, and the outer's {@code finally} found it closed
     * "when the task ended".
     */
    @Test
    void theEndOfATaskClosesAnOuterGeneratorBeforeTheOneItsBodyIterates() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            for (boolean explicit : new boolean[] {true, false}) {
                Aio.createTask(() -> {
                    var inner = counting(5, 0, log);
                    var outer = AsyncGenerator.<Integer>of(out -> {
                        try {
                            for (int x : inner) {
                                out.emit(x);
                            }
                        } finally {
                            log.add("outer finally, the inner one still gives " + inner.next());
                        }
                    });
                    assertThat(outer.next()).isZero();
                    if (explicit) {
                        outer.aclose();
                    }
                }).await();
                log.add("--");
            }
            return null;
        });
        List<String> once = List.of("start", "emit 0", "emit 1", "outer finally, the inner one still gives 1",
                "finally", "--");
        assertThat(log).containsExactlyElementsOf(java.util.stream.Stream.concat(once.stream(), once.stream())
                .toList());
    }
}
