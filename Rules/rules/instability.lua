-- P5 / P18 / B1: the surgical_consultation alert. SINS 7-12 (impending instability) does not block
-- sacroplasty but asks for a spine surgical consultation; SINS 13-18 or pelvic instability is
-- referred for stabilisation (fixation). SINS 7-18 warrants surgical consultation (Fisher 2010).
local F = use("facts")
local S = use("scoring")
local t = use("thresholds")

rule {
    id = "alert.surgical_consultation",
    pathways = {},
    implements = { "K20", "K50", "P5", "P10", "P18" },
    source = "Fisher 2010 (SINS); Mika & Mesfin 2018",
    summary = string.format("SINS %d-18 or pelvic instability: surgical consultation alert", t.sins_impending_min),
    when = function(c)
        return any_of(function() return F.unstable(c) end, function() return F.impending(c) end)
    end,
    effect = function(c)
        local worst
        for _, l in ipairs(S.lesions(c)) do
            local r = S.sins(l)
            if worst == nil or r.max > worst.max or (r.max == worst.max and r.min > worst.min) then worst = r end
        end
        local sins = string.format("%s at lesion %s", S.format(worst, "SINS"), tostring(worst.lesion))
        if known(function() return F.unstable(c) end) then
            return { alert = { id = "surgical_consultation", text = string.format(
                "Unstable sacrum (%s, or pelvic/sacroiliac instability judged by the clinicians): refer for " ..
                "surgical stabilisation (Fisher 2010; Mika & Mesfin 2018).", sins) } }
        end
        return { alert = { id = "surgical_consultation", text = string.format(
            "Impending instability (%s, %d-%d): ask for a spine surgical consultation. It does not block " ..
            "sacroplasty (knowledge base P5; Mika & Mesfin 2018 do not say whether SINS %d-%d counts as 'instability').",
            sins, t.sins_impending_min, t.sins_unstable_min - 1, t.sins_impending_min, t.sins_unstable_min - 1) } }
    end,
}
