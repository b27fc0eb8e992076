package org.aio4j;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * {@link AsyncIterator#chunked}: lists of n consecutive items. A failure of the upstream while a list is being filled
 * is held back until the partial list has been delivered, so that no item is lost; if the iterator is closed while
 * it still holds that failure, the failure is reported to the loop's exception handler
 * ({@link Failures#reportUnreceived}); if its consumer ends without closing it, when the loop closes
 * ({@link Failures.Held}). A refused close (the upstream refuses it, see {@link AsyncGenerator#aclose()})
 * changes nothing: the list held stays for the consumer.
 */
final class Chunked<T> implements AsyncIterator<List<T>>, Derived {

    private final AsyncIterator<T> upstream;
    private final int size;
    private List<T> chunk;
    private Failures.Held heldFailure;

    Chunked(AsyncIterator<T> upstream, int size) {
        this.upstream = upstream;
        this.size = size;
    }

    @Override
    public boolean hasNext() {
        if (chunk != null) {
            return true;
        }
        if (heldFailure != null) {
            Failures.Held f = heldFailure;
            heldFailure = null;
            throw f.take();
        }
        List<T> filling = new ArrayList<>(Math.min(size, 1024));
        try {
            while (filling.size() < size && upstream.hasNext()) {
                filling.add(upstream.next());
            }
        } catch (RuntimeException | Error e) {
            if (Task.interruptsCurrentTask(e)) {
                // The consumer's own interruption: it leaves now, not after one more chunk. The partial list stays
                // for a consumer that catches the interruption and goes on.
                if (!filling.isEmpty()) {
                    chunk = filling;
                }
                throw e;
            }
            if (filling.isEmpty()) {
                throw e;
            }
            // the upstream's failure: after the items read before it
            heldFailure = new Failures.Held(name(), e);
        }
        if (filling.isEmpty()) {
            return false;
        }
        chunk = filling;
        return true;
    }

    @Override
    public List<T> next() {
        if (!hasNext()) {
            throw new NoSuchElementException("chunked(): async iterator is exhausted");
        }
        List<T> c = chunk;
        chunk = null;
        return c;
    }

    @Override
    public void aclose() {
        AsyncGenerator.closeUpstream(upstream, this::drop);
    }

    /** What the closed iterator held goes: the list not taken is dropped, the failure not thrown is reported. */
    private void drop() {
        chunk = null;
        Failures.Held unreceived = heldFailure;
        heldFailure = null;
        if (unreceived != null) {
            unreceived.drop();
        }
    }

    private String name() {
        return "chunked(" + size + ")";
    }

    @Override
    public AsyncIterator<?> upstream() {
        return upstream;
    }

    @Override
    public String toString() {
        return "chunked(" + size + ", " + upstream + ")";
    }
}
