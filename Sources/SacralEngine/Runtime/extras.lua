-- Alerts, warnings and the plan: collected from every rule that fired, whatever its pathways'
-- final statuses, in rule order; alerts sorted by level, plan steps by the ruleset's sequence and
-- timing. Every sort is total, so the output order never depends on Lua's hash order.
local _, need = ...
local U = need("util")
local list_of, memo_key = U.list_of, need("execution").memo_key
local type, ipairs, tostring, sort, concat = type, ipairs, tostring, table.sort, table.concat

local Ex = {}

local level_order = { emergency = 1, warning = 2, info = 3 }
local timing_rank = { emergency = 1, before = 2, same_session = 3, after = 4 }

-- Fired rules in declaration order, then lesion order: the order of alerts and plan steps.
local function fired_in_order(ev)
    local ordered = {}
    for _, spec in ipairs(ev.R.rules) do
        if spec.per_lesion then
            for i = 1, ev.nlesions do
                local r = ev.memo[memo_key(spec, i)]
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

-- Whether a status passes a plan step's `requires` (nil: the step's pathway recommended).
local function passes(requires, status)
    if requires == nil then return status == "recommended" end
    for _, s in ipairs(list_of(requires.status or requires)) do
        if status == s then return true end
    end
    return false
end

-- The lesions a step that holds treats: none when no pathway it reads is per lesion, the rule's own
-- lesion for a per-lesion rule, else every lesion.
local function every_or_own(ev, per_lesion, lesion)
    if not per_lesion then return true, nil end
    if lesion then return true, { lesion } end
    local all = {}
    for i = 1, ev.nlesions do all[i] = i end
    return true, all
end

-- Whether a plan step's `requires` holds, and the lesions the step treats (P20). A step of a
-- per-lesion rule speaks for its lesion; `requires` is read at that lesion when the pathway it
-- names is decided per lesion. A case-level rule's step names every lesion that passes (all of them
-- when `requires` names a case-level pathway). Returns ok, lesion indexes (nil: no lesions).
local function required_unguarded(ev, step, decisions, lesion)
    local requires = step.requires
    local target = decisions[(type(requires) == "table" and requires.pathway) or step.pathway]
    local own = decisions[step.pathway]
    local per_lesion = (own and own.lesions) or (target and target.lesions)
    if requires == false then return every_or_own(ev, per_lesion, lesion) end
    if target == nil then return requires == nil, nil end
    if not target.lesions then
        if not passes(requires, target.status) then return false, nil end
        return every_or_own(ev, per_lesion, lesion)
    end
    local out = {}
    for i, l in ipairs(target.lesions) do
        if (lesion == nil or lesion == i) and passes(requires, l.status) then out[#out + 1] = i end
    end
    return #out > 0, out
end

local function required(ev, step, decisions, lesion)
    local ok, lesions = required_unguarded(ev, step, decisions, lesion)
    if not ok then return false, nil end
    -- Never a step for a contraindicated pathway, nor for a lesion it is contraindicated for,
    -- whatever the step requires.
    local own = decisions[step.pathway]
    if own and own.status == "contraindicated" then return false, nil end
    if lesions and own and own.lesions then
        local kept = {}
        for _, i in ipairs(lesions) do
            local l = own.lesions[i]
            if not (l and l.status == "contraindicated") then kept[#kept + 1] = i end
        end
        if #kept == 0 then return false, nil end
        lesions = kept
    end
    return true, lesions
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
                    local ok, lesions = required(ev, step, decisions, r.lesion)
                    if ok then
                        plan[#plan + 1] = { pathway = step.pathway, timing = step.timing, text = step.text,
                            rule = r.spec.id, rule_order = r.spec.order, order = #plan + 1, lesions = lesions }
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
    -- Every recommended pathway has a step, naming its recommended lesions; a rule's own step text
    -- wins over the default.
    local has_step = {}
    for _, s in ipairs(plan) do has_step[s.pathway] = true end
    for _, p in ipairs(meta.pathways) do
        local d = decisions[p.id]
        if d.status == "recommended" and not has_step[p.id] then
            local lesions
            if d.lesions then
                lesions = {}
                for i, l in ipairs(d.lesions) do
                    if l.status == "recommended" then lesions[#lesions + 1] = i end
                end
            end
            plan[#plan + 1] = { pathway = p.id, text = p.plan_text or p.title or p.id, rule = "default",
                rule_order = math.huge, order = #plan + 1, lesions = lesions }
        end
    end
    local seq = {}
    for i, p in ipairs(meta.sequence or {}) do seq[p] = i end
    -- By sequence, timing, rule order, lesion, text, then the order the steps were collected in
    -- (distinct for every step, so the order is total).
    sort(plan, function(a, b)
        local sa, sb = seq[a.pathway] or 1000, seq[b.pathway] or 1000
        if sa ~= sb then return sa < sb end
        local ta, tb = timing_rank[a.timing] or 3, timing_rank[b.timing] or 3
        if ta ~= tb then return ta < tb end
        if a.rule_order ~= b.rule_order then return a.rule_order < b.rule_order end
        local la, lb = a.lesions and a.lesions[1] or 0, b.lesions and b.lesions[1] or 0
        if la ~= lb then return la < lb end
        local xa, xb = tostring(a.text), tostring(b.text)
        if xa ~= xb then return xa < xb end
        return a.order < b.order
    end)
    -- P20: one step per pathway (or action), at the first step's place and timing, naming every
    -- lesion its fragments treat (in lesion order) and joining their distinct texts.
    local steps, by_pathway = {}, {}
    for _, s in ipairs(plan) do
        local step = by_pathway[s.pathway]
        if not step then
            step = { step = #steps + 1, pathway = s.pathway, timing = s.timing, rule = s.rule, texts = {},
                text_seen = {}, lesion_set = {} }
            by_pathway[s.pathway] = step
            steps[#steps + 1] = step
        end
        if s.text ~= nil and not step.text_seen[s.text] then
            step.text_seen[s.text] = true
            step.texts[#step.texts + 1] = s.text
        end
        if s.lesions then
            step.has_lesions = true
            for _, i in ipairs(s.lesions) do step.lesion_set[i] = true end
        end
    end
    for _, step in ipairs(steps) do
        if #step.texts > 0 then step.text = concat(step.texts, " ") end
        if step.has_lesions then
            local ids = {}
            for i = 1, ev.nlesions do
                if step.lesion_set[i] then ids[#ids + 1] = ev.case.lesions[i].id end
            end
            step.lesions = ids
        end
        step.texts, step.text_seen, step.lesion_set, step.has_lesions = nil, nil, nil, nil
    end
    return alerts, steps
end

return Ex
