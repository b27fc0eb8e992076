package org.aio4j.process;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Modifier;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Java serialization locked down by an {@link AllowList}, the same way on both sides of the pipe: writing checks
 * every class against the allow-list (so a task that would be refused fails where it is submitted, naming the
 * class), and reading installs an {@link ObjectInputFilter} that refuses any other class, a graph deeper than the
 * limit, and arrays longer than the payload could hold. Refusals are {@link InvalidClassException}s whose message
 * names the class and how to allow it, or the limit exceeded. The depth is checked only where a payload is read.
 */
final class Payloads {

    private Payloads() {
    }

    /** A serialized task, with the classes admitted for this payload only (its class, its lambdas' classes). */
    record Payload(byte[] bytes, Set<String> own, String description) {
    }

    /**
     * Serializes a task for a worker, eagerly, so that a task that cannot cross fails at submission.
     *
     * @throws IllegalArgumentException naming the class that is not serializable or not allowed
     */
    static Payload encodeTask(Object task, AllowList allow) {
        return encodeTask(task, "the task", allow);
    }

    /**
     * As {@link #encodeTask(Object, AllowList)}, for a task that messages call {@code role} (e.g. "the
     * initializer").
     */
    static Payload encodeTask(Object task, String role, AllowList allow) {
        return encodeTaskDescribed(task, describe(role, task), allow);
    }

    /** As {@link #encodeTask(Object, AllowList)}, for a task that messages call {@code description}. */
    static Payload encodeTaskDescribed(Object task, String description, AllowList allow) {
        return encodeTaskDescribed(task, description, allow, null);
    }

    /**
     * As {@link #encodeTaskDescribed(Object, String, AllowList)}, for a task that carries {@code carried} (map's
     * function in a chunk), whose class is the task's own as well unless it is a lambda's: the same function given to
     * {@code submit} would be allowed.
     */
    static Payload encodeTaskDescribed(Object task, String description, AllowList allow, Object carried) {
        if (!(task instanceof Serializable)) {
            throw new IllegalArgumentException(description + " is not serializable, so it cannot be sent to a "
                    + "worker JVM: give it a serializable type, e.g. pass the lambda straight to pool.remote(...) "
                    + "or pool.submit(...), or declare it as a SerializableCallable (a SerializableRunnable for one"
                    + " without a result)");
        }
        Set<String> own = new LinkedHashSet<>();
        if (!isLambda(task.getClass())) {
            own.add(task.getClass().getName());
        }
        if (carried != null && !isLambda(carried.getClass())) {
            own.add(carried.getClass().getName());
        }
        try {
            return new Payload(encode(task, allow, own, true, "in " + description), Set.copyOf(own), description);
        } catch (IOException e) {
            throw cannotSend(description, e, own, task.getClass());
        }
    }

    private static IllegalArgumentException cannotSend(String description, IOException e, Set<String> own,
                                                       Class<?> taskClass) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof NotSerializableException nse) {
                String offending = nse.getMessage();
                String hint = own.contains(offending)
                        ? ": a lambda captures 'this' when it calls an instance method or reads a field; call a "
                        + "static method instead, or copy what the task needs into local variables first (this is "
                        + "why asyncio wants print_num to be a global function)"
                        : enclosedBy(taskClass, offending)
                        ? ": an inner, local or anonymous class holds the instance of its enclosing class, even if "
                        + "it never uses it; declare it as a static nested class, or use a lambda that calls a "
                        + "static method"
                        : ": make it Serializable, mark the field transient, or do not capture it";
                return new IllegalArgumentException(description + " cannot be sent to a worker JVM: it captures "
                        + "or contains a " + offending + ", which is not Serializable" + hint, e);
            }
        }
        return new IllegalArgumentException(description + " cannot be sent to a worker JVM: " + e.getMessage(), e);
    }

    /**
     * Serializes {@code value} (a result, an exception), refusing any class the allow-list refuses for a payload
     * whose own classes are {@code own}, which is not changed. A serialized lambda in it is judged as its capturing
     * class, which the allow-list must allow: the side that reads the value knows no own classes for it.
     *
     * @param where what is written, for messages (e.g. "in the task's result")
     * @throws InvalidClassException    if a class is refused
     * @throws InvalidObjectException   if the payload is larger than the allow-list's limit
     * @throws NotSerializableException if an object in the graph is not serializable
     */
    static byte[] encode(Object value, AllowList allow, Set<String> own, String where) throws IOException {
        return encode(value, allow, own, false, where);
    }

    /**
     * As {@link #encode(Object, AllowList, Set, String)}; if {@code lambdasAreOwn} (a task), the capturing classes
     * of serialized lambdas are added to {@code own} as they are met, and so allowed for this payload.
     */
    private static byte[] encode(Object value, AllowList allow, Set<String> own, boolean lambdasAreOwn,
                                 String where) throws IOException {
        var bytes = new BoundedBytes(allow.maxPayloadBytes);
        try (var out = new CheckingOutput(bytes, allow, own, lambdasAreOwn, where)) {
            out.writeObject(value);
        } catch (IOException e) {
            if (bytes.exceeded) {
                // Whatever the stream threw after the refusal (it tries to write the exception too), say why.
                throw new InvalidObjectException("payload " + where + " is larger than the pool's maxPayloadBytes "
                        + allow.maxPayloadBytes);
            }
            throw e;
        }
        return bytes.toByteArray();
    }

    /**
     * The bytes of a payload, refusing to grow past the limit: a value too large fails as soon as it is, instead of
     * being copied whole (the copy of a result that fits the worker's heap may not fit it a second time).
     */
    private static final class BoundedBytes extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final int limit;
        boolean exceeded;

        BoundedBytes(int limit) {
            this.limit = limit;
        }

        @Override
        public void write(int b) throws IOException {
            reserve(1);
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            reserve(len);
            bytes.write(b, off, len);
        }

        private void reserve(int n) throws IOException {
            if (exceeded || n > limit - bytes.size()) {
                exceeded = true;
                throw new InvalidObjectException("more than " + limit + " bytes");
            }
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }

    /**
     * Deserializes a payload under the allow-list's filter.
     *
     * @param where what is read, for messages (e.g. "reading the result in the parent")
     * @throws InvalidClassException if the filter refused a class or a limit was exceeded
     */
    static Object decode(byte[] bytes, AllowList allow, Set<String> own, ClassLoader loader, String where)
            throws IOException, ClassNotFoundException {
        var filter = new Filter(allow, own, bytes.length);
        try (var in = new LoaderInput(new ByteArrayInputStream(bytes), loader)) {
            in.setObjectInputFilter(filter);
            return in.readObject();
        } catch (InvalidClassException e) {
            if (filter.reason == null) {
                throw e;
            }
            var refusal = filter.refused == null
                    ? new InvalidClassException("refused by the process pool (" + where + "): " + filter.reason)
                    : new InvalidClassException(filter.refused, "refused by the process pool's allow-list ("
                    + where + "): " + filter.reason);
            refusal.initCause(e);
            throw refusal;
        }
    }

    /** Whether {@code c}, or a class it is nested in, is an inner class of the class named {@code outer}. */
    private static boolean enclosedBy(Class<?> c, String outer) {
        for (; c.getEnclosingClass() != null; c = c.getEnclosingClass()) {
            if (!Modifier.isStatic(c.getModifiers()) && c.getEnclosingClass().getName().equals(outer)) {
                return true;
            }
        }
        return false;
    }

    static String describe(String role, Object task) {
        Class<?> c = task.getClass();
        return isLambda(c) ? role + " (a lambda in " + c.getName().replaceFirst("\\$\\$Lambda.*", "") + ")"
                : role + " (a " + c.getName() + ")";
    }

    private static boolean isLambda(Class<?> c) {
        return c.isSynthetic() && c.getName().contains("$$Lambda");
    }

    private static final class CheckingOutput extends ObjectOutputStream {
        private final AllowList allow;
        private final Set<String> own;
        private final boolean lambdasAreOwn;
        private final String where;

        CheckingOutput(OutputStream out, AllowList allow, Set<String> own, boolean lambdasAreOwn, String where)
                throws IOException {
            super(out);
            this.allow = allow;
            this.own = own;
            this.lambdasAreOwn = lambdasAreOwn;
            this.where = where;
            enableReplaceObject(lambdasAreOwn);
        }

        @Override
        protected Object replaceObject(Object obj) {
            if (lambdasAreOwn && obj instanceof SerializedLambda lambda) {
                own.add(lambda.getCapturingClass().replace('/', '.'));
            }
            return obj;
        }

        @Override
        protected void annotateClass(Class<?> cl) throws IOException {
            if (!allow.allows(cl, own)) {
                throw new InvalidClassException(cl.getName(), "refused by the process pool's allow-list ("
                        + where + "): " + AllowList.howToAllow(cl));
            }
        }

        @Override
        protected void annotateProxyClass(Class<?> cl) throws IOException {
            annotateClass(cl);
        }
    }

    private static final class LoaderInput extends ObjectInputStream {
        private final ClassLoader loader;

        LoaderInput(InputStream in, ClassLoader loader) throws IOException {
            super(in);
            this.loader = loader;
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            try {
                return Class.forName(desc.getName(), false, loader);
            } catch (ClassNotFoundException e) {
                return super.resolveClass(desc);   // primitive types
            }
        }
    }

    /** The read side: the allow-list plus limits, remembering the first refusal to explain it. */
    private static final class Filter implements ObjectInputFilter {
        private final AllowList allow;
        private final Set<String> own;
        private final int payloadBytes;
        /** The class the allow-list refused, or {@code null} if a limit refused the payload. */
        String refused;
        /** Why the payload was refused, once it was. */
        String reason;

        Filter(AllowList allow, Set<String> own, int payloadBytes) {
            this.allow = allow;
            this.own = own;
            this.payloadBytes = payloadBytes;
        }

        @Override
        public Status checkInput(FilterInfo info) {
            Class<?> c = info.serialClass();
            if (info.depth() > allow.maxDepth) {
                // A limit, not the allow-list: no class is at fault (the filter often learns no class here).
                return refuse(null, "the object graph is deeper than the pool's maxDepth " + allow.maxDepth
                        + "; raise it with ProcessPool.builder().maxDepth(...)");
            }
            // Every array element takes at least one byte of the stream, so a longer array is a forged length.
            if (info.arrayLength() > payloadBytes) {
                return refuse(null, "an array of " + info.arrayLength() + " elements cannot come from a payload of "
                        + payloadBytes + " bytes");
            }
            if (c != null && !allow.allows(c, own)) {
                return refuse(c.getName(), AllowList.howToAllow(c));
            }
            return Status.ALLOWED;
        }

        private Status refuse(String name, String why) {
            if (reason == null) {
                refused = name;
                reason = why;
            }
            return Status.REJECTED;
        }
    }
}
