package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.aio4j.ToPublisherEndingTest.Recorder;
import org.aio4j.ToPublisherEndingTest.TrackedSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@link EventLoop#close()} called directly (not through {@link Aio#run}, which cancels and finishes the tasks
 * first) owes to the work still queued: callbacks accepted before the close run (none is dropped without a word),
 * the done callbacks of the tasks it cancels run, and a second close waits for the first.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a bound on hangs, not a timing assertion
class LoopCloseTest {

    private static final String PENDING_AT_CLOSE = "Task was still pending when its event loop closed; it was cancelled";

    private static List<String> messages(List<ExceptionContext> errors) {
        return errors.stream().map(ExceptionContext::message).toList();
    }

    @Test
    void aDoneCallbackScheduledAfterTheCloseIsReportedNotLeftInTheQueue() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        List<String> ran = new ArrayList<>();
        Future<String> future = loop.runUntilComplete(() -> {
            Future<String> f = Aio.getRunningLoop().createFuture();
            f.addDoneCallback(done -> ran.add("callback"));
            return f;
        });
        loop.close();

        future.setResult("late"); // settled all the same, as asyncio's set_result does before it raises
        assertThat(future.result()).isEqualTo("late");
        assertThat(ran).isEmpty();
        assertThat(messages(errors)).singleElement().asString().startsWith("Event loop is closed: ")
                .endsWith(" was scheduled after the close and will never run");
    }

    @Test
    void aSubscriptionPostedToAnIdleLoopThatIsClosedEndsWithAnErrorAndClosesItsSource() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        var source = new TrackedSource(List.of(1, 2), null);
        var subscriber = new Recorder();
        java.util.concurrent.Flow.Publisher<Integer> publisher = loop.runUntilComplete(source::toPublisher);
        publisher.subscribe(subscriber); // from this thread, the loop idle: the start is posted to the loop

        loop.close();

        assertThat(subscriber.signals).hasSize(2).first().isEqualTo("subscribed");
        assertThat(subscriber.signals.get(1)).isInstanceOf(CancellationException.class);
        assertThat(source.closes).isEqualTo(1);
        assertThat(messages(errors)).containsExactly(PENDING_AT_CLOSE); // the pump, which never ran
    }

    @Test
    void aSubscriptionWhosePumpNeverRanEndsWithAnErrorWhenTheLoopIsClosed() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        var source = new TrackedSource(List.of(1, 2), null);
        var subscriber = new Recorder();
        loop.runUntilComplete(() -> {
            source.toPublisher().subscribe(subscriber);
            return null; // the run ends once the subscription has started, before its pump's first step
        });
        assertThat(subscriber.signals).containsExactly("subscribed");

        loop.close();

        assertThat(subscriber.signals).hasSize(2);
        assertThat(subscriber.signals.get(1)).isInstanceOf(CancellationException.class);
        assertThat(source.closes).isEqualTo(1);
        assertThat(messages(errors)).containsExactly(PENDING_AT_CLOSE);
    }

    /**
     * A task of {@code loop} takes the first item (1) of a generator of {@code body} and hands the started generator
     * to {@code toPublisher()}, subscribed by a recorder that requests nothing; the task then ends, the pump not run.
     */
    private static Recorder handedToAPublisherAfterItsFirstItem(EventLoop loop, AsyncGenerator.Body<Integer> body)
            throws Exception {
        var subscriber = new Recorder();
        subscriber.onSubscribe = s -> { };
        loop.runUntilComplete(() -> {
            var gen = AsyncGenerator.of(body);
            assertThat(gen.next()).isEqualTo(1);
            gen.toPublisher().subscribe(subscriber);
            return null;
        });
        return subscriber;
    }

    @Test
    void aStartedGeneratorHandedToAPumpThatNeverRanIsClosedByTheCloseAndItsFinallyBlocksRun() throws Exception {
        // The main task drives the generator, subscribes and returns; the loop is then closed directly, before the
        // pump's first step. Closing a started generator resumes its body, which only a task can do.
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        List<String> events = new ArrayList<>();
        var subscriber = handedToAPublisherAfterItsFirstItem(loop, out -> {
            try {
                out.emit(1);
                out.emit(2);
            } finally {
                events.add("finally ran in task " + Aio.currentTask().getName());
            }
        });

        loop.close();

        assertThat(events).containsExactly("finally ran in task publisher-source-close");
        assertThat(subscriber.signals).hasSize(2).first().isEqualTo("subscribed");
        assertThat(subscriber.signals.get(1)).isInstanceOf(CancellationException.class);
        assertThat(messages(errors)).containsExactly(PENDING_AT_CLOSE); // the pump; the source closed cleanly
    }

    @Test
    void aGeneratorBodyThatAwaitsWhileTheCloseClosesItIsRefusedAndTheRefusalIsReported() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        List<String> events = new ArrayList<>();
        handedToAPublisherAfterItsFirstItem(loop, out -> {
            try {
                out.emit(1);
            } finally {
                try {
                    Aio.sleep(1); // clean-up that awaits: the closing loop refuses it
                } finally {
                    events.add("outer finally ran");
                }
            }
        });

        loop.close();

        assertThat(events).containsExactly("outer finally ran");
        assertThat(messages(errors)).containsExactly(PENDING_AT_CLOSE,
                "closing the source of Publisher[AsyncGenerator[closed]] failed");
        assertThat(errors.get(1).exception()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Event loop is closed");
    }

    @Test
    void callbacksAcceptedBeforeTheCloseRunInOrderAndTheDoneCallbacksOfTasksItCancelsRunToo() throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        List<String> ran = new ArrayList<>();
        Task<Void> sleeper = loop.createTask(() -> Aio.sleep(10));
        loop.runUntilComplete(() -> Aio.sleep(0)); // the sleeper starts and sleeps
        loop.callSoon(() -> ran.add("callSoon"));
        Thread poster = Thread.ofPlatform().start(() -> loop.callSoonThreadsafe(() -> ran.add("threadsafe")));
        poster.join();
        sleeper.addDoneCallback(t -> ran.add("sleeper done, cancelled=" + t.isCancelled()));

        loop.close();

        assertThat(ran).containsExactly("callSoon", "threadsafe", "sleeper done, cancelled=true");
        assertThat(messages(errors)).containsExactly(PENDING_AT_CLOSE);
        assertThat(loop.hasPosts()).isFalse();
    }

    @Test
    void callbacksThatRescheduleThemselvesForeverAreDroppedAndReported() {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        var runs = new int[1];
        Runnable[] again = new Runnable[1];
        again[0] = () -> {
            runs[0]++;
            loop.callSoon(again[0]);
        };
        loop.callSoon(again[0]);

        loop.close();

        assertThat(loop.isClosed()).isTrue();
        assertThat(runs[0]).isEqualTo(EventLoop.CLOSING_ROUNDS);
        assertThat(messages(errors)).singleElement().asString()
                .startsWith("1 callback still scheduled after " + EventLoop.CLOSING_ROUNDS
                        + " rounds of closing the event loop was dropped");
    }

    @Test
    void tasksCreatedOverAndOverWhileClosingAreCancelledInBoundedPassesAndTheRestReportedOnce() {
        // An exception handler that creates a task each time it is told of one cancelled at close: each new task is
        // cancelled and reported in turn, which creates another. Bounded by the test at 10,000, the close must stop
        // well before.
        List<ExceptionContext> errors = new ArrayList<>();
        var created = new int[1];
        var loop = EventLoop.builder().virtualTime().exceptionHandler((l, ctx) -> {
            errors.add(ctx);
            if (ctx.future() instanceof Task<?> && created[0] < 10_000) {
                created[0]++;
                l.createTask(() -> Aio.sleep(1), "created-while-closing-" + created[0]);
            }
        }).build();
        Task<Void> first = loop.createTask(() -> Aio.sleep(1));

        loop.close();

        assertThat(loop.isClosed()).isTrue();
        assertThat(first.isCancelled()).isTrue();
        // Two per round (a task queued and then pending), one per pass after the rounds.
        assertThat(created[0]).isEqualTo(3 * EventLoop.CLOSING_ROUNDS);
        assertThat(messages(errors)).last().asString()
                .startsWith("1 task created while closing the event loop was still pending after "
                        + EventLoop.CLOSING_ROUNDS + " passes of cancelling such tasks; it was cancelled: [Task[name=created-while-closing-");
        assertThat(messages(errors)).noneMatch(m -> m.contains("callback")); // the settled tasks' queue entries
        assertThat(loop.allTasks()).isEmpty();
    }

    /**
     * A loop closed by a task of another running loop runs its queued callbacks on that task's thread, which then holds
     * both loops: there, the running loop, the current task and a new task's loop are the closing loop's, not the
     * outer one's (a callback of the closed loop must not create its tasks on another loop, nor take the outer task
     * for its own).
     */
    @Test
    void aLoopClosedFromATaskOfAnotherLoopRunsItsCallbacksAsItsOwn() throws Exception {
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop outer = Aio.getRunningLoop();
            EventLoop closed = EventLoop.builder().virtualTime().build();
            closed.callSoon(() -> {
                EventLoop running = Aio.getRunningLoop();
                seen.add("running loop: " + (running == closed ? "closed one" : running == outer ? "outer" : running));
                seen.add("current task: " + Aio.currentTask());
                Task<Void> created = Aio.createTask(() -> { });
                seen.add("task created on: " + (created.getLoop() == closed ? "closed one" : "outer"));
            });
            closed.close();
            seen.add("outer still running: " + (Aio.getRunningLoop() == outer));
            return null;
        });
        assertThat(seen).containsExactly("running loop: closed one", "current task: null",
                "task created on: closed one", "outer still running: true");
    }

    @Test
    void aSecondCloseFromAnotherThreadWaitsUntilTheLoopIsClosed() throws Exception {
        var loop = new EventLoop();
        var inFinally = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        loop.createTask(() -> {
            try {
                Aio.sleep(10);
            } finally {
                inFinally.countDown();
                release.await(); // holds the first close in its cancellation round
            }
        });
        loop.runUntilComplete(() -> Aio.sleep(0));
        loop.setExceptionHandler((l, ctx) -> { });
        Thread first = Thread.ofPlatform().start(loop::close);
        inFinally.await();

        var closedWhenSecondReturned = new AtomicReference<Boolean>();
        Thread second = Thread.ofPlatform().start(() -> {
            loop.close();
            closedWhenSecondReturned.set(loop.isClosed());
        });
        // Until the second close waits (or, wrongly, has returned already): then let the first one finish.
        while (second.isAlive() && second.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        release.countDown();
        second.join();
        first.join();

        assertThat(closedWhenSecondReturned.get()).as("the loop was closed when the second close() returned").isTrue();
    }

    @Test
    void anInterruptOfTheClosingThreadWhileATaskUnwindsIsKeptForItsCaller() throws Exception {
        var loop = new EventLoop();
        var inFinally = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        loop.createTask(() -> {
            try {
                Aio.sleep(10);
            } finally {
                inFinally.countDown();
                release.await(); // the close waits for this task meanwhile
            }
        });
        loop.runUntilComplete(() -> Aio.sleep(0));
        loop.setExceptionHandler((l, ctx) -> { });
        var interruptedAfterClose = new AtomicReference<Boolean>();
        Thread closer = Thread.ofPlatform().start(() -> {
            loop.close();
            interruptedAfterClose.set(Thread.currentThread().isInterrupted());
        });
        inFinally.await();
        closer.interrupt(); // the closer waits for the task to hand the loop back: it sees the interrupt there
        release.countDown();
        closer.join();

        assertThat(loop.isClosed()).isTrue();
        assertThat(interruptedAfterClose.get()).as("the closing thread's interrupt status after close()").isTrue();
    }

    @Test
    void aCloseCalledFromTheCloseItselfReturnsAtOnce() {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        var nestedReturned = new AtomicBoolean();
        loop.callSoon(() -> {
            loop.close(); // from a callback that the close runs: it must not wait for itself
            nestedReturned.set(true);
        });

        loop.close();

        assertThat(nestedReturned).isTrue();
        assertThat(loop.isClosed()).isTrue();
        assertThat(errors).isEmpty();
    }

    /**
     * A Condition waiter that the close resumes while another task holds the lock cannot take it back (the close
     * refuses the wait): it leaves {@code await()} without the lock, and its permit's close must not release the
     * holder's lock, whose own release would then fail with "Lock is not acquired". Whichever permit it holds the
     * lock by: the condition's, the lock's own ({@code async with lock: await cond.wait()} with
     * {@code cond = Condition(lock)}) or another condition's over the same lock (the last two failing before).
     */
    @ParameterizedTest
    @ValueSource(strings = {"condition's permit", "lock's permit", "other condition's permit"})
    void aConditionWaiterTheCloseEndsWithoutTheLockDoesNotReleaseTheHoldersLock(String held)
            throws Exception {
        List<ExceptionContext> errors = new ArrayList<>();
        var loop = TestLoops.virtual(errors);
        var lock = new Lock();
        var c = new Condition(lock);
        var other = new Condition(lock);
        List<String> seen = new ArrayList<>();
        List<Throwable> holderEnd = new ArrayList<>();
        loop.runUntilComplete(() -> {
            Aio.createTask(() -> {
                try (var _ = switch (held) {
                    case "condition's permit" -> c.acquire();
                    case "lock's permit" -> lock.acquire();
                    default -> other.acquire();
                }) {
                    c.await();
                } catch (IllegalStateException refused) { // the close refuses the wait for the lock
                    seen.add("waiter left, " + lock);
                }
            }, "waiter");
            Aio.sleep(0);
            Aio.createTask(() -> {
                try (var _ = lock.acquire()) {
                    Aio.sleep(100);
                } catch (CancellationException e) {
                    holderEnd.add(e);
                }
                seen.add("holder left, " + lock);
            }, "holder");
            Aio.sleep(0);
            return null;
        });

        loop.close();

        assertThat(seen).containsExactly("waiter left, Lock[locked by holder, waiters=0]",
                "holder left, Lock[unlocked, waiters=0]");
        assertThat(holderEnd).singleElement().satisfies(e -> assertThat(e.getSuppressed()).isEmpty());
    }

    @Test
    void aCallbackTheExceptionHandlerSchedulesAsTheCloseReportsRunsRatherThanBeingDroppedUnseen() {
        var loop = new EventLoop();
        var ran = new AtomicInteger();
        List<String> reports = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> {
            reports.add(ctx.message());
            l.callSoon(ran::incrementAndGet); // e.g. to hand the report to a task; one per report
        });
        loop.createFuture().setException(new IllegalStateException("nobody retrieves this"));

        loop.close();

        assertThat(reports).containsExactly("Future exception was never retrieved");
        assertThat(ran.get()).as("the callback scheduled by the handler as the close reported").isEqualTo(1);
    }

    @Test
    void aFailureLeftUnretrievedByWhatTheCloseReportsScheduledIsReportedToo() {
        var loop = new EventLoop();
        List<String> reports = new ArrayList<>();
        var late = new IllegalStateException("failed in a callback the handler scheduled");
        loop.setExceptionHandler((l, ctx) -> {
            reports.add(ctx.message() + ": " + ctx.exception().getMessage());
            if (reports.size() == 1) { // the first report hands work to a callback, which fails a future in turn
                l.callSoon(() -> l.createFuture().setException(late));
            }
        });
        loop.createFuture().setException(new IllegalStateException("nobody retrieves this"));

        loop.close();

        assertThat(reports).containsExactly("Future exception was never retrieved: nobody retrieves this",
                "Future exception was never retrieved: " + late.getMessage());
    }

    @Test
    void aHandlerWhoseEveryReportLeadsToAnotherFailureDoesNotKeepTheCloseGoingForEver() {
        var loop = new EventLoop();
        List<String> reports = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> {
            reports.add(ctx.message());
            l.callSoon(() -> l.createFuture().setException(new IllegalStateException("again")));
        });
        loop.createFuture().setException(new IllegalStateException("first"));

        loop.close();

        assertThat(loop.isClosed()).isTrue();
        assertThat(reports).hasSize(EventLoop.CLOSING_ROUNDS + 2) // the first, one per pass, then the drop
                .last().asString().startsWith("1 callback still scheduled after " + EventLoop.CLOSING_ROUNDS);
    }

    @Test
    void cancellingAFutureThatHasFailedDoesNotSilenceTheReportOfItsException() {
        // CPython's cancel() clears the future's "log traceback" flag before it looks at the state (porting.md).
        var loop = new EventLoop();
        List<String> reports = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> reports.add(ctx.message() + ": " + ctx.exception().getMessage()));
        Future<Object> f = loop.createFuture();
        f.setException(new IllegalStateException("failed first"));
        assertThat(f.cancel()).isFalse();

        loop.close();

        assertThat(reports).containsExactly("Future exception was never retrieved: failed first");
    }
}
