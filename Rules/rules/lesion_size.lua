-- P3 / K3: lesion size. Tian 2022 enrolled only metastases <= 3 cm in diameter; no other seed caps
-- size. A larger lesion is outside the studied cohort: sacroplasty (and RFA, studied in the same
-- cohort) at most `option`; the outside_study_criteria alert is raised by rules/alerts.lua. Not a contraindication. An unknown
-- diameter is said, not blocked.
local t = use("thresholds")

rule {
    id = "sacroplasty.lesion_size",
    pathways = { "sacroplasty", "rfa" },
    per_lesion = true,
    implements = { "K3", "P3" },
    source = "Tian 2022",
    summary = string.format("Diameter > %.1f cm is outside the Tian 2022 cohort: at most option", t.diameter_max_cm),
    status = "option",
    on_unknown = "ignore",
    effect = function(c)
        if not c:has("lesion.diameter_cm") then
            return { text = string.format(
                "Diameter of lesion %s not given: the Tian 2022 size criterion (metastasis <= %.1f cm) could " ..
                "not be checked. Not a contraindication; measure it on CT/MRI.",
                tostring(c:lesion_id()), t.diameter_max_cm) }
        end
        local d = c:get("lesion.diameter_cm")
        if d > t.diameter_max_cm then
            return {
                status = "option",
                text = string.format(
                    "Lesion %s measures %.1f cm, above the Tian 2022 entry criterion of <= %.1f cm: outside " ..
                    "the studied cohort, so at most an option (not a contraindication; no other seed caps " ..
                    "size, and Tian 2019 treated lesions spanning S1-S3). RFA ablation range is set by lesion " ..
                    "size (1-3 cm active tip, overlapping ablations; Tian 2022).",
                    tostring(c:lesion_id()), d, t.diameter_max_cm),
            }
        end
        return { text = string.format("Lesion %s measures %.1f cm, within the Tian 2022 entry criterion (<= %.1f cm).",
            tostring(c:lesion_id()), d, t.diameter_max_cm) }
    end,
}
