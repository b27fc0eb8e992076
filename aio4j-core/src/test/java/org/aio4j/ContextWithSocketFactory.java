package org.aio4j;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * An {@link SSLContext} that is another one but for its socket factory, through the JDK's SPI (the only way to make
 * one): for the tests that give the streams' TLS a factory that watches or lacks what the JDK's does.
 */
final class ContextWithSocketFactory {

    private ContextWithSocketFactory() {
    }

    /** {@code ssl}, whose {@code getSocketFactory()} returns {@code factory}; already initialized, as {@code ssl} is. */
    static SSLContext of(SSLContext ssl, SSLSocketFactory factory) {
        var spi = new javax.net.ssl.SSLContextSpi() {
            @Override
            protected void engineInit(javax.net.ssl.KeyManager[] km, javax.net.ssl.TrustManager[] tm,
                                      java.security.SecureRandom random) {
                throw new UnsupportedOperationException("initialized already");
            }

            @Override
            protected SSLSocketFactory engineGetSocketFactory() {
                return factory;
            }

            @Override
            protected javax.net.ssl.SSLServerSocketFactory engineGetServerSocketFactory() {
                return ssl.getServerSocketFactory();
            }

            @Override
            protected javax.net.ssl.SSLEngine engineCreateSSLEngine() {
                return ssl.createSSLEngine();
            }

            @Override
            protected javax.net.ssl.SSLEngine engineCreateSSLEngine(String host, int port) {
                return ssl.createSSLEngine(host, port);
            }

            @Override
            protected javax.net.ssl.SSLSessionContext engineGetServerSessionContext() {
                return ssl.getServerSessionContext();
            }

            @Override
            protected javax.net.ssl.SSLSessionContext engineGetClientSessionContext() {
                return ssl.getClientSessionContext();
            }
        };
        return new SSLContext(spi, ssl.getProvider(), ssl.getProtocol()) {
        };
    }
}
