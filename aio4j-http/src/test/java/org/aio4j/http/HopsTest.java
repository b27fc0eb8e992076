package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** How a redirect's {@code Location} becomes the next hop's URL: RFC 3986 5.2, as aiohttp's yarl joins URLs. */
class HopsTest {

    /** RFC 3986 5.4's examples, normal and abnormal, against its base {@code http://a/b/c/d;p?q}. */
    @Test
    void resolvesAsRfc3986sExamples() throws Exception {
        URI base = new URI("http://a/b/c/d;p?q");
        String[][] cases = {
            {"g", "http://a/b/c/g"}, {"./g", "http://a/b/c/g"}, {"g/", "http://a/b/c/g/"}, {"/g", "http://a/g"},
            {"//g", "http://g/"}, {"?y", "http://a/b/c/d;p?y"}, {"g?y", "http://a/b/c/g?y"},
            {"#s", "http://a/b/c/d;p?q#s"}, {"g#s", "http://a/b/c/g#s"}, {"g?y#s", "http://a/b/c/g?y#s"},
            {";x", "http://a/b/c/;x"}, {"g;x", "http://a/b/c/g;x"}, {".", "http://a/b/c/"}, {"./", "http://a/b/c/"},
            {"..", "http://a/b/"}, {"../", "http://a/b/"}, {"../g", "http://a/b/g"}, {"../..", "http://a/"},
            {"../../", "http://a/"}, {"../../g", "http://a/g"},
            {"../../../g", "http://a/g"}, {"../../../../g", "http://a/g"}, {"/./g", "http://a/g"},
            {"/../g", "http://a/g"}, {"g.", "http://a/b/c/g."}, {".g", "http://a/b/c/.g"}, {"g..", "http://a/b/c/g.."},
            {"..g", "http://a/b/c/..g"}, {"./../g", "http://a/b/g"}, {"./g/.", "http://a/b/c/g/"},
            {"g/./h", "http://a/b/c/g/h"}, {"g/../h", "http://a/b/c/h"}, {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
            {"g;x=1/../y", "http://a/b/c/y"}, {"https://h/x/../y", "https://h/y"},
        };
        for (String[] c : cases) {
            assertThat(Hops.resolve(base, new URI(c[0]))).as(c[0]).hasToString(c[1]);
        }
        assertThat(Hops.resolve(new URI("http://h"), new URI("b"))).hasToString("http://h/b");
        assertThat(Hops.resolve(new URI("http://h/a%20b/c"), new URI("d%2Fe"))).hasToString("http://h/a%20b/d%2Fe");
    }

    /** The ASCII a URI cannot hold is percent-encoded; what is encoded already, and what is not ASCII, is kept. */
    @Test
    void requotesWhatAUriCannotHold() {
        assertThat(Hops.requote("/a b|c")).isEqualTo("/a%20b%7Cc");
        assertThat(Hops.requote("/caf\u00e9?x={1}")).isEqualTo("/caf\u00e9?x=%7B1%7D"); // a URI holds the é
        assertThat(Hops.requote("/x\ty")).isEqualTo("/x%09y");
        assertThat(Hops.requote("/already%20encoded")).isEqualTo("/already%20encoded");
    }
}
