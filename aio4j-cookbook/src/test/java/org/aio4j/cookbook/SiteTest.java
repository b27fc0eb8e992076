package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.aio4j.Aio;
import org.aio4j.http.DemoServer;
import org.junit.jupiter.api.Test;

/** Where the network recipes fetch from: their own demo server, or a site named by AIO4J_BASE_URL. */
class SiteTest {

    @Test
    void withoutABaseUrlTheRecipeStartsAndStopsItsOwnDemoServer() throws Exception {
        DemoServer server;
        try (Site site = Site.open(new Options(0.01, false), null)) {
            server = site.server();
            assertThat(site.http().baseUrl()).isEqualTo(server.baseUrl());
            assertThat(server.secondsPerUnit()).isEqualTo(0.01);
            assertThat(Aio.run(() -> site.http().get("/b").text())).isEqualTo("/b");
        }
        assertThat(server.toString()).startsWith("DemoServer[closed");
        try (Site virtual = Site.open(new Options(1, true), " ")) {
            assertThat(virtual.server().secondsPerUnit()).as("real latencies under a virtual clock").isEqualTo(0.05);
        }
    }

    @Test
    void aBaseUrlPointsTheRecipesAtAnotherSite() throws Exception {
        try (DemoServer elsewhere = DemoServer.start(0, 0);
             Site site = Site.open(new Options(1, false), elsewhere.baseUrl() + "/delay/")) {
            assertThat(site.server()).isNull();
            List<String> pages = Aio.run(() -> List.of(site.http().get("/0").text(), site.http().get("/0.5").text()));
            assertThat(pages).containsExactly("/delay/0", "/delay/0.5");
            assertThat(elsewhere.requests()).isEqualTo(2);
        }
    }

    /**
     * A base URL that names no site is refused before any recipe runs, in one line: it was found by the fourth recipe
     * of {@code all}, as 'recipe failed:' and a stack trace.
     */
    @Test
    void aBaseUrlThatIsNoneIsRefusedBeforeAnyRecipeRuns() throws Exception {
        var builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "recipe", "all", "--virtual-time",
                "--scale", "0.01");
        builder.environment().put(Site.BASE_URL_VARIABLE, "not-a-url");
        Process p = builder.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // nothing, or the recipes
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isEqualTo(2);
        assertThat(out).isEmpty();
        assertThat(err).isEqualTo("aio4j: $AIO4J_BASE_URL: base URL must be an absolute http(s) URL, got 'not-a-url';"
                + " unset it to fetch from the demo server\n");
    }
}
