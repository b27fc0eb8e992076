package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line behind {@code ./aio4j}:
 * <pre>
 * aio4j recipe list
 * aio4j recipe NAME|all [--scale F] [--virtual-time]
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
        Options options = parseOptions(args.subList(2, args.size()));
        List<Recipe> toRun = new ArrayList<>();
        if (what.equals("all")) {
            toRun.addAll(Cookbook.recipes());
        } else {
            toRun.add(Cookbook.find(what).orElseThrow(() -> new UsageException(
                    "no recipe named '" + what + "'; 'aio4j recipe list' shows them")));
        }
        for (Recipe r : toRun) {
            out.println("== " + r.name());
            r.run(options, out);
            out.flush();
        }
        return 0;
    }

    private static Options parseOptions(List<String> args) {
        double scale = 1.0;
        boolean virtualTime = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--virtual-time" -> virtualTime = true;
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
        return new Options(scale, virtualTime);
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
                       aio4j recipe NAME|all [--scale F] [--virtual-time]
                         --scale F        multiply the seed's sleeps by F (default 1)
                         --virtual-time   run on a virtual clock: sleeps take no real time""";
    }

    private static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
