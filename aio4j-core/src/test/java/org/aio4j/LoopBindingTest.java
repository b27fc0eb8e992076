package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Queues and primitives are loop objects: bound at first use, refused on other threads and other loops. */
class LoopBindingTest {

    record Primitive(String name, Supplier<Object> factory, Consumer<Object> use) {
        @Override
        public String toString() {
            return name;
        }
    }

    @SuppressWarnings("unchecked")
    static Stream<Primitive> primitives() {
        return Stream.of(
                new Primitive("Queue", Queue::new, q -> ((Queue<String>) q).putNowait("x")),
                new Primitive("LifoQueue", LifoQueue::new, q -> ((Queue<String>) q).qsize()),
                new Primitive("PriorityQueue", PriorityQueue::new, q -> ((Queue<String>) q).empty()),
                new Primitive("Lock", Lock::new, l -> ((Lock) l).locked()),
                new Primitive("Semaphore", Semaphore::new, s -> ((Semaphore) s).release()),
                new Primitive("BoundedSemaphore", BoundedSemaphore::new, s -> ((Semaphore) s).locked()),
                new Primitive("Event", Event::new, e -> ((Event) e).set()),
                new Primitive("Condition", Condition::new, c -> ((Condition) c).locked()),
                new Primitive("Barrier", () -> new Barrier(2), b -> ((Barrier) b).nWaiting()),
                new Primitive("CapacityLimiter", () -> new CapacityLimiter(1),
                        c -> ((CapacityLimiter) c).borrowedTokens()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("primitives")
    void anotherThreadIsRefusedWhileTheLoopRunsAndToldAboutCallSoonThreadsafe(Primitive p) throws Exception {
        RuntimeException refused = TestLoops.runVirtual(() -> {
            Object primitive = p.factory().get();
            p.use().accept(primitive); // binds it to this loop
            return Aio.toThread(() -> {
                try {
                    p.use().accept(primitive);
                    return null;
                } catch (IllegalStateException e) {
                    return e;
                }
            });
        });
        assertThat(refused).isNotNull().hasMessageContaining("does not hold")
                .hasMessageContaining("loop.callSoonThreadsafe(...)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("primitives")
    void anotherLoopIsRefused(Primitive p) throws Exception {
        Object primitive = p.factory().get();
        TestLoops.runVirtual(() -> {
            p.use().accept(primitive);
            return null;
        });
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            p.use().accept(primitive);
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("is bound to a different event loop")
                // The first loop is closed: the object can never be used again, and the message says what to do.
                .hasMessageContaining("which is closed: a loop object cannot outlive its loop; make one per run");
    }

    @Test
    void callSoonThreadsafeIsTheWayInFromAnotherThread() throws Exception {
        String got = TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            var q = new Queue<String>();
            var ready = new Event();
            Task<String> consumer = Aio.createTask(q::get);
            Aio.toThread(() -> loop.callSoonThreadsafe(() -> {
                q.putNowait("from another thread");
                ready.set();
            }));
            ready.await();
            return consumer.await();
        });
        assertThat(got).isEqualTo("from another thread");
    }

    @Test
    void waitingOutsideATaskIsRefusedClearly() {
        var lock = new Lock();
        lock.acquire(); // no loop yet: allowed, it does not wait
        assertThatThrownBy(lock::acquire).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Lock.acquire() has to wait, so it must be called from a task");
        var q = new Queue<String>();
        assertThatThrownBy(q::get).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Queue.get() has to wait");
    }
}
