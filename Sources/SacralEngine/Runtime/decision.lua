-- A pathway's decision: runs the rules that name it, hands their results to the pure combiner
-- (combine.lua), and assembles what the output says about it: status, strength, the reasons (every
-- rule that spoke, every unknown or failed rule that held the status), the detail, the missing
-- fields, and for per-lesion pathways each lesion's own status and approach.
local _, need = ...
local U, Cb, E = need("util"), need("combine"), need("execution")
local list_of, unique_sorted = U.list_of, U.unique_sorted
local error, type, ipairs, tostring, concat = error, type, ipairs, tostring, table.concat

local Dn = {}

-- What the combiner needs to know of a rule result for one pathway.
-- (One constructor with every field: a field added afterwards would grow the table.)
local function combinable(R, r, pathway)
    local effect, could
    if r.outcome == "fired" then
        effect = r.effects[pathway]
    elseif r.outcome == "unknown" then
        -- What the rule would say if it fired: its effect table's status, or the status it declares
        -- for a computed effect; nil (it could say anything) when neither is known.
        local e = E.effect_for(r.spec, pathway)
        if type(e) == "table" and e.status then
            could = R.precedence:key(e.status, e.strength)
        elseif R.declared[r.spec] then
            could = R.declared[r.spec]
        end
    end
    return { outcome = r.outcome, lesion = r.lesion, missing = r.missing, on_unknown = r.spec.on_unknown,
        result = r, effect = effect, could = could }
end

local function reason_of(ev, r, e)
    local spec = r.spec
    local reason = {
        rule = spec.id,
        source = (e and e.source) or spec.source,
        implements = spec.implements,
        inputs = r.inputs,
        lesion = r.lesion and ev.case.lesions[r.lesion].id or nil,
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

-- A compact reference to a reason, for a lesion's own list: the full reason (text, inputs, source)
-- is in the pathway's reasons, which name the lesion. What reason_of would say of rule, outcome,
-- status and strength, without building the rest.
local function reason_ref(r, e)
    if r.outcome == "fired" then
        return { rule = r.spec.id, outcome = "fired", status = e and e.status or nil, strength = e and e.strength or nil }
    end
    return { rule = r.spec.id, outcome = r.outcome == "unknown" and "unknown" or "error" }
end

-- What the output says of each lesion of a per-lesion pathway (P20) besides its status, strength
-- and missing fields (decided with the pathway): the approach (sacroplasty, RFA), the modality, and
-- for a full evaluation the detail and the rules that spoke for it. A reduced evaluation reads the
-- approach and modality only; the modality is the last one a fired effect's detail names, as the
-- detail merged in rule order holds it.
local function explain_lesions(ev, pathway, items, combos, lesions)
    local reduced = ev.reduced
    for i, lc in ipairs(combos) do
        local approach, seen = {}, {}
        local detail, reasons, modality = not reduced and {} or nil, not reduced and {} or nil, nil
        local excluded = lc.status == "contraindicated" or lc.status == "not_indicated"
        local blocking = {}
        if not reduced then
            for _, item in ipairs(lc.blocking) do blocking[item.result] = true end
        end
        for _, item in ipairs(items) do
            local r = item.result
            if r.lesion == nil or r.lesion == i then
                local e = r.outcome == "fired" and r.effects[pathway]
                if e and e.approach and not excluded then
                    for _, a in ipairs(list_of(e.approach)) do
                        if not seen[a] then seen[a] = true; approach[#approach + 1] = a end
                    end
                end
                if e and type(e.detail) == "table" then
                    if reduced then
                        local m = e.detail.modality
                        if m ~= nil then modality = m end
                    else
                        for _, k in ipairs(U.sorted_keys(e.detail)) do detail[k] = e.detail[k] end
                    end
                end
                if not reduced and r.outcome == "fired" then
                    reasons[#reasons + 1] = reason_ref(r, e)
                elseif not reduced and blocking[r] then
                    reasons[#reasons + 1] = reason_ref(r, nil)
                end
            end
        end
        local l = lesions[i]
        l.approach, l.detail, l.reasons = approach, detail, reasons
        l.modality = detail and detail.modality or modality
    end
end

-- The detail of a per-lesion pathway: the keys on which every lesion with the pathway's status
-- agrees (the lesion's own detail is authoritative where they differ).
local function agreed_detail(lesions, status, strength)
    local detail, first = {}, true
    for _, l in ipairs(lesions) do
        if l.status == status and l.strength == strength then
            if first then
                for k, v in U.any_order(l.detail), l.detail do detail[k] = v end
                first = false
            else
                for _, k in ipairs(U.sorted_keys(detail)) do
                    if l.detail[k] ~= detail[k] then detail[k] = nil end
                end
            end
        end
    end
    return detail
end

-- The reasons of a pathway: every rule that spoke (fired), and every unknown or failed rule that
-- held the status (of the pathway, or of some lesion).
-- For the reduced decision (ev.reduced: the cohort outputs, and the expectations that read only
-- what it holds) a reason is its compact reference and the pathway's detail is left empty: the
-- reduced result carries neither texts, inputs nor details, so none is built.
local function reasons_of(ev, pathway, results, blocking, d)
    local reduced = ev.reduced
    for _, r in ipairs(results) do
        if r.outcome == "fired" then
            local e = r.effects[pathway]
            if reduced then
                d.reasons[#d.reasons + 1] = reason_ref(r, e)
            else
                d.reasons[#d.reasons + 1] = reason_of(ev, r, e)
                if e and type(e.detail) == "table" and not d.lesions then
                    for _, k in ipairs(U.sorted_keys(e.detail)) do d.detail[k] = e.detail[k] end
                end
            end
        elseif blocking[r] then
            d.reasons[#d.reasons + 1] = reduced and reason_ref(r, nil) or reason_of(ev, r, nil)
        end
    end
end

--- The decision of one pathway in evaluation ev (memoised; c:status() asks for it too).
function Dn.decide(ev, pathway)
    local d = ev.pathway_memo[pathway]
    if d then return d end
    local R = ev.R
    local spec_of_pathway = R.pathway_by_id[pathway]
    if not spec_of_pathway then error("no pathway '" .. tostring(pathway) .. "'", 3) end
    if ev.in_progress[pathway] then
        error("pathway '" .. pathway .. "' depends on itself through c:status()", 3)
    end
    ev.in_progress[pathway] = true
    local results, items = {}, {}
    for _, spec in ipairs(R.rules_by_pathway[pathway] or {}) do
        if spec.per_lesion then
            for i = 1, ev.nlesions do results[#results + 1] = E.run_rule(ev, spec, i) end
        else
            results[#results + 1] = E.run_rule(ev, spec, nil)
        end
    end
    for i, r in ipairs(results) do items[i] = combinable(R, r, pathway) end
    local blocking, by_default, combos = {}
    if spec_of_pathway.per_lesion and ev.nlesions > 0 then
        -- P20: each lesion is decided on its own; the pathway takes the most favourable lesion.
        combos = Cb.per_lesion(R.precedence, items, ev.nlesions)
        -- Each lesion's status, strength and missing fields; what else the output says of it
        -- waits for Dn.explain (explain_lesions), like the reasons.
        local lesions = {}
        for i, lc in ipairs(combos) do
            lesions[i] = { id = ev.case.lesions[i].id, status = lc.status, strength = lc.strength,
                missing = unique_sorted(lc.missing), approach = nil, detail = nil, modality = nil, reasons = nil }
        end
        local best = lesions[Cb.most_favourable(R.precedence, R.lesion_order, combos)]
        local missing = {}
        for i, l in ipairs(lesions) do
            for _, item in ipairs(combos[i].blocking) do blocking[item.result] = true end
            if l.status == "undetermined" then
                for _, f in ipairs(l.missing) do missing[#missing + 1] = f end
            end
        end
        d = { id = pathway, status = best.status, strength = best.strength, missing = unique_sorted(missing),
            detail = {}, reasons = {}, lesions = lesions }
        by_default = true
        for i, l in ipairs(lesions) do
            if l.status == best.status and l.strength == best.strength and not combos[i].by_default then
                by_default = false
            end
        end
    else
        local combined = Cb.combine(R.precedence, items)
        d = { id = pathway, status = combined.status, strength = combined.strength,
            missing = unique_sorted(combined.missing), detail = {}, reasons = {} }
        for _, item in ipairs(combined.blocking) do blocking[item.result] = true end
        by_default = combined.by_default
    end
    -- The reasons (and the lesions' views) wait for Dn.explain: a rule asking c:status is not
    -- charged for their texts.
    ev.unexplained[pathway] = { results = results, blocking = blocking, by_default = by_default, items = items,
        combos = combos }
    ev.in_progress[pathway] = nil
    ev.pathway_memo[pathway] = d
    return d
end

--- Adds the reasons (and, for a pathway decided for the case as a whole, the detail) to a decided
--- pathway. The output calls it once every rule has run: what a rule is charged for asking
--- c:status is the same whether the evaluation is reduced or full, and never includes building
--- texts it cannot read (c:status hands a rule the status and strength only).
function Dn.explain(ev, d)
    local pending = ev.unexplained[d.id]
    if not pending then return end  -- a pathway that failed (Dn.failed) has its reason already
    ev.unexplained[d.id] = nil
    if pending.combos then
        explain_lesions(ev, d.id, pending.items, pending.combos, d.lesions)
        if not ev.reduced then d.detail = agreed_detail(d.lesions, d.status, d.strength) end
    end
    reasons_of(ev, d.id, pending.results, pending.blocking, d)
    local default = ev.R.meta.default
    if pending.by_default and default and ev.reduced then
        d.reasons[#d.reasons + 1] = { rule = default.rule or "default", outcome = "default", status = default.status }
    elseif pending.by_default and default then
        d.reasons[#d.reasons + 1] = { rule = default.rule or "default", text = default.text,
            source = default.source, implements = list_of(default.implements), inputs = {},
            outcome = "default", status = default.status }
    end
end

--- The decision of a pathway that could not be decided at all (fail closed).
function Dn.failed(pathway, message)
    return { id = pathway, status = "undetermined", missing = {}, detail = {},
        reasons = { { rule = "engine", outcome = "error", source = "engine", implements = { "P19" }, error = message,
            text = "The pathway could not be decided (fail closed): " .. message, inputs = {} } } }
end

return Dn
