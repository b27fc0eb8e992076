package org.aio4j.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * What a worker sends back instead of an exception that cannot be serialized (a field of it is not serializable, is
 * refused by the allow-list, or throws when written), or, when the parent asks for it, instead of one the parent could
 * not read (of a class only the worker can load: one defined at run time there, or loaded by a class loader of the
 * task's own): a {@link RuntimeException} with the original class name and message, the original stack trace and, the
 * same way, its causes and the first exceptions it suppressed. Its message ends with why it stands in, e.g.
 * {@code [sent as a stand-in: java.io.NotSerializableException: java.lang.Object]}. Like any exception from a worker,
 * it comes with the suppressed {@link RemoteCallSite} that names the worker and the code that made the call.
 */
final class ExceptionStandIn extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** How many of the exceptions an original suppressed its stand-in keeps. */
    private static final int SUPPRESSED_KEPT = 8;

    /** How deep the causes of a suppressed exception's stand-in go. */
    private static final int SUPPRESSED_CAUSES = 8;

    private ExceptionStandIn(Throwable original, String why, ExceptionStandIn cause) {
        this(original.getClass().getName(), Throwables.message(original), original.getStackTrace(), why, cause);
    }

    private ExceptionStandIn(String className, String message, StackTraceElement[] stack, String why,
                             ExceptionStandIn cause) {
        super(className + ": " + shorten(message) + " [sent as a stand-in: " + shorten(why) + "]", cause, true, true);
        setStackTrace(stack);
    }

    private static String shorten(String s) {
        return s.length() <= 4096 ? s : s.substring(0, 4096) + "...";
    }

    /**
     * The serialized form of {@code error}, or of its stand-in if it cannot be serialized or is refused, whatever
     * writing it throws: a {@code writeObject} of a field may throw an unchecked exception or any {@link Error} (an
     * {@code assert}, say), and the worker must answer all the same, not die. The stand-in holds nothing but
     * strings and stack traces, so only a lack of memory can stop it in turn.
     */
    static byte[] encode(Throwable error, AllowList allow) {
        try {
            return Payloads.encode(error, allow, Set.of(), "in the task's exception");
        } catch (Throwable notSendable) {
            return encodeStandIn(error, Throwables.describe(notSendable), "sent", allow);
        }
    }

    /**
     * What the stand-in of {@code error} is made of, should the parent be unable to read it: taken when the call
     * fails, so that the worker keeps this text (class names, messages, stack traces) rather than the exception and
     * all it reaches, which the task's memory would stay in while the worker is idle. Running code of the exception's
     * ({@code getMessage()}, {@code getCause()}...), it never throws but for a lack of memory: if that code throws,
     * the stand-in says so.
     */
    static Unreadable unreadable(Throwable error) {
        try {
            return parts(error, "read in the parent");
        } catch (OutOfMemoryError e) {
            throw e;
        } catch (Throwable e) {
            return new Unreadable(error.getClass().getName(), "(its stand-in could not be made: "
                    + Throwables.describe(e) + ")", new StackTraceElement[0], null, new ExceptionStandIn[0]);
        }
    }

    /**
     * The stand-in of an exception, but for why it stands in: see {@link #unreadable} and {@link #parts}. Holds only
     * strings, stack traces and stand-ins.
     */
    static final class Unreadable {
        private final String className;
        private final String message;
        private final StackTraceElement[] stack;
        private final ExceptionStandIn cause;
        private final ExceptionStandIn[] suppressed;

        private Unreadable(String className, String message, StackTraceElement[] stack, ExceptionStandIn cause,
                           ExceptionStandIn[] suppressed) {
            this.className = className;
            this.message = message;
            this.stack = stack;
            this.cause = cause;
            this.suppressed = suppressed;
        }

        /**
         * The serialized stand-in, which stands in because of {@code why}: the exception could not be sent (the error
         * serializing it) or the parent could not read it (e.g. "the parent could not read it:
         * java.lang.ClassNotFoundException: ...", the worker's answer to a STANDIN frame).
         */
        byte[] encode(String why, AllowList allow) {
            var standIn = new ExceptionStandIn(className, message, stack, why, cause);
            for (ExceptionStandIn s : suppressed) {
                standIn.addSuppressed(s);
            }
            try {
                return Payloads.encode(standIn, allow, Set.of(), "in the task's exception");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot even send a stand-in for " + className, e);
            }
        }
    }

    /** The stand-in of {@code error} (see {@link #parts}), serialized: {@code why} it stands in. */
    private static byte[] encodeStandIn(Throwable error, String why, String failed, AllowList allow) {
        return parts(error, failed).encode(why, allow);
    }

    /**
     * The stand-in of {@code error} but for why it stands in: its class name, message and stack trace, the stand-ins
     * of its causes, up to 32 deep, and those of the first {@value #SUPPRESSED_KEPT} exceptions it suppressed (a
     * try-with-resources' failed close), with their causes up to {@value #SUPPRESSED_CAUSES} deep, so that the whole
     * stays within the depth the parent reads ({@link Payloads}). The causes and suppressed exceptions say that the
     * exception they belong to could not be {@code failed} ("sent", "read in the parent").
     */
    private static Unreadable parts(Throwable error, String failed) {
        Throwable cause = error.getCause();
        ExceptionStandIn causeStandIn = cause != null && cause != error
                ? standIn(cause, "the exception it caused could not be " + failed, failed, 1) : null;
        Throwable[] suppressed = error.getSuppressed();
        var suppressedStandIns = new ExceptionStandIn[Math.min(suppressed.length, SUPPRESSED_KEPT)];
        for (int i = 0; i < suppressedStandIns.length; i++) {
            suppressedStandIns[i] = standIn(suppressed[i], "the exception it was suppressed by could not be "
                    + failed, failed, 32 - SUPPRESSED_CAUSES);
        }
        return new Unreadable(error.getClass().getName(), Throwables.message(error), error.getStackTrace(),
                causeStandIn, suppressedStandIns);
    }

    /**
     * The stand-in of {@code original}, a cause or a suppressed exception {@code depth} deep, and of its causes up to
     * 32 deep: the cause is given to the constructor, since the one a constructor sets, even {@code null}, cannot be
     * changed by {@code initCause}.
     */
    private static ExceptionStandIn standIn(Throwable original, String why, String failed, int depth) {
        Throwable cause = original.getCause();
        ExceptionStandIn causeStandIn = cause != null && cause != original && depth < 32
                ? standIn(cause, "the exception it caused could not be " + failed, failed, depth + 1) : null;
        return new ExceptionStandIn(original, why, causeStandIn);
    }
}
