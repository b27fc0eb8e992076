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
        super(original.getClass().getName() + ": " + shorten(Throwables.message(original))
                + " [sent as a stand-in: " + shorten(why) + "]", cause, true, true);
        setStackTrace(original.getStackTrace());
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
     * The serialized stand-in of {@code error}, which the parent could not read ({@code why}, e.g. "the parent could
     * not read it: java.lang.ClassNotFoundException: ..."): the worker's answer to a STANDIN frame.
     */
    static byte[] encodeUnreadable(Throwable error, String why, AllowList allow) {
        return encodeStandIn(error, why, "read in the parent", allow);
    }

    /** As {@link #standIn}, serialized; {@code failed} is what could not be done to the original ("sent"). */
    private static byte[] encodeStandIn(Throwable error, String why, String failed, AllowList allow) {
        try {
            return Payloads.encode(standIn(error, why, failed, 0), allow, Set.of(), "in the task's exception");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot even send a stand-in for " + error.getClass().getName(), e);
        }
    }

    /**
     * The stand-in of {@code original} and, up to 32 deep, of its causes: the cause is given to the constructor,
     * since the one a constructor sets, even {@code null}, cannot be changed by {@code initCause}. The first
     * {@value #SUPPRESSED_KEPT} exceptions the original suppressed (a try-with-resources' failed close) are kept as
     * stand-ins too, with their causes up to {@value #SUPPRESSED_CAUSES} deep, so that the whole stays within the
     * depth the parent reads ({@link Payloads}). The causes and suppressed exceptions say that the exception they
     * belong to could not be {@code failed} ("sent", "read in the parent").
     */
    private static ExceptionStandIn standIn(Throwable original, String why, String failed, int depth) {
        Throwable cause = original.getCause();
        ExceptionStandIn causeStandIn = cause != null && cause != original && depth < 32
                ? standIn(cause, "the exception it caused could not be " + failed, failed, depth + 1) : null;
        var standIn = new ExceptionStandIn(original, why, causeStandIn);
        if (depth == 0) {
            Throwable[] suppressed = original.getSuppressed();
            for (int i = 0; i < Math.min(suppressed.length, SUPPRESSED_KEPT); i++) {
                standIn.addSuppressed(standIn(suppressed[i], "the exception it was suppressed by could not be "
                        + failed, failed, 32 - SUPPRESSED_CAUSES));
            }
        }
        return standIn;
    }
}
