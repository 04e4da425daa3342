-- B5 / P17: performance status, KPS and ECOG, converted by the conventional table when only one is
-- given (with a warning).
local S = use("scoring")
local t = use("thresholds")

score {
    id = "performance",
    implements = { "P17", "P21" },
    source = "Oken 1982 (ECOG)",
    summary = string.format("KPS and ECOG as given; the other one converted by the conventional table, with a " ..
        "warning; total = KPS, band = Tokuhashi general condition (poor 10-%d, moderate %d-%d, good %d-100)",
        t.tokuhashi_kps_moderate_min - 10, t.tokuhashi_kps_moderate_min, t.tokuhashi_kps_good_min - 10,
        t.tokuhashi_kps_good_min),
    compute = function(c)
        -- P21: a KPS converted from ECOG is the conventional table's range; no KPS and no ECOG is 0-100.
        local kps = S.kps(c)
        local ecog, ecog_converted = S.ecog(c)
        local notes = {}
        if kps.converted then notes[#notes + 1] = "KPS converted from ECOG (conventional table: ECOG 0 = " ..
            "90-100, 1 = 70-80, 2 = 50-60, 3 = 30-40, 4 = 10-20; the whole range is used)." end
        if ecog_converted then notes[#notes + 1] = "ECOG converted from KPS (conventional table)." end
        local function band(k)
            return k >= t.tokuhashi_kps_good_min and "good" or (k >= t.tokuhashi_kps_moderate_min and "moderate" or "poor")
        end
        local items = { ecog = ecog }
        if kps.total ~= nil then items.karnofsky = kps.total end
        return S.output({ total = kps.total, min = kps.min, max = kps.max, items = items,
                          missing_items = kps.missing_items }, band,
            { converted = kps.converted and "kps_from_ecog" or (ecog_converted and "ecog_from_kps" or nil), notes = notes })
    end,
}
