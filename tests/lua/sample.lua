-- sample.lua: pyspy.sample and the profile object against busy.py (hot_leaf
-- is where nearly all the time goes, 30 frames deep).
-- Usage: pyspy-sh -p PID -x tests/lua/sample.lua -- TRUTH.lua OUTDIR
local T = dofile(arg[0]:gsub("[^/]*$", "") .. "lib.lua")
local truth = T.load_truth(arg[1])
local dir = arg[2]

-- on_sample sees every sample the profile counts
local seen, leaf, wsum = 0, 0, 0
local prof, why = pyspy.sample{duration = 0.5, rate = 200, on_sample = function(s)
  seen = seen + 1
  wsum = wsum + s.weight
  if s.frames[1]["function"] == "hot_leaf" and s.frames[1].file == truth.file then leaf = leaf + 1 end
  assert(type(s.time) == "number" and type(s.thread.id) == "number")
end}
T.check(prof ~= nil and why == nil, "sample: %s %s", tostring(prof), tostring(why))
T.check(prof:count() >= 5, "%d samples in 0.5s at 200 Hz (a loaded machine gets fewer)", prof:count())
T.check(seen == prof:count(), "on_sample saw %d, the profile counts %d", seen, prof:count())
T.check(wsum == prof.weight, "on_sample's weights add up to %d, the profile weighs %d", wsum, prof.weight)
T.check(leaf * 10 >= seen * 8, "hot_leaf innermost in %d of %d samples", leaf, seen)
T.check(prof.pid == truth.pid and prof.duration > 0.3, "profile fields")
-- the default mode weighs each stack by its thread's CPU time since the previous tick (µs)
T.check(prof.mode == "cpu" and prof.unit == "cpu_us" and prof.weight > 0, "mode %s, unit %s, weight %s",
        tostring(prof.mode), tostring(prof.unit), tostring(prof.weight))

-- top: rows sorted by own, hot_leaf first; by line, its loop lines
local top = prof:top(3)
T.check(#top == 3 and top[1]["function"] == "hot_leaf" and top[1].file == truth.file, "top(3)[1] = %s",
        tostring(top[1] and top[1].qualname))
T.check(top[1].own >= top[2].own and top[2].own >= top[3].own and top[1].total * 10 >= prof.weight * 8, "top order and totals")
T.check(top[1].samples >= 1 and top[1].samples <= prof:count() and top[1].own_samples <= top[1].samples, "top samples")
local byline = prof:top(1, "line")[1]
T.check(byline.line == truth.leaf_line or byline.line == truth.leaf_line - 1, "top by line: line %s, truth %d",
        tostring(byline.line), truth.leaf_line)
T.raises(function() return prof:top(3, "file") end, "bad argument #2 to 'top' %(invalid option 'file'%)", "top(3, 'file')")
T.raises(function() return prof:top(0) end, "bad argument #1 to 'top'", "top(0)")

-- stacks: weights and sample counts add up; frames innermost first, 30+ deep under hot_leaf
local sum, nsum, deep = 0, 0, true
for frames, weight, thread, samples in prof:stacks() do
  sum, nsum = sum + weight, nsum + samples
  if frames[1]["function"] == "hot_leaf" then deep = deep and #frames >= 30 and frames[2]["function"] == "descend" end
  assert(thread.id)
end
T.check(sum == prof.weight and nsum == prof:count(), "stacks add up to %d (weight %d) and %d (count %d)",
        sum, prof.weight, nsum, prof:count())
T.check(deep, "hot_leaf stacks are 30+ frames, descend under it")

-- files
T.check(prof:flamegraph(dir .. "/lua.svg", {title = "from lua"}) == true, "flamegraph")
T.check(prof:save(dir .. "/lua.txt") == true and prof:save(dir .. "/lua.json") == true, "save by extension")
T.check(prof:save(dir .. "/lua.out", "speedscope") == true, "save with a format")
local ok, err = prof:save("/nonexistent-dir/x.txt")
T.check(ok == nil and err:find("cannot write '/nonexistent%-dir/x.txt'") ~= nil, "save to a bad path: %s", tostring(err))
T.raises(function() return prof:save(dir .. "/x.zzz") end, "bad argument #1 to 'save' %(cannot tell the format", "save(x.zzz)")
T.raises(function() return prof:save(dir .. "/x", "png") end, "bad argument #2 to 'save' %(unknown format 'png'", "save(x, png)")

-- native=true: C frames (named by library, no line) merged under and around
-- the Python ones; hot_leaf stays the innermost Python frame
-- (weights: pausing wakes the sleeping thread, whose going back to sleep shows
-- as a few µs of CPU under its sleep; hot_leaf has nearly all the CPU time)
local nseen, nweight, nleaf, clib = 0, 0, 0, 0
local np = assert(pyspy.sample{duration = 0.5, rate = 50, native = true, on_sample = function(s)
  nseen, nweight = nseen + 1, nweight + s.weight
  local inner_py
  for _, f in ipairs(s.frames) do
    if f.file and f.file:find("%.py$") then inner_py = inner_py or f["function"]
    elseif f.line == nil and f.file then clib = clib + 1 end
  end
  if inner_py == "hot_leaf" then nleaf = nleaf + s.weight end
end})
T.check(np:count() >= 3 and nseen == np:count(), "native sample: %d samples, on_sample saw %d", np:count(), nseen)
T.check(nleaf * 10 >= nweight * 8, "native sample: hot_leaf is the innermost Python frame in %d of %d \xc2\xb5s of CPU",
        nleaf, nweight)
T.check(clib > 0, "native sample: no C frame named by its library")

-- merge adds the counts
local more = assert(pyspy.sample{duration = 0.2, rate = 100})
local a, b = prof:count(), more:count()
T.check(prof:merge(more) == prof and prof:count() == a + b, "merge: %d + %d -> %d", a, b, prof:count())
-- mode="wall" (and idle=true) counts samples; µs of CPU and samples do not add up
local wall = assert(pyspy.sample{duration = 0.2, rate = 100, mode = "wall"})
T.check(wall.unit == "samples" and wall.mode == "wall" and wall.weight == wall:count(), "wall: unit %s, weight %d, count %d",
        tostring(wall.unit), wall.weight, wall:count())
T.check(assert(pyspy.sample{duration = 0.1, idle = true}).mode == "wall", "idle=true is mode wall")
T.raises(function() return prof:merge(wall) end, "merge: the profiles weigh samples in different units %(cpu_us and samples%)",
         "merge cpu_us with samples")

-- error() in on_sample stops sampling and keeps the profile; so does returning false
local calls = 0
local kept, msg = pyspy.sample{duration = 10, rate = 100, on_sample = function() calls = calls + 1; error("boom") end}
T.check(kept ~= nil and kept:count() == 1 and calls == 1, "error in on_sample: %s samples, %d calls",
        tostring(kept and kept:count()), calls)
T.check(msg and msg:find("^on_sample: .*boom") ~= nil, "error in on_sample: message %s", tostring(msg))
local stopped = assert(pyspy.sample{duration = 10, rate = 100, on_sample = function(s) return false end})
T.check(stopped:count() == 1, "on_sample returning false: %d samples", stopped:count())

-- bad options
T.raises(function() return pyspy.sample{rate = 0} end, "bad argument #1 to '[%w.]*sample' %(field 'rate'", "rate 0")
T.raises(function() return pyspy.sample{duration = "1s"} end, "field 'duration': number expected, got string", "duration '1s'")
T.raises(function() return pyspy.sample{on_sample = 1} end, "field 'on_sample': function expected, got number", "on_sample 1")
T.raises(function() return pyspy.sample{native = 1} end, "field 'native': boolean expected, got number", "native 1")
T.raises(function() return pyspy.sample{mode = "idle"} end, "field 'mode': \"cpu\", \"wall\", \"gil\" or \"exception\" expected", "mode idle")
T.raises(function() return pyspy.sample{mode = "wall", gil = true} end, "fields 'mode' and 'idle'/'gil' both choose", "mode and gil")
T.raises(function() return pyspy.sample(5) end, "bad argument #1 to '[%w.]*sample' %(table expected, got number%)", "sample(5)")

-- a closed profile refuses
local c = assert(pyspy.sample{duration = 0.1})
c:close()
T.raises(function() return c:count() end, "attempt to use a closed profile", "closed profile")
T.check(tostring(c) == "profile (closed)", "tostring of a closed profile")

T.finish("sample.lua")
