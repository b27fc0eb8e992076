package org.aio4j.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The machine a run was measured on: what the report prints above the figures so that they can be compared with a
 * later run, and the load average, because the machine may be shared.
 *
 * @param cpus       available processors
 * @param cpuModel   the first {@code model name} of {@code /proc/cpuinfo}
 * @param memory     {@code MemTotal} of {@code /proc/meminfo}, in GiB
 * @param os         {@code PRETTY_NAME} of {@code /etc/os-release}
 * @param kernel     the kernel release
 * @param jdk        the JDK that runs the harness and every JVM peer
 */
public record MachineInfo(int cpus, String cpuModel, String memory, String os, String kernel, String jdk) {

    /** Reads the machine this JVM runs on. */
    public static MachineInfo read() {
        return new MachineInfo(Runtime.getRuntime().availableProcessors(),
                field("/proc/cpuinfo", "model name", ":"),
                memory(field("/proc/meminfo", "MemTotal", ":")),
                field("/etc/os-release", "PRETTY_NAME", "=").replace("\"", ""),
                firstLine("/proc/sys/kernel/osrelease"),
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                        + Runtime.version() + " (" + System.getProperty("java.home") + ")");
    }

    /** The 1, 5 and 15 minute load averages, e.g. {@code "0.52 0.61 0.40"}. */
    public static String loadAverage() {
        String[] f = firstLine("/proc/loadavg").split(" ");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "unknown";
    }

    /** {@code "24684092 kB"} as {@code "23.5 GiB"}. */
    private static String memory(String memTotal) {
        String[] f = memTotal.split(" ");
        try {
            return String.format(java.util.Locale.ROOT, "%.1f GiB", Long.parseLong(f[0]) / (1024.0 * 1024));
        } catch (NumberFormatException e) {
            return memTotal;
        }
    }

    private static String field(String file, String key, String separator) {
        for (String line : lines(file)) {
            int at = line.indexOf(separator);
            if (at > 0 && line.substring(0, at).strip().equals(key)) {
                return line.substring(at + 1).strip();
            }
        }
        return "unknown";
    }

    private static String firstLine(String file) {
        List<String> l = lines(file);
        return l.isEmpty() ? "unknown" : l.getFirst().strip();
    }

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (IOException e) {
            return List.of();
        }
    }
}
