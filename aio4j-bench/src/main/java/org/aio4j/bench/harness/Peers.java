package org.aio4j.bench.harness;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.aio4j.bench.Workload;
import org.aio4j.bench.WorkloadMain;
import org.aio4j.bench.Workloads;

/**
 * Finds the peers on this machine and installs what they need from Debian's packages when it is missing
 * ({@code time} for {@code /usr/bin/time}, {@code python3} for {@code /usr/bin/python3}, {@code python3-uvloop} for
 * uvloop; PyPI is not reachable here).
 *
 * <p>The peers, in report order: aio4j with default JVM flags; aio4j on one carrier thread
 * ({@code -Djdk.virtualThreadScheduler.parallelism=1}, JVM-wide, so a library cannot set it for its users; shown
 * because the core's design note weighs it); aio4j in debug mode (issue 4 asks what it costs); CPython asyncio on
 * Debian's {@code /usr/bin/python3} and on the {@code python3} found on {@code PATH} when that is another
 * interpreter (pyenv's, here: a build without PGO, slower); uvloop on Debian's interpreter; Kotlin coroutines; bare
 * virtual threads.
 */
final class Peers {

    static final String DEBIAN_PYTHON = "/usr/bin/python3";
    /** An aio4j-NAME peer that {@link #discover} always has: aio4j with these JVM flags. */
    private record Variant(String name, String description, List<String> flags) {
    }

    private static final List<Variant> BUILT_IN = List.of(
            new Variant("p1", "aio4j, one carrier thread", List.of("-Djdk.virtualThreadScheduler.parallelism=1")),
            new Variant("carrier", "aio4j, each loop's tasks on a dedicated carrier (EventLoop.Builder"
                    + ".dedicatedCarrier)",
                    List.of("--add-opens=java.base/java.lang=ALL-UNNAMED", "-Daio4j.dedicatedCarrier=true")),
            new Variant("debug", "aio4j in debug mode (creation stacks, slow-callback checks)",
                    List.of("-Daio4j.debug=true")));

    /** The NAME of the aio4j-NAME peers {@link #discover} always has, which a {@code --jvm-variant} cannot take. */
    static final List<String> BUILT_IN_VARIANTS = BUILT_IN.stream().map(Variant::name).toList();
    private static final String SCRIPT = "asyncio_workloads.py";
    private static final String MAIN = WorkloadMain.class.getName();

    private Peers() {
    }

    /**
     * Every peer, those that cannot run here marked with the reason. Installs uvloop only if {@code wanted} accepts
     * it.
     */
    static List<Peer> discover(java.util.function.Predicate<String> wanted, Map<String, List<String>> jvmVariants) {
        var peers = new ArrayList<Peer>();
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("java.class.path");
        peers.add(jvm(Peer.AIO4J, "aio4j, default JVM flags", java, classpath, List.of(), "aio4j"));
        for (Variant v : BUILT_IN) {
            peers.add(jvm(Peer.AIO4J + "-" + v.name(), v.description(), java, classpath, v.flags(), "aio4j"));
        }
        jvmVariants.forEach((name, flags) -> peers.add(jvm(Peer.AIO4J + "-" + name, "aio4j, " + String.join(" ", flags),
                java, classpath, flags, "aio4j")));
        String script = pythonScript();
        String pathPython = executable("python3");
        boolean debian = Files.isExecutable(Path.of(DEBIAN_PYTHON));
        if (!debian && (wanted.test("uvloop") || (pathPython == null && wanted.test("cpython")))) {
            // Debian's python3 (CPython 3.11 on bookworm) is the reference build, and the only one Debian's
            // python3-uvloop serves: install it rather than leave the CPython peers out.
            aptInstall("python3");
            debian = Files.isExecutable(Path.of(DEBIAN_PYTHON));
            if (pathPython == null) {
                pathPython = executable("python3");
            }
        }
        peers.addAll(cpythonPeers(debian ? DEBIAN_PYTHON : null, pathPython, script));
        String uvloopPython = debian ? DEBIAN_PYTHON : pathPython;
        Peer uvloop = python("uvloop", "CPython + uvloop, " + uvloopPython, uvloopPython, script, "uvloop", false);
        String missing = uvloopPython == null ? "no python3"
                : wanted.test(uvloop.name()) ? ensureUvloop(uvloopPython) : null;
        peers.add(missing == null ? uvloop : uvloop.withUnavailable(missing));
        peers.add(jvm("kotlin", "Kotlin coroutines, runBlocking (one thread)", java, classpath, List.of(), "kotlin"));
        peers.add(jvm("vthreads", "bare virtual threads + java.util.concurrent", java, classpath, List.of(),
                "vthreads"));
        return peers;
    }

    /**
     * The CPython asyncio peers: {@code cpython} on Debian's interpreter ({@code debianPython}, or {@code null} if
     * there is none, then on the {@code python3} found on {@code PATH}) and {@code cpython-path} on the {@code python3}
     * found on {@code PATH} ({@code pathPython}, its real path, or {@code null}); a peer that cannot run, or would run
     * the same interpreter as {@code cpython}, is marked unavailable with the reason, so that asking for it says why
     * rather than "unknown peer", and the report says why there is no figure.
     */
    static List<Peer> cpythonPeers(String debianPython, String pathPython, String script) {
        var peers = new ArrayList<Peer>();
        if (debianPython != null) {
            peers.add(python("cpython", "CPython asyncio, " + debianPython, debianPython, script, "asyncio", true));
        } else if (pathPython == null) {
            peers.add(python("cpython", "CPython asyncio", null, script, "asyncio", true)
                    .withUnavailable("no python3 found (" + DEBIAN_PYTHON + " missing and none on PATH; 'apt-get"
                            + " install python3' did not bring it)"));
        }
        String pathLabel = "CPython asyncio, " + (pathPython == null ? "python3" : pathPython) + " (python3 on PATH)";
        if (debianPython == null && pathPython != null) {
            peers.add(python("cpython", pathLabel, pathPython, script, "asyncio", true));
        }
        String notRun = pathPython == null ? "no python3 on PATH"
                : debianPython == null ? "the python3 on PATH, " + pathPython + ", is the one cpython runs here"
                        + " (there is no " + DEBIAN_PYTHON + ")"
                : pathPython.equals(debianPython) || sameFile(pathPython, debianPython)
                        ? "the python3 on PATH is " + debianPython + ", which cpython runs" : null;
        Peer onPath = python("cpython-path", pathLabel, pathPython, script, "asyncio", true);
        peers.add(notRun == null ? onPath : onPath.withUnavailable(notRun));
        return peers;
    }

    /** Makes sure {@code /usr/bin/time} exists; returns why it cannot, or {@code null}. */
    static String ensureTime() {
        if (Files.isExecutable(Path.of(ProcessRunner.TIME))) {
            return null;
        }
        aptInstall("time");
        return Files.isExecutable(Path.of(ProcessRunner.TIME)) ? null
                : ProcessRunner.TIME + " is missing and 'apt-get install time' did not bring it";
    }

    private static Peer jvm(String name, String label, String java, String classpath, List<String> flags,
                            String workloads) {
        Workloads impl = WorkloadMain.peer(workloads);
        Set<Workload> supported = EnumSet.noneOf(Workload.class);
        for (Workload w : Workload.values()) {
            if (impl.supports(w)) {
                supported.add(w);
            }
        }
        var command = new ArrayList<String>();
        command.add(java);
        // For ProcessCpuClock's clock_gettime, without the JDK's warning about a restricted method.
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(flags);
        command.addAll(List.of("-cp", classpath, MAIN, workloads));
        return new Peer(name, label, command, supported, false, null);
    }

    private static Peer python(String name, String label, String python, String script, String loop,
                               boolean reference) {
        List<String> command = python == null ? List.of() : List.of(python, script, loop);
        Peer p = new Peer(name, label, command, EnumSet.allOf(Workload.class), reference, null);
        return python == null ? p.withUnavailable("no python3 found") : p;
    }

    /** Returns why uvloop cannot be imported by {@code python} even after installing it, or {@code null}. */
    private static String ensureUvloop(String python) {
        if (canImport(python, "uvloop")) {
            return null;
        }
        if (!python.equals(DEBIAN_PYTHON)) {
            return "uvloop is not installed for " + python + " (PyPI is not reachable; Debian's python3-uvloop"
                    + " serves " + DEBIAN_PYTHON + " only)";
        }
        aptInstall("python3-uvloop");
        return canImport(python, "uvloop") ? null
                : "'apt-get install python3-uvloop' did not make uvloop importable by " + python;
    }

    /** {@code apt-get install -y PACKAGE}, with an {@code apt-get update} and a second try if the first fails. */
    private static void aptInstall(String pkg) {
        System.err.println("bench: installing Debian package " + pkg + " (apt-get)");
        // Other sessions may hold the dpkg lock for a while: wait for it rather than fail.
        List<String> install = List.of("apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", pkg);
        if (exec(install, true) != 0) {
            exec(List.of("apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"), true);
            exec(install, true);
        }
    }

    private static boolean canImport(String python, String module) {
        return exec(List.of(python, "-c", "import " + module), false) == 0;
    }

    /** The real path of the interpreter that {@code command} starts, or {@code null} if there is none. */
    private static String executable(String command) {
        try {
            Process p = new ProcessBuilder(command, "-c", "import os, sys; print(os.path.realpath(sys.executable))")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor() == 0 && !out.isEmpty() ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static boolean sameFile(String a, String b) {
        try {
            return Path.of(a).toRealPath().equals(Path.of(b).toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs a command with its output discarded, its errors shown or not; returns its exit status. */
    private static int exec(List<String> command, boolean showErrors) {
        try {
            Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(showErrors ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(10, TimeUnit.MINUTES) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The path of the Python workloads: in target/classes when run from the build, else copied out of the jar. */
    private static String pythonScript() {
        URL url = Peers.class.getResource("/" + SCRIPT);
        if (url == null) {
            throw new IllegalStateException(SCRIPT + " is not on the class path; build aio4j-bench first");
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI()).toString();
            }
            Path copy = Files.createTempFile("aio4j-bench-", ".py");
            copy.toFile().deleteOnExit();
            try (InputStream in = url.openStream()) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            return copy.toString();
        } catch (IOException | java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot read " + url, e);
        }
    }
}
