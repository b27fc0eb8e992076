package org.aio4j.process;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which classes may cross between the parent and its workers, and how big a payload may be: the policy behind the
 * {@link java.io.ObjectInputFilter} of both sides ({@link Payloads}) and behind the check made when a task or result
 * is written.
 *
 * <p>A class is allowed when, after stripping array dimensions, it is primitive, a {@link Throwable} (so exceptions
 * come back with their own type), one of the payload's own classes (the task's class, or the capturing class of a
 * serializable lambda), or matches a pattern: {@code a.b.C} (that class), {@code a.b.*} (the classes of package
 * {@code a.b}), {@code a.b.**} (and of its subpackages), {@code a.b.Prefix*} (names starting so). Everything else is
 * refused. A hidden class (a deserialized lambda) is judged as its nest host, the class that declared the lambda.
 * Immutable and thread-safe.
 */
final class AllowList {

    /** What every pool allows: boxed primitives, strings, collections, big numbers, serialized lambdas. */
    static final List<String> DEFAULTS = List.of(
            "java.lang.Boolean", "java.lang.Byte", "java.lang.Character", "java.lang.Short", "java.lang.Integer",
            "java.lang.Long", "java.lang.Float", "java.lang.Double", "java.lang.Number", "java.lang.String",
            "java.lang.Enum", "java.lang.Object", "java.lang.StackTraceElement", "java.lang.invoke.SerializedLambda",
            "java.math.BigInteger", "java.math.BigDecimal", "java.util.*");

    private final List<String> patterns;
    final int maxDepth;
    final int maxPayloadBytes;

    AllowList(List<String> patterns, int maxDepth, int maxPayloadBytes) {
        patterns.forEach(AllowList::checkPattern);
        this.patterns = List.copyOf(patterns);
        this.maxDepth = maxDepth;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /**
     * Checks a pattern's syntax: what is left once {@code .**}, {@code .*} or {@code *} is taken off its end is a
     * dotted name whose parts are Java identifiers (a pattern such as {@code "com.example."} or {@code ".*"}, which
     * no class can match, is refused too). {@code "*"} alone allows every class.
     *
     * @throws IllegalArgumentException naming the pattern and what is wrong with it
     */
    static String checkPattern(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException("allow-list pattern must not be empty, got '" + pattern + "'");
        }
        if (pattern.equals("*")) {
            return pattern;
        }
        String body = pattern.endsWith(".**") ? pattern.substring(0, pattern.length() - 3)
                : pattern.endsWith(".*") ? pattern.substring(0, pattern.length() - 2)
                : pattern.endsWith("*") ? pattern.substring(0, pattern.length() - 1) : pattern;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (!Character.isJavaIdentifierPart(c) && c != '.') {
                throw notAPattern(pattern, "bad character '" + c + "'");
            }
        }
        for (String part : body.split("\\.", -1)) {
            if (part.isEmpty()) {
                throw notAPattern(pattern, "an empty name between dots, or at an end");
            }
            if (!Character.isJavaIdentifierStart(part.charAt(0))) {
                throw notAPattern(pattern, "'" + part + "' does not start as a Java identifier");
            }
        }
        return pattern;
    }

    private static IllegalArgumentException notAPattern(String pattern, String why) {
        return new IllegalArgumentException("allow-list pattern '" + pattern + "' is not a class name, "
                + "'package.*', 'package.**' or 'Prefix*' (" + why + ")");
    }

    /** Whether {@code type} may be written or read in a payload whose own classes are {@code own}. */
    boolean allows(Class<?> type, Set<String> own) {
        Class<?> c = type;
        while (c.isArray()) {
            c = c.getComponentType();
        }
        if (c.isHidden()) {
            // A lambda, returned by SerializedLambda.readResolve: its class is its capturing class's to allow.
            c = c.getNestHost();
        }
        if (c.isPrimitive() || Throwable.class.isAssignableFrom(c) || own.contains(c.getName())) {
            return true;
        }
        String name = c.getName();
        for (String p : patterns) {
            if (matches(p, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(String pattern, String name) {
        if (pattern.endsWith(".**")) {
            return name.startsWith(pattern.substring(0, pattern.length() - 2));
        }
        if (pattern.endsWith(".*")) {
            String pkg = pattern.substring(0, pattern.length() - 1);
            return name.startsWith(pkg) && name.indexOf('.', pkg.length()) < 0;
        }
        if (pattern.endsWith("*")) {
            return name.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return name.equals(pattern);
    }

    /**
     * How to allow {@code type} (an array: its element class), for error messages: with its class literal if code
     * outside its package can write one (a public class, nested only in public classes), else with its name, which
     * always works (a class of the JDK's that is not public, such as the {@code java.time.Ser} a {@code Duration} is
     * written as, a local or anonymous class).
     */
    static String howToAllow(Class<?> type) {
        Class<?> c = type;
        while (c.isArray()) {
            c = c.getComponentType();
        }
        String name = c.getName();
        int dot = name.lastIndexOf('.');
        String pkg = dot < 0 ? "" : name.substring(0, dot);
        return "allow it with ProcessPool.builder().allow("
                + (isNameableAnywhere(c) ? c.getCanonicalName() + ".class" : "\"" + name + "\"") + ")"
                + (pkg.isEmpty() ? "" : " or .allow(\"" + pkg + ".*\")");
    }

    private static boolean isNameableAnywhere(Class<?> c) {
        if (c.getCanonicalName() == null) {
            return false;
        }
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!java.lang.reflect.Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    /** The worker's command-line arguments that rebuild this allow-list: {@link #fromArgs} reads them back. */
    List<String> toArgs() {
        var args = new ArrayList<String>();
        args.add(Integer.toString(maxDepth));
        args.add(Integer.toString(maxPayloadBytes));
        args.addAll(patterns);
        return args;
    }

    static AllowList fromArgs(List<String> args) {
        return new AllowList(args.subList(2, args.size()), Integer.parseInt(args.get(0)),
                Integer.parseInt(args.get(1)));
    }

    @Override
    public String toString() {
        return "AllowList" + patterns + "[maxDepth=" + maxDepth + ", maxPayloadBytes=" + maxPayloadBytes + "]";
    }
}
