package org.aio4j;

/**
 * What {@link Future#get()} throws in a thread that the loop's {@link EventLoop#close()} released while it waited
 * (or was registering to wait) on a future the close left pending: an {@link IllegalStateException}, typed so that
 * the offloaded call it ends is not reported twice (the close reports each such call before it releases it).
 */
final class ReleasedByClose extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * @param pending the future the thread waits for (or the {@link ThreadsafeSubmission})
     * @param waited whether the thread had started waiting when the close released it (else it found the loop
     *        closed just after it registered as waiting, which the close may have seen and reported all the same)
     */
    ReleasedByClose(Object pending, boolean waited) {
        super((waited ? "Event loop closed while a thread waited" : "Event loop is closed")
                + ": nothing can complete " + pending);
    }
}
