package org.aio4j;

/**
 * A loop object that is bound to the event loop that first uses it: asyncio's {@code mixins._LoopBoundMixin}, the
 * base of the queues and synchronisation primitives.
 *
 * <p>The object binds lazily, so it can be created (and filled, for a queue) before any loop runs. Once bound, every
 * operation checks that the calling thread holds that loop (or that the loop is not running), and throws
 * {@link IllegalStateException} otherwise, naming the operation and the thread-safe way in,
 * {@link EventLoop#callSoonThreadsafe}. Using it from another running loop throws too, as asyncio's
 * {@code "is bound to a different event loop"} does. One made by a task is checked so before it binds too: while its
 * loop runs, a thread that runs no loop is refused from the start.
 *
 * <p>Deliberately unlike asyncio, which binds only when a call has to wait (in {@code _get_loop()}), it binds at the
 * first call made on a loop's thread, since every call checks the thread: an object used in one {@code Aio.run} is
 * refused in the next even if it never waited in the first.
 */
abstract class LoopBound {

    private EventLoop loop;

    /**
     * The loop whose thread made this object while it was unbound, if any (cleared when it binds): while that loop is
     * held by a thread, another thread that runs no loop is refused even before the object's first use binds it, as
     * it would be after (an object made in a task and handed to a thread before the loop used it was not checked).
     */
    private EventLoop madeIn = EventLoop.ofCurrentThread();

    /**
     * Checks that the calling thread may use this object now, binding it to the running loop at first use. Returns
     * the bound loop, or {@code null} while unbound and no loop runs on this thread. {@code method} names the
     * operation in error messages only (a constant: nothing is built on the fast path).
     */
    final EventLoop check(String method) {
        EventLoop l = loop;
        if (l != null && l.holderThread == Thread.currentThread()) {
            return l;
        }
        return checkSlowly(typeName() + "." + method);
    }

    /** The simple name of the primitive's class, for messages. */
    final String typeName() {
        return getClass().getSimpleName();
    }

    private EventLoop checkSlowly(String operation) {
        EventLoop current = EventLoop.ofCurrentThread();
        EventLoop l;
        synchronized (this) { // asyncio's _global_lock: two loops racing to bind an object cannot both win
            l = loop;
            if (l == null) {
                if (current == null && madeIn != null) {
                    madeIn.checkThread(operation); // made by a task of a loop that runs: its thread only
                } else {
                    madeIn = null;
                }
                loop = current;
                return current;
            }
        }
        if (current != null && current != l) {
            String bound = operation + ": " + this + " is bound to a different event loop (" + l + ")";
            if (l.isClosed()) {
                // Typically an object kept from one test or Aio.run to the next: say so, it can never work again.
                throw new IllegalStateException(bound + ", which is closed: a loop object cannot outlive its loop;"
                        + " make one per run (one kept in a static field, or in a test instance shared by"
                        + " @TestInstance(PER_CLASS), outlives each run's loop). Loop objects belong to the loop that"
                        + " first used them, even if nothing waited there (asyncio binds only when a call waits)");
            }
            throw new IllegalStateException(bound + " than the one this thread runs; loop objects belong to the loop"
                    + " that first used them");
        }
        l.checkThread(operation);
        return l;
    }

    /**
     * The task that is about to wait in {@code operation}. Throws unless called from a task of the running loop
     * (a callback or another thread cannot suspend).
     */
    final Task<?> waitingTask(EventLoop l, String method) {
        if (l == null || l.holderThread != Thread.currentThread()) {
            throw new IllegalStateException(typeName() + "." + method + " has to wait, so it must be called from a"
                    + " task of a running event loop; from another thread, use loop.callSoonThreadsafe(...)");
        }
        Task<?> t = l.currentTask;
        return t != null ? t : l.taskAwaiting(this, typeName() + "." + method); // the latter throws: a callback
    }

    /** A new pending future of {@code l} that a waiter suspends on; deadlock reports name {@link #waitSubject()}. */
    final <T> Future<T> newWaiter(EventLoop l) {
        Future<T> f = new Future<>(l);
        f.owner = waitSubject();
        return f;
    }

    /** What task dumps and deadlock reports say a task waiting on this object waits on: the object itself. */
    Object waitSubject() {
        return this;
    }

    /** Whether {@code waiter} was completed with {@code true}: woken with a promise, not cancelled. */
    static boolean promised(Future<Boolean> waiter) {
        return waiter.isDone() && !waiter.isCancelled() && waiter.resultNow();
    }

    /**
     * Suspends the calling task on a new waiter future kept in {@code waiters} until someone completes it; the
     * waiter leaves {@code waiters} however it ends. Throws what the wait throws (a cancellation): a caller that may
     * have been promised something catches it and passes the promise on.
     */
    final void awaitIn(java.util.Collection<Future<Boolean>> waiters, EventLoop l, String method) {
        suspendIn(waiters, newWaiter(l), waitingTask(l, method));
    }

    /**
     * Runs {@code suspension} (a task's wait for what a stream's thread brings) with {@code inFlight} announced to
     * {@code l} as I/O in flight, however it ends: a task waiting so is neither a deadlock nor a reason for a virtual
     * clock to jump.
     */
    static void whileInFlight(EventLoop l, Object inFlight, Runnable suspension) {
        l.addInFlight(inFlight);
        try {
            suspension.run();
        } finally {
            l.removeInFlight(inFlight);
        }
    }

    /** Suspends {@code task} on {@code waiter}, which is in {@code waiters} while it waits, however it ends. */
    static void suspendIn(java.util.Collection<Future<Boolean>> waiters, Future<Boolean> waiter, Task<?> task) {
        waiters.add(waiter);
        try {
            task.suspendOn(waiter);
        } finally {
            waiters.remove(waiter);
        }
    }

    /** Completes every waiter of {@code waiters} that is still pending: a broadcast wake-up, in FIFO order. */
    static void wakeAll(Iterable<Future<Boolean>> waiters) {
        if (waiters != null) {
            for (Future<Boolean> fut : waiters) {
                if (!fut.isDone()) {
                    fut.complete(Boolean.TRUE);
                }
            }
        }
    }

    /** Whether a waiter of {@code waiters} is not cancelled (asyncio's FIFO rule: it goes before a newcomer). */
    static boolean anyLive(Iterable<? extends Future<?>> waiters) {
        if (waiters != null) {
            for (Future<?> w : waiters) {
                if (!w.isCancelled()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** How many futures of {@code waiters} still wait to be woken (for statistics). */
    static int waiting(Iterable<? extends Future<?>> waiters) {
        int n = 0;
        if (waiters != null) {
            for (Future<?> w : waiters) {
                if (!w.isDone()) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Gives back a permit handed out as a {@link Release} ({@code borrower}: whatever the primitive recorded).
     * Only the primitives that hand out permits override it.
     */
    void releasePermit(Object borrower) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " hands out no permits");
    }
}
