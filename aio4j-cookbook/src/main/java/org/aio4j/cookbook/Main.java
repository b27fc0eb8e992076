package org.aio4j.cookbook;

import java.io.PrintStream;
import java.nio.file.Path;
import org.aio4j.Timeline;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line behind {@code ./aio4j}:
 * <pre>
 * aio4j recipe list
 * aio4j recipe NAME|all [--scale F] [--virtual-time] [--timeline FILE]
 * </pre>
 * Exit status: 0 on success, 1 if a recipe failed, 2 on a usage error.
 */
public final class Main {

    private Main() {
    }

    /** Runs the command line. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return dispatch(List.of(args), out);
        } catch (UsageException e) {
            err.println("aio4j: " + e.getMessage());
            err.println(usage());
            return 2;
        } catch (Exception e) {
            err.print("aio4j: recipe failed: ");
            e.printStackTrace(err);
            return 1;
        }
    }

    private static int dispatch(List<String> args, PrintStream out) throws Exception {
        if (args.isEmpty() || args.get(0).equals("help") || args.get(0).equals("--help")) {
            out.println(usage());
            return 0;
        }
        if (!args.get(0).equals("recipe")) {
            throw new UsageException("unknown command '" + args.get(0) + "'");
        }
        if (args.size() < 2) {
            throw new UsageException("recipe needs a name, 'all' or 'list'");
        }
        String what = args.get(1);
        if (what.equals("list")) {
            Cookbook.summaries().forEach((name, summary) -> out.printf("%-16s %s%n", name, summary));
            return 0;
        }
        Path timeline = timelineOption(args.subList(2, args.size()));
        Options options = parseOptions(args.subList(2, args.size()), timeline != null);
        List<Recipe> toRun = new ArrayList<>();
        if (what.equals("all")) {
            toRun.addAll(Cookbook.recipes());
        } else {
            toRun.add(Cookbook.find(what).orElseThrow(() -> new UsageException(
                    "no recipe named '" + what + "'; 'aio4j recipe list' shows them")));
        }
        for (Recipe r : toRun) {
            out.println("== " + r.name());
            Options forRecipe = timeline == null ? options : new Options(options.scale(), options.virtualTime(), true);
            r.run(forRecipe, out);
            out.flush();
            if (timeline != null) {
                Path file = toRun.size() == 1 ? timeline : perRecipe(timeline, r.name());
                for (Timeline t : forRecipe.timelines()) {
                    t.writeChromeTrace(file); // a recipe runs one loop; if several, the last one is kept
                }
                System.err.println("aio4j: timeline of " + r.name() + " written to " + file
                        + " (open it in https://ui.perfetto.dev or chrome://tracing)");
            }
        }
        return 0;
    }

    private static Path timelineOption(List<String> args) {
        int i = args.indexOf("--timeline");
        if (i < 0) {
            return null;
        }
        if (i + 1 >= args.size()) {
            throw new UsageException("--timeline needs a file name, e.g. --timeline trace.json");
        }
        return Path.of(args.get(i + 1));
    }

    private static Path perRecipe(Path file, String recipe) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String withRecipe = dot < 0 ? name + "-" + recipe : name.substring(0, dot) + "-" + recipe + name.substring(dot);
        return file.resolveSibling(withRecipe);
    }

    private static Options parseOptions(List<String> args, boolean recordTimeline) {
        double scale = 1.0;
        boolean virtualTime = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--virtual-time" -> virtualTime = true;
                case "--timeline" -> i++;
                case "--scale" -> {
                    if (i + 1 >= args.size()) {
                        throw new UsageException("--scale needs a number, e.g. --scale 0.05");
                    }
                    scale = parseScale(args.get(++i));
                }
                default -> {
                    if (a.startsWith("--scale=")) {
                        scale = parseScale(a.substring("--scale=".length()));
                    } else {
                        throw new UsageException("unknown option '" + a + "'");
                    }
                }
            }
        }
        return new Options(scale, virtualTime, recordTimeline);
    }

    private static double parseScale(String s) {
        try {
            double v = Double.parseDouble(s);
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new UsageException("--scale must be a finite number >= 0, got " + s);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException("--scale must be a number, got '" + s + "'");
        }
    }

    static String usage() {
        return """
                usage: aio4j recipe list
                       aio4j recipe NAME|all [--scale F] [--virtual-time] [--timeline FILE]
                         --scale F        multiply the seed's sleeps by F (default 1)
                         --virtual-time   run on a virtual clock: sleeps take no real time
                         --timeline FILE  write a Chrome trace of the loop (open in ui.perfetto.dev);
                                          with 'all', one file per recipe (FILE-NAME.json)""";
    }

    private static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
