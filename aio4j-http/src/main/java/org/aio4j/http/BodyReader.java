package org.aio4j.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeoutException;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.Future;

/**
 * The body of a {@link StreamingResponse} as the transport publishes it ({@link HttpTransport.StreamedResponse}),
 * read by the consuming task as an {@link InputStream} whose reads suspend that task (not its loop) until bytes
 * arrive: aiohttp's {@code StreamReader} under {@code resp.content}.
 *
 * <p>Demand: one part of the body is asked for at a time, and the next only once the consumer has taken every byte
 * of the last one: at most one part is held here and one on its way, so a consumer that does not read stops the
 * transport, which stops the server. The read timeout (aiohttp's {@code sock_read}) runs while a part is asked for
 * and has not come, on the real clock ({@link HttpTransport#scheduleTimeout}); a consumer that takes its time runs
 * none, as aiohttp drops its read timeout while its reading is paused. What is left of the request's timeout (aiohttp's
 * {@code total}, the body included) is kept on the loop's clock where the consumer waits, and on the real clock, for
 * a loop whose virtual clock does not move while it waits for the server. Either timeout and {@link #release()}
 * before the end cancel the subscription, which aborts the exchange and closes its connection; after the end the
 * connection is the transport's pool's. The consumer's cancellation where it waits changes nothing here: what is
 * held, and the part asked for, wait for its next read (aiohttp's {@code StreamReader} keeps its buffer so).
 *
 * <p>Failures: the transport's error in the middle of the body is a {@link ClientPayloadException} naming the request
 * (aiohttp's {@code ClientPayloadError}), thrown after the bytes that came before it (those held when it comes are
 * read first; aiohttp's reads raise it at once, dropping them); a timeout a {@link ClientReadTimeoutException} or
 * {@link ClientTimeoutException}, thrown at once, dropping what is held. Once failed or released, every read throws
 * the same (released: a {@link ClientConnectionException} saying so); once ended, every read gives -1.
 *
 * <p>Signals come on the transport's threads and are handled on the loop ({@link EventLoop#callSoonThreadsafe}); the
 * rest runs on the loop, in the consuming task: loop-confined.
 */
final class BodyReader extends InputStream implements Flow.Subscriber<List<ByteBuffer>> {

    private final EventLoop loop;
    /** The request the caller made, which failures name. */
    private final ClientRequest request;
    /** When the request's timeout passes, on the loop's clock ({@link EventLoop#time()}). */
    private final double deadline;
    private final Duration readTimeout;
    private final ArrayDeque<ByteBuffer> parts = new ArrayDeque<>(2);
    private Flow.Subscription subscription;
    /** A part was asked for and has not come. */
    private boolean requested;
    /** Which demand the read timer in flight times: a timer of an earlier one fires for nothing. */
    private long demands;
    private boolean completed;
    /** What the body failed with, as the consumer gets it; null while it has not. */
    private ClientException failure;
    /** Closed by the consumer before the end, or aborted by its cancellation. */
    private boolean released;
    private Future<Void> waiter;
    private ScheduledFuture<?> readTimer;
    private final ScheduledFuture<?> totalTimer;

    /**
     * Reads {@code body}, with {@code timeLeft} left of {@code request}'s timeout on the loop's clock and
     * {@code realTimeLeft} on the real one (null: none), and {@code request}'s read timeout. On the loop.
     */
    BodyReader(EventLoop loop, ClientRequest request, Flow.Publisher<List<ByteBuffer>> body, Duration timeLeft,
               Duration realTimeLeft) {
        this.loop = loop;
        this.request = request;
        this.deadline = loop.time() + timeLeft.toNanos() / 1e9;
        this.readTimeout = request.readTimeout();
        this.totalTimer = realTimeLeft == null ? null
                : HttpTransport.scheduleTimeout(realTimeLeft, () -> post(this::timedOut));
        body.subscribe(this);
    }

    // ---- the consumer's side, on the loop

    /**
     * The part of the body to read next, with at least one byte, suspending the calling task until one comes; null at
     * the body's end.
     */
    ByteBuffer next() throws ClientException {
        for (;;) {
            ByteBuffer b;
            while ((b = parts.peek()) != null && !b.hasRemaining()) {
                parts.poll();
            }
            if (b != null) {
                return b;
            }
            if (failure != null) {
                throw failure;
            }
            if (completed) {
                return null;
            }
            if (released) {
                throw closed();
            }
            demand();
            await();
        }
    }

    /**
     * The consumer has read bytes of {@code part}, which {@link #next()} gave: once it has none left, it is dropped
     * and the next part asked for.
     */
    void took(ByteBuffer part) {
        if (!part.hasRemaining()) {
            parts.remove(part);
            demand();
        }
    }

    @Override
    public int read() throws IOException {
        ByteBuffer b = next();
        if (b == null) {
            return -1;
        }
        int v = b.get() & 0xFF;
        took(b);
        return v;
    }

    @Override
    public int read(byte[] into, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, into.length);
        if (len == 0) {
            return 0;
        }
        ByteBuffer b = next();
        if (b == null) {
            return -1;
        }
        int n = Math.min(len, b.remaining());
        b.get(into, off, n);
        took(b);
        return n;
    }

    /** The bytes held, which a read takes without waiting. */
    @Override
    public int available() {
        long n = 0;
        for (ByteBuffer b : parts) {
            n += b.remaining();
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    /** Whether the body has ended and every byte of it was read. */
    boolean ended() {
        return completed && available() == 0;
    }

    /**
     * Whether reads fail: the body failed, or was released before its end. Bytes that came before the transport's
     * failure may still be held ({@link #available()}): {@link #next()} gives them first.
     */
    boolean broken() {
        return failure != null || released && !completed;
    }

    /**
     * Releases the body: before its end, aborts the exchange (the subscription is cancelled, the connection closed)
     * and every later read throws; after its end, drops what was not read. Idempotent. aiohttp's
     * {@code resp.release()}, which for a body not read to its end closes the connection too.
     */
    void release() {
        if (released) {
            return;
        }
        released = true;
        parts.clear();
        stop(!completed && failure == null);
    }

    /** The body failed with {@code e} (a timeout, or a bad encoding found above this reader): abort, remember it. */
    void fail(ClientException e) {
        if (failure != null || completed && available() == 0 || released) {
            return;
        }
        failure = e;
        parts.clear();
        stop(true);
    }

    @Override
    public void close() {
        release();
    }

    /** Stops the timers, cancels the subscription if {@code cancel}, and wakes the consumer. */
    private void stop(boolean cancel) {
        cancelReadTimer();
        if (totalTimer != null) {
            totalTimer.cancel(false);
        }
        Flow.Subscription s = subscription;
        wake();
        if (cancel && s != null) {
            s.cancel(); // a subscription that has not come yet is cancelled when it does
        }
    }

    private ClientConnectionException closed() {
        return new ClientConnectionException(request.method(), request.uri(), "the response is closed: its body"
                + " was released before its end (closed, or the task that streamed it ended)",
                null);
    }

    /** Asks for the next part, unless one is held or on its way, or the body is done. */
    private void demand() {
        if (subscription == null || requested || !parts.isEmpty() || completed || failure != null || released) {
            return;
        }
        requested = true;
        long which = ++demands;
        if (readTimeout != null) {
            readTimer = HttpTransport.scheduleTimeout(readTimeout, () -> post(() -> readTimedOut(which)));
        }
        try {
            subscription.request(1);
        } catch (RuntimeException e) { // Reactive Streams rule 3.16 broken: a failure of the body
            fail(payloadFailure(e));
        }
    }

    private void await() throws ClientException {
        Future<Void> w = loop.createFuture();
        waiter = w;
        double left = deadline - loop.time();
        try (var _ = loop.expectExternal()) {
            Aio.waitFor(w, Duration.ofNanos(Math.max(0, (long) (left * 1e9))));
        } catch (TimeoutException e) {
            fail(new ClientTimeoutException(request.method(), request.uri(), request.timeout(), null));
        } catch (CancellationException e) { // the consumer's cancellation (nothing else cancels the waiter): the
            throw e;                        // body goes on, what it holds and the part asked for kept for the next read
        } catch (Exception e) { // the waiter completes with null only
            throw new IllegalStateException(e);
        } finally {
            waiter = null;
        }
    }

    private void wake() {
        Future<Void> w = waiter;
        if (w != null && !w.isDone()) {
            w.setResult(null);
        }
    }

    private void cancelReadTimer() {
        ScheduledFuture<?> t = readTimer;
        if (t != null) {
            t.cancel(false);
            readTimer = null;
        }
    }

    private void readTimedOut(long which) {
        if (requested && which == demands) {
            fail(new ClientReadTimeoutException(request.method(), request.uri(), readTimeout, null));
        }
    }

    private void timedOut() {
        fail(new ClientTimeoutException(request.method(), request.uri(), request.timeout(), null));
    }

    /** What the body's failure {@code error}, reported by the transport, is to the consumer. */
    private ClientException payloadFailure(Throwable error) {
        if (error instanceof ClientException c && !(c instanceof ClientConnectionException)) {
            return Failures.translate(request, c); // a timeout, a body too large: as it is, naming the request
        }
        return payload(error);
    }

    private ClientPayloadException payload(Throwable error) {
        return new ClientPayloadException(request.method(), request.uri(), "response payload is not completed: "
                + Failures.describe(error), error);
    }

    // ---- Flow.Subscriber: the transport's threads; every signal is handled on the loop

    @Override
    public void onSubscribe(Flow.Subscription s) {
        Objects.requireNonNull(s, "subscription must not be null");
        if (!post(() -> subscribed(s))) {
            s.cancel();
        }
    }

    @Override
    public void onNext(List<ByteBuffer> part) {
        Objects.requireNonNull(part, "part must not be null");
        post(() -> received(part));
    }

    @Override
    public void onError(Throwable error) {
        Objects.requireNonNull(error, "error must not be null");
        post(() -> {
            if (failure == null && !completed && !released) {
                requested = false;
                failure = payloadFailure(error); // after the parts held: next() gives them first
                stop(false); // the publisher is done: nothing to cancel
            }
        });
    }

    @Override
    public void onComplete() {
        post(() -> {
            if (failure == null && !completed) {
                requested = false;
                completed = true;
                stop(false);
            }
        });
    }

    private boolean post(Runnable signal) {
        try {
            loop.callSoonThreadsafe(signal);
            return true;
        } catch (IllegalStateException loopClosed) { // nobody will read the body: its connection is released
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            return false;
        }
    }

    private void subscribed(Flow.Subscription s) {
        if (subscription != null || released || failure != null) {
            s.cancel();
            return;
        }
        subscription = s;
        demand(); // one part ahead of the consumer
    }

    private void received(List<ByteBuffer> part) {
        if (released || failure != null || completed) {
            return;
        }
        requested = false;
        cancelReadTimer();
        for (ByteBuffer b : part) {
            if (b.hasRemaining()) {
                parts.add(b);
            }
        }
        if (parts.isEmpty()) {
            demand();
        } else {
            wake();
        }
    }

    @Override
    public String toString() {
        return "BodyReader[" + request.method() + " " + request.uri() + (completed ? ", ended" : "")
                + (failure != null ? ", failed" : "") + (released ? ", released" : "") + "]";
    }
}
