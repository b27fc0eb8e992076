"""Issue 6's HTTP benchmark for CPython asyncio + aiohttp: N GETs of one URL, at most C in flight, ROUNDS times.
Prints `round <i> <requests/s> <bytes> <process CPU us per request>` per round, like HttpBench.java. Run by bench/http/run.

    python3 aiohttp_bench.py URL N C ROUNDS
"""
import asyncio
import sys
import time

import aiohttp


async def one_round(session, url, n, c):
    sem = asyncio.Semaphore(c)

    async def get():
        async with sem:
            async with session.get(url) as r:
                body = await r.read()
                return len(body) if r.status == 200 else -1

    lengths = await asyncio.gather(*[get() for _ in range(n)])
    if any(x < 0 or x != lengths[0] for x in lengths):
        raise SystemExit("a response was not 200 with %d bytes" % lengths[0])
    return sum(lengths)


async def main(url, n, c, rounds):
    connector = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=connector) as session:
        for i in range(rounds):
            c0 = time.process_time()
            t0 = time.perf_counter()
            total = await one_round(session, url, n, c)
            t1 = time.perf_counter()
            c1 = time.process_time()
            print("round %d %.0f %d %.1f" % (i, n / (t1 - t0), total, (c1 - c0) * 1e6 / n), flush=True)


if __name__ == "__main__":
    url, n, c, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    asyncio.run(main(url, n, c, rounds))
