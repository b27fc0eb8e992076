package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * Queues and synchronisation primitives interleave as under CPython: each test is the Java mirror of the Python
 * program quoted above it, and expects the output CPython 3.13 printed for it.
 */
class PrimitivesCPythonTest {

    private static void yieldTimes(int n) {
        for (int i = 0; i < n; i++) {
            Aio.sleep(0);
        }
    }

    /*
     * async def main():
     *     b = asyncio.Barrier(4)
     *     out = []
     *     async def w(name):
     *         try:
     *             out.append(f"{name} index {await b.wait()}")
     *         except asyncio.CancelledError:
     *             out.append(f"{name} cancelled")
     *     a = asyncio.create_task(w("a"))
     *     for n in "bc":
     *         asyncio.create_task(w(n))
     *     await asyncio.sleep(0)
     *     a.cancel()
     *     for _ in range(3):
     *         await asyncio.sleep(0)
     *     for n in "de":
     *         asyncio.create_task(w(n))
     *     for _ in range(3):
     *         await asyncio.sleep(0)
     *     print(out)
     *
     * CPython 3.13: ['a cancelled', 'e index 3', 'c index 2', 'b index 1', 'd index 2']
     * (a's wait() on the barrier's Condition wakes b as it leaves; b finds the barrier still filling and waits again,
     * now behind c, so the phase releases c before b.)
     */
    @Test
    void aCancelledBarrierWaiterSendsTheNextOneToTheBackAsAsyncioDoes() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var b = new Barrier(4);
            List<Task<Void>> tasks = new ArrayList<>();
            for (String name : List.of("a", "b", "c")) {
                tasks.add(Aio.createTask(() -> barrierWaiter(b, name, out)));
            }
            Aio.sleep(0);
            tasks.get(0).cancel();
            yieldTimes(3);
            for (String name : List.of("d", "e")) {
                Aio.createTask(() -> barrierWaiter(b, name, out));
            }
            yieldTimes(3);
            return null;
        });
        assertThat(out).containsExactly("a cancelled", "e index 3", "c index 2", "b index 1", "d index 2");
    }

    private static void barrierWaiter(Barrier b, String name, List<String> out) throws Exception {
        try {
            out.add(name + " index " + b.await());
        } catch (CancellationException e) {
            out.add(name + " cancelled");
        }
    }
}
