package org.aio4j.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A local TLS server with a self-signed certificate for 127.0.0.1, made by the JDK's {@code keytool} once per JVM,
 * that completes the handshake, reads the request's head and then does whatever its {@link Script} says, well or
 * badly: for what a client does with a TLS connection that fails after the handshake. Clients that are to complete the
 * handshake trust {@link #trusted()}.
 */
public final class TlsServer implements AutoCloseable {

    /** What the server does once the handshake is done and the request's head read. */
    @FunctionalInterface
    public interface Script {
        /**
         * Answers on {@code tls}; {@code raw} is the TCP connection under it, for bytes that are no TLS record. Both
         * are closed afterwards.
         */
        void answer(SSLSocket tls, OutputStream raw) throws IOException;
    }

    private static final char[] PASSWORD = "aio4j-test".toCharArray();

    private final ServerSocket socket;
    private final SSLContext context;
    private final Script script;

    private TlsServer(ServerSocket socket, SSLContext context, Script script) {
        this.socket = socket;
        this.context = context;
        this.script = script;
    }

    /** Starts serving {@code script} on an ephemeral port of 127.0.0.1. */
    public static TlsServer start(Script script) throws Exception {
        var s = new TlsServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), Keys.SERVER, script);
        CannedServer.acceptAll(s.socket, "tls-server", s::serve);
        return s;
    }

    /** Sends {@code ascii} over {@code tls}, in TLS records, and flushes it. */
    public static void send(SSLSocket tls, String ascii) throws IOException {
        tls.getOutputStream().write(ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        tls.getOutputStream().flush();
    }

    /** A key store holding the server's certificate as a trusted entry, for the clients' trust managers. */
    public static KeyStore trusted() {
        return Keys.TRUSTED;
    }

    /** The absolute {@code https} URL of {@code path}. */
    public String url(String path) {
        return "https://127.0.0.1:" + socket.getLocalPort() + path;
    }

    private void serve(Socket raw) {
        try (raw; var tls = (SSLSocket) context.getSocketFactory().createSocket(raw, "127.0.0.1", raw.getPort(),
                false)) {
            tls.setUseClientMode(false);
            tls.startHandshake();
            CannedServer.skipRequestHead(tls.getInputStream());
            script.answer(tls, raw.getOutputStream());
        } catch (IOException clientGone) {
            // the client gave up first (or refused the certificate): nothing more to answer
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** The key pair and certificate, made once: keytool takes a JVM start. */
    private static final class Keys {
        static final SSLContext SERVER;
        static final KeyStore TRUSTED;

        static {
            try {
                Path dir = Files.createTempDirectory("aio4j-tls");
                Path store = dir.resolve("server.p12");
                String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
                Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC",
                        "-groupname", "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
                        "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                        "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                        .redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes());
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("keytool failed: " + output);
                }
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (var in = Files.newInputStream(store)) {
                    keys.load(in, PASSWORD);
                }
                Files.delete(store);
                Files.delete(dir);
                var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, PASSWORD);
                SERVER = SSLContext.getInstance("TLS");
                SERVER.init(kmf.getKeyManagers(), null, null);
                TRUSTED = KeyStore.getInstance("PKCS12");
                TRUSTED.load(null, null);
                TRUSTED.setCertificateEntry("server", keys.getCertificate("server"));
            } catch (Exception e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
