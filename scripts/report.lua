-- report.lua: a custom report: where the time goes per module and per package, and the hottest lines of each file.
--
-- Usage:
--   pyspy-sh -p PID -x report.lua [-- SECONDS [RATE [LINES]]]
--   (pyspy) source report.lua [SECONDS [RATE [LINES]]]
--
--   SECONDS  how long to sample (default 5)
--   RATE     samples per second (default 100)
--   LINES    hottest lines shown per file (default 5)
--
-- own: CPU time (or, for a wall profile, samples) whose innermost frame was in
-- the module (package, line);
-- total: where it was anywhere on the stack, counted once per sample.
-- A module is a source file, named like an import (json.decoder); its package
-- is the first part of that name (json), or the file's directory for a
-- script outside sys.path.

local seconds = tonumber(arg[1] or "5")
local rate = tonumber(arg[2] or "100")
local per_file = tonumber(arg[3] or "5")
if not seconds or not rate or not per_file then
  error("usage: report.lua [SECONDS [RATE [LINES]]]", 0)
end

-- "/usr/lib/python3.11/json/decoder.py" -> "json.decoder", "json"
local function module_of(file)
  local rel = file:match("/site%-packages/(.*)") or file:match("/dist%-packages/(.*)")
              or file:match("/lib/python[%d.]+/(.*)")
  local name
  if rel then
    name = rel:gsub("%.py[cw]?$", ""):gsub("/__init__$", ""):gsub("/", ".")
    return name, name:match("^[^.]+")
  end
  local dir, base = file:match("^(.*)/([^/]+)$")
  name = (base or file):gsub("%.py[cw]?$", "")
  return name, dir or "."
end

local function add(t, key, own, total)
  local e = t[key] or {own = 0, total = 0}
  e.own, e.total = e.own + own, e.total + total
  t[key] = e
end

local function sorted(t)
  local rows = {}
  for k, v in pairs(t) do rows[#rows + 1] = {name = k, own = v.own, total = v.total} end
  table.sort(rows, function(a, b)
    if a.own ~= b.own then return a.own > b.own end
    if a.total ~= b.total then return a.total > b.total end
    return a.name < b.name
  end)
  return rows
end

local prof = assert(pyspy.sample{duration = seconds, rate = rate})
local n = prof.weight   -- µs of CPU (the default cpu mode) or samples; stacks() gives the same unit
local modules, packages = {}, {}
for frames, count in prof:stacks() do
  local seen_mod, seen_pkg = {}, {}
  for i, f in ipairs(frames) do
    local mod, pkg = module_of(f.file)
    local own = i == 1 and count or 0
    if not seen_mod[mod] then add(modules, mod, own, count); seen_mod[mod] = true
    elseif own > 0 then add(modules, mod, own, 0) end
    if not seen_pkg[pkg] then add(packages, pkg, own, count); seen_pkg[pkg] = true
    elseif own > 0 then add(packages, pkg, own, 0) end
  end
end

local function pct(x) return n > 0 and 100 * x / n or 0 end
local function table_of(title, rows)
  print(title)
  print(string.format("  %7s %7s  %s", "own%", "total%", "name"))
  for _, r in ipairs(rows) do
    print(string.format("  %6.2f%% %6.2f%%  %s", pct(r.own), pct(r.total), r.name))
  end
  print()
end

print(string.format("%d samples from pid %d over %.2fs; shares of %s", prof:count(), prof.pid, prof.duration,
                    prof.unit == "cpu_us" and "CPU time" or "samples"))
print()
table_of("Time by module", sorted(modules))
table_of("Time by package", sorted(packages))

print("Hottest lines per file")
local by_file, files = {}, {}
for _, r in ipairs(prof:top(100000, "line")) do
  if r.own > 0 then
    if not by_file[r.file] then by_file[r.file] = {own = 0}; files[#files + 1] = r.file end
    local e = by_file[r.file]
    e.own = e.own + r.own
    e[#e + 1] = r
  end
end
table.sort(files, function(a, b) return by_file[a].own > by_file[b].own end)
for _, file in ipairs(files) do
  local e = by_file[file]
  print(string.format("  %s  (%.2f%% own)", file, pct(e.own)))
  for i = 1, math.min(per_file, #e) do
    local r = e[i]
    print(string.format("    %6.2f%%  line %-5d %s", pct(r.own), r.line or 0, r.qualname))
  end
end
if n == 0 then print("  (no samples: the target's threads were idle)") end
