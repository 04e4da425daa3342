-- Runs the rule runtime and Rules/ in the stock lua5.4 interpreter, without the Swift engine:
-- the floor the benchmark compares the engine with, and a quick loop for rule authors.
--
--   lua5.4 scripts/lua-harness.lua RULES_DIR CASES.lua [REPEAT]
--
-- CASES.lua returns a list of case tables (already decoded). Prints a summary line per case, or
-- with REPEAT > 1 the time per evaluation.
local rules_dir, cases_file, repeat_count, mode = arg[1], arg[2], tonumber(arg[3] or "1"), arg[4]
local runtime_dir = arg[0]:gsub("scripts/lua%-harness%.lua$", "") .. "Sources/SacralEngine/Runtime/"

local function read(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    return s
end

-- The engine's sandbox gives the runtime an ordered next that reads a frozen table's contents
-- (its shadow); the harness keeps Lua's order and reads the shadow the same way.
local raw_next = next
function next(t, k)
    local mt = debug.getmetatable(t)
    if mt and type(rawget(mt, "__frozen")) == "table" then t = rawget(mt, "__frozen") end
    return raw_next(t, k)
end

-- The engine's C host functions (Sources/CLuaShims) emulated with the debug library: the same
-- freezing of rule files' tables and restoring of their upvalues, without the limits (no budget
-- windows, no memory cap), so the floor measures the runtime's own work.
local function freeze_table(t)
    local shadow, keys = {}, {}
    for k, v in next, t do shadow[k] = v; keys[#keys + 1] = k end
    for _, k in ipairs(keys) do rawset(t, k, nil) end
    setmetatable(t, {
        __index = shadow, __frozen = shadow,
        __newindex = function(_, k) error("a rule file's table is read-only once the rules are loaded (tried to set " .. tostring(k) .. ")", 2) end,
        __len = function() return rawlen(shadow) end,
        __metatable = false,
    })
end
local function walk_state(x, seen, slots, depth, freezing)
    local t = type(x)
    if (t ~= "table" and t ~= "function") or depth > 200 or seen[x] then return end
    seen[x] = true
    if t == "table" then
        local mt = debug.getmetatable(x)
        if mt ~= nil then
            if not freezing and type(rawget(mt, "__frozen")) == "table" then
                walk_state(rawget(mt, "__frozen"), seen, slots, depth + 1, false)
            end
            return
        end
        for k, v in next, x do
            walk_state(k, seen, slots, depth + 1, freezing)
            walk_state(v, seen, slots, depth + 1, freezing)
        end
        if freezing then freeze_table(x) end
        return
    end
    local info = debug.getinfo(x, "S")
    if info.what == "C" or info.source:sub(1, 1) ~= "@" then return end
    local i = 1
    while true do
        local name, value = debug.getupvalue(x, i)
        if name == nil then break end
        local id = debug.upvalueid(x, i)
        if not seen[id] then
            seen[id] = true
            local n = #slots
            slots[n + 1], slots[n + 2], slots[n + 3], slots[n + 4] = x, i, value, name
            walk_state(value, seen, slots, depth + 1, freezing)
        end
        i = i + 1
    end
end
local function walk_roots(roots, freezing)
    local seen, slots = {}, {}
    for _, r in ipairs(roots) do walk_state(r, seen, slots, 0, freezing) end
    return slots
end
local host = {
    setmetatable = setmetatable, getmetatable = getmetatable, rawget = rawget, rawset = rawset, raw_next = raw_next,
    rawequal = rawequal, rawlen = rawlen,
    setenv = function(fn, env) debug.setupvalue(fn, 1, env) end,
    where = function(level)
        local info = debug.getinfo(level + 1, "Sl")
        if info then return info.short_src, info.currentline end
    end,
    depth = function()
        local n = 0
        while debug.getinfo(n + 2, "l") do n = n + 1 end
        return n
    end,
    defined_at = function(fn)
        local info = debug.getinfo(fn, "S")
        if info.what == "C" then return nil end
        return info.short_src .. ":" .. info.linedefined
    end,
    freeze = function(roots) return walk_roots(roots, true) end,
    slots = function(roots) return walk_roots(roots, false) end,
    restore = function(slots)
        local first
        for j = 1, #slots - 3, 4 do
            local f, i, v = slots[j], slots[j + 1], slots[j + 2]
            local _, now = debug.getupvalue(f, i)
            if not rawequal(now, v) then debug.setupvalue(f, i, v); first = first or slots[j + 3] end
        end
        return first
    end,
    contents = function(t)
        local mt = debug.getmetatable(t)
        return mt and type(rawget(mt, "__frozen")) == "table" and rawget(mt, "__frozen") or t
    end,
    usage = function() return 1e9, 0 end,
    arm = function() end,
    disarm = function() return false end,
    collect = function() collectgarbage() end,
    fresh_heap = function() collectgarbage() end,
    memory_tripped = function() return false end,
    work_tripped = function() return false end,
    active_lines = function() return {} end,
}

-- The runtime's modules, as the engine loads them: the entry point, then provide() each module.
local runtime = assert(load(read(runtime_dir .. "runtime.lua"), "=sacral-runtime/runtime", "t"))(host)
local p = io.popen('ls "' .. runtime_dir .. '"')
for name in p:lines() do
    local module = name:match("^(.+)%.lua$")
    if module and module ~= "runtime" then
        runtime.provide(module, assert(load(read(runtime_dir .. name), "=sacral-runtime/" .. module, "t")))
    end
end
p:close()
runtime.start()

local files = {}
local p = io.popen('find "' .. rules_dir .. '" -name "*.lua" | LC_ALL=C sort')
for line in p:lines() do if line ~= rules_dir .. "/fhir.lua" then files[#files + 1] = line end end  -- fhir.lua: not a rule file
p:close()
for _, path in ipairs(files) do
    local rel = path:sub(#rules_dir + 2)
    local chunk = assert(load(read(path), "@Rules/" .. rel, "t"))
    local r = runtime.load_file("Rules/" .. rel, chunk)
    if not r.ok then io.stderr:write(r.message, "\n") os.exit(3) end
end
local fin = runtime.finish_loading()
if not fin.ok then
    for _, pr in ipairs(fin.problems) do io.stderr:write(pr.file, ":", pr.line, ": ", pr.message, "\n") end
    os.exit(3)
end

local cases = dofile(cases_file)
-- "profile": where the runtime's instructions go, sampled every 100 VM instructions, by function
-- (its definition line) and by line; the hot spots a change to the runtime should look at first.
if mode == "profile" then
    local by_fn, by_line, total = {}, {}, 0
    debug.sethook(function()
        local info = debug.getinfo(2, "Sl")
        if not info then return end
        if info.short_src:find("lua%-harness") then return end
        total = total + 1
        local f = info.short_src .. ":" .. info.linedefined
        by_fn[f] = (by_fn[f] or 0) + 1
        local l = info.short_src .. ":" .. info.currentline
        by_line[l] = (by_line[l] or 0) + 1
    end, "", 100)
    for _ = 1, repeat_count do
        for _, c in ipairs(cases) do runtime.evaluate(c) end
    end
    debug.sethook()
    local function top(t, n, title)
        local keys = {}
        for k in pairs(t) do keys[#keys + 1] = k end
        table.sort(keys, function(a, b) return t[a] > t[b] or (t[a] == t[b] and a < b) end)
        print(title)
        for i = 1, math.min(n, #keys) do print(string.format("  %6.2f%%  %s", 100 * t[keys[i]] / total, keys[i])) end
    end
    top(by_fn, 40, "functions (by where they are defined):")
    top(by_line, 40, "lines:")
    return
end
if repeat_count > 1 then
    local t0 = os.clock()
    local n = 0
    for _ = 1, repeat_count do
        for _, c in ipairs(cases) do runtime.evaluate(c); n = n + 1 end
    end
    local dt = os.clock() - t0
    print(string.format("lua5.4 floor: %d evaluations, %.2f us per case", n, dt / n * 1e6))
    return
end
for _, c in ipairs(cases) do
    local out = runtime.evaluate(c)
    local parts = {}
    for _, d in ipairs(out.pathways) do
        parts[#parts + 1] = d.id .. "=" .. d.status .. (d.strength and (":" .. d.strength) or "")
    end
    print(c.id, table.concat(parts, " "))
    for _, e in ipairs(out.errors) do print("  error", e.rule, e.message) end
end
