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

    /*
     * async def main():
     *     c = asyncio.Condition()
     *     out = []
     *     async def a():
     *         async with c:
     *             try:
     *                 await c.wait()
     *             except asyncio.CancelledError:
     *                 out.append("a cancelled, holds the lock")
     *     async def locker(name):
     *         async with c:
     *             out.append(f"{name} has the lock")
     *             await asyncio.sleep(0)
     *     ta = asyncio.create_task(a())
     *     await asyncio.sleep(0)          # a waits on the condition
     *     await c.acquire()
     *     asyncio.create_task(locker("b"))
     *     await asyncio.sleep(0)          # b waits for the lock
     *     c.notify()
     *     c.release()                     # b's turn; a is woken and queues for the lock behind b
     *     await asyncio.sleep(0)
     *     asyncio.create_task(locker("d"))
     *     await asyncio.sleep(0)          # d queues for the lock behind a
     *     ta.cancel()                     # a's lock wait is cancelled: it waits again, now behind d
     *     for _ in range(6):
     *         await asyncio.sleep(0)
     *     print(out)
     *
     * CPython 3.13: ['b has the lock', 'd has the lock', 'a cancelled, holds the lock']
     */
    @Test
    void aConditionWaiterCancelledWhileItReacquiresTheLockQueuesAgainAtTheBack() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var c = new Condition();
            Task<Void> a = Aio.createTask(() -> {
                try (var _ = c.acquire()) {
                    try {
                        c.await();
                    } catch (CancellationException e) {
                        out.add("a cancelled, " + (c.locked() ? "holds the lock" : "without the lock"));
                    }
                }
            });
            Aio.sleep(0);
            c.acquire();
            Aio.createTask(() -> locker(c, "b", out));
            Aio.sleep(0);
            c.signal();
            c.release();
            Aio.sleep(0);
            Aio.createTask(() -> locker(c, "d", out));
            Aio.sleep(0);
            a.cancel();
            yieldTimes(6);
            return null;
        });
        assertThat(out).containsExactly("b has the lock", "d has the lock", "a cancelled, holds the lock");
    }

    private static void locker(Condition c, String name, List<String> out) {
        try (var _ = c.acquire()) {
            out.add(name + " has the lock");
            Aio.sleep(0);
        }
    }
}
