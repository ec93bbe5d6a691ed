"""A validator for speedscope's file format (imported by profile_tests.py).

It checks what speedscope's published JSON schema
(https://www.speedscope.app/file-format-schema.json) requires — the $schema
constant, shared.frames with a string name each, profiles that are either
"sampled" (samples, weights) or "evented" (events with O/C types), a unit from
the schema's list, numeric start and end values — and the rules the schema
cannot express but speedscope's importer relies on: frame indices in range,
one weight per sample, events balanced and in time order.  Returns a list of
problems; empty means valid.
"""

SCHEMA = "https://www.speedscope.app/file-format-schema.json"
UNITS = ("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes")


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _frames(doc, problems):
    shared = doc.get("shared")
    if not isinstance(shared, dict) or not isinstance(shared.get("frames"), list):
        problems.append("shared.frames is missing or not an array")
        return 0
    for i, fr in enumerate(shared["frames"]):
        if not isinstance(fr, dict) or not isinstance(fr.get("name"), str):
            problems.append("frame %d has no string name" % i)
            continue
        if "file" in fr and not isinstance(fr["file"], str):
            problems.append("frame %d: file is not a string" % i)
        for k in ("line", "col"):
            if k in fr and not _number(fr[k]):
                problems.append("frame %d: %s is not a number" % (i, k))
    return len(shared["frames"])


def _sampled(i, prof, nframes, problems):
    samples, weights = prof.get("samples"), prof.get("weights")
    if not isinstance(samples, list) or not isinstance(weights, list):
        problems.append("profile %d: sampled without samples and weights arrays" % i)
        return
    if len(samples) != len(weights):
        problems.append("profile %d: %d samples but %d weights" % (i, len(samples), len(weights)))
    for j, st in enumerate(samples):
        if not isinstance(st, list) or not all(isinstance(x, int) and 0 <= x < nframes for x in st):
            problems.append("profile %d: sample %d has a frame index out of range" % (i, j))
            break
    if not all(_number(w) and w >= 0 for w in weights):
        problems.append("profile %d: a weight is not a non-negative number" % i)


def _evented(i, prof, nframes, problems):
    events = prof.get("events")
    if not isinstance(events, list):
        problems.append("profile %d: evented without an events array" % i)
        return
    open_frames, last = [], None
    for j, ev in enumerate(events):
        if not isinstance(ev, dict) or ev.get("type") not in ("O", "C") or not _number(ev.get("at")):
            problems.append("profile %d: event %d is not {type: O|C, at, frame}" % (i, j))
            return
        fr = ev.get("frame")
        if not isinstance(fr, int) or not 0 <= fr < nframes:
            problems.append("profile %d: event %d frame out of range" % (i, j))
            return
        if last is not None and ev["at"] < last:
            problems.append("profile %d: event %d goes back in time" % (i, j))
        last = ev["at"]
        if ev["type"] == "O":
            open_frames.append(fr)
        elif not open_frames or open_frames.pop() != fr:
            problems.append("profile %d: event %d closes a frame that is not open" % (i, j))
            return
    if open_frames:
        problems.append("profile %d: %d frames left open" % (i, len(open_frames)))


def validate(doc):
    problems = []
    if not isinstance(doc, dict):
        return ["the document is not an object"]
    if doc.get("$schema") != SCHEMA:
        problems.append("$schema is %r" % doc.get("$schema"))
    nframes = _frames(doc, problems)
    profiles = doc.get("profiles")
    if not isinstance(profiles, list) or not profiles:
        return problems + ["profiles is missing or empty"]
    for i, prof in enumerate(profiles):
        if not isinstance(prof, dict):
            problems.append("profile %d is not an object" % i)
            continue
        if prof.get("unit") not in UNITS:
            problems.append("profile %d: unit %r" % (i, prof.get("unit")))
        if not isinstance(prof.get("name"), str):
            problems.append("profile %d: name is not a string" % i)
        if not _number(prof.get("startValue")) or not _number(prof.get("endValue")):
            problems.append("profile %d: startValue/endValue are not numbers" % i)
        kind = prof.get("type")
        if kind == "sampled":
            _sampled(i, prof, nframes, problems)
        elif kind == "evented":
            _evented(i, prof, nframes, problems)
        else:
            problems.append("profile %d: type %r" % (i, kind))
    if "activeProfileIndex" in doc and not (isinstance(doc["activeProfileIndex"], int)
                                            and 0 <= doc["activeProfileIndex"] < len(profiles)):
        problems.append("activeProfileIndex out of range")
    return problems


def sample_weight_total(doc):
    return sum(sum(p.get("weights", [])) for p in doc.get("profiles", []) if p.get("type") == "sampled")
