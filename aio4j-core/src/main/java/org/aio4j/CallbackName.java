package org.aio4j;

/**
 * What dumps, reports and the timeline call a callback or an offloaded call: its own {@code toString()} if its class
 * has one (a library's call saying what it does, e.g. a JDBC cursor naming its query), {@code "lambda in C"} for a
 * lambda or method reference written in class {@code C}, else its class name. A lambda's class name alone is a hidden
 * class's ({@code C$$Lambda/0x000000003804f610}), whose address means nothing to a reader and differs between runs;
 * its {@code toString()} only adds an identity hash.
 */
final class CallbackName {

    private static final String LAMBDA = "$$Lambda";

    private CallbackName() {
    }

    static String of(Object callback) {
        Class<?> c = callback.getClass();
        try {
            if (c.getMethod("toString").getDeclaringClass() != Object.class) {
                return callback.toString();
            }
        } catch (NoSuchMethodException | RuntimeException brokenToString) {
            // a dump must not fail because of the callback's toString(): its class says enough
        }
        String name = c.getName();
        int lambda = name.indexOf(LAMBDA);
        return c.isHidden() && lambda > 0 ? "lambda in " + name.substring(0, lambda) : name;
    }
}
