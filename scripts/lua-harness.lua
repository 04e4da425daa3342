-- Runs the rule runtime and Rules/ in the stock lua5.4 interpreter, without the Swift engine:
-- the floor the benchmark compares the engine with, and a quick loop for rule authors.
--
--   lua5.4 scripts/lua-harness.lua RULES_DIR CASES.lua [REPEAT]
--
-- CASES.lua returns a list of case tables (already decoded). Prints a summary line per case, or
-- with REPEAT > 1 the time per evaluation.
local rules_dir, cases_file, repeat_count = arg[1], arg[2], tonumber(arg[3] or "1")
local runtime_path = arg[0]:gsub("scripts/lua%-harness%.lua$", "") .. "Sources/SacralEngine/Runtime/runtime.lua"

local function read(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    return s
end

local host = {
    setmetatable = setmetatable, getmetatable = getmetatable, rawget = rawget, rawset = rawset,
    rawequal = rawequal, rawlen = rawlen,
    setenv = function(fn, env) debug.setupvalue(fn, 1, env) end,
    where = function(level)
        local info = debug.getinfo(level + 1, "Sl")
        if info then return info.short_src, info.currentline end
    end,
    arm = function() end,
    disarm = function() return false end,
    collect = function() collectgarbage() end,
    memory_tripped = function() return false end,
    work_tripped = function() return false end,
    active_lines = function() return {} end,
}
local runtime = assert(load(read(runtime_path), "=sacral-runtime", "t"))(host)

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
