package org.aio4j;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * An iterator whose {@link #hasNext()} and {@link #next()} may suspend the calling task: asyncio's asynchronous
 * iterator ({@code __aiter__}/{@code __anext__}), used with an ordinary {@code for} loop where Python writes
 * {@code async for}, and closed with try-with-resources where Python writes {@code await it.aclose()}.
 *
 * <pre>{@code
 * try (AsyncIterator<Row> rows = query(...)) {        // async with contextlib.aclosing(query(...)) as rows:
 *     for (Row row : rows) {                           //     async for row in rows:
 *         if (row.id() > 3) break;                     //         ...
 *     }
 * }                                                    // aclose(): the producer's finally blocks run here
 * }</pre>
 *
 * <h2>Contract</h2>
 * <table>
 * <caption>asyncio and aio4j</caption>
 * <tr><th>asyncio</th><th>aio4j</th></tr>
 * <tr><td>{@code it.__aiter__()} (returns {@code it})</td><td>{@link #iterator()} (returns {@code this})</td></tr>
 * <tr><td>{@code await it.__anext__()}</td><td>{@link #next()}</td></tr>
 * <tr><td>{@code StopAsyncIteration}</td><td>{@link #hasNext()} returns {@code false}; {@link #next()} throws
 *     {@link NoSuchElementException}</td></tr>
 * <tr><td>{@code await it.aclose()}</td><td>{@link #aclose()}, or {@link #close()} at the end of a
 *     try-with-resources block</td></tr>
 * </table>
 * <ul>
 *   <li>{@link #hasNext()} suspends the calling task until the next item is available (it fetches and holds it) or
 *   the iterator is exhausted. {@link #next()} returns the item {@code hasNext()} fetched, or fetches one itself;
 *   a {@code for} loop calls {@code hasNext()} before each {@code next()}.</li>
 *   <li><b>Failures</b> of the source surface at the element where they happen, from {@code hasNext()} or
 *   {@code next()}: an unchecked exception or {@link Error} as is, a checked exception wrapped in a
 *   {@link CompletionException} (as {@link Future#result()} does; its cause is the original). After a failure, the
 *   iterator is exhausted.</li>
 *   <li><b>Closing</b> ({@link #aclose()}) releases the source at once: an {@linkplain AsyncGenerator async
 *   generator}'s {@code finally} blocks run, a database cursor is closed, helper tasks are cancelled and awaited.
 *   It may suspend, is idempotent, and an item fetched by {@code hasNext()} but not taken is dropped. A failure an
 *   operator read ahead and held for its consumer ({@link #chunked} behind a partial list, {@link #buffer},
 *   {@link #merge}, {@link #mapConcurrent}, {@link #fromPublisher}) is not dropped: if the consumer closes the
 *   iterator before reaching it, it goes to the loop's exception handler, as an exception never retrieved does
 *   ({@code aclose()} does not throw it). If the consumer's task ends without closing the iterator, the end of the
 *   task closes {@code buffer}, {@code merge}, {@code mapConcurrent} and {@code fromPublisher} (they are generators,
 *   see {@link AsyncGenerator}), which reports it; {@code chunked}'s is reported when the loop closes, unless a task
 *   reaches it first. After closing, {@code hasNext()} returns {@code false}. A close the source refuses (an
 *   {@linkplain AsyncGenerator#aclose() async generator} running in another task, or a caller that is no task of its
 *   loop) changes nothing: the operators over it keep the item they hold.</li>
 *   <li><b>Cancellation</b>: if the task is cancelled while {@code hasNext()}/{@code next()} suspend, the
 *   {@link java.util.concurrent.CancellationException} is thrown into the producer where it waits and then out
 *   of {@code hasNext()}; the iterator is then exhausted (its producer has ended).</li>
 *   <li><b>Iterable once</b>: like a Python async iterator, {@link #iterator()} returns {@code this}, so a second
 *   {@code for} loop continues where the first one stopped.</li>
 * </ul>
 *
 * <p><b>Threads.</b> An async iterator is a loop object: use it from the tasks of one loop, one task at a time.
 * The operators that need concurrency ({@link #buffer}, {@link #mapConcurrent}, {@link #merge}) run their helpers as
 * tasks of that loop, owned by the iterator: closing it, or ending the task that iterates it, cancels and awaits
 * them.
 *
 * <p><b>Implementing it.</b> Write a generator with {@link AsyncGenerator#of} rather than implementing this
 * interface: the generator gives backpressure, closing and ownership for free. A direct implementation suspends in
 * {@code hasNext()} by awaiting futures, and releases its resources in {@code aclose()}.
 *
 * @param <T> the item type (items may be {@code null}, except where a bridge forbids it)
 */
public interface AsyncIterator<T> extends Iterator<T>, Iterable<T>, AutoCloseable {

    /**
     * Whether there is a next item, suspending the calling task until that is known; the item is fetched and held
     * for {@link #next()}. Part of asyncio's {@code __anext__}.
     *
     * @throws RuntimeException the source's failure at this element (a checked one wrapped in
     *                          {@link CompletionException}), or {@link java.util.concurrent.CancellationException}
     *                          if the task was cancelled while it waited
     * @throws IllegalStateException if not called from a task of the iterator's loop
     */
    @Override
    boolean hasNext();

    /**
     * The next item, suspending the calling task until it is available: asyncio's {@code await it.__anext__()}.
     *
     * @throws NoSuchElementException if the iterator is exhausted or closed (asyncio's {@code StopAsyncIteration})
     * @throws RuntimeException       as {@link #hasNext()}
     */
    @Override
    T next();

    /**
     * Closes the iterator and releases its source, suspending until that is done: asyncio's {@code aclose()}.
     * Idempotent. Does not throw for an iterator that already ended with a failure (that failure was thrown by
     * {@code hasNext()}).
     *
     * @throws RuntimeException an error raised while releasing the source (e.g. by a generator's {@code finally})
     */
    void aclose();

    /** Same as {@link #aclose()}, for try-with-resources: asyncio's {@code contextlib.aclosing}. */
    @Override
    default void close() {
        aclose();
    }

    /** This iterator: asyncio's {@code __aiter__} returning {@code self}. Lets a {@code for} loop consume it. */
    @Override
    default Iterator<T> iterator() {
        return this;
    }

    // ---- operators

    /**
     * An iterator of {@code fn} applied to each item, lazily, in the calling task: {@code (await fn(x) async for x in
     * it)}. {@code fn} may suspend; its failure surfaces from {@code next()} at that item. Closing the result closes
     * this iterator.
     *
     * @param <R> the type of the results
     * @param fn  the function applied to each item, in the consuming task; it may suspend
     * @return the mapped iterator
     * @throws NullPointerException if {@code fn} is null
     */
    default <R> AsyncIterator<R> map(CoroutineFunction<? super T, ? extends R> fn) {
        return new Mapped<>(this, Objects.requireNonNull(fn, "map() function must not be null"));
    }

    /**
     * An iterator of the items for which {@code predicate} is true: {@code (x async for x in it if p(x))}. Closing
     * the result closes this iterator.
     *
     * @param predicate the test each item must pass to be returned; it must not suspend
     * @return the filtered iterator
     * @throws NullPointerException if {@code predicate} is null
     */
    default AsyncIterator<T> filter(Predicate<? super T> predicate) {
        return new Filtered<>(this, Objects.requireNonNull(predicate, "filter() predicate must not be null"));
    }

    /**
     * An iterator of at most the first {@code n} items. When the {@code n}-th item has been taken, the next
     * {@code hasNext()} closes this iterator (so its producer stops at once) and returns {@code false}.
     *
     * @param n the most items to return
     * @return the truncated iterator
     * @throws IllegalArgumentException if {@code n < 0}
     */
    default AsyncIterator<T> take(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("take() count must be >= 0, got " + n);
        }
        return new Taken<>(this, n);
    }

    /**
     * An iterator of lists of {@code n} consecutive items, the last one shorter if the items run out: Python's
     * {@code itertools.batched}. A failure after some items of a list surfaces after that partial list, so no item
     * is lost.
     *
     * @param n the size of each list but the last
     * @return the iterator of lists, each a new list the consumer owns
     * @throws IllegalArgumentException if {@code n < 1}
     */
    default AsyncIterator<List<T>> chunked(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("chunked() size must be >= 1, got " + n);
        }
        return new Chunked<>(this, n);
    }

    /**
     * An iterator that reads this one ahead of its consumer, holding at most {@code n} items: a helper task pulls
     * from this iterator while the consumer works, and waits when {@code n} items are waiting. A failure of this
     * iterator surfaces after the items read before it.
     *
     * @param n the most items read ahead and not yet taken
     * @return the buffering iterator
     * @throws IllegalArgumentException if {@code n < 1}
     */
    default AsyncIterator<T> buffer(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("buffer() size must be >= 1, got " + n);
        }
        return Buffered.of(this, n);
    }

    /**
     * An iterator of {@code fn} applied to each item with at most {@code limit} calls running at once, each in its
     * own task, results in input order. A helper task reads this iterator and starts a call whenever fewer than
     * {@code limit} are running, so a result is emitted as soon as it and those before it are ready, not when this
     * iterator has its next item (which may come only once the consumer has a result: a crawler). The first failure
     * surfaces at its item, after the results of the items before it; the calls still running are then cancelled
     * and awaited (a failure of one of them is attached to
     * the thrown exception as suppressed, never lost). Closing the result cancels the calls in flight and closes
     * this iterator; a call that had already failed when the consumer closed it (or was cancelled in it) is a
     * failure read ahead and never reached: it goes to the loop's exception handler, and {@code aclose()} does not
     * throw it.
     *
     * @param <R>   the type of the results
     * @param limit the most calls of {@code fn} running at once
     * @param fn    the function applied to each item, each call in a task of its own
     * @return the iterator of the results, in the order of the items
     * @throws IllegalArgumentException if {@code limit < 1}
     * @throws NullPointerException     if {@code fn} is null
     */
    default <R> AsyncIterator<R> mapConcurrent(int limit, CoroutineFunction<? super T, ? extends R> fn) {
        return ConcurrentMap.of(this, limit, fn, true);
    }

    /**
     * As {@link #mapConcurrent}, but each result is delivered as soon as its call ends (completion order, as
     * asyncio's {@code as_completed}). A failure surfaces when its call ends.
     *
     * @param <R>   the type of the results
     * @param limit the most calls of {@code fn} running at once
     * @param fn    the function applied to each item, each call in a task of its own
     * @return the iterator of the results, in the order the calls end
     * @throws IllegalArgumentException if {@code limit < 1}
     * @throws NullPointerException     if {@code fn} is null
     */
    default <R> AsyncIterator<R> mapConcurrentUnordered(int limit, CoroutineFunction<? super T, ? extends R> fn) {
        return ConcurrentMap.of(this, limit, fn, false);
    }

    /**
     * Every item, in order, in a new list; closes this iterator.
     *
     * @return a new mutable list of the items
     * @throws RuntimeException as {@link #hasNext()}
     */
    default List<T> toList() {
        var out = new ArrayList<T>();
        try (this) {
            for (T item : this) {
                out.add(item);
            }
        }
        return out;
    }

    /**
     * A sequential {@link Stream} of the remaining items; closing the stream closes this iterator. The stream must
     * be consumed in a task of this iterator's loop (each element may suspend it), and not in parallel.
     *
     * @return a sequential, ordered stream of the remaining items
     */
    default Stream<T> stream() {
        Spliterator<T> items = Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED);
        return StreamSupport.stream(items, false).onClose(this::aclose);
    }

    /**
     * A {@link Flow.Publisher} of the remaining items for one subscriber, honouring its demand: this iterator is
     * asked for an item only when the subscriber has requested one. The items are pulled by a task of the running
     * loop and delivered (onNext, onComplete, onError) on that loop; {@code request} and {@code cancel} are safe from
     * any thread. However the subscription ends (complete, failure, cancel, the loop ending), this iterator is
     * closed, once; a failure of this iterator after the subscription ended (while it is closed) goes to the loop's
     * exception handler. A subscriber method that throws cancels the subscription: the subscriber is not signalled
     * again and the exception goes to the loop's exception handler (Reactive Streams rule 2.13). A second subscriber is
     * refused with {@code onError(IllegalStateException)}; a {@code null} item ends the stream with
     * {@code onError(NullPointerException)} (Reactive Streams rule 2.13). While a subscription is active, the loop
     * counts it as external work in flight (see {@link EventLoop#expectExternal()}).
     *
     * @return a publisher that accepts one subscriber
     * @throws IllegalStateException if not called from a task of a running loop
     */
    default Flow.Publisher<T> toPublisher() {
        return new IteratorPublisher<>(this, Aio.runningLoop());
    }

    // ---- sources

    /**
     * An async iterator over {@code items}. Its {@code hasNext()} does not suspend; the iterable must not block.
     * Closing it closes the underlying {@link Iterator} if that is {@link AutoCloseable}. It belongs to no loop
     * (it never suspends): unlike other async iterators it may be used outside a task, and does not throw
     * {@link IllegalStateException} there.
     *
     * @param <T>   the type of the items
     * @param items the items; its {@code iterator()} is called once, at once
     * @return an iterator of the items, in iteration order
     * @throws NullPointerException if {@code items} is null
     */
    static <T> AsyncIterator<T> from(Iterable<? extends T> items) {
        Objects.requireNonNull(items, "items must not be null");
        Iterator<? extends T> it = items.iterator();
        return new FromIterator<>(it, it instanceof AutoCloseable c ? c : null);
    }

    /**
     * An async iterator over the elements of {@code stream}; closing it closes the stream. The stream's pipeline
     * runs in the consuming task and must not block. Like {@link #from(Iterable)}, it belongs to no loop.
     *
     * @param <T>    the type of the items
     * @param stream the stream of the items, consumed by the returned iterator
     * @return an iterator of the stream's elements, in encounter order
     * @throws NullPointerException if {@code stream} is null
     */
    static <T> AsyncIterator<T> from(Stream<? extends T> stream) {
        Objects.requireNonNull(stream, "stream must not be null");
        return new FromIterator<>(stream.iterator(), stream);
    }

    /**
     * An async iterator over the items of {@code publisher}, with demand: it subscribes at the first
     * {@code hasNext()}, requests {@code prefetch} items, and requests more only as the consumer takes them, so at
     * most {@code prefetch} items are ever requested and not yet consumed. {@code onError} surfaces after the items
     * received before it; one the consumer never reaches, because it closed the iterator first (or was cancelled),
     * goes to the loop's exception handler, even if it came after the close. Closing the iterator (or the end of the
     * task that iterates it) cancels the subscription. The publisher may signal from any thread; while subscribed,
     * the loop counts the subscription as external work in flight ({@link EventLoop#expectExternal()}).
     * kotlinx.coroutines.reactive's {@code asFlow()}.
     *
     * @param <T>       the type of the items
     * @param publisher the publisher to subscribe to, once
     * @param prefetch  the most items requested and not yet consumed
     * @return an iterator of the publisher's items
     * @throws IllegalArgumentException if {@code prefetch < 1}
     * @throws NullPointerException     if {@code publisher} is null
     */
    static <T> AsyncIterator<T> fromPublisher(Flow.Publisher<? extends T> publisher, int prefetch) {
        return PublisherIterator.of(publisher, prefetch);
    }

    /**
     * An iterator of the items of all {@code sources}, interleaved as they become available; each source is pulled
     * by its own helper task, one item ahead at most. It ends when every source is exhausted. A source's failure is
     * delivered in arrival order, after the items that arrived before it, and closes the other sources; failures of
     * other sources already arrived are attached to it as suppressed. Closing it closes every source. aiostream's
     * {@code merge}.
     *
     * @param <T>     the type of the items
     * @param sources the iterators to merge; the merge owns and closes them
     * @return an iterator of the items of all sources
     * @throws NullPointerException     if {@code sources} or one of them is null
     * @throws IllegalArgumentException if an iterator is among {@code sources} twice
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, through a list view
    static <T> AsyncIterator<T> merge(AsyncIterator<? extends T>... sources) {
        Objects.requireNonNull(sources, "merge() sources must not be null");
        return merge(java.util.Arrays.asList(sources));
    }

    /**
     * As {@link #merge(AsyncIterator[])}.
     *
     * @param <T>     the type of the items
     * @param sources the iterators to merge; the merge owns and closes them
     * @return an iterator of the items of all sources
     * @throws NullPointerException     if {@code sources} or one of them is null
     * @throws IllegalArgumentException if an iterator is among {@code sources} twice
     */
    static <T> AsyncIterator<T> merge(List<? extends AsyncIterator<? extends T>> sources) {
        return Merged.of(sources);
    }

    /**
     * An exhausted iterator.
     *
     * @param <T> the type of the items
     * @return an iterator whose {@code hasNext()} returns {@code false}
     */
    static <T> AsyncIterator<T> empty() {
        return from(List.of());
    }
}
