package org.aio4j;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The TLS handshake of a TCP connection, made with the JDK's {@link SSLSocket} layered over the connected
 * {@link SocketChannel}'s socket, in blocking mode, on the calling thread (a thread of its own, never the loop's):
 * asyncio's {@code SSLProtocol} handshake. The {@link StreamTransport} then reads and writes the TLS socket's streams
 * and closes the channel under it to abort.
 */
final class TlsHandshake {

    /** asyncio's default {@code ssl_handshake_timeout}, in milliseconds (real time, for the handshake as a whole). */
    static final int TIMEOUT_MILLIS = 60_000;

    /**
     * asyncio's default {@code ssl_shutdown_timeout}, in milliseconds: how long the close of a TLS connection may take,
     * from {@link StreamWriter#close()}, before the connection is aborted (loop time: a timer of the loop, as
     * asyncio's; see {@link StreamTransport#closeRequested()}).
     */
    static final int SHUTDOWN_TIMEOUT_MILLIS = 30_000;

    /** The threads that end a handshake at its timeout: on the JDK's scheduler, never a loop's dedicated carrier. */
    private static final java.util.concurrent.ThreadFactory TIMERS =
            Schedulers.sharedThreads("aio4j-tls-handshake-timeout", -1);

    /** The handshake timeout in force, in milliseconds: {@link #TIMEOUT_MILLIS} but in tests. */
    static volatile int timeoutMillis = TIMEOUT_MILLIS;

    private TlsHandshake() {
    }

    /**
     * A handshake or shutdown timeout given in seconds (asyncio's {@code ssl_handshake_timeout},
     * {@code ssl_shutdown_timeout}) in milliseconds, at least one; refuses one that is not a positive number, naming
     * {@code method} and {@code parameter}.
     */
    static int millis(String method, String parameter, double seconds) {
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException(method + "(): " + parameter + " must be > 0 seconds, got " + seconds);
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.round(seconds * 1000)));
    }

    /**
     * A handshake or shutdown timeout given as a {@link java.time.Duration} in milliseconds, rounded to the nearest, at
     * least one (at most {@link Integer#MAX_VALUE}, some 24 days); refuses a null or non-positive one, naming
     * {@code method} and {@code parameter}.
     */
    static int millis(String method, String parameter, java.time.Duration timeout) {
        java.util.Objects.requireNonNull(timeout, () -> method + "(): " + parameter + " must not be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(method + "(): " + parameter + " must be > 0, got " + timeout);
        }
        if (timeout.compareTo(java.time.Duration.ofMillis(Integer.MAX_VALUE)) >= 0) {
            return Integer.MAX_VALUE;
        }
        return (int) Math.max(1, (timeout.toNanos() + 500_000) / 1_000_000);
    }

    /** The shutdown timeout in milliseconds to use for {@code millis}: itself, or the default if 0. */
    static int shutdownOrDefault(int millis) {
        return millis > 0 ? millis : SHUTDOWN_TIMEOUT_MILLIS;
    }

    /** The timeout in milliseconds to use for {@code millis}: itself, or the default ({@link #timeoutMillis}) if 0. */
    private static int orDefault(int millis) {
        return millis > 0 ? millis : timeoutMillis;
    }

    /**
     * On the connecting thread: the client's end of a TLS connection over {@code ch}, to {@code host}, its handshake
     * made within {@code timeoutMillis} (0: the default), the server's certificate checked against
     * {@code serverHostname} (null: {@code host}) as asyncio's default context does (endpoint identification
     * {@code "HTTPS"}), and that name sent as the server name (see {@link #serverName}); {@code ""} checks and sends
     * none (see {@link #clientParameters}). On failure the channel is closed and the JDK's exception thrown (a
     * timeout as an {@link SSLHandshakeException}: see {@link #handshake}).
     */
    static SSLSocket client(SocketChannel ch, SSLContext ssl, String host, int port, String serverHostname,
                            int timeoutMillis) throws IOException {
        try {
            String name = serverHostname != null ? serverHostname : host;
            var s = (SSLSocket) ssl.getSocketFactory().createSocket(ch.socket(), name, port, true);
            s.setSSLParameters(clientParameters(s.getSSLParameters(), name));
            s.setUseClientMode(true);
            return handshake(s, ch, orDefault(timeoutMillis));
        } catch (IOException | RuntimeException | Error e) {
            Streams.closeQuietly(ch);
            throw e;
        }
    }

    /**
     * On the writing thread of a plain connection: its end of a TLS connection over {@code ch}, upgraded in place
     * (asyncio's {@code loop.start_tls}), its handshake made within {@code timeoutMillis}. The TLS socket reads
     * {@code consumed} first: what the connection's reading thread took from the socket once the upgrade began.
     * A client's end checks the server's certificate against {@code serverHostname} and sends it as the server name,
     * or neither for {@code ""}; a server's end ignores it, as asyncio's does. On failure the channel is closed and the
     * JDK's exception thrown. A {@code timeoutMillis} of 0 is the default.
     */
    static SSLSocket upgrade(SocketChannel ch, java.io.InputStream consumed, SSLContext ssl, boolean client,
                             String serverHostname, int timeoutMillis) throws IOException {
        try {
            // The JDK's only layering that reads consumed bytes makes a server's end; before its handshake, it may be
            // made a client's, and its server name and endpoint identification set as client() sets them.
            var s = (SSLSocket) ssl.getSocketFactory().createSocket(ch.socket(), consumed, true);
            s.setUseClientMode(client);
            if (client) {
                s.setSSLParameters(clientParameters(s.getSSLParameters(), serverHostname));
            }
            handshake(s, ch, orDefault(timeoutMillis));
            if (client && !serverHostname.isEmpty()) {
                // The JDK's check accepts a certificate that names the socket's peer host if it does not name the
                // server name sent; an upgraded socket's peer host is the address dialled, not serverHostname.
                checkNames(s.getSession(), serverHostname);
            }
            return s;
        } catch (IOException | RuntimeException | Error e) {
            Streams.closeQuietly(ch);
            throw e;
        }
    }

    /**
     * Refuses the server's certificate of {@code session} unless it names {@code host} (an address literal: one of
     * its IP addresses; a name: one of its DNS names, a wildcard standing for the leftmost label of a name of three
     * labels or more, or its most specific common name if it has none), as asyncio's {@code check_hostname} does.
     */
    static void checkNames(javax.net.ssl.SSLSession session, String host) throws SSLHandshakeException {
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        name = name.startsWith("[") && name.endsWith("]") ? name.substring(1, name.length() - 1) : name;
        boolean literal = serverName(host) == null && (name.indexOf(':') >= 0 || name.matches("[0-9.]+"));
        try {
            var cert = (java.security.cert.X509Certificate) session.getPeerCertificates()[0];
            var sans = cert.getSubjectAlternativeNames();
            boolean anyDns = false;
            for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
                int type = (Integer) san.get(0);
                String value = String.valueOf(san.get(1));
                if (literal && type == 7 && sameAddress(name, value)) {
                    return;
                }
                if (type == 2) {
                    anyDns = true;
                    if (!literal && matchesName(name, value)) {
                        return;
                    }
                }
            }
            if (!literal && !anyDns) {
                String cn = null;
                for (var rdn : new javax.naming.ldap.LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        cn = String.valueOf(rdn.getValue()); // the last is the most specific
                    }
                }
                if (cn != null && matchesName(name, cn)) {
                    return;
                }
            }
        } catch (javax.net.ssl.SSLPeerUnverifiedException | java.security.cert.CertificateException
                 | javax.naming.InvalidNameException e) {
            throw (SSLHandshakeException) new SSLHandshakeException("the server's certificate cannot be checked "
                    + "against " + host + ": " + e.getMessage()).initCause(e);
        }
        throw new SSLHandshakeException("the server's certificate does not name " + host
                + " (hostname mismatch)");
    }

    private static boolean sameAddress(String literal, String san) {
        try {
            return java.net.InetAddress.ofLiteral(literal).equals(java.net.InetAddress.ofLiteral(san));
        } catch (IllegalArgumentException notALiteral) {
            return false;
        }
    }

    /**
     * Whether DNS name {@code pattern} of a certificate names {@code host} (RFC 6125: a leftmost wildcard), a host
     * of Unicode in its ASCII form.
     */
    static boolean matchesName(String host, String pattern) {
        String h = host;
        try {
            h = java.net.IDN.toASCII(host, java.net.IDN.ALLOW_UNASSIGNED); // as SNIHostName sends it
        } catch (IllegalArgumentException notIdna) {
            // compared as given
        }
        h = h.toLowerCase(java.util.Locale.ROOT);
        String p = pattern.toLowerCase(java.util.Locale.ROOT);
        p = p.endsWith(".") ? p.substring(0, p.length() - 1) : p;
        if (!p.contains("*")) {
            return h.equals(p);
        }
        String[] hl = h.split("\\.", -1);
        String[] pl = p.split("\\.", -1);
        if (pl.length < 3 || hl.length != pl.length || p.indexOf('*') != p.lastIndexOf('*')
                || !pl[0].contains("*")) {
            return false;
        }
        for (int i = 1; i < pl.length; i++) {
            if (!pl[i].equals(hl[i])) {
                return false;
            }
        }
        int star = pl[0].indexOf('*');
        String prefix = pl[0].substring(0, star);
        String suffix = pl[0].substring(star + 1);
        return !hl[0].isEmpty() && hl[0].length() >= prefix.length() + suffix.length() && hl[0].startsWith(prefix)
                && hl[0].endsWith(suffix);
    }

    /**
     * {@code p} set for a client's end checking {@code serverHostname}: endpoint identification {@code "HTTPS"} and
     * the name sent as the server name, as asyncio's {@code server_hostname}; for {@code ""} neither, as asyncio's
     * {@code server_hostname=''} (which it takes only with a context whose {@code check_hostname} is off: a JDK
     * context has no such setting, and the certificate chain is still checked by its trust managers).
     */
    private static SSLParameters clientParameters(SSLParameters p, String serverHostname) {
        if (serverHostname.isEmpty()) {
            p.setEndpointIdentificationAlgorithm(null);
            p.setServerNames(List.of());
            return p;
        }
        p.setEndpointIdentificationAlgorithm("HTTPS");
        SNIHostName name = serverName(serverHostname);
        if (name != null) {
            p.setServerNames(List.of(name));
        } else {
            p.setServerNames(List.of()); // an address literal: none, as OpenSSL sends none
        }
        return p;
    }

    /**
     * The server name (SNI) to send for {@code host}: the host name itself, as asyncio's {@code server_hostname}
     * (which defaults to {@code host}) is sent by OpenSSL, a name without a dot ({@code localhost}) included, where the
     * JDK's socket would send only dotted names; none for an address literal, or a name SNI cannot carry.
     */
    private static SNIHostName serverName(String host) {
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (name.indexOf(':') >= 0 || name.matches("[0-9.]*")) {
            return null; // an IPv6 or IPv4 literal
        }
        try {
            return new SNIHostName(name);
        } catch (IllegalArgumentException notAHostName) {
            return null;
        }
    }

    /**
     * On a thread of the server's: the server's end of a TLS connection over {@code ch}, which it has just
     * accepted, its handshake made within {@code timeoutMillis} (0: the default). On failure the channel is closed
     * and the JDK's exception thrown.
     */
    static SSLSocket server(SocketChannel ch, SSLContext ssl, int timeoutMillis) throws IOException {
        try {
            java.net.Socket raw = ch.socket();
            var s = (SSLSocket) ssl.getSocketFactory().createSocket(raw, raw.getInetAddress().getHostAddress(),
                    raw.getPort(), true);
            s.setUseClientMode(false);
            return handshake(s, ch, orDefault(timeoutMillis));
        } catch (IOException | RuntimeException | Error e) {
            Streams.closeQuietly(ch);
            throw e;
        }
    }

    /**
     * Makes the handshake of {@code s}, layered over {@code ch}, within the timeout as a whole, as asyncio's
     * {@code ssl_handshake_timeout} (a timer from the start) bounds it, not each read: a peer that sends a byte now
     * and then does not hold it open. At the timeout a virtual thread of its own closes {@code ch}, which ends the
     * handshake blocked in it, and the failure is an {@link SSLHandshakeException} with asyncio's message whose
     * cause is what the close made the handshake throw.
     */
    private static SSLSocket handshake(SSLSocket s, SocketChannel ch, int timeout) throws IOException {
        var state = new AtomicInteger(RUNNING);
        Thread timer = TIMERS.newThread(() -> {
            try {
                Thread.sleep(timeout);
            } catch (InterruptedException ended) {
                return;
            }
            if (state.compareAndSet(RUNNING, TIMED_OUT)) {
                Streams.closeQuietly(ch);
            }
        });
        timer.start();
        try {
            s.startHandshake();
        } catch (IOException e) {
            if (state.compareAndSet(RUNNING, ENDED)) {
                throw e;
            }
            throw timedOut(timeout, e);
        } finally {
            timer.interrupt();
        }
        if (!state.compareAndSet(RUNNING, ENDED)) { // the timer closed the channel as the handshake ended
            throw timedOut(timeout, new SocketTimeoutException("TLS handshake timed out"));
        }
        return s;
    }

    private static final int RUNNING = 0;
    private static final int ENDED = 1;
    private static final int TIMED_OUT = 2;

    private static SSLHandshakeException timedOut(int timeout, IOException cause) {
        var timedOut = new SSLHandshakeException("TLS handshake is taking longer than " + timeout / 1000.0
                + " seconds: aborting the connection"); // asyncio's message
        timedOut.initCause(cause);
        return timedOut;
    }
}
