-- record.lua: sample a process, then write a flame graph, a speedscope profile and a top-20 report.
--
-- Usage:
--   pyspy-sh -p PID -x record.lua [-- SECONDS [RATE [PREFIX [idle]]]]
--   (pyspy) source record.lua [SECONDS [RATE [PREFIX [idle]]]]
--
--   SECONDS  how long to sample (default 10)
--   RATE     samples per second (default 100)
--   PREFIX   where the files go (default pyspy-PID): PREFIX.svg (open it in a
--            browser), PREFIX.speedscope.json (https://www.speedscope.app) and
--            PREFIX.top.txt (the 20 functions with the most own time)
--   idle     the word "idle" also counts threads that are waiting, not only
--            running ones
--
-- Ctrl-C stops the script.  A target that exits while sampled keeps the
-- samples taken so far, and they are written.

local seconds = tonumber(arg[1] or "10")
local rate = tonumber(arg[2] or "100")
if not seconds or not rate then
  error("usage: record.lua [SECONDS [RATE [PREFIX [idle]]]]", 0)
end
local proc = assert(pyspy.process())
local prefix = arg[3] or ("pyspy-" .. proc.pid)
local idle = arg[4] == "idle"

io.stderr:write(string.format("record.lua: sampling pid %d for %gs at %g Hz\n", proc.pid, seconds, rate))
local prof, why = assert(proc:sample{duration = seconds, rate = rate, idle = idle})
if why then
  io.stderr:write("record.lua: stopped early: " .. why .. "\n")
end

local svg, json, txt = prefix .. ".svg", prefix .. ".speedscope.json", prefix .. ".top.txt"
assert(prof:flamegraph(svg, {title = "pyspy-sh: pid " .. proc.pid}))
assert(prof:save(json, "speedscope"))

local total = prof.weight   -- µs of CPU (mode cpu, the default) or samples (idle: mode wall)
local lines = {
  string.format("%d samples from pid %d (Python %s) over %.2fs at %g Hz; shares of %s", prof:count(), proc.pid,
                proc.python, prof.duration, rate, prof.unit == "cpu_us" and "CPU time" or "samples"),
  string.format("%7s %7s  %s", "own%", "total%", "function (file)"),
}
for _, row in ipairs(prof:top(20, "function")) do
  lines[#lines + 1] = string.format("%6.2f%% %6.2f%%  %s (%s)", 100 * row.own / total, 100 * row.total / total,
                                    row.qualname, row.file)
end
if total == 0 then
  lines[#lines + 1] = "(no samples: the threads were idle; pass 'idle' as the fourth argument)"
end
local f = assert(io.open(txt, "w"))
f:write(table.concat(lines, "\n"), "\n")
f:close()

print(table.concat(lines, "\n"))
print(string.format("wrote %s, %s and %s", svg, json, txt))
