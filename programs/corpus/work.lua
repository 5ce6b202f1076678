-- A deterministic Lua 5.4 workload for the corpus test (tests/tests/real_programs.rs): it
-- prints the same lines on any Linux and any C library. Nothing here depends on the time,
-- on addresses, on the order `pairs` visits a table (the string hash is seeded at random),
-- or on the allocator (collectgarbage("count") is used but never printed).
-- Usage: lua_run work.lua [N]   (N scales every part; default 200)

local N = tonumber(arg and arg[1]) or 200
local out = {}
local function say(fmt, ...) out[#out + 1] = string.format(fmt, ...) end
local function flush() io.write(table.concat(out, "\n"), "\n"); out = {} end

-- A checksum over strings (FNV-1a, 32 bits, with integer arithmetic).
local function fnv(s)
  local h = 2166136261
  for i = 1, #s do
    h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff
  end
  return h
end

-- 1. Strings: building with a buffer, gsub with patterns and with a function, find, match.
do
  local parts = {}
  for i = 1, N do
    parts[#parts + 1] = string.format("item%03d=%d;", i, i * i % 97)
  end
  local s = table.concat(parts)
  local doubled, n = s:gsub("=(%d+)", function(v) return "=" .. (tonumber(v) * 2) end)
  local swapped = s:gsub("(item)(%d+)", "%2%1")
  local count = select(2, s:gsub("=0;", "=0;"))
  local first = s:match("item(%d+)=4;")
  local a, b = s:find("item010=", 1, true)
  say("strings: len=%d gsub=%d zeros=%d first4=%s find=%s,%s", #s, n, count,
    tostring(first), tostring(a), tostring(b))
  say("strings: fnv=%08x doubled=%08x swapped=%08x", fnv(s), fnv(doubled), fnv(swapped))
  say("strings: %s|%s|%s", ("Hello, World"):upper(), ("abc"):rep(3, "-"),
    ("  trim me  "):match("^%s*(.-)%s*$"))
  local words = {}
  for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do
    words[#words + 1] = w:reverse()
  end
  say("strings: %s", table.concat(words, " "))
  say("strings: %q %s", "a\nb\"c", ("x"):byte() .. ":" .. string.char(72, 105))
end

-- 2. Tables: an array part, a hash part with many string and float keys, rehashing as
-- they grow, removal, and `#`. The keys are visited in sorted order only.
do
  local t = {}
  for i = 1, N * 10 do t[i] = i * 3 end
  for i = 1, N * 10 do t["k" .. i] = i end
  for i = 1, N do t[i + 0.5] = -i end
  for i = 1, N * 10, 2 do t["k" .. i] = nil end
  local keys, sum = 0, 0
  for k, v in pairs(t) do
    keys = keys + 1
    sum = sum + v
  end
  local names = {}
  for k in pairs(t) do
    if type(k) == "string" then names[#names + 1] = k end
  end
  table.sort(names)
  say("tables: #t=%d keys=%d sum=%d first=%s last=%s", #t, keys, sum, names[1], names[#names])
  table.insert(t, 1, 0)
  table.remove(t, 5)
  say("tables: t[1..6]=%s moved=%s", table.concat(t, ",", 1, 6),
    table.concat(table.move(t, 1, 4, 3, {}), ",", 3, 6))
  say("tables: unpack=%d", select("#", table.unpack(t, 1, 50)))
end

-- 3. Closures and upvalues: counters sharing state, a memoised recursive function.
do
  local function counter(start)
    local n = start
    return function(d) n = n + d; return n end, function() return n end
  end
  local inc, get = counter(10)
  for i = 1, N do inc(i % 7) end
  local memo = {}
  local function fib(k)
    if k < 2 then return k end
    local v = memo[k]
    if not v then v = fib(k - 1) + fib(k - 2); memo[k] = v end
    return v
  end
  local adders = {}
  for i = 1, 10 do adders[i] = function(x) return x + i end end
  local acc = 0
  for i = 1, 10 do acc = adders[i](acc) end
  say("closures: counter=%d fib(80)=%d adders=%d", get(), fib(80), acc)
end

-- 4. Coroutines: a generator, a pipeline of producer and filter, a wrapped coroutine, and
-- yields across pcall.
do
  local function gen(n)
    return coroutine.wrap(function()
      for i = 1, n do coroutine.yield(i) end
    end)
  end
  local function filter(pred, g)
    return coroutine.wrap(function()
      for v in g do if pred(v) then coroutine.yield(v) end end
    end)
  end
  local total, count = 0, 0
  for v in filter(function(x) return x % 3 == 0 end, gen(N * 5)) do
    total = total + v
    count = count + 1
  end
  local co = coroutine.create(function(a, b)
    local c = coroutine.yield(a + b)
    local ok, d = pcall(function() return coroutine.yield(c * 2) end)
    return ok, d, "end"
  end)
  local r = {}
  for _, v in ipairs({ { 1, 2 }, { 5 }, { 7 } }) do
    local res = table.pack(coroutine.resume(co, table.unpack(v)))
    r[#r + 1] = table.concat((function()
      local s = {}
      for i = 1, res.n do s[i] = tostring(res[i]) end
      return s
    end)(), "/")
  end
  say("coroutines: count=%d total=%d status=%s", count, total, coroutine.status(co))
  say("coroutines: %s", table.concat(r, " "))
end

-- 5. Garbage: many short-lived tables and strings, a weak table, full collections. The
-- heap size is checked, never printed (it depends on the C library's allocator).
do
  local weak = setmetatable({}, { __mode = "k" })
  local kept = {}
  local before = collectgarbage("count")
  for i = 1, N * 50 do
    local obj = { i, tostring(i), { i * 2 } }
    if i % 100 == 0 then kept[#kept + 1] = obj end
    weak[obj] = i
  end
  collectgarbage("collect")
  local live = 0
  for _ in pairs(weak) do live = live + 1 end
  local after = collectgarbage("count")
  local bound = before + 64 * #kept + 256
  say("gc: kept=%d weak-live=%d heap-bounded=%s", #kept, live, tostring(after < bound))
  kept = nil
  collectgarbage("collect")
  live = 0
  for _ in pairs(weak) do live = live + 1 end
  say("gc: after-drop weak-live=%d", live)
end

-- 6. Sorting: numbers with a deterministic generator, records by two keys, strings.
do
  math.randomseed(42)
  local xs = {}
  for i = 1, N * 5 do xs[i] = math.random(1, 100000) end
  table.sort(xs)
  local sorted = true
  for i = 2, #xs do if xs[i - 1] > xs[i] then sorted = false end end
  local recs = {}
  for i = 1, N do recs[i] = { name = "r" .. (i * 37 % N), score = i * 7919 % 101 } end
  table.sort(recs, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return a.name < b.name
  end)
  local top = {}
  for i = 1, 5 do top[i] = recs[i].name .. ":" .. recs[i].score end
  say("sort: n=%d sorted=%s min=%d max=%d median=%d", #xs, tostring(sorted), xs[1], xs[#xs],
    xs[#xs // 2])
  say("sort: top=%s", table.concat(top, ","))
  local f = {}
  for i = 1, 8 do f[i] = string.format("%.6f", math.random()) end
  say("random: %s", table.concat(f, " "))
end

-- 7. Numbers: string.format of floats and integers, integer/float arithmetic, math.
do
  say("format: %d %5d %-5d| %x %X %o %+d %05.1f", 42, 42, 42, 255, 255, 8, 7, 3.14159)
  say("format: %.3f %.10g %e %g %g %g", math.pi, math.pi, 12345.678, 1e20, 0.0001, 2^53)
  say("format: %a %s %s %s", 1.0, tostring(1e15), tostring(1e16), tostring(-0.0))
  say("format: %s %s %s %s", tostring(1 / 0), tostring(-1 / 0), tostring(3 / 2), tostring(4 // 2))
  say("ints: %d %d %d %s %s", math.maxinteger, math.mininteger, 7 // -2, 7 % -3,
    tostring(math.maxinteger + 1 == math.mininteger))
  say("ints: %s %s %s %s", 1 << 62, 0xff ~ 0x0f, -1 >> 60, math.tointeger(3.0))
  say("math: %.12f %.12f %.12f %.12f", math.sin(1), math.cos(1), math.exp(1), math.log(10))
  say("math: %.12f %.12f %s %s %s", math.sqrt(2), math.atan(1, 2), math.floor(-3.5),
    math.ceil(-3.5), math.fmod(7, 3))
  say("math: %s %s %s %s", math.type(1), math.type(1.0), math.type("1"), math.ult(1, -1))
  local s = 0.0
  for i = 1, N * 20 do s = s + 1 / (i * i) end
  say("math: basel(%d)=%.15f", N * 20, s)
  say("conv: %s %s %s %s", tonumber("0x10"), tonumber("1e2"), tonumber("z", 36),
    tostring(tonumber("12abc")))
  say("pack: %s", table.concat({ string.unpack("<i4 >i2 d", string.pack("<i4 >i2 d", -2, 258, 0.5)) },
    ","))
  say("utf8: %d %s", utf8.len("héllo wörld"), utf8.char(72, 228, 8364))
end

-- 8. Errors: pcall, error with tables, error levels off (no file names in messages).
do
  local ok, e = pcall(error, { code = 7 })
  local ok2, e2 = pcall(function() error("plain", 0) end)
  local ok3, e3 = pcall(function() local x = nil; return x.y end)
  local ok4 = xpcall(function() error("x", 0) end, function(m) return m .. "!" end)
  say("errors: %s %d %s %s %s %s", tostring(ok), e.code, tostring(ok2), e2, tostring(ok3),
    tostring(ok4))
  say("errors: indexed nil reported=%s", tostring(type(e3) == "string" and e3:find("nil") ~= nil))
  local mt = { __index = function(_, k) return k .. "?" end, __add = function(a, b)
    return a.v + b.v end, __tostring = function(a) return "V(" .. a.v .. ")" end }
  local a, b = setmetatable({ v = 2 }, mt), setmetatable({ v = 3 }, mt)
  say("meta: %s %d %s", a.missing, a + b, tostring(a))
end

say("ok")
flush()
