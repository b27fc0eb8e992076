package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
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

    /*
     * async def main():
     *     c = asyncio.Condition()
     *     out = []
     *     async def w(name):
     *         async with c:
     *             try:
     *                 await c.wait()
     *                 out.append(f"{name} woke")
     *             except asyncio.CancelledError:
     *                 out.append(f"{name} cancelled")
     *     tasks = [asyncio.create_task(w(n)) for n in ("w1", "w2", "w3")]
     *     await asyncio.sleep(0)
     *     tasks[0].cancel()               # w1 is cancelled without being notified...
     *     async with c:
     *         c.notify(1)                 # ...the one notification goes to w2
     *     for _ in range(4):
     *         await asyncio.sleep(0)
     *     print(out)
     *
     * CPython 3.13: ['w1 cancelled', 'w2 woke', 'w3 woke']
     * (a waiter leaving wait() with an exception notifies one more, whether it was notified or not)
     */
    @Test
    void aConditionWaiterCancelledWithoutASignalStillWakesTheNextOne() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var c = new Condition();
            List<Task<Void>> tasks = new ArrayList<>();
            for (String name : List.of("w1", "w2", "w3")) {
                tasks.add(Aio.createTask(() -> {
                    try (var _ = c.acquire()) {
                        try {
                            c.await();
                            out.add(name + " woke");
                        } catch (CancellationException e) {
                            out.add(name + " cancelled");
                        }
                    }
                }));
            }
            Aio.sleep(0);
            tasks.get(0).cancel();
            try (var _ = c.acquire()) {
                c.signal(1);
            }
            yieldTimes(4);
            return null;
        });
        assertThat(out).containsExactly("w1 cancelled", "w2 woke", "w3 woke");
    }

    /*
     * async def main():
     *     loop = asyncio.get_running_loop()
     *     c = asyncio.Condition()
     *     out = []
     *     async def holder():
     *         async with c:
     *             c.notify()
     *             await asyncio.sleep(5)
     *             out.append(f"holder releases at {loop.time() - t0:.0f}")
     *     t0 = loop.time()
     *     try:
     *         async with asyncio.timeout(1):
     *             async with c:
     *                 asyncio.create_task(holder())
     *                 try:
     *                     await c.wait()   # notified at once, then waits for the lock, which the holder keeps till 5
     *                 finally:
     *                     out.append(f"lock held: {c.locked()} at {loop.time() - t0:.0f}")
     *     except TimeoutError:
     *         out.append(f"TimeoutError at {loop.time() - t0:.0f}")
     *     print(out)
     *
     * CPython 3.13: ['holder releases at 5', 'lock held: True at 5', 'TimeoutError at 5']
     */
    @Test
    void aTimeoutExpiringWhileAConditionWaiterReacquiresTheLockIsATimeoutOnceItHoldsIt() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            var c = new Condition();
            try (var t = Aio.timeout(Duration.ofSeconds(1))) {
                try (var _ = c.acquire()) {
                    signalAndHold(c, () -> {
                        Aio.sleep(5);
                        out.add("holder releases at " + Math.round(loop.time()));
                    });
                    try {
                        c.await();
                    } finally {
                        out.add("lock held: " + c.locked() + " at " + Math.round(loop.time()));
                    }
                }
            } catch (TimeoutCancellationException e) {
                out.add((e.isTimeout() ? "TimeoutError" : "cancelled") + " at " + Math.round(loop.time()));
            }
            return null;
        });
        assertThat(out).containsExactly("holder releases at 5", "lock held: true at 5", "TimeoutError at 5");
    }

    /*
     * async def main():
     *     c = asyncio.Condition()
     *     out = []
     *     async def holder():
     *         async with c:
     *             c.notify()
     *             for _ in range(3):
     *                 await asyncio.sleep(0)
     *             out.append("holder releases")
     *     async def waiter():
     *         async with c:
     *             asyncio.create_task(holder())
     *             try:
     *                 await c.wait()
     *             except asyncio.CancelledError as e:
     *                 out.append(f"cancelled {e.args[0]!r}, cancelling={asyncio.current_task().cancelling()},"
     *                            f" lock held: {c.locked()}")
     *     t = asyncio.create_task(waiter())
     *     await asyncio.sleep(0)
     *     await asyncio.sleep(0)          # waiter notified, waits for the lock
     *     t.cancel("one")
     *     await asyncio.sleep(0)          # waiter catches it and waits for the lock again
     *     t.cancel("two")
     *     for _ in range(6):
     *         await asyncio.sleep(0)
     *     print(out)
     *
     * CPython 3.13: ['holder releases', "cancelled 'two', cancelling=2, lock held: True"]
     */
    @Test
    void aConditionWaiterCancelledTwiceWhileItReacquiresTheLockThrowsTheLastCancellation() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var c = new Condition();
            Task<Void> t = Aio.createTask(() -> {
                try (var _ = c.acquire()) {
                    signalAndHold(c, () -> {
                        yieldTimes(3);
                        out.add("holder releases");
                    });
                    try {
                        c.await();
                    } catch (CancellationException e) {
                        out.add("cancelled '" + e.getMessage() + "', cancelling=" + Aio.currentTask().cancelling()
                                + ", lock held: " + c.locked());
                    }
                }
            });
            yieldTimes(2);
            t.cancel("one");
            Aio.sleep(0);
            t.cancel("two");
            yieldTimes(6);
            return null;
        });
        assertThat(out).containsExactly("holder releases", "cancelled 'two', cancelling=2, lock held: true");
    }

    /** Starts asyncio's {@code holder()}: takes the condition's lock, signals, and keeps the lock while it holds. */
    private static void signalAndHold(Condition c, VoidCoroutine hold) {
        Aio.createTask(() -> {
            try (var _ = c.acquire()) {
                c.signal();
                hold.run();
            }
        });
    }

    /*
     * async def run(then):
     *     b = asyncio.Barrier(2)
     *     out = []
     *     async def w(name):
     *         try:
     *             out.append(f"{name} index {await b.wait()}")
     *         except asyncio.BrokenBarrierError:
     *             out.append(f"{name} broken")
     *     async def last():
     *         out.append(f"b index {await b.wait()}")    # releases a, which has not run yet
     *         await getattr(b, then)()
     *         out.append(f"b {then}")
     *     asyncio.create_task(w("a"))
     *     await asyncio.sleep(0)
     *     asyncio.create_task(last())
     *     asyncio.create_task(w("c"))                    # arrives while the barrier drains
     *     for _ in range(4):
     *         await asyncio.sleep(0)
     *     out.append(f"broken={b.broken} n_waiting={b.n_waiting}")
     *     print(out)
     *
     * asyncio.run(run("abort")); asyncio.run(run("reset"))
     * CPython 3.13: ['b index 1', 'b abort', 'c broken', 'a broken', 'broken=True n_waiting=0']
     *               ['b index 1', 'b reset', 'a broken', 'broken=False n_waiting=1']
     */
    @Test
    void aBarrierAbortedOrResetWhileItDrainsBreaksTheTasksItHadReleased() throws Exception {
        assertThat(abortOrResetWhileDraining(true))
                .containsExactly("b index 1", "b abort", "c broken", "a broken", "broken=true n_waiting=0");
        assertThat(abortOrResetWhileDraining(false))
                .containsExactly("b index 1", "b reset", "a broken", "broken=false n_waiting=1");
    }

    private static List<String> abortOrResetWhileDraining(boolean abort) throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var b = new Barrier(2);
            Aio.createTask(() -> brokenBarrierWaiter(b, "a", out));
            Aio.sleep(0);
            Aio.createTask(() -> {
                out.add("b index " + b.await());
                if (abort) {
                    b.abort();
                } else {
                    b.reset();
                }
                out.add(abort ? "b abort" : "b reset");
                return null;
            });
            Task<Void> c = Aio.createTask(() -> brokenBarrierWaiter(b, "c", out));
            yieldTimes(4);
            out.add("broken=" + b.broken() + " n_waiting=" + b.nWaiting());
            c.cancel(); // still waiting after the reset
            return null;
        });
        return out;
    }

    private static void brokenBarrierWaiter(Barrier b, String name, List<String> out) {
        try {
            out.add(name + " index " + b.await());
        } catch (BrokenBarrierException e) {
            out.add(name + " broken");
        }
    }

    /*
     * async def main():
     *     b = asyncio.Barrier(2)
     *     out = []
     *     async def w(name):
     *         try:
     *             out.append(f"{name} index {await b.wait()}")
     *         except asyncio.CancelledError:
     *             out.append(f"{name} cancelled")
     *     asyncio.create_task(w("a"))
     *     await asyncio.sleep(0)
     *     tasks = [asyncio.create_task(w(n)) for n in "bcde"]
     *     await asyncio.sleep(0)          # b releases a; c, d, e wait for the barrier to drain
     *     tasks[1].cancel()
     *     for _ in range(4):
     *         await asyncio.sleep(0)
     *     print(out, b.n_waiting)
     *
     * CPython 3.13: ['b index 1', 'a index 0', 'c cancelled', 'e index 1', 'd index 0'] 0
     */
    @Test
    void aTaskCancelledWhileTheBarrierDrainsLeavesTheNextPhaseToTheOthers() throws Exception {
        List<String> out = new ArrayList<>();
        int[] nWaiting = {-1};
        TestLoops.runVirtual(() -> {
            var b = new Barrier(2);
            Aio.createTask(() -> barrierWaiter(b, "a", out));
            Aio.sleep(0);
            List<Task<Void>> tasks = new ArrayList<>();
            for (String name : List.of("b", "c", "d", "e")) {
                tasks.add(Aio.createTask(() -> barrierWaiter(b, name, out)));
            }
            Aio.sleep(0);
            tasks.get(1).cancel();
            yieldTimes(4);
            nWaiting[0] = b.nWaiting();
            return null;
        });
        assertThat(out).containsExactly("b index 1", "a index 0", "c cancelled", "e index 1", "d index 0");
        assertThat(nWaiting[0]).isZero();
    }

    /*
     * async def main():
     *     lock = asyncio.Lock()
     *     out = []
     *     async def w(name):
     *         try:
     *             async with lock:
     *                 out.append(f"{name} acquired")
     *         except asyncio.CancelledError:
     *             out.append(f"{name} cancelled")
     *     async def ticker():
     *         for i in range(3):
     *             out.append(f"tick {i}")
     *             await asyncio.sleep(0)
     *     await lock.acquire()
     *     t1 = asyncio.create_task(w("w1"))
     *     asyncio.create_task(w("w2"))
     *     await asyncio.sleep(0)
     *     asyncio.create_task(ticker())
     *     t1.cancel()
     *     lock.release()                  # w1's future is already cancelled: nobody is woken yet
     *     for _ in range(4):
     *         await asyncio.sleep(0)
     *     print(out)
     *
     * CPython 3.13: ['tick 0', 'w1 cancelled', 'tick 1', 'w2 acquired', 'tick 2']
     * (w2 gets the lock one step later: only the cancelled w1, as it leaves, wakes it)
     */
    @Test
    void aLockReleasedPastACancelledFirstWaiterWakesTheNextOnlyWhenThatOneLeaves() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            lock.acquire();
            List<Task<Void>> tasks = new ArrayList<>();
            for (String name : List.of("w1", "w2")) {
                tasks.add(Aio.createTask(() -> {
                    try (var _ = lock.acquire()) {
                        out.add(name + " acquired");
                    } catch (CancellationException e) {
                        out.add(name + " cancelled");
                    }
                }));
            }
            Aio.sleep(0);
            Aio.createTask(() -> {
                for (int i = 0; i < 3; i++) {
                    out.add("tick " + i);
                    Aio.sleep(0);
                }
            });
            tasks.get(0).cancel();
            lock.release();
            yieldTimes(4);
            return null;
        });
        assertThat(out).containsExactly("tick 0", "w1 cancelled", "tick 1", "w2 acquired", "tick 2");
    }

    /*
     * async def main():
     *     q = asyncio.Queue(2)
     *     out = []
     *     async def joiner(name):
     *         await q.join()
     *         out.append(f"{name} joined")
     *     async def putter(name):
     *         try:
     *             await q.put(name)
     *         except asyncio.QueueShutDown:
     *             out.append(f"{name} shut out")
     *     q.put_nowait(1)
     *     q.put_nowait(2)
     *     asyncio.create_task(joiner("j1"))
     *     asyncio.create_task(putter("p1"))
     *     asyncio.create_task(joiner("j2"))
     *     await asyncio.sleep(0)
     *     q.shutdown(immediate=True)
     *     out.append(f"shut down, qsize={q.qsize()}")
     *     for _ in range(3):
     *         await asyncio.sleep(0)
     *     print(out)
     *
     * CPython 3.13: ['shut down, qsize=0', 'j1 joined', 'j2 joined', 'p1 shut out']
     * (the joiners are woken before the blocked putters, whatever order they came in)
     */
    @Test
    void anImmediateShutdownWakesTheJoinersBeforeTheBlockedPutters() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(2);
            q.putNowait("1");
            q.putNowait("2");
            Aio.createTask(() -> {
                q.join();
                out.add("j1 joined");
            });
            Aio.createTask(() -> {
                try {
                    q.put("p1");
                } catch (QueueShutDownException e) {
                    out.add("p1 shut out");
                }
            });
            Aio.createTask(() -> {
                q.join();
                out.add("j2 joined");
            });
            Aio.sleep(0);
            assertThat(q.shutdown(true)).containsExactly("1", "2"); // asyncio drops them; aio4j returns them
            out.add("shut down, qsize=" + q.qsize());
            yieldTimes(3);
            return null;
        });
        assertThat(out).containsExactly("shut down, qsize=0", "j1 joined", "j2 joined", "p1 shut out");
    }
}
