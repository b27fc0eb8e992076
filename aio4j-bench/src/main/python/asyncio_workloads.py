"""The aio4j benchmark workloads on CPython asyncio (or uvloop), for the harness (./aio4j bench).

Each workload is the twin of the Java one of the same name (org.aio4j.bench.Workload, AioWorkloads); the two must
describe the same work and compute the same answer, which the harness checks.

    python3 asyncio_workloads.py LOOP WORKLOAD N RUNS      LOOP: asyncio | uvloop

prints one 'info' line, then 'run I NANOS ANSWER CPU_NANOS' per run (CPU_NANOS: the process's CPU time
meanwhile); a run that raises ends the process with status 1, its traceback and a last line 'error: TYPE: MESSAGE'
on the standard error. Each run is one asyncio.Runner (a new loop), as
asyncio.run() does and as each aio4j run is one Aio.run().
"""
import asyncio
import platform
import sys
import time
import traceback

QUEUE_MAXSIZE = 1000
QUEUE_WORKERS = 4
SEMAPHORE_PERMITS = 100


async def switching(n):
    # A switch counts only if the other task ran meanwhile: a sleep(0) that did not suspend makes the answer wrong.
    last = None

    async def sleep_zero(me):
        nonlocal last
        switches = 0
        for _ in range(n):
            await asyncio.sleep(0)
            if last != me:
                switches += 1
            last = me
        return switches

    a = asyncio.create_task(sleep_zero("a"))
    b = asyncio.create_task(sleep_zero("b"))
    return await a + await b


async def spawn_gather(n):
    # In the loop's FIFO order every task takes its first step before the first one resumes: one that finds some
    # not started yet did not suspend.
    started = 0

    async def one(index):
        nonlocal started
        started += 1
        await asyncio.sleep(0)
        if started != n:
            raise RuntimeError(f"task {index} resumed before all {n} tasks had started: its sleep(0) did not"
                               " suspend it")
        return index

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    return sum(await asyncio.gather(*tasks))


async def ping_pong(n):
    # A message is (value, future to answer on); a None future ends the ponger.
    loop = asyncio.get_running_loop()
    first = loop.create_future()

    async def ponger():
        inbox = first
        while True:
            value, reply = await inbox
            if reply is None:
                return
            inbox = loop.create_future()
            reply.set_result((value + 1, inbox))

    pong = asyncio.create_task(ponger())
    value = 0
    to_ponger = first
    for _ in range(n):
        mine = loop.create_future()
        to_ponger.set_result((value + 1, mine))
        value, to_ponger = await mine
    to_ponger.set_result((value, None))
    await pong
    return value


async def call_soon(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    total = [0]

    def callback(index):
        total[0] += index
        if index == n - 1:
            done.set_result(total[0])

    for i in range(n):
        loop.call_soon(callback, i)
    return await done


async def queue(n):
    q = asyncio.Queue(maxsize=QUEUE_MAXSIZE)
    stop = object()

    async def worker():
        mine = 0
        while True:
            item = await q.get()
            if item is stop:
                return mine
            mine += item

    workers = [asyncio.create_task(worker()) for _ in range(QUEUE_WORKERS)]
    for i in range(n):
        await q.put(i)
    for _ in workers:
        await q.put(stop)
    return sum(await asyncio.gather(*workers))


async def semaphore(n):
    sem = asyncio.Semaphore(SEMAPHORE_PERMITS)
    state = {"active": 0, "peak": 0, "sum": 0}

    async def one(index):
        async with sem:
            state["active"] += 1
            state["peak"] = max(state["peak"], state["active"])
            await asyncio.sleep(0)
            state["active"] -= 1
            state["sum"] += index

    await asyncio.gather(*[asyncio.create_task(one(i)) for i in range(n)])
    if state["peak"] > SEMAPHORE_PERMITS:
        raise RuntimeError(f"Semaphore({SEMAPHORE_PERMITS}) let {state['peak']} tasks in at once")
    # The first holders all suspend inside before any releases: fewer at once means a sleep(0) did not suspend.
    if state["peak"] < min(n, SEMAPHORE_PERMITS):
        raise RuntimeError(f"Semaphore({SEMAPHORE_PERMITS}) had at most {state['peak']} holder(s) at once, expected"
                           f" {min(n, SEMAPHORE_PERMITS)}: a holder's sleep(0) did not suspend it")
    return state["sum"]


WORKLOADS = {
    "switch": switching,
    "spawn-gather": spawn_gather,
    "ping-pong": ping_pong,
    "call-soon": call_soon,
    "queue": queue,
    "semaphore": semaphore,
}


def loop_factory(name):
    if name == "asyncio":
        return asyncio.new_event_loop, "asyncio"
    if name == "uvloop":
        import uvloop
        return uvloop.new_event_loop, "uvloop-" + uvloop.__version__
    raise SystemExit(f"unknown loop '{name}'; known: asyncio, uvloop")


def main(argv):
    if len(argv) != 5:
        raise SystemExit(f"usage: {argv[0]} asyncio|uvloop WORKLOAD N RUNS  (WORKLOAD: {', '.join(WORKLOADS)})")
    factory, loop_name = loop_factory(argv[1])
    if argv[2] not in WORKLOADS:
        raise SystemExit(f"unknown workload '{argv[2]}'; known: {', '.join(WORKLOADS)}")
    workload = WORKLOADS[argv[2]]
    n, runs = int(argv[3]), int(argv[4])
    if n < 1 or runs < 1:
        raise SystemExit(f"N and RUNS must be >= 1, got {n} and {runs}")
    print(f"info python={platform.python_version()} implementation={platform.python_implementation()}"
          f" loop={loop_name} executable={sys.executable}", flush=True)
    try:
        for r in range(1, runs + 1):
            cpu_start = time.process_time_ns()
            start = time.perf_counter_ns()
            with asyncio.Runner(loop_factory=factory) as runner:
                answer = runner.run(workload(n))
            nanos = time.perf_counter_ns() - start
            cpu = time.process_time_ns() - cpu_start
            print(f"run {r} {nanos} {answer} {cpu}", flush=True)
    except Exception as e:  # MemoryError too; the harness reports this last line, not the traceback above it
        traceback.print_exc()
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv)
