package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Work in flight off the loop and the loop's bookkeeping of it ({@link InFlight}, {@link Offload},
 * {@link BlockedGets}), on both clocks, while the tasks awaiting it are cancelled at random. Hundreds of tasks each
 * await one thing done elsewhere: an offloaded call ({@link Aio#toThread}, or {@link EventLoop#runInExecutor} on the
 * default executor, a pooled executor of our own or a bounded one) that returns, throws, blocks on a latch that
 * other threads release, or blocks in {@link Future#get()} on a loop future that a task settles after an
 * {@link Aio#sleep} (some swallow the interrupt of their cancellation and block again); a {@link CompletableFuture}
 * completed, failed or cancelled by another thread ({@link Aio#await(java.util.concurrent.CompletionStage)} or
 * {@link EventLoop#wrapFuture}); a loop future settled through {@link EventLoop#callSoonThreadsafe} by a thread
 * announced with {@link EventLoop#expectExternal()}. A few calls nobody awaits must be awaited by {@code Aio.run}'s
 * shutdown, and a few block for ever on a loop future nothing settles, which the shutdown must not wait for, and
 * the close must report (once each) and release.
 *
 * <p>Exact checks: each task ends exactly as what it awaited ended, or cancelled exactly when its {@code cancel()}
 * returned true; each call runs at most once, and exactly once if its task got its outcome; each error of a call
 * reaches exactly one place (its task, the cancellation of its task, or the exception handler, if the call failed
 * after the cancellation); each post runs once; threads blocked in {@code get()} outside the loop see how the future
 * ended; nothing else reaches the exception handler; no thread is left blocked; once {@code Aio.run} returns, the
 * in-flight set holds nothing but the stuck calls. On the virtual clock, work in flight holds the clock unless it
 * only waits for the loop: everything but the {@code get()} calls ends at time 0, each {@code get()} call's task
 * resumes exactly when its future was settled, and the clock ends at the last sleep. No {@link DeadlockException} on
 * the way. Seeded; the seed is in every failure message.
 */
class InFlightStressTest {

    private static final int OPS = 400;
    private static final int EXTERNAL_THREADS = 4;
    private static final int DETACHED = 4;
    private static final int BOUNDED_THREADS = 3;
    private static final String CANCELLED_CALL_FAILED = "Offloaded call failed after its future was cancelled";
    private static final String STUCK_AT_CLOSE = "Event loop closed while offloaded call";

    /** What a task awaits. */
    private enum Kind { RETURN, THROW, LATCH, GET, STAGE, POST }

    /** Where an offloaded call runs. */
    private enum Via { TO_THREAD, DEFAULT, OWN, BOUNDED }

    /** Who settles a {@code get()} target: a task after a sleep, a timer callback, or the target is that task. */
    private enum Settler { TASK, CALL_LATER, IS_TASK }

    /** How a {@code get()} target or a stage ends. */
    private enum End { VALUE, ERROR, CANCEL }

    /** One awaited operation, its plan and what was seen of it. */
    private static final class Op {
        final int id;
        final Kind kind;
        Via via;
        boolean wrapped;
        boolean failsAfterLatch;
        int spins;
        End end;
        double settleDelay;
        final CountDownLatch latch = new CountDownLatch(1);
        CompletableFuture<Integer> stage;
        Future<Integer> target; // GET: the future the call blocks on; POST: the future the post settles
        Settler settler;
        boolean watched;
        boolean deaf; // GET: swallows interrupts and waits again
        final AtomicInteger swallowed = new AtomicInteger();
        volatile End watcherSaw;
        Future<Integer> awaited; // the loop future the task awaits, if the test can reach it
        boolean awaitedCancelReturned;
        AutoCloseable announced;
        Throwable ownError; // GET: the target's error; STAGE: the stage's
        Task<Integer> task;
        boolean cancelReturned;
        boolean foreignCancel;
        double resumedAt = Double.NaN;
        double settledAt = Double.NaN;
        final AtomicInteger ran = new AtomicInteger();
        final AtomicInteger postsRun = new AtomicInteger();
        volatile Throwable thrown;
        volatile boolean returned;
        volatile End stageWonBy;

        Op(int id, Kind kind) {
            this.id = id;
            this.kind = kind;
        }

        boolean offloaded() {
            return kind == Kind.RETURN || kind == Kind.THROW || kind == Kind.LATCH || kind == Kind.GET;
        }

        @Override
        public String toString() {
            return "op " + id + " " + kind + (offloaded() ? " via " + via : "") + (end == null ? "" : " ending " + end)
                    + " (task " + task + ", ran " + ran + ", thrown " + thrown + ", returned " + returned + ")";
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang fails instead of stalling the build
    void onTheVirtualClock(long seed) throws Exception {
        run(seed, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang fails instead of stalling the build
    void onTheRealClock(long seed) throws Exception {
        run(seed, false);
    }

    private static void run(long seed, boolean virtual) throws Exception {
        String description = StressSeeds.describe(seed) + (virtual ? ", virtual clock" : ", real clock");
        var random = new Random(seed);
        double step = virtual ? 0.125 : 0.001; // sleeps are whole steps: exact on the virtual clock
        int maxSteps = 16;
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < OPS; i++) {
            int r = random.nextInt(100);
            Kind kind = r < 20 ? Kind.RETURN : r < 35 ? Kind.THROW : r < 55 ? Kind.LATCH : r < 75 ? Kind.GET
                    : r < 90 ? Kind.STAGE : Kind.POST;
            var op = new Op(i, kind);
            // Not GET on the bounded executor: a call queued behind its threads all blocked in get() would wait for
            // the loop, and end after time 0, which these checks do not model (QueuedBehindBlockedCallsStressTest
            // checks it).
            op.via = Via.values()[random.nextInt(kind == Kind.GET ? 3 : 4)];
            op.wrapped = random.nextBoolean();
            op.failsAfterLatch = random.nextInt(4) == 0;
            op.spins = random.nextInt(5_000); // deaf to interrupts: widens the window of a cancellation
            int e = random.nextInt(5);
            op.end = kind == Kind.GET || kind == Kind.STAGE ? (e < 3 ? End.VALUE : e == 3 ? End.ERROR : End.CANCEL)
                    : null;
            op.settleDelay = (1 + random.nextInt(maxSteps)) * step;
            op.settler = Settler.values()[random.nextInt(3)];
            op.watched = kind == Kind.GET && random.nextInt(3) == 0;
            op.deaf = kind == Kind.GET && random.nextInt(3) == 0;
            ops.add(op);
        }
        int stuckCalls = random.nextInt(3);
        int preStartCancels = OPS / 50;
        int cancels = OPS / 2;
        long cancellerSeed = random.nextLong();
        long externalSeed = random.nextLong();

        var reports = new CopyOnWriteArrayList<ExceptionContext>();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        List<Throwable> rodeAlong = new ArrayList<>();
        var running = new AtomicInteger();
        var stuckEnded = new CountDownLatch(stuckCalls);
        List<Throwable> stuckOutcomes = new CopyOnWriteArrayList<>();
        List<Op> detached = new ArrayList<>();
        List<Future<Integer>> detachedFutures = new ArrayList<>();
        List<Thread> externals = new ArrayList<>();
        List<Thread> watchers = new ArrayList<>();
        ExecutorService own = Executors.newCachedThreadPool();
        ExecutorService bounded = Executors.newFixedThreadPool(BOUNDED_THREADS);
        EventLoop[] loopRef = new EventLoop[1];
        double[] startTime = {Double.NaN}; // the loop's time while the main task sets up (0 on the virtual clock)
        double[] endTime = {Double.NaN};
        double[] lastSleep = {0};

        EventLoop.Builder builder = EventLoop.builder().exceptionHandler((l, c) -> reports.add(c));
        try {
            Aio.run(() -> (virtual ? builder.virtualTime() : builder).build(), () -> {
                EventLoop loop = Aio.getRunningLoop();
                loopRef[0] = loop;
                startTime[0] = loop.time();
                List<Task<?>> all = new ArrayList<>();
                for (Op op : ops) {
                    switch (op.kind) {
                        case GET -> {
                            lastSleep[0] = Math.max(lastSleep[0], op.settleDelay);
                            all.add(settle(op, loop));
                            if (op.watched) {
                                watchers.add(watch(op, problems));
                            }
                        }
                        case STAGE -> op.stage = new CompletableFuture<>();
                        case POST -> {
                            op.target = loop.createFuture();
                            op.announced = loop.expectExternal(); // the thread that posts closes it
                        }
                        default -> { }
                    }
                }
                for (Op op : ops) {
                    op.task = Aio.createTask(() -> await(op, loop, own, bounded, running), "op " + op.id);
                    all.add(op.task);
                }
                for (int k = 0; k < stuckCalls; k++) {
                    Future<Integer> never = loop.createFuture();
                    loop.runInExecutor(random.nextBoolean() ? own : null, () -> {
                        try {
                            return never.get();
                        } catch (Throwable e) {
                            stuckOutcomes.add(e);
                            throw e;
                        } finally {
                            stuckEnded.countDown();
                        }
                    });
                }
                for (int k = 0; k < DETACHED; k++) { // nobody awaits them: Aio.run's shutdown does
                    var op = new Op(OPS + k, Kind.LATCH);
                    op.via = Via.values()[1 + random.nextInt(3)];
                    detached.add(op);
                    detachedFutures.add(loop.runInExecutor(executor(op.via, own, bounded),
                            call(op, running)));
                }
                for (int k = 0; k < preStartCancels; k++) { // the loop has not reached them yet
                    Op op = ops.get(random.nextInt(OPS));
                    op.cancelReturned |= op.task.cancel();
                }
                var go = new CountDownLatch(1);
                externals.addAll(startExternals(ops, detached, loop, externalSeed, go, problems));
                all.add(Aio.createTask(() -> {
                    var r = new Random(cancellerSeed);
                    double slept = 0;
                    for (int k = 0; k < cancels; k++) {
                        if (k == cancels / 2) {
                            // Until now, no latch is released, no stage ended, nothing posted: the calls and stages
                            // are cancelled while they block or wait for a bounded executor's thread.
                            go.countDown();
                        }
                        Op op = ops.get(r.nextInt(OPS));
                        if (r.nextInt(4) == 0 && op.awaited != null) { // what the task awaits, not the task
                            op.awaitedCancelReturned |= op.awaited.cancel();
                        } else {
                            op.cancelReturned |= op.task.cancel();
                        }
                        int pause = r.nextInt(16);
                        if (pause < 3) {
                            Aio.sleep(0);
                        } else if (pause == 3 && k > cancels / 2 && slept + step <= maxSteps * step) {
                            Aio.sleep(step);
                            slept += step;
                        }
                    }
                    lastSleep[0] = Math.max(lastSleep[0], slept);
                    return null;
                }, "canceller"));
                Aio.gatherWithExceptions(all).await();
                endTime[0] = loop.time();
                for (Op op : ops) {
                    if (op.task.isCancelled()) {
                        // Cancelled after what it awaited failed but before it resumed: the error rode along on the
                        // cancellation the task ended with, retrieved here (or reported when the loop closes).
                        try {
                            op.task.exception();
                        } catch (CancellationException e) {
                            rodeAlong.addAll(List.of(e.getSuppressed()));
                        }
                    }
                }
                return null;
            });
        } finally {
            for (Thread t : externals) {
                t.join();
            }
            for (Thread t : watchers) {
                t.join();
            }
            stuckEnded.await(); // released by the close
            own.shutdown();
            bounded.shutdown();
            assertThat(own.awaitTermination(1, TimeUnit.MINUTES)).as(description).isTrue();
            assertThat(bounded.awaitTermination(1, TimeUnit.MINUTES)).as(description).isTrue();
        }

        // Nothing left behind. The stuck calls stay in the in-flight set: released by the close, their outcome was
        // refused, so nothing took them out.
        EventLoop loop = loopRef[0];
        assertThat(loop.inFlightSnapshot()).as(description + ": in flight after Aio.run").hasSize(stuckCalls)
                .allSatisfy(op -> assertThat(op).isInstanceOf(Offload.class));
        assertThat(loop.blockedGets.isEmpty()).as(description + ": threads registered in get()").isTrue();
        assertThat(running.get()).as(description + ": calls still running").isZero();
        assertThat(stuckOutcomes).as(description + ": the stuck calls are released by the close").hasSize(stuckCalls)
                .allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("Event loop closed while a thread waited"));
        for (Op op : ops) {
            if (op.kind == Kind.LATCH) {
                assertThat(op.latch.getCount()).as(description + ": " + op).isZero();
            }
            if (op.watched) {
                assertThat(op.watcherSaw).as(description + ": what the watcher of " + op + " saw").isEqualTo(op.end);
            }
        }
        for (int k = 0; k < DETACHED; k++) { // the shutdown waited for them
            Op op = detached.get(k);
            assertThat(op.latch.getCount()).as(description + ": " + op).isZero();
            Future<Integer> f = detachedFutures.get(k);
            assertThat(op.ran.get()).as(description + ": " + op).isOne();
            assertThat(f.isDone()).as(description + ": " + op).isTrue();
            if (op.failsAfterLatch) {
                assertThat(f.exception()).as(description + ": " + op).isSameAs(op.thrown);
            } else {
                assertThat(f.result()).as(description + ": " + op).isEqualTo(op.id);
            }
        }

        // Each task ends as what it awaited ended, or cancelled exactly when cancel() said so.
        Map<Throwable, Integer> delivered = new IdentityHashMap<>();
        int[] tally = new int[4]; // result, exception, cancelled by someone else, cancelled
        for (Op op : ops) {
            checkOutcome(op, virtual, startTime[0], tally, delivered, problems);
        }
        assertThat(tally[0] + tally[1] + tally[2] + tally[3]).as(description).isEqualTo(OPS);

        // Each error of a call reaches exactly one place.
        for (Throwable e : rodeAlong) {
            delivered.merge(e, 1, Integer::sum);
        }
        List<ExceptionContext> unexpected = new ArrayList<>();
        int stuckAtClose = 0;
        for (ExceptionContext c : reports) {
            if (c.message().equals(CANCELLED_CALL_FAILED)) {
                delivered.merge(c.exception(), 1, Integer::sum);
            } else if (c.message().startsWith(STUCK_AT_CLOSE)) {
                stuckAtClose++;
            } else {
                unexpected.add(c);
            }
        }
        assertThat(unexpected).as(description + ": unexpected reports").isEmpty();
        assertThat(stuckAtClose).as(description + ": stuck calls reported by the close").isEqualTo(stuckCalls);
        for (Op op : ops) {
            Throwable e = op.kind == Kind.STAGE ? (op.stageWonBy == End.ERROR ? op.ownError : null) : op.thrown;
            int times = e == null ? 0 : delivered.getOrDefault(e, 0);
            delivered.remove(e);
            if (e == null || e instanceof InterruptedException || e instanceof CancellationException) {
                continue;
            }
            // An error of a stage is delivered only if its task wrapped it; a call's error always, unless the call
            // failed after it swallowed the interrupt of its cancellation: then the failure is taken as caused by the
            // interrupt and only logged (see Aio.toThread).
            if (op.kind == Kind.STAGE ? times > 1 : times != (op.swallowed.get() > 0 ? 0 : 1)) {
                problems.add(op + ": its error was delivered " + times + " times");
            }
        }
        assertThat(delivered).as(description + ": errors delivered that no call or stage raised").isEmpty();

        if (virtual) {
            assertThat(endTime[0]).as(description + ": the clock ends at the last sleep").isEqualTo(lastSleep[0]);
        }
        assertThat(problems).as(description).isEmpty();
    }

    /**
     * Settles a {@code get()} target {@code op.settleDelay} after time 0, as {@code op.end} says: from a task that
     * sleeps, from a timer callback, or the target is itself the task that sleeps and then returns, fails or cancels
     * itself. Returns a task for the main task to await that ends once the target is settled.
     */
    private static Task<?> settle(Op op, EventLoop loop) {
        if (op.end == End.ERROR) {
            op.ownError = new IllegalStateException("target " + op.id);
        }
        if (op.settler == Settler.IS_TASK) {
            Task<Integer> target = Aio.createTask(() -> {
                Aio.sleep(op.settleDelay);
                op.settledAt = loop.time();
                switch (op.end) {
                    case VALUE -> {
                        return op.id;
                    }
                    case ERROR -> throw (IllegalStateException) op.ownError;
                    default -> {
                        Aio.currentTask().cancel();
                        Aio.sleep(0);
                        throw new AssertionError("not cancelled: " + op);
                    }
                }
            }, "target of op " + op.id);
            op.target = target;
            return target;
        }
        Future<Integer> target = loop.createFuture();
        op.target = target;
        Runnable settle = () -> {
            op.settledAt = loop.time();
            switch (op.end) {
                case VALUE -> target.setResult(op.id);
                case ERROR -> {
                    target.setException(op.ownError);
                    target.exception(); // retrieved: its call may have been interrupted
                }
                case CANCEL -> target.cancel();
            }
        };
        if (op.settler == Settler.CALL_LATER) {
            Future<Void> called = loop.createFuture();
            loop.callLater(op.settleDelay, () -> {
                settle.run();
                called.setResult(null);
            });
            return Aio.createTask(() -> {
                called.await(); // for the main task to await the timer (its own task has no timer)
                return null;
            }, "awaits the timer settling op " + op.id);
        }
        return Aio.createTask(() -> {
            Aio.sleep(op.settleDelay);
            settle.run();
            return null;
        }, "settles op " + op.id);
    }

    /** A platform thread, not in flight, blocked in {@code get()} on a {@code get()} target: records what it saw. */
    private static Thread watch(Op op, List<String> problems) {
        return Thread.ofPlatform().name("watches op " + op.id).start(() -> {
            try {
                Integer v = op.target.get();
                op.watcherSaw = v == op.id ? End.VALUE : null;
            } catch (ExecutionException e) {
                op.watcherSaw = e.getCause() == op.ownError ? End.ERROR : null;
            } catch (CancellationException e) {
                op.watcherSaw = End.CANCEL;
            } catch (Throwable e) {
                problems.add(op + ": its watcher got " + e);
            }
        });
    }

    /** A task's coroutine: awaits its operation, recording when it resumed and what its cancellation carried. */
    private static Integer await(Op op, EventLoop loop, ExecutorService own, ExecutorService bounded,
                                 AtomicInteger running) throws Exception {
        try {
            Integer v = switch (op.kind) {
                case STAGE -> op.wrapped ? (op.awaited = loop.wrapFuture(op.stage)).await() : Aio.await(op.stage);
                case POST -> (op.awaited = op.target).await();
                default -> op.via == Via.TO_THREAD ? Aio.toThread(call(op, running))
                        : (op.awaited = loop.runInExecutor(executor(op.via, own, bounded), call(op, running))).await();
            };
            op.resumedAt = loop.time();
            return v;
        } catch (CancellationException e) {
            if (Aio.currentTask().isInterruption(e)) {
                throw e; // cancelled after what it awaited failed but before it resumed: the error rides along
            }
            op.resumedAt = loop.time(); // what it awaited was cancelled by someone else
            op.foreignCancel = true;
            return -1;
        } catch (Exception e) {
            op.resumedAt = loop.time();
            throw e;
        }
    }

    private static Executor executor(Via via, ExecutorService own, ExecutorService bounded) {
        return switch (via) {
            case TO_THREAD -> EventLoop.toThreadExecutor();
            case DEFAULT -> null;
            case OWN -> own;
            case BOUNDED -> bounded;
        };
    }

    /** The blocking call of an offloaded op; records that it ran, and how it ended. */
    private static Callable<Integer> call(Op op, AtomicInteger running) {
        return () -> {
            op.ran.incrementAndGet();
            running.incrementAndGet();
            try {
                Integer v = switch (op.kind) {
                    case RETURN -> {
                        for (int k = 0; k < op.spins; k++) {
                            Thread.onSpinWait();
                        }
                        yield op.id;
                    }
                    case THROW -> throw new IllegalStateException("call " + op.id);
                    case LATCH -> {
                        op.latch.await();
                        if (op.failsAfterLatch) {
                            throw new IllegalStateException("after latch " + op.id);
                        }
                        yield op.id;
                    }
                    case GET -> getDeafOrNot(op);
                    default -> throw new AssertionError(op);
                };
                op.returned = true;
                return v;
            } catch (Throwable e) {
                op.thrown = e;
                throw e;
            } finally {
                running.decrementAndGet();
            }
        };
    }

    /**
     * {@code op.target.get()}; if the op is deaf, an interrupt is swallowed and the call waits again: it then waits
     * for the loop again, and must neither hold the virtual clock nor be waited for by it.
     */
    private static Integer getDeafOrNot(Op op) throws Exception {
        for (;;) {
            try {
                return op.target.get();
            } catch (InterruptedException e) {
                if (!op.deaf) {
                    throw e;
                }
                op.swallowed.incrementAndGet();
            }
        }
    }

    /**
     * Platform threads, outside the loop, that release the latches, end the stages and post the POST results once
     * {@code go} is released, in a seeded random order (the interleaving with the loop is the scheduler's).
     */
    private static List<Thread> startExternals(List<Op> ops, List<Op> detached, EventLoop loop, long seed,
                                               CountDownLatch go, List<String> problems) {
        var random = new Random(seed);
        List<Runnable> actions = new ArrayList<>();
        for (Op op : ops) {
            switch (op.kind) {
                case LATCH -> actions.add(op.latch::countDown);
                case STAGE -> {
                    Throwable error = op.end == End.ERROR ? new IllegalStateException("stage " + op.id) : null;
                    op.ownError = error;
                    actions.add(() -> {
                        boolean won = switch (op.end) {
                            case VALUE -> op.stage.complete(op.id);
                            case ERROR -> op.stage.completeExceptionally(error);
                            case CANCEL -> op.stage.cancel(false);
                        };
                        if (won) {
                            op.stageWonBy = op.end;
                        }
                    });
                }
                case POST -> actions.add(() -> {
                    loop.callSoonThreadsafe(() -> {
                        op.postsRun.incrementAndGet();
                        if (!op.target.isDone()) {
                            op.target.setResult(op.id);
                        }
                    });
                    try {
                        op.announced.close();
                    } catch (Exception e) {
                        problems.add(op + ": closing its expectExternal() handle threw " + e);
                    }
                });
                default -> { }
            }
        }
        for (Op op : detached) {
            actions.add(op.latch::countDown);
        }
        Collections.shuffle(actions, random);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < EXTERNAL_THREADS; t++) {
            int first = t;
            threads.add(Thread.ofPlatform().name("external-" + t).start(() -> {
                try {
                    go.await();
                    for (int i = first; i < actions.size(); i += EXTERNAL_THREADS) {
                        actions.get(i).run();
                        Thread.yield();
                    }
                } catch (Throwable e) {
                    problems.add("external thread failed: " + e);
                }
            }));
        }
        return threads;
    }

    /**
     * Checks how a task ended against what it awaited, and when, and collects the errors it received; {@code start}
     * is the loop's time when the main task created everything.
     */
    private static void checkOutcome(Op op, boolean virtual, double start, int[] tally,
                                     Map<Throwable, Integer> delivered, List<String> problems) {
        Task<Integer> task = op.task;
        if (!task.isDone()) {
            problems.add(op + ": the task is not done");
            return;
        }
        if (op.ran.get() > 1) {
            problems.add(op + ": the call ran " + op.ran + " times");
        }
        if (task.isCancelled()) {
            tally[3]++;
            if (!op.cancelReturned) {
                problems.add(op + ": cancelled, but no cancel() of it returned true");
            }
            if (op.kind == Kind.POST && op.postsRun.get() != 1) {
                problems.add(op + ": its post ran " + op.postsRun + " times");
            }
            return;
        }
        if (op.cancelReturned) {
            problems.add(op + ": cancel() returned true, but the task ended " + task);
        }
        boolean endedOneWay = op.returned != (op.thrown != null);
        if (op.offloaded() && !op.awaitedCancelReturned && (op.ran.get() != 1 || !endedOneWay)) {
            problems.add(op + ": its task got an outcome, but the call did not run exactly once and end one way");
        }
        Throwable error = task.exception();
        if (op.foreignCancel) {
            tally[2]++;
        } else if (error != null) {
            tally[1]++;
            delivered.merge(error, 1, Integer::sum);
        } else {
            tally[0]++;
        }
        // What it should have got.
        End expected = op.awaitedCancelReturned ? End.CANCEL : switch (op.kind) {
            case RETURN, POST -> End.VALUE;
            case THROW -> End.ERROR;
            case LATCH -> op.failsAfterLatch ? End.ERROR : End.VALUE;
            case GET -> op.end;
            case STAGE -> op.stageWonBy;
        };
        End got = op.foreignCancel ? End.CANCEL : error != null ? End.ERROR : End.VALUE;
        if (got != expected) {
            problems.add(op + ": expected " + expected + ", got " + got);
        } else if (got == End.VALUE && task.result() != op.id) {
            problems.add(op + ": got the value " + task.result());
        } else if (got == End.ERROR) {
            boolean right = switch (op.kind) {
                case STAGE -> error == op.ownError;
                case GET -> error == op.thrown && error instanceof ExecutionException
                        && error.getCause() == op.ownError;
                default -> error == op.thrown;
            };
            if (!right) {
                problems.add(op + ": got the error " + error);
            }
        }
        if (op.kind == Kind.POST && op.postsRun.get() != 1) {
            problems.add(op + ": its post ran " + op.postsRun + " times");
        }
        // On the real clock, a timer may fire late, never early (give or take the rounding to nanoseconds).
        if (op.kind == Kind.GET && (virtual ? op.settledAt != op.settleDelay
                : !(op.settledAt - start >= op.settleDelay - 1e-6))) {
            problems.add(op + ": its target was settled at " + op.settledAt);
        }
        // Work in flight holds the virtual clock unless it only waits for the loop: a get() call's task resumes
        // when its future was settled, everything else before the clock first moves (unless the canceller
        // cancelled what it awaited, at its own time).
        if (op.awaitedCancelReturned) {
            return;
        }
        if (op.kind == Kind.GET ? (virtual ? op.resumedAt != op.settledAt : !(op.resumedAt >= op.settledAt))
                : virtual && op.resumedAt != 0.0) {
            problems.add(op + ": resumed at " + op.resumedAt + ", settled at " + op.settledAt);
        }
    }
}
