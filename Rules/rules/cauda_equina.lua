-- P8: cauda equina syndrome (K41, K54, K55, K58). CES = symptoms.neurologic cauda_equina, or urinary
-- retention / incontinence together with epidural disease (the engine triggers on CES, not only on
-- incontinence: K54 ambiguity resolved by the knowledge base).
--   alert cauda_equina_emergency; decompression recommended as an emergency, whatever data is
--   missing (decisive), unless the patient declines or is judged unfit (rules/surgical_fitness.lua);
--   radiation not indicated before decompression, post-operative radiation a plan step after it;
--   biopsy intraoperative (no biopsy_required). Radiosensitive histology: NOMS would differ (named).
local F = use("facts")

local function radiosensitive(c)
    return known(function() return F.radiosensitivity(c) end) == "sensitive"
end

rule {
    id = "decompression.cauda_equina_emergency",
    pathways = { "decompression" },
    implements = { "K41", "K45", "K54", "K55", "K58", "K69", "P8", "P9", "P16", "P18" },
    source = "Mika & Mesfin 2018; Laufer 2013 (NOMS)",
    summary = "Cauda equina syndrome: emergency decompression (sacral laminectomy), decided whatever data is missing",
    unknown_text = "Cauda equina syndrome cannot be ruled out (neurological status, sphincter function or epidural status not given)",
    status = "recommended",
    when = function(c) return F.ces(c) end,
    effect = function(c)
        local biopsy = ""
        if c:opt("cancer.tissue_diagnosis") == "none" then
            biopsy = " No tissue diagnosis: take an intraoperative biopsy with cultures; surgery is not " ..
                "delayed for a biopsy (Mika & Mesfin 2018)."
        end
        local noms = ""
        if radiosensitive(c) then
            noms = string.format(" The sources disagree here: for radiosensitive histology (%s) NOMS would " ..
                "treat even high-grade compression with conventional radiation alone (Laufer 2013); the " ..
                "knowledge base follows Mika & Mesfin 2018 for sacral CES (prompt decompression) and uses " ..
                "radiosensitivity only for the post-operative radiation.",
                F.primary_label(c))
        end
        return {
            status = "recommended",
            decisive = true,
            alert = "cauda_equina_emergency",
            plan = { pathway = "decompression", timing = "emergency",
                text = "Emergency sacral laminectomy and decompression of the cauda equina (Mika & Mesfin 2018)." .. biopsy },
            text = "Cauda equina syndrome from a sacral metastasis: 'a surgical emergency and prompt " ..
                "decompression should be performed'; there is 'no role for radiation treatment' (Mika & " ..
                "Mesfin 2018). Decompression is recommended as an emergency whatever other data is missing, " ..
                "unless the patient declines or is judged unfit." .. biopsy .. noms,
        }
    end,
}

rule {
    id = "radiation.cauda_equina_before_decompression",
    pathways = { "radiation" },
    implements = { "K41", "K65", "P8", "P12", "P16" },
    source = "Mika & Mesfin 2018; Laufer 2013 (NOMS)",
    summary = "Cauda equina syndrome: no radiation before decompression; post-operative radiation after it",
    when = function(c)
        return F.ces(c) and known(function() return F.unfit_or_declines(c) end) ~= true
    end,
    status = "not_indicated",
    effect = function(c)
        local noms = ""
        if radiosensitive(c) then
            noms = string.format(" NOMS would differ: it treats radiosensitive histology (%s) with " ..
                "conventional radiation alone, even with high-grade compression (Laufer 2013); Mika & Mesfin " ..
                "2018 see 'no role for radiation treatment' in sacral CES, and the knowledge base follows them.",
                F.primary_label(c))
        end
        return {
            status = "not_indicated",
            plan = { pathway = "radiation", timing = "after", requires = { pathway = "decompression", status = "recommended" },
                text = "Post-operative radiation to the sacral lesion once the wound allows (conventional " ..
                    "30-40 Gy in fractions; stereotactic for radioresistant histology, Laufer 2013); surgery " ..
                    "without pre-operative radiation has fewer wound complications (Mika & Mesfin 2018)." },
            text = "Cauda equina syndrome: 'no role for radiation treatment' before decompression (Mika & " ..
                "Mesfin 2018). Radiation is not indicated now; it follows decompression as post-operative treatment (plan)." .. noms,
        }
    end,
}

rule {
    id = "radiation.cauda_equina_no_surgery",
    pathways = { "radiation" },
    implements = { "K41", "P8", "P11", "P12", "P16" },
    source = "Laufer 2013 (NOMS); Mika & Mesfin 2018",
    summary = "Cauda equina syndrome, surgery declined or unfit: radiation is the remaining treatment",
    when = function(c)
        return all_of(function() return F.ces(c) end, function() return F.unfit_or_declines(c) end)
    end,
    status = "recommended",
    effect = function(c)
        local modality = known(function() return F.radiosensitivity(c) end) == "resistant" and "stereotactic" or "conventional"
        return {
            status = "recommended",
            detail = { modality = modality },
            text = string.format(
                "Cauda equina syndrome, but the patient declines or is judged unfit for surgery: radiation " ..
                "alone is the remaining treatment (NOMS: when surgery is not tolerated, radiation alone; %s " ..
                "radiation for %s). Mika & Mesfin 2018 see no role for radiation in CES when decompression is possible; here it is not.",
                modality, F.primary_label(c)),
        }
    end,
}
