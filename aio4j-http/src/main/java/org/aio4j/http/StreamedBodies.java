package org.aio4j.http;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bodies of {@link HttpTransport.StreamedResponse}s that have no connection behind them: a whole body published as
 * one part (the default {@link HttpTransport#stream}), an empty one (a redirect's, dropped), and the release of a
 * body nobody will read.
 */
final class StreamedBodies {

    private StreamedBodies() {
    }

    /**
     * The streamed response of {@code whole}'s exchange, its body published as one part; cancelling the returned
     * future cancels {@code whole} (a dependent stage would not pass a cancellation upstream).
     */
    static CompletableFuture<HttpTransport.StreamedResponse> ofWhole(CompletableFuture<ClientResponse> whole) {
        if (whole == null) {
            return null; // the session reports a transport that returned no future
        }
        var streamed = new CompletableFuture<HttpTransport.StreamedResponse>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean cancelled = super.cancel(mayInterruptIfRunning);
                whole.cancel(mayInterruptIfRunning);
                return cancelled;
            }
        };
        whole.whenComplete((r, error) -> {
            if (error != null) {
                streamed.completeExceptionally(error instanceof java.util.concurrent.CompletionException
                        && error.getCause() != null ? error.getCause() : error);
            } else if (r == null) {
                streamed.complete(null); // the session reports a transport that completed with no response
            } else {
                streamed.complete(new HttpTransport.StreamedResponse(headOf(r),
                        once(r.method() + " " + r.url(), of(r.rawBody()))));
            }
        });
        return streamed;
    }

    /** {@code r} without its body. */
    static ClientResponse headOf(ClientResponse r) {
        return new ClientResponse(r.method(), r.url(), r.status(), r.headers(), new byte[0]);
    }

    /** An empty body: it completes as soon as it is subscribed to. */
    static Flow.Publisher<List<ByteBuffer>> empty() {
        return of(new byte[0]);
    }

    /** {@code bytes} as one part (none if empty), sent at the first demand; for one subscriber ({@link #once}). */
    static Flow.Publisher<List<ByteBuffer>> of(byte[] bytes) {
        return subscriber -> {
            subscriber.onSubscribe(new Flow.Subscription() {
                private boolean done;

                @Override
                public synchronized void request(long n) {
                    if (done) {
                        return;
                    }
                    if (n <= 0) {
                        done = true;
                        subscriber.onError(new IllegalArgumentException("non-positive request: " + n
                                + " (Reactive Streams rule 3.9)"));
                        return;
                    }
                    done = true;
                    if (bytes.length > 0) {
                        subscriber.onNext(List.of(ByteBuffer.wrap(bytes)));
                    }
                    subscriber.onComplete();
                }

                @Override
                public synchronized void cancel() {
                    done = true;
                }
            });
        };
    }

    /**
     * {@code body}, which takes one subscriber, refusing every later one as Reactive Streams allows (rule 1.9: its
     * {@code onSubscribe}, with a subscription that does nothing, then {@code onError}) with an
     * {@link IllegalStateException} naming {@code what} (the request), rather than whatever {@code body} does then
     * (the JDK's publisher names nothing; the whole body's and the empty one would complete it).
     */
    static Flow.Publisher<List<ByteBuffer>> once(String what, Flow.Publisher<List<ByteBuffer>> body) {
        var taken = new AtomicBoolean();
        return subscriber -> {
            java.util.Objects.requireNonNull(subscriber, "subscriber must not be null"); // rule 1.9
            if (taken.compareAndSet(false, true)) {
                body.subscribe(subscriber);
                return;
            }
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onError(new IllegalStateException(what + ": the response body has a subscriber already (a body"
                    + " is read once; Reactive Streams rule 1.9: onSubscribe, then onError)"));
        };
    }

    /**
     * {@code body}, of {@code length} bytes (its {@code Content-Length}), whose subscription's cancel is not passed on
     * once all of them have been delivered: the body is then read off the connection whole, and the JDK client gives
     * the connection back to its pool right after it delivers the last bytes, before it signals the end. A cancel
     * in between (the consumer closing the response right after its last byte, before the end has reached the loop)
     * made the JDK client close the connection (its cancel closes the exchange's connection until the exchange lets
     * go of it), or, had the connection just gone back to the pool, close it there, under the exchange that took it
     * next. The end that follows is passed on as it comes. For one subscriber.
     */
    static Flow.Publisher<List<ByteBuffer>> upTo(Flow.Publisher<List<ByteBuffer>> body, long length) {
        return subscriber -> body.subscribe(new Flow.Subscriber<List<ByteBuffer>>() {
            /** Bytes delivered: written on the thread that signals onNext only, read by cancel on any. */
            private volatile long delivered;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscriber.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                        s.request(n);
                    }

                    @Override
                    public void cancel() {
                        if (delivered < length) {
                            s.cancel();
                        }
                    }
                });
            }

            @Override
            public void onNext(List<ByteBuffer> part) {
                long n = delivered;
                for (ByteBuffer b : part) {
                    n += b.remaining();
                }
                delivered = n; // before the consumer can see the bytes and cancel
                subscriber.onNext(part);
            }

            @Override
            public void onError(Throwable error) {
                subscriber.onError(error);
            }

            @Override
            public void onComplete() {
                subscriber.onComplete();
            }
        });
    }

    /**
     * Releases {@code body}, which nobody will read: subscribes to it and cancels at once, which aborts an exchange
     * still reading it and closes its connection (the JDK client holds one whose body publisher is never subscribed
     * to). A body that failed already, or is the empty one of a dropped redirect, costs nothing.
     */
    static void discard(Flow.Publisher<List<ByteBuffer>> body) {
        body.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.cancel();
            }

            @Override
            public void onNext(List<ByteBuffer> item) {
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
            }
        });
    }
}
