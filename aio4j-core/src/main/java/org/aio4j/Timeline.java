package org.aio4j;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A recording of a loop's steps that can be written as a Chrome trace-event JSON file, to open in Perfetto
 * ({@code ui.perfetto.dev}) or {@code chrome://tracing}: one row per task, one for callbacks, one per offloaded call,
 * so two tasks interleaving or blocking calls overlapping can be seen. Each span of a task's row is one step of it,
 * from its start or resumption to its next suspension or its end; the span that ends it is named
 * {@code "NAME (end)"}, and a task cancelled before it ever ran has that one span. No asyncio counterpart.
 *
 * <pre>{@code
 * EventLoop loop = new EventLoop();
 * Timeline timeline = loop.recordTimeline();
 * loop.runUntilComplete(main);
 * timeline.writeChromeTrace(Path.of("trace.json"));
 * }</pre>
 *
 * <p>Recording costs a few object allocations per step, and every span stays in memory (about a hundred bytes
 * each) until the timeline itself is dropped: for a long-running loop, {@link #stop()} it once the part of interest
 * has run. It holds no task that has ended. Thread-safe.
 */
public final class Timeline {

    private record Span(String row, int rowId, String name, long start, long end, double loopTime) {
    }

    private final EventLoop loop;
    private final long origin = System.nanoTime();
    private final List<Span> spans = new ArrayList<>();
    /** The row of each task that has steps and has not ended; an ended task's row is dropped, not its spans. */
    private final Map<Object, Integer> rows = new IdentityHashMap<>();
    private int lastRow;
    private final Map<Object, long[]> open = new IdentityHashMap<>();
    private volatile boolean stopped;

    Timeline(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * Stops recording: the loop stops reporting its steps to this timeline (and pays nothing more for it); what was
     * recorded stays available. Stopping a stopped timeline does nothing.
     */
    public void stop() {
        stopped = true;
        loop.tracing.remove(recorder);
        synchronized (this) {
            open.clear(); // steps begun and not ended: they would keep their tasks reachable
        }
    }

    /**
     * The number of spans recorded so far (task steps, callbacks and offloaded calls).
     *
     * @return the number of spans recorded
     */
    public synchronized int size() {
        return spans.size();
    }

    /** What the loop calls; kept out of Timeline's public API. */
    final StepObserver recorder = new StepObserver() {
        @Override
        public void stepStarted(EventLoop l, Object subject, long nanoTime) {
            begin(subject, nanoTime);
        }

        @Override
        public void stepEnded(EventLoop l, Object subject, long nanoTime, boolean finished) {
            if (subject instanceof Task<?> t) {
                end(subject, nanoTime, t.getName(), t.getName() + (finished ? " (end)" : ""), finished);
            } else {
                end(subject, nanoTime, "callbacks", String.valueOf(subject), false);
            }
        }

        @Override
        public void offloadStarted(Object call, long nanoTime) {
            begin(call, nanoTime);
        }

        @Override
        public void offloadEnded(Object call, long nanoTime) {
            end(call, nanoTime, "offload " + Integer.toHexString(System.identityHashCode(call)),
                    String.valueOf(call), true);
        }
    };

    private synchronized void begin(Object subject, long nanoTime) {
        if (!stopped) {
            open.put(subject, new long[] {nanoTime});
        }
    }

    /**
     * Records a span; {@code last} says the subject (a task that ended, an offloaded call) has no more steps, so its
     * row is forgotten: a timeline must not keep every task it saw (and its result) reachable.
     */
    private synchronized void end(Object subject, long nanoTime, String row, String name, boolean last) {
        long[] start = open.remove(subject);
        if (start == null || stopped) {
            return;
        }
        Object rowKey = subject instanceof Handle ? Handle.class : subject;
        Integer rowId = last ? rows.remove(rowKey) : rows.get(rowKey);
        if (rowId == null) {
            rowId = ++lastRow;
            if (!last) {
                rows.put(rowKey, rowId);
            }
        }
        spans.add(new Span(row, rowId, name, start[0] - origin, nanoTime - origin, loop.time()));
    }

    /**
     * The recording as Chrome trace-event JSON ({@code {"traceEvents": [...]}}). A span's {@code ts} and {@code dur}
     * are real time, in microseconds since the recording began, so that what each step cost shows, even on a virtual
     * clock; its {@code args.loopTime} is the loop's {@link EventLoop#time()} when it ended, in seconds (on a virtual
     * clock, the only time that moves). A step still running when this is called (a task blocking the loop while
     * another thread writes the trace, after Ctrl-C or a test's timeout) is a span up to now named
     * {@code "NAME (running)"}. A name is written as it is, but for a lone surrogate, which UTF-8 cannot hold: it
     * becomes U+FFFD. For a long recording, {@link #writeChromeTrace} needs no string of the whole file.
     *
     * @return the JSON text
     */
    public String toChromeTraceJson() {
        var out = new StringBuilder();
        try {
            writeJson(snapshot(), out);
        } catch (IOException impossible) {
            throw new java.io.UncheckedIOException(impossible);
        }
        return out.toString();
    }

    /**
     * Writes {@link #toChromeTraceJson()} to {@code file} (UTF-8), span by span: the recording is not turned into
     * one string first.
     *
     * @param file the file to write; created, or truncated if it exists
     * @throws IOException if the file cannot be written
     */
    public void writeChromeTrace(Path file) throws IOException {
        List<Span> all = snapshot();
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            writeJson(all, w);
        }
    }

    /**
     * The spans recorded, then the steps still running as spans up to now: an open task step in its task's row (a
     * row of its own if the task had no step before), a callback in the callbacks row, an offloaded call in a row
     * of its own.
     */
    private synchronized List<Span> snapshot() {
        List<Span> all = new ArrayList<>(spans.size() + open.size());
        all.addAll(spans);
        if (open.isEmpty()) {
            return all;
        }
        long now = System.nanoTime() - origin;
        double loopTime = loop.time();
        int nextRow = lastRow;
        Integer callbacksRow = rows.get(Handle.class);
        var running = new ArrayList<Map.Entry<Object, long[]>>(open.entrySet());
        running.sort(java.util.Comparator.comparingLong(e -> e.getValue()[0]));
        for (var e : running) {
            Object subject = e.getKey();
            long start = e.getValue()[0] - origin;
            Span s;
            if (subject instanceof Task<?> t) {
                Integer row = rows.get(t);
                s = new Span(t.getName(), row != null ? row : ++nextRow, t.getName() + " (running)", start, now,
                        loopTime);
            } else if (subject instanceof Handle) {
                if (callbacksRow == null) {
                    callbacksRow = ++nextRow;
                }
                s = new Span("callbacks", callbacksRow, subject + " (running)", start, now, loopTime);
            } else {
                s = new Span("offload " + Integer.toHexString(System.identityHashCode(subject)), ++nextRow,
                        subject + " (running)", start, now, loopTime);
            }
            all.add(s);
        }
        return all;
    }

    private static void writeJson(List<Span> all, Appendable out) throws IOException {
        out.append("{\"traceEvents\":[");
        Map<Integer, String> named = new TreeMap<>();
        for (Span s : all) {
            named.putIfAbsent(s.rowId(), s.row());
        }
        boolean first = true;
        var line = new StringBuilder();
        for (var e : named.entrySet()) {
            line.setLength(0);
            first = comma(line, first);
            line.append("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":").append(e.getKey())
                    .append(",\"args\":{\"name\":").append(quote(e.getValue())).append("}}");
            out.append(line);
        }
        for (Span s : all) {
            line.setLength(0);
            first = comma(line, first);
            line.append("{\"ph\":\"X\",\"pid\":1,\"tid\":").append(s.rowId())
                    .append(",\"name\":").append(quote(s.name()))
                    .append(",\"ts\":").append(micros(s.start()))
                    .append(",\"dur\":").append(micros(Math.max(0, s.end() - s.start())))
                    .append(",\"args\":{\"loopTime\":").append(s.loopTime()).append("}}");
            out.append(line);
        }
        out.append("]}");
    }

    private static boolean comma(StringBuilder out, boolean first) {
        if (!first) {
            out.append(',');
        }
        return false;
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e3);
    }

    static String quote(String s) {
        var out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isSurrogate(c)) {
                        boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1));
                        if (paired) {
                            out.append(c).append(s.charAt(++i));
                        } else {
                            out.append('\uFFFD'); // a lone surrogate: UTF-8 cannot hold it
                        }
                    } else if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
