-- P13: tissue diagnosis (K56-K60, K69).
--   tissue_diagnosis none, no direct extension, no CES -> alert biopsy_required (CT-guided core
--     biopsy with cultures) and every elective pathway undetermined until the tissue is known;
--     plan step "biopsy" first
--   direct extension of a pelvic primary (colorectal, endometrial) -> no biopsy needed
--   CES -> intraoperative biopsy (rules/cauda_equina.lua), no biopsy_required
--   primary_confirmed -> proceed; a same-session biopsy before cement is usual (Kortman 2013)
local F = use("facts")

rule {
    id = "tissue.biopsy_required",
    pathways = { "radiation", "sacroplasty", "rfa", "decompression", "fixation", "embolization" },
    implements = { "K56", "K57", "K58", "K59", "K60", "K69", "P13", "P18" },
    source = "Mika & Mesfin 2018; Kortman 2013",
    summary = "No tissue diagnosis (no direct extension, no CES): biopsy first; elective pathways undetermined",
    unknown_text = "Tissue diagnosis not given (cancer.tissue_diagnosis; with none, cancer.direct_extension): " ..
        "'a tissue diagnosis is always fundamentally critical to establish prior to treatment'",
    when = function(c) return F.biopsy_needed(c) end,
    effect = {
        status = "undetermined",
        alert = { id = "biopsy_required",
            text = "No tissue diagnosis: CT-guided core biopsy of the sacral lesion with cultures before any " ..
                "elective treatment; open biopsy if the tissue is insufficient (Mika & Mesfin 2018)." },
        plan = { pathway = "biopsy", timing = "before", requires = false,
            text = "CT-guided core biopsy of the sacral lesion, with culture specimens to rule out infection; " ..
                "an open biopsy if not enough tissue is obtained (Mika & Mesfin 2018). Re-evaluate with the histology." },
        text = function(c)
            local text = "No tissue diagnosis: 'A tissue diagnosis is always fundamentally critical to establish prior " ..
                "to treatment and must distinguish among infection, sarcoma, and other metastatic histologies' " ..
                "(Mika & Mesfin 2018); Kortman 2013 biopsied every known or suspected neoplastic lesion before " ..
                "sacroplasty. Elective treatment is undetermined until the histology is known (insufficiency " ..
                "fractures in patients with a cancer history can look malignant, Kortman 2013)."
            if c:opt("symptoms.neurologic_onset") == "acute" and known(function() return F.deficit(c) end) then
                text = text .. " The neurological deficit is acute: Mika & Mesfin 2018 would not delay surgery for " ..
                    "acute neurological deterioration either (an intraoperative biopsy suffices); the knowledge " ..
                    "base (P13) exempts only cauda equina syndrome, so decide the timing with the surgeons."
            end
            return text
        end,
    },
}

rule {
    id = "tissue.direct_extension",
    pathways = {},
    implements = { "K58", "P13" },
    source = "Mika & Mesfin 2018",
    summary = "Direct local extension of a pelvic primary: no biopsy needed",
    when = function(c)
        return c:get("cancer.tissue_diagnosis") == "none" and c:get("cancer.direct_extension") == true
    end,
    effect = {
        warning = "No biopsy of the sacral lesion: it is direct local extension of a known pelvic primary; " ..
            "'in cases of localized extension of tumor into the sacrum such as in the setting of colon cancer " ..
            "or endometrial cancer, a biopsy may not be needed' (Mika & Mesfin 2018).",
    },
}

rule {
    id = "tissue.primary_confirmed",
    pathways = { "sacroplasty" },
    implements = { "K8", "K59", "K60", "K69", "P13", "P16" },
    source = "Kortman 2013; Tian 2022; Tian 2019; Mika & Mesfin 2018",
    summary = "Primary confirmed, sacral lesion not sampled: proceed; same-session biopsy before cement is usual",
    on_unknown = "ignore",
    when = function(c) return c:get("cancer.tissue_diagnosis") == "primary_confirmed" end,
    effect = {
        plan = { pathway = "biopsy", timing = "same_session", requires = { pathway = "sacroplasty", status = "recommended" },
            text = "Bone biopsy of the sacral lesion through the access needle before the cement, in the same " ..
                "session (Kortman 2013 biopsied before sacroplasty even when the cancer was known)." },
        text = "A primary cancer is proven but the sacral lesion was not sampled: the Tian cohorts required " ..
            "only a 'pathologically confirmed primary cancer' and proceed. The sources disagree on sampling " ..
            "the sacral lesion itself: Kortman 2013 biopsied every known or suspected neoplastic lesion " ..
            "before sacroplasty, Mika & Mesfin 2018 ask for a tissue diagnosis always (with exceptions). A " ..
            "same-session biopsy before the cement is usual.",
    },
}
