package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.HttpCookie;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session's {@link CookieJar}, aiohttp's {@code ClientSession(cookie_jar=...)}, on a transport the test drives:
 * which cookies a response's {@code Set-Cookie} leaves and which later requests carry them. Over real HTTP in
 * {@link TransportContract}.
 */
class CookieJarTest {

    /** Answers {@code /login} with {@code setCookies}, anything else with an empty 200. */
    private static FakeTransport setting(List<String> setCookies) {
        var fake = new FakeTransport();
        fake.onSend = sent -> {
            ClientRequest r = sent.request();
            Map<String, List<String>> headers = r.uri().getPath().equals("/login")
                    ? Map.of("Set-Cookie", setCookies) : Map.of();
            sent.future().complete(new ClientResponse(r.method(), r.uri(), 200, headers, new byte[0]));
        };
        return fake;
    }

    /** The {@code Cookie} header the session sent with its {@code i}th request, or null. */
    private static String cookieSent(FakeTransport fake, int i) {
        var values = fake.sent(i).request().headers().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase("Cookie")).map(Map.Entry::getValue).findFirst();
        return values.map(v -> String.join(", ", v)).orElse(null);
    }

    @Test
    void aResponsesCookiesGoWithLaterRequestsByDomainPathExpiryAndSecure() throws Exception {
        var fake = setting(List.of("sid=1; Path=/", "pref=x; Path=/app", "gone=1; Max-Age=0",
                "old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "sec=1; Path=/; Secure", "later=1; Max-Age=3600"));
        try (var s = ClientSession.builder().transport(fake, true).build()) {
            Loops.run(() -> {
                s.get("http://example.test/login");
                s.get("http://example.test/app/page");
                s.get("http://example.test/other");
                s.get("https://example.test/");
                s.get("http://elsewhere.test/");
                return null;
            });
            assertThat(cookieSent(fake, 0)).isNull();
            assertThat(cookieSent(fake, 1)).isEqualTo("pref=x; later=1; sid=1");
            assertThat(cookieSent(fake, 2)).isEqualTo("later=1; sid=1");
            assertThat(cookieSent(fake, 3)).isEqualTo("later=1; sec=1; sid=1");
            assertThat(cookieSent(fake, 4)).isNull();
            assertThat(s.cookieJar().cookies()).extracting(HttpCookie::getName)
                    .containsExactlyInAnyOrder("sid", "pref", "sec", "later");
            assertThat(s.cookieJar().filterCookies(URI.create("http://example.test/")))
                    .extracting(HttpCookie::getName).containsExactlyInAnyOrder("sid", "later");
        }
    }

    @Test
    void aRequestsOwnCookieHeaderWinsOverTheJarsCookieOfTheSameName() throws Exception {
        var fake = setting(List.of("sid=1; Path=/", "pref=x; Path=/"));
        try (var s = ClientSession.builder().transport(fake, true).build()) {
            Loops.run(() -> {
                s.get("http://example.test/login");
                s.request(ClientRequest.get("http://example.test/").withHeader("Cookie", "sid=mine"));
                return null;
            });
            assertThat(cookieSent(fake, 1)).isEqualTo("sid=mine; pref=x");
        }
    }

    @Test
    void theSessionsOwnCookiesGoToEveryHost() throws Exception {
        var fake = setting(List.of("sid=1"));
        try (var s = ClientSession.builder().transport(fake, true).cookie("token", "t0").build()) {
            Loops.run(() -> {
                s.get("http://example.test/login");
                s.get("http://example.test/");
                s.get("http://elsewhere.test/");
                return null;
            });
            assertThat(cookieSent(fake, 0)).isEqualTo("token=t0");
            assertThat(cookieSent(fake, 1)).isEqualTo("sid=1; token=t0");
            assertThat(cookieSent(fake, 2)).isEqualTo("token=t0");
        }
    }

    @Test
    void fetchAllSendsAndKeepsCookiesToo() throws Exception {
        var fake = setting(List.of("sid=1"));
        try (var s = ClientSession.builder().transport(fake, true).build()) {
            Loops.run(() -> s.fetchAll(List.of("http://example.test/login", "http://example.test/next"), 1,
                    FetchOrder.INPUT));
            assertThat(cookieSent(fake, 1)).isEqualTo("sid=1");
        }
    }

    @Test
    void aDummyJarKeepsNothing() throws Exception {
        var fake = setting(List.of("sid=1"));
        try (var s = ClientSession.builder().transport(fake, true).cookieJar(CookieJar.dummy()).build()) {
            Loops.run(() -> {
                s.get("http://example.test/login");
                s.get("http://example.test/");
                return null;
            });
            assertThat(cookieSent(fake, 1)).isNull();
            assertThat(s.cookieJar().cookies()).isEmpty();
        }
    }

    @Test
    void cookiesFromAnIpAddressAreKeptOnlyByAnUnsafeJarAsInAiohttp() throws Exception {
        for (boolean unsafe : List.of(false, true)) {
            var fake = setting(List.of("sid=1"));
            try (var s = ClientSession.builder().transport(fake, true).cookieJar(new CookieJar(unsafe)).build()) {
                Loops.run(() -> {
                    s.get("http://127.0.0.1:8080/login");
                    s.get("http://127.0.0.1:8080/");
                    return null;
                });
                assertThat(cookieSent(fake, 1)).as("unsafe " + unsafe).isEqualTo(unsafe ? "sid=1" : null);
            }
        }
    }

    @Test
    void theJarCanBeFilledAndCleared() {
        var jar = new CookieJar();
        jar.updateCookies(Map.of("a", "1"), URI.create("http://example.test/"));
        jar.updateCookies(Map.of("shared", "2"), null);
        assertThat(jar.filterCookies(URI.create("http://example.test/x"))).extracting(HttpCookie::toString)
                .containsExactly("a=1", "shared=2");
        assertThat(jar.filterCookies(URI.create("http://other.test/"))).extracting(HttpCookie::toString)
                .containsExactly("shared=2");
        jar.clear();
        assertThat(jar.cookies()).isEmpty();
        assertThatThrownBy(() -> jar.updateCookies(Map.of("a b", "1"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a b");
    }

    /** The {@code Cookie} header {@code jar} sends to {@code url} after {@code url0} set {@code setCookies}. */
    private static String after(CookieJar jar, String url0, List<String> setCookies, String url) {
        jar.store(URI.create(url0), Map.of("Set-Cookie", setCookies));
        return jar.cookieHeader(URI.create(url), null);
    }

    /**
     * RFC 6265 5.2.3, as aiohttp: {@code Domain=example.com} (no leading dot, as servers send it) from
     * {@code www.example.com} goes to example.com and every host under it, however deep. The JDK's RFC 2965 matching
     * refused the cookie outright.
     */
    @Test
    void aCookieForAParentDomainGoesToEveryHostUnderItAsInAiohttp() {
        for (String domain : List.of("example.com", ".example.com", "Example.COM")) {
            var jar = new CookieJar();
            jar.store(URI.create("http://www.example.com/"), Map.of("Set-Cookie", List.of("a=1; Domain=" + domain)));
            for (String host : List.of("www.example.com", "api.example.com", "a.b.example.com", "example.com")) {
                assertThat(jar.cookieHeader(URI.create("http://" + host + "/"), null)).as(domain + " " + host)
                        .isEqualTo("a=1");
            }
            assertThat(jar.cookieHeader(URI.create("http://notexample.com/"), null)).as(domain).isNull();
        }
        assertThat(after(new CookieJar(), "http://a.b.example.com/", List.of("a=1; Domain=example.com"),
                "http://c.example.com/")).isEqualTo("a=1");
        assertThat(after(new CookieJar(), "http://www.example.com/", List.of("a=1; Domain=other.com"),
                "http://other.com/")).isNull();
        assertThat(after(new CookieJar(), "http://www.example.com/", List.of("a=1; Domain=ww.example.com"),
                "http://www.example.com/")).isNull();
    }

    /** RFC 6265 5.3 step 6, as aiohttp: a cookie without a Domain goes to its host only, not to the hosts under it. */
    @Test
    void aCookieWithoutADomainGoesToItsOwnHostOnly() {
        var jar = new CookieJar();
        jar.store(URI.create("http://example.com/"), Map.of("Set-Cookie", List.of("a=1")));
        assertThat(jar.cookieHeader(URI.create("http://example.com/"), null)).isEqualTo("a=1");
        assertThat(jar.cookieHeader(URI.create("http://sub.example.com/"), null)).isNull();
        assertThat(jar.cookieHeader(URI.create("http://EXAMPLE.com:8080/"), null)).isEqualTo("a=1");
    }

    /** A value goes back as it was set, quotes and commas included, as aiohttp and browsers send it. */
    @Test
    void aValueGoesBackAsItWasSetQuotesAndCommasIncluded() {
        assertThat(after(new CookieJar(), "http://example.com/", List.of("a=\"x y\"", "b=\"q\"; Path=/"),
                "http://example.com/")).isEqualTo("a=\"x y\"; b=\"q\"");
        assertThat(after(new CookieJar(), "http://example.com/", List.of("a=x,y; Max-Age=60"),
                "http://example.com/")).isEqualTo("a=x,y");
    }

    /** Max-Age=0 or a past Expires removes the cookie of that name, domain and path; a later one replaces it. */
    @Test
    void aCookieIsReplacedAndDeletedByNameDomainAndPath() {
        var jar = new CookieJar();
        URI url = URI.create("http://example.com/x/y");
        jar.store(url, Map.of("Set-Cookie", List.of("a=1", "b=1; Path=/", "c=1; Path=/")));
        jar.store(url, Map.of("Set-Cookie", List.of("a=2", "b=1; Path=/; Max-Age=0",
                "c=1; Path=/; Expires=Thu, 01-Jan-1970 00:00:00 GMT")));
        assertThat(jar.cookieHeader(url, null)).isEqualTo("a=2");
        assertThat(jar.cookies()).extracting(HttpCookie::getName).containsExactly("a");
        assertThat(jar.cookieHeader(URI.create("http://example.com/"), null)).isNull(); // default path /x
    }

    /** As aiohttp's update_cookies: a safe jar ignores cookies added for an IP address host too. */
    @Test
    void aSafeJarIgnoresCookiesAddedForAnIpAddress() {
        var jar = new CookieJar();
        jar.updateCookies(Map.of("a", "1"), URI.create("http://127.0.0.1:8080/"));
        assertThat(jar.cookies()).isEmpty();
        var unsafe = new CookieJar(true);
        unsafe.updateCookies(Map.of("a", "1"), URI.create("http://127.0.0.1:8080/"));
        assertThat(unsafe.cookieHeader(URI.create("http://127.0.0.1:8080/"), null)).isEqualTo("a=1");
    }

    /** {@code localhost} is a name, not an IP address: a default jar keeps its cookies, for every port. */
    @Test
    void aDefaultJarKeepsTheCookiesOfLocalhost() {
        assertThat(after(new CookieJar(), "http://localhost:8080/login", List.of("sid=1; Path=/"),
                "http://localhost:9090/")).isEqualTo("sid=1");
        assertThat(after(new CookieJar(), "http://[::1]:8080/login", List.of("sid=1; Path=/"),
                "http://[::1]:8080/")).isNull();
    }

    /** The jar is shared by the requests fetchAll runs at once: 16 threads setting and reading lose nothing. */
    @Test
    void sixteenThreadsSettingAndReadingAtOnceLoseNoCookie() throws Exception {
        var jar = new CookieJar();
        var start = new java.util.concurrent.CountDownLatch(1);
        var threads = new ArrayList<Thread>();
        var failures = new java.util.concurrent.ConcurrentLinkedQueue<Throwable>();
        for (int t = 0; t < 16; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    URI url = URI.create("http://example.test/t" + id + "/page");
                    for (int i = 0; i < 100; i++) {
                        jar.store(url, Map.of("Set-Cookie", List.of("c" + id + "_" + i + "=" + i + "; Path=/")));
                        assertThat(jar.cookieHeader(url, null)).contains("c" + id + "_" + i + "=" + i);
                        jar.filterCookies(URI.create("http://example.test/"));
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        assertThat(jar.cookies()).hasSize(1600);
        assertThat(jar.filterCookies(URI.create("http://example.test/"))).hasSize(1600);
    }

    /**
     * An Expires date in any of the forms RFC 6265 5.1.1 reads, as aiohttp's jar does: RFC 1123, RFC 850 (a full day
     * name, a two-digit year), asctime's, with dashes; a past one deletes, a future one keeps.
     */
    @Test
    void anExpiresDateIsReadInEveryFormRfc6265Reads() {
        for (String past : List.of("Thu, 01 Jan 1970 00:00:00 GMT", "Thursday, 01-Jan-70 00:00:00 GMT",
                "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Thu, 1-Jan-1970 00:00:00 GMT")) {
            var jar = new CookieJar();
            URI url = URI.create("http://example.com/");
            jar.store(url, Map.of("Set-Cookie", List.of("a=1")));
            jar.store(url, Map.of("Set-Cookie", List.of("a=1; Expires=" + past)));
            assertThat(jar.cookies()).as(past).isEmpty();
        }
        for (String future : List.of("Wed, 21 Oct 2099 07:28:00 GMT", "Wednesday, 21-Oct-60 07:28:00 GMT",
                "Wed Oct 21 07:28:00 2099")) {
            var jar = new CookieJar();
            jar.store(URI.create("http://example.com/"), Map.of("Set-Cookie", List.of("a=1; Expires=" + future)));
            assertThat(jar.cookies()).as(future).singleElement().satisfies(c -> assertThat(c.getMaxAge())
                    .isGreaterThan(1000));
        }
    }
    /**
     * As aiohttp's jar: a {@code Domain} with a trailing dot is ignored and the cookie is its host's only. It was
     * refused, the dotted domain matching no host.
     */
    @Test
    void aDomainWithATrailingDotMakesAHostOnlyCookieAsInAiohttp() {
        var jar = new CookieJar();
        jar.store(URI.create("http://www.example.com/"), Map.of("Set-Cookie", List.of("a=1; Domain=example.com.")));
        assertThat(jar.cookieHeader(URI.create("http://www.example.com/"), null)).isEqualTo("a=1");
        assertThat(jar.cookieHeader(URI.create("http://example.com/"), null)).isNull();
        assertThat(jar.cookieHeader(URI.create("http://x.www.example.com/"), null)).isNull();
    }

    /**
     * RFC 6265 5.2.2: a {@code Max-Age} past a long's range is still a number of seconds, a negative one deleting the
     * cookie and a positive one keeping it, over a past {@code Expires} too. Both were ignored as not numbers.
     */
    @Test
    void aMaxAgePastALongsRangeStillDeletesOrKeeps() {
        var jar = new CookieJar();
        URI url = URI.create("http://example.com/");
        jar.store(url, Map.of("Set-Cookie", List.of("a=1", "b=1")));
        jar.store(url, Map.of("Set-Cookie", List.of("a=1; Max-Age=-99999999999999999999",
                "b=2; Max-Age=99999999999999999999; Expires=Thu, 01 Jan 1970 00:00:00 GMT")));
        assertThat(jar.cookieHeader(url, null)).isEqualTo("b=2");
        assertThat(jar.cookies()).singleElement().satisfies(c -> assertThat(c.getMaxAge()).isGreaterThan(1000));
    }

    /**
     * RFC 6265 5.2.1 and 5.2.3: an {@code Expires} that is not a date, or an empty {@code Domain}, is ignored, and
     * the attribute before it stands. They cancelled it: the cookie kept for the session, or for its host only.
     */
    @Test
    void anInvalidExpiresOrEmptyDomainLeavesTheEarlierOneStanding() {
        var jar = new CookieJar();
        URI url = URI.create("http://www.example.com/");
        jar.store(url, Map.of("Set-Cookie", List.of("a=1", "b=1; Domain=example.com; Domain=")));
        jar.store(url, Map.of("Set-Cookie", List.of("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Expires=soon")));
        assertThat(jar.cookieHeader(url, null)).isEqualTo("b=1");
        assertThat(jar.cookieHeader(URI.create("http://api.example.com/"), null)).isEqualTo("b=1");
    }
    /**
     * A {@code Set-Cookie} value with a control character or one that is not ASCII (not an RFC 6265 cookie-octet) is
     * ignored: kept, it made every later request of the session to that host fail, its {@code Cookie} header refused.
     */
    @Test
    void aCookieWhoseValueCannotGoInAHeaderIsIgnoredNotSentToFailTheRequest() throws Exception {
        var fake = setting(List.of("a=caf\u00e9; Path=/", "b=1; Path=/", "c=x\u0001y; Path=/"));
        try (var s = ClientSession.builder().transport(fake, true).build()) {
            Loops.run(() -> {
                s.get("http://example.test/login");
                s.get("http://example.test/");
                return null;
            });
            assertThat(cookieSent(fake, 1)).isEqualTo("b=1");
        }
        assertThatThrownBy(() -> new CookieJar().updateCookies(Map.of("a", "x\r\nX-Evil: 1"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cookie a");
        assertThatThrownBy(() -> new CookieJar().updateCookies(Map.of("a", "caf\u00e9"), URI.create("http://e.test/")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cookie a");
    }

    /**
     * A cookie expires by the wall clock, as aiohttp's jar ({@code datetime.now()}), not a loop's: {@code Max-Age}
     * seconds after it was set, at its {@code Expires} date. The clock here is the test's.
     */
    @Test
    void aCookieExpiresByTheWallClockAfterMaxAgeOrAtItsExpiresDate() {
        var now = new java.util.concurrent.atomic.AtomicReference<>(java.time.Instant.parse("2099-10-21T07:00:00Z"));
        var jar = new CookieJar(false, now::get);
        URI url = URI.create("http://example.com/");
        jar.store(url, Map.of("Set-Cookie", List.of("a=1; Max-Age=60", "b=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT")));
        assertThat(jar.cookies()).extracting(HttpCookie::getMaxAge).containsExactly(60L, 1680L);
        now.set(now.get().plusSeconds(59));
        assertThat(jar.cookieHeader(url, null)).isEqualTo("a=1; b=1");
        now.set(now.get().plusSeconds(1));
        assertThat(jar.cookieHeader(url, null)).isEqualTo("b=1");
        now.set(java.time.Instant.parse("2099-10-21T07:28:00Z"));
        assertThat(jar.cookieHeader(url, null)).isNull();
        assertThat(jar.cookies()).isEmpty();
    }

    /**
     * An IPv6 address with a zone ({@code [fe80::1%25eth0]}) is an IP address too: a safe jar refuses its cookies. Its
     * {@code %} made it a name, whose cookies were kept (aiohttp 3.8 misses it as well).
     */
    @Test
    void aSafeJarRefusesTheCookiesOfAnIpv6AddressWithAZone() {
        assertThat(after(new CookieJar(), "http://[fe80::1%25eth0]:8080/", List.of("a=1"),
                "http://[fe80::1%25eth0]:8080/")).isNull();
        assertThat(after(new CookieJar(true), "http://[fe80::1%25eth0]:8080/", List.of("a=1"),
                "http://[fe80::1%25eth0]:8080/")).isEqualTo("a=1");
    }

    // ---- save and load: aiohttp's jar.save(path) and jar.load(path), in curl's Netscape cookie file format

    private static final java.time.Instant NOW = java.time.Instant.parse("2099-10-21T07:00:00Z");

    /**
     * What a jar keeps comes back from its file as it was: domain or host only, path, Secure, HttpOnly, expiry (to
     * the second) and session cookies; the file is curl's format, line for line. The cookies for every URL (the
     * session's settings) are not saved, and the write leaves no file of its own beside the jar's.
     */
    @Test
    void aSavedJarLoadsBackAsItWasInCurlsFormat(@TempDir Path dir)
            throws Exception {
        var jar = new CookieJar(false, () -> NOW);
        jar.store(URI.create("https://www.example.com/app/page"), Map.of("Set-Cookie", List.of(
                "sid=abc; Path=/; Secure; HttpOnly", "pref=\"x y\"; Max-Age=60", "wide=1; Domain=example.com",
                "gone=1; Max-Age=0")));
        jar.updateCookies(Map.of("everywhere", "1"), null);
        var file = dir.resolve("cookies.txt");
        Files.writeString(file, "an older file");
        jar.save(file);
        assertThat(Files.readAllLines(file)).containsExactly(
                "# Netscape HTTP Cookie File", "# written by aio4j's CookieJar.save", "",
                "#HttpOnly_www.example.com\tFALSE\t/\tTRUE\t0\tsid\tabc",
                "www.example.com\tFALSE\t/app\tFALSE\t" + (NOW.getEpochSecond() + 60) + "\tpref\t\"x y\"",
                ".example.com\tTRUE\t/app\tFALSE\t0\twide\t1");
        assertThat(dir.toFile().list()).containsExactly("cookies.txt");

        var loaded = new CookieJar(false, () -> NOW);
        loaded.load(file);
        assertThat(loaded.cookies()).hasSize(3);
        for (String url : List.of("https://www.example.com/app/x", "http://www.example.com/app/x",
                "https://shop.example.com/app/", "https://www.example.com/")) {
            URI u = URI.create(url);
            assertThat(loaded.cookieHeader(u, null)).as(url).isEqualTo(jar.cookieHeader(u, null).replace(
                    "; everywhere=1", "").replace("everywhere=1", ""));
        }
        assertThat(loaded.cookies()).extracting(HttpCookie::getName, HttpCookie::getDomain, HttpCookie::getPath,
                HttpCookie::getSecure, HttpCookie::isHttpOnly, HttpCookie::getMaxAge).containsExactlyElementsOf(
                jar.cookies().stream().filter(c -> !c.getName().equals("everywhere"))
                        .map(c -> org.assertj.core.groups.Tuple.tuple(c.getName(), c.getDomain(), c.getPath(),
                                c.getSecure(), c.isHttpOnly(), c.getMaxAge())).toList());
    }

    /**
     * A file curl wrote ({@code curl -c}) loads: its comments skipped, {@code #HttpOnly_} read as HttpOnly, a cookie
     * already expired left out; the jar's cookies from before are replaced, those for every URL kept.
     */
    @Test
    void aCurlCookieFileLoadsInPlaceOfTheJarsCookies(@TempDir Path dir)
            throws Exception {
        var file = dir.resolve("curl.txt");
        Files.writeString(file, String.join("\n",
                "# Netscape HTTP Cookie File", "# https://curl.se/docs/http-cookies.html",
                "# This file was generated by libcurl! Edit at your own risk.", "",
                "#HttpOnly_localhost\tFALSE\t/\tFALSE\t0\tsession\tabc",
                ".example.org\tTRUE\t/docs\tTRUE\t" + (NOW.getEpochSecond() + 3600) + "\tlang\ten",
                "example.org\tFALSE\t/\tFALSE\t" + (NOW.getEpochSecond() - 1) + "\texpired\t1", ""));
        var jar = new CookieJar(false, () -> NOW);
        jar.store(URI.create("http://before.test/"), Map.of("Set-Cookie", List.of("old=1")));
        jar.updateCookies(Map.of("everywhere", "1"), null);
        jar.load(file);
        assertThat(jar.cookieHeader(URI.create("http://localhost:8080/"), null)).isEqualTo("session=abc; everywhere=1");
        assertThat(jar.cookieHeader(URI.create("https://www.example.org/docs/a"), null))
                .isEqualTo("lang=en; everywhere=1");
        assertThat(jar.cookieHeader(URI.create("http://www.example.org/docs/a"), null)).isEqualTo("everywhere=1");
        assertThat(jar.cookieHeader(URI.create("http://before.test/"), null)).isEqualTo("everywhere=1");
        assertThat(jar.cookies()).filteredOn(HttpCookie::isHttpOnly).extracting(HttpCookie::getName)
                .containsExactly("session");
    }

    /**
     * A line that is not a cookie fails the load, naming the file, the line and what is wrong; the jar is as it was.
     */
    @Test
    void aLineThatIsNotACookieFailsTheLoadAndLeavesTheJarAsItWas(@TempDir Path dir)
            throws Exception {
        var jar = new CookieJar(false, () -> NOW);
        jar.store(URI.create("http://before.test/"), Map.of("Set-Cookie", List.of("old=1")));
        var file = dir.resolve("bad.txt");
        String good = "example.org\tFALSE\t/\tFALSE\t0\ta\t1";
        Map<String, String> bad = Map.of(
                "example.org\tFALSE\t/\tFALSE\t0\tb", "expected 7 fields separated by tabs",
                "example.org\tmaybe\t/\tFALSE\t0\tb\t1", "subdomains must be TRUE or FALSE, got 'maybe'",
                "example.org\tFALSE\t/\tFALSE\tsoon\tb\t1", "expiry 'soon' is not a number of seconds",
                "example.org\tFALSE\tdocs\tFALSE\t0\tb\t1", "path 'docs' does not start with /",
                "\tFALSE\t/\tFALSE\t0\tb\t1", "empty domain",
                "example.org\tFALSE\t/\tFALSE\t0\tb c\t1", "cookie name 'b c' is not valid",
                "example.org\tFALSE\t/\tFALSE\t0\tb\t1;2", "value of cookie b cannot go in a Cookie header");
        for (var line : bad.entrySet()) {
            Files.writeString(file, "# Netscape HTTP Cookie File\n" + good + "\n" + line.getKey() + "\n");
            assertThatThrownBy(() -> jar.load(file)).as(line.getKey()).isInstanceOf(java.io.IOException.class)
                    .hasMessageStartingWith(file + ":3: not a cookie of a Netscape cookie file: ")
                    .hasMessageContaining(line.getValue());
            assertThat(jar.cookies()).extracting(HttpCookie::getName).containsExactly("old");
        }
        assertThatThrownBy(() -> jar.load(dir.resolve("missing.txt"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> jar.save(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("file must not be null");
    }

    /** A Path with a control character is no Path (RFC 6265 4.1.1): the default path, and a line save can write. */
    @Test
    void aPathWithAControlCharacterIsIgnored() {
        var jar = new CookieJar(false, () -> NOW);
        jar.store(URI.create("http://example.com/docs/page"), Map.of("Set-Cookie", List.of("a=1; Path=/x\ty")));
        assertThat(jar.cookies()).extracting(HttpCookie::getPath).containsExactly("/docs");
    }

    /** A dummy jar saves a file without cookies and loads one without keeping any, as it keeps nothing else. */
    @Test
    void aDummyJarSavesAndLoadsNothing(@TempDir Path dir) throws Exception {
        var file = dir.resolve("c.txt");
        Files.writeString(file, "example.org\tFALSE\t/\tFALSE\t0\ta\t1\n");
        var dummy = CookieJar.dummy();
        dummy.load(file);
        assertThat(dummy.cookies()).isEmpty();
        dummy.save(file);
        assertThat(Files.readAllLines(file)).noneMatch(l -> l.contains("\t"));
    }
}
