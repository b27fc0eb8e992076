package org.aio4j;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The test JVM's resolver (a service of the test class path only): the names a test {@linkplain #define defines}
 * resolve as it says, every other name as the system's resolver has it. Tests of what a host of several addresses
 * does so do not depend on what the machine's {@code localhost} resolves to. Names end in {@code .aio4j.test} (the
 * {@code .test} domain is reserved for tests, RFC 6761), one for each test, as the JDK caches what it resolved.
 */
public final class TestResolver extends InetAddressResolverProvider {

    /** What a defined name resolves to, on the resolving thread (it may block, to hold a connect back). */
    interface Lookup {
        List<InetAddress> addresses() throws UnknownHostException;
    }

    private static final Map<String, Lookup> NAMES = new ConcurrentHashMap<>();

    /** Makes {@code name} resolve to {@code literals} (address literals), in that order. */
    static void define(String name, String... literals) {
        List<InetAddress> addresses = Stream.of(literals).map(TestResolver::literal).toList();
        define(name, () -> addresses);
    }

    /** Makes {@code name} resolve to what {@code lookup} returns, each time the JDK asks. */
    static void define(String name, Lookup lookup) {
        if (!name.endsWith(".aio4j.test") || NAMES.putIfAbsent(name, lookup) != null) {
            throw new IllegalArgumentException("a name of its own under .aio4j.test, got " + name);
        }
    }

    static InetAddress literal(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: not looked up
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver system = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                Lookup lookup = NAMES.get(host);
                return lookup != null ? lookup.addresses().stream() : system.lookupByName(host, policy);
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                return system.lookupByAddress(address);
            }
        };
    }

    @Override
    public String name() {
        return "aio4j tests";
    }
}
