package org.aio4j;

/**
 * A callback scheduled in debug mode, with the user code that scheduled it, as asyncio's debug-mode handles keep
 * their {@code _source_traceback}: a slow-callback report or an exception in the callback then names the line that
 * scheduled it (a lambda's class name alone only names the class that declares it). Outside debug mode callbacks
 * are scheduled as they are, at no cost.
 */
record SitedCallback(Runnable callback, StackTraceElement[] site) implements Runnable {

    @Override
    public void run() {
        callback.run();
    }

    @Override
    public String toString() {
        String what = CallbackName.of(callback);
        return site.length == 0 ? what : what + " created at " + site[0];
    }
}
