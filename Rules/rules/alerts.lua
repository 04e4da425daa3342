-- Alerts that read the final statuses (they speak to no pathway).
--
-- P16 / P18: the conflicting_sources alert, raised when a disagreement between the sources decides
-- this case (each rule that picks a side already names the other side in its reason). It reads the
-- final statuses, so it speaks to no pathway.
local F = use("facts")
local t = use("thresholds")

local function status(c, p) return known(function() return c:status(p) end) end
local function offered(s) return s == "recommended" or s == "option" end

local function conflict_points(c)
    local points = {}
    local sacro = status(c, "sacroplasty")
    if sacro == "option" and c:opt("patient.age") == t.age_min_years then
        points[#points + 1] = "age exactly 18 (Tian 2022 'older than 18 years' vs Tian 2020 '18 years of age or older')"
    end
    if sacro == "option" and known(function() return F.any_lesion(c, function(l) return not F.lesion_irradiated(l) end) end) then
        points[#points + 1] = "sacroplasty before radiation (Mika & Mesfin 2018 and the Tian 2022 entry " ..
            "criterion: after radiation; Kortman 2013 and 80 of 126 Tian 2022 patients: without prior radiation)"
    end
    if offered(sacro) and known(function() return F.any_lesion(c, function(l) return l:get("lesion.fracture") == "pathologic" end) end) then
        points[#points + 1] = "pathological fracture (excluded by Tian 2020; treated by Tian 2019 and Kortman 2013)"
    end
    if offered(sacro) and known(function()
        return F.any_lesion(c, function(l) return F.has_zone(l, 2) and l:get("lesion.foraminal_erosion") == false end)
    end) then
        points[#points + 1] = "Denis zone II lesion (excluded by Tian 2020; treated by Tian 2022 when the foramina are not eroded)"
    end
    if status(c, "rfa") == "recommended" then
        points[#points + 1] = "RFA before cement (Tian 2022: the preferred treatment; Mika & Mesfin 2018: an option)"
    end
    local radio = known(function() return F.radiosensitivity(c) end)
    if status(c, "decompression") == "recommended" and known(function() return F.ces(c) end) and radio == "sensitive" then
        points[#points + 1] = "cauda equina syndrome with radiosensitive histology (Mika & Mesfin 2018: " ..
            "emergency decompression; NOMS: conventional radiation alone)"
    end
    if status(c, "radiation") == "recommended" and radio == "resistant" and known(function() return not F.irradiated(c) end) then
        points[#points + 1] = "radiation modality for radioresistant histology (Mika & Mesfin 2018: " ..
            "conventional radiation first line; NOMS: stereotactic radiosurgery)"
    end
    return points
end

rule {
    id = "alert.conflicting_sources",
    pathways = {},
    implements = { "P16", "P18", "K1", "K4", "K16", "K24", "K35", "K36", "K41" },
    source = "knowledge-base; Tian 2022; Tian 2020; Tian 2019; Kortman 2013; Mika & Mesfin 2018; Laufer 2013 (NOMS)",
    summary = "The sources disagree on a point that decides this case: conflicting_sources alert naming the points",
    when = function(c) return #conflict_points(c) > 0 end,
    effect = function(c)
        return { alert = { id = "conflicting_sources", text = "The sources disagree on points that decide " ..
            "this case; the reasons name both sides: "
            .. table.concat(conflict_points(c), "; ") .. "." } }
    end,
}

-- P18: the outside_study_criteria alert: a Tian 2022 (or Tian 2019/2020) entry criterion is not met
-- but does not exclude, and sacroplasty or RFA is still offered (recommended or option).
local function outside_points(c)
    local points = {}
    for _, l in ipairs(F.lesions(c)) do
        local d = l:opt("lesion.diameter_cm")
        if d and d > t.diameter_max_cm then
            points[#points + 1] = string.format("lesion %s measures %.1f cm (Tian 2022 entry criterion: <= " ..
                "%.1f cm)", tostring(l:lesion_id()), d, t.diameter_max_cm)
        end
    end
    local vas = c:opt("symptoms.pain_vas")
    if vas and vas > 0 and vas < t.pain_vas_severe then
        points[#points + 1] = string.format("pain VAS %s below the working cut-off for severe pain (VAS >= " ..
            "%d, a judgement; cohort baselines 6.9-9.0)", tostring(vas), t.pain_vas_severe)
    end
    if c:opt("symptoms.cannot_walk_or_sit") == false then
        points[#points + 1] = "the patient can walk and sit (Tian 2022 entry criterion: severe pain with an inability to walk or sit)"
    end
    local n = c:opt("symptoms.neurologic")
    if n == "radiculopathy" or n == "motor_deficit" then
        points[#points + 1] = "neurological deficit (Tian 2019 and Tian 2020 enrolled only patients without deficit)"
    end
    if c:opt("patient.age") == t.age_min_years then
        points[#points + 1] = string.format("age exactly %d (Tian 2022 entry criterion: older than 18 years)",
            t.age_min_years)
    end
    return points
end

rule {
    id = "alert.outside_study_criteria",
    pathways = {},
    implements = { "P3", "P18", "K1", "K2", "K3", "K9" },
    source = "Tian 2022; Tian 2019; Tian 2020",
    summary = "Sacroplasty/RFA offered although a study entry criterion is not met: outside_study_criteria alert",
    when = function(c)
        local s, r = status(c, "sacroplasty"), status(c, "rfa")
        return (offered(s) or offered(r)) and #outside_points(c) > 0
    end,
    effect = function(c)
        return { alert = { id = "outside_study_criteria", text = "Sacroplasty/RFA is offered outside the " ..
            "studied cohorts (not an exclusion, but the evidence does not cover it): "
            .. table.concat(outside_points(c), "; ") .. "." } }
    end,
}
