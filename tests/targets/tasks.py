"""asyncio tasks for `tasks` (3.8+): two event loops in two threads, with
tasks waiting in every way the task view must see, and one program-wide
record of them written by the target itself.

Loop "loop-a" holds: a chain three coroutines deep (nested); gather of two
named tasks; a task of the pure-Python Task class awaited by a C task; a
TaskGroup of two (3.11+); a Queue.get; a task awaited by two others; a
shielded task; two tasks awaiting each other (a cycle); an eager task
(3.12+); a finished task (kept referenced, must not be listed).  Loop
"loop-b" holds N (argv[3], default 10000) tasks waiting on one future each.

Truth: for each loop, asyncio.all_tasks(loop) after both loops went idle
(and the pure-Python task, which 3.14's all_tasks(loop) does not return);
per task its id, name, coroutine chain (cr_await / gi_yieldfrom from
get_coro(), innermost first, with f_lineno), the loop thread's kernel tid,
and who awaits it, as the program built it (on 3.14+ checked here against
the task's own _asyncio_awaited_by before anything is written).

    python tasks.py TRUTH_JSON WRITE_FD [N]
"""
import asyncio
import json
import os
import sys
import threading
import types

truth_path, wfd = sys.argv[1], int(sys.argv[2])
NBULK = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
V = sys.version_info[:2]

EDGES = []                    # (awaited task name, awaiter task name)
RUNNING = {}                  # the task running on loop-c: its name and thread
PYTASKS = []                  # tasks of the pure-Python class (3.14's all_tasks(loop) leaves them out)
loops = {}
tids = {}
settled = {}


def chain(coro):
    out, seen, c = [], set(), coro
    while c is not None and id(c) not in seen:
        seen.add(id(c))
        if isinstance(c, types.CoroutineType):
            fr, nxt = c.cr_frame, c.cr_await
        elif isinstance(c, types.GeneratorType):
            fr, nxt = c.gi_frame, c.gi_yieldfrom
        else:
            break
        if fr is None:
            break
        code = fr.f_code
        out.append({"function": code.co_name, "qualname": getattr(code, "co_qualname", code.co_name),
                    "file": code.co_filename, "line": fr.f_lineno})
        c = nxt
    out.reverse()
    return out


async def inner(fut):
    await fut


async def middle(fut):
    await inner(fut)


async def outer(fut):
    await middle(fut)


async def sleeper():
    await asyncio.sleep(3600)


async def waiter_of(task):
    await task


async def gatherer(a, b):
    await asyncio.gather(a, b)


async def shielder(task):
    await asyncio.shield(task)


async def consumer(q):
    await q.get()


async def finisher():
    return 1


async def group_parent():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(sleeper(), name="tg-1")
        tg.create_task(sleeper(), name="tg-2")


cyc = {}


async def cyc_task(other):
    await asyncio.sleep(0)
    await cyc[other]


def spawn(coro, name):
    return asyncio.ensure_future(coro, loop=asyncio.get_event_loop()) if False else \
        asyncio.get_event_loop().create_task(coro, name=name)


async def main_a():
    loop = asyncio.get_running_loop()
    keep = []
    never = loop.create_future()
    keep.append(spawn(outer(never), "nested"))
    g1, g2 = spawn(sleeper(), "g-1"), spawn(sleeper(), "g-2")
    keep.append(spawn(gatherer(g1, g2), "gatherer"))
    EDGES.extend([("g-1", "gatherer"), ("g-2", "gatherer")])
    if V >= (3, 11):
        keep.append(spawn(group_parent(), "tg-parent"))
        EDGES.extend([("tg-1", "tg-parent"), ("tg-2", "tg-parent")])
    keep.append(spawn(consumer(asyncio.Queue()), "consumer"))
    shared = spawn(sleeper(), "shared")
    keep += [spawn(waiter_of(shared), "waiter-1"), spawn(waiter_of(shared), "waiter-2")]
    EDGES.extend([("shared", "waiter-1"), ("shared", "waiter-2")])
    shielded = spawn(sleeper(), "shielded")
    keep.append(spawn(shielder(shielded), "shield-waiter"))
    EDGES.append(("shielded", "shield-waiter"))
    cyc["cyc-a"] = spawn(cyc_task("cyc-b"), "cyc-a")
    cyc["cyc-b"] = spawn(cyc_task("cyc-a"), "cyc-b")
    EDGES.extend([("cyc-a", "cyc-b"), ("cyc-b", "cyc-a")])
    if V >= (3, 12):
        keep.append(asyncio.Task(sleeper(), loop=loop, name="eager", eager_start=True))
    pyt = asyncio.tasks._PyTask(sleeper(), loop=loop, name="py-task")   # the pure-Python Task class
    PYTASKS.append(pyt)
    keep += [pyt, spawn(waiter_of(pyt), "py-waiter")]
    if V < (3, 14):   # 3.14+ record awaited_by in C, and a C task awaiting a pure-Python one leaves none
        EDGES.append(("py-task", "py-waiter"))
    fin = spawn(finisher(), "finished")
    for _ in range(5):
        await asyncio.sleep(0)
    assert fin.done()
    keep.append(fin)
    await idle("a", keep)


async def main_b():
    loop = asyncio.get_running_loop()
    futs = [loop.create_future() for _ in range(NBULK)]
    keep = [spawn(inner(f), "bulk-%d" % i) for i, f in enumerate(futs)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await idle("b", keep)


async def blocker():
    RUNNING.update(name=asyncio.current_task().get_name(), thread=threading.get_native_id())
    settled["c"].set()
    threading.Event().wait()  # BLOCK: the loop's thread, inside the task


async def blocker_parent():
    await spawn(blocker(), "blocker")


async def main_c():
    loops["c"] = asyncio.get_running_loop()
    tids["c"] = threading.get_native_id()
    EDGES.extend([("blocker", "blocker-parent"), ("blocker-parent", asyncio.current_task().get_name())])
    await spawn(blocker_parent(), "blocker-parent")


async def idle(which, keep):
    loops[which] = asyncio.get_running_loop()
    tids[which] = threading.get_native_id()
    ev = asyncio.Event()
    settled[which].set()
    await ev.wait()


def run(which, fn):
    settled[which] = threading.Event()
    threading.Thread(target=lambda: asyncio.run(fn()), name="loop-" + which, daemon=True).start()


def orphan_thread():
    loop = asyncio.new_event_loop()
    loops["d"] = loop
    tids["d"] = None           # its thread has ended: no thread runs the loop
    KEEP.append(loop.create_task(sleeper(), name="orphan"))
    loop.run_until_complete(asyncio.sleep(0.01))


KEEP = []
orphan = threading.Thread(target=orphan_thread, name="loop-d")
orphan.start()
orphan.join()
run("a", main_a)
run("b", main_b)
run("c", main_c)
for w in ("a", "b", "c"):
    if not settled[w].wait(120):
        raise SystemExit("loop %s did not settle" % w)
# both loops now wait in their selector; nothing runs until the process ends
tasks = []
awaiters = {}
for a, b in EDGES:
    awaiters.setdefault(a, []).append(b)
by_id = {}
for w in ("a", "b", "c", "d"):
    for t in asyncio.all_tasks(loops[w]):
        by_id[id(t)] = t
for t in PYTASKS:
    if not t.done():
        by_id[id(t)] = t
names = dict((t.get_name(), i) for i, t in by_id.items())
problems = []
for i, t in by_id.items():
    expect = sorted(names[n] for n in awaiters.get(t.get_name(), []))
    if V >= (3, 14):
        own = sorted(id(x) for x in (t._asyncio_awaited_by or ()))
        if own != expect:
            problems.append("%s: _asyncio_awaited_by %s, built %s" % (t.get_name(), own, expect))
    w = [k for k in loops if loops[k] is t.get_loop()][0]
    tasks.append({"id": i, "name": t.get_name(), "thread": tids[w], "coroutine": chain(t.get_coro()),
                  "awaited_by": expect, "state": "running" if t.get_name() == RUNNING["name"] else "pending"})
if problems:
    raise SystemExit("the target's own awaited_by disagrees: " + "; ".join(problems))
with open(truth_path + ".tmp", "w") as f:
    json.dump({"tasks": tasks, "nbulk": NBULK, "finished": "finished", "running": RUNNING}, f)
os.rename(truth_path + ".tmp", truth_path)
os.write(wfd, b"ready\n")
threading.Event().wait()
