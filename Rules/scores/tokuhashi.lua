-- B2 / P17: revised Tokuhashi score (0-15).
local S = use("scoring")
local t = use("thresholds")

score {
    id = "tokuhashi",
    implements = { "P17", "P21", "K50" },
    source = "Tokuhashi 2005; Mika & Mesfin 2018",
    summary = "Revised Tokuhashi: KPS, extraspinal bone foci, vertebral metastases (as given), visceral metastases, primary site, palsy",
    compute = function(c)
        local r = S.tokuhashi(c)  -- an interval when items are unknown (P21)
        local notes = { string.format("Bands: 0-%d under 6 months (conservative/palliative treatment), %d-%d 6 months " ..
            "or more (palliative surgery), %d-15 1 year or more (Tokuhashi 2005; Mika & Mesfin 2018). Tokuhashi " ..
            "cannot decide the %d-month life-expectancy criterion on its own (knowledge base B2).",
            t.tokuhashi_6_months_min - 1, t.tokuhashi_6_months_min, t.tokuhashi_1_year_min - 1, t.tokuhashi_1_year_min,
            t.life_expectancy_min_months),
                        "Vertebral metastases counted as given in the case (cancer.vertebral_metastases); the " ..
                        "knowledge base convention counts each involved sacral segment as one vertebral body " ..
                        "and the ilium as extraspinal." }
        for _, n in ipairs(r.notes) do
            notes[#notes + 1] = n
            c:warn(n:find("^Tokuhashi") and n or ("Tokuhashi: " .. n))
        end
        return S.output(r, S.tokuhashi_band, { categories = r.values, notes = notes })
    end,
}
