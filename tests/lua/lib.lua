-- lib.lua: the little test harness the API tests share (loaded with dofile).
--
-- check(cond, fmt, ...) records a failure without stopping; raises(fn, pattern)
-- checks that fn raises an error matching pattern; finish() prints the counts
-- and fails the script (error -> exit 1 under -x) when anything failed.
local T = {passed = 0, failed = 0}

function T.check(cond, fmt, ...)
  if cond then
    T.passed = T.passed + 1
  else
    T.failed = T.failed + 1
    print("FAIL " .. string.format(fmt, ...))
  end
  return cond
end

function T.raises(fn, pattern, what)
  local ok, err = pcall(fn)
  return T.check(not ok and tostring(err):find(pattern) ~= nil,
                 "%s: expected an error matching %q, got %s %s", what, pattern, tostring(ok), tostring(err))
end

function T.load_truth(path)
  return assert(dofile(path), "no truth in " .. tostring(path))
end

function T.finish(name)
  print(string.format("%s: %d checks passed, %d failed", name, T.passed, T.failed))
  if T.failed > 0 or T.passed == 0 then
    error(name .. " failed", 0)
  end
end

return T
