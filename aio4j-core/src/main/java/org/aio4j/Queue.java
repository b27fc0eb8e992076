package org.aio4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;

/**
 * A first-in, first-out queue for tasks: asyncio's {@code asyncio.Queue} (as of CPython 3.13, with
 * {@code shutdown}). {@link PriorityQueue} and {@link LifoQueue} change only the order in which items come out.
 *
 * <pre>{@code
 * var queue = new Queue<String>();              // unbounded; new Queue<>(100) holds at most 100 items
 * for (String url : urls) queue.putNowait(url);
 * for (int i = 0; i < 4; i++) {
 *     Aio.createTask(() -> {
 *         for (String url : queue) {              // suspends for each item; ends when the queue shuts down
 *             try { fetch(url); } finally { queue.taskDone(); }
 *         }
 *     });
 * }
 * queue.join();                                 // every item fetched
 * queue.shutdown(false);                        // the workers' loops end
 * }</pre>
 *
 * <p><b>Bounded or not.</b> With {@code maxsize > 0}, {@link #put} suspends while the queue holds {@code maxsize}
 * items; with {@code maxsize == 0} it never does. {@link #get} suspends while the queue is empty. The
 * {@code putNowait}/{@code getNowait} twins never suspend and throw {@link QueueFullException} /
 * {@link QueueEmptyException} instead, so they also work in callbacks.
 *
 * <p><b>Fair, FIFO waiters.</b> Tasks waiting in {@code get} are served in the order they started waiting, and so
 * are tasks waiting in {@code put}. When an item arrives for a waiting getter, it is <em>promised</em> to that getter
 * (the getter is woken and will take an item when it runs); a task that calls {@code get} or {@code getNowait}
 * before the woken getter has run cannot take it first. Likewise a slot freed for a waiting putter is promised to
 * it. (asyncio leaves both to whoever runs first; aio4j applies asyncio's own Semaphore fairness rule here.) So
 * {@link #qsize()} counts every item in the queue, while {@link #empty()} and {@link #full()} answer for a newcomer:
 * whether a {@code get}/{@code put} now would have to wait. They differ only in the moment between a waiter being
 * woken and it running.
 *
 * <p><b>Nothing lost under cancellation.</b> A {@code put} either inserts its item and returns, or throws and
 * inserts nothing: a putter cancelled while waiting (even just after a slot was promised to it) leaves the queue
 * unchanged, and the slot passes to the next putter. A {@code get} either returns an item or throws and takes
 * none: a getter cancelled just after an item was promised to it leaves the item in the queue for the next getter.
 *
 * <p><b>Tasks done and join.</b> Each item put counts as an unfinished task until a consumer calls
 * {@link #taskDone()} for it; {@link #join()} suspends until no task is unfinished.
 *
 * <p><b>Shutdown.</b> {@link #shutdown(boolean)} as in CPython 3.13: puts then throw {@link QueueShutDownException},
 * and so do gets once the queue is empty; waiting putters and getters wake with it. {@code shutdown(true)} also
 * removes the items left (and counts them done for {@code join}); it returns them, so none disappears unseen.
 *
 * <p><b>Direct-style iteration.</b> A queue is an {@link Iterable} whose iterator takes items out; see
 * {@link #iterator()}.
 *
 * <p><b>Threads.</b> A loop object, bound to the loop that first uses it (it may be created and filled with
 * {@code putNowait} before any loop runs). Call it on the thread holding that loop; other threads throw
 * {@link IllegalStateException}. From another thread, hand items in with
 * {@code loop.callSoonThreadsafe(() -> queue.putNowait(item))}.
 *
 * @param <T> the type of the items; {@code null} is not an item
 */
public sealed class Queue<T> extends LoopBound implements Iterable<T> permits PriorityQueue, LifoQueue {

    private final int maxsize;
    /** The items of a FIFO or LIFO queue (asyncio's {@code _queue}); null for a priority queue. */
    final ArrayDeque<T> items;
    private final ArrayDeque<Future<Boolean>> getters = new ArrayDeque<>();
    private final ArrayDeque<Future<Boolean>> putters = new ArrayDeque<>();
    /** Items promised to getters that were woken and have not run yet. */
    private int promisedItems;
    /** Free slots promised to putters that were woken and have not run yet. */
    private int promisedSlots;
    private int unfinishedTasks;
    private ArrayDeque<Future<Boolean>> joiners;
    private boolean shutdown;
    /** shutdown(true) removed the items: items promised before are gone. */
    private boolean dropped;
    /** What a task waiting on this queue is reported waiting on, if not the queue: the owner of an internal one. */
    private Object waitSubject;

    /** Creates an unbounded queue. */
    public Queue() {
        this(0);
    }

    /**
     * Creates a queue that holds at most {@code maxsize} items, or any number if {@code maxsize} is 0.
     *
     * @param maxsize the most items the queue holds, or 0 for no limit
     * @throws IllegalArgumentException if {@code maxsize} is negative (asyncio takes it as unbounded; here it is
     *                                  refused as the likely mistake it is)
     */
    public Queue(int maxsize) {
        this(maxsize, true);
    }

    Queue(int maxsize, boolean deque) {
        if (maxsize < 0) {
            throw new IllegalArgumentException(typeName()
                    + " maxsize must be >= 0 (0 means unbounded), got " + maxsize);
        }
        this.maxsize = maxsize;
        this.items = deque ? new ArrayDeque<>() : null;
    }

    // ---- storage: asyncio's _put/_get/_qsize, overridden for the other orders

    int stored() {
        return items.size();
    }

    void store(T item) {
        items.addLast(item);
    }

    T unstore() {
        return items.pollFirst();
    }

    /** Removes every stored item into {@code into}, in the order they would have come out. */
    void unstoreAll(List<T> into) {
        while (stored() > 0) {
            into.add(unstore());
        }
    }

    /** Checks an item before it is put (or waits to be put). */
    void checkItem(T item) {
        if (item == null) {
            throw new NullPointerException("a " + typeName() + " item must not be null");
        }
    }

    // ---- size

    /** An internal queue of {@code owner}'s: reports of a task waiting on it name {@code owner}. */
    Queue<T> reportedAs(Object owner) {
        waitSubject = owner;
        return this;
    }

    @Override
    Object waitSubject() {
        return waitSubject != null ? waitSubject : this;
    }

    /**
     * The maximum number of items, 0 for unbounded: asyncio's {@code maxsize}.
     *
     * @return the most items the queue holds, or 0 if it is unbounded
     */
    public int maxsize() {
        return maxsize;
    }

    /**
     * The number of items in the queue, including those already promised to woken getters: asyncio's
     * {@code qsize()}.
     *
     * @return the number of items in the queue
     */
    public int qsize() {
        check("qsize");
        return stored();
    }

    /**
     * Whether a {@code get} now would have to wait (and {@code getNowait} throw): no item is in the queue, or every
     * item is promised to a getter that was woken earlier: asyncio's {@code empty()}.
     *
     * @return whether no item is available to a new getter
     */
    public boolean empty() {
        check("empty");
        return stored() - promisedItems <= 0;
    }

    /**
     * Whether a {@code put} now would have to wait (and {@code putNowait} throw): the queue is bounded and holds
     * {@code maxsize} items, counting slots promised to putters that were woken earlier: asyncio's {@code full()}.
     *
     * @return whether no slot is free for a new putter
     */
    public boolean full() {
        check("full");
        return isFull();
    }

    private boolean isFull() {
        return maxsize > 0 && stored() + promisedSlots >= maxsize;
    }

    // ---- put

    /**
     * Puts {@code item} at the end of the queue, suspending the calling task while the queue is full: asyncio's
     * {@code put()}. Does not suspend if there is room and no putter waits.
     *
     * @param item the item to add; not {@code null}
     * @throws QueueShutDownException if the queue is shut down, before or while this waits (the item is not put)
     * @throws CancellationException  if the task is cancelled while waiting (the item is not put)
     * @throws NullPointerException   if {@code item} is null
     * @throws IllegalStateException  if it has to wait and is not called from a task, or is called on a thread that
     *                                does not hold the queue's loop
     */
    public void put(T item) {
        EventLoop l = check("put()");
        checkItem(item);
        if (shutdown) {
            throw shutDown("put()");
        }
        if (!isFull()) {
            insert(item);
            return;
        }
        Task<?> task = waitingTask(l, "put()");
        Future<Boolean> fut = newWaiter(l);
        putters.add(fut);
        try {
            task.suspendOn(fut);
        } catch (Throwable e) {
            if (promised(fut)) {
                // A slot was promised to us, but we will not fill it: pass it to the next putter.
                promisedSlots--;
                wakePutters();
            } else {
                putters.remove(fut);
            }
            throw e;
        }
        if (!promised(fut)) {
            throw shutDown("put()");
        }
        promisedSlots--;
        if (shutdown) {
            throw shutDown("put()");
        }
        try {
            insert(item);
        } catch (RuntimeException e) {
            wakePutters(); // e.g. a comparator failed: the slot promised to us is free again
            throw e;
        }
    }

    /**
     * Puts {@code item} at the end of the queue without suspending: asyncio's {@code put_nowait()}.
     *
     * @param item the item to add; not {@code null}
     * @throws QueueFullException     if the queue is full (see {@link #full()})
     * @throws QueueShutDownException if the queue is shut down
     * @throws NullPointerException   if {@code item} is null
     */
    public void putNowait(T item) {
        check("putNowait");
        checkItem(item);
        if (shutdown) {
            throw shutDown("putNowait()");
        }
        if (isFull()) {
            throw new QueueFullException(typeName() + ".putNowait(): the queue is full (" + this + ")");
        }
        insert(item);
    }

    private void insert(T item) {
        store(item);
        unfinishedTasks++;
        if (!getters.isEmpty()) {
            wakeGetters();
        }
    }

    // ---- get

    /**
     * Removes and returns the first item, suspending the calling task while the queue is empty: asyncio's
     * {@code get()}. Does not suspend if an item is there for it.
     *
     * @return the item removed
     * @throws QueueShutDownException if the queue is shut down and empty, before or while this waits
     * @throws CancellationException  if the task is cancelled while waiting (no item is taken)
     * @throws IllegalStateException  if it has to wait and is not called from a task, or is called on a thread that
     *                                does not hold the queue's loop
     */
    public T get() {
        EventLoop l = check("get()");
        if (stored() - promisedItems > 0) {
            return take();
        }
        if (shutdown) {
            throw shutDown("get()");
        }
        Task<?> task = waitingTask(l, "get()");
        Future<Boolean> fut = newWaiter(l);
        getters.add(fut);
        try {
            task.suspendOn(fut);
        } catch (Throwable e) {
            if (promised(fut)) {
                if (!dropped) {
                    // An item was promised to us, but we will not take it: it stays for the next getter.
                    promisedItems--;
                    wakeGetters();
                }
            } else {
                getters.remove(fut);
            }
            throw e;
        }
        if (promised(fut) && !dropped) {
            promisedItems--;
            try {
                return take();
            } catch (RuntimeException | Error e) {
                wakeGetters(); // a PriorityQueue's comparator failed: the item promised to us is for the next getter
                throw e;
            }
        }
        // Woken by shutdown(false): items that are nobody's (put back by a getter cancelled after its wake-up, say)
        // are still there to take, as a woken getter in asyncio finds the queue not empty.
        if (stored() - promisedItems > 0) {
            return take();
        }
        throw shutDown("get()");
    }

    /**
     * Removes and returns the first item without suspending: asyncio's {@code get_nowait()}.
     *
     * @return the item removed
     * @throws QueueEmptyException    if no item is available (see {@link #empty()})
     * @throws QueueShutDownException if the queue is shut down and empty
     */
    public T getNowait() {
        check("getNowait");
        if (stored() - promisedItems <= 0) {
            if (shutdown) {
                throw shutDown("getNowait()");
            }
            throw new QueueEmptyException(typeName() + ".getNowait(): the queue is empty (" + this + ")");
        }
        return take();
    }

    private T take() {
        T item = unstore();
        if (!putters.isEmpty()) {
            wakePutters();
        }
        return item;
    }

    /** Promises available items to the first waiting getters. */
    private void wakeGetters() {
        while (stored() - promisedItems > 0 && !getters.isEmpty()) {
            Future<Boolean> fut = getters.pollFirst();
            if (!fut.isDone()) {
                promisedItems++;
                fut.complete(Boolean.TRUE);
            }
        }
    }

    /** Promises free slots to the first waiting putters. */
    private void wakePutters() {
        while (!isFull() && !putters.isEmpty()) {
            Future<Boolean> fut = putters.pollFirst();
            if (!fut.isDone()) {
                promisedSlots++;
                fut.complete(Boolean.TRUE);
            }
        }
    }

    // ---- taskDone and join

    /**
     * Says that the processing of an item taken from the queue is complete: asyncio's {@code task_done()}. When
     * every item put has been marked done, tasks waiting in {@link #join()} wake.
     *
     * @throws IllegalStateException if called more times than items were put (asyncio's {@code ValueError})
     */
    public void taskDone() {
        check("taskDone");
        if (unfinishedTasks <= 0) {
            throw new IllegalStateException(typeName() + ".taskDone() called more times than there were items put: no"
                    + " item is unfinished (" + this + ")");
        }
        if (--unfinishedTasks == 0) {
            wakeAll(joiners);
        }
    }

    /**
     * Suspends the calling task until every item put has been marked done with {@link #taskDone()}: asyncio's
     * {@code join()}. Returns at once if none is unfinished.
     *
     * @throws CancellationException if the task is cancelled while waiting
     * @throws IllegalStateException if it has to wait and is not called from a task, or is called on a thread that
     *                               does not hold the queue's loop
     */
    public void join() {
        EventLoop l = check("join()");
        if (unfinishedTasks == 0) {
            return;
        }
        if (joiners == null) {
            joiners = new ArrayDeque<>();
        }
        awaitIn(joiners, l, "join()");
    }

    // ---- shutdown

    /**
     * Shuts the queue down: asyncio's {@code shutdown(immediate)} (CPython 3.13). Every later put throws
     * {@link QueueShutDownException}, and so does every get once the queue is empty; tasks waiting in {@code put}
     * wake with it, and so do tasks waiting in {@code get} (the queue is empty for them). With {@code immediate},
     * the items left are removed and counted done, which may wake {@link #join()}; tasks that had been promised one of
     * them throw too. Shutting down again is allowed ({@code immediate} then removes what is left).
     *
     * @param immediate whether to remove the items left too
     * @return the items removed, in the order they would have come out (empty unless {@code immediate}); a list of
     *         the caller's own, which it may change
     */
    public List<T> shutdown(boolean immediate) {
        check("shutdown");
        shutdown = true;
        List<T> removed = new ArrayList<>(immediate ? stored() : 0);
        if (immediate && stored() > 0) {
            unstoreAll(removed);
            dropped = true;
            promisedItems = 0;
            unfinishedTasks = Math.max(0, unfinishedTasks - removed.size());
            if (unfinishedTasks == 0) {
                wakeAll(joiners);
            }
        }
        release(getters);
        release(putters);
        return removed;
    }

    /** {@code shutdown(false)}: puts are refused, items left can still be taken. */
    public void shutdown() {
        shutdown(false);
    }

    /** Wakes every waiter with no promise: it finds the queue shut down. */
    private static void release(ArrayDeque<Future<Boolean>> waiters) {
        Future<Boolean> fut;
        while ((fut = waiters.pollFirst()) != null) {
            if (!fut.isDone()) {
                fut.complete(Boolean.FALSE);
            }
        }
    }

    private QueueShutDownException shutDown(String operation) {
        return new QueueShutDownException(typeName() + "." + operation + ": the queue is shut down" + (stored() == 0
                ? "" : " (items left: " + stored() + ")") + " (" + this + ")");
    }

    // ---- iteration

    /**
     * An iterator that takes the items out of the queue, for a worker written in direct style:
     *
     * <pre>{@code
     * for (Job job : queue) {                     // hasNext() suspends until an item or the shutdown comes
     *     try { run(job); } finally { queue.taskDone(); }
     * }                                           // ends once the queue is shut down and empty
     * }</pre>
     *
     * <p>{@code hasNext()} is a {@link #get()}: it suspends the calling task until an item is there, keeps it for
     * {@code next()}, and returns {@code true}; it returns {@code false} when the get throws
     * {@link QueueShutDownException}, i.e. once the queue is shut down and empty (at once for
     * {@code shutdown(true)}). {@code next()} returns the item kept by {@code hasNext()}, calling it first if needed.
     * As kotlinx's channel iterator, iterating consumes: each item goes to exactly one iterator, and a new iterator
     * does not start over. Items still need {@link #taskDone()} if {@link #join()} is used. The item kept by a
     * {@code hasNext()} that returned {@code true} is the iterator's: an iterator dropped before its {@code next()}
     * drops it, as a {@code get()} whose result is ignored would (so leave a loop only after {@code next()}).
     *
     * <p>Cancellation: if the task is cancelled while {@code hasNext()} waits, it throws
     * {@link CancellationException} and no item is taken.
     */
    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private T next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    try {
                        next = get();
                    } catch (QueueShutDownException e) {
                        return false;
                    }
                }
                return true;
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException(typeName() + " is shut down and empty: " + Queue.this);
                }
                T item = next;
                next = null;
                return item;
            }
        };
    }

    // ---- diagnostics

    /**
     * A snapshot of the queue's state, in the style of Trio's {@code MemoryChannelStatistics}.
     *
     * @param qsize           items in the queue
     * @param maxsize         the bound, 0 for none
     * @param unfinishedTasks items put and not yet marked done
     * @param tasksWaitingPut tasks waiting in {@code put}
     * @param tasksWaitingGet tasks waiting in {@code get}
     * @param shutdown        whether the queue is shut down
     */
    public record Statistics(int qsize, int maxsize, int unfinishedTasks, int tasksWaitingPut, int tasksWaitingGet,
                             boolean shutdown) {
    }

    /**
     * The queue's state now.
     *
     * @return a snapshot of the queue's size, bound, unfinished count and waiting tasks
     */
    public Statistics statistics() {
        check("statistics");
        return new Statistics(stored(), maxsize, unfinishedTasks, waiting(putters), waiting(getters), shutdown);
    }


    @Override
    public String toString() {
        return typeName() + "[maxsize=" + maxsize + ", qsize=" + stored() + ", getters=" + getters.size()
                + ", putters=" + putters.size() + ", unfinished=" + unfinishedTasks + (shutdown ? ", shut down" : "")
                + "]";
    }
}
