package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every recipe prints exactly what CPython prints for the same program, every run. */
class CookbookTest {

    private static Map<String, List<String>> reference;

    @BeforeAll
    static void load() throws Exception {
        reference = ReferenceOutput.sections();
    }

    /**
     * The recipes, the {@code queue} recipe's fetches held to the seed's order ({@link SeedOrder}): the demo server's
     * latencies order them on the real clock (under a virtual clock too), 100 ms apart at scale 0.05, which a loaded
     * machine may upset.
     */
    static Stream<Recipe> recipes() {
        return Cookbook.recipes().stream().map(SeedOrder::steady);
    }

    private static List<String> run(Recipe recipe, Options options) throws Exception {
        var bytes = new ByteArrayOutputStream();
        try (var out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            recipe.run(options, out);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /**
     * {@code ./aio4j recipe all} prints CPython's whole output, each section under its header, in its order: the tests
     * below check each recipe against its own section, and none checked that every section of the seed has a recipe
     * (the cookbook could lose one and stay green).
     */
    @Test
    void recipeAllPrintsTheWholeReferenceOutput() throws Exception {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"recipe", "all", "--virtual-time"}, recipes().toList(),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(status).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactlyElementsOf(ReferenceOutput.lines());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void printsTheReferenceSectionOnTheRealClock(Recipe recipe) throws Exception {
        assertThat(reference).containsKey(recipe.name());
        for (int run = 0; run < 3; run++) {
            assertThat(run(recipe, new Options(0.05, false))).as("run %d", run)
                    .containsExactlyElementsOf(reference.get(recipe.name()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void printsTheReferenceSectionOnTheVirtualClockAtFullScale(Recipe recipe) throws Exception {
        assertThat(run(recipe, new Options(1, true))).containsExactlyElementsOf(reference.get(recipe.name()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void printsTheReferenceSectionWithNoSleepAtAll(Recipe recipe) throws Exception {
        // scale 0: every sleep is sleep(0); the order must still come from the loop's FIFO rules alone
        List<String> lines = run(recipe, new Options(0, true));
        assertThat(lines).containsExactlyInAnyOrderElementsOf(reference.get(recipe.name()));
    }
}
