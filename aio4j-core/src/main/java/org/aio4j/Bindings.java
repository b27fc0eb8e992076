package org.aio4j;

import java.util.Arrays;

/**
 * The values of a {@link Context}: an immutable map from {@link ContextVar} to value, so that a copy of a context is
 * one reference and a {@code set} makes a new map (CPython's is a HAMT; a program has few context variables, and
 * arrays searched by identity are smaller and faster for few). Values may be null; {@link #MISSING} is the absence.
 */
final class Bindings {

    static final Object MISSING = new Object() {
        @Override
        public String toString() {
            return "<missing>";
        }
    };

    static final Bindings EMPTY = new Bindings(new ContextVar<?>[0], new Object[0]);

    private final ContextVar<?>[] vars;
    private final Object[] values;

    private Bindings(ContextVar<?>[] vars, Object[] values) {
        this.vars = vars;
        this.values = values;
    }

    /** The value of {@code var}, or {@link #MISSING}. */
    Object lookup(ContextVar<?> var) {
        ContextVar<?>[] vs = vars;
        for (int i = 0; i < vs.length; i++) {
            if (vs[i] == var) {
                return values[i];
            }
        }
        return MISSING;
    }

    /** These bindings with {@code var} bound to {@code value} ({@link #MISSING} removes it). */
    Bindings with(ContextVar<?> var, Object value) {
        int at = indexOf(var);
        if (value == MISSING) {
            if (at < 0) {
                return this;
            }
            if (vars.length == 1) {
                return EMPTY;
            }
            ContextVar<?>[] vs = new ContextVar<?>[vars.length - 1];
            Object[] xs = new Object[vars.length - 1];
            System.arraycopy(vars, 0, vs, 0, at);
            System.arraycopy(vars, at + 1, vs, at, vs.length - at);
            System.arraycopy(values, 0, xs, 0, at);
            System.arraycopy(values, at + 1, xs, at, xs.length - at);
            return new Bindings(vs, xs);
        }
        if (at >= 0) {
            Object[] xs = values.clone();
            xs[at] = value;
            return new Bindings(vars, xs);
        }
        ContextVar<?>[] vs = Arrays.copyOf(vars, vars.length + 1);
        Object[] xs = Arrays.copyOf(values, values.length + 1);
        vs[vars.length] = var;
        xs[values.length] = value;
        return new Bindings(vs, xs);
    }

    int size() {
        return vars.length;
    }

    ContextVar<?> var(int i) {
        return vars[i];
    }

    Object value(int i) {
        return values[i];
    }

    private int indexOf(ContextVar<?> var) {
        for (int i = 0; i < vars.length; i++) {
            if (vars[i] == var) {
                return i;
            }
        }
        return -1;
    }
}
