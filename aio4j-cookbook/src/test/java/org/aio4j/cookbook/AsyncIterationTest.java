package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.aio4j.Aio;
import org.junit.jupiter.api.Test;

/** Recipe 9 keeps the seed's structure: each {@code __anext__} offloads a blocking fetch and awaits it. */
class AsyncIterationTest {

    /** Whether the calling thread runs a task of some loop. */
    private static boolean onALoop() {
        try {
            Aio.getRunningLoop();
            return true;
        } catch (IllegalStateException noLoop) {
            return false;
        }
    }

    @Test
    void eachUrlIsFetchedByABlockingCallOffTheLoopOneAfterTheOther() throws Exception {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        var recipe = new AsyncIteration(real -> url -> {
            events.add("start " + url + (onALoop() ? " on the loop" : " offloaded"));
            String got = real.get(url);
            events.add("end " + url);
            return got;
        });
        var bytes = new ByteArrayOutputStream();
        try (var out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            recipe.run(new Options(0.01, false), out);
        }
        assertThat(events).containsExactly("start /a offloaded", "end /a", "start /b offloaded", "end /b",
                "start /c offloaded", "end /c");
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).containsExactly("/a", "/b", "/c");
    }

    @Test
    void aFailedFetchSurfacesAtItsUrlAndEndsTheIteration() throws Exception {
        var failure = new IOException("GET /b: HTTP status 500");
        var pages = new AsyncIteration.UrlFetches(url -> {
            if (url.equals("/b")) {
                throw failure;
            }
            return url;
        }, List.of("/a", "/b", "/c"));
        List<String> seen = Aio.run(() -> {
            List<String> got = new ArrayList<>();
            assertThat(pages.hasNext()).isTrue();
            got.add(pages.next());
            assertThatThrownBy(pages::hasNext).isInstanceOf(CompletionException.class).hasCause(failure);
            assertThat(pages.hasNext()).as("exhausted after a failure").isFalse();
            return got;
        });
        assertThat(seen).containsExactly("/a");
    }
}
