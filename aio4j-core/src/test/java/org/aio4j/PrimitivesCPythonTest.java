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

    /*
     * async def main():
     *     q = asyncio.Queue()
     *     async def getter(n):
     *         try: log(n, "got", await q.get())
     *         except asyncio.QueueShutDown: log(n, "shut out")
     *     async def joiner(): await q.join(); log("joined", q.qsize())
     *     q.put_nowait(1); q.put_nowait(2); log("get", q.get_nowait())
     *     asyncio.create_task(joiner()); await asyncio.sleep(0)
     *     log("get", q.get_nowait())
     *     asyncio.create_task(getter("g1")); asyncio.create_task(getter("g2")); await asyncio.sleep(0)
     *     q.shutdown(immediate=True); log("shut", q.qsize(), q.empty())
     *     for _ in range(3): await asyncio.sleep(0)
     *     for i in (1, 2, 3):
     *         try: q.task_done(); log("task_done ok", i)
     *         except ValueError as e: log("task_done error", e)
     *     q = asyncio.Queue(); q.put_nowait("x"); q.shutdown()
     *     try: q.put_nowait("y")
     *     except asyncio.QueueShutDown: log("put refused")
     *     log("get after shutdown", await q.get())
     *     try: await q.get()
     *     except asyncio.QueueShutDown: log("empty shut out")
     *     q.task_done(); await q.join(); log("joined2")
     *
     * CPython 3.13: ['get 1', 'get 2', 'shut 0 True', 'g1 shut out', 'g2 shut out', 'task_done ok 1',
     *                'task_done ok 2', 'task_done error ...', 'put refused', 'get after shutdown x', 'empty shut out',
     *                'joined2', 'joined 0']
     * (an immediate shutdown counts done only the items it removes: items taken before it keep join() waiting, and
     * task_done() still works after it)
     */
    @Test
    void anImmediateShutdownLeavesTheItemsTakenBeforeItUnfinished() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<Integer>();
            q.putNowait(1);
            q.putNowait(2);
            out.add("get " + q.getNowait());
            Aio.createTask(() -> {
                q.join();
                out.add("joined " + q.qsize());
            });
            Aio.sleep(0);
            out.add("get " + q.getNowait());
            for (String n : List.of("g1", "g2")) {
                Aio.createTask(() -> {
                    try {
                        out.add(n + " got " + q.get());
                    } catch (QueueShutDownException e) {
                        out.add(n + " shut out");
                    }
                });
            }
            Aio.sleep(0);
            assertThat(q.shutdown(true)).isEmpty();
            out.add("shut " + q.qsize() + " " + q.empty());
            yieldTimes(3);
            for (int i = 1; i <= 3; i++) {
                try {
                    q.taskDone();
                    out.add("task_done ok " + i);
                } catch (IllegalStateException e) {
                    out.add("task_done error");
                }
            }
            var q2 = new Queue<String>();
            q2.putNowait("x");
            q2.shutdown();
            try {
                q2.putNowait("y");
            } catch (QueueShutDownException e) {
                out.add("put refused");
            }
            out.add("get after shutdown " + q2.get());
            try {
                q2.get();
            } catch (QueueShutDownException e) {
                out.add("empty shut out");
            }
            q2.taskDone();
            q2.join();
            out.add("joined2");
            return null;
        });
        assertThat(out).containsExactly("get 1", "get 2", "shut 0 true", "g1 shut out", "g2 shut out",
                "task_done ok 1", "task_done ok 2", "task_done error", "put refused", "get after shutdown x",
                "empty shut out", "joined2", "joined 0");
    }

    /*
     * async def main():
     *     sem = asyncio.Semaphore(1); await sem.acquire()
     *     async def w(n):
     *         try:
     *             async with sem: log(n, "acquired"); await asyncio.sleep(0)
     *         except asyncio.CancelledError: log(n, "cancelled")
     *     t1 = create_task(w("w1")); create_task(w("w2")); create_task(w("w3")); await asyncio.sleep(0)
     *     sem.release(); t1.cancel(); log("locked after release+cancel", sem.locked())
     *     create_task(w("w4"))
     *     for _ in range(6): await asyncio.sleep(0)
     *     log("final", sem._value)
     *     sem = asyncio.Semaphore(0)
     *     ts = [create_task(w(f"v{i}")) for i in range(3)]; await asyncio.sleep(0)
     *     sem.release(); sem.release(); ts[0].cancel()
     *     for _ in range(6): await asyncio.sleep(0)
     *     log("final2", sem._value)
     *
     * CPython 3.13: ['locked after release+cancel True', 'w1 cancelled', 'w2 acquired', 'w3 acquired',
     *                'w4 acquired', 'final 0', 'v0 cancelled', 'v1 acquired', 'v2 acquired', 'final2 2']
     * (the permit released to a waiter cancelled before it woke goes to the next waiter, not to a newcomer)
     */
    @Test
    void aSemaphorePermitReleasedToAWaiterCancelledBeforeItWokeGoesToTheNextWaiter() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(1);
            sem.acquire();
            List<Task<Void>> ts = new ArrayList<>();
            for (String n : List.of("w1", "w2", "w3")) {
                ts.add(Aio.createTask(semaphoreUser(sem, n, out)));
            }
            Aio.sleep(0);
            sem.release();
            ts.get(0).cancel();
            out.add("locked after release+cancel " + sem.locked());
            Aio.createTask(semaphoreUser(sem, "w4", out));
            yieldTimes(6);
            out.add("final " + sem.value());
            var sem2 = new Semaphore(0);
            ts.clear();
            for (String n : List.of("v0", "v1", "v2")) {
                ts.add(Aio.createTask(semaphoreUser(sem2, n, out)));
            }
            Aio.sleep(0);
            sem2.release();
            sem2.release();
            ts.get(0).cancel();
            yieldTimes(6);
            out.add("final2 " + sem2.value());
            return null;
        });
        assertThat(out).containsExactly("locked after release+cancel true", "w1 cancelled", "w2 acquired",
                "w3 acquired", "w4 acquired", "final 0", "v0 cancelled", "v1 acquired", "v2 acquired", "final2 2");
    }

    private static VoidCoroutine semaphoreUser(Semaphore sem, String n, List<String> out) {
        return () -> {
            try (var _ = sem.acquire()) {
                out.add(n + " acquired");
                Aio.sleep(0);
            } catch (CancellationException e) {
                out.add(n + " cancelled");
            }
        };
    }

    /*
     * async def main():
     *     c = asyncio.Condition(); state = {"n": 0}
     *     def pred():
     *         log("pred", state["n"])
     *         if state["n"] == 2: raise ValueError("pred boom")
     *         return state["n"] >= 3
     *     async def waiter():
     *         async with c:
     *             try: await c.wait_for(pred)
     *             except ValueError as e: log("waiter got", e, c.locked())
     *         log("waiter out", c.locked())
     *     t = asyncio.create_task(waiter()); await asyncio.sleep(0)
     *     for i in (1, 2):
     *         async with c: state["n"] = i; c.notify_all()
     *         await asyncio.sleep(0); await asyncio.sleep(0)
     *     await t
     *
     * CPython 3.13: ['pred 0', 'pred 1', 'pred 2', 'waiter got pred boom True', 'waiter out False']
     * (a predicate that throws ends wait_for with its exception, the lock held)
     */
    @Test
    void aConditionPredicateThatThrowsEndsWaitForWithTheLockHeld() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var c = new Condition();
            int[] n = {0};
            Task<Void> t = Aio.createTask(() -> {
                try (var _ = c.acquire()) {
                    try {
                        c.waitFor(() -> {
                            out.add("pred " + n[0]);
                            if (n[0] == 2) {
                                throw new IllegalArgumentException("pred boom");
                            }
                            return n[0] >= 3;
                        });
                    } catch (IllegalArgumentException e) {
                        out.add("waiter got " + e.getMessage() + " " + c.locked());
                    }
                }
                out.add("waiter out " + c.locked());
            });
            Aio.sleep(0);
            for (int i = 1; i <= 2; i++) {
                try (var _ = c.acquire()) {
                    n[0] = i;
                    c.signalAll();
                }
                yieldTimes(2);
            }
            t.await();
            return null;
        });
        assertThat(out).containsExactly("pred 0", "pred 1", "pred 2", "waiter got pred boom true", "waiter out false");
    }

    /*
     * async def main():
     *     b = asyncio.Barrier(3)
     *     async def w(n):
     *         try: log(n, "index", await b.wait())
     *         except asyncio.BrokenBarrierError: log(n, "broken", b.broken, b.n_waiting)
     *     ts = [create_task(w(f"w{i}")) for i in range(2)]; await asyncio.sleep(0)
     *     log("waiting", b.n_waiting); await b.abort(); log("aborted", b.broken, b.n_waiting)
     *     await asyncio.gather(*ts)
     *     try: await b.wait()
     *     except asyncio.BrokenBarrierError: log("main broken")
     *     await b.reset(); log("reset", b.broken, b.n_waiting)
     *     ts = [create_task(w(f"x{i}")) for i in range(2)]; await asyncio.sleep(0)
     *     await b.reset(); log("reset while waiting", b.broken, b.n_waiting)
     *     await asyncio.gather(*ts); log("after", b.broken, b.n_waiting)
     *
     * CPython 3.13: ['waiting 2', 'aborted True 0', 'w0 broken True 0', 'w1 broken True 0', 'main broken',
     *                'reset False 0', 'reset while waiting False 0', 'x0 broken False 0', 'x1 broken False 0',
     *                'after False 0']
     */
    @Test
    void aBarrierAbortedOrResetWhileTasksWaitBreaksTheirWait() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var b = new Barrier(3);
            List<Task<Void>> ts = new ArrayList<>();
            for (String n : List.of("w0", "w1")) {
                ts.add(Aio.createTask(() -> abortedBarrierWaiter(b, n, out)));
            }
            Aio.sleep(0);
            out.add("waiting " + b.nWaiting());
            b.abort();
            out.add("aborted " + b.broken() + " " + b.nWaiting());
            Aio.gather(ts).await();
            try {
                b.await();
            } catch (BrokenBarrierException e) {
                out.add("main broken");
            }
            b.reset();
            out.add("reset " + b.broken() + " " + b.nWaiting());
            ts.clear();
            for (String n : List.of("x0", "x1")) {
                ts.add(Aio.createTask(() -> abortedBarrierWaiter(b, n, out)));
            }
            Aio.sleep(0);
            b.reset();
            out.add("reset while waiting " + b.broken() + " " + b.nWaiting());
            Aio.gather(ts).await();
            out.add("after " + b.broken() + " " + b.nWaiting());
            return null;
        });
        assertThat(out).containsExactly("waiting 2", "aborted true 0", "w0 broken true 0", "w1 broken true 0",
                "main broken", "reset false 0", "reset while waiting false 0", "x0 broken false 0",
                "x1 broken false 0", "after false 0");
    }

    private static void abortedBarrierWaiter(Barrier b, String n, List<String> out) {
        try {
            out.add(n + " index " + b.await());
        } catch (BrokenBarrierException e) {
            out.add(n + " broken " + b.broken() + " " + b.nWaiting());
        }
    }

    /*
     * async def main():
     *     e = asyncio.Event()
     *     async def w(n):
     *         try: log(n, "woke", await e.wait(), e.is_set())
     *         except asyncio.CancelledError: log(n, "cancelled")
     *     t1, t2, t3 = (create_task(w(n)) for n in ("w1", "w2", "w3")); await asyncio.sleep(0)
     *     e.set(); e.clear(); t2.cancel()
     *     await asyncio.sleep(0); await asyncio.sleep(0)
     *     lock = asyncio.Lock(); await lock.acquire()
     *     async def locker(n):
     *         async with lock: log(n, "has lock"); await asyncio.sleep(0)
     *     create_task(locker("L1")); await asyncio.sleep(0)
     *     lock.release(); create_task(locker("L2")); log("released; locked", lock.locked())
     *     for _ in range(5): await asyncio.sleep(0)
     *     await lock.acquire(); create_task(locker("M1")); await asyncio.sleep(0)
     *     lock.release()
     *     try: await asyncio.wait_for(lock.acquire(), 0.001); log("main reacquired"); lock.release()
     *     except TimeoutError: log("main timed out")
     *     for _ in range(5): await asyncio.sleep(0)
     *
     * CPython 3.13: ['w1 woke True False', 'w2 cancelled', 'w3 woke True False', 'released; locked False',
     *                'L1 has lock', 'L2 has lock', 'M1 has lock', 'main reacquired']
     * (an event cleared after set() still wakes its waiters; a lock released to a waiter that has not run yet goes
     * to it, not to a task that asks for it meanwhile, though locked() answers false)
     */
    @Test
    void anEventClearedAfterSetStillWakesItsWaitersAndAReleasedLockGoesToItsWaiter() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var e = new Event();
            List<Task<Void>> ts = new ArrayList<>();
            for (String n : List.of("w1", "w2", "w3")) {
                ts.add(Aio.createTask(() -> {
                    try {
                        e.await();
                        out.add(n + " woke true " + e.isSet());
                    } catch (CancellationException x) {
                        out.add(n + " cancelled");
                    }
                }));
            }
            Aio.sleep(0);
            e.set();
            e.clear();
            ts.get(1).cancel();
            yieldTimes(2);
            var lock = new Lock();
            lock.acquire();
            Aio.createTask(locker(lock, "L1", out));
            Aio.sleep(0);
            lock.release();
            Aio.createTask(locker(lock, "L2", out));
            out.add("released; locked " + lock.locked());
            yieldTimes(5);
            lock.acquire();
            Aio.createTask(locker(lock, "M1", out));
            Aio.sleep(0);
            lock.release();
            try {
                Aio.waitFor(() -> lock.acquire(), Duration.ofMillis(1));
                out.add("main reacquired");
                lock.release();
            } catch (java.util.concurrent.TimeoutException x) {
                out.add("main timed out");
            }
            yieldTimes(5);
            return null;
        });
        assertThat(out).containsExactly("w1 woke true false", "w2 cancelled", "w3 woke true false",
                "released; locked false", "L1 has lock", "L2 has lock", "M1 has lock", "main reacquired");
    }

    private static VoidCoroutine locker(Lock lock, String n, List<String> out) {
        return () -> {
            try (var _ = lock.acquire()) {
                out.add(n + " has lock");
                Aio.sleep(0);
            }
        };
    }

    /*
     * async def main():
     *     q = asyncio.Queue()
     *     async def g(n):
     *         try: log(n, "got", await q.get())
     *         except asyncio.CancelledError: log(n, "cancelled", q.qsize())
     *     t1, t2, t3 = (create_task(g(n)) for n in ("g1", "g2", "g3")); await asyncio.sleep(0)
     *     q.put_nowait("x"); t1.cancel(); await asyncio.sleep(0); await asyncio.sleep(0); log("after", q.qsize())
     *     q.put_nowait("y"); q.put_nowait("z"); t2.cancel()
     *     for _ in range(3): await asyncio.sleep(0)
     *     log("after2", q.qsize())
     *     q = asyncio.Queue(1); q.put_nowait(0)
     *     async def p(n):
     *         try: await q.put(n); log(n, "put")
     *         except asyncio.CancelledError: log(n, "put cancelled")
     *     p1 = create_task(p("p1")); p2 = create_task(p("p2")); await asyncio.sleep(0)
     *     log("got", q.get_nowait()); p1.cancel()
     *     for _ in range(3): await asyncio.sleep(0)
     *     log("queue", q.qsize(), q.get_nowait())
     *
     * CPython 3.13: ['g1 cancelled 1', 'g2 got x', 'after 0', 'g3 got y', 'after2 1', 'got 0', 'p1 put cancelled',
     *                'p2 put', 'queue 1 p2']
     * (a getter or putter cancelled after a put or get woke it passes its turn to the next one)
     */
    @Test
    void aQueueWaiterCancelledAfterItWasWokenPassesItsTurnOn() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            List<Task<Void>> ts = new ArrayList<>();
            for (String n : List.of("g1", "g2", "g3")) {
                ts.add(Aio.createTask(() -> {
                    try {
                        out.add(n + " got " + q.get());
                    } catch (CancellationException e) {
                        out.add(n + " cancelled " + q.qsize());
                    }
                }));
            }
            Aio.sleep(0);
            q.putNowait("x");
            ts.get(0).cancel();
            yieldTimes(2);
            out.add("after " + q.qsize());
            q.putNowait("y");
            q.putNowait("z");
            ts.get(1).cancel();
            yieldTimes(3);
            out.add("after2 " + q.qsize());
            var q2 = new Queue<String>(1);
            q2.putNowait("0");
            ts.clear();
            for (String n : List.of("p1", "p2")) {
                ts.add(Aio.createTask(() -> {
                    try {
                        q2.put(n);
                        out.add(n + " put");
                    } catch (CancellationException e) {
                        out.add(n + " put cancelled");
                    }
                }));
            }
            Aio.sleep(0);
            out.add("got " + q2.getNowait());
            ts.get(0).cancel();
            yieldTimes(3);
            out.add("queue " + q2.qsize() + " " + q2.getNowait());
            return null;
        });
        assertThat(out).containsExactly("g1 cancelled 1", "g2 got x", "after 0", "g3 got y", "after2 1", "got 0",
                "p1 put cancelled", "p2 put", "queue 1 p2");
    }

    /*
     * async def main():
     *     c = asyncio.Condition()
     *     async def w(n):
     *         async with c:
     *             try: await c.wait(); log(n, "notified")
     *             except asyncio.CancelledError: log(n, "cancelled")
     *     ts = [create_task(w(f"c{i}")) for i in range(3)]; await asyncio.sleep(0)
     *     ts[0].cancel()
     *     async with c: c.notify(1)
     *     for _ in range(4): await asyncio.sleep(0)
     *     async with c: c.notify(1)
     *     for _ in range(4): await asyncio.sleep(0)
     *
     * CPython 3.13: ['c0 cancelled', 'c1 notified', 'c2 notified']
     * (notify(1) passes over a waiter cancelled before it)
     */
    @Test
    void aConditionSignalPassesOverAWaiterCancelledBeforeIt() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var c = new Condition();
            List<Task<Void>> ts = new ArrayList<>();
            for (String n : List.of("c0", "c1", "c2")) {
                ts.add(Aio.createTask(() -> {
                    try (var _ = c.acquire()) {
                        try {
                            c.await();
                            out.add(n + " notified");
                        } catch (CancellationException e) {
                            out.add(n + " cancelled");
                        }
                    }
                }));
            }
            Aio.sleep(0);
            ts.get(0).cancel();
            for (int round = 0; round < 2; round++) {
                try (var _ = c.acquire()) {
                    c.signal(1);
                }
                yieldTimes(4);
            }
            return null;
        });
        assertThat(out).containsExactly("c0 cancelled", "c1 notified", "c2 notified");
    }

    /*
     * async def main():
     *     bs = asyncio.BoundedSemaphore(1)
     *     try: bs.release()
     *     except ValueError as e: log("bounded", e)
     *     q = asyncio.LifoQueue(); [q.put_nowait(i) for i in range(3)]; log("lifo", q.get_nowait()); q.shutdown()
     *     log("lifo after shutdown", q.get_nowait(), q.get_nowait())
     *     try: q.get_nowait()
     *     except asyncio.QueueShutDown: log("lifo shut")
     *     except asyncio.QueueEmpty: log("lifo empty")
     *     pq = asyncio.PriorityQueue(); [pq.put_nowait(i) for i in (5, 1, 3)]; pq.shutdown(immediate=True)
     *     log("pq", pq.qsize())
     *     try: pq.get_nowait()
     *     except asyncio.QueueShutDown: log("pq shut")
     *     except asyncio.QueueEmpty: log("pq empty")
     *     try: pq.task_done(); log("pq task_done ok")
     *     except ValueError as e: log("pq task_done", e)
     *     q = asyncio.Queue()
     *     try: q.get_nowait()
     *     except asyncio.QueueEmpty: log("empty")
     *     q.shutdown()
     *     try: q.get_nowait()
     *     except asyncio.QueueShutDown: log("empty shut")
     *     except asyncio.QueueEmpty: log("empty empty")
     *     q = asyncio.Queue(1); q.put_nowait(1); q.shutdown()
     *     try: q.put_nowait(2)
     *     except asyncio.QueueShutDown: log("full shut")
     *     except asyncio.QueueFull: log("full full")
     *
     * CPython 3.13: ['bounded ...', 'lifo 2', 'lifo after shutdown 1 0', 'lifo shut', 'pq 0', 'pq shut',
     *                'pq task_done ...', 'empty', 'empty shut', 'full shut']
     * (a shut-down queue reports its shutdown before its emptiness or fullness; an immediate shutdown counts the
     * items it removes done)
     */
    @Test
    void aShutDownQueueReportsTheShutdownBeforeEmptyOrFull() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var bs = new BoundedSemaphore(1);
            try {
                bs.release();
            } catch (IllegalStateException e) {
                out.add("bounded");
            }
            var q = new LifoQueue<Integer>();
            for (int i = 0; i < 3; i++) {
                q.putNowait(i);
            }
            out.add("lifo " + q.getNowait());
            q.shutdown();
            out.add("lifo after shutdown " + q.getNowait() + " " + q.getNowait());
            out.add(emptyOrShut(q::getNowait, "lifo"));
            var pq = new PriorityQueue<Integer>();
            for (int i : new int[] {5, 1, 3}) {
                pq.putNowait(i);
            }
            assertThat(pq.shutdown(true)).containsExactly(1, 3, 5);
            out.add("pq " + pq.qsize());
            out.add(emptyOrShut(pq::getNowait, "pq"));
            try {
                pq.taskDone();
                out.add("pq task_done ok");
            } catch (IllegalStateException e) {
                out.add("pq task_done");
            }
            var q2 = new Queue<Integer>();
            out.add(emptyOrShut(q2::getNowait, "empty").replace("empty empty", "empty"));
            q2.shutdown();
            out.add(emptyOrShut(q2::getNowait, "empty"));
            var q3 = new Queue<Integer>(1);
            q3.putNowait(1);
            q3.shutdown();
            try {
                q3.putNowait(2);
            } catch (QueueShutDownException e) {
                out.add("full shut");
            } catch (QueueFullException e) {
                out.add("full full");
            }
            return null;
        });
        assertThat(out).containsExactly("bounded", "lifo 2", "lifo after shutdown 1 0", "lifo shut", "pq 0", "pq shut",
                "pq task_done", "empty", "empty shut", "full shut");
    }

    private static String emptyOrShut(Runnable getNowait, String name) {
        try {
            getNowait.run();
            return name + " got one";
        } catch (QueueShutDownException e) {
            return name + " shut";
        } catch (QueueEmptyException e) {
            return name + " empty";
        }
    }

    /*
     * async def main():
     *     q = asyncio.Queue(2); start = asyncio.Event(); sem = asyncio.Semaphore(2); cond = asyncio.Condition()
     *     done_count = [0]
     *     async def producer(p):
     *         await start.wait()
     *         for i in range(3):
     *             await q.put(f"{p}{i}"); log("put", f"{p}{i}", q.qsize())
     *             if i % 2 == p % 2: await asyncio.sleep(0)
     *         log("producer", p, "done")
     *     async def consumer(c):
     *         while True:
     *             item = await q.get()
     *             async with sem: log("consume", c, item); await asyncio.sleep(0)
     *             q.task_done()
     *             async with cond: done_count[0] += 1; cond.notify_all()
     *     async def watcher(w, n):
     *         async with cond:
     *             await cond.wait_for(lambda: done_count[0] >= n); log("watcher", w, "saw", done_count[0])
     *     ps = [create_task(producer(p)) for p in range(3)]; cs = [create_task(consumer(c)) for c in "xyz"]
     *     ws = [create_task(watcher(w, n)) for w, n in (("A", 3), ("B", 9), ("C", 5))]
     *     await asyncio.sleep(0); log("start"); start.set()
     *     await asyncio.gather(*ps); log("producers done"); await q.join(); log("joined")
     *     await asyncio.gather(*ws)
     *     for c in cs: c.cancel()
     *     r = await asyncio.gather(*cs, return_exceptions=True); log("consumers", [type(x).__name__ for x in r])
     *
     * CPython 3.13: start | put 00 1 | put 10 2 | consume x 00 | put 01 2 | consume y 10 | put 11 2 | consume x 01
     *               | put 20 1 | put 12 1 | producer 1 done | put 02 2 | put 21 2 | consume z 11 | producer 0 done
     *               | consume y 20 | watcher A saw 3 | consume x 12 | watcher C saw 5 | put 22 1 | consume z 02
     *               | producer 2 done | consume y 21 | consume x 22 | producers done | watcher B saw 9 | joined
     *               | consumers ['CancelledError', 'CancelledError', 'CancelledError']
     * aio4j:       start | put 00 1 | put 10 2 | consume x 00 | consume y 10 | put 11 1 | put 20 2 | consume z 11
     *               | consume x 20 | put 01 1 | put 12 2 | producer 1 done | consume y 01 | watcher A saw 4
     *               | consume z 12 | put 21 1 | put 02 2 | consume x 21 | watcher C saw 6 | consume y 02
     *               | producer 0 done | put 22 1 | consume z 22 | producer 2 done | watcher B saw 9 | producers done
     *               | joined | consumers [...]
     * The deliberate difference of docs/primitives.md ("queues are fair"): when x takes 00, the slot it frees is
     * promised to producer 1, the first putter waiting, so producer 0, back from its sleep(0) before producer 1 runs,
     * finds the queue full and waits behind producers 1 and 2; asyncio lets it put 01 first (a newcomer barges past
     * the woken putter), and everything after follows from that.
     */
    @Test
    void producersOnAFairQueueWaitBehindTheWokenPutterWhereAsyncioLetsThemBarge() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>(2);
            var start = new Event();
            var sem = new Semaphore(2);
            var cond = new Condition();
            int[] doneCount = {0};
            List<Task<Void>> ps = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                int pp = p;
                ps.add(Aio.createTask(() -> {
                    start.await();
                    for (int i = 0; i < 3; i++) {
                        q.put(pp + "" + i);
                        out.add("put " + pp + i + " " + q.qsize());
                        if (i % 2 == pp % 2) {
                            Aio.sleep(0);
                        }
                    }
                    out.add("producer " + pp + " done");
                }));
            }
            List<Task<Void>> cs = new ArrayList<>();
            for (String c : List.of("x", "y", "z")) {
                cs.add(Aio.createTask(() -> {
                    while (true) {
                        String item = q.get();
                        try (var _ = sem.acquire()) {
                            out.add("consume " + c + " " + item);
                            Aio.sleep(0);
                        }
                        q.taskDone();
                        try (var _ = cond.acquire()) {
                            doneCount[0]++;
                            cond.signalAll();
                        }
                    }
                }));
            }
            List<Task<Void>> ws = new ArrayList<>();
            for (var w : List.of(java.util.Map.entry("A", 3), java.util.Map.entry("B", 9),
                    java.util.Map.entry("C", 5))) {
                ws.add(Aio.createTask(() -> {
                    try (var _ = cond.acquire()) {
                        cond.waitFor(() -> doneCount[0] >= w.getValue());
                        out.add("watcher " + w.getKey() + " saw " + doneCount[0]);
                    }
                }));
            }
            Aio.sleep(0);
            out.add("start");
            start.set();
            Aio.gather(ps).await();
            out.add("producers done");
            q.join();
            out.add("joined");
            Aio.gather(ws).await();
            cs.forEach(Task::cancel);
            List<Object> r = Aio.gatherWithExceptions(cs).await();
            out.add("consumers " + r.stream().map(x -> x.getClass().getSimpleName()).toList());
            return null;
        });
        assertThat(out).containsExactly("start", "put 00 1", "put 10 2", "consume x 00", "consume y 10", "put 11 1",
                "put 20 2", "consume z 11", "consume x 20", "put 01 1", "put 12 2", "producer 1 done", "consume y 01",
                "watcher A saw 4", "consume z 12", "put 21 1", "put 02 2", "consume x 21", "watcher C saw 6",
                "consume y 02", "producer 0 done", "put 22 1", "consume z 22", "producer 2 done", "watcher B saw 9",
                "producers done", "joined",
                "consumers [CancellationException, CancellationException, CancellationException]");
    }

    /*
     * async def main():
     *     sem = asyncio.Semaphore(0)
     *     async def w(n):
     *         try: await sem.acquire()
     *         except asyncio.CancelledError: log(n, "cancelled", sem._value); return
     *         log(n, "acquired", sem._value); await asyncio.sleep(0); sem.release(); log(n, "released", sem._value)
     *     ts = {n: create_task(w(n)) for n in "ABC"}; await asyncio.sleep(0)
     *     sem.release(); log("release1", sem._value, sem.locked()); ts["A"].cancel(); ts["B"].cancel()
     *     ts["D"] = create_task(w("D")); sem.release(); log("release2", sem._value, sem.locked())
     *     for _ in range(6): await asyncio.sleep(0)
     *     log("end", sem._value, sem.locked())
     *     lock = asyncio.Lock()
     *     async def lw(n):
     *         try:
     *             async with lock: log(n, "has lock"); await asyncio.sleep(0)
     *         except asyncio.CancelledError: log(n, "lock cancelled")
     *     await lock.acquire(); ls = {n: create_task(lw(n)) for n in "PQRS"}; await asyncio.sleep(0)
     *     lock.release(); ls["P"].cancel(); ls["R"].cancel(); log("lock after release", lock.locked())
     *     for _ in range(8): await asyncio.sleep(0)
     *     log("lock end", lock.locked())
     *
     * CPython 3.13: ['release1 0 True', 'release2 0 True', 'A cancelled 1', 'B cancelled 1', 'C acquired 0',
     *                'D acquired 0', 'C released 1', 'D released 2', 'end 2 False', 'lock after release False',
     *                'P lock cancelled', 'R lock cancelled', 'Q has lock', 'S has lock', 'lock end False']
     * (permits and the lock's turn, handed to waiters cancelled before they ran, pass on to the next waiters, and a
     * newcomer queued behind them gets the second permit)
     */
    @Test
    void permitsHandedToWaitersCancelledBeforeTheyRanPassToTheNextOnes() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var sem = new Semaphore(0);
            java.util.function.Function<String, VoidCoroutine> w = n -> () -> {
                try {
                    sem.acquire();
                } catch (CancellationException e) {
                    out.add(n + " cancelled " + sem.value());
                    return;
                }
                out.add(n + " acquired " + sem.value());
                Aio.sleep(0);
                sem.release();
                out.add(n + " released " + sem.value());
            };
            List<Task<Void>> ts = new ArrayList<>();
            for (String n : List.of("A", "B", "C")) {
                ts.add(Aio.createTask(w.apply(n)));
            }
            Aio.sleep(0);
            sem.release();
            out.add("release1 " + sem.value() + " " + sem.locked());
            ts.get(0).cancel();
            ts.get(1).cancel();
            Aio.createTask(w.apply("D"));
            sem.release();
            out.add("release2 " + sem.value() + " " + sem.locked());
            yieldTimes(6);
            out.add("end " + sem.value() + " " + sem.locked());
            var lock = new Lock();
            lock.acquire();
            List<Task<Void>> ls = new ArrayList<>();
            for (String n : List.of("P", "Q", "R", "S")) {
                ls.add(Aio.createTask(() -> {
                    try (var _ = lock.acquire()) {
                        out.add(n + " has lock");
                        Aio.sleep(0);
                    } catch (CancellationException e) {
                        out.add(n + " lock cancelled");
                    }
                }));
            }
            Aio.sleep(0);
            lock.release();
            ls.get(0).cancel();
            ls.get(2).cancel();
            out.add("lock after release " + lock.locked());
            yieldTimes(8);
            out.add("lock end " + lock.locked());
            return null;
        });
        assertThat(out).containsExactly("release1 0 true", "release2 0 true", "A cancelled 1", "B cancelled 1",
                "C acquired 0", "D acquired 0", "C released 1", "D released 2", "end 2 false",
                "lock after release false", "P lock cancelled", "R lock cancelled", "Q has lock", "S has lock",
                "lock end false");
    }

    /*
     * (CPython run on a virtual clock: asyncio.run(main(), loop_factory=VirtualLoop), cpython/virtual_clock_loop.py)
     * async def main():
     *     q = asyncio.Queue()
     *     async def getter(n, t):
     *         try: log(n, "got", await asyncio.wait_for(q.get(), t), loop.time())
     *         except TimeoutError: log(n, "timed out", loop.time(), q.qsize())
     *     gs = [create_task(getter(f"g{i}", t)) for i, t in enumerate((1, 3, 2))]
     *     loop.call_later(1, q.put_nowait, "x"); loop.call_later(2.5, q.put_nowait, "y")
     *     await asyncio.gather(*gs); log("left", q.qsize())
     *     f = loop.create_future(); g = loop.create_future(); loop.call_later(2, g.set_result, 1)
     *     done, pending = await asyncio.wait([f, g], timeout=1, return_when=asyncio.FIRST_COMPLETED)
     *     log("wait", len(done), len(pending), loop.time())
     *     done, pending = await asyncio.wait([f, g], timeout=5, return_when=asyncio.FIRST_COMPLETED)
     *     log("wait2", len(done), len(pending), loop.time())
     *     b = asyncio.Barrier(3)
     *     async def bw(n, t):
     *         try: log(n, "passed", await asyncio.wait_for(b.wait(), t), loop.time())
     *         except TimeoutError: log(n, "timed out", loop.time(), b.n_waiting, b.broken)
     *     ts = [create_task(bw(f"b{i}", t)) for i, t in enumerate((1, 5, 5))]
     *     await asyncio.sleep(1.5); log("n_waiting", b.n_waiting); ts.append(create_task(bw("b3", 5)))
     *     await asyncio.sleep(1); log("n_waiting2", b.n_waiting); ts.append(create_task(bw("b4", 5)))
     *     await asyncio.gather(*ts)
     *     c = asyncio.Condition(); st = [0]
     *     async def cw(n, t):
     *         async with c:
     *             try: await asyncio.wait_for(c.wait_for(lambda: st[0] > 0), t); log(n, "ok", loop.time(), c.locked())
     *             except TimeoutError: log(n, "cond timed out", loop.time(), c.locked())
     *     ts = [create_task(cw(f"c{i}", t)) for i, t in enumerate((1, 3))]
     *     await asyncio.sleep(2)
     *     async with c: st[0] = 1; c.notify_all()
     *     await asyncio.gather(*ts)
     *
     * CPython 3.13: ['g0 timed out 1.0 1', 'g1 got x 1.0', 'g2 timed out 2.0 0', 'left 0', 'wait 0 2 3.0',
     *                'wait2 1 1 4.0', 'b2 passed 2 4.0', 'b0 passed 0 4.0', 'b1 passed 1 4.0', 'n_waiting 0',
     *                'n_waiting2 1', 'b3 timed out 10.5 1 False', 'b4 timed out 11.5 0 False',
     *                'c0 cond timed out 12.5 True', 'c1 ok 13.5 True']
     * (a getter whose timeout comes in the iteration an item was promised to it leaves the item to the next getter;
     * a barrier or condition waiter timed out leaves the others waiting, a condition waiter holding its lock again)
     */
    @Test
    void waitersTimedOutOnAQueueABarrierAndAConditionLeaveTheOthersTheirTurn() throws Exception {
        List<String> out = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            var q = new Queue<String>();
            List<Task<Void>> ts = new ArrayList<>();
            double[] getterTimeouts = {1, 3, 2};
            for (int i = 0; i < getterTimeouts.length; i++) {
                String n = "g" + i;
                Duration t = Duration.ofMillis((long) (getterTimeouts[i] * 1000));
                ts.add(Aio.createTask(() -> {
                    try {
                        out.add(n + " got " + Aio.waitFor(() -> q.get(), t) + " " + loop.time());
                    } catch (java.util.concurrent.TimeoutException e) {
                        out.add(n + " timed out " + loop.time() + " " + q.qsize());
                    }
                }));
            }
            loop.callLater(1, () -> q.putNowait("x"));
            loop.callLater(2.5, () -> q.putNowait("y"));
            Aio.gather(ts).await();
            out.add("left " + q.qsize());
            Future<Integer> f = loop.createFuture();
            Future<Integer> g = loop.createFuture();
            loop.callLater(2, () -> g.setResult(1));
            var r = Aio.wait(List.of(f, g), Duration.ofSeconds(1), ReturnWhen.FIRST_COMPLETED);
            out.add("wait " + r.done().size() + " " + r.pending().size() + " " + loop.time());
            r = Aio.wait(List.of(f, g), Duration.ofSeconds(5), ReturnWhen.FIRST_COMPLETED);
            out.add("wait2 " + r.done().size() + " " + r.pending().size() + " " + loop.time());
            var b = new Barrier(3);
            java.util.function.BiFunction<String, Integer, VoidCoroutine> bw = (n, t) -> () -> {
                try {
                    out.add(n + " passed " + Aio.waitFor(() -> b.await(), Duration.ofSeconds(t)) + " " + loop.time());
                } catch (java.util.concurrent.TimeoutException e) {
                    out.add(n + " timed out " + loop.time() + " " + b.nWaiting() + " " + b.broken());
                }
            };
            ts.clear();
            int[] barrierTimeouts = {1, 5, 5};
            for (int i = 0; i < barrierTimeouts.length; i++) {
                ts.add(Aio.createTask(bw.apply("b" + i, barrierTimeouts[i])));
            }
            Aio.sleep(1.5);
            out.add("n_waiting " + b.nWaiting());
            ts.add(Aio.createTask(bw.apply("b3", 5)));
            Aio.sleep(1);
            out.add("n_waiting2 " + b.nWaiting());
            ts.add(Aio.createTask(bw.apply("b4", 5)));
            Aio.gather(ts).await();
            var c = new Condition();
            int[] st = {0};
            ts.clear();
            int[] conditionTimeouts = {1, 3};
            for (int i = 0; i < conditionTimeouts.length; i++) {
                String n = "c" + i;
                Duration t = Duration.ofSeconds(conditionTimeouts[i]);
                ts.add(Aio.createTask(() -> {
                    try (var _ = c.acquire()) {
                        try {
                            Aio.waitFor(() -> {
                                c.waitFor(() -> st[0] > 0);
                                return null;
                            }, t);
                            out.add(n + " ok " + loop.time() + " " + c.locked());
                        } catch (java.util.concurrent.TimeoutException e) {
                            out.add(n + " cond timed out " + loop.time() + " " + c.locked());
                        }
                    }
                }));
            }
            Aio.sleep(2);
            try (var _ = c.acquire()) {
                st[0] = 1;
                c.signalAll();
            }
            Aio.gather(ts).await();
            return null;
        });
        assertThat(out).containsExactly("g0 timed out 1.0 1", "g1 got x 1.0", "g2 timed out 2.0 0", "left 0",
                "wait 0 2 3.0", "wait2 1 1 4.0", "b2 passed 2 4.0", "b0 passed 0 4.0", "b1 passed 1 4.0",
                "n_waiting 0", "n_waiting2 1", "b3 timed out 10.5 1 false", "b4 timed out 11.5 0 false",
                "c0 cond timed out 12.5 true", "c1 ok 13.5 true");
    }

    /*
     * async def main():
     *     out = []
     *     q, lock, sem = asyncio.Queue(), asyncio.Lock(), asyncio.Semaphore(0)
     *     async def getter(name):
     *         try:
     *             out.append(f"{name} got {await q.get()}")
     *         except asyncio.CancelledError:
     *             out.append(f"{name} cancelled, cancelling={asyncio.current_task().cancelling()}")
     *     async def locker(name):
     *         async with lock:
     *             out.append(f"{name} has the lock")
     *     async def acquirer(name):
     *         try:
     *             async with sem:
     *                 out.append(f"{name} has a permit")
     *         except asyncio.CancelledError:
     *             out.append(f"{name} cancelled")
     *     getters = [asyncio.create_task(getter(f"g{i}")) for i in range(3)]
     *     await lock.acquire()
     *     lockers = [asyncio.create_task(locker(n)) for n in ("l0", "l1")]
     *     acquirers = [asyncio.create_task(acquirer(f"s{i}")) for i in range(3)]
     *     await asyncio.sleep(0)
     *     q.put_nowait("a"); q.put_nowait("b")   # g0 and g1 woken
     *     lock.release()                          # l0's turn
     *     sem.release(); sem.release()            # s0 and s1 handed a permit
     *     for t in (getters[0], lockers[0], acquirers[0]):
     *         t.cancel(); t.uncancel()           # withdrawn before it was delivered: they go on
     *     for t in (getters[1], acquirers[1]):
     *         t.cancel(); t.cancel(); t.uncancel()   # one request left: it is delivered, the item or permit passes on
     *     for _ in range(4):
     *         await asyncio.sleep(0)
     *     print(out, q.qsize(), sem._value)
     *
     * CPython 3.13: ['g0 got a', 'g1 cancelled, cancelling=1', 'l0 has the lock', 's0 has a permit', 's1 cancelled',
     *                'g2 got b', 'l1 has the lock', 's2 has a permit'] 0 2
     * (3.13's uncancel() clears a cancellation not yet delivered: a woken waiter whose request is withdrawn before it
     * runs takes what it was handed; one with a request left throws and passes the item or permit on.)
     */
    @Test
    void aWokenWaiterWhoseCancellationIsWithdrawnBeforeItRunsTakesWhatItWasHanded() throws Exception {
        List<String> out = new ArrayList<>();
        int[] end = new int[2];
        TestLoops.runVirtual(() -> {
            var q = new Queue<String>();
            var lock = new Lock();
            var sem = new Semaphore(0);
            List<Task<Void>> getters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String name = "g" + i;
                getters.add(Aio.createTask(() -> {
                    try {
                        out.add(name + " got " + q.get());
                    } catch (CancellationException e) {
                        out.add(name + " cancelled, cancelling=" + Aio.currentTask().cancelling());
                    }
                }));
            }
            lock.acquire();
            List<Task<Void>> lockers = new ArrayList<>();
            for (String name : List.of("l0", "l1")) {
                lockers.add(Aio.createTask(() -> {
                    try (var _ = lock.acquire()) {
                        out.add(name + " has the lock");
                    }
                }));
            }
            List<Task<Void>> acquirers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String name = "s" + i;
                acquirers.add(Aio.createTask(() -> {
                    try (var _ = sem.acquire()) {
                        out.add(name + " has a permit");
                    } catch (CancellationException e) {
                        out.add(name + " cancelled");
                    }
                }));
            }
            Aio.sleep(0);
            q.putNowait("a");
            q.putNowait("b");
            lock.release();
            sem.release();
            sem.release();
            for (Task<Void> t : List.of(getters.get(0), lockers.get(0), acquirers.get(0))) {
                t.cancel();
                t.uncancel();
            }
            for (Task<Void> t : List.of(getters.get(1), acquirers.get(1))) {
                t.cancel();
                t.cancel();
                t.uncancel();
            }
            yieldTimes(4);
            end[0] = q.qsize();
            end[1] = sem.value();
            return null;
        });
        assertThat(out).containsExactly("g0 got a", "g1 cancelled, cancelling=1", "l0 has the lock", "s0 has a permit",
                "s1 cancelled", "g2 got b", "l1 has the lock", "s2 has a permit");
        assertThat(end).containsExactly(0, 2);
    }
}
