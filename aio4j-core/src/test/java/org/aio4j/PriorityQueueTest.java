package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The heap under {@link PriorityQueue}: its order, and what a comparator that throws leaves behind. */
class PriorityQueueTest {

    /** Orders integers naturally, or throws while {@link #failing} is set. */
    private static final class Flaky implements Comparator<Integer> {
        boolean failing;

        @Override
        public int compare(Integer a, Integer b) {
            if (failing) {
                throw new IllegalStateException("comparator failed on " + a + " and " + b);
            }
            return Integer.compare(a, b);
        }
    }

    @Test
    void randomPutsAndGetsComeOutAsFromASortedListWithTiesInPutOrder() throws Exception {
        long seed = new Random().nextLong();
        var random = new Random(seed);
        record Job(int priority, int serial) {
        }
        TestLoops.runVirtual(() -> {
            var queue = new PriorityQueue<Job>(0, Comparator.comparingInt(Job::priority));
            List<Job> model = new ArrayList<>(); // kept sorted by priority, ties in put order
            for (int op = 0; op < 20_000; op++) {
                if (model.isEmpty() || random.nextInt(3) > 0) {
                    var job = new Job(random.nextInt(50), op);
                    queue.putNowait(job);
                    int at = 0;
                    while (at < model.size() && model.get(at).priority() <= job.priority()) {
                        at++;
                    }
                    model.add(at, job);
                } else {
                    assertThat(queue.getNowait()).as("seed %d, operation %d", seed, op).isEqualTo(model.removeFirst());
                }
                assertThat(queue.qsize()).isEqualTo(model.size());
            }
            List<Job> rest = new ArrayList<>();
            while (!queue.empty()) {
                rest.add(queue.getNowait());
            }
            assertThat(rest).as("seed %d", seed).isEqualTo(model);
            return null;
        });
    }

    @Test
    void aComparatorThatThrowsFailsThePutOrGetAndLosesOrDuplicatesNothing() throws Exception {
        var order = new Flaky();
        TestLoops.runVirtual(() -> {
            var queue = new PriorityQueue<Integer>(0, order);
            for (int i = 1; i <= 9; i++) {
                queue.put(i);
            }
            order.failing = true;
            assertThatThrownBy(queue::get).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("comparator failed");
            assertThatThrownBy(() -> queue.put(0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(queue::getNowait).isInstanceOf(IllegalStateException.class);
            order.failing = false;
            assertThat(queue.qsize()).isEqualTo(9);
            List<Integer> out = new ArrayList<>();
            while (!queue.empty()) {
                out.add(queue.get());
                queue.taskDone();
            }
            assertThat(out).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
            queue.join(); // the failed put counted nothing: every put item was marked done
            return null;
        });
    }

    /**
     * A comparator that fails in the middle of a sift, after entries have moved, leaves the heap as it was before the
     * put or get: every entry moved on the way is moved back, so the order and the items are intact.
     */
    @Test
    void aComparatorThatThrowsMidwayThroughASiftLeavesTheHeapAsItWas() throws Exception {
        int[] comparesLeft = {-1}; // -1: never fails
        Comparator<Integer> order = (a, b) -> {
            if (comparesLeft[0] == 0) {
                throw new IllegalStateException("comparator failed on " + a + " and " + b);
            }
            if (comparesLeft[0] > 0) {
                comparesLeft[0]--;
            }
            return Integer.compare(a, b);
        };
        TestLoops.runVirtual(() -> {
            var queue = new PriorityQueue<Integer>(0, order);
            for (int i = 1; i <= 9; i++) {
                queue.putNowait(i);
            }
            comparesLeft[0] = 1; // 0 moves up past 5, then the comparison with 2 fails
            assertThatThrownBy(() -> queue.putNowait(0)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("comparator failed on 0 and 2");
            comparesLeft[0] = 3; // 9 moves down past 2, then the comparison of 4 with it fails
            assertThatThrownBy(queue::getNowait).isInstanceOf(IllegalStateException.class)
                    .hasMessage("comparator failed on 4 and 9");
            comparesLeft[0] = -1;
            assertThat(queue.qsize()).isEqualTo(9);
            List<Integer> out = new ArrayList<>();
            while (!queue.empty()) {
                out.add(queue.getNowait());
            }
            assertThat(out).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
            return null;
        });
    }

    @Test
    void anImmediateShutdownWhoseComparatorFailsStillReturnsEveryItem() throws Exception {
        var order = new Flaky();
        TestLoops.runVirtual(() -> {
            var queue = new PriorityQueue<Integer>(0, order);
            for (int i = 9; i >= 1; i--) {
                queue.put(i);
            }
            order.failing = true;
            List<Integer> removed = queue.shutdown(true);
            assertThat(removed).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8, 9);
            assertThat(queue.qsize()).isZero();
            queue.join(); // the removed items count as done
            return null;
        });
    }

    /**
     * A woken getter whose get fails on the comparator gives the item promised to it back to the getters that wait:
     * none of them waits while an item is there for it.
     */
    @Test
    void aWokenGetterWhoseComparatorFailsLeavesTheItemToTheNextGetter() throws Exception {
        var order = new Flaky();
        TestLoops.runVirtual(() -> {
            var queue = new PriorityQueue<Integer>(0, order);
            List<Object> got = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Aio.createTask(() -> {
                    try {
                        got.add(queue.get());
                    } catch (IllegalStateException e) {
                        got.add("failed");
                        order.failing = false; // the others' gets succeed
                    }
                });
            }
            Aio.sleep(0); // the four getters wait
            queue.putNowait(3);
            queue.putNowait(1);
            queue.putNowait(2); // promised to the first three getters; the fourth still waits
            order.failing = true; // the first getter's get fails on the comparator
            Aio.sleep(0);
            Aio.sleep(0);
            assertThat(got).containsExactly("failed", 1, 2, 3);
            assertThat(queue.qsize()).isZero();
            return null;
        });
    }
}
