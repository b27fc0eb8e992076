package org.aio4j.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * What a worker sends back instead of an exception that cannot be serialized (a field of it is not serializable, is
 * refused by the allow-list, or throws when written): a {@link RuntimeException} with the original class name and
 * message, the original stack trace and, the same way, its causes and the first exceptions it suppressed. Like any
 * exception from a worker, it comes with the suppressed {@link RemoteCallSite} that names the worker and the code
 * that made the call.
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
            try {
                return Payloads.encode(standIn(error, Throwables.describe(notSendable), 0), allow, Set.of(),
                        "in the task's exception");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot even send a stand-in for " + error.getClass().getName(), e);
            }
        }
    }

    /**
     * The stand-in of {@code original} and, up to 32 deep, of its causes: the cause is given to the constructor,
     * since the one a constructor sets, even {@code null}, cannot be changed by {@code initCause}. The first
     * {@value #SUPPRESSED_KEPT} exceptions the original suppressed (a try-with-resources' failed close) are kept as
     * stand-ins too, with their causes up to {@value #SUPPRESSED_CAUSES} deep, so that the whole stays within the
     * depth the parent reads ({@link Payloads}).
     */
    private static ExceptionStandIn standIn(Throwable original, String why, int depth) {
        Throwable cause = original.getCause();
        ExceptionStandIn causeStandIn = cause != null && cause != original && depth < 32
                ? standIn(cause, "the exception it caused could not be sent", depth + 1) : null;
        var standIn = new ExceptionStandIn(original, why, causeStandIn);
        if (depth == 0) {
            Throwable[] suppressed = original.getSuppressed();
            for (int i = 0; i < Math.min(suppressed.length, SUPPRESSED_KEPT); i++) {
                standIn.addSuppressed(standIn(suppressed[i], "the exception it was suppressed by could not be sent",
                        32 - SUPPRESSED_CAUSES));
            }
        }
        return standIn;
    }
}
