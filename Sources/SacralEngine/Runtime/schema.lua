-- The rule language's vocabulary: which keys each declaration (ruleset, field, score, rule), each
-- effect, plan step and alert may carry, and of which type. A key the engine does not understand is
-- an error, never ignored: a misspelt `wen` must not turn a conditional rule into one that always
-- fires. Also checks a fired effect against the ruleset's vocabulary (statuses, strengths, alert
-- ids, plan pathways, timings). Pure: returns messages, raises nothing.
local type, next, ipairs, tostring, concat = type, next, ipairs, tostring, table.concat
local math_type, sort = math.type, table.sort
local string_format = string.format

local S = {}

local function is_list_of_strings(v)
    if type(v) ~= "table" then return false end
    for k, x in next, v do
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
        alerts = "table", sequence = "table", sources = "table", criteria = "table" },
    pathway = { id = "string", title = "string", plan_text = "string", per_lesion = "boolean" },
    default = { rule = "string", status = "string", text = "string", source = "string", implements = "strings" },
    alert_declaration = { level = "string", text = "string" },
    field = { path = "string", [1] = "string", type = "string", enum = "table", min = "number", max = "number",
        multiple_of = "number", required = "boolean", items = "table", min_items = "integer", unique = "boolean",
        unit = "string", doc = "string" },
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

--- Problems of one declaration table against the schema `kind`: unknown keys and wrong types, in
--- a fixed order. `what` names it in messages ("rule 'x'", "field{}").
function S.check(kind, t, what)
    local schema = S.kinds[kind]
    local problems = {}
    if type(t) ~= "table" then return { what .. " must be a table" } end
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

-- The plan steps of an effect, as a list.
local function steps_of(plan)
    if type(plan) ~= "table" then return {} end
    if plan.pathway ~= nil or plan.text ~= nil or plan.timing ~= nil then return { plan } end
    return plan
end

--- Problems of an effect (static, or the table a computed effect returned) against the schemas and
--- the vocabulary `v` of the loaded ruleset: v.precedence (combine.precedence), v.alerts (declared
--- alert ids), v.plan_targets (pathway ids and sequence entries). `declared` is the strongest
--- verdict the rule declares for a computed effect (nil: it may give no status at all).
function S.check_effect(e, what, v, declared, computed)
    local problems = S.check("effect", e, what)
    local add = function(m) problems[#problems + 1] = what .. ": " .. m end
    if type(e) ~= "table" then return problems end
    if e.status ~= nil then
        if not S.statuses[e.status] then
            add("unknown status '" .. tostring(e.status) .. "'")
        elseif e.strength ~= nil and e.status ~= "contraindicated" then
            add("a strength goes with status contraindicated only")
        elseif e.status == "contraindicated" and e.strength == nil
            and not v.precedence:key("contraindicated") then
            add("status contraindicated needs a strength the precedence ranks (" ..
                "absolute or relative)")
        elseif e.strength ~= nil and not v.precedence.rank["contraindicated:" .. tostring(e.strength)]
            and not v.precedence.rank["contraindicated"] then
            add("unknown strength '" .. tostring(e.strength) .. "'")
        elseif not v.precedence:key(e.status, e.strength) then
            add("status '" .. tostring(e.status) .. "' is not in the ruleset's precedence")
        elseif computed then
            local k = v.precedence:key(e.status, e.strength)
            if declared == nil then
                add("gives status '" .. k .. "' but the rule declares none (declare the strongest status " ..
                    "its computed effect can give: status =, strength =)")
            elseif v.precedence:stronger(k, declared) then
                add("gives status '" .. k .. "', stronger than the '" .. declared .. "' it declares")
            end
        end
    elseif e.strength ~= nil then
        add("a strength without a status")
    end
    if e.alert ~= nil then
        local a = e.alert
        if type(a) == "table" then
            for _, m in ipairs(S.check("alert", a, what .. ": alert")) do problems[#problems + 1] = m end
            if a.level ~= nil and not S.levels[a.level] then add("unknown alert level '" .. tostring(a.level) .. "'") end
            a = a.id
        end
        if not (v.alerts and v.alerts[a]) then add("raises undeclared alert '" .. tostring(a) .. "'") end
    end
    for i, step in ipairs(steps_of(e.plan)) do
        local sw = what .. ": plan step " .. i
        for _, m in ipairs(S.check("plan_step", step, sw)) do problems[#problems + 1] = m end
        if type(step) == "table" then
            if not v.plan_targets[step.pathway] then add("plan step for unknown pathway '" .. tostring(step.pathway) .. "'") end
            if step.timing ~= nil and not S.timings[step.timing] then
                add("plan step with unknown timing '" .. tostring(step.timing) .. "'")
            end
            local r = step.requires
            if type(r) == "table" and (r.pathway ~= nil or r.status ~= nil) then
                for _, m in ipairs(S.check("requires", r, sw .. ": requires")) do problems[#problems + 1] = m end
                if r.pathway ~= nil and not v.plan_targets[r.pathway] then
                    add("plan step requires unknown pathway '" .. tostring(r.pathway) .. "'")
                end
            end
            local statuses = type(r) == "table" and (r.status or r) or r
            if type(statuses) == "string" then statuses = { statuses } end
            if type(statuses) == "table" then
                for _, s in ipairs(statuses) do
                    if not S.statuses[s] then add("plan step requires unknown status '" .. tostring(s) .. "'") end
                end
            end
        end
    end
    return problems
end

return S
