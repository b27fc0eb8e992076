package org.aio4j;

import java.util.List;

/**
 * An operator written as an {@link AsyncGenerator} body over upstream iterators, with helper tasks. However the body
 * ends (exhausted, failed, closed, cancelled), its helper tasks are cancelled and awaited and its upstreams closed
 * before the generator is done. Closing the stage closes the generator and then the upstreams, even when the body
 * never started, so that closing a pipeline always reaches its sources.
 */
final class GeneratorStage<T> implements AsyncIterator<T> {

    /** The body of an operator: emits into {@code out}, may start helper tasks with {@code helpers}. */
    @FunctionalInterface
    interface Body<T> {
        void run(AsyncGenerator.Emitter<T> out, HelperTasks helpers) throws Exception;
    }

    private final String name;
    private final AsyncGenerator<T> generator;
    private final List<? extends AsyncIterator<?>> upstreams;

    GeneratorStage(String name, Body<T> body, List<? extends AsyncIterator<?>> upstreams) {
        this.name = name;
        this.generator = AsyncGenerator.of(out -> runBody(body, out));
        this.upstreams = upstreams;
    }

    private void runBody(Body<T> body, AsyncGenerator.Emitter<T> out) throws Exception {
        var helpers = new HelperTasks(Aio.runningLoop());
        Throwable primary = null;
        try {
            body.run(out, helpers);
        } catch (Throwable e) {
            primary = e;
            throw e;
        } finally {
            Throwable closeFailure = closeAll(upstreams, helpers.cancelAndAwait(primary));
            if (closeFailure != null) {
                if (primary == null || primary instanceof GeneratorExit) {
                    throw Failures.asException(closeFailure);
                }
                Failures.combine(primary, closeFailure);
            }
        }
    }

    @Override
    public boolean hasNext() {
        return generator.hasNext();
    }

    @Override
    public T next() {
        return generator.next();
    }

    @Override
    public void aclose() {
        if (generator.isCreated()) {
            // Never started: closing it marks the generator closed (which no caller is refused) and closes the
            // upstreams. If one of them would refuse the close, nothing is closed, the stage included: a refused
            // close changes nothing, and the consumer still gets every item.
            checkClosable();
        }
        Throwable failure = null;
        try {
            generator.aclose();
        } catch (RuntimeException e) {
            if (!generator.isClosed()) {
                // Refused before anything ran (the body runs in another task, or the caller is no task of the
                // generator's loop), as Python's aclose() of a running generator: nothing else is closed either,
                // or a pump of the loop would find its upstream closed under it and end the stream early.
                throw e;
            }
            failure = e;
        }
        failure = closeAll(upstreams, failure);
        if (failure != null) {
            throw Failures.unchecked(failure);
        }
    }

    /** Throws what {@link #aclose()} would be refused with now: see {@link AsyncGenerator#checkClosable}. */
    void checkClosable() {
        if (generator.isCreated()) {
            upstreams.forEach(AsyncGenerator::checkClosable);
        } else {
            AsyncGenerator.checkClosable(generator);
        }
    }

    /** Whether an {@code aclose()} that threw was refused: see {@link AsyncGenerator#refusedClose}. */
    boolean refusedClose() {
        return !generator.isClosed();
    }

    /**
     * Frees the stage's own generator and its upstreams' from the task that drove them last: see
     * {@link AsyncGenerator#release}.
     */
    void release() {
        AsyncGenerator.release(generator);
        upstreams.forEach(AsyncGenerator::release);
    }

    /** Closes every iterator; returns {@code failure}, or the first close failure, with the others suppressed. */
    static Throwable closeAll(List<? extends AsyncIterator<?>> iterators, Throwable failure) {
        for (AsyncIterator<?> it : iterators) {
            try {
                it.aclose();
            } catch (RuntimeException e) {
                failure = Failures.combine(failure, e);
            }
        }
        return failure;
    }

    @Override
    public String toString() {
        return name + "[" + generator + "]";
    }
}
