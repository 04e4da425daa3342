-- P7: radiofrequency ablation (K32-K36). RFA goes through the sacroplasty needle and before the
-- cement, in the same session (Tian 2022).
--   sacroplasty recommended/option and no RFA exclusion -> RFA the same status (Tian 2022 prefers
--     PSP + RFA; Mika & Mesfin 2018 call RFA "an option": named)
--   PMMA allergy, radiation failed -> RFA alone, option (Mika & Mesfin 2018)
--   unstable -> contraindicated, relative (Mika & Mesfin 2018)
--   neural element involvement (a deficit from the lesion) -> contraindicated (epidural disease and
--     foraminal erosion are excluded in rules/exclusions.lua)
-- P20: every rule here is decided per lesion. RFA reads sacroplasty at the same lesion (P7), radiation
-- failure is the lesion's own, and a radicular or motor deficit counts only at the lesion it is
-- attributed to (F.deficit_at); cauda equina syndrome is patient-wide (P8).
-- The shared exclusions (P1, P2), size (P3), life expectancy (P4), age and pain rules also speak to rfa.
local F = use("facts")
local t = use("thresholds")

rule {
    id = "rfa.with_sacroplasty",
    pathways = { "rfa" },
    per_lesion = true,
    implements = { "K32", "K35", "K36", "K66", "K71", "P7", "P16", "P20" },
    source = "Tian 2022; Mika & Mesfin 2018",
    summary = "RFA before cement, same session, wherever sacroplasty is recommended or an option",
    -- The strongest status the computed effect can give (option ranks above recommended).
    status = "option",
    unknown_text = "RFA follows the sacroplasty decision, which is itself undetermined",
    when = function(c)
        local s = c:status("sacroplasty")
        return s == "recommended" or s == "option"
    end,
    effect = function(c)
        local s = c:status("sacroplasty")
        return {
            status = s,
            evidence = "Tian 2022 (non-randomised, allocated by era): pain relief 90% with PSP + RFA vs 76% " ..
                "with PSP alone (p = .032); VAS day 1 7.43 -> 2.25 vs 7.45 -> 3.02; leakage 17% vs 19% (n.s.).",
            plan = { pathway = "rfa", timing = "same_session",
                text = "RFA first, through the same bone needle (coaxial electrode), then cement in the same " ..
                    "session (Tian 2022: 'the RFA was performed first')." },
            text = string.format(
                "Sacroplasty of lesion %s is %s, so RFA before the cement is %s (Tian 2022: RFA first destroys viable " ..
                "tumour and embolises venous channels, lowering cement extravasation; the authors call PSP + " ..
                "RFA 'the preferred treatment'). The sources differ in strength: Mika & Mesfin 2018 call RFA " ..
                "'an option' for painful sacral metastases that failed radiation, and the Tian 2022 comparison was not randomised.",
                tostring(c:lesion_id()), s == "recommended" and "recommended" or "an option",
                s == "recommended" and "recommended" or "an option"),
        }
    end,
}

rule {
    id = "rfa.alone_pmma_allergy",
    pathways = { "rfa" },
    per_lesion = true,
    implements = { "K14", "K36", "P7" },
    source = "Mika & Mesfin 2018",
    summary = "PMMA allergy after failed radiation: RFA alone is an option",
    when = function(c)
        return all_of(function() return c:get("comorbidities.pmma_allergy") == true end,
                      function() return F.lesion_radiation_failed(c) end,
                      function() return c:get("symptoms.conservative_care") ~= "responding" end)
    end,
    effect = {
        status = "option",
        plan = { pathway = "rfa", timing = "same_session", requires = { "recommended", "option" },
            text = "RFA alone, without cement (PMMA allergy)." },
        text = "PMMA allergy rules out cement, but RFA alone remains an option for painful sacral metastases " ..
            "that have not responded to radiation and have no neural element involvement (Mika & Mesfin 2018; " ..
            "Madaelil et al. used RFA alone or with cementoplasty).",
    },
}

rule {
    id = "rfa.unstable",
    pathways = { "rfa" },
    per_lesion = true,
    implements = { "K36", "P7" },
    source = "Mika & Mesfin 2018; Fisher 2010 (SINS)",
    summary = "Unstable lesion: RFA relatively contraindicated",
    unknown_text = "The lesion's stability cannot be judged (SINS items missing)",
    when = function(c) return F.lesion_unstable(c) end,
    effect = {
        status = "contraindicated", strength = "relative",
        text = function(c)
            return string.format("Lesion %s is unstable (SINS " .. t.sins_unstable_min .. "-18 or pelvic instability): 'spinal " ..
                "instability is also a relative contraindication for radiofrequency ablation' (Mika & Mesfin 2018). Stabilise first.",
                tostring(c:lesion_id()))
        end,
    },
}

rule {
    id = "rfa.neural_involvement",
    pathways = { "rfa" },
    per_lesion = true,
    implements = { "K34", "K36", "P7", "P20" },
    source = "Mika & Mesfin 2018; Tian 2022",
    summary = "Neurological deficit from this lesion (neural element involvement), or cauda equina syndrome: RFA contraindicated",
    unknown_text = "Neurological status, or which lesion causes the deficit, is not known (symptoms.neurologic, " ..
        "symptoms.neurologic_side, lesions[].causes_deficit): neural element involvement excludes RFA",
    when = function(c)
        return any_of(function() return c:get("symptoms.neurologic") == "cauda_equina" end,
                      function() return F.deficit_at(c) end)
    end,
    effect = {
        status = "contraindicated", strength = "absolute",
        text = function(c)
            return string.format(
                "Neurological deficit attributable to lesion %s (%s): neural element involvement. Mika & " ..
                "Mesfin 2018 offer RFA only to lesions that 'do not have neural element involvement' and " ..
                "report a sacral RFA followed by bowel and bladder incontinence (Goetz); Tian 2022 stopped " ..
                "RFA at once on any neurological symptom.",
                tostring(c:lesion_id()), c:get("symptoms.neurologic"))
        end,
    },
}
