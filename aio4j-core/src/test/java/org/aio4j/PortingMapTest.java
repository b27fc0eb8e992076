package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import org.junit.jupiter.api.Test;

/**
 * The rows of {@code docs/porting.md}'s asyncio → aio4j map (and of README's short one) that name API the prose does
 * not show elsewhere, written out as code: each compiles as the row spells it and does what the row says.
 */
class PortingMapTest {

    /** {@code asyncio.get_running_loop()}, {@code asyncio.new_event_loop()}. */
    @Test
    void getRunningLoopAndNewEventLoop() throws Exception {
        assertThatThrownBy(Aio::getRunningLoop).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("no running event loop");
        try (var loop = new EventLoop()) {
            EventLoop seen = loop.runUntilComplete(loop.createTask(Aio::getRunningLoop));
            assertThat(seen).isSameAs(loop);
        }
        try (var loop = EventLoop.builder().virtualTime().debug(true).scheduleSeed(1).deadlockDetection(true)
                .exceptionHandler((l, ctx) -> { }).build()) {
            assertThat(loop.isDebug()).isTrue();
            assertThat(loop.runUntilComplete(loop.createTask(() -> Aio.sleep(5, "slept")))).isEqualTo("slept");
            assertThat(loop.time()).isEqualTo(5.0);
        }
    }

    /** {@code Timeout.when()} ({@code None}: +Infinity) and {@code Timeout.expired()}. */
    @Test
    void timeoutWhenAndExpired() throws Exception {
        TestLoops.runVirtual(() -> {
            try (var t = Aio.timeoutAt(Double.POSITIVE_INFINITY)) {
                assertThat(t.when()).isEqualTo(Double.POSITIVE_INFINITY);
                t.reschedule(Aio.getRunningLoop().time() + 1);
                assertThat(t.when()).isEqualTo(1.0);
            }
            Timeout expiring = Aio.timeout(2);
            try (var t = expiring) {
                Aio.sleep(3);
            } catch (TimeoutCancellationException e) {
                if (!e.isTimeout()) throw e;
            }
            assertThat(expiring.expired()).isTrue();
            return null;
        });
    }

    /** The queue rows: a comparator, shutdown(immediate) returning what it removes, the exceptions' names. */
    @Test
    void queues() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new PriorityQueue<String>(10, Comparator.comparing(String::length));
            q.put("ccc");
            q.putNowait("a");
            q.put("bb");
            assertThat(List.of(q.qsize(), q.maxsize())).containsExactly(3, 10);
            assertThat(q.empty() || q.full()).isFalse();
            assertThat(q.get()).isEqualTo("a");
            q.taskDone();
            assertThat(q.shutdown(true)).containsExactlyInAnyOrder("bb", "ccc");
            assertThatThrownBy(() -> q.put("d")).isInstanceOf(QueueShutDownException.class);

            var lifo = new LifoQueue<Integer>(1);
            lifo.put(1);
            assertThatThrownBy(() -> lifo.putNowait(2)).isInstanceOf(QueueFullException.class);
            assertThat(lifo.getNowait()).isEqualTo(1);
            assertThatThrownBy(lifo::getNowait).isInstanceOf(QueueEmptyException.class);

            var fifo = new Queue<Integer>();
            fifo.put(1);
            fifo.put(2);
            fifo.shutdown();
            List<Integer> taken = new ArrayList<>();
            for (Integer x : fifo) {
                taken.add(x);
            }
            assertThat(taken).containsExactly(1, 2);
            return null;
        });
    }

    /** {@code Lock}, {@code Semaphore}, {@code Event}, {@code Condition} and {@code Barrier} as the rows name them. */
    @Test
    void primitives() throws Exception {
        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            try (var _ = lock.acquire()) {
                assertThat(lock.locked()).isTrue();
            }
            assertThat(lock.locked()).isFalse();
            var sem = new BoundedSemaphore(1);
            sem.acquire();
            assertThat(sem.locked()).isTrue();
            sem.release();

            var event = new Event();
            Aio.getRunningLoop().callLater(1, event::set);
            event.await();
            assertThat(event.isSet()).isTrue();
            event.clear();

            var cond = new Condition(lock);
            int[] state = {0};
            Task<Void> waiter = Aio.createTask(() -> {
                try (var _ = cond.acquire()) {
                    cond.waitFor(() -> state[0] == 2);
                }
            });
            for (int i = 0; i < 2; i++) {
                Aio.sleep(1);
                try (var _ = cond.acquire()) {
                    state[0]++;
                    cond.signalAll();
                }
            }
            waiter.await();

            var barrier = new Barrier(2);
            Task<Integer> first = Aio.createTask(barrier::await);
            Aio.sleep(0);
            assertThat(List.of(barrier.parties(), barrier.nWaiting())).containsExactly(2, 1);
            int index = barrier.await();
            assertThat(List.of(first.await(), index)).containsExactly(0, 1);
            Task<Integer> stranded = Aio.createTask(barrier::await);
            Aio.sleep(0);
            barrier.abort(); // does not suspend
            assertThat(barrier.broken()).isTrue();
            assertThatThrownBy(stranded::await).isInstanceOf(BrokenBarrierException.class);
            return null;
        });
    }

    /** The loop's exception handler, debug and default-executor rows, and {@code Task.print_stack}. */
    @Test
    void loopSettingsAndPrintStack() throws Exception {
        try (var loop = new EventLoop()) {
            assertThat(loop.getExceptionHandler()).isNull();
            ExceptionHandler handler = (l, ctx) -> l.defaultExceptionHandler(ctx);
            loop.setExceptionHandler(handler);
            assertThat(loop.getExceptionHandler()).isSameAs(handler);
            loop.setDebug(true);
            assertThat(loop.isDebug()).isTrue();
            loop.setSlowCallbackDuration(Duration.ofMillis(50));
            String stack = loop.runUntilComplete(loop.createTask(() -> {
                assertThatThrownBy(() -> Aio.getRunningLoop().shutdownDefaultExecutor(Duration.ZERO))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("not running");
                Task<Void> sleeper = Aio.createTask(() -> Aio.sleep(0.01), "sleeper");
                Aio.sleep(0);
                var out = new ByteArrayOutputStream();
                sleeper.printStack(new PrintStream(out, true, StandardCharsets.UTF_8));
                sleeper.await();
                return out.toString(StandardCharsets.UTF_8);
            }));
            assertThat(stack).startsWith("Stack for ").contains("sleeper");
            assertThat(loop.shutdownDefaultExecutor(Duration.ofSeconds(1))).isTrue();
        }
    }

    /** README's {@code done, pending = await asyncio.wait(fs)} row, with tasks of different result types. */
    @Test
    void waitOverTasksOfDifferentTypes() throws Exception {
        TestLoops.runVirtual(() -> {
            List<Task<?>> fs = List.of(Aio.createTask(() -> 1), Aio.createTask(() -> "two"));
            WaitResult<Task<?>> r = Aio.wait(fs);
            assertThat(r.done()).hasSize(2);
            assertThat(r.pending()).isEmpty();
            return null;
        });
    }

    /**
     * porting.md: a worker that catches {@code Exception} swallows its cancellation, and {@code Aio.run}, which
     * cancels the tasks left at the end, then fails with a {@code DeadlockException} (the worker waits on an empty
     * queue) where asyncio's would have returned; letting the cancellation through first ends it.
     */
    @Test
    void catchExceptionSwallowsTheCancellationOfAioRunsEnd() throws Exception {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            var q = new Queue<Integer>();
            Aio.createTask(() -> {
                while (true) {
                    try {
                        q.get();
                    } catch (Exception e) {
                        // logged and gone on: the cancellation too
                    }
                }
            }, "worker");
            Aio.sleep(0);
            return null;
        })).isInstanceOf(DeadlockException.class).hasMessageContaining("worker");

        TestLoops.runVirtual(() -> {
            var q = new Queue<Integer>();
            Aio.createTask(() -> {
                while (true) {
                    try {
                        q.get();
                    } catch (java.util.concurrent.CancellationException e) {
                        throw e;
                    } catch (Exception e) {
                        // a failure: logged and gone on
                    }
                }
            }, "worker");
            Aio.sleep(0);
            return null;
        });
    }

    /**
     * porting.md: {@code as_completed(fs, timeout=t)} is {@code asCompleted(fs)} inside {@code Aio.timeout(t)}, which
     * leaves the pending futures running, as asyncio does; {@code Aio.timeout(null)} is refused.
     */
    @Test
    void asCompletedInsideATimeoutLeavesThePendingRunning() throws Exception {
        TestLoops.runVirtual(() -> {
            List<Task<Integer>> fs = List.of(Aio.createTask(() -> Aio.sleep(1, 1)), Aio.createTask(() -> Aio.sleep(5, 5)));
            List<Integer> seen = new ArrayList<>();
            try (var _ = Aio.timeout(2)) {
                for (var f : Aio.asCompleted(fs)) {
                    seen.add(f.await());
                }
            } catch (TimeoutCancellationException e) {
                if (!e.isTimeout()) throw e;
            }
            assertThat(seen).containsExactly(1);
            assertThat(fs.get(1).isDone()).isFalse();
            assertThat(fs.get(1).await()).isEqualTo(5);
            assertThatThrownBy(() -> Aio.timeout(null)).isInstanceOf(NullPointerException.class);
            return null;
        });
    }
}
