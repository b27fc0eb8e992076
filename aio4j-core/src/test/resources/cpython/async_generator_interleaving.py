# The CPython program that AsyncGeneratorCPythonTest mirrors line by line; its output, printed by CPython 3.11, is
# async_generator_interleaving.expected.txt. Regenerate with:
#   python3 async_generator_interleaving.py > async_generator_interleaving.expected.txt
import asyncio


async def gen(log, name, n):
    try:
        for i in range(n):
            if i % 2 == 1:
                await asyncio.sleep(0)
            log.append(f"{name} yields {i}")
            yield i
    finally:
        log.append(f"{name} finally")


async def other(log):
    for i in range(8):
        log.append(f"other step {i}")
        await asyncio.sleep(0)


async def consume_until_cancelled(log):
    agen = gen(log, "slow", 100)
    try:
        async for x in agen:
            log.append(f"slow consumer got {x}")
            await asyncio.sleep(1)
    except asyncio.CancelledError:
        log.append("slow consumer cancelled")
        await agen.aclose()
        raise


async def main():
    log = []
    t = asyncio.create_task(other(log))
    await asyncio.sleep(0)
    agen = gen(log, "gen", 6)
    async for x in agen:
        log.append(f"main got {x}")
        if x == 3:
            break
    log.append("main broke out")
    await agen.aclose()
    log.append("main closed gen")
    await t
    c = asyncio.create_task(consume_until_cancelled(log))
    await asyncio.sleep(2.5)
    c.cancel()
    try:
        await c
    except asyncio.CancelledError:
        log.append("main saw the cancellation")
    print("\n".join(log))


asyncio.run(main())
