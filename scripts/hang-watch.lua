-- hang-watch.lua: watch a process and write `bt --all --locals` to a file when a thread stops making progress.
--
-- Usage:
--   pyspy-sh -p PID -x hang-watch.lua [-- SECONDS [OUTPUT [MAX_WATCH [NAME_PATTERN]]]]
--   (pyspy) source hang-watch.lua [SECONDS [OUTPUT [MAX_WATCH [NAME_PATTERN]]]]
--
--   SECONDS       how long a thread must stay stuck (default 10)
--   OUTPUT        where the report goes (default hang-PID.txt)
--   MAX_WATCH     give up after this many seconds, printing "no hang" (default
--                 0: watch until the hang or Ctrl-C)
--   NAME_PATTERN  watch only threads whose name matches this Lua pattern
--                 (default: every thread)
--
-- Every second the process is sampled for one second (50 Hz, waiting threads
-- included).  A thread that showed the same stack in every sample of that
-- second and never ran made no progress in it; a busy loop runs, so it is not
-- taken for a hang.  When a thread makes no progress for SECONDS in a row,
-- the report (every thread's stack with its locals) is written to OUTPUT and
-- the script ends.  Threads that wait for good (a worker pool's idle
-- threads, a thread sleeping forever) look stuck too: leave them out with
-- NAME_PATTERN.

local limit = tonumber(arg[1] or "10")
local max_watch = tonumber(arg[3] or "0")
local pattern = arg[4]
if not limit or limit <= 0 or not max_watch then
  error("usage: hang-watch.lua [SECONDS [OUTPUT [MAX_WATCH [NAME_PATTERN]]]]", 0)
end
local proc = assert(pyspy.process())
local output = arg[2] or ("hang-" .. proc.pid .. ".txt")

local function stack_key(frames)
  local parts = {}
  for i, f in ipairs(frames) do
    parts[i] = string.format("%s %s:%s", f.qualname or f["function"], f.file, f.line or "?")
  end
  return table.concat(parts, ";")
end

-- One second of looking: per thread id, {key=, distinct=, ran=, name=, frames=}.
local function look()
  local seen = {}
  local prof, why = proc:sample{duration = 1, rate = 50, idle = true, on_sample = function(s)
    local t = s.thread
    if pattern and not (t.name or ""):match(pattern) then return end
    local key = stack_key(s.frames)
    local info = seen[t.id]
    if not info then
      info = {key = key, distinct = 1, ran = false, name = t.name, frames = s.frames}
      seen[t.id] = info
    elseif info.key ~= key then
      info.distinct = info.distinct + 1
    end
    info.ran = info.ran or t.active
  end}
  if not prof then return nil, why end
  if why and why:match("exited") then return nil, why end
  return seen
end

local function report(id, info, since)
  local text, err = pyspy.cmd("bt --all --locals")
  local f = assert(io.open(output, "w"))
  f:write(string.format("hang-watch.lua: thread %s (%s) made no progress for %.0fs, at\n  %s\n\n",
                        info.name or "?", id, pyspy.now() - since, stack_key(info.frames):gsub(";", "\n  ")))
  f:write(text or ("bt failed: " .. tostring(err)), "\n")
  f:close()
  print(string.format("hang-watch.lua: thread %s made no progress for %ds: wrote %s",
                      info.name or tostring(id), math.floor(pyspy.now() - since + 0.5), output))
end

local stuck = {}  -- thread id -> {key=, since=}
local started = pyspy.now()
io.stderr:write(string.format("hang-watch.lua: watching pid %d for threads stuck %gs or longer\n", proc.pid, limit))
while max_watch <= 0 or pyspy.now() - started < max_watch do
  local window = pyspy.now()
  local seen, why = look()
  if not seen then
    print("hang-watch.lua: stopped: " .. tostring(why))
    return
  end
  local now = pyspy.now()
  for id, info in pairs(seen) do
    if info.distinct == 1 and not info.ran then
      local s = stuck[id]
      if not s or s.key ~= info.key then
        s = {key = info.key, since = window}
        stuck[id] = s
      end
      if now - s.since >= limit then
        report(id, info, s.since)
        return
      end
    else
      stuck[id] = nil
    end
  end
  for id in pairs(stuck) do
    if not seen[id] then stuck[id] = nil end
  end
end
print(string.format("hang-watch.lua: no hang in %gs", max_watch))
