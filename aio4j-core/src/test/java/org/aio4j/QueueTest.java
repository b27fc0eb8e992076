package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class QueueTest {

    @Test
    void fifoLifoAndPriorityOrders() throws Exception {
        TestLoops.runVirtual(() -> {
            var fifo = new Queue<Integer>();
            var lifo = new LifoQueue<Integer>();
            var prio = new PriorityQueue<Integer>();
            for (int i : new int[] {3, 1, 2}) {
                fifo.putNowait(i);
                lifo.putNowait(i);
                prio.put(i);
            }
            assertThat(List.of(fifo.get(), fifo.get(), fifo.get())).containsExactly(3, 1, 2);
            assertThat(List.of(lifo.get(), lifo.get(), lifo.get())).containsExactly(2, 1, 3);
            assertThat(List.of(prio.get(), prio.get(), prio.get())).containsExactly(1, 2, 3);
            return null;
        });
    }

    @Test
    void priorityTiesComeOutInTheOrderTheyWerePut() throws Exception {
        record Job(int priority, String name) {
        }
        TestLoops.runVirtual(() -> {
            var q = new PriorityQueue<Job>(0, Comparator.comparingInt(Job::priority));
            for (String s : List.of("a2", "b1", "c2", "d1", "e2", "f1")) {
                q.putNowait(new Job(s.charAt(1) - '0', s));
            }
            List<String> out = new ArrayList<>();
            while (!q.empty()) {
                out.add(q.getNowait().name());
            }
            assertThat(out).containsExactly("b1", "d1", "f1", "a2", "c2", "e2");
            return null;
        });
    }

    @Test
    void aBoundedQueueMakesPutWaitAndNowaitTwinsThrow() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(2);
            assertThat(q.maxsize()).isEqualTo(2);
            q.put("a");
            q.putNowait("b");
            assertThat(q.full()).isTrue();
            assertThat(q.qsize()).isEqualTo(2);
            assertThatThrownBy(() -> q.putNowait("c")).isInstanceOf(QueueFullException.class)
                    .hasMessageContaining("Queue.putNowait(): the queue is full");
            Task<Void> putter = Aio.createTask(() -> {
                q.put("c");
                log.add("put c at " + Aio.getRunningLoop().time());
            });
            Aio.sleep(1);
            assertThat(log).isEmpty();
            assertThat(q.get()).isEqualTo("a");
            putter.await();
            assertThat(log).containsExactly("put c at 1.0");
            assertThat(List.of(q.getNowait(), q.getNowait())).containsExactly("b", "c");
            assertThatThrownBy(q::getNowait).isInstanceOf(QueueEmptyException.class)
                    .hasMessageContaining("Queue.getNowait(): the queue is empty");
            return null;
        });
    }

    @Test
    void gettersAreServedInTheOrderTheyStartedWaiting() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<Integer>();
            List<Task<Void>> getters = new ArrayList<>();
            for (int g = 0; g < 5; g++) {
                int id = g;
                getters.add(Aio.createTask(() -> {
                    log.add("g" + id + " got " + q.get());
                }));
                Aio.sleep(0.1 * (5 - g)); // start waiting in order g0..g4, wherever they are in the ready queue
            }
            for (int i = 0; i < 5; i++) {
                q.putNowait(i);
            }
            Aio.gather(getters).await();
            return null;
        });
        assertThat(log).containsExactly("g0 got 0", "g1 got 1", "g2 got 2", "g3 got 3", "g4 got 4");
    }

    @Test
    void puttersAreServedInTheOrderTheyStartedWaiting() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(1);
            q.putNowait("first");
            List<Task<Void>> putters = new ArrayList<>();
            for (int p = 0; p < 5; p++) {
                String item = "p" + p;
                putters.add(Aio.createTask(() -> q.put(item)));
                Aio.sleep(0);
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                out.add(q.get());
            }
            Aio.gather(putters).await();
            assertThat(out).containsExactly("first", "p0", "p1", "p2", "p3", "p4");
            return null;
        });
    }

    @Test
    void anItemPromisedToAWokenGetterCannotBeTakenByANewcomer() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            Task<Void> waiter = Aio.createTask(() -> {
                log.add("waiter got " + q.get());
            });
            Aio.sleep(0);
            q.putNowait("x");
            // The waiter has been woken but has not run yet: the item is its, not ours.
            assertThat(q.qsize()).isEqualTo(1);
            assertThat(q.empty()).isTrue();
            assertThatThrownBy(q::getNowait).isInstanceOf(QueueEmptyException.class);
            Task<Void> newcomer = Aio.createTask(() -> {
                log.add("newcomer got " + q.get());
            });
            Aio.sleep(0);
            q.putNowait("y");
            Aio.gather(waiter, newcomer).await();
            return null;
        });
        assertThat(log).containsExactly("waiter got x", "newcomer got y");
    }

    /**
     * A newcomer whose get() runs before the woken getter does (here the task that put the item, calling get() at
     * once) does not take the item promised to that getter: it waits for the next one. (asyncio 3.13 lets the newcomer
     * take it and sends the woken getter back to wait; aio4j keeps the getters' order, see docs/primitives.md.)
     */
    @Test
    void aNewcomersGetRunningBeforeTheWokenGetterWaitsForTheNextItem() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            Task<String> getter = Aio.createTask(q::get);
            Aio.sleep(0);
            q.putNowait("x");                                      // promised to getter, which has not run
            Task<Void> producer = Aio.createTask(() -> q.putNowait("y"));
            assertThat(q.get()).as("the newcomer's get()").isEqualTo("y");
            assertThat(getter.await()).isEqualTo("x");
            producer.await();
            assertThat(q.qsize()).isZero();
            return null;
        });
    }

    @Test
    void aSlotPromisedToAWokenPutterCannotBeTakenByANewcomer() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(1);
            q.putNowait("a");
            Task<Void> waiter = Aio.createTask(() -> q.put("waiter's"));
            Aio.sleep(0);
            assertThat(q.getNowait()).isEqualTo("a");
            assertThat(q.qsize()).isZero();
            assertThat(q.full()).isTrue();
            assertThatThrownBy(() -> q.putNowait("newcomer's")).isInstanceOf(QueueFullException.class);
            waiter.await();
            assertThat(q.getNowait()).isEqualTo("waiter's");
            return null;
        });
    }

    @Test
    void aGetterCancelledAsTheItemIsHandedToItLeavesItForTheNextGetter() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            Task<String> first = Aio.createTask(q::get);
            Task<String> second = Aio.createTask(q::get);
            Aio.sleep(0);
            q.putNowait("item");   // promised to first, which is woken...
            first.cancel();        // ...and cancelled before it runs
            assertThat(second.await()).isEqualTo("item");
            assertThat(first.isCancelled()).isTrue();
            assertThat(q.qsize()).isZero();
            assertThat(q.statistics().unfinishedTasks()).isEqualTo(1);
            return null;
        });
    }

    @Test
    void aGetterCancelledAsTheItemIsHandedToItLeavesItInTheQueueIfNobodyElseWaits() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            Task<String> only = Aio.createTask(q::get);
            Aio.sleep(0);
            q.putNowait("item");
            only.cancel();
            assertThatThrownBy(only::await).isInstanceOf(CancellationException.class);
            assertThat(q.empty()).isFalse();
            assertThat(q.getNowait()).isEqualTo("item");
            return null;
        });
    }

    @Test
    void aPutterCancelledAsASlotIsPromisedToItInsertsNothingAndPassesTheSlotOn() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(1);
            q.putNowait("a");
            Task<Void> first = Aio.createTask(() -> q.put("first's"));
            Task<Void> second = Aio.createTask(() -> q.put("second's"));
            Aio.sleep(0);
            assertThat(q.getNowait()).isEqualTo("a"); // the slot is promised to first...
            first.cancel();                             // ...which is cancelled before it runs
            second.await();
            assertThat(first.isCancelled()).isTrue();
            assertThat(q.qsize()).isEqualTo(1);
            assertThat(q.getNowait()).isEqualTo("second's");
            assertThat(q.statistics().unfinishedTasks()).isEqualTo(2); // "a" and second's, not first's
            return null;
        });
    }

    @Test
    void aGetTimingOutTakesNothingAndAPutTimingOutPutsNothing() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(1);
            assertThatThrownBy(() -> Aio.waitFor(q::get, java.time.Duration.ofSeconds(1)))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
            q.putNowait("a");
            assertThatThrownBy(() -> Aio.waitFor(() -> {
                q.put("b");
                return null;
            }, java.time.Duration.ofSeconds(1))).isInstanceOf(java.util.concurrent.TimeoutException.class);
            assertThat(q.statistics()).isEqualTo(new Queue.Statistics(1, 1, 1, 0, 0, false));
            assertThat(q.getNowait()).isEqualTo("a");
            return null;
        });
    }

    @Test
    void waitersCancelledWhileWaitingLeaveNoTrace() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(1);
            Task<String> getter = Aio.createTask(q::get);
            Aio.sleep(0);
            getter.cancel();
            assertThatThrownBy(getter::await).isInstanceOf(CancellationException.class);
            q.putNowait("a");
            Task<Void> putter = Aio.createTask(() -> q.put("b"));
            Aio.sleep(0);
            putter.cancel();
            assertThatThrownBy(putter::await).isInstanceOf(CancellationException.class);
            assertThat(q.statistics()).isEqualTo(new Queue.Statistics(1, 1, 1, 0, 0, false));
            assertThat(q.full()).as("the cancelled putter was promised no slot").isTrue();
            assertThat(q.getNowait()).isEqualTo("a");
            assertThat(q.empty()).isTrue();
            assertThat(q.full()).isFalse();
            return null;
        });
    }

    /**
     * A getter (putter) cancelled while it waits, in the same step as an item (a slot) comes free, is passed over:
     * the next waiter gets it, and the cancelled one throws its cancellation (asyncio wakes the first waiter that is
     * not done).
     */
    @Test
    void aWaiterCancelledJustBeforeAnItemOrASlotComesIsPassedOver() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(1);
            Task<String> cancelledGetter = Aio.createTask(q::get);
            Task<String> getter = Aio.createTask(q::get);
            Aio.sleep(0);
            cancelledGetter.cancel();
            q.putNowait("x");
            assertThat(getter.await()).isEqualTo("x");
            assertThatThrownBy(cancelledGetter::await).isInstanceOf(CancellationException.class);

            q.putNowait("a");
            Task<Void> cancelledPutter = Aio.createTask(() -> q.put("cancelled's"));
            Task<Void> putter = Aio.createTask(() -> q.put("b"));
            Aio.sleep(0);
            cancelledPutter.cancel();
            assertThat(q.getNowait()).isEqualTo("a");
            putter.await();
            assertThatThrownBy(cancelledPutter::await).isInstanceOf(CancellationException.class);
            assertThat(q.getNowait()).isEqualTo("b");
            assertThat(q.statistics()).isEqualTo(new Queue.Statistics(0, 1, 3, 0, 0, false));
            return null;
        });
    }

    /** The only putter waiting, promised a slot and cancelled before it runs, leaves the slot free. */
    @Test
    void aLonePutterCancelledAsASlotIsPromisedToItLeavesTheSlotFree() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(1);
            q.putNowait("a");
            Task<Void> putter = Aio.createTask(() -> q.put("b"));
            Aio.sleep(0);
            assertThat(q.getNowait()).isEqualTo("a"); // the slot is promised to putter...
            assertThat(q.full()).isTrue();
            putter.cancel();                          // ...which is cancelled before it runs
            assertThatThrownBy(putter::await).isInstanceOf(CancellationException.class);
            assertThat(q.full()).isFalse();
            q.putNowait("c");
            assertThat(q.getNowait()).isEqualTo("c");
            return null;
        });
    }

    /**
     * put() on a shut down queue throws even with room, and so does a putter promised a slot just before the
     * shutdown, once it runs (asyncio's put() checks the shutdown after each wake-up); a getter promised an item
     * just before shutdown(false) still takes it. Neither a refused put nor the shutdown loses count of the slots.
     */
    @Test
    void aShutdownAfterAWakeUpRefusesThePromisedPutButNotThePromisedGet() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(1);
            q.putNowait("a");
            Task<Void> putter = Aio.createTask(() -> q.put("refused"));
            Aio.sleep(0);
            assertThat(q.getNowait()).isEqualTo("a"); // the slot is promised to putter, which has not run
            q.shutdown();
            assertThat(q).hasToString("Queue[maxsize=1, qsize=0, getters=0, putters=0, unfinished=1, shut down]");
            assertThatThrownBy(putter::await).isInstanceOf(QueueShutDownException.class)
                    .hasMessage("Queue.put(): the queue is shut down (Queue[maxsize=1, qsize=0, getters=0,"
                            + " putters=0, unfinished=1, shut down])");
            assertThat(q.qsize()).isZero();
            assertThatThrownBy(() -> q.put("room, but shut down")).isInstanceOf(QueueShutDownException.class);
            assertThatThrownBy(() -> q.put(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("a Queue item must not be null");

            var full = new Queue<String>(1);
            full.putNowait("left");
            Task<Void> blocked = Aio.createTask(() -> full.put("refused"));
            Aio.sleep(0);
            full.shutdown();
            assertThatThrownBy(blocked::await).isInstanceOf(QueueShutDownException.class)
                    .hasMessage("Queue.put(): the queue is shut down (items left: 1) (Queue[maxsize=1, qsize=1,"
                            + " getters=0, putters=0, unfinished=1, shut down])");
            assertThat(full.full()).as("it still holds maxsize items").isTrue();

            var items = new Queue<String>();
            Task<String> getter = Aio.createTask(items::get);
            Aio.sleep(0);
            items.putNowait("promised");              // promised to getter, which has not run
            items.shutdown(false);
            assertThat(getter.await()).isEqualTo("promised");
            return null;
        });
    }

    /**
     * A getter promised an item that shutdown(true) then removed, cancelled before it runs, gives nothing back: the
     * item went out with the shutdown, and the queue stays empty.
     */
    @Test
    void aPromisedGetterCancelledAfterAnImmediateShutdownGivesNothingBack() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            Task<String> getter = Aio.createTask(q::get);
            Aio.sleep(0);
            q.putNowait("x");                              // promised to getter
            assertThat(q.shutdown(true)).containsExactly("x");
            getter.cancel();
            assertThatThrownBy(getter::await).isInstanceOf(CancellationException.class);
            assertThat(q.empty()).isTrue();
            assertThat(q.qsize()).isZero();
            assertThatThrownBy(q::getNowait).isInstanceOf(QueueShutDownException.class)
                    .hasMessage("Queue.getNowait(): the queue is shut down (Queue[maxsize=0, qsize=0, getters=0,"
                            + " putters=0, unfinished=0, shut down])");
            return null;
        });
    }

    /**
     * One item (one slot) coming is promised to one waiter only, and a newcomer's get() does not take the item
     * promised: it waits for the next.
     */
    @Test
    void anItemOrASlotIsPromisedToOneWaiterOnly() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(1);
            Task<String> first = Aio.createTask(q::get);
            Task<String> second = Aio.createTask(q::get);
            Aio.sleep(0);
            q.putNowait("x");
            assertThat(q.statistics().tasksWaitingGet()).as("second still waits").isEqualTo(1);
            Task<String> newcomer = Aio.createTask(q::get);
            assertThat(first.await()).isEqualTo("x");
            assertThat(newcomer.isDone()).isFalse();
            q.putNowait("y");
            assertThat(second.await()).isEqualTo("y");
            q.putNowait("z");
            assertThat(newcomer.await()).isEqualTo("z");

            q.putNowait("a");
            Task<Void> p1 = Aio.createTask(() -> q.put("b"));
            Task<Void> p2 = Aio.createTask(() -> q.put("c"));
            Aio.sleep(0);
            assertThat(q.getNowait()).isEqualTo("a");
            assertThat(q.statistics().tasksWaitingPut()).as("p2 still waits").isEqualTo(1);
            p1.await();
            assertThat(p2.isDone()).isFalse();
            assertThat(q.getNowait()).isEqualTo("b");
            p2.await();
            assertThat(q.getNowait()).isEqualTo("c");
            return null;
        });
    }

    /**
     * Every task waiting in join() returns once the last item is done, also when shutdown(true) removes the items
     * left (asyncio counts them done); a getter cancelled in the step of a shutdown stays cancelled.
     */
    @Test
    void everyJoinerReturnsAlsoWhenAnImmediateShutdownRemovesTheItemsLeft() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            q.putNowait("a");
            Task<Void> j1 = Aio.createTask(q::join);
            Task<Void> j2 = Aio.createTask(q::join);
            Aio.sleep(0);
            q.getNowait();
            q.taskDone();
            j1.await();
            j2.await();

            q.putNowait("b");
            Task<Void> j3 = Aio.createTask(q::join);
            Task<Void> j4 = Aio.createTask(q::join);
            Aio.sleep(0);
            var empty = new Queue<String>();
            Task<String> getter = Aio.createTask(empty::get);
            Aio.sleep(0);
            getter.cancel();
            empty.shutdown();
            assertThat(q.shutdown(true)).containsExactly("b");
            j3.await();
            j4.await();
            assertThatThrownBy(getter::await).isInstanceOf(CancellationException.class);
            return null;
        });
    }

    @Test
    void joinReturnsExactlyWhenTheLastTaskDoneIsCalled() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<Integer>();
            q.join(); // nothing unfinished: returns at once
            for (int i = 1; i <= 3; i++) {
                q.putNowait(i);
            }
            Task<Void> joiner = Aio.createTask(() -> {
                q.join();
                log.add("joined at " + Aio.getRunningLoop().time());
            });
            for (int i = 1; i <= 3; i++) {
                int item = q.get();
                Aio.sleep(1);
                log.add("done " + item);
                q.taskDone();
                Aio.sleep(0); // a joiner woken too early would log here
            }
            joiner.await();
            assertThatThrownBy(q::taskDone).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Queue.taskDone() called more times than there were items put");
            return null;
        });
        assertThat(log).containsExactly("done 1", "done 2", "done 3", "joined at 3.0");
    }

    @Test
    void shutdownWakesBlockedGettersAndPuttersAndRefusesPutsButLetsItemsOut() throws Exception {
        TestLoops.runVirtual(() -> {
            var empty = new Queue<String>();
            Task<String> getter = Aio.createTask(empty::get);
            var full = new Queue<String>(1);
            full.putNowait("left");
            Task<Void> putter = Aio.createTask(() -> full.put("refused"));
            Aio.sleep(0);
            List<String> none = empty.shutdown(false);
            assertThat(none).isEmpty();
            none.add("the caller's list, as shutdown(true)'s"); // was immutable: UnsupportedOperationException
            full.shutdown();
            assertThatThrownBy(getter::await).isInstanceOf(QueueShutDownException.class)
                    .hasMessageContaining("Queue.get(): the queue is shut down");
            assertThatThrownBy(putter::await).isInstanceOf(QueueShutDownException.class)
                    .hasMessageContaining("Queue.put(): the queue is shut down");
            assertThatThrownBy(() -> full.putNowait("x")).isInstanceOf(QueueShutDownException.class);
            assertThat(full.get()).isEqualTo("left");
            assertThatThrownBy(full::get).isInstanceOf(QueueShutDownException.class);
            assertThatThrownBy(full::getNowait).isInstanceOf(QueueShutDownException.class);
            assertThat(full.statistics().unfinishedTasks()).isEqualTo(1);
            return null;
        });
    }

    @Test
    void aGetterReleasedByShutdownTakesAnItemThatAPromisedGetterGaveBack() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            Task<String> first = Aio.createTask(q::get);
            Task<String> second = Aio.createTask(q::get);
            Aio.sleep(0);
            q.putNowait("x");   // promised to first, which has not run yet
            first.cancel();     // first gives it back when it runs, after the shutdown emptied the getters
            q.shutdown(false);  // second is released by the shutdown, not by an item
            assertThat(second.await()).isEqualTo("x"); // asyncio's getter re-checks empty() and takes it
            assertThat(first.isCancelled()).isTrue();
            assertThat(q.qsize()).isZero();
            q.taskDone();
            q.join();           // the item was consumed: nothing left unfinished
            assertThatThrownBy(q::get).isInstanceOf(QueueShutDownException.class);
            return null;
        });
    }

    @Test
    void immediateShutdownReturnsTheItemsLeftSettlesJoinAndFailsPromisedGetters() throws Exception {
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            Task<String> getter = Aio.createTask(q::get);
            Aio.sleep(0);
            q.putNowait("promised");   // promised to getter, which has not run yet
            q.putNowait("b");
            q.putNowait("c");
            Task<Void> joiner = Aio.createTask(q::join); // starts after the shutdown: returns at once then
            assertThat(q.shutdown(true)).containsExactly("promised", "b", "c");
            assertThat(q.qsize()).isZero();
            joiner.await();
            assertThatThrownBy(getter::await).isInstanceOf(QueueShutDownException.class);
            assertThatThrownBy(q::taskDone).isInstanceOf(IllegalStateException.class);

            var q2 = new Queue<Integer>(2);
            q2.putNowait(1);
            q2.putNowait(2);
            assertThat(q2.get()).isEqualTo(1);  // taken, not done: join still waits for it
            Task<Void> waitingJoiner = Aio.createTask(q2::join);
            Aio.sleep(0);
            assertThat(q2.shutdown(true)).containsExactly(2);
            Aio.sleep(0);
            assertThat(waitingJoiner.isDone()).isFalse();
            q2.taskDone();
            waitingJoiner.await();
            return null;
        });
    }

    @Test
    void iteratingTakesItemsAndEndsCleanlyOnShutdown() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            List<Task<Void>> workers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                String name = "w" + w;
                workers.add(Aio.createTask(() -> {
                    for (String item : q) {
                        Aio.sleep(1);
                        log.add(name + " " + item);
                        q.taskDone();
                    }
                    log.add(name + " ends");
                }));
            }
            for (String s : List.of("a", "b", "c")) {
                q.put(s);
            }
            q.join();
            q.shutdown(false);
            Aio.gather(workers).await();
            var it = q.iterator();
            assertThat(it.hasNext()).isFalse();
            assertThatThrownBy(it::next).isInstanceOf(java.util.NoSuchElementException.class);
            return null;
        });
        assertThat(log).containsExactly("w0 a", "w1 b", "w0 c", "w1 ends", "w0 ends");
    }

    @Test
    void badInputIsRefusedWithAClearMessage() throws Exception {
        assertThatThrownBy(() -> new Queue<String>(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Queue maxsize must be >= 0 (0 means unbounded), got -1");
        assertThatThrownBy(() -> new LifoQueue<String>(-2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("LifoQueue maxsize must be >= 0");
        assertThatThrownBy(() -> new Queue<String>().putNowait(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("a Queue item must not be null");
        assertThatThrownBy(() -> new LifoQueue<String>().putNowait(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("a LifoQueue item must not be null");
        assertThatThrownBy(() -> new PriorityQueue<String>().putNowait(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("a PriorityQueue item must not be null");
        assertThatThrownBy(() -> new PriorityQueue<Object>().putNowait(new Object()))
                .isInstanceOf(ClassCastException.class)
                .hasMessageContaining("PriorityQueue without a comparator needs Comparable items");
        var mixed = new PriorityQueue<Object>();
        mixed.putNowait("a");
        assertThatThrownBy(() -> mixed.putNowait(1)).isInstanceOf(ClassCastException.class)
                .hasMessageStartingWith("PriorityQueue without a comparator needs items comparable with each other:"
                        + " java.lang.Integer and java.lang.String are not");
        assertThat(mixed.qsize()).isEqualTo(1);
        assertThatThrownBy(() -> new Queue<String>().taskDone()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("taskDone() called more times than there were items put");
    }

    @Test
    void aQueueFilledBeforeTheLoopRunsWorksInItAndToStringShowsItsState() throws Exception {
        var q = new Queue<String>(5);
        q.putNowait("/a");
        q.putNowait("/b");
        assertThat(q).hasToString("Queue[maxsize=5, qsize=2, getters=0, putters=0, unfinished=2]");
        String got = TestLoops.runVirtual(() -> q.get() + q.get());
        assertThat(got).isEqualTo("/a/b");
    }

    @Test
    void getFromACallbackCannotWaitButGetNowaitWorks() throws Exception {
        List<Object> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            Future<Void> done = Aio.getRunningLoop().createFuture();
            Aio.getRunningLoop().callSoon(() -> {
                try {
                    q.get();
                } catch (IllegalStateException e) {
                    seen.add(e.getMessage());
                }
                q.putNowait("from callback");
                seen.add(q.getNowait());
                done.setResult(null);
            });
            done.await();
            return null;
        });
        assertThat(seen).hasSize(2);
        assertThat((String) seen.get(0)).contains("Queue.get() cannot suspend in a callback");
        assertThat(seen.get(1)).isEqualTo("from callback");
    }

    @Test
    void aDeadlockReportNamesTheQueue() {
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            return Aio.createTask(q::get, "consumer").await();
        })).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("consumer waits on Queue[maxsize=0, qsize=0, getters=1, putters=0, unfinished=0]");
    }

    /**
     * The class Javadoc's example, as written there: every item fetched by {@code join()}, the workers ended by
     * {@code shutdown(false)}.
     */
    @Test
    void theClassJavadocExampleFetchesEveryItemAndEndsItsWorkers() throws Exception {
        List<String> urls = List.of("a", "b", "c", "d", "e", "f", "g");
        List<String> fetched = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            List<Task<Void>> workers = new ArrayList<>();
            var queue = new Queue<String>();              // unbounded; new Queue<>(100) holds at most 100 items
            for (String url : urls) queue.putNowait(url);
            for (int i = 0; i < 4; i++) {
                workers.add(Aio.createTask(() -> {
                    for (String url : queue) {              // suspends for each item; ends when the queue shuts down
                        try { Aio.sleep(1); fetched.add(url); } finally { queue.taskDone(); }
                    }
                }));
            }
            queue.join();                                 // every item fetched
            assertThat(fetched).containsExactlyElementsOf(urls);
            queue.shutdown(false);                        // the workers' loops end
            Aio.gather(workers).await();
            return null;
        });
    }
}
