-- B1 / P17: Spinal Instability Neoplastic Score, per lesion with the sacral location mapping, and
-- the case-level SINS of the worst lesion.
local S = use("scoring")

score {
    id = "sins",
    implements = { "P17", "K20", "K50" },
    source = "Fisher 2010 (SINS); Mika & Mesfin 2018",
    summary = "SINS per lesion (L5/S1 junctional = 3, S2-S5 rigid = 0, worst level counts); case SINS = worst lesion",
    compute = function(c)
        local per, worst, incomplete = {}, nil, {}
        for _, l in ipairs(S.lesions(c)) do
            local r = S.sins(l)
            if r.total then
                per[r.lesion] = { total = r.total, band = S.sins_band(r.total), items = r.items, notes = r.notes }
                if worst == nil or r.total > worst.total then worst = r end
            else
                incomplete[#incomplete + 1] = r
            end
        end
        if #incomplete > 0 then
            local need = {}
            for _, r in ipairs(incomplete) do for _, n in ipairs(r.need) do need[#need + 1] = n end end
            S.raise_unknown(need)
        end
        local notes = {
            "Sacral mapping: a lesion involving L5 or S1 scores location 3 (junctional L5-S1), S2-S5 and the " ..
            "coccyx 0 (rigid); a multi-level lesion scores its worst level (knowledge base B1).",
            "SINS does not capture pelvic-ring or sacroiliac instability: lesions[].pelvic_instability does (Mika & Mesfin 2018, Fig 3).",
        }
        for _, n in ipairs(worst.notes) do notes[#notes + 1] = n end
        return { total = worst.total, band = S.sins_band(worst.total), items = worst.items, lesion = worst.lesion,
                 lesions = per, notes = notes }
    end,
}
