package org.aio4j.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/** For the tests' JDBC proxies (drivers that fail, hang or record on purpose): a call passed on to the real object. */
final class Reflection {

    private Reflection() {
    }

    /** Calls {@code m} on {@code target}, throwing what the method threw rather than its reflective wrapper. */
    static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
