package org.aio4j;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/** The waiting combinators of asyncio's {@code tasks.py}: {@code wait()} and {@code as_completed()}. */
final class Waiting {

    /** What {@code Aio.wait(..., when)}'s waiter stands for in reports, by {@link ReturnWhen#ordinal()}. */
    private static final String[] WAIT_LABELS = Arrays.stream(ReturnWhen.values())
            .map(when -> "Aio.wait(" + when + ")").toArray(String[]::new);

    private Waiting() {
    }

    static <F extends Future<?>> WaitResult<F> await(Collection<? extends F> futures, long timeoutNanos,
                                                     ReturnWhen when) {
        Objects.requireNonNull(futures, "futures must not be null");
        Objects.requireNonNull(when, "returnWhen must not be null");
        if (futures.isEmpty()) {
            throw new IllegalArgumentException("wait() needs at least one future; the collection is empty");
        }
        EventLoop loop = Aio.runningLoop();
        Set<F> fs = new LinkedHashSet<>();
        for (F f : futures) {
            Objects.requireNonNull(f, "wait() argument must not be null");
            if (f.loop != loop) {
                throw new IllegalArgumentException("wait() argument " + f + " is attached to a different loop");
            }
            fs.add(f);
        }
        Future<Void> waiter = WaitsFor.mark(loop.createFuture(), WAIT_LABELS[when.ordinal()], fs);
        TimerHandle timer = timeoutNanos < 0 ? null : loop.scheduleAfter(timeoutNanos, (Runnable) () -> {
            if (!waiter.isDone()) {
                waiter.complete(null);
            }
        });
        int[] counter = {fs.size()};
        Consumer<Future<?>> onCompletion = f -> {
            counter[0]--;
            if (counter[0] <= 0 || when == ReturnWhen.FIRST_COMPLETED
                    || (when == ReturnWhen.FIRST_EXCEPTION && !f.isCancelled() && f.peekException() != null)) {
                if (timer != null) {
                    timer.cancel();
                }
                if (!waiter.isDone()) {
                    waiter.complete(null);
                }
            }
        };
        for (F f : fs) {
            f.addDoneCallback(onCompletion);
        }
        try {
            waiter.await();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception impossible) { // the waiter is only ever completed with null
            throw new IllegalStateException(impossible);
        } finally {
            if (timer != null) {
                timer.cancel();
            }
            for (F f : fs) {
                f.removeDoneCallback(onCompletion);
            }
        }
        Set<F> done = new LinkedHashSet<>();
        Set<F> pending = new LinkedHashSet<>();
        for (F f : fs) {
            (f.isDone() ? done : pending).add(f);
        }
        return new WaitResult<>(done, pending);
    }

    /** The iterable of {@link Aio#asCompleted}. */
    static <F extends Future<?>> Iterable<F> asCompleted(Collection<? extends F> futures) {
        Objects.requireNonNull(futures, "futures must not be null");
        EventLoop loop = Aio.runningLoop();
        var completed = new ArrayDeque<F>();
        Map<F, Boolean> distinct = new IdentityHashMap<>();
        for (F f : futures) {
            Objects.requireNonNull(f, "asCompleted() argument must not be null");
            if (f.loop != loop) {
                throw new IllegalArgumentException("asCompleted() argument " + f + " is attached to a different loop");
            }
            distinct.put(f, Boolean.TRUE);
        }
        var state = new Object() {
            /** Futures not yet returned nor promised to a next() that is waiting. */
            int remaining = distinct.size();
            /** The next() calls waiting for a future to complete, first come first served. */
            final ArrayDeque<Future<Void>> waiters = new ArrayDeque<>();

            void wakeOne() {
                for (Future<Void> w; (w = waiters.poll()) != null; ) {
                    if (!w.isDone()) {
                        w.complete(null);
                        return;
                    }
                }
            }
        };
        for (F f : new LinkedHashSet<F>(futures)) {
            f.addDoneCallback(done -> {
                completed.add(f);
                state.wakeOne();
            });
        }
        // Several tasks may share the iterator (as asyncio's): each next() counts itself out of `remaining` before it
        // waits, so no two wait for the same last future, and counts itself back in if it is interrupted.
        Iterator<F> it = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return state.remaining > 0;
            }

            @Override
            public F next() {
                if (state.remaining == 0) {
                    throw new NoSuchElementException("asCompleted(): every future was already returned");
                }
                state.remaining--;
                boolean taken = false;
                try {
                    while (completed.isEmpty()) {
                        Future<Void> w = WaitsFor.mark(loop.createFuture(), "Aio.asCompleted()", distinct.keySet());
                        state.waiters.add(w);
                        try {
                            w.await();
                        } finally {
                            state.waiters.remove(w);
                        }
                    }
                    taken = true;
                    return completed.poll();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception impossible) { // a waiter is only ever completed with null
                    throw new IllegalStateException(impossible);
                } finally {
                    if (!taken) {
                        state.remaining++;
                        if (!completed.isEmpty()) {
                            state.wakeOne(); // a wake-up meant for this call passes to the next waiter
                        }
                    }
                }
            }
        };
        return () -> it;
    }
}
