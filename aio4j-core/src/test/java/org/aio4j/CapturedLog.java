package org.aio4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects what the "org.aio4j" logger receives while installed: from its creation to its {@link #close()}. */
final class CapturedLog extends Handler implements AutoCloseable {

    final List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final Logger logger = Logger.getLogger("org.aio4j"); // held: JUL keeps loggers weakly

    CapturedLog() {
        logger.addHandler(this);
    }

    /** The messages received so far at {@code level}, in order. */
    List<String> messages(Level level) {
        synchronized (records) {
            return records.stream().filter(r -> r.getLevel() == level).map(LogRecord::getMessage).toList();
        }
    }

    @Override
    public void publish(LogRecord r) {
        records.add(r);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
