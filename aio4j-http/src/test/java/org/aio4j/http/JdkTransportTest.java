package org.aio4j.http;

/** The transport contract for the default transport, the JDK's {@code HttpClient}. */
class JdkTransportTest extends TransportContract {

    @Override
    protected HttpTransport newTransport() {
        return HttpTransport.jdk();
    }
}
