package org.aio4j.bench.harness;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.aio4j.bench.Workload;

/**
 * Writes a {@link BenchRun} as JSON: every process's raw figures (run durations in nanoseconds, peak RSS in KiB,
 * wall seconds), the derived medians and speed-ups, the peers' commands and the machine, so that later tools can
 * compare runs without parsing the Markdown.
 */
final class ResultsJson {

    private final StringBuilder sb = new StringBuilder();
    private int depth;
    private boolean first = true;

    private ResultsJson() {
    }

    static String write(BenchRun run) {
        var j = new ResultsJson();
        j.open('{');
        j.field("date", run.date());
        j.field("command", run.options().command());
        j.object("settings", Map.of("quick", run.options().quick(), "coldRuns", run.options().coldRuns(),
                "warmup", run.options().warmup(), "iterations", run.options().iterations()));
        MachineInfo m = run.machine();
        j.object("machine", Map.of("cpus", m.cpus(), "cpuModel", m.cpuModel(), "memory", m.memory(), "os", m.os(),
                "kernel", m.kernel(), "jdk", m.jdk()));
        j.key("loadAverages").open('[');
        for (String l : run.loadAverages()) {
            j.value(l);
        }
        j.close(']');
        j.key("peers").open('[');
        for (Peer p : run.peers()) {
            j.open('{');
            j.field("name", p.name());
            j.field("label", p.label());
            j.key("command").value(String.join(" ", p.command()));
            j.field("cpythonReference", p.isReference());
            j.field("unavailable", p.unavailable());
            j.close('}');
        }
        j.close(']');
        j.key("measurements").open('[');
        for (Measurement ms : run.measurements()) {
            j.measurement(run, ms);
        }
        j.close(']');
        j.close('}');
        return j.sb.append('\n').toString();
    }

    private void measurement(BenchRun run, Measurement ms) {
        Workload w = ms.workload();
        open('{');
        field("workload", w.id());
        field("peer", ms.peer());
        field("n", ms.n());
        field("operations", w.operations(ms.n()));
        field("unit", w.unit());
        field("error", ms.error());
        field("coldMedianNanos", ms.coldNanos());
        field("coldMedianCpuNanos", ms.cold(Clock.CPU));
        field("coldPeakRssKiB", ms.coldPeakRssKiB());
        field("warmMedianNanos", ms.warmNanos());
        field("warmMedianCpuNanos", ms.warm(Clock.CPU));
        field("speedupVsCPythonCold", run.speedup(w, ms.peer(), true, Clock.WALL));
        field("speedupVsCPythonWarm", run.speedup(w, ms.peer(), false, Clock.WALL));
        field("speedupVsCPythonWarmCpu", run.speedup(w, ms.peer(), false, Clock.CPU));
        key("coldProcesses").open('[');
        for (ProcessResult r : ms.cold()) {
            process(r);
        }
        close(']');
        key("warmProcess");
        if (ms.warm() == null) {
            value(null);
        } else {
            process(ms.warm());
        }
        field("warmupRuns", ms.warmup());
        close('}');
    }

    private void process(ProcessResult r) {
        open('{');
        field("runNanos", r.runNanos());
        field("runCpuNanos", r.runCpuNanos());
        field("peakRssKiB", r.peakRssKiB());
        field("wallSeconds", r.wallSeconds());
        field("info", r.info());
        field("error", r.error());
        close('}');
    }

    // ---- the writer

    private void object(String name, Map<String, ?> fields) {
        key(name).open('{');
        fields.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> field(e.getKey(), e.getValue()));
        close('}');
    }

    private void field(String name, Object v) {
        key(name).value(v);
    }

    private ResultsJson key(String name) {
        separate();
        string(name);
        sb.append(": ");
        first = true; // the value that follows needs no separator
        return this;
    }

    private void value(Object v) {
        separate();
        switch (v) {
            case null -> sb.append("null");
            case OptionalLong o -> sb.append(o.isPresent() ? Long.toString(o.getAsLong()) : "null");
            case OptionalDouble o -> sb.append(o.isPresent() ? number(o.getAsDouble()) : "null");
            case Double d -> sb.append(number(d));
            case Number n -> sb.append(n);
            case Boolean b -> sb.append(b);
            case List<?> l -> {
                open('[');
                l.forEach(this::value);
                close(']');
            }
            default -> string(v.toString());
        }
    }

    private static String number(double d) {
        return Double.isFinite(d) ? Double.toString(Math.round(d * 1000) / 1000.0) : "null";
    }

    private void open(char c) {
        separate();
        sb.append(c);
        depth++;
        first = true;
    }

    private void close(char c) {
        depth--;
        if (!first) {
            newline();
        }
        sb.append(c);
        first = false;
    }

    private void separate() {
        if (sb.isEmpty() || sb.charAt(sb.length() - 1) == ' ') {
            first = false;
            return;
        }
        if (!first) {
            sb.append(',');
        }
        newline();
        first = false;
    }

    private void newline() {
        sb.append('\n').append("  ".repeat(depth));
    }

    private void string(String s) {
        sb.append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
