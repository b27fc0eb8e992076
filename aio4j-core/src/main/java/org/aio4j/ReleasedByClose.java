package org.aio4j;

/**
 * What {@link Future#get()} throws in a thread that the loop's {@link EventLoop#close()} released while it waited
 * on a future the close left pending: an {@link IllegalStateException}, typed so that the offloaded call it ends is
 * not reported twice (the close reports each such call before it releases it).
 */
final class ReleasedByClose extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    ReleasedByClose(Future<?> pending) {
        super("Event loop closed while a thread waited: nothing can complete " + pending);
    }
}
