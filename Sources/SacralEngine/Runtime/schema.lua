-- The rule language's vocabulary: which keys each declaration (ruleset, field, score, rule), each
-- effect, plan step and alert may carry, and of which type. A key the engine does not understand is
-- an error, never ignored: a misspelt `wen` must not turn a conditional rule into one that always
-- fires. Also checks a fired effect against the ruleset's vocabulary (statuses, strengths, alert
-- ids, plan pathways, timings). Pure: returns messages, raises nothing.
local host, need = ...
local setmetatable, getmetatable = host.setmetatable, host.getmetatable
local type, next, ipairs, tostring, concat, error = type, next, ipairs, tostring, table.concat, error
local math_type, sort = math.type, table.sort
local string_format = string.format

local S = {}

-- The traversal for a loop that only asks whether anything is wrong (util.any_order).
local any_order = need("util").any_order

local function is_list_of_strings(v)
    if type(v) ~= "table" then return false end
    for k, x in any_order(v), v do
        if math_type(k) ~= "integer" or type(x) ~= "string" then return false end
    end
    return true
end

-- Type names a schema uses, and what each accepts.
local checks = {
    string = function(v) return type(v) == "string" end,
    number = function(v) return type(v) == "number" end,
    integer = function(v) return math_type(v) == "integer" end,
    boolean = function(v) return type(v) == "boolean" end,
    ["function"] = function(v) return type(v) == "function" end,
    table = function(v) return type(v) == "table" end,
    any = function() return true end,
    strings = function(v) return type(v) == "string" or is_list_of_strings(v) end,
    text = function(v) return type(v) == "string" or type(v) == "function" end,
    effect = function(v) return type(v) == "table" or type(v) == "function" end,
    alert = function(v) return type(v) == "string" or type(v) == "table" end,
    requires = function(v) return v == false or type(v) == "string" or type(v) == "table" end,
    ignore = function(v) return v == "ignore" end,
}
local described = {
    strings = "a string or a list of strings", text = "a string or a function", effect = "a table or a function",
    alert = "an alert id or { id =, text =, level = }", requires = "false, a status, a list of statuses or " ..
    "{ pathway =, status = }", ignore = "\"ignore\"", ["function"] = "a function",
}

S.kinds = {
    ruleset = { name = "string", version = "string", pathways = "table", precedence = "table", default = "table",
        alerts = "table", sequence = "table", sources = "table", criteria = "table", lesion_order = "table",
        preposition = "string" },
    pathway = { id = "string", title = "string", plan_text = "string", per_lesion = "boolean", preposition = "string" },
    default = { rule = "string", status = "string", text = "string", source = "string", implements = "strings" },
    alert_declaration = { level = "string", text = "string" },
    field = { path = "string", [1] = "string", type = "string", enum = "table", min = "number", max = "number",
        multiple_of = "number", required = "boolean", items = "table", min_items = "integer", max_items = "integer", unique = "boolean",
        unit = "string", doc = "string", label = "string", compared_with = "strings", step = "number" },
    field_items = { type = "string", enum = "table", min = "number", max = "number" },
    score = { id = "string", implements = "strings", source = "string", summary = "string", compute = "function",
        output = "boolean" },
    rule = { id = "string", pathways = "strings", implements = "strings", source = "string", summary = "string",
        unknown_text = "string", per_lesion = "boolean", when = "function", effect = "effect", effects = "table",
        on_unknown = "ignore", status = "string", strength = "string" },
    effect = { status = "string", strength = "string", text = "text", detail = "table", evidence = "string",
        alert = "alert", warning = "string", plan = "table", approach = "strings", decisive = "boolean",
        correction = "string", source = "string" },
    alert = { id = "string", text = "string", level = "string" },
    plan_step = { pathway = "string", timing = "string", text = "string", requires = "requires" },
    requires = { pathway = "string", status = "strings" },
}

S.timings = { emergency = true, before = true, same_session = true, after = true }
S.levels = { emergency = true, warning = true, info = true }
S.statuses = { recommended = true, option = true, not_indicated = true, contraindicated = true, undetermined = true }

local function allowed(schema)
    local names = {}
    for k in next, schema do if type(k) == "string" then names[#names + 1] = k end end
    sort(names)
    return concat(names, ", ")
end

local NONE = setmetatable({}, { __newindex = function() error("read-only", 2) end })

--- Problems of one declaration table against the schema `kind`: unknown keys and wrong types, in
--- a fixed order. `what` names it in messages ("rule 'x'", "field{}"). A table without problems
--- gets a shared empty list (no allocation: computed effects are checked every time they fire).
function S.check(kind, t, what)
    local schema = S.kinds[kind]
    if type(t) ~= "table" then return { what .. " must be a table" } end
    local clean = true
    for k, x in any_order(t), t do
        local want = schema[k]
        if want == nil or not checks[want](x) then clean = false break end
    end
    if clean then return NONE end
    local problems = {}
    local keys = {}
    for k in next, t do keys[#keys + 1] = k end
    sort(keys, function(a, b)
        local ta, tb = type(a), type(b)
        if ta ~= tb then return ta < tb end
        if ta == "string" or ta == "number" then return a < b end
        return false
    end)
    for _, k in ipairs(keys) do
        local want = schema[k]
        if want == nil then
            problems[#problems + 1] = string_format("%s: unknown key '%s' (allowed: %s)", what, tostring(k), allowed(schema))
        elseif not checks[want](t[k]) then
            problems[#problems + 1] = string_format("%s: '%s' must be %s, not a %s value", what, tostring(k),
                described[want] or ("a " .. want), type(t[k]))
        end
    end
    return problems
end

-- Appends one message (or every message of a list) to a problem list that may still be NONE;
-- returns the list. No closures: this runs every time a computed effect fires.
local function add(problems, what, m)
    if problems == NONE then problems = {} end
    problems[#problems + 1] = what .. ": " .. m
    return problems
end
local function merge(problems, list)
    for _, m in ipairs(list) do
        if problems == NONE then problems = {} end
        problems[#problems + 1] = m
    end
    return problems
end

-- Schema problems of a part of an effect, named only when there are some.
local function part(problems, kind, t, what, name)
    if S.check(kind, t, "") == NONE then return problems end
    return merge(problems, S.check(kind, t, what .. ": " .. name))
end

local function check_status(p, e, what, v, declared, computed)
    if e.status ~= nil then
        local k = S.statuses[e.status] and v.precedence:key(e.status, e.strength)
        if not S.statuses[e.status] then
            p = add(p, what, "unknown status '" .. tostring(e.status) .. "'")
        elseif e.strength ~= nil and e.status ~= "contraindicated" then
            p = add(p, what, "a strength goes with status contraindicated only")
        elseif e.status == "contraindicated" and e.strength == nil and not k then
            p = add(p, what, "status contraindicated needs a strength the precedence ranks (absolute or relative)")
        elseif e.strength ~= nil and not k then
            p = add(p, what, "unknown strength '" .. tostring(e.strength) .. "'")
        elseif not k then
            p = add(p, what, "status '" .. tostring(e.status) .. "' is not in the ruleset's precedence")
        elseif computed then
            if declared == nil then
                p = add(p, what, "gives status '" .. k .. "' but the rule declares none (declare the strongest " ..
                    "status its computed effect can give: status =, strength =)")
            elseif v.precedence:stronger(k, declared) then
                p = add(p, what, "gives status '" .. k .. "', stronger than the '" .. declared .. "' it declares")
            end
        end
    elseif e.strength ~= nil then
        p = add(p, what, "a strength without a status")
    end
    return p
end

local function check_step(p, step, i, what, v)
    p = part(p, "plan_step", step, what, "plan step " .. i)
    if type(step) ~= "table" then return p end
    if not v.plan_targets[step.pathway] then
        p = add(p, what, "plan step for unknown pathway '" .. tostring(step.pathway) .. "'")
    end
    if step.timing ~= nil and not S.timings[step.timing] then
        p = add(p, what, "plan step with unknown timing '" .. tostring(step.timing) .. "'")
    end
    local r = step.requires
    if type(r) == "table" and (r.pathway ~= nil or r.status ~= nil) then
        p = part(p, "requires", r, what, "plan step " .. i .. ": requires")
        if r.pathway ~= nil and not v.plan_targets[r.pathway] then
            p = add(p, what, "plan step requires unknown pathway '" .. tostring(r.pathway) .. "'")
        end
    end
    local statuses = type(r) == "table" and (r.status or r) or r
    if type(statuses) == "string" then statuses = { statuses } end
    if type(statuses) == "table" then
        for _, st in ipairs(statuses) do
            if not S.statuses[st] then p = add(p, what, "plan step requires unknown status '" .. tostring(st) .. "'") end
        end
    end
    return p
end

--- The first problem of a table whose values must cross into the output as data (an effect's
--- detail, c:input, a score, a derived value): keys strings or integers, values strings, finite
--- numbers, booleans or tables of those made by the rule; nil when there is none. A table with a
--- metatable (a rule file's read-only table, a use() view, a context) is not data: copied, it
--- would read as empty, and handed to another rule it would carry its file's functions along.
-- Whether data_problem would find nothing: the same test in any order (the common case, checked
-- every time a computed effect fires), so that only a table with a problem is walked in order, for
-- a message that names the same problem every time.
local function is_data(v, depth)
    if depth > 16 then return false end
    for k, x in any_order(v), v do
        if type(k) ~= "string" and math_type(k) ~= "integer" then return false end
        local t = type(x)
        if t == "table" then
            if getmetatable(x) ~= nil or not is_data(x, depth + 1) then return false end
        elseif t == "number" then
            if x ~= x or x == 1 / 0 or x == -1 / 0 then return false end
        elseif t ~= "string" and t ~= "boolean" then
            return false
        end
    end
    return true
end

function S.data_problem(v, depth)
    if is_data(v, depth) then return nil end
    return S.first_data_problem(v, depth)
end

function S.first_data_problem(v, depth)
    if depth > 16 then return "is nested more than 16 tables deep" end
    for k, x in next, v do
        if type(k) ~= "string" and math_type(k) ~= "integer" then return "has a key that is a " .. type(k) .. " value" end
        local t = type(x)
        if t == "table" and getmetatable(x) ~= nil then
            return "holds a read-only shared table or a runtime object (build a new table with what you need)"
        elseif t == "table" then
            local problem = S.first_data_problem(x, depth + 1)
            if problem then return problem end
        elseif t == "number" then
            if x ~= x or x == 1 / 0 or x == -1 / 0 then return "holds a number that is not finite" end
        elseif t ~= "string" and t ~= "boolean" then
            return "holds a " .. t .. " value (only strings, numbers, booleans and tables of them)"
        end
    end
    return nil
end

--- Problems of an effect (static, or the table a computed effect returned) against the schemas and
--- the vocabulary `v` of the loaded ruleset: v.precedence (combine.precedence), v.alerts (declared
--- alert ids), v.plan_targets (pathway ids and sequence entries). `declared` is the strongest
--- verdict the rule declares for a computed effect (nil: it may give no status at all). A clean
--- effect gets a shared empty list.
function S.check_effect(e, what, v, declared, computed)
    local p = merge(NONE, S.check("effect", e, what))
    if type(e) ~= "table" then return p end
    p = check_status(p, e, what, v, declared, computed)
    if type(e.detail) == "table" then
        local problem = S.data_problem({ e.detail }, 1)
        if problem then p = add(p, what, "detail " .. problem) end
    end
    local a = e.alert
    if a ~= nil then
        if type(a) == "table" then
            p = part(p, "alert", a, what, "alert")
            if a.level ~= nil and not S.levels[a.level] then
                p = add(p, what, "unknown alert level '" .. tostring(a.level) .. "'")
            end
            a = a.id
        end
        local declared_alert = v.alerts and v.alerts[a]
        if not declared_alert then
            p = add(p, what, "raises undeclared alert '" .. tostring(a) .. "'")
        elseif type(e.alert) == "table" and e.alert.level ~= nil and e.alert.level ~= declared_alert.level then
            -- A rule may word an alert for the case, never make it louder (or quieter) than declared.
            p = add(p, what, "raises alert '" .. tostring(a) .. "' at level '" .. tostring(e.alert.level) ..
                "', but the ruleset declares it at level '" .. tostring(declared_alert.level) .. "'")
        end
    end
    local plan = e.plan
    if type(plan) == "table" then
        if plan.pathway ~= nil or plan.text ~= nil or plan.timing ~= nil then
            p = check_step(p, plan, 1, what, v)
        else
            for i, step in ipairs(plan) do p = check_step(p, step, i, what, v) end
        end
    end
    return p
end

return S
