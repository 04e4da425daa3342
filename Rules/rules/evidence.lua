-- Outcome figures and technique statements that decide nothing (A3 technique, A4 device limits,
-- A9, A10, A11): attached to the pathways they concern as `evidence` and `detail`, with no status.
-- Numbers are quoted from the seeds as reported; the seeds' internal inconsistencies (knowledge base
-- A12) are not encoded.
local F = use("facts")

rule {
    id = "evidence.sacroplasty",
    pathways = { "sacroplasty" },
    implements = { "K7", "K21", "K28", "K29", "K30", "K31", "K67", "K68", "K70", "K71", "K72", "K73", "K74" },
    source = "Tian 2019; Tian 2022; Tian 2020; Kortman 2013; Mika & Mesfin 2018",
    summary = "Sacroplasty technique and outcome figures (level-IV evidence)",
    on_unknown = "ignore",
    effect = function(c)
        local e = {
            detail = {
                technique = "Signed informed consent (Tian 2022, Tian 2020). Intravenous antibiotic prophylaxis " ..
                    "before the procedure (Kortman 2013). Guidance: fluoroscopy in all Tian cohorts (Tian 2022 " ..
                    "calls angiography with integrated CT the safest); CT, CT plus fluoroscopy or CT fluoroscopy " ..
                    "in Kortman 2013; meticulous planning on MRI or CT (Mika & Mesfin 2018). Needles 11-15 G; " ..
                    "cement 3.6-7.8 mL per lesion on average (Tian 2019 7.8 mL, Tian 2022 6.42 mL with RFA vs " ..
                    "5.31 mL without, Tian 2020 5.20 mL with 1.49 needles per lesion, Kortman 2013 3.6 mL with " ..
                    "1.7 needles). Stop injecting at substantial resistance or when cement reaches the posterior " ..
                    "wall of the sacrum, a foramen, the sacral canal or the sacroiliac joint. Immediate " ..
                    "non-contrast CT for leakage; after unilateral sacroplasty, recurrent pain calls for a search " ..
                    "for a contralateral sacral fracture (Kortman 2013).",
                outcomes = "Tian 2019 (n=10, interpedicular): VAS 6.90 -> 2.70, ODI 74.4% -> 29.6%, pain relief " ..
                    "9/10, asymptomatic presacral leakage 3/10. Tian 2022 (n=126): pain relief 90% with RFA vs " ..
                    "76% without; leakage 17% vs 19% of lesions; one major complication (extravasation needing " ..
                    "surgery). Tian 2020 (n=35, ala): VAS 7.20 -> 3.43 (day 3) -> 2.57 (12 months); relief (VAS " ..
                    "drop >= 3) 31/35 (88.6%); leakage 12/35, all asymptomatic. Kortman 2013 (39 lesions): VAS " ..
                    "9.0 -> 2.6, complete relief 18%, no significant relief 10%. Moussazadeh (in Mika & Mesfin " ..
                    "2018): 80% improved at a median 6.5 months.",
            },
            evidence = "Level-IV case series only. Pain relief after sacroplasty 76-90% (Tian 2022), 88.6% (Tian " ..
                "2020), 9/10 (Tian 2019); Kortman 2013 lesions VAS 9.0 -> 2.6. Patients on regular systemic " ..
                "therapy did better (Tian 2020: the four non-responders were not on regular chemotherapy or " ..
                "radiotherapy; all Tian 2022 patients received systemic therapy including bisphosphonate). " ..
                "Whether Tian 2022 patients had radiation before or after the procedure is reported " ..
                "inconsistently, so no radiation sequence is derived from it.",
        }
        local therapy = c:opt("cancer.systemic_therapy")
        if therapy == "none" or therapy == "exhausted" then
            e.evidence = e.evidence .. " This patient is not on systemic therapy: the Tian 2020 non-responders were " ..
                "the patients without regular anticancer treatment."
        end
        return e
    end,
}

rule {
    id = "evidence.rfa",
    pathways = { "rfa" },
    implements = { "K33", "K34", "K35", "K36", "K71", "K74" },
    source = "Tian 2022; Mika & Mesfin 2018",
    summary = "RFA device limits, neural safety stop and outcome figures",
    on_unknown = "ignore",
    effect = {
        detail = {
            technique = "Electrode with a 1-3 cm active tip through the bone needle, 30 W; ablation range set " ..
                "from lesion size on contrast MRI and CT; tip temperature 70-90 C; complete ablation = mean " ..
                "85 C for at least 10 minutes or impedance roll-off twice; mean 1.89 overlapping ablations, " ..
                "7.54 minutes (Tian 2022). Stop at once on acute severe sacral pain, paresthesia or " ..
                "sphincter/levator dyspraxia (neural safety stop, Tian 2022).",
        },
        evidence = "Tian 2022 (non-randomised, allocated by era): pain relief 90% with PSP + RFA vs 76% with " ..
            "PSP alone; analgesic scale 3.28 -> 0.93 vs 3.47 -> 1.83. Madaelil (in Mika & Mesfin 2018): RFA " ..
            "alone or with cement for 16 sacral metastases, pain 8 -> 3, no complications. Harm signal: one " ..
            "sacral RFA patient developed bowel and bladder incontinence (Goetz, in Mika & Mesfin 2018).",
    },
}

rule {
    id = "evidence.radiation",
    pathways = { "radiation" },
    implements = { "K37", "K40", "K42" },
    source = "Mika & Mesfin 2018; Tian 2020; Tian 2022",
    summary = "Radiation: first-line role and its limits for pain",
    on_unknown = "ignore",
    effect = {
        evidence = "Conventional radiation 30-40 Gy in fractions is first line; with stereotactic " ..
            "radiosurgery it is adequate for the majority of sacral metastases (Mika & Mesfin 2018). Up to " ..
            "two-thirds of patients do not get complete pain relief, and radiation does not relieve " ..
            "mechanical pain from a pathological fracture (Mika & Mesfin 2018); it has a delayed effect and " ..
            "tissue-tolerance limits (Tian 2020) and gives no mechanical support (Tian 2022).",
    },
}

rule {
    id = "evidence.surgery",
    pathways = { "decompression", "fixation" },
    implements = { "K49", "K52", "K53", "K63", "K74" },
    source = "Mika & Mesfin 2018",
    summary = "Open surgery: palliative intent, complications and how to reduce them",
    on_unknown = "ignore",
    effect = function(c)
        local wound = "Reduce wound complications: plastic-surgery closure, intrawound vancomycin powder, and " ..
            "minimally invasive screws with open decompression when instrumenting (Mika & Mesfin 2018)."
        if known(function() return F.irradiated(c) end) then
            wound = wound .. " The sacrum was irradiated: a plastic surgeon assisting the closure decreases " ..
                "wound complications after prior radiation (Mika & Mesfin 2018)."
        end
        return {
            detail = { precautions = wound },
            evidence = "Surgery for sacral metastases is mainly palliative: median overall survival 11 months " ..
                "after surgery (Feiz-Erfan). Excision has a minimal role; en bloc only for an isolated " ..
                "metastasis with a prognosis of several years (not a pathway here). Complications: poor wound " ..
                "healing, infection, neurological damage, CSF leak, DVT, instrumentation loosening, vessel " ..
                "injury, seroma, urinary infection. Aortic balloon occlusion reduced blood loss (4.12 L -> " ..
                "2.78 L in metastatic patients) at the cost of femoral embolism and puncture-site haematomas (Mika & Mesfin 2018).",
        }
    end,
}

rule {
    id = "evidence.embolization",
    pathways = { "embolization" },
    implements = { "K61", "K63", "K64", "K74" },
    source = "Mika & Mesfin 2018; Tian 2020; Tian 2022",
    summary = "Embolization: pre-operative use, pain control, complication rate",
    on_unknown = "ignore",
    effect = {
        evidence = "Selective arterial embolization can reduce tumour size and pain, but post-embolization " ..
            "complications were common (56.7% in one series); pre-operatively it decreases blood loss in " ..
            "vascular tumours (renal cell, hepatocellular, thyroid) (Mika & Mesfin 2018). Aortic balloon " ..
            "occlusion is another blood-loss measure (Mika & Mesfin 2018). No seed gives a rule for " ..
            "embolizing before sacroplasty (Tian 2020 lists embolization of highly vascular tumours among " ..
            "current treatments; Tian 2022 argues that RFA embolises venous channels).",
    },
}
