package org.aio4j;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real-time loop running on a thread of its own until {@link #close()}, for tests driven from outside the loop
 * (the Reactive Streams TCK calls from its own threads). What reaches the loop's exception handler is collected.
 */
final class BackgroundLoop implements AutoCloseable {

    private static final long WAIT_SECONDS = 30; // a bound on hangs, not a timing assertion

    final List<ExceptionContext> errors = new CopyOnWriteArrayList<>();
    private final CompletableFuture<EventLoop> started = new CompletableFuture<>();
    private final CompletableFuture<Event> stop = new CompletableFuture<>();
    private final Thread thread;

    BackgroundLoop(String name) {
        thread = Thread.ofPlatform().name(name).start(() -> {
            try {
                Aio.run(() -> EventLoop.builder().exceptionHandler((loop, ctx) -> errors.add(ctx)).build(), () -> {
                    var stopped = new Event();
                    stop.complete(stopped);
                    started.complete(Aio.getRunningLoop());
                    try (var _ = Aio.getRunningLoop().expectExternal()) {
                        stopped.await(); // the work comes from other threads
                    }
                    return null;
                });
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        });
    }

    EventLoop loop() throws Exception {
        return started.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** Runs {@code body} in a new task of the loop and waits for its result. */
    <T> T call(Coroutine<T> body) throws Exception {
        return loop().runCoroutineThreadsafe(body).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** Starts {@code body} in a new task of the loop, without waiting for it. */
    void spawn(Coroutine<?> body) throws Exception {
        EventLoop loop = loop();
        loop.callSoonThreadsafe(() -> loop.createTask(body));
    }

    /** Ends the loop's main task, so that {@code Aio.run} cancels what is left and closes it, and waits. Idempotent. */
    @Override
    public void close() throws Exception {
        if (!thread.isAlive()) {
            return;
        }
        Event stopped = stop.get(WAIT_SECONDS, TimeUnit.SECONDS);
        loop().callSoonThreadsafe(stopped::set);
        thread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    }
}
