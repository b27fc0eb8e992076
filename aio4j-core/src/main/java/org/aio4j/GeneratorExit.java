package org.aio4j;

import java.util.concurrent.CancellationException;

/**
 * Thrown into an {@linkplain AsyncGenerator async generator}'s body at its {@code emit} when the generator is closed
 * early: Python's {@code GeneratorExit}, raised at the {@code yield} by {@code aclose()}.
 *
 * <p>It is a {@link CancellationException}, so a body that cleans up on cancellation cleans up on close too. The
 * body should let it propagate (its {@code finally} blocks run, and may suspend); it may also catch it and return.
 * Emitting again after catching it is an error ({@link IllegalStateException}, Python's "async generator ignored
 * GeneratorExit"). {@link AsyncGenerator#aclose()} does not rethrow it.
 */
public final class GeneratorExit extends CancellationException {

    private static final long serialVersionUID = 1L;

    GeneratorExit() {
        super("async generator closed (GeneratorExit)");
    }
}
