-- The context `c` a rule, score or derived value sees: field reads by path (c:get, c:opt, c:has),
-- what it read and what it missed, lesion views, scores, other pathways' statuses, derive. What the
-- context records is kept out of the rule's reach (a side table keyed by the context), so a rule
-- can neither fake its inputs nor see another rule's.
local host, need = ...
local setmetatable, getmetatable, defined_at, rawequal = host.setmetatable, host.getmetatable, host.defined_at, host.rawequal
local U, logic = need("util"), need("logic")
local UNKNOWN, copy = U.UNKNOWN, U.copy
local error, type, ipairs, tonumber, pcall, tostring = error, type, ipairs, tonumber, pcall, tostring
local string_sub, string_format, concat = string.sub, string.format, table.concat
local gmatch, match = string.gmatch, string.match

local X = {}

-- MARK: - Paths and the flattened case

-- Parsed paths: { segs, lesion = bool, normal = "...", declared = bool, concrete = { names } }.
-- Those of the field dictionary are parsed when the rules load (X.prepare), with their names for
-- every lesion a case may hold, and never change after; any other path a rule names is parsed in
-- the case that names it (ev.paths). Nothing a case fills is left for the next: a cache filled by
-- the first case that needs an entry would charge that case's rule for it and not the next one's.
local static_paths = {}

local function parse(path)
    local parsed = { segs = {} }
    local normal = {}
    local rest = path
    if string_sub(rest, 1, 7) == "lesion." then
        parsed.lesion = true
        rest = string_sub(rest, 8)
        normal[1] = "lesions[]"
    end
    for part in gmatch(rest, "[^%.]+") do
        local name, index = match(part, "^([%w_]+)%[(%d+)%]$")
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
    -- The case's own name is not clinical data: a rule that could read it could behave correctly
    -- for every case id of the test corpus and differently for any other.
    parsed.hidden = path == "id" or path == "title"
    return parsed
end

local function parsed_of(ev, path)
    local parsed = static_paths[path]
    if parsed then return parsed end
    parsed = ev.paths[path]
    if parsed then return parsed end
    parsed = parse(path)
    ev.paths[path] = parsed
    return parsed
end

local function lesion_name(path, lesion_index)
    return string_format("lesions[%d].%s", lesion_index - 1, string_sub(path, 8))
end

--- Parses the field dictionary's paths as rules name them ("labs.inr", "lesion.epidural"), once
--- the rules have loaded.
function X.prepare(R)
    local lesions = R.field_by_path["lesions"]
    local max_lesions = lesions and lesions.max_items or 0
    for _, f in ipairs(R.fields) do
        local path, rule_path = f.path, nil
        if type(path) == "string" then
            if string_sub(path, 1, 10) == "lesions[]." then
                rule_path = "lesion." .. string_sub(path, 11)
            elseif not string.find(path, "[", 1, true) then
                rule_path = path
            end
        end
        if rule_path and not static_paths[rule_path] then
            local parsed = parse(rule_path)
            parsed.declared = R.field_by_path[parsed.normal] ~= nil
            parsed.static = true
            if parsed.lesion then
                parsed.concrete = {}
                for i = 1, max_lesions do parsed.concrete[i] = lesion_name(rule_path, i) end
            end
            static_paths[rule_path] = parsed
        end
    end
end

-- The field path as the output names it: lesion-relative paths become lesions[i]....
local function concrete_path(parsed, path, lesion_index)
    if parsed.lesion then
        local names = parsed.concrete
        local name = names and names[lesion_index]
        if not name then
            name = lesion_name(path, lesion_index)
            if not parsed.static then
                if not names then names = {}; parsed.concrete = names end
                names[lesion_index] = name
            end
        end
        return name
    end
    return path
end

local raw_next = host.raw_next  -- the case and the records below are plain tables (util.any_order)

local function flatten(t, prefix, into)
    for k, v in raw_next, t do
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

--- The case flattened once per evaluation into ev.flat ("labs.inr" -> value) and, per lesion,
--- ev.flat_lesion[i] ("lesion.epidural" -> value): a read is then one table index.
function X.flatten_case(ev)
    local c = ev.case
    ev.flat, ev.flat_lesion = {}, {}
    flatten(c, nil, ev.flat)
    for i = 1, ev.nlesions do
        local into = {}
        flatten(c.lesions[i], "lesion", into)
        ev.flat_lesion[i] = into
    end
end

-- level: the stack level of the rule code that asked (for the message's file and line).
local function lookup(ev, path, lesion_index, level)
    local v
    if lesion_index then
        v = ev.flat_lesion[lesion_index][path]
        if v == nil then v = ev.flat[path] end
    else
        v = ev.flat[path]
    end
    local parsed = parsed_of(ev, path)
    if parsed.hidden then error("the case's '" .. path .. "' is not visible to rules", level) end
    if v ~= nil then return v, parsed end
    if not parsed.declared then
        if not ev.R.field_by_path[parsed.normal] then
            error("field '" .. path .. "' is not in the field dictionary", level)
        end
        if not parsed.static then parsed.declared = true end
    end
    if parsed.lesion and not lesion_index then error("'" .. path .. "' needs a per-lesion rule", level) end
    return nil, parsed
end

-- MARK: - Contexts

local Context = {}
-- A context is an empty table whose metatable is its record: what it reads and misses, its
-- evaluation. Rules have no getmetatable (sandbox), so the record is out of their reach, and the
-- methods table is not the metatable (`c.__index` would hand a rule the shared methods table).
local function record(c)
    local p = getmetatable(c)  -- false for the views of use(), the string metatable for a string
    if not p or p.__index ~= Context then error("not a rule context (call methods with ':')", 3) end
    return p
end

local function context_of(p)
    p.__index = Context
    return setmetatable({}, p)
end

--- A fresh context for `owner` (a rule or score spec) in evaluation ev, for one lesion or the case.
--- Its list of missing fields (and the index of that list) is made by the first field it misses:
--- most contexts miss none. (Named in the constructor all the same, as nil: the record is made
--- with room for them, and setting them later does not grow it.)
function X.new(ev, owner, lesion_index)
    return setmetatable({}, { __index = Context, ev = ev, owner = owner, lesion_index = lesion_index, inputs = {},
        missing = nil, seen_missing = nil })
end

--- What a context recorded: { inputs = {name -> value}, missing = { {field, optional} } or nil }.
function X.recorded(c)
    return getmetatable(c)
end

-- The missing fields of a record that missed none: never written to (note_missing makes a
-- record's own list).
local NONE = {}

--- The missing fields a record holds: its list, or an empty one.
function X.missing_of(rec)
    return rec.missing or NONE
end

local function note_missing(p, path, optional)
    p = p.root or p  -- a lesion view records into the context it was made from
    local seen_missing = p.seen_missing
    if seen_missing == nil then
        seen_missing = {}
        p.seen_missing, p.missing = seen_missing, {}
    end
    local seen = seen_missing[path]
    if seen then
        -- Read with c:opt first and c:get later: the field is needed after all.
        if not optional then seen.optional = nil end
        return
    end
    local m = { field = path, optional = optional or nil }
    seen_missing[path] = m
    p.missing[#p.missing + 1] = m
end

-- The usual read, the first branch below: a field of the dictionary that the case gives, a
-- scalar, read where lookup() would find it and named as concrete_path() would name it (the rule's
-- own path, or the per-lesion name made when the rules loaded). The general path after it gives
-- the same for such a read, with a parse, a lookup and a call more.
local function read(p, path, optional)
    local parsed = static_paths[path]
    if parsed and not parsed.hidden then
        local v, name
        if not parsed.lesion then
            v, name = p.ev.flat[path], path
        elseif p.lesion_index then
            v, name = p.ev.flat_lesion[p.lesion_index][path], parsed.concrete[p.lesion_index]
        end
        if v ~= nil and name and type(v) ~= "table" then
            p.inputs[name] = v
            return v
        end
    end
    local v
    v, parsed = lookup(p.ev, path, p.lesion_index, 4)
    local name = concrete_path(parsed, path, p.lesion_index)
    if v == nil then
        note_missing(p, name, optional)
        if optional then return nil end
        error(UNKNOWN, 0)
    end
    if type(v) == "table" then v = copy(v) end
    p.inputs[name] = v
    return v
end

-- The three reads below inline record(): they are the hottest calls a rule makes.

--- c:get(path): the value, or stop the rule as unknown (the field is reported missing).
function Context:get(path)
    local p = getmetatable(self)
    if not p or p.__index ~= Context then record(self) end
    return read(p, path, false)
end

--- c:opt(path): the value or nil; the rule decides what an unknown value means.
function Context:opt(path)
    local p = getmetatable(self)
    if not p or p.__index ~= Context then record(self) end
    return read(p, path, true)
end

--- c:has(path): whether the case gives the field.
function Context:has(path)
    local p = getmetatable(self)
    if not p or p.__index ~= Context then record(self) end
    return lookup(p.ev, path, p.lesion_index, 3) ~= nil
end

--- c:lesion_id(): the id of the lesion a per-lesion rule is looking at.
function Context:lesion_id()
    local p = record(self)
    local l = p.lesion_index and p.ev.case.lesions[p.lesion_index]
    return l and l.id
end

--- c:lesion_count()
function Context:lesion_count()
    return record(self).ev.nlesions
end

-- fn(l) for each lesion, l a per-lesion view recording into the same inputs and missing fields.
local function lesion_views(c, fn)
    local p = record(c)
    local fns = {}
    for i = 1, p.ev.nlesions do
        fns[i] = function()
            return fn(context_of({ ev = p.ev, owner = p.owner, lesion_index = i, inputs = p.inputs, root = p.root or p }))
        end
    end
    return fns
end

--- c:any_lesion(fn) / c:all_lesions(fn): three-valued like any_of / all_of.
function Context:any_lesion(fn) return logic.three_valued(lesion_views(self, fn), true) end
function Context:all_lesions(fn) return logic.three_valued(lesion_views(self, fn), false) end

local function score_of(c, id, optional)
    local p = record(c)
    local s = need("execution").compute_score(p.ev, id)
    if s.error then error("score '" .. id .. "' failed: " .. s.error, 0) end
    if s.missing then
        for _, m in ipairs(s.missing) do note_missing(p, m.field, optional) end
        if optional then return nil end
        error(UNKNOWN, 0)
    end
    if s.value.total ~= nil then p.inputs[id .. ".total"] = s.value.total end
    if not optional and s.value.band ~= nil then p.inputs[id .. ".band"] = s.value.band end
    return copy(s.value)
end

--- c:score(id): the score's result table (total, band, items, ...); unknown if not computable.
function Context:score(id) return score_of(self, id, false) end

--- c:score_opt(id): the score's result, or nil when it cannot be computed (nothing blocks).
function Context:score_opt(id) return score_of(self, id, true) end

--- c:status(pathway): another pathway's final status and strength; unknown when it is
--- undetermined. Asked from a lesion context, a per-lesion pathway answers for that lesion (P20);
--- from the case context, with the pathway's status (the most favourable lesion).
function Context:status(pathway)
    local p = record(self)
    local d = need("decision").decide(p.ev, pathway)
    local i, name = p.lesion_index, "pathways." .. pathway
    if i and d.lesions and d.lesions[i] then
        d = d.lesions[i]
        name = name .. "[" .. tostring(d.id) .. "]"
    end
    p.inputs[name] = d.strength and (d.status .. ":" .. d.strength) or d.status
    if d.status == "undetermined" then
        for _, f in ipairs(d.missing) do note_missing(p, f) end
        error(UNKNOWN, 0)
    end
    return d.status, d.strength
end

--- c:derive(name, fn): fn(c) computed once per case (and per lesion, in a per-lesion context);
--- every context that asks gets the same value, the fields it read, and the same unknown.
function Context:derive(name, fn)
    local p = record(self)
    local key = p.lesion_index and (name .. "#" .. p.lesion_index) or name
    local memo = p.ev.derive_memo
    local d = memo[key]
    -- A derived value has one definer (the file and line of the function that computes it): a
    -- rule that derived a shared fact's name with its own function first would otherwise fix that
    -- fact for every later rule.
    -- (The same function asking again, the usual case, needs no look at where it was defined.)
    local definer
    if d == nil or not rawequal(d.fn, fn) then
        definer = type(fn) == "function" and defined_at(fn) or "?"
        if d ~= nil and d.definer ~= definer then
            error(string_format("derive '%s' has two definers: %s and %s (a derived value has one definer)",
                tostring(name), d.definer, definer), 2)
        end
    end
    if d == nil then
        local sub = X.new(p.ev, p.owner, p.lesion_index)
        local ok, v = pcall(fn, sub)
        if not ok and v ~= UNKNOWN then error(v, 0) end
        -- A derived value is a fact: plain data. A function handed from one file's rule to
        -- another's would carry its file's upvalues out of reach of the restore after each call.
        -- (A boolean or a string, the usual fact, needs no look.)
        local tv = type(v)
        local problem = ok and tv ~= "boolean" and tv ~= "string" and tv ~= "nil" and need("schema").data_problem({ v }, 1)
        if problem then error(string_format("derive '%s': its value %s", tostring(name), problem), 2) end
        local sp = getmetatable(sub)
        d = { ok = ok, value = v, inputs = sp.inputs, missing = X.missing_of(sp), definer = definer, fn = fn }
        memo[key] = d
    end
    local inputs = p.inputs
    for k, v in raw_next, d.inputs do inputs[k] = v end
    for _, m in ipairs(d.missing) do note_missing(p, m.field, m.optional) end
    if not d.ok then error(UNKNOWN, 0) end
    return d.value
end

--- c:warn(text): a warning in the output (a conversion made, a mapping defaulted).
function Context:warn(text)
    local ev = record(self).ev
    if type(text) ~= "string" or ev.warning_seen[text] then return end
    ev.warning_seen[text] = true
    ev.warnings[#ev.warnings + 1] = text
end

--- c:input(name, value): record a derived value the rule reasoned with.
function Context:input(name, value)
    local p = record(self)
    -- Plain data only, checked here so that the failure names the rule (a function value used to
    -- fail the whole case when it crossed into Swift).
    local problem = type(name) ~= "string" and "its name must be a string" or need("schema").data_problem({ value }, 1)
    if problem then error("c:input: " .. problem, 2) end
    p.inputs[name] = copy(value)  -- a plain copy: a frozen rule-file table reads as empty in Swift
end

return X
