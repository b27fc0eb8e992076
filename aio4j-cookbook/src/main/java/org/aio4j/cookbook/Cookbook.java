package org.aio4j.cookbook;

import java.util.List;
import java.util.Optional;

/** The recipes, in the seed's order (the order of the reference output). */
public final class Cookbook {

    private static final List<Recipe> RECIPES = List.of(
            new Basic(),
            new TwoTasks(),
            new Gather(),
            new Wait(),
            new QueueExecution(),
            new LimitedParallel(),
            new Callback(),
            new AsyncIteration(),
            new ByProcess());

    private Cookbook() {
    }

    /** Every recipe, in the seed's order. */
    public static List<Recipe> recipes() {
        return RECIPES;
    }

    /** The recipe called {@code name}, if there is one. */
    public static Optional<Recipe> find(String name) {
        return RECIPES.stream().filter(r -> r.name().equals(name)).findFirst();
    }
}
