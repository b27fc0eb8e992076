package org.aio4j;

import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A variable whose value belongs to the current {@link Context}: Python's {@code contextvars.ContextVar}, as asyncio
 * uses it for what a {@code ThreadLocal} holds in thread-per-request code (a request id for the logs, a tracing
 * span, a deadline, a database transaction).
 *
 * <p>A task starts with the values its creator had when it created it, and what it sets is its own: a value set in
 * one task is seen by the tasks it creates afterwards, never by its creator or its siblings. A callback sees the
 * values of the code that scheduled it, and {@link Aio#toThread} passes its caller's on to the thread. See
 * {@link Context} for where each piece of code finds its context.
 *
 * <pre>{@code
 * static final ContextVar<String> REQUEST_ID = new ContextVar<>("request_id", "-");
 *
 * void handle(Request r) throws Exception {
 *     try (var _ = REQUEST_ID.set(r.id())) {      // reset when the block ends
 *         log("start");                            // log() reads REQUEST_ID.get()
 *         Aio.gather(fetchA(), fetchB()).await();  // both tasks see r.id()
 *     }
 * }
 * }</pre>
 *
 * <p>Unlike a {@code ThreadLocal}, a variable is made once, as a constant: each context holds its value by the
 * variable's identity, and a variable made per call leaves a value behind in every context that set it. Values may be
 * {@code null}. Thread-safety: a variable may be used from any thread; it reads and changes the calling code's
 * current context.
 *
 * @param <T> the type of the value
 */
public final class ContextVar<T> {

    private final String name;
    private final Object defaultValue;

    /**
     * A variable without a default value: {@link #get()} throws where it was not set.
     *
     * @param name the variable's name, for messages and {@link #toString()}
     * @throws NullPointerException if {@code name} is null
     */
    public ContextVar(String name) {
        this.name = Objects.requireNonNull(name, "name must not be null");
        this.defaultValue = Bindings.MISSING;
    }

    /**
     * A variable with a default value, which {@link #get()} returns where it was not set.
     *
     * @param name         the variable's name, for messages and {@link #toString()}
     * @param defaultValue the value where none was set; may be {@code null}
     * @throws NullPointerException if {@code name} is null
     */
    public ContextVar(String name, T defaultValue) {
        this.name = Objects.requireNonNull(name, "name must not be null");
        this.defaultValue = defaultValue;
    }

    /**
     * The variable's name: Python's {@code ContextVar.name}.
     *
     * @return the name given when it was made
     */
    public String name() {
        return name;
    }

    /**
     * The variable's value in the current context, or its default: Python's {@code ContextVar.get()}.
     *
     * @return the value set in the current context, else the variable's default
     * @throws NoSuchElementException if it has no value in the current context and no default (Python's
     *                                {@code LookupError})
     */
    @SuppressWarnings("unchecked")
    public T get() {
        Object v = Context.currentBindings().lookup(this);
        if (v == Bindings.MISSING) {
            v = defaultValue;
            if (v == Bindings.MISSING) {
                throw new NoSuchElementException(
                        "ContextVar '" + name + "' has no value in the current context and no default");
            }
        }
        return (T) v;
    }

    /**
     * The variable's value in the current context, or {@code fallback}: Python's {@code ContextVar.get(default)}
     * (the variable's own default does not count).
     *
     * @param fallback what to return if the variable has no value in the current context; may be {@code null}
     * @return the value set in the current context, else {@code fallback}
     */
    @SuppressWarnings("unchecked")
    public T get(T fallback) {
        Object v = Context.currentBindings().lookup(this);
        return v == Bindings.MISSING ? fallback : (T) v;
    }

    /**
     * Sets the variable's value in the current context: Python's {@code ContextVar.set()}. Tasks and callbacks
     * created or scheduled afterwards from this context see the value; those created before do not.
     *
     * @param value the new value; may be {@code null}
     * @return a token to {@linkplain #reset reset} the variable to the value it had before, also by closing it (as
     *         Python 3.14's {@code with var.set(value):})
     */
    public Token<T> set(T value) {
        Context context = Context.current();
        Bindings before = context.bindings;
        context.bindings = before.with(this, value);
        return new Token<>(this, context, before.lookup(this));
    }

    /**
     * Gives the variable back the value it had before the {@link #set} that returned {@code token} (or no value, if
     * it had none): Python's {@code ContextVar.reset()}.
     *
     * @param token what {@link #set} returned
     * @throws IllegalStateException    if the token was used already (checked first, as CPython's
     *                                  {@code RuntimeError}, whatever variable or context resets it)
     * @throws IllegalArgumentException if the token was made by another variable, or in another context (Python's
     *                                  {@code ValueError})
     * @throws NullPointerException     if {@code token} is null
     */
    public void reset(Token<T> token) {
        Objects.requireNonNull(token, "token must not be null");
        if (token.used) { // checked first, as CPython does
            throw new IllegalStateException(token + " has already been used once");
        }
        if (token.var != this) {
            throw new IllegalArgumentException(token + " was created by a different ContextVar than " + this);
        }
        Context context = Context.current();
        if (token.context != context) {
            throw new IllegalArgumentException(token + " was created in a different Context");
        }
        token.used = true;
        context.bindings = context.bindings.with(this, token.oldValue);
    }

    @Override
    public String toString() {
        return "ContextVar[name='" + name + "'" + (defaultValue == Bindings.MISSING ? "" : ", default=" + defaultValue)
                + "]";
    }

    /**
     * What {@link ContextVar#set} returns: Python's {@code contextvars.Token}. Closing it resets the variable, so that
     * {@code try (var _ = var.set(value)) { ... }} sets a value for a block. Used once, in the context that made it.
     *
     * @param <T> the type of the variable
     */
    public static final class Token<T> implements AutoCloseable {

        private final ContextVar<T> var;
        private final Context context;
        private final Object oldValue;
        private boolean used;

        Token(ContextVar<T> var, Context context, Object oldValue) {
            this.var = var;
            this.context = context;
            this.oldValue = oldValue;
        }

        /**
         * The variable that made this token: Python's {@code Token.var}.
         *
         * @return the variable
         */
        public ContextVar<T> var() {
            return var;
        }

        /**
         * Whether the variable had a value before the {@code set}: false where Python's {@code Token.old_value} is
         * {@code Token.MISSING}.
         *
         * @return whether there was a value to go back to
         */
        public boolean hasOldValue() {
            return oldValue != Bindings.MISSING;
        }

        /**
         * The value the variable had before the {@code set}: Python's {@code Token.old_value}.
         *
         * @return the old value
         * @throws NoSuchElementException if the variable had none ({@link #hasOldValue()} is false)
         */
        @SuppressWarnings("unchecked")
        public T oldValue() {
            if (oldValue == Bindings.MISSING) {
                throw new NoSuchElementException(var + " had no value before this token's set");
            }
            return (T) oldValue;
        }

        /**
         * Resets the variable: {@link ContextVar#reset} with this token.
         *
         * @throws IllegalArgumentException if called in another context than the one that made the token
         * @throws IllegalStateException    if the token was used already
         */
        @Override
        public void close() {
            var.reset(this);
        }

        @Override
        public String toString() {
            return "Token[var=" + var + (used ? ", used" : "") + "]";
        }
    }
}
