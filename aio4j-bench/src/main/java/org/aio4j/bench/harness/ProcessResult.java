package org.aio4j.bench.harness;

import java.util.ArrayList;
import java.util.List;

/**
 * What one fresh process of a peer reported: the time of each run (in order, the first one cold), the answers, the
 * process's peak resident set and wall time (from {@code /usr/bin/time}), its {@code info} line, or why it failed.
 *
 * @param runNanos    the duration of each run, as the process measured it around the workload alone
 * @param runCpuNanos the process's CPU time during each run (all its threads), if it reported it
 * @param peakRssKiB  the process's maximum resident set size in KiB ({@code /usr/bin/time -f %M}), or -1
 * @param wallSeconds the process's elapsed time, start-up included, or -1
 * @param info        the process's {@code info} line (runtime version, flags), without the word {@code info}
 * @param error       why the process failed (exit status, wrong answer, timeout), or {@code null}
 */
public record ProcessResult(List<Long> runNanos, List<Long> runCpuNanos, long peakRssKiB, double wallSeconds,
                            String info, String error) {

    public ProcessResult {
        runNanos = List.copyOf(runNanos);
        runCpuNanos = List.copyOf(runCpuNanos);
    }

    /** A process that produced no usable figures. */
    public static ProcessResult failed(String error) {
        return new ProcessResult(List.of(), List.of(), -1, -1, "", error);
    }

    /** Whether the process ran every run and computed every answer right. */
    public boolean ok() {
        return error == null;
    }

    /** The run durations by {@code clock}; empty for CPU time if the process did not report it. */
    public List<Long> runs(Clock clock) {
        return clock == Clock.WALL ? runNanos : runCpuNanos;
    }

    /**
     * Parses the protocol lines printed by a peer process and checks every answer against {@code expected}.
     *
     * @param stdout      the process's standard output
     * @param expectedRuns how many {@code run} lines there must be
     * @param expected    the answer each run must print
     */
    public static ProcessResult parse(String stdout, int expectedRuns, long expected, long peakRssKiB,
                                      double wallSeconds) {
        String info = "";
        List<Long> nanos = new ArrayList<>();
        List<Long> cpu = new ArrayList<>();
        String error = null;
        for (String line : stdout.split("\n")) {
            String[] f = line.strip().split(" ");
            if (f[0].equals("info")) {
                info = line.strip().substring("info".length()).strip();
            } else if (f[0].equals("run") && (f.length == 4 || f.length == 5) && error == null) {
                long answer;
                long runNanos;
                long runCpu;
                try {
                    answer = Long.parseLong(f[3]);
                    runNanos = Long.parseLong(f[2]);
                    runCpu = f.length == 5 ? Long.parseLong(f[4]) : -1;
                } catch (NumberFormatException e) {
                    error = "unreadable line '" + line.strip() + "': a number is not a whole number";
                    continue;
                }
                if (answer != expected) {
                    error = "wrong answer in run " + f[1] + ": " + answer + ", expected " + expected;
                    continue;
                }
                nanos.add(runNanos);
                if (f.length == 5) {
                    cpu.add(runCpu);
                }
            }
        }
        if (error == null && nanos.size() != expectedRuns) {
            error = "printed " + nanos.size() + " runs, expected " + expectedRuns;
        }
        return new ProcessResult(nanos, cpu.size() == nanos.size() ? cpu : List.of(), peakRssKiB, wallSeconds, info,
                error);
    }
}
