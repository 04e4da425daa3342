-- The ruleset: its name and version, the pathways it decides, how rule effects combine into one
-- status (P19), the alerts it may raise (P18), and the order of a plan's steps.
ruleset {
    name = "sacral-metastases",
    version = "1.0.0",

    pathways = {
        -- `preposition`: the word between the pathway and its lesions in the plan's short form
        -- ("radiation to B"), where it is not the ruleset's `preposition` below.
        { id = "radiation", title = "Radiation (conventional EBRT or stereotactic)", per_lesion = true,
          preposition = "to", plan_text = "Radiation to the sacral lesion(s)." },
        { id = "sacroplasty", title = "Percutaneous sacroplasty (PMMA)", per_lesion = true,
          plan_text = "Percutaneous sacroplasty of the painful lesion(s)." },
        { id = "rfa", title = "Radiofrequency ablation", per_lesion = true,
          plan_text = "Radiofrequency ablation of the lesion(s)." },
        { id = "decompression", title = "Surgical decompression (sacral laminectomy)",
          plan_text = "Sacral laminectomy and decompression." },
        { id = "fixation", title = "Lumbopelvic fixation",
          plan_text = "Lumbopelvic fixation (instrumentation)." },
        { id = "embolization", title = "Pre-operative arterial embolization",
          plan_text = "Pre-operative selective arterial embolization." },
        -- P2: correcting a coagulopathy before sacroplasty/RFA is decided like a pathway, so that an
        -- unknown correctability is reported missing (rules/coagulation.lua).
        { id = "coagulation_correction", title = "Correction of coagulopathy before sacroplasty/RFA",
          plan_text = "Correct the coagulopathy, then re-evaluate for sacroplasty/RFA." },
    },

    -- The numbered criteria of the knowledge base that the rules must claim (sacral check verifies
    -- that each appears in some rule's or score's `implements`).
    criteria = { "K1-K74", "P1-P21" },

    -- P19: strongest first. A status:strength pair ranks on its own; a bare status covers the rest.
    precedence = {
        "contraindicated:absolute",
        "not_indicated",
        "contraindicated:relative",
        "undetermined",
        "option",
        "recommended",
    },

    -- P20: how the lesion statuses of a per-lesion pathway (sacroplasty, RFA, radiation) combine into
    -- the pathway's status: the most favourable lesion, in this order. (P19's precedence above still
    -- combines the rules within one lesion.)
    lesion_order = {
        "recommended",
        "option",
        "undetermined",
        "not_indicated",
        "contraindicated:relative",
        "contraindicated:absolute",
    },

    -- When no rule speaks to a pathway.
    default = {
        rule = "default.not_indicated",
        status = "not_indicated",
        text = "No rule found an indication for this pathway in this case.",
        source = "knowledge-base",
        implements = { "P19" },
    },

    -- P18.
    alerts = {
        cauda_equina_emergency = { level = "emergency",
            text = "Cauda equina syndrome: a surgical emergency; prompt decompression." },
        biopsy_required = { level = "warning",
            text = "No tissue diagnosis: CT-guided core biopsy with cultures before elective treatment." },
        surgical_consultation = { level = "warning",
            text = string.format("Impending instability (SINS %d-%d): ask for a spine surgical consultation.",
                use("thresholds").sins_impending_min, use("thresholds").sins_unstable_min - 1) },
        outside_study_criteria = { level = "info",
            text = "A Tian 2022 entry criterion is not met; the evidence does not cover this case." },
        conflicting_sources = { level = "info",
            text = "The sources disagree on a point that decides this case; the reasons name both sides." },
    },

    -- The order of a plan: biopsy before elective treatment, correction before the procedure,
    -- embolization before surgery, surgery before radiation, RFA before cement.
    -- The word between a plan step and the lesions it treats in the plan's short form ("biopsy of
    -- A, then sacroplasty of A"); a pathway may word its own (`preposition` above).
    preposition = "of",
    sequence = { "biopsy", "coagulation_correction", "embolization", "decompression", "fixation",
                 "rfa", "sacroplasty", "radiation" },

    -- Citations a reason may name (its `source`), short name -> full reference. A reason may cite
    -- several, separated by "; ".
    sources = {
        ["Tian 2019"] = "Tian QH, et al. Percutaneous sacroplasty with an interpedicular approach. Korean J Radiol 2019 (n=10)",
        ["Tian 2022"] = "Tian QH, et al. Percutaneous sacroplasty with or without radiofrequency ablation. AJNR 2022 (n=126)",
        ["Tian 2020"] = "Tian QH, et al. Percutaneous sacroplasty for sacral-ala metastases. J Pain Res 2020 (n=35)",
        ["Mika & Mesfin 2018"] = "Mika A, Mesfin A. Management of sacral metastases. JBJS Rev 2018",
        ["Kortman 2013"] = "Kortman K, et al. Multicenter study of sacroplasty. J NeuroIntervent Surg 2013 (n=243)",
        ["Fisher 2010 (SINS)"] = "Fisher CG, et al. Spinal Instability Neoplastic Score. Spine 2010;35:E1221; " ..
            "Fourney DR, et al. J Clin Oncol 2011;29:3072",
        ["Tokuhashi 2005"] = "Tokuhashi Y, et al. Revised scoring system for preoperative evaluation of " ..
            "metastatic spine tumor prognosis. Spine 2005;30:2186",
        ["Tomita 2001"] = "Tomita K, et al. Surgical strategy for spinal metastases. Spine 2001;26:298",
        ["Bilsky 2010 (ESCC)"] = "Bilsky MH, et al. Epidural spinal cord compression scale. J Neurosurg Spine 2010;13:324",
        ["Laufer 2013 (NOMS)"] = "Laufer I, et al. The NOMS framework. Oncologist 2013;18:744",
        ["Denis 1988"] = "Denis F, Davis S, Comfort T. Sacral fractures. Clin Orthop Relat Res 1988;227:67",
        ["Oken 1982 (ECOG)"] = "Oken MM, et al. Toxicity and response criteria of the ECOG. Am J Clin Oncol " ..
            "1982;5:649 (conventional KPS-ECOG table)",
        ["knowledge-base"] = "sacral knowledge base, product decisions P1-P21 (shared/spec/knowledge-base.md)",
    },
}
