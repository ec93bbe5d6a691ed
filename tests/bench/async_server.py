"""`make bench` target for `sample --async`: an asyncio "server" of N tasks
(argv[1], default 1000), each a request handler awaiting a sub-call that
sleeps a little and then does some pure-Python work, so the loop always has
a running task, awaited by its parent, and many suspended ones.  Writes
"ready" to stdout once every task has started, then runs until killed.
"""
import asyncio
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000


def crunch(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


async def backend(i):
    await asyncio.sleep(0.001 * (i % 7))
    return crunch(2000)


async def handler(i):
    while True:
        await backend(i)


async def main():
    tasks = [asyncio.get_running_loop().create_task(handler(i), name="handler-%d" % i) for i in range(N)]
    await asyncio.sleep(0.2)
    print("ready", flush=True)
    await asyncio.gather(*tasks)


asyncio.run(main())
