-- The reduced rule set of the peer benchmark (Benchmarks/peers/README.md): the sacroplasty
-- exclusion and eligibility decision of P1-P4 only. scripts/bench-peers.sh assembles it with the
-- shipped Rules/fields.lua, thresholds.lua, lib/, data/ and the shipped rule files that implement
-- P1-P4 (rules/exclusions.lua, coagulation.lua, lesion_size.lua, life_expectancy.lua), unchanged.
-- Those files also speak to RFA and to the coagulation correction, so both pathways are declared;
-- the benchmark compares sacroplasty.
ruleset {
    name = "sacroplasty-eligibility-p1-p4",
    version = "1.0.0",

    pathways = {
        { id = "sacroplasty", title = "Percutaneous sacroplasty (PMMA)", per_lesion = true },
        { id = "rfa", title = "Radiofrequency ablation", per_lesion = true },
        { id = "coagulation_correction", title = "Correction of coagulopathy before sacroplasty/RFA" },
    },

    criteria = { "P1-P4" },

    precedence = {
        "contraindicated:absolute",
        "not_indicated",
        "contraindicated:relative",
        "undetermined",
        "option",
        "recommended",
    },

    default = {
        rule = "default.not_indicated",
        status = "not_indicated",
        text = "No rule found an indication for this pathway in this case.",
        source = "knowledge-base",
        implements = { "P19" },
    },

    alerts = {},
    sequence = { "coagulation_correction", "rfa", "sacroplasty" },

    sources = {
        ["Tian 2022"] = "Tian QH, et al. Percutaneous sacroplasty with or without radiofrequency ablation. AJNR 2022 (n=126)",
        ["Tian 2020"] = "Tian QH, et al. Percutaneous sacroplasty for sacral-ala metastases. J Pain Res 2020 (n=35)",
        ["Mika & Mesfin 2018"] = "Mika A, Mesfin A. Management of sacral metastases. JBJS Rev 2018",
        ["Kortman 2013"] = "Kortman K, et al. Multicenter study of sacroplasty. J NeuroIntervent Surg 2013 (n=243)",
        ["Tokuhashi 2005"] = "Tokuhashi Y, et al. Revised scoring system for preoperative evaluation of " ..
            "metastatic spine tumor prognosis. Spine 2005;30:2186",
        ["Bilsky 2010 (ESCC)"] = "Bilsky MH, et al. Epidural spinal cord compression scale. J Neurosurg Spine 2010;13:324",
        ["knowledge-base"] = "sacral knowledge base, product decisions P1-P19 (shared/spec/knowledge-base.md)",
    },
}
