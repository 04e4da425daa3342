-- B3 / P17: Tomita score (2-10).
local S = use("scoring")

score {
    id = "tomita",
    implements = { "P17", "P21", "K49", "K50" },
    source = "Tomita 2001; Mika & Mesfin 2018",
    summary = "Tomita: primary growth (slow 1, moderate 2, rapid 4), visceral metastases (0/2/4), bone metastases (solitary 1, multiple 2)",
    compute = function(c)
        local r = S.tomita(c)  -- an interval when items are unknown (P21)
        for _, n in ipairs(r.notes) do
            if not n:find("^Tomita is a prognostic") then c:warn(n) end
        end
        return S.output(r, S.tomita_band, { categories = r.values, notes = r.notes })
    end,
}
