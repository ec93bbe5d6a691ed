-- slow-calls.lua: sample a process and list the functions whose total share of the time passes a threshold, with their callers.
--
-- Usage:
--   pyspy-sh -p PID -x slow-calls.lua [-- SECONDS [PERCENT [RATE]]]
--   (pyspy) source slow-calls.lua [SECONDS [PERCENT [RATE]]]
--
--   SECONDS  how long to sample (default 5)
--   PERCENT  the share of samples a function must be on the stack for, to
--            be listed (default 10)
--   RATE     samples per second (default 100)
--
-- For each function listed: its total share (it was anywhere on the stack),
-- its own share (it was the innermost frame), and who called it, each caller
-- with its share of the function's samples, from the call site's line.

local seconds = tonumber(arg[1] or "5")
local threshold = tonumber(arg[2] or "10")
local rate = tonumber(arg[3] or "100")
if not seconds or not threshold or not rate then
  error("usage: slow-calls.lua [SECONDS [PERCENT [RATE]]]", 0)
end

local prof = assert(pyspy.sample{duration = seconds, rate = rate})
local n = prof.weight   -- µs of CPU (the default cpu mode) or samples; top and stacks() give the same unit
local function id(f) return (f.qualname or f["function"]) .. "\0" .. f.file end

local slow, order = {}, {}
for _, row in ipairs(prof:top(100000, "function")) do
  if n > 0 and 100 * row.total / n >= threshold then
    slow[id(row)] = {row = row, callers = {}, seen = 0}
    order[#order + 1] = slow[id(row)]
  end
end

-- callers: in each stack, the frame just outside each listed function's
-- outermost appearance (a recursive function's caller is not itself)
for frames, count in prof:stacks() do
  local done = {}
  for i = #frames, 1, -1 do
    local s = slow[id(frames[i])]
    if s and not done[s] then
      done[s] = true
      local c = frames[i + 1]
      local key = c and string.format("%s (%s:%s)", c.qualname or c["function"], c.file, c.line or "?") or "(thread start)"
      s.callers[key] = (s.callers[key] or 0) + count
      s.seen = s.seen + count
    end
  end
end

table.sort(order, function(a, b) return a.row.total > b.row.total end)
print(string.format("%d samples from pid %d over %.2fs; functions on the stack in %g%% or more of them:",
                    prof:count(), prof.pid, prof.duration, threshold))
print(string.format("%7s %7s  %s", "total%", "own%", "function (file)"))
for _, s in ipairs(order) do
  local r = s.row
  print(string.format("%6.2f%% %6.2f%%  %s (%s)", 100 * r.total / n, 100 * r.own / n, r.qualname, r.file))
  local callers = {}
  for k, c in pairs(s.callers) do callers[#callers + 1] = {k, c} end
  table.sort(callers, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
  for _, c in ipairs(callers) do
    print(string.format("        called from %6.2f%%  %s", 100 * c[2] / s.seen, c[1]))
  end
end
if #order == 0 then print("(none)") end
