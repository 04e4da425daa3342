-- B1 / P17: Spinal Instability Neoplastic Score, per lesion with the sacral location mapping, and
-- the case-level SINS of the worst lesion.
local S = use("scoring")

score {
    id = "sins",
    implements = { "P17", "P21", "K20", "K50" },
    source = "Fisher 2010 (SINS); Mika & Mesfin 2018",
    summary = "SINS per lesion (L5/S1 junctional = 3, S2-S5 rigid = 0, worst level counts); case SINS = worst lesion",
    compute = function(c)
        -- P21: each lesion's SINS is an interval when items are unknown. The case SINS is the worst
        -- lesion's (P17): min = the highest lesion min, max = the highest lesion max; a total when a
        -- complete lesion's total is >= every other lesion's max.
        local per, lesions = {}, {}
        for _, l in ipairs(S.lesions(c)) do
            local r = S.sins(l)
            lesions[#lesions + 1] = r
            local entry = S.output(r, S.sins_band, { notes = r.notes })
            per[r.lesion] = entry
        end
        local lo, hi = 0, 0
        for _, r in ipairs(lesions) do
            if r.min > lo then lo = r.min end
            if r.max > hi then hi = r.max end
        end
        local worst
        for _, r in ipairs(lesions) do
            if r.min >= hi and (worst == nil or (r.total and not worst.total)) then worst = r end
        end
        local notes = {
            "Sacral mapping: a lesion involving L5 or S1 scores location 3 (junctional L5-S1), S2-S5 and the " ..
            "coccyx 0 (rigid); a multi-level lesion scores its worst level (knowledge base B1).",
            "SINS does not capture pelvic-ring or sacroiliac instability: lesions[].pelvic_instability does (Mika & Mesfin 2018, Fig 3).",
        }
        if worst and worst.total then
            for _, n in ipairs(worst.notes) do notes[#notes + 1] = n end
            return { total = worst.total, band = S.sins_band(worst.total), items = worst.items, lesion = worst.lesion,
                     lesions = per, notes = notes }
        end
        -- The items missing at the lesions that could be the worst (their max exceeds the case min).
        local missing, seen = {}, {}
        for _, r in ipairs(lesions) do
            if r.max > lo or r.min == lo then
                for _, name in ipairs(r.missing_items) do
                    if not seen[name] then seen[name] = true; missing[#missing + 1] = name end
                end
            end
        end
        table.sort(missing)
        local r = { min = lo, max = hi, missing_items = missing }
        return { band = S.band(r, S.sins_band), items = worst and worst.items or nil, lesion = worst and worst.lesion or nil,
                 min = lo, max = hi, missing_items = missing, lesions = per, notes = notes }
    end,
}
