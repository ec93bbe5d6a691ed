"""A Gecko profile (the Firefox Profiler's format) checked the way the
profiler reads it (imported by formats_tests.py).

validate() checks the shape the profiler's importer relies on: meta with a
numeric interval and startTime and a version it upgrades from, categories;
per thread name, pid, tid, and samples / stackTable / frameTable / markers
as {schema, data} tables whose columns the schema names, a stringTable of
strings; every sample's stack, every stack's prefix (earlier in the table,
or null) and frame, every frame's location string inside its table; sample
times in order.  stacks() resolves every sample back to its list of
function names, root first, exactly as the profiler does (prefix chain,
frame's location string).
"""

FRAME_COLUMNS = ("location", "relevantForJS", "innerWindowID", "implementation", "line", "column",
                 "category", "subcategory")


def _table(thread, name, columns, problems):
    t = thread.get(name)
    if not isinstance(t, dict) or not isinstance(t.get("schema"), dict) or not isinstance(t.get("data"), list):
        problems.append("thread %r: %s is not a {schema, data} table" % (thread.get("name"), name))
        return None
    for c in columns:
        if c not in t["schema"]:
            problems.append("thread %r: %s schema lacks %r" % (thread.get("name"), name, c))
    return t


def validate(doc):
    problems = []
    meta = doc.get("meta")
    if not isinstance(meta, dict):
        return ["no meta object"]
    for k in ("interval", "startTime", "version"):
        if not isinstance(meta.get(k), (int, float)) or isinstance(meta.get(k), bool):
            problems.append("meta.%s is not a number" % k)
    if not isinstance(meta.get("categories"), list) or not meta.get("categories"):
        problems.append("meta.categories is missing")
    for k in ("libs", "threads", "processes"):
        if not isinstance(doc.get(k), list):
            problems.append("%s is not a list" % k)
    for th in doc.get("threads") or []:
        for k in ("name", "pid", "tid", "processType"):
            if k not in th:
                problems.append("a thread lacks %r" % k)
        strings = th.get("stringTable")
        if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
            problems.append("thread %r: stringTable is not a list of strings" % th.get("name"))
            continue
        samples = _table(th, "samples", ("stack", "time"), problems)
        stacks = _table(th, "stackTable", ("prefix", "frame"), problems)
        frames = _table(th, "frameTable", FRAME_COLUMNS, problems)
        _table(th, "markers", ("name", "startTime", "endTime", "phase", "category", "data"), problems)
        if not (samples and stacks and frames):
            continue
        loc = frames["schema"]["location"]
        for i, fr in enumerate(frames["data"]):
            if not 0 <= fr[loc] < len(strings):
                problems.append("frame %d: location %r outside the stringTable" % (i, fr[loc]))
        pre, fcol = stacks["schema"]["prefix"], stacks["schema"]["frame"]
        for i, st in enumerate(stacks["data"]):
            if st[pre] is not None and not 0 <= st[pre] < i:
                problems.append("stack %d: prefix %r is not an earlier stack" % (i, st[pre]))
            if not 0 <= st[fcol] < len(frames["data"]):
                problems.append("stack %d: frame %r outside the frameTable" % (i, st[fcol]))
        scol, tcol, last = samples["schema"]["stack"], samples["schema"]["time"], None
        for i, s in enumerate(samples["data"]):
            if s[scol] is not None and not 0 <= s[scol] < len(stacks["data"]):
                problems.append("sample %d: stack %r outside the stackTable" % (i, s[scol]))
            if last is not None and s[tcol] < last:
                problems.append("sample %d: time %r before the previous %r" % (i, s[tcol], last))
            last = s[tcol]
    return problems


def stacks(doc):
    """Every sample of every thread as a list of location strings, root first."""
    out = []
    for th in doc["threads"]:
        strings = th["stringTable"]
        st, fr, sm = th["stackTable"], th["frameTable"], th["samples"]
        pre, fcol, loc = st["schema"]["prefix"], st["schema"]["frame"], fr["schema"]["location"]
        for s in sm["data"]:
            idx, names = s[sm["schema"]["stack"]], []
            while idx is not None:
                names.append(strings[fr["data"][st["data"][idx][fcol]][loc]])
                idx = st["data"][idx][pre]
            out.append(names[::-1])
    return out
