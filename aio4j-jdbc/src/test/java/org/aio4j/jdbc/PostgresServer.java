package org.aio4j.jdbc;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A throwaway PostgreSQL server for the tests, started by the tests themselves: a JUnit Jupiter extension that, once per
 * test run, runs {@code initdb} into a temporary directory, starts {@code postgres} on a free port of 127.0.0.1 with
 * {@code pg_ctl}, creates a database, and at the end of the run stops the server and deletes the directory. Test
 * classes get it with {@code @ExtendWith(PostgresServer.class)} and a constructor parameter of this type.
 *
 * <p>The binaries are looked for under {@code /usr/lib/postgresql/<version>/bin} (15 preferred); if there are none,
 * {@code scripts/install-postgres.sh} installs them with apt-get. PostgreSQL refuses to run as root: as root, the
 * server's commands run as the {@code postgres} system user (created by the package) through {@code runuser}.
 * If the server cannot be started, the tests fail with the reason and the server's log; they are never skipped.
 */
public final class PostgresServer implements BeforeAllCallback, ParameterResolver, AutoCloseable {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresServer.class);
    private static final String USER = "aio4j";
    private static final String DATABASE = "aio4j_test";
    private static final Path INSTALL_SCRIPT = Path.of("scripts/install-postgres.sh");

    private Path dir;
    private Path bin;
    private List<String> runAs = List.of();
    private int port;
    private Thread shutdownHook;

    /** For JUnit: the extension. The server itself is made by {@link #start()}. */
    public PostgresServer() {
    }

    /** The JDBC URL of the test database. */
    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE + "?user=" + USER;
    }

    /** A new connection to the test database. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == PostgresServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return server(context);
    }

    /** One server for the whole test run, closed by JUnit when the run ends. */
    private static PostgresServer server(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .computeIfAbsent(PostgresServer.class, k -> start(), PostgresServer.class);
    }

    static PostgresServer start() {
        var server = new PostgresServer();
        try {
            server.startServer();
            return server;
        } catch (Exception e) {
            String log = server.log();
            server.close();
            throw new IllegalStateException("Could not start the PostgreSQL test server: " + e.getMessage()
                    + (log.isEmpty() ? "" : "\n--- server log ---\n" + log), e);
        }
    }

    private void startServer() throws Exception {
        bin = findBinaries();
        dir = Files.createTempDirectory("aio4j-pg-");
        if (isRoot()) {
            runAs = List.of("runuser", "-u", "postgres", "--");
            run(List.of("id", "postgres"), "there is no 'postgres' system user to run the server as (PostgreSQL"
                    + " refuses to run as root); installing the postgresql package creates it");
            giveToPostgres(dir);
        }
        Path data = dir.resolve("data");
        run(command(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "-A", "trust",
                "-E", "UTF8", "--no-locale", "--no-sync"), "initdb failed");
        port = freePort();
        String options = "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
                + " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        shutdownHook = new Thread(this::close, "aio4j-pg-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        run(command(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", logFile().toString(),
                "-w", "-t", "120", "-o", options, "start"), "pg_ctl start failed");
        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=" + USER);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + DATABASE);
        }
    }

    /** Stops the server and deletes its directory. */
    @Override
    public synchronized void close() {
        if (dir == null) {
            return;
        }
        try {
            if (Files.exists(dir.resolve("data/postmaster.pid"))) {
                run(command(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(),
                        "-m", "immediate", "-w", "stop"), "pg_ctl stop failed");
            }
        } catch (Exception e) {
            System.err.println("aio4j: could not stop the PostgreSQL test server: " + e.getMessage());
        } finally {
            deleteTree(dir);
            dir = null;
            if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting; the hook runs anyway, and finds nothing to do
                }
            }
        }
    }

    // ---- helpers

    private static Path findBinaries() throws Exception {
        Path found = installedBinaries();
        if (found != null) {
            return found;
        }
        if (!Files.isExecutable(INSTALL_SCRIPT)) {
            throw new IllegalStateException("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin, and "
                    + INSTALL_SCRIPT.toAbsolutePath() + " to install them is missing");
        }
        run(List.of("bash", INSTALL_SCRIPT.toString()), "no PostgreSQL server binaries under"
                + " /usr/lib/postgresql/*/bin, and " + INSTALL_SCRIPT + " could not install them");
        found = installedBinaries();
        if (found == null) {
            throw new IllegalStateException(INSTALL_SCRIPT + " ran but no /usr/lib/postgresql/*/bin/initdb exists");
        }
        return found;
    }

    /** {@code /usr/lib/postgresql/15/bin} if it has the server, else the highest version that has, else null. */
    private static Path installedBinaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isExecutable(root.resolve("15/bin/initdb"))) {
            return root.resolve("15/bin");
        }
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparing(b -> versionOf(b.getParent())))
                    .orElse(null);
        }
    }

    private static int versionOf(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isRoot() throws Exception {
        return run(List.of("id", "-u"), "id -u failed").strip().equals("0");
    }

    private static void giveToPostgres(Path path) throws IOException {
        UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
        GroupPrincipal group = users.lookupPrincipalByGroupName("postgres");
        Files.setOwner(path, users.lookupPrincipalByName("postgres"));
        Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(group);
    }

    private List<String> command(String... args) {
        var out = new ArrayList<>(runAs);
        out.addAll(List.of(args));
        return out;
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private Path logFile() {
        return dir.resolve("server.log");
    }

    private String log() {
        try {
            return dir == null || !Files.exists(logFile()) ? "" : Files.readString(logFile());
        } catch (IOException e) {
            return "";
        }
    }

    /** Runs a command to its end; returns its output; throws with {@code failure} and the output if it fails. */
    private static String run(List<String> command, String failure) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(failure + ": " + String.join(" ", command) + " did not end");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(failure + ": " + String.join(" ", command) + " exited with "
                    + p.exitValue() + "\n" + text);
        }
        return text;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("aio4j: could not delete " + root + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "PostgresServer[" + (dir == null ? "stopped" : url()) + "]";
    }
}
