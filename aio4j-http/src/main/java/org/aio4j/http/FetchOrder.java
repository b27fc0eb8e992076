package org.aio4j.http;

/**
 * The order in which {@link ClientSession#fetchAll} and {@link ClientSession#fetchEach} deliver their results: the
 * order of asyncio's {@code gather} ({@link #INPUT}) or of {@code as_completed} ({@link #COMPLETION}).
 */
public enum FetchOrder {

    /** In the order of the URLs given, like {@code asyncio.gather}: a slow URL holds back the ones after it. */
    INPUT,

    /** In the order the exchanges finish, like {@code asyncio.as_completed}: each result as soon as it is there. */
    COMPLETION
}
