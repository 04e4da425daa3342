-- Alerts, warnings and the plan: collected from every rule that fired, whatever its pathways'
-- final statuses, in rule order; alerts sorted by level, plan steps by the ruleset's sequence and
-- timing. Every sort is total, so the output order never depends on Lua's hash order.
local _, need = ...
local U = need("util")
local list_of = U.list_of
local type, ipairs, tostring, sort = type, ipairs, tostring, table.sort

local Ex = {}

local level_order = { emergency = 1, warning = 2, info = 3 }
local timing_rank = { emergency = 1, before = 2, same_session = 3, after = 4 }

-- Fired rules in declaration order, then lesion order: the order of alerts and plan steps.
local function fired_in_order(ev)
    local ordered = {}
    for _, spec in ipairs(ev.R.rules) do
        if spec.per_lesion then
            for i = 1, ev.nlesions do
                local r = ev.memo[spec.id .. "#" .. i]
                if r and r.outcome == "fired" then ordered[#ordered + 1] = r end
            end
        else
            local r = ev.memo[spec.id]
            if r and r.outcome == "fired" then ordered[#ordered + 1] = r end
        end
    end
    return ordered
end

-- The effects of a fired rule in the order of its pathways (one per distinct effect).
local function effects_in_order(r)
    local out, seen = {}, {}
    local targets = #r.spec.pathways > 0 and r.spec.pathways or { "_" }
    for _, p in ipairs(targets) do
        local e = r.effects[p]
        if e and not seen[e] then seen[e] = true; out[#out + 1] = e end
    end
    return out
end

-- Whether a plan step's `requires` holds for the decisions of this case.
local function required(step, decisions)
    -- Never a step for a contraindicated pathway, whatever the step requires.
    local own = decisions[step.pathway]
    if own and own.status == "contraindicated" then return false end
    local requires = step.requires
    if requires == false then return true end
    if requires == nil then
        local d = decisions[step.pathway]
        return d == nil or d.status == "recommended"
    end
    local d = decisions[requires.pathway or step.pathway]
    for _, s in ipairs(list_of(requires.status or requires)) do
        if d and d.status == s then return true end
    end
    return false
end

--- The alerts and plan steps of an evaluation, given each pathway's decision.
function Ex.collect(ev, decisions)
    local meta = ev.R.meta
    local alerts, alert_seen, plan = {}, {}, {}
    for _, r in ipairs(fired_in_order(ev)) do
        for _, e in ipairs(effects_in_order(r)) do
            if e.alert then
                local a = type(e.alert) == "table" and e.alert or { id = e.alert }
                local known_alert = meta.alerts and meta.alerts[a.id] or {}
                if not alert_seen[a.id] then
                    alert_seen[a.id] = true
                    alerts[#alerts + 1] = { id = a.id, level = a.level or known_alert.level or "info",
                        text = a.text or known_alert.text or a.id, rule = r.spec.id, source = r.spec.source,
                        order = #alerts + 1 }
                end
            end
            if e.warning and type(e.warning) == "string" and not ev.warning_seen[e.warning] then
                ev.warning_seen[e.warning] = true
                ev.warnings[#ev.warnings + 1] = e.warning
            end
            if e.plan then
                for _, step in ipairs(e.plan.pathway and { e.plan } or e.plan) do
                    if required(step, decisions) then
                        plan[#plan + 1] = { pathway = step.pathway, timing = step.timing, text = step.text,
                            rule = r.spec.id, rule_order = r.spec.order, order = #plan + 1 }
                    end
                end
            end
        end
    end
    -- By level, then in the order the rules raised them (each alert id once: the order is total).
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
                rule_order = math.huge, order = #plan + 1 }
        end
    end
    local seq = {}
    for i, p in ipairs(meta.sequence or {}) do seq[p] = i end
    -- By sequence, timing, rule order, text, then the order the steps were collected in (distinct
    -- for every step, so the order is total).
    sort(plan, function(a, b)
        local sa, sb = seq[a.pathway] or 1000, seq[b.pathway] or 1000
        if sa ~= sb then return sa < sb end
        local ta, tb = timing_rank[a.timing] or 3, timing_rank[b.timing] or 3
        if ta ~= tb then return ta < tb end
        if a.rule_order ~= b.rule_order then return a.rule_order < b.rule_order end
        local xa, xb = tostring(a.text), tostring(b.text)
        if xa ~= xb then return xa < xb end
        return a.order < b.order
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

return Ex
