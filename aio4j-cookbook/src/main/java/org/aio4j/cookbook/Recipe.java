package org.aio4j.cookbook;

import java.io.PrintStream;

/**
 * One entry of the cookbook: a recipe of the seed ("référence inverse asyncio") written with aio4j.
 *
 * <p>A recipe prints the lines CPython prints for the same program (see {@code seed_recipes.expected.txt}), with the
 * seed's sleeps multiplied by {@link Options#scale()}.
 */
public interface Recipe {

    /** The recipe's name: its section name in the reference output. */
    String name();

    /** One line saying what need the recipe answers. */
    String summary();

    /**
     * Runs the recipe and prints its lines.
     *
     * @param options how to run it (time scale, virtual clock)
     * @param out     where to print
     */
    void run(Options options, PrintStream out) throws Exception;
}
