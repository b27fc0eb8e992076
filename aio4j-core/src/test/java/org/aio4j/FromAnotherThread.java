package org.aio4j;

import java.util.ArrayList;
import java.util.List;

/**
 * Calls of a loop object's methods from a thread other than the loop's, for the tests that check that each is
 * refused (an {@link IllegalStateException} whose message starts with the operation's name, then
 * {@code " called from thread"}).
 */
final class FromAnotherThread {

    private FromAnotherThread() {
    }

    /**
     * Runs each of {@code calls}, in order, on a thread of its own ({@link Aio#toThread}, from the running task), and
     * returns the names of the operations refused, e.g. {@code "Future.cancel"}: a call that is not refused adds
     * nothing, and one that fails otherwise (an {@code IllegalStateException} of another kind included) fails the
     * task.
     */
    static List<String> refused(List<Runnable> calls) throws Exception {
        List<String> refused = new ArrayList<>();
        for (Runnable call : calls) {
            Aio.toThread(() -> {
                try {
                    call.run();
                } catch (IllegalStateException e) {
                    int end = e.getMessage() == null ? -1 : e.getMessage().indexOf(" called from thread");
                    if (end < 0) {
                        throw new AssertionError("refused, but not as a call from another thread: " + e, e);
                    }
                    refused.add(e.getMessage().substring(0, end));
                }
            });
        }
        return refused;
    }
}
