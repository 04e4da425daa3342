-- P4 / K6: life expectancy >= 3 months for sacroplasty and RFA (Tian 2022 and Tian 2020 entry
-- criterion). The clinicians' estimate decides. Without one, a revised Tokuhashi >= 9 (>= 6 months
-- predicted) satisfies it; Tokuhashi <= 8 -> undetermined with patient.life_expectancy_months
-- missing (the 0-8 band covers everything under 6 months, so it cannot decide a 3-month rule).
-- P21: a Tokuhashi with unknown items is an interval: wholly >= 9 satisfies P4 whatever the missing
-- items; straddling 9, missing names the estimate and the score's missing items. Estimate < 3
-- months -> not indicated.
local t = use("thresholds")
local S = use("scoring")

rule {
    id = "sacroplasty.life_expectancy",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K6", "P4", "K50", "P21" },
    source = "Tian 2022; Tian 2020; Tokuhashi 2005",
    summary = string.format("Life expectancy >= %d months (Tian 2022 entry criterion): the clinicians' estimate, else " ..
        "revised Tokuhashi >= %d", t.life_expectancy_min_months, t.tokuhashi_6_months_min),
    unknown_text = string.format("Life expectancy >= %d months (Tian 2022 entry criterion) cannot be confirmed: there " ..
        "is no clinicians' estimate, and the revised Tokuhashi score is <= %d or cannot be computed (its 0-%d band " ..
        "covers everything under 6 months, so it cannot decide a %d-month rule)", t.life_expectancy_min_months,
        t.tokuhashi_6_months_min - 1, t.tokuhashi_6_months_min - 1, t.life_expectancy_min_months),
    status = "not_indicated",
    when = function(c)
        if c:has("patient.life_expectancy_months") then return true end
        -- Tokuhashi stands in when its whole interval is >= 9 (P4, P21).
        local r = S.tokuhashi(c)
        local ok = known(function() return S.meets(r, ">=", t.tokuhashi_6_months_min) end)
        if ok == true then return true end
        if ok == nil then
            -- Straddling: the estimate and the score's missing items could each decide (all_of
            -- evaluates both before giving up, so both are reported missing).
            all_of(function() return c:get("patient.life_expectancy_months") ~= nil end,
                   function() return S.meets(r, ">=", t.tokuhashi_6_months_min) end)
        end
        return c:get("patient.life_expectancy_months") ~= nil  -- unknown: reports the estimate missing
    end,
    effect = function(c)
        if c:has("patient.life_expectancy_months") then
            local m = c:get("patient.life_expectancy_months")
            if m < t.life_expectancy_min_months then
                return { status = "not_indicated", text = string.format(
                    "Clinicians' estimated life expectancy %s months is below %d months: Tian 2022 and Tian " ..
                    "2020 entry criterion not met ('life expectancy >= %d months'); not indicated.",
                    tostring(m), t.life_expectancy_min_months, t.life_expectancy_min_months) }
            end
            return { text = string.format(
                "Clinicians' estimated life expectancy %s months meets the Tian 2022 / Tian 2020 entry " ..
                "criterion (>= %d months). (No seed says how it is estimated; Tian 2019 only observed survival > %d " ..
                "months after the fact.)",
                tostring(m), t.life_expectancy_min_months, t.life_expectancy_min_months) }
        end
        local r = S.tokuhashi(c)
        return { text = string.format(
            "No clinicians' estimate of life expectancy; %s (>= %d predicts >= 6 months%s) " ..
            "satisfies the >= %d-month Tian 2022 entry criterion (P4%s).",
            S.format(r, "revised Tokuhashi"), t.tokuhashi_6_months_min,
            r.total and "" or ", whatever the missing items", t.life_expectancy_min_months, r.total and "" or ", P21") }
    end,
}
