package org.aio4j.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An exchange future that leaves the in-flight count <em>before</em> it completes, so that the count never includes
 * an exchange whose completion the session may already have seen (a {@code whenComplete} counter would: callbacks of
 * a CompletableFuture run last-registered first, and the session's is registered last).
 */
final class CountedExchange extends CompletableFuture<ClientResponse> {

    private final AtomicInteger inFlight;
    private final AtomicBoolean left = new AtomicBoolean();
    volatile CompletableFuture<?> upstream;

    CountedExchange(AtomicInteger inFlight, AtomicInteger peak) {
        this.inFlight = inFlight;
        peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    }

    private void leave() {
        if (left.compareAndSet(false, true)) {
            inFlight.decrementAndGet();
        }
    }

    @Override
    public boolean complete(ClientResponse value) {
        leave();
        return super.complete(value);
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
        leave();
        return super.completeExceptionally(ex);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        leave();
        CompletableFuture<?> u = upstream;
        if (u != null) {
            u.cancel(true);
        }
        return super.cancel(mayInterruptIfRunning);
    }

    /** Follows {@code source}: completes as it does; cancelling this cancels it. */
    CountedExchange follow(CompletableFuture<ClientResponse> source) {
        upstream = source;
        source.whenComplete((r, e) -> {
            if (e != null) {
                completeExceptionally(e);
            } else {
                complete(r);
            }
        });
        return this;
    }
}
