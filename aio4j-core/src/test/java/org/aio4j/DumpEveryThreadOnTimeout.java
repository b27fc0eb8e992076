package org.aio4j;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.PreInterruptCallback;
import org.junit.jupiter.api.extension.PreInterruptContext;

/**
 * When a test of this module times out, prints the stack of every thread, virtual ones included, before JUnit
 * interrupts it: JUnit's own dump (junit.jupiter.execution.timeout.threaddump.enabled) lists platform threads only,
 * and the virtual thread of a task is what shows where it waits. Registered for every test by
 * META-INF/services/org.junit.jupiter.api.extension.Extension, with autodetection on (junit-platform.properties).
 */
public final class DumpEveryThreadOnTimeout implements PreInterruptCallback {

    @Override
    public void beforeThreadInterrupt(PreInterruptContext context, ExtensionContext extension) throws Exception {
        Path dir = Files.createTempDirectory("aio4j-timeout-");
        Path file = dir.resolve("threads.txt"); // dumpThreads refuses a file that exists
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
            System.out.println("Every thread, virtual ones included, as " + extension.getUniqueId() + " timed out:\n"
                    + Files.readString(file));
        } finally {
            Files.deleteIfExists(file);
            Files.delete(dir);
        }
    }
}
