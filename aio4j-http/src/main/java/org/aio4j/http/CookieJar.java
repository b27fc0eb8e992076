package org.aio4j.http;

import java.io.IOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The cookies a {@link ClientSession} keeps: aiohttp's {@code aiohttp.CookieJar}. Every session has one unless
 * given another ({@link ClientSession.Builder#cookieJar}): the cookies a response sets ({@code Set-Cookie}) go with
 * the session's later requests whose URL they match, by domain and path, until they expire ({@code Max-Age},
 * {@code Expires}); a {@code Secure} one only over https. Parsing and domain matching are the JDK's
 * ({@link java.net.CookieManager}, {@link HttpCookie}), with its {@link CookiePolicy#ACCEPT_ORIGINAL_SERVER} policy:
 * a cookie for another domain than the response's is refused, as aiohttp does.
 *
 * <p>As aiohttp's default {@code CookieJar(unsafe=False)}, a jar refuses the cookies of a host that is an IP address
 * ({@code http://127.0.0.1/}); {@code new CookieJar(true)} ({@code unsafe=True}) keeps them. {@link #dummy()} is
 * aiohttp's {@code DummyCookieJar}, which keeps nothing.
 *
 * <p>What the session does not see it cannot keep: the cookies of the 3xx responses a transport follows on its own
 * (the final response's are kept), and the redirected request goes without the cookies of its new URL.
 *
 * <p>Thread-safe.
 */
public final class CookieJar {

    /** An IPv4 address, or an IPv6 one (with or without its brackets): a host whose cookies an unsafe jar keeps. */
    private static final Pattern IP_ADDRESS =
            Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|\\[?[0-9a-fA-F:.]*:[0-9a-fA-F:.]*]?");

    private final boolean keeps;
    private final boolean unsafe;
    private final CookieManager manager;
    /** Cookies for every URL, by name: aiohttp's cookies updated without a {@code response_url}. */
    private final Map<String, String> shared = new LinkedHashMap<>();

    /** A jar as aiohttp's default {@code CookieJar()}: refusing the cookies of an IP address host. */
    public CookieJar() {
        this(false);
    }

    /**
     * A jar that keeps, if {@code unsafe}, the cookies of a host that is an IP address too: aiohttp's
     * {@code CookieJar(unsafe=True)}, for a test server on {@code 127.0.0.1}, say.
     *
     * @param unsafe whether to keep the cookies of IP address hosts
     */
    public CookieJar(boolean unsafe) {
        this(true, unsafe);
    }

    private CookieJar(boolean keeps, boolean unsafe) {
        this.keeps = keeps;
        this.unsafe = unsafe;
        this.manager = new CookieManager(null, (uri, cookie) -> (unsafe || !isIpAddress(uri.getHost()))
                && CookiePolicy.ACCEPT_ORIGINAL_SERVER.shouldAccept(uri, cookie));
    }

    /**
     * A jar that keeps no cookies and sends none: aiohttp's {@code DummyCookieJar}, for a session that must not
     * carry state from one request to the next.
     *
     * @return a new jar that keeps nothing
     */
    public static CookieJar dummy() {
        return new CookieJar(false, false);
    }

    /**
     * Whether this jar keeps the cookies of IP address hosts: aiohttp's {@code CookieJar(unsafe=...)}.
     *
     * @return whether the jar is unsafe
     */
    public boolean unsafe() {
        return unsafe;
    }

    /**
     * Adds cookies: aiohttp's {@code jar.update_cookies(cookies, response_url)}. With a URL, each is a cookie of its
     * host, for every path; without ({@code null}), each goes with every request of the session, to any host, as
     * aiohttp's cookies without a {@code response_url} (and {@code ClientSession(cookies=...)}) do. A dummy jar
     * ignores them.
     *
     * @param cookies     names to values
     * @param responseUrl the URL whose host the cookies are for, or {@code null} for every URL
     * @throws IllegalArgumentException if a name is not a valid cookie name
     * @throws NullPointerException     if {@code cookies}, or a name or value in it, is null
     */
    public void updateCookies(Map<String, String> cookies, URI responseUrl) {
        Objects.requireNonNull(cookies, "cookies must not be null");
        var checked = new ArrayList<HttpCookie>();
        cookies.forEach((name, value) -> checked.add(cookie(name, value)));
        if (!keeps) {
            return;
        }
        for (HttpCookie c : checked) {
            if (responseUrl == null) {
                synchronized (shared) {
                    shared.put(c.getName(), c.getValue());
                }
            } else {
                c.setDomain(responseUrl.getHost());
                c.setPath("/");
                manager.getCookieStore().add(responseUrl, c);
            }
        }
    }

    /** A cookie {@code name=value}, checked. */
    static HttpCookie cookie(String name, String value) {
        Objects.requireNonNull(name, "cookie name must not be null");
        Objects.requireNonNull(value, "value of cookie " + name + " must not be null");
        try {
            var c = new HttpCookie(name, value);
            c.setVersion(0);
            return c;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cookie name '" + name + "' is not valid: " + e.getMessage(), e);
        }
    }

    /**
     * The cookies that go with a request of {@code url}: aiohttp's {@code jar.filter_cookies(request_url)}. Those
     * whose domain and path match and that have not expired ({@code Secure} ones for https only), longest path first,
     * then by name; then the cookies for every URL.
     *
     * @param url the URL of the request
     * @return the cookies to send, a new list
     * @throws NullPointerException if {@code url} is null
     */
    public List<HttpCookie> filterCookies(URI url) {
        Objects.requireNonNull(url, "url must not be null");
        var out = new ArrayList<HttpCookie>();
        if (!keeps) {
            return out;
        }
        if (url.getHost() != null) {
            boolean secure = "https".equalsIgnoreCase(url.getScheme());
            String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
            for (HttpCookie c : manager.getCookieStore().get(url)) {
                if ((!c.getSecure() || secure) && pathMatches(path, c.getPath())) {
                    out.add(c);
                }
            }
            out.sort(Comparator.comparingInt((HttpCookie c) -> c.getPath() == null ? 0 : -c.getPath().length())
                    .thenComparing(HttpCookie::getName));
        }
        synchronized (shared) {
            shared.forEach((name, value) -> out.add(cookie(name, value)));
        }
        return out;
    }

    /**
     * Every cookie the jar holds that has not expired, the ones for every URL last: aiohttp's iteration over a jar.
     *
     * @return a snapshot of the cookies, a new list
     */
    public List<HttpCookie> cookies() {
        var out = new ArrayList<HttpCookie>();
        if (!keeps) {
            return out;
        }
        out.addAll(manager.getCookieStore().getCookies());
        synchronized (shared) {
            shared.forEach((name, value) -> out.add(cookie(name, value)));
        }
        return out;
    }

    /** Removes every cookie: aiohttp's {@code jar.clear()}. */
    public void clear() {
        manager.getCookieStore().removeAll();
        synchronized (shared) {
            shared.clear();
        }
    }

    /** Keeps the cookies that the response from {@code url} with {@code headers} sets. */
    void store(URI url, Map<String, List<String>> headers) {
        if (!keeps || url.getHost() == null) {
            return;
        }
        var setCookies = new LinkedHashMap<String, List<String>>();
        headers.forEach((name, values) -> {
            if (name != null && name.equalsIgnoreCase("Set-Cookie")) {
                setCookies.put("Set-Cookie", values);
            }
        });
        if (setCookies.isEmpty()) {
            return;
        }
        try {
            manager.put(url, setCookies); // a Set-Cookie it cannot parse it ignores, as aiohttp does
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // the JDK's in-memory store throws none
        }
    }

    /**
     * The {@code Cookie} header value for a request of {@code url} that has {@code own} (its own {@code Cookie}
     * header, or null): its own cookies first, then the jar's of other names; null if there are none.
     */
    String cookieHeader(URI url, String own) {
        var parts = new ArrayList<String>();
        var ownNames = new java.util.HashSet<String>();
        if (own != null && !own.isBlank()) {
            for (String pair : own.split(";")) {
                String p = pair.trim();
                if (!p.isEmpty()) {
                    parts.add(p);
                    int eq = p.indexOf('=');
                    ownNames.add(eq < 0 ? p : p.substring(0, eq).trim());
                }
            }
        }
        for (HttpCookie c : filterCookies(url)) {
            if (ownNames.add(c.getName())) {
                parts.add(c.getName() + "=" + c.getValue());
            }
        }
        return parts.isEmpty() ? null : String.join("; ", parts);
    }

    /** RFC 6265 5.1.4: the cookie's path is the request's, or a prefix of it that ends at a {@code /}. */
    private static boolean pathMatches(String requestPath, String cookiePath) {
        if (cookiePath == null || cookiePath.isEmpty() || cookiePath.equals(requestPath)) {
            return true;
        }
        return requestPath.startsWith(cookiePath)
                && (cookiePath.endsWith("/") || requestPath.charAt(cookiePath.length()) == '/');
    }

    private static boolean isIpAddress(String host) {
        return host != null && IP_ADDRESS.matcher(host).matches();
    }

    @Override
    public String toString() {
        return keeps ? "CookieJar[" + cookies().size() + " cookies" + (unsafe ? ", unsafe" : "") + "]"
                : "CookieJar[dummy]";
    }
}
