package org.aio4j.cookbook;

/**
 * Where {@link Main} registers the hook that writes a stopped recipe's timeline: the JVM's {@link Runtime}, or a
 * test's stand-in that plays a JVM stopping at a chosen moment.
 */
interface ShutdownHooks {

    /** The JVM's own: {@link Runtime#addShutdownHook} and {@link Runtime#removeShutdownHook}. */
    ShutdownHooks RUNTIME = new ShutdownHooks() {
        @Override
        public void add(Thread hook) {
            Runtime.getRuntime().addShutdownHook(hook);
        }

        @Override
        public void remove(Thread hook) {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    };

    /** Registers {@code hook}, to be started when the JVM stops. */
    void add(Thread hook);

    /**
     * Unregisters {@code hook}; throws {@link IllegalStateException} if the JVM is stopping already, when the hook
     * runs or has run.
     */
    void remove(Thread hook);
}
