package org.aio4j;

import java.util.Collection;
import java.util.List;

/**
 * What a future made by a combinator to wait on stands for in deadlock reports and task dumps (its {@code owner}):
 * the combinator, e.g. {@code Aio.wait(FIRST_COMPLETED)}, and the futures it still waits for, read when printed.
 */
final class WaitsFor {

    private final String combinator;
    private final Collection<? extends Future<?>> futures;

    WaitsFor(String combinator, Collection<? extends Future<?>> futures) {
        this.combinator = combinator;
        this.futures = futures;
    }

    @Override
    public String toString() {
        return combinator + WaitGraph.stillWaitingFor(() -> futures.stream().filter(f -> !f.isDone()).toList());
    }

    /** The futures waited for, done or not; not to be changed. */
    Collection<? extends Future<?>> futures() {
        return futures;
    }

    /** Marks {@code waiter} as standing for {@code combinator} waiting on {@code futures}; returns it. */
    static <F extends Future<?>> F mark(F waiter, String combinator, Collection<? extends Future<?>> futures) {
        waiter.owner = new WaitsFor(combinator, futures);
        return waiter;
    }

    /** As {@link #mark(Future, String, Collection)} for one future. */
    static <F extends Future<?>> F mark(F waiter, String combinator, Future<?> future) {
        return mark(waiter, combinator, List.of(future));
    }
}
