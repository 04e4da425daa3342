-- The declarations of a rule set, as its files load: ruleset{}, field{}, score{}, rule{} and
-- define(), each checked against its schema (schema.lua), kept in one registry table. Loading is
-- order-free: a file whose top-level code needs something another file defines is set aside and
-- loaded again once the others have (its declarations rolled back in between), and declarations
-- are ordered by file path and position, never by the order files happened to load in.
local host, need = ...
local where, setenv, getmetatable, raw_next = host.where, host.setenv, host.getmetatable, host.raw_next
local U, S = need("util"), need("schema")
local error, type, ipairs, pairs, tostring = error, type, ipairs, pairs, tostring
local string_format = string.format

local D = {}

-- The registry keeps its own copy of every declaration table (functions are shared, tables are
-- not): the file that declared it still holds the original, and a rule that rewrote its own id,
-- pathways or effect at run time would store its result under another rule's key, pass for a
-- shipped rule in the reasons, or give a status no check saw. A use()d view (it has a metatable)
-- is copied through its pairs(); a plain table in its own order (the copy is the same in any).
local function own_copy(v, depth)
    if type(v) ~= "table" then return v end
    depth = (depth or 0) + 1
    if depth > 16 then error("a declaration nested more than 16 tables deep", 0) end
    local out = {}
    if getmetatable(v) == nil then
        for k, x in raw_next, v do out[k] = own_copy(x, depth) end
    else
        for k, x in pairs(v) do out[k] = own_copy(x, depth) end
    end
    return out
end

--- An empty registry: everything the rule files declare, and whether loading is still open.
function D.new_registry()
    return {
        meta = nil, fields = {}, field_by_path = {}, scores = {}, score_by_id = {}, rules = {}, rule_by_id = {},
        defined = {}, defined_by = {}, loading = true, loading_file = nil, seq = 0, errors = {}, pending = {},
        defined_at = {}, window = { depth = 0 },
    }
end

local function declaration_error(R, level, message)
    local src, line = where(level + 1)
    local e = { file = src or R.loading_file, line = line or 0, message = message }
    R.errors[#R.errors + 1] = e
end

-- Position of a declaration: its file and line, and a sequence number that orders declarations of
-- one file (the file's path orders the files).
local function stamp(R, spec, level)
    local src, line = where(level + 1)
    R.seq = R.seq + 1
    spec.file, spec.line, spec.seq, spec.load_path = src, line, R.seq, R.loading_file
end

-- A second declaration of the same id: reported at whichever of the two comes later in file
-- order (path, then position), so the message does not depend on the order files loaded in.
local function declared_twice(R, existing, message)
    local here = R.loading_file
    if existing.load_path ~= here and U.bytes_less(tostring(here), tostring(existing.load_path)) then
        R.errors[#R.errors + 1] = { file = existing.file, line = existing.line, message = message }
    else
        declaration_error(R, 3, message)
    end
end

-- Schema problems of a declaration, reported at the caller's line; true when there were any.
local function refused(R, kind, spec, what)
    local problems = S.check(kind, spec, what)
    for _, m in ipairs(problems) do declaration_error(R, 3, m) end
    return #problems > 0
end

--- The helper functions rule files declare with, bound to one registry.
function D.helpers(R)
    local h = {}
    local function open(name)
        if not R.loading then error(name .. " is a load-time declaration", 3) end
    end

    --- ruleset { name, version, pathways, precedence, default, alerts, sequence, sources, criteria }
    function h.ruleset(spec)
        open("ruleset{}")
        spec = own_copy(spec)
        if R.meta then declaration_error(R, 2, "ruleset{} declared twice") return end
        if refused(R, "ruleset", spec, "ruleset{}") then return end
        if type(spec.name) ~= "string" or type(spec.pathways) ~= "table" or type(spec.precedence) ~= "table" then
            declaration_error(R, 2, "ruleset{} needs name, pathways and precedence")
            return
        end
        for i, p in ipairs(spec.pathways) do
            if type(p) ~= "string" and refused(R, "pathway", p, "ruleset{}: pathway " .. i) then return end
        end
        if spec.default ~= nil and refused(R, "default", spec.default, "ruleset{}: default") then return end
        for _, k in ipairs(U.sorted_keys(spec.alerts or {})) do
            if refused(R, "alert_declaration", spec.alerts[k], "ruleset{}: alert '" .. tostring(k) .. "'") then return end
        end
        R.meta = spec
        spec.file, spec.line = where(2)
        spec.file = spec.file or R.loading_file
    end

    --- field { "path", type = ..., enum = ..., min = ..., max = ..., ... }
    function h.field(spec)
        open("field{}")
        local path = type(spec) == "table" and (spec.path or spec[1])
        if type(path) ~= "string" then declaration_error(R, 2, "field{} needs a path") return end
        spec = own_copy(spec)
        if refused(R, "field", spec, "field '" .. path .. "'") then return end
        if spec.items ~= nil and refused(R, "field_items", spec.items, "field '" .. path .. "': items") then return end
        if R.field_by_path[path] then declared_twice(R, R.field_by_path[path], "field '" .. path .. "' declared twice") return end
        spec.path, spec[1] = path, nil
        stamp(R, spec, 2)
        R.fields[#R.fields + 1] = spec
        R.field_by_path[path] = spec
    end

    --- score { id, implements, source, summary, compute = function(c) ... end, output }
    function h.score(spec)
        open("score{}")
        if type(spec) ~= "table" or type(spec.id) ~= "string" or type(spec.compute) ~= "function" then
            declaration_error(R, 2, "score{} needs an id and a compute function")
            return
        end
        spec = own_copy(spec)
        if refused(R, "score", spec, "score '" .. spec.id .. "'") then return end
        if R.score_by_id[spec.id] then declared_twice(R, R.score_by_id[spec.id], "score '" .. spec.id .. "' declared twice") return end
        stamp(R, spec, 2)
        spec.implements = U.list_of(spec.implements)
        R.scores[#R.scores + 1] = spec
        R.score_by_id[spec.id] = spec
    end

    --- rule { id, pathways, implements, source, summary, unknown_text, per_lesion, when,
    ---        effect | effects, on_unknown, status, strength }
    function h.rule(spec)
        open("rule{}")
        if type(spec) ~= "table" or type(spec.id) ~= "string" then declaration_error(R, 2, "rule{} needs an id") return end
        spec = own_copy(spec)
        if refused(R, "rule", spec, "rule '" .. spec.id .. "'") then return end
        if R.rule_by_id[spec.id] then declared_twice(R, R.rule_by_id[spec.id], "rule '" .. spec.id .. "' declared twice") return end
        if spec.effect ~= nil and spec.effects ~= nil then
            declaration_error(R, 2, "rule '" .. spec.id .. "': give effect or effects, not both")
            return
        end
        stamp(R, spec, 2)
        spec.pathways = U.list_of(spec.pathways)
        spec.implements = U.list_of(spec.implements)
        R.rules[#R.rules + 1] = spec
        R.rule_by_id[spec.id] = spec
    end

    --- define(name, value): share a table between rule files.
    function h.define(name, value)
        open("define()")
        if type(name) ~= "string" then declaration_error(R, 2, "define() needs a name (a string)") return end
        if type(value) ~= "table" then declaration_error(R, 2, "define() takes a table (put functions in a table)") return end
        if R.defined[name] ~= nil then declared_twice(R, R.defined_at[name], "'" .. name .. "' defined twice") return end
        R.defined[name] = value
        R.defined_by[name] = R.loading_file
        local file, line = where(2)
        R.defined_at[name] = { file = file, line = line, load_path = R.loading_file }
    end
    return h
end

-- Forgets what one file declared (it is loaded again later).
local function roll_back(R, path, counts)
    for i = #R.fields, counts.fields + 1, -1 do R.field_by_path[R.fields[i].path] = nil; R.fields[i] = nil end
    for i = #R.scores, counts.scores + 1, -1 do R.score_by_id[R.scores[i].id] = nil; R.scores[i] = nil end
    for i = #R.rules, counts.rules + 1, -1 do R.rule_by_id[R.rules[i].id] = nil; R.rules[i] = nil end
    for i = #R.errors, counts.errors + 1, -1 do R.errors[i] = nil end
    for _, name in ipairs(U.sorted_keys(R.defined_by)) do
        if R.defined_by[name] == path then R.defined[name], R.defined_by[name], R.defined_at[name] = nil, nil, nil end
    end
    if counts.meta == nil then R.meta = nil end
end

-- Runs a compiled rule file once, under one budget window. Returns ok, message, deferred.
local function run_file(R, env_of, path, chunk)
    R.loading_file = path
    setenv(chunk, env_of())
    local counts = { fields = #R.fields, scores = #R.scores, rules = #R.rules, errors = #R.errors, meta = R.meta }
    local ok, err, kind = need("execution").window(R.window, nil, chunk)
    R.loading_file = nil
    if not ok then
        if kind == "not_yet" then
            roll_back(R, path, counts)
            return false, R.not_yet.message, true, R.not_yet
        end
        -- Lua gives no position for memory errors and non-string error values: name the file.
        if not U.has_position(err) then err = path .. ": " .. err end
        return false, err
    end
    if #R.errors > counts.errors then
        local e = R.errors[#R.errors]
        return false, string_format("%s:%d: %s", e.file, e.line, e.message)
    end
    return true
end

--- Loads one file; a file that needs what a later file defines is kept and loaded by settle().
function D.load_file(R, env_of, path, chunk)
    local ok, message, deferred, where_ = run_file(R, env_of, path, chunk)
    if deferred then
        R.pending[#R.pending + 1] = { path = path, chunk = chunk, message = message, where = where_ }
        return { ok = true }
    end
    if not ok then return { ok = false, message = message } end
    return { ok = true }
end

--- Loads the files set aside until none is left or none makes progress; the first that still
--- cannot load is reported with its file and line.
function D.settle(R, env_of)
    while #R.pending > 0 do
        local still, progress = {}, false
        for _, p in ipairs(R.pending) do
            local ok, message, deferred, where_ = run_file(R, env_of, p.path, p.chunk)
            if deferred then
                p.message, p.where = message, where_
                still[#still + 1] = p
            elseif not ok then
                return { ok = false, message = message }
            else
                progress = true
            end
        end
        R.pending = still
        if not progress and #still > 0 then
            local w = still[1].where or {}
            return { ok = false, message = still[1].message, file = w.file, line = w.line, problem = w.problem }
        end
    end
    return { ok = true }
end

return D
