-- threads.lua: pyspy.threads() and t:stack() against stacks.py's own record.
-- Usage: pyspy-sh -p PID -x tests/lua/threads.lua -- TRUTH.lua
local T = dofile(arg[0]:gsub("[^/]*$", "") .. "lib.lua")
local truth = T.load_truth(arg[1])

local p = assert(pyspy.process())
T.check(p.pid == truth.pid, "p.pid %s, truth %s", p.pid, truth.pid)
T.check(p.python == truth.python, "p.python %s, truth %s", p.python, truth.python)
T.check(type(p.exe) == "string" and #p.exe > 0, "p.exe %s", tostring(p.exe))
T.check(tostring(p):find("^process %d+") ~= nil, "tostring(p) = %s", tostring(p))

local threads = assert(pyspy.threads())
T.check(#threads == #truth.threads, "%d threads, truth has %d", #threads, #truth.threads)
local by_id = {}
for _, t in ipairs(threads) do by_id[t.id] = t end

for _, want in ipairs(truth.threads) do
  local t = by_id[want.thread_id]
  if T.check(t ~= nil, "thread %s (%s) not found", want.thread_id, tostring(want.name)) then
    T.check(t.name == want.name, "thread %s: name %s, truth %s", want.thread_id, tostring(t.name), tostring(want.name))
    if want.os_tid then
      T.check(t.os_tid == want.os_tid, "thread %s: os_tid %s, truth %s", want.thread_id, tostring(t.os_tid), want.os_tid)
    end
    T.check(type(t.active) == "boolean", "thread %s: active is %s", want.thread_id, type(t.active))
    T.check(t.gil == nil or type(t.gil) == "boolean", "thread %s: gil is %s", want.thread_id, type(t.gil))
    local frames = assert(t:stack())
    T.check(#frames == #want.frames, "thread %s: %d frames, truth %d", tostring(want.name), #frames, #want.frames)
    for i, wf in ipairs(want.frames) do
      local f = frames[i] or {}
      T.check(f["function"] == wf["function"] and f.file == wf.file and f.line == wf.line and f.qualname == wf.qualname,
              "thread %s frame %d: %s %s (%s:%s), truth %s %s (%s:%s)", tostring(want.name), i - 1,
              tostring(f["function"]), tostring(f.qualname), tostring(f.file), tostring(f.line),
              wf["function"], wf.qualname, wf.file, wf.line)
    end
  end
end

-- native=true: the same Python frames, in order, with C frames merged in
-- (each named by its library), and no "merge failed" message
local fresh = {}
for _, t in ipairs(assert(pyspy.threads())) do fresh[t.id] = t end
for _, want in ipairs(truth.threads) do
  local t = fresh[want.thread_id]
  if t then
    local frames, why = t:stack{native = true}
    T.check(frames ~= nil and why == nil, "thread %s: stack{native=true}: %s", tostring(want.name), tostring(why))
    local py, native = {}, 0
    for _, f in ipairs(frames or {}) do
      if f.kind == "python" then py[#py + 1] = f
      elseif T.check(f.kind == "native" and type(f.library) == "string" and type(f.address) == "number",
                     "thread %s: a frame of kind %s, library %s", tostring(want.name), tostring(f.kind), tostring(f.library)) then
        native = native + 1
      end
    end
    T.check(native > 0, "thread %s: no native frames in a native stack", tostring(want.name))
    T.check(#py == #want.frames, "thread %s: %d Python frames in the native stack, truth %d", tostring(want.name), #py, #want.frames)
    for i, wf in ipairs(want.frames) do
      local f = py[i] or {}
      T.check(f["function"] == wf["function"] and f.file == wf.file and f.line == wf.line,
              "thread %s native stack, Python frame %d: %s (%s:%s), truth %s (%s:%s)", tostring(want.name), i - 1,
              tostring(f["function"]), tostring(f.file), tostring(f.line), wf["function"], wf.file, wf.line)
    end
  end
end

-- a thread from an older threads() call refuses, with a clear message
local old = threads[1]
local again = assert(pyspy.threads())
T.raises(function() return old:stack() end, "stale thread handle: taken from an older snapshot", "old thread")
T.check(again[1]:stack() ~= nil, "a thread of the new snapshot works")
T.check(old.id == again[1].id, "an old handle's fields stay readable")

-- bad arguments name the function and the argument
T.raises(function() return again[1]:stack(5) end, "bad argument #1 to 'stack' %(table expected, got number%)", "stack(5)")
T.raises(function() return again[1]:stack{locals = "yes"} end,
         "bad argument #1 to 'stack' %(field 'locals': boolean expected, got string%)", "stack{locals='yes'}")
T.raises(function() return again[1]:stack{native = "yes"} end,
         "bad argument #1 to 'stack' %(field 'native': boolean expected, got string%)", "stack{native='yes'}")
T.raises(function() return pyspy.attach("x") end, "bad argument #1 to '[%w.]*attach' %(number expected, got string%)", "attach('x')")
T.raises(function() return pyspy.sleep({}) end, "bad argument #1 to '[%w.]*sleep' %(number expected, got table%)", "sleep({})")
T.raises(function() return pyspy.cmd() end, "bad argument #1 to '[%w.]*cmd' %(string expected, got no value%)", "cmd()")

-- world failures return nil and a message
local none, msg = pyspy.attach(999999999 % 0x3fffffff)
T.check(none == nil and tostring(msg):find("no process") ~= nil, "attach(no such pid): %s %s", tostring(none), tostring(msg))

-- a process the script attached itself, then detached
local q = assert(pyspy.attach(truth.pid))
T.check(#assert(q:threads()) == #truth.threads, "q:threads() count")
q:detach()
T.raises(function() return q:threads() end, "attempt to use a detached process", "detached q")
T.check(q.pid == truth.pid, "a detached process's pid stays readable")
do
  local r <close> = assert(pyspy.attach(truth.pid))
  T.check(r.attached, "r attached")
  q = r
end
T.check(not q.attached, "a <close> process is detached when it goes out of scope")

-- shell commands through pyspy.cmd
local out = assert(pyspy.cmd("threads"))
T.check(out:find("lock%-waiter") ~= nil, "cmd('threads') output lacks lock-waiter: %s", out:sub(1, 200))
local bad, err = pyspy.cmd("nosuch")
T.check(bad == nil and err == "unknown command 'nosuch' (try 'help')", "cmd('nosuch'): %s %s", tostring(bad), tostring(err))

-- the session detaching makes its process handle stale; attaching again gives a fresh one
assert(pyspy.cmd("detach"))
T.raises(function() return p:threads() end, "stale process handle", "p after detach")
local none2, why = pyspy.process()
T.check(none2 == nil and why:find("no process attached") ~= nil, "process() while detached: %s", tostring(why))
assert(pyspy.cmd("attach " .. truth.pid))
T.check(#assert(pyspy.threads()) == #truth.threads, "threads() after attaching again")

-- stop / cont
T.check(pyspy.stop() == true, "stop()")
T.check(pyspy.cmd("threads"):find("stopped") ~= nil, "threads shows 'stopped' while held")
pyspy.cont()

T.finish("threads.lua")
