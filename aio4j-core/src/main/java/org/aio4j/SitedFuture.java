package org.aio4j;

/**
 * A future made in debug mode, with the user code that created it, as asyncio's debug-mode futures keep their
 * {@code _source_traceback}: its "exception was never retrieved" report then names that code, as a task's does.
 * Outside debug mode the loop makes plain {@link Future}s, so this class is not even loaded.
 */
final class SitedFuture<T> extends Future<T> {

    private final StackTraceElement[] site;

    SitedFuture(EventLoop loop, StackTraceElement[] site) {
        super(loop);
        this.site = site;
    }

    @Override
    StackTraceElement[] site() {
        return site;
    }
}
