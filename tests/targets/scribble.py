# A hostile 3.13+ target: it overwrites one to three 8-byte slots of its own
# _Py_DebugOffsets table (the start of _PyRuntime), the table pyspy-sh takes
# struct offsets from, then waits 20 frames deep with a few locals.
#
#   python scribble.py WFD SEED [NSLOTS]
#   python scribble.py WFD SLOT=VALUE[,SLOT=VALUE...]
#
# SEED picks the slots (8-byte words of the table, 3 and up) and values: 0, 7,
# 4096, 100000, 2**31-1, 2**40, -8, random, or the old value moved by a few
# words (aligned, plausible, wrong); the second form names them.  What was written goes to stdout ("scribble slot 14 (offset 112):
# 72 -> 100000"), then "ready" on the pipe WFD.  _PyRuntime is found through
# ctypes.pythonapi where the symbol is exported, else through the .PyRuntime
# section of the ELF file that holds it (parsed here, /proc/self/maps for its
# load address); either way its first 8 bytes must be b"xdebugpy".
import ctypes
import os
import random
import struct
import sys
import threading
import time

VALUES = [0, 7, 4096, 100000, 2 ** 31 - 1, 2 ** 40, -8]


def from_symbol():
    try:
        return ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))
    except (ValueError, AttributeError):
        return None


def section_vaddr(path, name):
    """(sh_addr of section `name`, lowest PT_LOAD p_vaddr) of a 64-bit ELF file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", data, 0x36)
    load = min(struct.unpack_from("<Q", data, phoff + i * phentsize + 16)[0]
               for i in range(phnum) if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 1)
    stroff = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)[0]
    for i in range(shnum):
        sh = shoff + i * shentsize
        nameoff = struct.unpack_from("<I", data, sh)[0]
        end = data.index(b"\0", stroff + nameoff)
        if data[stroff + nameoff:end] == name:
            return struct.unpack_from("<Q", data, sh + 0x10)[0], load
    return None


def from_section():
    seen = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5].startswith("/") and parts[5] not in [p for p, _ in seen]:
                seen.append((parts[5], int(parts[0].split("-")[0], 16)))
    for path, lo in seen:
        try:
            found = section_vaddr(path, b".PyRuntime")
        except (OSError, ValueError, struct.error):
            continue
        if found:
            return lo + found[0] - (found[1] & ~0xfff)
    return None


def runtime():
    for how in (from_symbol, from_section):
        addr = how()
        if addr and ctypes.string_at(addr, 8) == b"xdebugpy":
            return addr
    sys.exit("scribble: no _Py_DebugOffsets found (is this 3.13+?)")


def choose(seed, nslots, base):
    rng = random.Random(seed)
    words = (584 if sys.version_info[:2] == (3, 13) else 760) // 8
    for _ in range(nslots):
        slot = rng.randrange(3, words)      # past cookie, version, free_threaded
        value = rng.choice(VALUES + ["random", "small", "near"])
        if value == "random":
            value = rng.getrandbits(64)
        elif value == "small":
            value = rng.randrange(0, 1024)
        elif value == "near":               # aligned and plausible: often accepted, and wrong
            value = max(0, struct.unpack("<Q", ctypes.string_at(base + slot * 8, 8))[0] + 8 * rng.randint(-4, 4))
        yield slot, value


def scribble(base, writes):
    for slot, value in writes:
        at = base + slot * 8
        old = struct.unpack("<Q", ctypes.string_at(at, 8))[0]
        ctypes.memmove(at, struct.pack("<Q", value & (2 ** 64 - 1)), 8)
        sys.stdout.write("scribble slot %d (offset %d): %d -> %d\n" % (slot, slot * 8, old, value))
    sys.stdout.flush()


def deep(n, wfd, stop):
    label = "frame %d" % n
    values = [n, n * 1.5, {"n": n}, (label,)]
    if n > 1:
        return deep(n - 1, wfd, stop) + len(values)
    os.write(wfd, b"ready\n")
    os.close(wfd)
    while not stop.is_set():
        time.sleep(0.05)
    return len(label)


def main():
    wfd = int(sys.argv[1])
    base = runtime()
    if "=" in sys.argv[2]:
        writes = [tuple(int(x) for x in w.split("=")) for w in sys.argv[2].split(",")]
    else:
        seed = int(sys.argv[2])
        nslots = int(sys.argv[3]) if len(sys.argv) > 3 else random.Random(seed).randint(1, 3)
        writes = list(choose(seed, nslots, base))
    scribble(base, writes)
    stop = threading.Event()
    helper = threading.Thread(target=lambda: stop.wait(), name="waiter")
    helper.start()
    try:
        deep(20, wfd, stop)
    finally:
        stop.set()
        helper.join()


if __name__ == "__main__":
    main()
