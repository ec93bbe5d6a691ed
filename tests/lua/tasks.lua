-- tasks.lua: pyspy.tasks() and p:tasks() as lines the e2e test compares with
-- the target's own record (tests/e2e/tasks_tests.py):
--   T id|name|state|thread|nframes|innermost qualname:line|awaited_by sorted, comma-separated
--   I asyncio=true|false cycles=N same=true|false
local tasks, info = pyspy.tasks()
if not tasks then
  print("E " .. tostring(info))
  return
end
for _, t in ipairs(tasks) do
  local by = {}
  for _, id in ipairs(t.awaited_by) do by[#by + 1] = id end
  table.sort(by)
  local top = t.coroutine[1]
  print(string.format("T %d|%s|%s|%s|%d|%s|%s", t.id, t.name, t.state, tostring(t.thread), #t.coroutine,
    top and (top.qualname .. ":" .. tostring(top.line)) or "-", table.concat(by, ",")))
end
local again = pyspy.process():tasks()
print(string.format("I asyncio=%s cycles=%d same=%s", tostring(info.asyncio), #info.cycles,
  tostring(again ~= nil and #again == #tasks)))
