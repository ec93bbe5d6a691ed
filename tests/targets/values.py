# -*- coding: utf-8 -*-
"""pyspy-sh end-to-end target: a frame holding locals of every kind of value.

Usage: python values.py TRUTH_JSON READY

READY is a file descriptor number (a pipe inherited from the test) or a path;
"ready\\n" is written to it once TRUTH_JSON is in place.  The main thread then
blocks in hold_values() -> waiter() -> time.sleep, forever (the test kills it).

hold_values() holds one local of each kind the value printer knows: None,
bools, ints (small, negative, 200 digits, 2.7 long), floats (1.5, 1e300, -0.0,
inf, nan, 0.1), str of each PEP 393 kind (ascii, latin-1, UCS-2, UCS-4), a
1 MB str, bytes, list, tuple, 1-tuple, dicts with str and non-str keys, set,
frozenset, a set and a dict with removed entries, a 10,000-element list, a list that contains itself, nesting deeper
than the depth limit, instances (a __dict__ class and a __slots__ class),
arguments (positional, *args, **kwargs) and captured variables (cells);
waiter() sees two of them as free variables.  The std_* locals hold the
standard library's types (stdlib_values(): namedtuple, OrderedDict,
defaultdict, Counter, Decimal, datetime, deque, complex, range, bytearray,
memoryview, Fraction, UUID, set subclasses, Enum and Path on 3.x), whose
"repr" is the target's own repr().  "prints" is [EXPR, repr(eval(EXPR))] for
each `print` path of PRINT_EXPRS, evaluated in hold_values()'s scope.

Ground truth (TRUTH_JSON): for each of the two functions, each variable's
  "repr":  the printer's text with no limits: Python's own repr() for builtin
           values (the target asserts the two agree), and the documented
           "<Point object at 0x..> {x=1, y=2}" form for instances;
  "short": the text expected with the default limits (width 200, depth 3,
           100 items), made by limited_repr() below, which mirrors the rules
           documented in engine/repr.h;
  "kind":  local, cell or free; "arg": whether it is a parameter.
Variables bound only after the blocking call appear with repr "<unbound>".
Python 2.7 - 3.13 compatible.
"""
import json
import os
import sys
import threading
import time

PY2 = sys.version_info[0] == 2
# `print` paths whose value the target records itself, repr(eval(EXPR)) in hold_values()
PRINT_EXPRS = [
    "s_ascii[0]", "s_ascii[-1]", "s_ascii[1:4]", "s_ascii[:3]", "s_ascii[-3:]", "s_ascii[100:]", "s_ascii[2:8][1]",
    "s_ucs4[0]", "s_latin[3]", "s_latin[1:]", "s_ucs2[0:2]", "raw[0]", "raw[-1]", "raw[1:3]", "raw[:]",
    "small_list[1:]", "small_list[:-1]", "small_list[0:2][1]", "small_tuple[0:1]", "small_tuple[5:]",
    "small_tuple[-2:][0]", "one_tuple[0]", "point.__class__", "slotted.__class__", "point.__dict__",
    "small_list.__class__", "Point.__name__", "small_list.__class__.__name__", "point.__class__.__name__",
    "odd_dict[(2, 3)]", "odd_dict[(2,3)]", "odd_dict[None]", "odd_dict[1]", "key_dict[b'k']", "key_dict[(1, 'a')]",
    "key_dict[-5]", "key_dict[(None, (2,))]", "key_dict[True]", "A_THREAD._Thread__name" if PY2 else "A_THREAD._name",
    "std_namedtuple[0].y", "std_namedtuple[1].x.y", "std_odict['a']",
] + ([] if PY2 else ["Point.__qualname__", "Point.Inner.__qualname__", "std_enum[0]", "std_path[1]"])
GLOBAL_NAME = "a global"
A_THREAD = threading.Thread(target=None, name="worker-x")   # 3.14 once lost t._name
WIDTH, DEPTH, ITEMS = 200, 3, 100
HOLDS_INSTANCES = ("point", "nested_point", "slotted")


class Point(object):
    kind = "class attribute"

    class Inner(object):
        pass

    def __init__(self, x, y):
        self.x = x
        self.y = y


TWINS = {}


class MySet(set):
    pass


class MyFrozen(frozenset):
    pass


def stdlib_values():
    """{name: value} of the standard library's types whose repr pyspy-sh reads
    from memory (engine/values/repr_stdlib.c); those a version lacks are None."""
    import collections
    import datetime as dt
    import decimal
    import fractions
    import uuid
    D = decimal.Decimal
    Pt = collections.namedtuple("Pt", "x y")
    v = {}
    v["std_namedtuple"] = (Pt(1, "two"), Pt(Pt(0, -1), [3]))
    v["std_odict"] = collections.OrderedDict([("b", 1), ("a", [2]), ("c", None)])
    v["std_odict_empty"] = collections.OrderedDict()
    lru = collections.OrderedDict([("a", 1), ("b", 2), ("c", 3)])
    if PY2:
        lru["a"] = lru.pop("a")
    else:
        lru.move_to_end("a")             # the order is the node list's, not the dict's storage
    v["std_odict_moved"] = lru
    v["std_defaultdict"] = collections.defaultdict(list, {"k": [1]})
    v["std_defaultdict_none"] = collections.defaultdict(None)
    v["std_counter"] = collections.Counter({"x": 1, "y": 3, "z": 2, "w": 3})
    v["std_counter_empty"] = collections.Counter()
    v["std_decimals"] = (D("-12.340"), D("1.5E+10"), D("0.0000001"), D("123.456E-10"), D("NaN"),
                         D("-Infinity"), D("sNaN12"), D("-0"), D("3.14159265358979323846264338327950288"))
    moments = [dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 13, 45, 30, 123456), dt.datetime(2001, 1, 1, 0, 0),
               dt.datetime(1999, 12, 31, 23, 59, 7), dt.time(7, 8, 9), dt.time(23, 59, 0, 5), dt.time(0, 0),
               dt.timedelta(days=1, seconds=5, microseconds=7), dt.timedelta(0), dt.timedelta(seconds=-1),
               dt.timedelta(microseconds=250)]
    if not PY2:
        moments += [dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc),
                    dt.time(1, 2, tzinfo=dt.timezone(dt.timedelta(hours=-5), "EST")),
                    dt.timezone(dt.timedelta(minutes=90))]
    if sys.version_info >= (3, 6):
        moments.append(dt.datetime(2024, 11, 3, 1, 30, fold=1))
    v["std_datetimes"] = tuple(moments)
    v["std_deque"] = collections.deque([1, "two", 3.0], maxlen=5)
    long_deque = collections.deque(range(150))
    long_deque.rotate(7)
    v["std_deque_long"] = long_deque
    v["std_complex"] = (complex(1.5, -2), 2j, complex(-0.0, 1), complex(1e300, float("nan")), -1j, complex(3, 0))
    v["std_range"] = (xrange(0, 10, 2), xrange(5), xrange(3, 9)) if PY2 else (range(0, 10, 2), range(5), range(-3, 9))  # noqa: F821
    v["std_bytearray"] = bytearray(b"ab'c\x00")
    v["std_memoryview"] = memoryview(b"abc")
    v["std_fractions"] = (fractions.Fraction(3, 4), fractions.Fraction(-7, 3))
    v["std_uuids"] = (uuid.UUID("12345678-1234-5678-1234-567812345678"),
                      uuid.UUID("fedcba98-7654-4321-8fed-cba987654321"))
    v["std_sets"] = (MySet([1, 2]), MyFrozen(["a"]), MySet())

    class PtSub(Pt):
        pass

    class MyOD(collections.OrderedDict):
        pass

    class MyCounter(collections.Counter):
        pass

    class MyDeque(collections.deque):
        pass

    class MyDefault(collections.defaultdict):
        pass

    class OwnRepr(collections.OrderedDict):
        def __repr__(self):
            return "<own>"
    own = OwnRepr(a=1)
    # subclasses print as their base with their own name; one with its own
    # __repr__ is an instance like any other (its text needs running it)
    v["std_subclasses"] = (PtSub(1, 2), MyOD([("a", 1)]), MyCounter("aab"), MyDeque([1, 2]),
                           MyDefault(list, {"k": [1]}))
    v["std_own_repr"] = own
    v["std_enum"] = v["std_path"] = v["std_path_fresh"] = None
    if not PY2:
        import enum
        import pathlib

        class Color(enum.Enum):
            RED = 1
            GREEN = "g"
        v["std_enum"] = (Color.RED, Color.GREEN)
        v["std_path"] = (pathlib.PurePosixPath("/tmp/some dir/x.txt"), pathlib.Path("rel/p"))
        # paths never turned into a str (no _str cached): their repr is taken from equal twins
        fresh = lambda: (pathlib.PurePosixPath("/srv/app/x.py"), pathlib.PurePosixPath("rel", "dir/f"),
                         pathlib.PosixPath("/"))
        v["std_path_fresh"] = fresh()
        TWINS["std_path_fresh"] = fresh()
    return v


class Slotted(object):
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1
        self.b = "two"


def slot_names(v):
    names = []
    for cls in reversed(type(v).__mro__):
        names.extend(sorted(n for n in cls.__dict__.get("__slots__", ()) if n not in ("__dict__", "__weakref__")))
    return [n for n in names if hasattr(v, n)]


def _container(v, level, depth, items, stack, open_, close, parts):
    """Join item texts as engine/repr.c does: cap, '...(N more)', the bracket."""
    total = len(parts)
    shown = parts if not items else parts[:items]
    s = open_ + ", ".join(f() for f in shown)
    if len(shown) < total:
        s += (", " if shown else "") + "...(%d more)" % (total - len(shown))
    return s + close


def _r(v, level, depth, items, stack):
    deep = (depth and level > depth) or id(v) in stack
    sub = stack + [id(v)]
    t = type(v)
    rec = lambda x: (lambda: _r(x, level + 1, depth, items, sub))
    if t is list:
        if not v:
            return "[]"
        if deep:
            return "[...]"
        return _container(v, level, depth, items, stack, "[", "]", [rec(x) for x in v])
    if t is tuple:
        if not v:
            return "()"
        if deep:
            return "(...)"
        s = _container(v, level, depth, items, stack, "(", ")", [rec(x) for x in v])
        return s[:-1] + ",)" if len(v) == 1 else s
    if t is dict:
        if not v:
            return "{}"
        if deep:
            return "{...}"
        pair = lambda k, x: (lambda: _r(k, level + 1, depth, items, sub) + ": " + _r(x, level + 1, depth, items, sub))
        return _container(v, level, depth, items, stack, "{", "}", [pair(k, x) for k, x in v.items()])
    if t in (set, frozenset):
        name = t.__name__
        if PY2 or t is frozenset:
            open_, close = name + ("([" if PY2 else "({"), ("])" if PY2 else "})")
        else:
            open_, close = "{", "}"
        if not v:
            return name + ("([])" if PY2 else "()")
        if deep:
            return open_ + "..." + close
        return _container(v, level, depth, items, stack, open_, close, [rec(x) for x in v])
    if t in (Point, Slotted):
        head = "<%s object at 0x%x>" % (t.__name__, id(v))
        if deep:
            return head
        attrs = list(getattr(v, "__dict__", {}).items()) + [(n, getattr(v, n)) for n in slot_names(v)]
        if not attrs:
            return head
        pair = lambda k, x: (lambda: k + "=" + _r(x, level + 1, depth, items, sub))
        s = _container(v, level, depth, items, stack, "{", "}", [pair(k, x) for k, x in attrs])
        return head + " " + s
    return repr(v)


def limited_repr(v, width, depth, items):
    s = _r(v, 1, depth, items, [])
    if width and len(s) > width:
        s = s[:max(width - 3, 0)] + "..."[:width]
    return s


def truth_of(names_kinds, values):
    out = {}
    for name, (kind, arg) in names_kinds.items():
        if name not in values:
            out[name] = {"repr": "<unbound>", "short": "<unbound>", "kind": kind, "arg": arg}
            continue
        v = values[name]
        if name == "std_own_repr":      # documented: a dict subclass whose __repr__ would have to run prints as its dict
            v = dict(v)
        v = TWINS.get(name, v)          # an equal value whose repr may be taken (it caches what it prints)
        full = limited_repr(v, 0, 0, 0)
        if name not in HOLDS_INSTANCES:
            assert full == repr(v), (name, full[:100], repr(v)[:100])
        text = lambda s: s.decode("latin-1") if PY2 and isinstance(s, str) else s
        out[name] = {"repr": text(full), "short": text(limited_repr(v, WIDTH, DEPTH, ITEMS)),
                     "kind": kind, "arg": arg}
    return out


def write_ready(ready):
    if ready.isdigit():
        os.write(int(ready), b"ready\n")
    else:
        with open(ready, "w") as f:
            f.write("ready\n")


def hold_values(truth_path, ready, first_arg, *args, **kwargs):
    none = None
    yes, no = True, False
    small, negative = 42, -7
    huge = 3 ** 419                      # 200 decimal digits
    huge_neg = -(10 ** 199) - 12345
    zero = 0
    big64 = 2 ** 64 + 1
    f_half, f_big, f_negzero = 1.5, 1e300, -0.0
    f_inf, f_nan, f_tenth = float("inf"), float("nan"), 0.1
    f_small, f_int = 1e-05, 1e16
    s_ascii = "hello 'world'\n\ttab\\"
    s_quotes = "it's \"both\""
    s_latin = u"caf\u00e9"
    s_ucs2 = u"\u03a9mega"
    s_ucs4 = u"\U0001F600 grin"
    s_ctrl = u"bell\x07 del\x7f nbsp\xa0"
    s_empty = ""
    s_mega = "x" * (1 << 20)
    raw = b"bytes\x00\xff'"
    small_list = [1, "two", 3.0]
    small_tuple = (1, 2, 3)
    one_tuple = (1,)
    empty_list, empty_tuple, empty_dict = [], (), {}
    str_dict = {"a": 1, "b": [1, 2]}
    odd_dict = {1: "a", (2, 3): "b", None: 0}
    key_dict = {b"k": 1, (1, "a"): 2, -5: "neg", (None, (2,)): 3, True: "yes"}
    a_set = set([1, 2, 3])
    a_frozenset = frozenset(["x"])
    empty_set, empty_frozenset = set(), frozenset()
    holey_set = set(range(40))           # removed entries leave dummies behind
    for i in range(0, 40, 3):
        holey_set.discard(i)
    holey_dict = dict((i, i) for i in range(12))
    for i in range(0, 12, 2):
        del holey_dict[i]
    str_set = set(["dummy", "<dummy key>"])
    long_list = list(range(10000))
    self_list = [1]
    self_list.append(self_list)
    self_dict = {"k": 1}
    self_dict["me"] = self_dict
    deep = [[[[["bottom"]]]]]
    deep_dict = {"l1": {"l2": {"l3": {"l4": 1}}}}
    point = Point(1, [2, 3])
    nested_point = [Point(Point(0, 0), "p")]
    slotted = Slotted()
    fresh_point = Point(5, "six")        # __dict__ never asked for: 3.11+ keep split/inline values
    captured = ["captured"]
    std = stdlib_values()
    std_namedtuple, std_odict, std_odict_empty = std["std_namedtuple"], std["std_odict"], std["std_odict_empty"]
    std_defaultdict, std_defaultdict_none = std["std_defaultdict"], std["std_defaultdict_none"]
    std_counter, std_counter_empty, std_decimals = std["std_counter"], std["std_counter_empty"], std["std_decimals"]
    std_datetimes, std_deque, std_deque_long = std["std_datetimes"], std["std_deque"], std["std_deque_long"]
    std_complex, std_range, std_bytearray = std["std_complex"], std["std_range"], std["std_bytearray"]
    std_memoryview, std_fractions, std_uuids = std["std_memoryview"], std["std_fractions"], std["std_uuids"]
    std_sets, std_enum, std_path = std["std_sets"], std["std_enum"], std["std_path"]
    std_subclasses, std_own_repr, std_path_fresh = std["std_subclasses"], std["std_own_repr"], std["std_path_fresh"]
    std_odict_moved = std["std_odict_moved"]
    del std
    if PY2:
        a_long = long(5)   # noqa: F821  (2.7 only)
        latin_bytes = "caf\xc3\xa9"
    else:
        a_long = 5
        latin_bytes = b"caf\xc3\xa9"

    def waiter():
        # free variables of this frame: captured, first_arg
        values = {"captured": captured, "first_arg": first_arg}
        kinds = {"captured": ("free", False), "first_arg": ("free", False)}
        mine = truth_of(kinds, values)
        outer = dict(frame_values)
        import dis
        last_line = max(n for _, n in dis.findlinestarts(hold_values.__code__) if n is not None)
        with open(truth_path + ".tmp", "w") as f:
            json.dump({"hold_values": outer, "waiter": mine, "pid": os.getpid(), "prints": prints,
                       "hold_values_last_line": last_line, "starting_thread_states": len(STARTING),
                       "globals": {"GLOBAL_NAME": repr(GLOBAL_NAME)}}, f)
        os.rename(truth_path + ".tmp", truth_path)
        write_ready(ready)
        while True:
            time.sleep(3600)  # BLOCK

    values = dict(locals())
    values.pop("waiter", None)
    fresh = values.pop("fresh_point")
    kinds = dict((n, ("local", False)) for n in values)
    for n in ("first_arg", "args", "kwargs"):
        kinds[n] = ("local", True)
    kinds["first_arg"] = ("cell", True)
    kinds["captured"] = ("cell", False)
    kinds["ready"] = kinds["truth_path"] = ("cell", True)
    kinds["unbound_later"] = ("local", False)
    frame_values = truth_of(kinds, values)
    scope = dict(globals())
    scope.update(values)
    prints = []
    for expr in PRINT_EXPRS:
        text = repr(eval(expr, scope))
        prints.append([expr, text.decode("latin-1") if PY2 and isinstance(text, str) else text])
    order = list(fresh.__dict__) if PY2 else ["x", "y"]   # 2.7: hash order; reading it is harmless there
    text = "<Point object at 0x%x> {%s}" % (id(fresh), ", ".join("%s=%r" % (k, getattr(fresh, k)) for k in order))
    frame_values["fresh_point"] = {"repr": text, "short": text, "kind": "local", "arg": False}
    waiter()
    unbound_later = 1
    return unbound_later


STARTING = []


def make_starting_thread_state():
    """3.12+: a thread state made as threading.Thread.start() makes one for its
    new thread before that thread runs: in the interpreter's list, no thread id
    and no OS thread yet (before 3.12 a new thread makes its own)."""
    if sys.version_info < (3, 12):
        return
    import ctypes
    api = ctypes.pythonapi
    api.PyInterpreterState_Head.restype = ctypes.c_void_p
    api._PyThreadState_Prealloc.restype = ctypes.c_void_p
    api._PyThreadState_Prealloc.argtypes = [ctypes.c_void_p]
    STARTING.append(api._PyThreadState_Prealloc(api.PyInterpreterState_Head()))


def main():
    make_starting_thread_state()
    hold_values(sys.argv[1], sys.argv[2], "first", "extra", key="word")


if __name__ == "__main__":
    main()
