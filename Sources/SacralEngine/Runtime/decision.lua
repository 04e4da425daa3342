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
local function combinable(R, r, pathway)
    local item = { outcome = r.outcome, lesion = r.lesion, missing = r.missing, on_unknown = r.spec.on_unknown,
        result = r }
    if r.outcome == "fired" then
        item.effect = r.effects[pathway]
    elseif r.outcome == "unknown" then
        -- What the rule would say if it fired: its effect table's status, or the status it declares
        -- for a computed effect; nil (it could say anything) when neither is known.
        local e = E.effect_for(r.spec, pathway)
        if type(e) == "table" and e.status then
            item.could = R.precedence:key(e.status, e.strength)
        elseif R.declared[r.spec] then
            item.could = R.declared[r.spec]
        end
    end
    return item
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

-- Each lesion's status and approach (sacroplasty, RFA).
local function lesion_views(ev, pathway, items, by_lesion)
    local out = {}
    for i, lc in ipairs(Cb.per_lesion(ev.R.precedence, items, ev.nlesions)) do
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
        out[i] = { id = ev.case.lesions[i].id, status = lc.status, strength = lc.strength, approach = approach,
            missing = unique_sorted(lc.missing) }
    end
    return out
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
    local results, by_lesion, items = {}, {}, {}
    for _, spec in ipairs(R.rules_by_pathway[pathway] or {}) do
        if spec.per_lesion then
            for i = 1, ev.nlesions do
                local r = E.run_rule(ev, spec, i)
                results[#results + 1] = r
                by_lesion[i] = by_lesion[i] or {}
                by_lesion[i][#by_lesion[i] + 1] = r
            end
        else
            results[#results + 1] = E.run_rule(ev, spec, nil)
        end
    end
    for i, r in ipairs(results) do items[i] = combinable(R, r, pathway) end
    local combined = Cb.combine(R.precedence, items)
    d = { id = pathway, status = combined.status, strength = combined.strength,
        missing = unique_sorted(combined.missing), detail = {}, reasons = {} }
    -- Reasons: every rule that spoke (fired), and every unknown or failed rule that held the status.
    local blocking = {}
    for _, item in ipairs(combined.blocking) do blocking[item.result] = true end
    for _, r in ipairs(results) do
        if r.outcome == "fired" then
            local e = r.effects[pathway]
            d.reasons[#d.reasons + 1] = reason_of(ev, r, e)
            if e and type(e.detail) == "table" then
                for _, k in ipairs(U.sorted_keys(e.detail)) do d.detail[k] = e.detail[k] end
            end
        elseif blocking[r] then
            d.reasons[#d.reasons + 1] = reason_of(ev, r, nil)
        end
    end
    local default = R.meta.default
    if combined.by_default and default then
        d.reasons[#d.reasons + 1] = { rule = default.rule or "default", text = default.text,
            source = default.source, implements = list_of(default.implements), inputs = {},
            outcome = "default", status = default.status }
    end
    if spec_of_pathway.per_lesion then d.lesions = lesion_views(ev, pathway, items, by_lesion) end
    ev.in_progress[pathway] = nil
    ev.pathway_memo[pathway] = d
    return d
end

--- The decision of a pathway that could not be decided at all (fail closed).
function Dn.failed(pathway, message)
    return { id = pathway, status = "undetermined", missing = {}, detail = {},
        reasons = { { rule = "engine", outcome = "error", source = "engine", implements = { "P19" }, error = message,
            text = "The pathway could not be decided (fail closed): " .. message, inputs = {} } } }
end

return Dn
