package org.aio4j.http;

import java.io.IOException;
import java.net.HttpCookie;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.DateTimeException;
import java.time.InstantSource;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cookies a {@link ClientSession} keeps: aiohttp's {@code aiohttp.CookieJar}. Every session has one unless
 * given another ({@link ClientSession.Builder#cookieJar}): the cookies a response sets ({@code Set-Cookie}) go with
 * the session's later requests whose URL they match, by domain and path, until they expire ({@code Max-Age},
 * {@code Expires}); a {@code Secure} one only over https. Domain and path follow RFC 6265, as aiohttp's jar does: a
 * cookie without {@code Domain} goes to its host only, one with {@code Domain=example.com} (from example.com or a
 * host under it; one for another domain is refused) to example.com and every host under it; a value goes back as it
 * was set, quotes included.
 *
 * <p>As aiohttp's default {@code CookieJar(unsafe=False)}, a jar refuses the cookies of a host that is an IP address
 * ({@code http://127.0.0.1/}); {@code new CookieJar(true)} ({@code unsafe=True}) keeps them. {@link #dummy()} is
 * aiohttp's {@code DummyCookieJar}, which keeps nothing. {@link #save} and {@link #load} keep a jar's cookies in a
 * file from one run to the next (aiohttp's {@code jar.save} and {@code jar.load}), in curl's cookie file format.
 *
 * <p>The session keeps the cookies of every response, each redirect's too (it follows redirects itself, as aiohttp's
 * {@code _request} updates the jar from every response), and each request a redirect leads to carries the jar's
 * cookies for its own URL. What the session does not see it cannot keep: a transport on a client of the caller's that
 * follows redirects itself shows it only the final response (see {@link HttpTransport#jdk(java.net.http.HttpClient)}).
 *
 * <p>Thread-safe.
 */
public final class CookieJar {

    /**
     * An IPv4 address, or an IPv6 one (with or without its brackets, with or without a zone, {@code %eth0}): a host
     * whose cookies an unsafe jar keeps.
     */
    private static final Pattern IP_ADDRESS =
            Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|\\[?[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(%[^\\]]*)?]?");

    /** A cookie kept: RFC 6265 5.3's record ({@code expiresAt} in epoch milliseconds, or none for the session's). */
    private record Kept(String name, String value, String domain, boolean hostOnly, String path, boolean secure,
            boolean httpOnly, long expiresAt) {

        static final long SESSION = Long.MAX_VALUE;

        String key() {
            return name + ";" + domain + ";" + path;
        }

        HttpCookie asHttpCookie(long now) {
            return new SetCookie(name, value, domain, path, secure, httpOnly, expiresAt).asHttpCookie(now);
        }
    }

    private final boolean keeps;
    private final boolean unsafe;
    /** The wall clock expiry follows (Expires is a date), as aiohttp's {@code datetime.now()}; a test's own. */
    private final InstantSource clock;
    /** The cookies kept for a domain, by name, domain and path; guarded by itself. */
    private final Map<String, Kept> kept = new LinkedHashMap<>();
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
        this(true, unsafe, InstantSource.system());
    }

    /** A jar whose cookies expire by {@code clock}: for tests, that move it. */
    CookieJar(boolean unsafe, InstantSource clock) {
        this(true, unsafe, clock);
    }

    private CookieJar(boolean keeps, boolean unsafe, InstantSource clock) {
        this.keeps = keeps;
        this.unsafe = unsafe;
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    /**
     * A jar that keeps no cookies and sends none: aiohttp's {@code DummyCookieJar}, for a session that must not
     * carry state from one request to the next.
     *
     * @return a new jar that keeps nothing
     */
    public static CookieJar dummy() {
        return new CookieJar(false, false, InstantSource.system());
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
     * host only, for the URL's default path (RFC 6265 5.1.4: {@code /} for {@code http://host/} or
     * {@code http://host/page}), and a jar that is not {@link #unsafe()} ignores them if the host is an IP address;
     * without ({@code null}), each goes with every request of the session, to any host, as aiohttp's cookies without
     * a {@code response_url} (and {@code ClientSession(cookies=...)}) do. A dummy jar ignores them.
     *
     * @param cookies     names to values
     * @param responseUrl the URL whose host the cookies are for, or {@code null} for every URL
     * @throws IllegalArgumentException if a name is not a valid cookie name, or a value has a control character,
     *                                  {@code ;} or a character that is not ASCII
     * @throws NullPointerException     if {@code cookies}, or a name or value in it, is null
     */
    public void updateCookies(Map<String, String> cookies, URI responseUrl) {
        Objects.requireNonNull(cookies, "cookies must not be null");
        var checked = new ArrayList<HttpCookie>();
        cookies.forEach((name, value) -> checked.add(cookie(name, value)));
        if (!keeps) {
            return;
        }
        if (responseUrl == null) {
            synchronized (shared) {
                checked.forEach(c -> shared.put(c.getName(), c.getValue()));
            }
            return;
        }
        String host = host(responseUrl);
        if (host == null || (!unsafe && isIpAddress(host))) {
            return;
        }
        String path = defaultPath(responseUrl);
        for (HttpCookie c : checked) {
            keep(new Kept(c.getName(), c.getValue(), host, true, path, false, false, Kept.SESSION));
        }
    }

    /** A cookie {@code name=value}, checked. */
    static HttpCookie cookie(String name, String value) {
        Objects.requireNonNull(name, "cookie name must not be null");
        Objects.requireNonNull(value, "value of cookie " + name + " must not be null");
        HttpCookie c;
        try {
            c = new HttpCookie(name, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cookie name '" + name + "' is not valid: " + e.getMessage(), e);
        }
        int bad = unsendable(value);
        if (bad >= 0) {
            throw new IllegalArgumentException(String.format("value of cookie %s cannot go in a Cookie header: it "
                    + "has U+%04X at index %d (a control character, ';' or a character that is not ASCII; encode "
                    + "it first)", name, (int) value.charAt(bad), bad));
        }
        c.setVersion(0);
        return c;
    }

    /**
     * The index of the first character of {@code value} that a {@code Cookie} header cannot carry as it is (a
     * control character, {@code ;}, which would start another cookie, or one that is not ASCII), or -1.
     */
    private static int unsendable(String value) {
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if ((ch < 0x20 && ch != '\t') || ch == ';' || ch >= 0x7f) {
                return i;
            }
        }
        return -1;
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
        String host = host(url);
        if (host != null) {
            boolean secure = "https".equalsIgnoreCase(url.getScheme()) || "wss".equalsIgnoreCase(url.getScheme());
            String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
            long now = clock.millis();
            var matching = new ArrayList<Kept>();
            synchronized (kept) {
                dropExpired(now);
                for (Kept k : kept.values()) {
                    if ((k.hostOnly() ? host.equals(k.domain()) : domainMatches(host, k.domain()))
                            && (!k.secure() || secure) && pathMatches(path, k.path())) {
                        matching.add(k);
                    }
                }
            }
            matching.sort(Comparator.comparingInt((Kept k) -> -k.path().length()).thenComparing(Kept::name));
            matching.forEach(k -> out.add(k.asHttpCookie(now)));
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
        long now = clock.millis();
        synchronized (kept) {
            dropExpired(now);
            kept.values().forEach(k -> out.add(k.asHttpCookie(now)));
        }
        synchronized (shared) {
            shared.forEach((name, value) -> out.add(cookie(name, value)));
        }
        return out;
    }

    /** The first line of a file {@link #save} writes, as curl's. */
    private static final String NETSCAPE_HEADER = "# Netscape HTTP Cookie File";
    /** curl's mark of an HttpOnly cookie, before the domain of its line. */
    private static final String HTTP_ONLY_PREFIX = "#HttpOnly_";

    /**
     * Writes the cookies the jar keeps to {@code file}, replacing it: aiohttp's {@code jar.save(file_path)}, in the
     * Netscape cookie file format that curl and wget read and write ({@code curl -b file}) where aiohttp pickles.
     * One line per cookie that has not expired: domain (with a leading dot for a domain cookie), whether hosts under
     * it match, path, {@code Secure}, expiry in epoch seconds ({@code 0} for a session cookie, which is saved too,
     * as aiohttp saves it), name and value; an {@code HttpOnly} cookie's domain carries curl's {@code #HttpOnly_}.
     * The cookies for every URL ({@link #updateCookies} without a URL, {@code ClientSession.Builder.cookie}) are the
     * session's settings rather than what servers set, and are not saved. The file is written beside its place first
     * and then moved there, so that a crash leaves the old file or the new one, never part of one.
     *
     * @param file where to write
     * @throws IOException          if the file cannot be written
     * @throws NullPointerException if {@code file} is null
     */
    public void save(Path file) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        var text = new StringBuilder(NETSCAPE_HEADER).append("\n# written by aio4j's CookieJar.save\n\n");
        long now = clock.millis();
        synchronized (kept) {
            dropExpired(now);
            for (Kept k : kept.values()) {
                long seconds = k.expiresAt() == Kept.SESSION ? 0 : Math.max(1, (k.expiresAt() - 1) / 1000 + 1);
                text.append(k.httpOnly() ? HTTP_ONLY_PREFIX : "").append(k.hostOnly() ? "" : ".").append(k.domain())
                        .append('\t').append(k.hostOnly() ? "FALSE" : "TRUE").append('\t').append(k.path())
                        .append('\t').append(k.secure() ? "TRUE" : "FALSE").append('\t').append(seconds)
                        .append('\t').append(k.name()).append('\t').append(k.value()).append('\n');
            }
        }
        Path absolute = file.toAbsolutePath();
        Path temp = Files.createTempFile(absolute.getParent(), absolute.getFileName() + ".", ".tmp");
        try {
            Files.writeString(temp, text, StandardCharsets.ISO_8859_1); // as headers are read: byte for byte
            try {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Replaces the cookies the jar keeps with those of {@code file}: aiohttp's {@code jar.load(file_path)}, reading
     * the Netscape cookie file that {@link #save}, curl ({@code curl -c file}) or wget writes. Blank lines and lines
     * starting with {@code #} are skipped, but for curl's {@code #HttpOnly_} before a domain; a cookie that has
     * expired is left out. The cookies for every URL stay as they were (they are not saved). Read whole before the
     * jar changes: a file with a line that is not a cookie leaves the jar as it was. A dummy jar keeps nothing.
     *
     * @param file the file to read
     * @throws IOException          if the file cannot be read, or a line of it is not a cookie in that format (the
     *                              message names the file, the line and what is wrong with it)
     * @throws NullPointerException if {@code file} is null
     */
    public void load(Path file) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        var read = new ArrayList<Kept>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || (line.startsWith("#") && !line.startsWith(HTTP_ONLY_PREFIX))) {
                continue;
            }
            try {
                read.add(cookieOfLine(line));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ":" + (i + 1) + ": not a cookie of a Netscape cookie file: "
                        + e.getMessage(), e);
            }
        }
        if (!keeps) {
            return;
        }
        long now = clock.millis();
        synchronized (kept) {
            kept.clear();
            for (Kept k : read) {
                if (k.expiresAt() > now) {
                    kept.put(k.key(), k);
                }
            }
        }
    }

    /** The cookie of one line of a Netscape cookie file; throws IllegalArgumentException saying what is wrong. */
    private static Kept cookieOfLine(String line) {
        String[] f = line.split("\t", 7);
        if (f.length != 7) {
            throw new IllegalArgumentException("expected 7 fields separated by tabs (domain, subdomains, path, secure,"
                    + " expiry, name, value), got " + f.length);
        }
        boolean httpOnly = f[0].startsWith(HTTP_ONLY_PREFIX);
        String domain = (httpOnly ? f[0].substring(HTTP_ONLY_PREFIX.length()) : f[0]).toLowerCase(Locale.ROOT);
        boolean subdomains = flag(f[1], "subdomains");
        domain = domain.startsWith(".") ? domain.substring(1) : domain;
        if (domain.isEmpty() || !f[2].startsWith("/")) {
            throw new IllegalArgumentException(domain.isEmpty() ? "empty domain" : "path '" + f[2]
                    + "' does not start with /");
        }
        long expiry;
        try {
            expiry = Long.parseLong(f[4]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expiry '" + f[4] + "' is not a number of seconds", e);
        }
        HttpCookie c = cookie(f[5], f[6]); // a valid name, a value a Cookie header can carry
        long expiresAt = expiry <= 0 ? Kept.SESSION
                : expiry >= (Kept.SESSION - 1) / 1000 ? Kept.SESSION - 1 : expiry * 1000;
        return new Kept(c.getName(), c.getValue(), domain, !subdomains, f[2], flag(f[3], "secure"), httpOnly,
                expiresAt);
    }

    private static boolean flag(String field, String what) {
        if (field.equalsIgnoreCase("TRUE")) {
            return true;
        }
        if (field.equalsIgnoreCase("FALSE")) {
            return false;
        }
        throw new IllegalArgumentException(what + " must be TRUE or FALSE, got '" + field + "'");
    }

    /** Removes every cookie: aiohttp's {@code jar.clear()}. */
    public void clear() {
        synchronized (kept) {
            kept.clear();
        }
        synchronized (shared) {
            shared.clear();
        }
    }

    /** Keeps the cookies that the response from {@code url} with {@code headers} sets. */
    void store(URI url, Map<String, List<String>> headers) {
        String host = host(url);
        if (!keeps || host == null || (!unsafe && isIpAddress(host))) {
            return;
        }
        headers.forEach((name, values) -> {
            if (name != null && name.equalsIgnoreCase("Set-Cookie")) {
                for (String value : values) {
                    Kept k = parse(url, host, value, clock.millis());
                    if (k != null) {
                        keep(k);
                    }
                }
            }
        });
    }

    /**
     * Keeps {@code k} in place of the cookie of its name, domain and path, or removes that one if {@code k} has
     * expired (RFC 6265 5.3 step 11).
     */
    private void keep(Kept k) {
        synchronized (kept) {
            if (k.expiresAt() <= clock.millis()) {
                kept.remove(k.key());
            } else {
                kept.put(k.key(), k);
            }
        }
    }

    private void dropExpired(long now) {
        for (Iterator<Kept> it = kept.values().iterator(); it.hasNext();) {
            if (it.next().expiresAt() <= now) {
                it.remove();
            }
        }
    }

    /**
     * The cookie of one {@code Set-Cookie} header from {@code url} (RFC 6265 5.2 and 5.3), or null if it is to be
     * ignored: one {@link #read} ignores, or one with a {@code Domain} the host is not in.
     */
    private static Kept parse(URI url, String host, String header, long now) {
        SetCookie c = read(header, now);
        if (c == null) {
            return null;
        }
        boolean hostOnly = c.domain() == null;
        if (!hostOnly && !domainMatches(host, c.domain())) {
            return null;
        }
        return new Kept(c.name(), c.value(), hostOnly ? host : c.domain(), hostOnly,
                c.path() == null ? defaultPath(url) : c.path(), c.secure(), c.httpOnly(), c.expiresAt());
    }

    /**
     * The cookies that the {@code Set-Cookie} headers among {@code headers} set, by name, in the order they came (a
     * later one of a name replacing an earlier), as {@link #read} reads them, for {@link ClientResponse#cookies()}.
     */
    static Map<String, HttpCookie> setBy(Map<String, List<String>> headers, long now) {
        var out = new LinkedHashMap<String, HttpCookie>();
        headers.forEach((name, values) -> {
            if (name != null && name.equalsIgnoreCase("Set-Cookie")) {
                for (String value : values) {
                    SetCookie c = read(value, now);
                    if (c != null) {
                        out.remove(c.name()); // a later one goes last
                        out.put(c.name(), c.asHttpCookie(now));
                    }
                }
            }
        });
        return out;
    }

    /**
     * What one {@code Set-Cookie} header says, before the cookie is placed (RFC 6265 5.2): its {@code Domain} (in
     * lower case, without a leading dot) and {@code Path} null where it gives none, or none that counts; its expiry
     * in epoch milliseconds, {@link Kept#SESSION} if it has none.
     */
    private record SetCookie(String name, String value, String domain, String path, boolean secure,
            boolean httpOnly, long expiresAt) {

        HttpCookie asHttpCookie(long now) {
            var c = new HttpCookie(name, value);
            c.setVersion(0);
            c.setDomain(domain);
            c.setPath(path);
            c.setSecure(secure);
            c.setHttpOnly(httpOnly);
            c.setMaxAge(maxAgeSeconds(expiresAt, now));
            return c;
        }
    }

    /**
     * {@link HttpCookie#setMaxAge}'s reading of an expiry: -1 for a session cookie, 0 for one expired at
     * {@code now}, else the seconds left, rounded up.
     */
    private static long maxAgeSeconds(long expiresAt, long now) {
        return expiresAt == Kept.SESSION ? -1 : expiresAt <= now ? 0 : (expiresAt - now - 1) / 1000 + 1;
    }

    /**
     * The cookie one {@code Set-Cookie} header sets (RFC 6265 5.2), or null if it is to be ignored: without a
     * name-value pair, with a name that is not a token, or with a value a {@code Cookie} header cannot carry.
     */
    private static SetCookie read(String header, long now) {
        String[] parts = header.split(";");
        int eq = parts[0].indexOf('=');
        if (eq < 0) {
            return null;
        }
        String name = parts[0].substring(0, eq).trim();
        String value = parts[0].substring(eq + 1).trim();
        try {
            new HttpCookie(name, value); // a token, and none of the attribute names
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (unsendable(value) >= 0) {
            return null; // not RFC 6265 cookie-octets: the request it went with would be refused
        }
        String domain = null;
        String path = null;
        boolean secure = false;
        boolean httpOnly = false;
        Long maxAge = null;
        Long expires = null;
        for (int i = 1; i < parts.length; i++) {
            String attr = parts[i].trim();
            int aeq = attr.indexOf('=');
            String key = (aeq < 0 ? attr : attr.substring(0, aeq)).trim().toLowerCase(Locale.ROOT);
            String val = aeq < 0 ? "" : attr.substring(aeq + 1).trim();
            switch (key) {
                case "domain" -> {
                    // RFC 6265 5.2.3: an empty one is ignored; as aiohttp, one with a trailing dot means the host's
                    String d = val.startsWith(".") ? val.substring(1) : val;
                    if (!val.isEmpty()) {
                        domain = d.isEmpty() || d.endsWith(".") ? null : d.toLowerCase(Locale.ROOT);
                    }
                }
                // RFC 6265 4.1.1: a path-value has no control character (a tab would also cut a line of save's file)
                case "path" -> path = val.startsWith("/") && val.chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f)
                        ? val : null;
                case "secure" -> secure = true;
                case "httponly" -> httpOnly = true;
                case "max-age" -> {
                    try {
                        maxAge = Long.parseLong(val);
                    } catch (NumberFormatException e) {
                        // RFC 6265 5.2.2: one that is not a number is ignored; one past a long's range is not
                        if (LONG_DIGITS.matcher(val).matches()) {
                            maxAge = val.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
                        }
                    }
                }
                case "expires" -> {
                    Long date = expiry(val);
                    if (date != null) { // RFC 6265 5.2.1: one that is not a date is ignored
                        expires = date;
                    }
                }
                default -> {
                    // other attributes (SameSite, Comment, Version...) do not change where the cookie goes
                }
            }
        }
        long expiresAt = maxAge != null ? (maxAge <= 0 ? Long.MIN_VALUE : saturatedAdd(now, maxAge))
                : expires != null ? expires : Kept.SESSION;
        return new SetCookie(name, value, domain, path, secure, httpOnly, expiresAt);
    }

    /** A Max-Age of more digits than a long holds. */
    private static final Pattern LONG_DIGITS = Pattern.compile("[-+]?\\d{19,}");

    private static long saturatedAdd(long nowMillis, long seconds) {
        return seconds >= (Kept.SESSION - nowMillis) / 1000 ? Kept.SESSION - 1 : nowMillis + seconds * 1000;
    }

    private static final Pattern DATE_DELIMITERS =
            Pattern.compile("[\\x09\\x20-\\x2F\\x3B-\\x40\\x5B-\\x60\\x7B-\\x7E]+");
    private static final Pattern TIME = Pattern.compile("(\\d{1,2}):(\\d{1,2}):(\\d{1,2})(?:\\D.*)?");
    private static final Pattern DAY = Pattern.compile("(\\d{1,2})(?:\\D.*)?");
    private static final Pattern YEAR = Pattern.compile("(\\d{2,4})(?:\\D.*)?");
    private static final List<String> MONTHS =
            List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");

    /**
     * An {@code Expires} date in epoch milliseconds, or null if it is not one: RFC 6265 5.1.1's reading, as
     * aiohttp's jar does, which takes RFC 1123 ({@code Thu, 01 Jan 1970 00:00:00 GMT}), RFC 850
     * ({@code Thursday, 01-Jan-70 00:00:00 GMT}) and asctime ({@code Thu Jan  1 00:00:00 1970}) alike.
     */
    private static Long expiry(String date) {
        int[] time = null;
        int day = -1;
        int month = -1;
        int year = -1;
        for (String token : DATE_DELIMITERS.split(date)) {
            Matcher m;
            if (time == null && (m = TIME.matcher(token)).matches()) {
                time = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3))};
            } else if (day < 0 && (m = DAY.matcher(token)).matches()) {
                day = Integer.parseInt(m.group(1));
            } else if (month < 0 && token.length() >= 3
                    && MONTHS.contains(token.substring(0, 3).toLowerCase(Locale.ROOT))) {
                month = MONTHS.indexOf(token.substring(0, 3).toLowerCase(Locale.ROOT)) + 1;
            } else if (year < 0 && (m = YEAR.matcher(token)).matches()) {
                year = Integer.parseInt(m.group(1));
            }
        }
        if (year >= 70 && year <= 99) {
            year += 1900;
        } else if (year >= 0 && year <= 69) {
            year += 2000;
        }
        if (time == null || day < 1 || day > 31 || month < 0 || year < 1601 || time[0] > 23 || time[1] > 59
                || time[2] > 59) {
            return null; // RFC 6265 5.2.1: an Expires that is not a date is ignored
        }
        try {
            return LocalDateTime.of(year, month, day, time[0], time[1], time[2]).toInstant(ZoneOffset.UTC)
                    .toEpochMilli();
        } catch (DateTimeException e) {
            return null; // a 31st of a shorter month
        }
    }

    /** The host of {@code url} in lower case, or null. */
    private static String host(URI url) {
        return url.getHost() == null ? null : url.getHost().toLowerCase(Locale.ROOT);
    }

    /** RFC 6265 5.1.3: {@code host} is {@code domain}, or a name under it (an IP address is under nothing). */
    private static boolean domainMatches(String host, String domain) {
        return host.equals(domain) || (host.endsWith("." + domain) && !isIpAddress(host));
    }

    /** RFC 6265 5.1.4: the directory of the URL's path, {@code /} if it has none. */
    private static String defaultPath(URI url) {
        String path = url.getRawPath();
        if (path == null || !path.startsWith("/")) {
            return "/";
        }
        int last = path.lastIndexOf('/');
        return last == 0 ? "/" : path.substring(0, last);
    }

    /**
     * The {@code Cookie} header value for a request of {@code url} that has {@code own} (its own {@code Cookie}
     * header, or null): its own cookies first, then the jar's of other names; null if there are none.
     */
    String cookieHeader(URI url, String own) {
        var parts = new ArrayList<String>();
        var ownNames = new HashSet<String>();
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
