-- The sacral rule runtime: the trusted Lua half of the engine.
--
-- It holds no clinical knowledge. It gives rule files their helper library (ruleset, field, score,
-- rule, define, use, any_of, all_of, known), runs each rule under its own instruction budget,
-- records what every rule read and what it missed, and combines the effects of many rules into
-- one status per pathway with the precedence the ruleset declares. Rules/README.md documents the
-- helper library for rule authors; this file is the implementation.
--
-- It is loaded once per Lua state with the chunk name "=sacral-runtime" (the instruction hook
-- never stops code of this chunk) and receives the host table, which rules never see.

local host = ...
local setmetatable, rawget, rawset = host.setmetatable, host.rawget, host.rawset
local arm, disarm, setenv, where = host.arm, host.disarm, host.setenv, host.where
local collect, memory_tripped, work_tripped = host.collect, host.memory_tripped, host.work_tripped

local WORK_MESSAGE = "instruction limit exceeded (the rule allocated more memory or made library " ..
    "functions do more work than its instruction budget allows)"

-- What an allocation failure means: the rule's work budget, or the state's memory cap.
local function allocation_failure(work)
    collect()
    if work then return WORK_MESSAGE, "instruction_limit" end
    return "not enough memory (memory cap reached)", "memory"
end
local pcall, error, type, pairs, ipairs, next = pcall, error, type, pairs, ipairs, next
local tostring, tonumber, select = tostring, tonumber, select
local sort, concat, insert = table.sort, table.concat, table.insert
local math_type, floor = math.type, math.floor
local string_format, string_sub, string_gsub = string.format, string.sub, string.gsub
local string_byte = string.byte

local M = {}

-- MARK: - Declarations (filled while rule files load)

local meta = nil            -- the ruleset{} declaration
local fields = {}           -- field specs in declaration order
local field_by_path = {}    -- normalised path ("lesions[].zones") -> spec
local scores, score_by_id = {}, {}
local rules, rule_by_id = {}, {}
local defined = {}          -- define(name, value)
local loading_file = nil    -- path of the file being loaded
local loading = true        -- false once finish_loading ran: rule envs are frozen
local declaration_errors = {}
local pathway_index = {}    -- pathway id -> position
local rank = {}             -- "status" or "status:strength" -> precedence rank (1 = strongest)

local UNKNOWN = setmetatable({}, { __tostring = function() return "unknown value" end })

local function declaration_error(level, message)
    local src, line = where(level + 1)
    insert(declaration_errors, { file = src or loading_file, line = line or 0, message = message })
end

local function copy(v, depth)
    if type(v) ~= "table" then return v end
    depth = (depth or 0) + 1
    if depth > 32 then error("table nested too deeply", 0) end
    local out = {}
    for k, x in next, v do out[k] = copy(x, depth) end
    return out
end

local function sorted_keys(t)
    local keys = {}
    for k in next, t do keys[#keys + 1] = k end
    sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    return keys
end

local function list_of(v)
    if v == nil then return {} end
    if type(v) ~= "table" then return { v } end
    return v
end

-- A rule's error message, made safe to report: a string, at most MAX_MESSAGE bytes (a rule may
-- raise a message of megabytes; copying or prefixing it could hit the memory cap in trusted code).
local MAX_MESSAGE = 2000
local function message_text(v)
    if type(v) ~= "string" then return "(error object is a " .. type(v) .. " value)" end
    if #v > MAX_MESSAGE then return string_sub(v, 1, MAX_MESSAGE) .. "... (message cut)" end
    return v
end

-- Whether a message starts with Lua's "file:line:" position, like the pattern "^[^\n]-:%d+:".
-- Plain code, not string.find: the guarded pattern functions refuse long subjects, and a refusal
-- here would raise inside the runtime's own bookkeeping.
local function has_position(msg)
    local n = #msg
    for i = 1, n do
        local b = string_byte(msg, i)
        if b == 10 then return false end
        if b == 58 then  -- ':' then digits then ':'
            local j = i + 1
            while j <= n do
                local d = string_byte(msg, j)
                if d < 48 or d > 57 then break end
                j = j + 1
            end
            if j > i + 1 and string_byte(msg, j) == 58 then return true end
        end
    end
    return false
end

-- MARK: - Read-only views of the standard libraries

local function readonly(t, name)
    return setmetatable({}, {
        __index = t,
        __newindex = function(_, k)
            error(string_format("'%s' is read-only (tried to set %s.%s)", name, name, tostring(k)), 2)
        end,
        -- The iterator keeps the real table to itself: returning `next, t` would hand a rule the
        -- writable library table as the loop's state (`local _, raw = pairs(string)`).
        __pairs = function() return function(_, k) return next(t, k) end, nil, nil end,
        __metatable = false,
    })
end

-- MARK: - The helper library

local lib = {}

--- ruleset { name, version, pathways, precedence, default, alerts, sequence, sources, statuses }
function lib.ruleset(spec)
    if not loading then error("ruleset{} is a load-time declaration", 2) end
    if meta then declaration_error(2, "ruleset{} declared twice") return end
    if type(spec) ~= "table" or type(spec.name) ~= "string" or type(spec.pathways) ~= "table"
        or type(spec.precedence) ~= "table" then
        declaration_error(2, "ruleset{} needs name, pathways and precedence")
        return
    end
    meta = spec
    meta.file = loading_file
end

--- field { "path", type = ..., enum = ..., min = ..., max = ..., ... }
function lib.field(spec)
    if not loading then error("field{} is a load-time declaration", 2) end
    local path = type(spec) == "table" and (spec.path or spec[1])
    if type(path) ~= "string" then declaration_error(2, "field{} needs a path") return end
    if field_by_path[path] then declaration_error(2, "field '" .. path .. "' declared twice") return end
    spec.path, spec[1] = path, nil
    local src, line = where(2)
    spec.file, spec.line = src, line
    fields[#fields + 1] = spec
    field_by_path[path] = spec
end

--- score { id, implements, source, summary, compute = function(c) ... end }
function lib.score(spec)
    if not loading then error("score{} is a load-time declaration", 2) end
    if type(spec) ~= "table" or type(spec.id) ~= "string" or type(spec.compute) ~= "function" then
        declaration_error(2, "score{} needs an id and a compute function")
        return
    end
    if score_by_id[spec.id] then declaration_error(2, "score '" .. spec.id .. "' declared twice") return end
    local src, line = where(2)
    spec.file, spec.line = src, line
    spec.implements = list_of(spec.implements)
    scores[#scores + 1] = spec
    score_by_id[spec.id] = spec
end

--- rule { id, pathways, implements, source, summary, per_lesion, when, effect | effects, on_unknown }
function lib.rule(spec)
    if not loading then error("rule{} is a load-time declaration", 2) end
    if type(spec) ~= "table" or type(spec.id) ~= "string" then declaration_error(2, "rule{} needs an id") return end
    if rule_by_id[spec.id] then declaration_error(2, "rule '" .. spec.id .. "' declared twice") return end
    if spec.when ~= nil and type(spec.when) ~= "function" then
        declaration_error(2, "rule '" .. spec.id .. "': when must be a function")
        return
    end
    local src, line = where(2)
    spec.file, spec.line = src, line
    spec.pathways = list_of(spec.pathways)
    spec.implements = list_of(spec.implements)
    spec.order = #rules + 1
    rules[#rules + 1] = spec
    rule_by_id[spec.id] = spec
end

--- define(name, value): share a table or function between rule files.
function lib.define(name, value)
    if not loading then error("define() is a load-time declaration", 2) end
    if type(value) ~= "table" then declaration_error(2, "define() takes a table (put functions in a table)") return end
    if defined[name] ~= nil then declaration_error(2, "'" .. tostring(name) .. "' defined twice") return end
    defined[name] = value
end

-- Shared tables are handed out as read-only views, resolved on access: files may use() what a
-- file loaded later defines, and no rule can change what another rule (or the next case) sees.
local views = {}
local deep_view

-- A read-only view of the table resolve() returns; nested tables come out as views too.
local function view_of(resolve, name)
    return setmetatable({}, {
        __index = function(_, k)
            local x = resolve()[k]
            if type(x) == "table" then return deep_view(x, name) end
            return x
        end,
        __newindex = function(_, k)
            error(string_format("'%s' is read-only (tried to set %s)", tostring(name), tostring(k)), 2)
        end,
        __len = function() return #resolve() end,
        __pairs = function()
            local t = resolve()
            return function(_, k)
                local nk, nv = next(t, k)
                if type(nv) == "table" then nv = deep_view(nv, name) end
                return nk, nv
            end, nil, nil  -- not `t`: the state pairs() returns would be the writable table
        end,
        __metatable = false,
    })
end

deep_view = function(t, name)
    local v = views[t]
    if v then return v end
    v = view_of(function() return t end, name)
    views[t] = v
    return v
end

local lazy = {}
--- use(name): what another file defined under that name (a table), read-only.
function lib.use(name)
    local v = lazy[name]
    if v then return v end
    v = view_of(function()
        local t = defined[name]
        if t == nil then error("nothing is defined under '" .. tostring(name) .. "'", 3) end
        return t
    end, name)
    lazy[name] = v
    return v
end

--- known(fn, ...): fn's result, or nil when it needed an unknown value (no undetermined status).
function lib.known(fn, ...)
    local ok, v = pcall(fn, ...)
    if ok then return v end
    if v == UNKNOWN then return nil end
    error(v, 0)
end

local function three_valued(fns, want)
    local unknown = false
    for i = 1, #fns do
        local ok, v = pcall(fns[i])
        if not ok then
            if v ~= UNKNOWN then error(v, 0) end
            unknown = true
        elseif (not not v) == want then
            return want
        end
    end
    if unknown then error(UNKNOWN, 0) end
    return not want
end

--- any_of(f1, f2, ...): true if any is true, even when others are unknown; unknown if none is true
--- and some are unknown; else false.
function lib.any_of(...) return three_valued({ ... }, true) end

--- all_of(f1, f2, ...): false if any is false, even when others are unknown; unknown if none is
--- false and some are unknown; else true.
function lib.all_of(...) return three_valued({ ... }, false) end

-- MARK: - Evaluation state (one case at a time)

local case = nil            -- the case table being evaluated
local memo = nil            -- rule key -> result
local score_memo = nil      -- score id -> { value = ..., missing = ..., error = ... }
local pathway_memo = nil    -- pathway id -> decision
local in_progress = nil     -- pathway id -> true while being decided (cycle detection)
local derive_memo = nil     -- c:derive results of this case
local warnings, warning_seen = nil, nil
local depth = 0             -- nesting of budget windows

local path_cache = {}       -- path string -> { segments..., lesion = bool, normal = "..." }

local function parse_path(path)
    local parsed = path_cache[path]
    if parsed then return parsed end
    parsed = { segs = {} }
    local normal = {}
    local rest = path
    if string_sub(rest, 1, 7) == "lesion." then
        parsed.lesion = true
        rest = string_sub(rest, 8)
        normal[1] = "lesions[]"
    end
    for part in string.gmatch(rest, "[^%.]+") do
        local name, index = string.match(part, "^([%w_]+)%[(%d+)%]$")
        if name then
            parsed.segs[#parsed.segs + 1] = name
            parsed.segs[#parsed.segs + 1] = tonumber(index) + 1
            normal[#normal + 1] = name .. "[]"
        else
            parsed.segs[#parsed.segs + 1] = part
            normal[#normal + 1] = part
        end
    end
    parsed.normal = concat(normal, ".")
    path_cache[path] = parsed
    return parsed
end

-- The field path as the output names it: lesion-relative paths become lesions[i]....
local function concrete_path(path, lesion_index)
    local parsed = path_cache[path] or parse_path(path)
    if parsed.lesion then
        local names = parsed.concrete
        if not names then names = {}; parsed.concrete = names end
        local name = names[lesion_index]
        if not name then
            name = string_format("lesions[%d].%s", lesion_index - 1, string_sub(path, 8))
            names[lesion_index] = name
        end
        return name
    end
    return path
end

-- The case flattened once per evaluation: "labs.inr" -> value, and per lesion "lesion.epidural"
-- -> value; a read is then one table index. Only validated (so declared) fields are in it.
local flat, flat_lesion = nil, nil

local function flatten(t, prefix, into)
    for k, v in next, t do
        if type(k) == "string" then
            local path = prefix and (prefix .. "." .. k) or k
            into[path] = v
            if type(v) == "table" then
                if v[1] ~= nil and type(v[1]) == "table" then
                    for i = 1, #v do
                        into[path .. "[" .. (i - 1) .. "]"] = v[i]
                        flatten(v[i], path .. "[" .. (i - 1) .. "]", into)
                    end
                elseif v[1] == nil then
                    flatten(v, path, into)
                end
            end
        end
    end
end

local function flatten_case(c)
    flat, flat_lesion = {}, {}
    flatten(c, nil, flat)
    local lesions = c.lesions
    for i = 1, (lesions and #lesions or 0) do
        local into = {}
        flatten(lesions[i], "lesion", into)
        flat_lesion[i] = into
    end
end

local function lookup(path, lesion_index)
    local v
    if lesion_index then
        v = flat_lesion[lesion_index][path]
        if v == nil then v = flat[path] end
    else
        v = flat[path]
    end
    if v ~= nil then return v end
    local parsed = path_cache[path] or parse_path(path)
    if not parsed.declared then
        if not field_by_path[parsed.normal] then
            error("field '" .. path .. "' is not in the field dictionary", 3)
        end
        parsed.declared = true
    end
    if parsed.lesion and not lesion_index then error("'" .. path .. "' needs a per-lesion rule", 3) end
    return nil
end

local function add_warning(text)
    if type(text) ~= "string" or warning_seen[text] then return end
    warning_seen[text] = true
    warnings[#warnings + 1] = text
end

-- Runs fn under a fresh instruction budget; returns ok, value, kind.
local function guarded(fn, ...)
    depth = depth + 1
    arm()
    local ok, v = pcall(fn, ...)
    local tripped = disarm()
    local work = work_tripped()
    depth = depth - 1
    if depth > 0 then arm() end
    if ok then return true, v end
    if v == UNKNOWN then return false, UNKNOWN, "unknown" end
    if (work or memory_tripped()) and v == "not enough memory" then
        local msg, kind = allocation_failure(work)
        return false, msg, kind
    end
    v = message_text(v)
    if tripped then return false, v, "instruction_limit" end
    return false, v, "error"
end

-- MARK: - The context a rule sees

local Context = {}
-- The metatable is not the methods table: with `Context.__index = Context`, `c.__index` would
-- hand every rule the shared, writable methods table (and with it c:get of every later case).
local ContextMeta = { __index = Context, __metatable = false }

local function new_context(owner, lesion_index)
    return setmetatable({ owner = owner, lesion_index = lesion_index, inputs = {}, missing = {}, seen_missing = {} },
        ContextMeta)
end

local function note_missing(c, path, optional)
    local seen = c.seen_missing[path]
    if seen then
        -- Read with c:opt first and c:get later: the field is needed after all.
        if not optional then seen.optional = nil end
        return
    end
    local m = { field = path, optional = optional or nil }
    c.seen_missing[path] = m
    c.missing[#c.missing + 1] = m
end

--- c:get(path): the value, or stop the rule as unknown (the field is reported missing).
function Context:get(path)
    local v = lookup(path, self.lesion_index)
    local name = concrete_path(path, self.lesion_index)
    if v == nil then
        note_missing(self, name)
        error(UNKNOWN, 0)
    end
    if type(v) == "table" then v = copy(v) end
    self.inputs[name] = v
    return v
end

--- c:opt(path): the value or nil; the rule decides what an unknown value means.
function Context:opt(path)
    local v = lookup(path, self.lesion_index)
    local name = concrete_path(path, self.lesion_index)
    if v == nil then
        note_missing(self, name, true)
        return nil
    end
    if type(v) == "table" then v = copy(v) end
    self.inputs[name] = v
    return v
end

--- c:has(path): whether the case gives the field.
function Context:has(path)
    return lookup(path, self.lesion_index) ~= nil
end

--- c:lesion_id(): the id of the lesion a per-lesion rule is looking at.
function Context:lesion_id()
    local l = self.lesion_index and case.lesions[self.lesion_index]
    return l and l.id
end

--- c:lesion_count()
function Context:lesion_count()
    return case.lesions and #case.lesions or 0
end

--- c:any_lesion(fn) / c:all_lesions(fn): fn(l) for each lesion, l a per-lesion context view;
--- three-valued like any_of / all_of.
local function lesion_views(c, fn)
    local fns = {}
    for i = 1, (case.lesions and #case.lesions or 0) do
        fns[i] = function()
            local view = setmetatable({ owner = c.owner, lesion_index = i, inputs = c.inputs, missing = c.missing,
                seen_missing = c.seen_missing, parent = c }, ContextMeta)
            return fn(view)
        end
    end
    return fns
end

function Context:any_lesion(fn)
    return three_valued(lesion_views(self, fn), true)
end

function Context:all_lesions(fn)
    return three_valued(lesion_views(self, fn), false)
end

local compute_score

--- c:score(id): the score's result table (total, band, items, ...); unknown if not computable.
function Context:score(id)
    local s = compute_score(id)
    if s.error then error("score '" .. id .. "' failed: " .. s.error, 0) end
    if s.missing then
        for _, m in ipairs(s.missing) do note_missing(self, m.field) end
        error(UNKNOWN, 0)
    end
    if s.value.total ~= nil then self.inputs[id .. ".total"] = s.value.total end
    if s.value.band ~= nil then self.inputs[id .. ".band"] = s.value.band end
    return copy(s.value)
end

--- c:score_opt(id): the score's result, or nil when it cannot be computed (nothing blocks).
function Context:score_opt(id)
    local s = compute_score(id)
    if s.error then error("score '" .. id .. "' failed: " .. s.error, 0) end
    if s.missing then
        for _, m in ipairs(s.missing) do note_missing(self, m.field, true) end
        return nil
    end
    if s.value.total ~= nil then self.inputs[id .. ".total"] = s.value.total end
    return copy(s.value)
end

local decide_pathway

--- c:status(pathway): another pathway's final status ("recommended", ..., "contraindicated") and
--- strength; unknown when that pathway is undetermined.
function Context:status(pathway)
    local d = decide_pathway(pathway)
    self.inputs["pathways." .. pathway] = d.strength and (d.status .. ":" .. d.strength) or d.status
    if d.status == "undetermined" then
        for _, f in ipairs(d.missing) do note_missing(self, f) end
        error(UNKNOWN, 0)
    end
    return d.status, d.strength
end

--- c:derive(name, fn): fn(c) computed once per case (and per lesion, in a per-lesion context);
--- every context that asks gets the same value, the fields it read, and the same unknown.
--- Use it for anything several rules compute (a score's bounds, a predicate over all lesions).
--- The value is shared: treat it as read-only.
function Context:derive(name, fn)
    local key = self.lesion_index and (name .. "#" .. self.lesion_index) or name
    local d = derive_memo[key]
    if d == nil then
        local sub = new_context(self.owner, self.lesion_index)
        local ok, v = pcall(fn, sub)
        if not ok and v ~= UNKNOWN then error(v, 0) end
        d = { ok = ok, value = v, inputs = sub.inputs, missing = sub.missing }
        derive_memo[key] = d
    end
    local inputs = self.inputs
    for k, v in next, d.inputs do inputs[k] = v end
    for _, m in ipairs(d.missing) do note_missing(self, m.field, m.optional) end
    if not d.ok then error(UNKNOWN, 0) end
    return d.value
end

--- c:warn(text): a warning in the output (a conversion made, a mapping defaulted).
function Context:warn(text)
    add_warning(text)
end

--- c:input(name, value): record a derived value the rule reasoned with.
function Context:input(name, value)
    self.inputs[name] = value
end

-- MARK: - Scores

compute_score = function(id)
    local s = score_memo[id]
    if s then
        if s.busy then return { error = "score '" .. id .. "' depends on itself" } end
        return s
    end
    local spec = score_by_id[id]
    if not spec then error("no score '" .. tostring(id) .. "'", 3) end
    score_memo[id] = { busy = true }
    local c = new_context({ id = id }, nil)
    local ok, v, kind = guarded(spec.compute, c)
    if ok and type(v) ~= "table" then ok, v, kind = false, "compute must return a table", "error" end
    if ok then
        s = { value = v, inputs = c.inputs }
    elseif kind == "unknown" then
        local missing = {}
        for _, m in ipairs(c.missing) do if not m.optional then missing[#missing + 1] = m end end
        s = { missing = missing }
    else
        s = { error = v, kind = kind }
    end
    score_memo[id] = s
    return s
end

-- MARK: - Rules

local function effect_for(spec, pathway)
    if spec.effects then return spec.effects[pathway] end
    return spec.effect
end

-- Evaluates a rule once per case (per lesion for per-lesion rules).
-- The rule's condition and effects, run under one budget window: false when it does not fire,
-- else the effect of each pathway it speaks to (an effect shared by several pathways is
-- computed once).
local function apply_rule(spec, c)
    if spec.when and not spec.when(c) then return false end
    local effects, done = {}, {}
    local targets = #spec.pathways > 0 and spec.pathways or { false }
    for i = 1, #targets do
        local p = targets[i]
        local declared = effect_for(spec, p or nil)
        local e = done[declared or false]
        if e == nil then
            e = declared
            if type(e) == "function" then e = e(c) end
            if e ~= nil and type(e) ~= "table" then error("effect must be a table", 0) end
            if e and type(e.text) == "function" then
                local text = e.text(c)
                e = copy(e)
                e.text = text
            end
            if declared ~= nil then done[declared] = e or false end
        end
        effects[p or "_"] = e or nil
    end
    return true, effects
end

-- Evaluates a rule once per case (per lesion for per-lesion rules).
local function run_rule(spec, lesion_index)
    local key = lesion_index and (spec.id .. "#" .. lesion_index) or spec.id
    local r = memo[key]
    if r then
        if r.busy then
            return { outcome = "error", kind = "error", inputs = {}, missing = {},
                message = spec.file .. ":" .. spec.line .. ": rule '" .. spec.id .. "' depends on itself (cycle)" }
        end
        return r
    end
    memo[key] = { busy = true }
    local c = new_context(spec, lesion_index)
    r = { spec = spec, lesion = lesion_index, inputs = c.inputs, missing = c.missing }
    depth = depth + 1
    arm()
    local ok, fired, effects = pcall(apply_rule, spec, c)
    local tripped = disarm()
    local work = work_tripped()
    depth = depth - 1
    if depth > 0 then arm() end
    if ok then
        if fired then
            r.outcome, r.effects = "fired", effects
        else
            r.outcome = "false"
        end
    elseif fired == UNKNOWN then
        r.outcome = "unknown"
    else
        local msg, kind = fired, "error"
        if (work or memory_tripped()) and msg == "not enough memory" then
            msg, kind = allocation_failure(work)
        else
            msg = message_text(msg)
        end
        if tripped and kind == "error" then kind = "instruction_limit" end
        if not has_position(msg) then msg = spec.file .. ":" .. spec.line .. ": " .. msg end
        r.outcome, r.kind, r.message = "error", kind, msg
    end
    memo[key] = r
    return r
end

-- MARK: - Combining rules into one status per pathway

local rank_cache = {}        -- status -> strength (or true) -> rank, filled on first use
local function rank_of(status, strength)
    if status == nil then return nil end
    local by_strength = rank_cache[status]
    if not by_strength then by_strength = {}; rank_cache[status] = by_strength end
    local key = strength or true
    local k = by_strength[key]
    if k == nil then
        k = rank[status .. ":" .. tostring(strength)] or rank[status] or false
        by_strength[key] = k
    end
    return k or nil
end

local function split_status(key)
    local status, strength = string.match(key, "^([%w_]+):(%w+)$")
    if status then return status, strength end
    return key, nil
end

local function status_key(status, strength)
    if rank[status .. ":" .. tostring(strength)] then return status .. ":" .. strength end
    return status
end

local function reason_of(r, pathway, e)
    local spec = r.spec
    local reason = {
        rule = spec.id,
        source = (e and e.source) or spec.source,
        implements = spec.implements,
        inputs = r.inputs,
        lesion = r.lesion and case.lesions[r.lesion].id or nil,
    }
    if r.outcome == "fired" then
        reason.outcome = "fired"
        reason.status = e and e.status or nil
        reason.strength = e and e.strength or nil
        reason.text = (e and e.text) or spec.summary
        reason.evidence = e and e.evidence or nil
        reason.correction = e and e.correction or nil
    elseif r.outcome == "unknown" then
        reason.outcome = "unknown"
        local names = {}
        for _, m in ipairs(r.missing) do if not m.optional then names[#names + 1] = m.field end end
        reason.missing = names
        reason.text = (spec.unknown_text or ("Cannot be decided: " .. (spec.summary or spec.id))) ..
            " (unknown: " .. concat(names, ", ") .. ")"
    else
        reason.outcome = "error"
        reason.error = r.message
        reason.error_kind = r.kind
        reason.text = "The rule failed; the pathway cannot be recommended (fail closed): " .. r.message
    end
    return reason
end

local function rules_for(pathway)
    local list = meta.rules_by_pathway[pathway]
    return list or {}
end

-- Combines a set of rule results for one pathway (optionally one lesion) into a status.
-- Known facts decide first; an unknown or failed rule adds `undetermined` only where its
-- effect could change the outcome; the precedence of the ruleset orders everything.
local function combine(pathway, results)
    local best_rank, best_key, decisive = nil, nil, false
    local fired, open = {}, {}
    for _, r in ipairs(results) do
        if r.outcome == "fired" then
            local e = r.effects[pathway]
            if e and e.status then
                local k = rank_of(e.status, e.strength)
                if k and (best_rank == nil or k < best_rank) then best_rank, best_key = k, status_key(e.status, e.strength) end
                if e.decisive then decisive = true end
            end
            fired[#fired + 1] = r
        elseif r.outcome == "unknown" or r.outcome == "error" then
            open[#open + 1] = r
        end
    end
    local undetermined_rank = rank["undetermined"]
    local default_status = meta.default and meta.default.status or "not_indicated"
    local blocking, unknown_missing = {}, {}
    -- Every open rule is weighed against what the known facts decided, so that all the fields
    -- that could change the status are reported, not only the first rule's.
    local known_rank = best_rank
    for _, r in ipairs(open) do
        local binding
        if r.outcome == "error" then
            binding = true  -- fail closed
        elseif r.spec.on_unknown == "ignore" or decisive then
            binding = false
        else
            -- What the rule would say if it fired: its effect table's status, or the status it
            -- declares for a computed effect. Not knowing that, assume it could say anything.
            local e = effect_for(r.spec, pathway)
            local k
            if type(e) == "table" and e.status then
                k = rank_of(e.status, e.strength)
            elseif r.spec.status then
                k = rank_of(r.spec.status, r.spec.strength)
            end
            if k == nil then
                binding = true
            elseif known_rank == nil then
                -- Nothing decided yet: only a possible indication is held open; a possible
                -- exclusion of a pathway nothing indicates changes nothing a clinician would do.
                binding = k >= undetermined_rank
            else
                binding = k < known_rank and undetermined_rank < known_rank
            end
        end
        if binding then
            blocking[#blocking + 1] = r
            if r.outcome == "unknown" then
                for _, m in ipairs(r.missing) do
                    if not m.optional then unknown_missing[#unknown_missing + 1] = m.field end
                end
            end
            if best_rank == nil or undetermined_rank < best_rank then
                best_rank, best_key = undetermined_rank, "undetermined"
            end
        end
    end
    local by_default = false
    if best_key == nil then best_key, by_default = default_status, true end
    local status, strength = split_status(best_key)
    -- An error can never leave a pathway recommended, whatever the precedence list says.
    if #blocking > 0 and (status == "recommended" or status == "option") then
        status, strength = "undetermined", nil
    end
    return { status = status, strength = strength, fired = fired, blocking = blocking,
        missing = unknown_missing, by_default = by_default }
end

local function unique_sorted(list)
    local seen, out = {}, {}
    for _, v in ipairs(list) do if not seen[v] then seen[v] = true; out[#out + 1] = v end end
    sort(out)
    return out
end

local function pathway_spec(id)
    return meta.pathway_by_id[id]
end

decide_pathway = function(pathway)
    local d = pathway_memo[pathway]
    if d then return d end
    if not pathway_spec(pathway) then error("no pathway '" .. tostring(pathway) .. "'", 3) end
    if in_progress[pathway] then
        error("pathway '" .. pathway .. "' depends on itself through c:status()", 3)
    end
    in_progress[pathway] = true
    local results, by_lesion = {}, {}
    local nlesions = case.lesions and #case.lesions or 0
    for _, spec in ipairs(rules_for(pathway)) do
        if spec.per_lesion then
            for i = 1, nlesions do
                local r = run_rule(spec, i)
                results[#results + 1] = r
                by_lesion[i] = by_lesion[i] or {}
                insert(by_lesion[i], r)
            end
        else
            results[#results + 1] = run_rule(spec, nil)
        end
    end
    local combined = combine(pathway, results)
    d = { id = pathway, status = combined.status, strength = combined.strength,
        missing = unique_sorted(combined.missing), detail = {}, reasons = {} }
    -- Reasons: every rule that spoke (fired), and every unknown or failed rule that held the status.
    local blocking = {}
    for _, r in ipairs(combined.blocking) do blocking[r] = true end
    for _, r in ipairs(results) do
        if r.outcome == "fired" then
            local e = r.effects[pathway]
            d.reasons[#d.reasons + 1] = reason_of(r, pathway, e)
            if e and type(e.detail) == "table" then
                for k, v in next, e.detail do d.detail[k] = v end
            end
        elseif blocking[r] then
            d.reasons[#d.reasons + 1] = reason_of(r, pathway, nil)
        end
    end
    if combined.by_default and meta.default then
        d.reasons[#d.reasons + 1] = { rule = meta.default.rule or "default", text = meta.default.text,
            source = meta.default.source, implements = list_of(meta.default.implements), inputs = {},
            outcome = "default", status = meta.default.status }
    end
    -- Per-lesion view: the case-level effects apply to every lesion.
    if pathway_spec(pathway).per_lesion then
        d.lesions = {}
        local case_level = {}
        for _, r in ipairs(results) do if not r.lesion then case_level[#case_level + 1] = r end end
        for i = 1, nlesions do
            local rs = {}
            for _, r in ipairs(case_level) do rs[#rs + 1] = r end
            for _, r in ipairs(by_lesion[i] or {}) do rs[#rs + 1] = r end
            local lc = combine(pathway, rs)
            local approach, seen = {}, {}
            local excluded = lc.status == "contraindicated" or lc.status == "not_indicated"
            if not excluded then
                for _, r in ipairs(by_lesion[i] or {}) do
                    local e = r.outcome == "fired" and r.effects[pathway]
                    if e and e.approach then
                        for _, a in ipairs(list_of(e.approach)) do
                            if not seen[a] then seen[a] = true; approach[#approach + 1] = a end
                        end
                    end
                end
            end
            d.lesions[#d.lesions + 1] = { id = case.lesions[i].id, status = lc.status, strength = lc.strength,
                approach = approach, missing = unique_sorted(lc.missing) }
        end
    end
    in_progress[pathway] = nil
    pathway_memo[pathway] = d
    return d
end

-- MARK: - Alerts, plan, output

local level_order = { emergency = 1, warning = 2, info = 3 }

local function collect_extras(decisions)
    local alerts, alert_seen, plan = {}, {}, {}
    -- Fired rules in declaration order (then lesion order): the order of alerts and plan steps.
    local ordered = {}
    local nlesions = case.lesions and #case.lesions or 0
    for _, spec in ipairs(rules) do
        if spec.per_lesion then
            for i = 1, nlesions do
                local r = memo[spec.id .. "#" .. i]
                if r and r.outcome == "fired" then ordered[#ordered + 1] = r end
            end
        else
            local r = memo[spec.id]
            if r and r.outcome == "fired" then ordered[#ordered + 1] = r end
        end
    end
    for _, r in ipairs(ordered) do
        for _, e in next, r.effects do
            if e.alert then
                local a = type(e.alert) == "table" and e.alert or { id = e.alert }
                local known_alert = meta.alerts and meta.alerts[a.id] or {}
                if not alert_seen[a.id] then
                    alert_seen[a.id] = true
                    alerts[#alerts + 1] = { id = a.id, level = a.level or known_alert.level or "info",
                        text = a.text or known_alert.text or a.id, rule = r.spec.id, source = r.spec.source,
                        order = r.spec.order }
                end
            end
            if e.warning then add_warning(e.warning) end
            if e.plan then
                for _, step in ipairs(e.plan.pathway and { e.plan } or e.plan) do
                    local target = step.pathway
                    local requires = step.requires
                    local include = true
                    if requires ~= nil and requires ~= false then
                        include = false
                        local d = decisions[requires.pathway or target]
                        for _, s in ipairs(list_of(requires.status or requires)) do
                            if d and d.status == s then include = true end
                        end
                    elseif requires == nil and decisions[target] then
                        include = decisions[target].status == "recommended"
                    end
                    if include then
                        plan[#plan + 1] = { pathway = target, timing = step.timing, text = step.text,
                            rule = r.spec.id, order = r.spec.order }
                    end
                end
            end
        end
    end
    sort(alerts, function(a, b)
        local la, lb = level_order[a.level] or 9, level_order[b.level] or 9
        if la ~= lb then return la < lb end
        return a.order < b.order
    end)
    for _, a in ipairs(alerts) do a.order = nil end
    -- Every recommended pathway has a step; a rule's own step text wins over the default.
    local has_step = {}
    for _, s in ipairs(plan) do has_step[s.pathway] = true end
    for _, p in ipairs(meta.pathways) do
        local d = decisions[p.id]
        if d.status == "recommended" and not has_step[p.id] then
            plan[#plan + 1] = { pathway = p.id, text = p.plan_text or p.title or p.id, rule = "default",
                order = math.huge }
        end
    end
    local seq = {}
    for i, p in ipairs(meta.sequence or {}) do seq[p] = i end
    local timing_rank = { emergency = 1, before = 2, same_session = 3, after = 4 }
    sort(plan, function(a, b)
        local sa, sb = seq[a.pathway] or 1000, seq[b.pathway] or 1000
        if sa ~= sb then return sa < sb end
        local ta, tb = timing_rank[a.timing] or 3, timing_rank[b.timing] or 3
        if ta ~= tb then return ta < tb end
        if a.order ~= b.order then return a.order < b.order end
        return tostring(a.text) < tostring(b.text)
    end)
    local steps, step_seen = {}, {}
    for _, s in ipairs(plan) do
        local k = s.pathway .. "|" .. tostring(s.timing) .. "|" .. tostring(s.text)
        if not step_seen[k] then
            step_seen[k] = true
            steps[#steps + 1] = { step = #steps + 1, pathway = s.pathway, timing = s.timing, text = s.text, rule = s.rule }
        end
    end
    return alerts, steps
end

--- Evaluates one case (a validated table) and returns the decision as plain data.
function M.evaluate(c, opts)
    case, memo, score_memo, pathway_memo, in_progress, derive_memo = c, {}, {}, {}, {}, {}
    flatten_case(c)
    warnings, warning_seen, depth = {}, {}, 0
    local out = { scores = {}, pathways = {}, errors = {} }
    local decisions = {}
    for _, p in ipairs(meta.pathways) do
        local ok, d = pcall(decide_pathway, p.id)
        if not ok then
            d = { id = p.id, status = "undetermined", missing = {}, detail = {},
                reasons = { { rule = "engine", outcome = "error", source = "engine", implements = { "P19" }, error = tostring(d),
                    text = "The pathway could not be decided (fail closed): " .. tostring(d), inputs = {} } } }
            pathway_memo[p.id] = d
        end
        decisions[p.id] = d
    end
    -- Rules that speak to no pathway (alerts, warnings, plan steps only).
    for _, spec in ipairs(meta.free_rules) do
        if spec.per_lesion then
            for i = 1, (case.lesions and #case.lesions or 0) do run_rule(spec, i) end
        else
            run_rule(spec, nil)
        end
    end
    for _, p in ipairs(meta.pathways) do out.pathways[#out.pathways + 1] = decisions[p.id] end
    for _, s in ipairs(scores) do
        if s.output ~= false then
            local r = compute_score(s.id)
            local entry = { id = s.id }
            if r.value then
                entry.value = r.value
            elseif r.missing then
                local names = {}
                for _, m in ipairs(r.missing) do names[#names + 1] = m.field end
                entry.missing = unique_sorted(names)
            else
                entry.error = r.error
            end
            out.scores[#out.scores + 1] = entry
        end
    end
    out.alerts, out.plan = collect_extras(decisions)
    -- Missing fields and the pathways they hold undetermined.
    local affects, fields_seen = {}, {}
    for _, p in ipairs(meta.pathways) do
        local d = decisions[p.id]
        if d.status == "undetermined" then
            for _, f in ipairs(d.missing) do
                if not affects[f] then affects[f] = {}; fields_seen[#fields_seen + 1] = f end
                insert(affects[f], p.id)
            end
        end
    end
    sort(fields_seen)
    out.missing = {}
    for _, f in ipairs(fields_seen) do out.missing[#out.missing + 1] = { field = f, affects = affects[f] } end
    -- Rule failures, once each.
    local errs = {}
    for _, r in next, memo do
        if type(r) == "table" and r.outcome == "error" then errs[#errs + 1] = r end
    end
    sort(errs, function(a, b)
        if a.spec.order ~= b.spec.order then return a.spec.order < b.spec.order end
        return (a.lesion or 0) < (b.lesion or 0)
    end)
    for _, r in ipairs(errs) do
        out.errors[#out.errors + 1] = { rule = r.spec.id, message = r.message, kind = r.kind,
            pathways = r.spec.pathways }
    end
    out.warnings = warnings
    if opts and opts.trace then
        -- For coverage: every rule evaluated in this case and what came of it.
        local trace = {}
        for _, r in next, memo do
            if type(r) == "table" and r.spec then
                trace[#trace + 1] = { rule = r.spec.id, outcome = r.outcome, order = r.spec.order, lesion = r.lesion or 0 }
            end
        end
        sort(trace, function(a, b)
            if a.order ~= b.order then return a.order < b.order end
            return a.lesion < b.lesion
        end)
        for _, t in ipairs(trace) do t.order, t.lesion = nil, nil end
        out.trace = trace
    end
    case, memo, score_memo, pathway_memo, in_progress, derive_memo = nil, nil, nil, nil, nil, nil
    flat, flat_lesion = nil, nil
    return out
end

-- MARK: - Loading

local base = {}
for _, name in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
    "tostring", "type", "xpcall", "_VERSION" }) do
    base[name] = _ENV[name]
end
base.string = readonly(string, "string")
base.table = readonly(table, "table")
base.math = readonly(math, "math")
base.utf8 = readonly(utf8, "utf8")
for name, fn in pairs(lib) do base[name] = fn end

--- Runs a compiled rule file in its own environment.
function M.load_file(path, chunk)
    loading_file = path
    local env = setmetatable({}, {
        __index = base,
        __newindex = function(t, k, v)
            if loading then rawset(t, k, v) return end
            error(string_format("rules may not set the global '%s' while evaluating (use a local)", tostring(k)), 2)
        end,
        __metatable = false,
    })
    setenv(chunk, env)
    local n = #declaration_errors
    arm()
    local ok, err = pcall(chunk)
    disarm()
    local work = work_tripped()
    loading_file = nil
    if not ok then
        if (work or memory_tripped()) and err == "not enough memory" then
            err = allocation_failure(work)
        else
            err = message_text(err)
        end
        -- Lua gives no position for memory errors and non-string error values: name the file.
        if not has_position(err) then err = path .. ": " .. err end
        return { ok = false, message = err }
    end
    if #declaration_errors > n then
        local e = declaration_errors[#declaration_errors]
        return { ok = false, message = string_format("%s:%d: %s", e.file, e.line, e.message) }
    end
    return { ok = true }
end

local valid_status = { recommended = true, option = true, not_indicated = true, contraindicated = true,
    undetermined = true }

--- Closes the declaration phase: indexes rules by pathway and checks the declarations fit together.
function M.finish_loading()
    loading = false
    local problems = {}
    local function problem(file, line, message)
        problems[#problems + 1] = { file = file, line = line or 0, message = message }
    end
    if not meta then
        problem("Rules", 0, "no ruleset{} declaration")
        return { ok = false, problems = problems }
    end
    meta.pathway_by_id = {}
    for i, p in ipairs(meta.pathways) do
        if type(p) == "string" then p = { id = p }; meta.pathways[i] = p end
        meta.pathway_by_id[p.id] = p
        pathway_index[p.id] = i
    end
    for i, key in ipairs(meta.precedence) do
        local status, strength = split_status(key)
        if not valid_status[status] then problem(meta.file, 0, "precedence names unknown status '" .. key .. "'") end
        rank[key] = i
        if strength == nil then rank[status] = i end
    end
    if not rank["undetermined"] then problem(meta.file, 0, "precedence must place 'undetermined'") end
    meta.rules_by_pathway, meta.free_rules = {}, {}
    for _, spec in ipairs(rules) do
        if #spec.pathways == 0 then
            meta.free_rules[#meta.free_rules + 1] = spec
        end
        for _, p in ipairs(spec.pathways) do
            if not meta.pathway_by_id[p] then
                problem(spec.file, spec.line, "rule '" .. spec.id .. "' names unknown pathway '" .. tostring(p) .. "'")
            else
                meta.rules_by_pathway[p] = meta.rules_by_pathway[p] or {}
                insert(meta.rules_by_pathway[p], spec)
            end
            local e = effect_for(spec, p)
            if type(e) == "table" and e.status ~= nil then
                if not valid_status[e.status] or not rank_of(e.status, e.strength) then
                    problem(spec.file, spec.line, "rule '" .. spec.id .. "' has unknown status '" ..
                        tostring(e.status) .. (e.strength and (":" .. tostring(e.strength)) or "") .. "'")
                end
            end
        end
        if spec.source == nil then problem(spec.file, spec.line, "rule '" .. spec.id .. "' cites no source") end
        -- Static effects can be checked now; computed ones are checked by the runtime when they fire.
        local effects = {}
        if type(spec.effect) == "table" then effects[#effects + 1] = spec.effect end
        if type(spec.effects) == "table" then
            for p, e in pairs(spec.effects) do
                if not meta.pathway_by_id[p] then
                    problem(spec.file, spec.line, "rule '" .. spec.id .. "' has an effect for unknown pathway '" .. tostring(p) .. "'")
                end
                if type(e) == "table" then effects[#effects + 1] = e end
            end
        end
        for _, e in ipairs(effects) do
            local alert = type(e.alert) == "table" and e.alert.id or e.alert
            if alert ~= nil and not (meta.alerts and meta.alerts[alert]) then
                problem(spec.file, spec.line, "rule '" .. spec.id .. "' raises undeclared alert '" .. tostring(alert) .. "'")
            end
            if e.strength ~= nil and e.status ~= "contraindicated" then
                problem(spec.file, spec.line, "rule '" .. spec.id .. "': a strength goes with status contraindicated only")
            end
        end
        if meta.sources and type(spec.source) == "string" then
            for part in string.gmatch(spec.source, "[^;]+") do
                part = string_gsub(string_gsub(part, "^%s+", ""), "%s+$", "")
                local known_source = false
                for name in pairs(meta.sources) do
                    if string_sub(part, 1, #name) == name then known_source = true end
                end
                if not known_source then
                    problem(spec.file, spec.line, "rule '" .. spec.id .. "' cites '" .. part .. "', which ruleset.sources does not list")
                end
            end
        end
    end
    return { ok = #problems == 0, problems = problems }
end

--- The lines of the rule files that can run (for line coverage).
function M.active_lines()
    return host.active_lines({ rules, scores, defined, meta })
end

--- Everything Swift needs to know about the loaded rules: metadata, the field dictionary, the
--- catalogue of rules and scores.
function M.describe()
    local out = { ruleset = {}, fields = {}, rules = {}, scores = {} }
    if meta then
        out.ruleset = { name = meta.name, version = meta.version, pathways = {}, alerts = {},
            precedence = meta.precedence, sources = meta.sources, criteria = meta.criteria }
        for _, p in ipairs(meta.pathways) do
            out.ruleset.pathways[#out.ruleset.pathways + 1] = type(p) == "table" and
                { id = p.id, title = p.title, per_lesion = p.per_lesion or false } or { id = p }
        end
        for _, k in ipairs(sorted_keys(meta.alerts or {})) do
            local a = meta.alerts[k]
            out.ruleset.alerts[#out.ruleset.alerts + 1] = { id = k, level = a.level, text = a.text }
        end
    end
    -- The numbers of every shared table, by name (what-if probes either side of a threshold).
    out.numbers = {}
    for _, name in ipairs(sorted_keys(defined)) do
        local numbers = {}
        for k, v in next, defined[name] do
            if type(k) == "string" and type(v) == "number" then numbers[k] = v end
        end
        out.numbers[name] = numbers
    end
    for _, f in ipairs(fields) do
        local entry = {}
        for k, v in next, f do if type(v) ~= "function" then entry[k] = v end end
        out.fields[#out.fields + 1] = entry
    end
    for _, r in ipairs(rules) do
        out.rules[#out.rules + 1] = { id = r.id, pathways = r.pathways, implements = r.implements,
            source = r.source, summary = r.summary, file = r.file, line = r.line, per_lesion = r.per_lesion or false }
    end
    for _, s in ipairs(scores) do
        out.scores[#out.scores + 1] = { id = s.id, implements = s.implements, source = s.source,
            summary = s.summary, file = s.file, line = s.line }
    end
    return out
end

return M
