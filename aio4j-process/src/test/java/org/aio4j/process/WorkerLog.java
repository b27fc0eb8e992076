package org.aio4j.process;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What the workers write to their standard output and error, as the pool logs it ({@code org.aio4j.process}, through
 * the JDK's java.util.logging backend): tests wait here for the markers their tasks print, instead of sleeping.
 */
final class WorkerLog extends Handler implements AutoCloseable {

    private static final Logger LOGGER = Logger.getLogger("org.aio4j.process");
    private static final long HANG_GUARD_MILLIS = 120_000;

    private final List<String> lines = new ArrayList<>();
    private final List<String> severe = new ArrayList<>();

    WorkerLog() {
        LOGGER.setLevel(Level.ALL);
        LOGGER.addHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        lines.add(record.getMessage());
        if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
            severe.add(record.getMessage());
        }
        notifyAll();
    }

    /**
     * Waits for a logged line containing {@code marker} and returns it. Fails after two minutes: a guard against a
     * hang, not a timing assertion.
     */
    synchronized String await(String marker) throws InterruptedException {
        return awaitLines(marker, 1).getFirst();
    }

    /** Waits for {@code count} logged lines containing {@code marker} and returns the first {@code count}. */
    synchronized List<String> awaitLines(String marker, int count) throws InterruptedException {
        long deadline = System.currentTimeMillis() + HANG_GUARD_MILLIS;
        while (true) {
            List<String> found = lines.stream().filter(l -> l.contains(marker)).limit(count).toList();
            if (found.size() == count) {
                return found;
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError(count + " worker lines with '" + marker + "' expected within the hang "
                        + "guard; got " + lines);
            }
            wait(left);
        }
    }

    /** Waits for the line of {@code marker} printed by {@link WorkerTasks#block} and returns the pid in it. */
    long awaitPid(String marker) throws InterruptedException {
        String line = await(marker + " pid=");
        return Long.parseLong(line.substring(line.indexOf(marker + " pid=") + marker.length() + 5).trim());
    }

    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** The lines logged as errors (System.Logger's ERROR, the JDK logging's SEVERE). */
    synchronized List<String> errors() {
        return List.copyOf(severe);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        LOGGER.removeHandler(this);
    }
}
