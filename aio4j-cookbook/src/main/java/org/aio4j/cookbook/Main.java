package org.aio4j.cookbook;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.aio4j.Timeline;

/**
 * The command line behind {@code ./aio4j}:
 * <pre>
 * ./aio4j recipe list
 * ./aio4j recipe NAME|all [--scale F] [--virtual-time] [--timeline FILE]
 * </pre>
 * Exit status: 0 on success, 1 if a recipe failed or its timeline could not be written (one line says why), 2 on a
 * usage error (checked before any recipe runs, the timeline file included: it is opened for writing; and a
 * {@code $AIO4J_BASE_URL} that names no site), 141 if standard output was closed (as by {@code | head -1}: the recipes
 * after the one that was running are not run). With
 * {@code --timeline}, a recipe's trace is written also when it fails or is stopped (Ctrl-C). {@code --help} or
 * {@code -h} anywhere prints the usage and runs nothing. The launcher's own commands ({@code test}, {@code build},
 * {@code bench}) are not here.
 */
public final class Main {

    /** The options that ask for the usage, wherever they come. */
    private static final List<String> HELP = List.of("--help", "-h");

    /** The options of {@code recipe NAME|all}, each with an example of its use. */
    private static final Map<String, String> OPTION_EXAMPLES = Map.of("--scale", "--scale 0.05", "--virtual-time",
            "--virtual-time", "--timeline", "--timeline trace.json");

    private static final String TIMELINE_NEEDS_A_FILE = "--timeline needs a file name, e.g. --timeline trace.json";

    /** The exit status when standard output was closed: 128 + SIGPIPE, as for a command that a closed pipe ends. */
    static final int OUTPUT_CLOSED = 141;

    /** A plain decimal number, optionally signed, with an exponent: what --scale accepts. */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private Main() {
    }

    /** Runs the command line. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, Cookbook.recipes(), out, err);
    }

    /** Runs the command line on {@code cookbook}, the recipes it knows, in the order of {@code all}. */
    static int run(String[] args, List<Recipe> cookbook, PrintStream out, PrintStream err) {
        try {
            return dispatch(List.of(args), cookbook, out, err);
        } catch (UsageException e) {
            err.println("aio4j: " + e.getMessage());
            if (e.showUsage) {
                err.println(usage());
            }
            return 2;
        } catch (TimelineNotWritten e) { // the recipe ran well: its output is right, only the file is missing
            err.println("aio4j: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.print("aio4j: recipe failed: ");
            e.printStackTrace(err);
            return 1;
        }
    }

    private static int dispatch(List<String> args, List<Recipe> cookbook, PrintStream out, PrintStream err)
            throws Exception {
        if (args.stream().anyMatch(HELP::contains)) { // recipe --help, recipe NAME -h, help -h: asks, runs nothing
            out.println(usage());
            return 0;
        }
        if (args.isEmpty() || args.get(0).equals("help")) {
            refuseMore("help", args.subList(Math.min(1, args.size()), args.size()));
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
        String option = what.contains("=") ? what.substring(0, what.indexOf('=')) : what;
        if (OPTION_EXAMPLES.containsKey(option)) { // recipe --scale 0.05 gather: the value would be the next complaint
            throw new UsageException("'" + option + "' comes after the recipe's name, e.g. ./aio4j recipe NAME "
                    + OPTION_EXAMPLES.get(option), false);
        }
        if (what.startsWith("-")) { // recipe --virtual basic: a misspelt option, not a recipe's name
            throw unknownOption(what);
        }
        if (what.equals("list")) {
            refuseMore("recipe list", args.subList(2, args.size()));
            cookbook.forEach(r -> out.printf("%-16s %s%n", r.name(), r.summary()));
            return 0;
        }
        CommandLine line = parseOptions(args.subList(2, args.size()), cookbook);
        List<Recipe> toRun = new ArrayList<>();
        if (what.equals("all")) {
            toRun.addAll(cookbook);
        } else {
            toRun.add(cookbook.stream().filter(r -> r.name().equals(what)).findFirst()
                    .orElseThrow(() -> noRecipe(what, cookbook)));
        }
        // Checked before any recipe runs: a file that cannot be written would otherwise fail only at the end, and a
        // site that is none when the first network recipe starts.
        try {
            Site.checkBaseUrl(System.getenv(Site.BASE_URL_VARIABLE));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), false);
        }
        List<Path> files = new ArrayList<>();
        if (line.timeline() != null) {
            if (Files.isDirectory(line.timeline())) {
                throw new UsageException("--timeline '" + line.timeline() + "' is a directory; give a file name, e.g. "
                        + line.timeline().resolve("trace.json"), false);
            }
            for (Recipe r : toRun) {
                files.add(checkWritable(toRun.size() == 1 ? line.timeline() : perRecipe(line.timeline(), r.name())));
            }
        }
        for (int i = 0; i < toRun.size(); i++) {
            Recipe r = toRun.get(i);
            out.println("== " + r.name());
            if (out.checkError()) { // nobody reads (recipe all | head -1): the next recipes would only take time
                return OUTPUT_CLOSED;
            }
            runRecipe(r, new Options(line.scale(), line.virtualTime(), line.timeline() != null),
                    line.timeline() == null ? null : files.get(i), out, err);
        }
        return out.checkError() ? OUTPUT_CLOSED : 0;
    }

    /**
     * Runs {@code r} and, if {@code timeline} is not null, writes the timeline it recorded there: also when the recipe
     * fails, since a failing run is the one most worth looking at, and when the JVM is stopped while it runs (Ctrl-C
     * on a recipe that hangs), from a shutdown hook. The timeline is written once: a stop while or after the recipe
     * writes it waits for the file to be whole and writes nothing more. A failure to write it is added to the
     * recipe's exception as suppressed.
     */
    static void runRecipe(Recipe r, Options options, Path timeline, PrintStream out, PrintStream err)
            throws Exception {
        runRecipe(r, options, timeline, out, err, ShutdownHooks.RUNTIME);
    }

    /** {@link #runRecipe(Recipe, Options, Path, PrintStream, PrintStream)} with its shutdown hook in {@code hooks}. */
    static void runRecipe(Recipe r, Options options, Path timeline, PrintStream out, PrintStream err,
            ShutdownHooks hooks) throws Exception {
        if (timeline == null) {
            try {
                r.run(options, out);
            } finally {
                out.flush();
            }
            return;
        }
        var once = new TimelineOnce(r, options, timeline, err);
        Thread onExit = new Thread(() -> {
            try {
                once.write(" (interrupted)");
            } catch (TimelineNotWritten e) {
                err.println("aio4j: " + e.getMessage());
            }
        }, "aio4j-timeline-on-exit");
        hooks.add(onExit);
        try {
            runAndWrite(r, options, once, out);
        } finally {
            try {
                hooks.remove(onExit);
            } catch (IllegalStateException exiting) {
                // the JVM is stopping: the hook runs, or has run, and writes only what was not written
            }
        }
    }

    private static void runAndWrite(Recipe r, Options options, TimelineOnce timeline, PrintStream out)
            throws Exception {
        try {
            r.run(options, out);
        } catch (Exception | Error e) {
            out.flush();
            try {
                timeline.write(" (the recipe failed)");
            } catch (IOException | RuntimeException notWritten) {
                e.addSuppressed(notWritten);
            }
            throw e;
        }
        out.flush();
        timeline.write("");
    }

    /**
     * A recipe's timeline, written once: by the recipe's thread when the recipe ends, or by the shutdown hook if the
     * JVM stops first. The second to come writes nothing; the hook waits for a write under way, since the JVM halts
     * when its hooks have returned, and would cut the file short.
     */
    private static final class TimelineOnce {
        private final Recipe recipe;
        private final Options options;
        private final Path file;
        private final PrintStream err;
        private boolean done; // guarded by this

        TimelineOnce(Recipe recipe, Options options, Path file, PrintStream err) {
            this.recipe = recipe;
            this.options = options;
            this.file = file;
            this.err = err;
        }

        /** Writes the timeline with {@code note} after the recipe's name, unless it was written (or tried) already. */
        synchronized void write(String note) throws TimelineNotWritten {
            if (done) {
                return;
            }
            done = true;
            writeTimeline(recipe, options, file, err, note);
        }
    }

    /**
     * Writes the timeline, or says there is none if the recipe started no loop (yet); throws
     * {@link TimelineNotWritten}, saying why, if the file cannot be written.
     */
    private static void writeTimeline(Recipe r, Options options, Path file, PrintStream err, String note)
            throws TimelineNotWritten {
        List<Timeline> timelines = options.timelines();
        if (timelines.isEmpty()) {
            err.println("aio4j: no timeline of " + r.name() + note + ": it started no event loop");
            return;
        }
        try {
            timelines.getLast().writeChromeTrace(file); // a recipe runs one loop; if several, the last one is kept
        } catch (IOException e) {
            throw new TimelineNotWritten(file, e);
        }
        err.println("aio4j: timeline of " + r.name() + note + " written to " + file
                + " (open it in https://ui.perfetto.dev or chrome://tracing)");
    }

    /** What {@code recipe NAME|all} was given after the name. */
    private record CommandLine(double scale, boolean virtualTime, Path timeline) {
    }

    /** The error for {@code recipe NAME} with a name that is none, saying which one the user may have meant. */
    private static UsageException noRecipe(String name, List<Recipe> cookbook) {
        List<String> names = new ArrayList<>(cookbook.stream().map(Recipe::name).toList());
        names.addAll(List.of("all", "list"));
        Map<String, String> classes = new LinkedHashMap<>();
        cookbook.forEach(r -> classes.put(r.getClass().getSimpleName(), r.name()));
        String meant = DidYouMean.among(name, names, classes).map(n -> " (did you mean '" + n + "'?)").orElse("");
        return new UsageException("no recipe named '" + name + "'" + meant + "; './aio4j recipe list' shows them",
                false);
    }

    /**
     * Refuses the arguments left over by {@code command}, which takes none; an option that running a recipe takes is
     * named as such, not as unknown.
     */
    private static void refuseMore(String command, List<String> rest) {
        if (!rest.isEmpty()) {
            String a = rest.get(0);
            String option = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (OPTION_EXAMPLES.containsKey(option)) {
                throw new UsageException("'" + option + "' is for running recipes (./aio4j recipe NAME|all "
                        + OPTION_EXAMPLES.get(option) + "); " + command + " takes no options");
            }
            throw unexpected(a);
        }
    }

    /** The error for an argument {@code a} that has no place where it is: an unknown option or a stray word. */
    private static UsageException unexpected(String a) {
        return new UsageException(a.startsWith("-") ? "unknown option '" + a + "'" : "unexpected argument '" + a + "'");
    }

    /**
     * The error for an option {@code a} that running a recipe does not take, naming the one it most likely means
     * ({@code --scael}, {@code --virtual}), if one is close.
     */
    private static UsageException unknownOption(String a) {
        String option = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
        String meant = DidYouMean.among(option, OPTION_EXAMPLES.keySet().stream().sorted().toList(), Map.of())
                .map(o -> " (did you mean '" + o + "'?)").orElse("");
        return new UsageException("unknown option '" + a + "'" + meant);
    }

    /**
     * {@code file}, if a timeline can be written there: it is not a directory, it is writable or its directory exists
     * and is writable, and it opens for writing (a file that did not exist is created and deleted again). The last
     * check finds what permissions do not show, such as a read-only or pseudo file system ({@code /proc}).
     */
    private static Path checkWritable(Path file) {
        if (Files.isDirectory(file)) {
            throw cannotWrite(file, "it is a directory");
        }
        if (Files.exists(file)) {
            if (!Files.isWritable(file)) {
                throw cannotWrite(file, "the file is not writable");
            }
            try {
                Files.newOutputStream(file, StandardOpenOption.APPEND).close(); // changes nothing
                return file;
            } catch (IOException e) {
                throw cannotWrite(file, TimelineNotWritten.reason(e));
            }
        }
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.exists(dir)) {
            throw cannotWrite(file, "directory '" + dir + "' does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw cannotWrite(file, "'" + dir + "' is not a directory");
        }
        if (!Files.isWritable(dir)) {
            throw cannotWrite(file, "directory '" + dir + "' is not writable");
        }
        try {
            Files.createFile(file);
            Files.delete(file);
        } catch (IOException e) {
            throw cannotWrite(file, TimelineNotWritten.reason(e));
        }
        return file;
    }

    /** The error for a timeline {@code file} that cannot be written, and {@code why}. */
    private static UsageException cannotWrite(Path file, String why) {
        return new UsageException(TimelineNotWritten.message(file, why), false);
    }

    private static Path perRecipe(Path file, String recipe) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String withRecipe = dot < 0 ? name + "-" + recipe : name.substring(0, dot) + "-" + recipe + name.substring(dot);
        return file.resolveSibling(withRecipe);
    }

    private static CommandLine parseOptions(List<String> args, List<Recipe> cookbook) {
        double scale = 1.0;
        boolean virtualTime = false;
        Path timeline = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--virtual-time" -> virtualTime = true;
                case "--timeline" -> timeline = parsePath(value(args, ++i, TIMELINE_NEEDS_A_FILE));
                case "--scale" -> scale = parseScale(value(args, ++i, "--scale needs a number, e.g. --scale 0.05"));
                default -> {
                    if (a.startsWith("--scale=")) {
                        scale = parseScale(a.substring("--scale=".length()));
                    } else if (a.startsWith("--timeline=")) {
                        timeline = parsePath(a.substring("--timeline=".length()));
                    } else if (cookbook.stream().anyMatch(r -> r.name().equals(a))) {
                        throw new UsageException("a second recipe, '" + a + "': ./aio4j recipe runs one, or every one"
                                + " with ./aio4j recipe all", false);
                    } else if (a.startsWith("-")) {
                        throw unknownOption(a);
                    } else {
                        throw unexpected(a);
                    }
                }
            }
        }
        return new CommandLine(scale, virtualTime, timeline);
    }

    /** The value of an option, {@code args.get(i)}; refused with {@code missing} if absent or another option. */
    private static String value(List<String> args, int i, String missing) {
        if (i >= args.size() || args.get(i).startsWith("--")) {
            throw new UsageException(missing);
        }
        return args.get(i);
    }

    private static Path parsePath(String s) {
        if (s.isEmpty()) { // Path.of("") is the working directory
            throw new UsageException(TIMELINE_NEEDS_A_FILE);
        }
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new UsageException("--timeline: not a file name: " + e.getMessage());
        }
    }

    private static double parseScale(String s) {
        // Double.parseDouble also takes Java's own forms ("5d", "0x1p3", " 2 "): a typo there would run a recipe.
        if (!DECIMAL.matcher(s).matches()) {
            throw new UsageException("--scale must be a number, got '" + s + "'");
        }
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

    /**
     * The usage, from {@code usage.txt} beside this class, which the launcher prints itself for {@code ./aio4j help}
     * so that asking for it builds nothing.
     */
    static String usage() {
        try (InputStream in = Main.class.getResourceAsStream("usage.txt")) {
            if (in == null) {
                throw new IllegalStateException("usage.txt missing beside " + Main.class.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).stripTrailing();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A timeline file that could not be written; its message says which and why, in one line. */
    static final class TimelineNotWritten extends IOException {
        private static final long serialVersionUID = 1L;

        TimelineNotWritten(Path file, IOException cause) {
            super(message(file, reason(cause)), cause);
        }

        /** "cannot write the timeline to '{@code file}': {@code why}". */
        static String message(Path file, String why) {
            return "cannot write the timeline to '" + file + "': " + why;
        }

        /** What the system said, as a user reads it ("Permission denied"), not the exception's class and path. */
        static String reason(IOException e) {
            if (e instanceof FileSystemException fs && fs.getReason() != null) {
                return fs.getReason();
            }
            return switch (e) {
                case AccessDeniedException denied -> "Permission denied";
                case NoSuchFileException missing -> "No such file or directory";
                case FileAlreadyExistsException exists -> "the file appeared while it was checked";
                default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            };
        }
    }

    /**
     * A command line that cannot run, with what is wrong; the usage follows the message if {@code showUsage} (not for
     * a recipe name that is none or a file that cannot be written, whose message says all there is to say).
     */
    private static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        final boolean showUsage;

        UsageException(String message) {
            this(message, true);
        }

        UsageException(String message, boolean showUsage) {
            super(message);
            this.showUsage = showUsage;
        }
    }
}
