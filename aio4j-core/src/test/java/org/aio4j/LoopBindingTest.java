package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
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
        assertRefusedOnAnotherThread(p, true);
    }

    /**
     * In a task of a running loop: makes a primitive, uses it there first if {@code usedFirst} (which binds it), then
     * uses it from another thread, which must be refused and told the thread-safe way in.
     */
    private static void assertRefusedOnAnotherThread(Primitive p, boolean usedFirst) throws Exception {
        RuntimeException refused = TestLoops.runVirtual(() -> {
            Object primitive = p.factory().get();
            if (usedFirst) {
                p.use().accept(primitive); // binds it to this loop
            }
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

    /**
     * A primitive made by a task and handed to another thread before the loop used it is refused there too: it was
     * not bound yet, so the thread's call was not checked (a {@code putNowait} from a worker thread went into the
     * queue unchecked, racing the loop, and only a later call found the mistake, if any did).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("primitives")
    void anotherThreadIsRefusedBeforeTheFirstUseOfAPrimitiveATaskMade(Primitive p) throws Exception {
        assertRefusedOnAnotherThread(p, false); // made by the task, not used yet
    }

    /**
     * Not one public method of a primitive runs on another thread while the loop runs, whatever its arguments: each
     * is refused before it reads or changes anything (a predicate is not called). Only what never changes (a bound, a
     * count of parties), {@code toString()} (task dumps are taken from other threads) and the creation of an iterator
     * (its {@code hasNext()} is checked) are exempt. Found by it: {@code Condition.waitFor} ran a true predicate on
     * the other thread and returned.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("primitives")
    void everyPublicMethodRefusesAnotherThread(Primitive p) throws Exception {
        Set<String> exempt = Set.of("toString", "maxsize", "parties", "iterator", "spliterator", "hashCode", "equals",
                "getClass", "wait", "notify", "notifyAll");
        List<String> notRefused = TestLoops.runVirtual(() -> {
            List<String> out = new ArrayList<>();
            for (Method m : p.factory().get().getClass().getMethods()) {
                if (exempt.contains(m.getName())) {
                    continue;
                }
                Object primitive = p.factory().get();
                p.use().accept(primitive); // binds it to this loop
                boolean[] predicateCalled = {false};
                Class<?>[] types = m.getParameterTypes();
                Object[] args = new Object[types.length];
                for (int i = 0; i < args.length; i++) {
                    args[i] = types[i] == int.class ? (Object) 1 : types[i] == boolean.class ? (Object) true
                            : types[i] == BooleanSupplier.class ? (BooleanSupplier) () -> predicateCalled[0] = true
                            : types[i] == Consumer.class ? (Consumer<Object>) x -> { } : "borrower";
                }
                String outcome = Aio.toThread(() -> {
                    try {
                        m.invoke(primitive, args);
                        return "returned";
                    } catch (InvocationTargetException e) {
                        return e.getCause().toString();
                    }
                });
                if (!outcome.contains("does not hold") || predicateCalled[0]) {
                    out.add(m.getName() + ": " + outcome + (predicateCalled[0] ? " (predicate called)" : ""));
                }
            }
            return out;
        });
        assertThat(notRefused).isEmpty();
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
