package org.aio4j;

/**
 * An async iterator that takes its items from another one, in the consuming task ({@code map}, {@code filter},
 * {@code chunked}, {@code take}): what {@link AsyncGenerator#release} looks through to find a generator underneath.
 */
interface Derived {

    /** The iterator this one takes its items from. */
    AsyncIterator<?> upstream();
}
