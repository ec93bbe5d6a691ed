-- locals.lua: t:stack{locals=true} against values.py's own record.
-- Usage: pyspy-sh -p PID -x tests/lua/locals.lua -- TRUTH.lua
--
-- The truth holds each variable's repr with no limits ("repr") and with the
-- default ones ("short"); values.py's source says what each one is.  Scalars
-- must come back as Lua values equal to them, containers as tables, and
-- everything else as the repr text `locals` prints.
local T = dofile(arg[0]:gsub("[^/]*$", "") .. "lib.lua")
local truth = T.load_truth(arg[1])

-- values.py runs one thread; on 3.12+ it also holds a thread state no thread
-- has taken yet (listed after it, oldest first)
local threads = assert(pyspy.threads())
local starting = truth.starting_thread_states or 0
T.check(#threads == 1 + starting, "%d threads, values.py has one (and %d starting)", #threads, starting)
local main = threads[1]
local frames = assert(main:stack{locals = true})
T.check(frames[1]["function"] == "waiter" and frames[2]["function"] == "hold_values",
        "frames: %s, %s", tostring(frames[1]["function"]), tostring(frames[2]["function"]))
local L, W = frames[2].locals, frames[1].locals
T.check(type(L) == "table" and type(W) == "table", "locals are tables")
T.check(frames[3].locals ~= nil and frames[1].locals_error == nil, "every frame has locals")
T.check(not pcall(function() return frames[1].locals.nosuch.x end), "no such local")

-- every variable that is bound and not None is there
for name, want in pairs(truth.hold_values) do
  if want["repr"] ~= "<unbound>" and want["repr"] ~= "None" then
    T.check(L[name] ~= nil, "local %s missing (repr %s)", name, want.short:sub(1, 60))
  end
end

-- scalars are themselves
for name, want in pairs(truth.hold_values) do
  local v, r = L[name], want["repr"]
  if math.type(v) == "integer" then
    T.check(tostring(v) == r:gsub("L$", ""), "%s = %s, repr %s", name, tostring(v), r)
  elseif math.type(v) == "float" then
    local n = tonumber(r) or (r == "inf" and math.huge) or (r == "-inf" and -math.huge)
    T.check(v == n or (r == "nan" and v ~= v), "%s = %s, repr %s", name, tostring(v), r)
  elseif type(v) == "boolean" then
    T.check((v and "True" or "False") == r, "%s = %s, repr %s", name, tostring(v), r)
  end
end
T.check(L.small == 42 and L.negative == -7 and L.zero == 0 and L.a_long == 5, "small ints")
T.check(L.yes == true and L.no == false and L.none == nil, "True, False, None")
T.check(L.f_half == 1.5 and L.f_big == 1e300 and L.f_inf == math.huge and L.f_nan ~= L.f_nan, "floats")
T.check(L.huge == truth.hold_values.huge["short"] and type(L.huge) == "string", "an int past 64 bits is its repr: %s", tostring(L.huge))
T.check(L.big64 == "18446744073709551617" or L.big64 == "18446744073709551617L", "2**64+1 is its repr: %s", tostring(L.big64))

-- str, in UTF-8
T.check(L.s_ascii == "hello 'world'\n\ttab\\", "s_ascii = %q", tostring(L.s_ascii))
T.check(L.s_latin == "caf\u{e9}", "s_latin = %q", tostring(L.s_latin))
T.check(L.s_ucs2 == "\u{3a9}mega", "s_ucs2 = %q", tostring(L.s_ucs2))
T.check(L.s_ucs4 == "\u{1F600} grin", "s_ucs4 = %q", tostring(L.s_ucs4))
T.check(L.s_empty == "", "s_empty = %q", tostring(L.s_empty))
T.check(type(L.s_mega) == "string" and #L.s_mega >= 4096 and L.s_mega:match("^x+$"), "s_mega")

-- lists, tuples and dicts are tables
T.check(#L.small_list == 3 and L.small_list[1] == 1 and L.small_list[2] == "two" and L.small_list[3] == 3.0,
        "small_list")
T.check(#L.small_tuple == 3 and L.small_tuple[3] == 3 and #L.one_tuple == 1, "tuples")
T.check(next(L.empty_list) == nil and next(L.empty_tuple) == nil and next(L.empty_dict) == nil, "empty containers")
T.check(L.str_dict.a == 1 and L.str_dict.b[2] == 2, "str_dict")
T.check(L.odd_dict[1] == "a" and L.odd_dict["(2, 3)"] == "b" and L.odd_dict.None == 0, "odd_dict keys")
T.check(#L.long_list == 100 and L.long_list[100] == 99, "long_list keeps the first 100 items: %d", #L.long_list)
T.check(L.holey_dict[1] == 1 and L.holey_dict[2] == nil and L.holey_dict[11] == 11, "holey_dict")
T.check(L.kwargs.key == "word" and L.args[1] == "extra" and L.first_arg == "first", "arguments")
T.check(W.captured[1] == "captured" and W.first_arg == "first", "free variables of waiter")

-- past the depth limit (3), in a cycle, or not a list/tuple/dict: the repr text
T.check(L.deep[1][1][1] == "[['bottom']]", "deep: %s", tostring(L.deep[1][1][1]))
T.check(L.deep_dict.l1.l2.l3 == "{'l4': 1}", "deep_dict: %s", tostring(L.deep_dict.l1.l2.l3))
T.check(L.self_list[1] == 1 and L.self_list[2] == "[1, [...]]", "self_list: %s", tostring(L.self_list[2]))
T.check(L.self_dict.k == 1 and L.self_dict.me == truth.hold_values.self_dict.short, "self_dict: %s", tostring(L.self_dict.me))
for _, name in ipairs{"a_set", "a_frozenset", "point", "slotted", "empty_set", "fresh_point"} do
  T.check(L[name] == truth.hold_values[name].short, "%s = %s, short repr %s", name, tostring(L[name]),
          truth.hold_values[name].short)
end

T.finish("locals.lua")
