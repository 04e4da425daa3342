-- P1 / P15: exclusions for sacroplasty and RFA, the union of the seeds' (K11-K19). All absolute.
-- An exclusion whose field is unknown holds an otherwise eligible pathway undetermined, with the
-- field listed as missing; it is never a pass (P15, P19).
local F = use("facts")

-- MARK: - Per lesion: epidural tumour and foraminal erosion (K11, K19, K36)

rule {
    id = "exclusion.epidural_disease",
    pathways = { "sacroplasty", "rfa" },
    per_lesion = true,
    implements = { "K11", "K19", "K36", "P1", "P15", "P19" },
    source = "Tian 2022; Mika & Mesfin 2018; Bilsky 2010 (ESCC)",
    summary = "Epidural tumour (ESCC grade other than 0) excludes sacroplasty and RFA",
    unknown_text = "Epidural disease cannot be ruled out at this lesion: the ESCC epidural grade (MRI) is not " ..
        "given; an exclusion that cannot be ruled out is never a pass",
    when = function(c) return F.epidural(c) end,
    effect = {
        status = "contraindicated", strength = "absolute",
        text = function(c)
            return string.format(
                "Epidural tumour at lesion %s (ESCC grade %s): excluded from sacroplasty and RFA. Tian 2022 " ..
                "exclusion criterion ('erosion of the neuroforamina or epidural tumor'); Mika & Mesfin 2018: " ..
                "'Sacroplasty is contraindicated in the presence of epidural disease', and RFA is used 'in " ..
                "the absence of epidural metastatic disease'.",
                tostring(c:lesion_id()), c:get("lesion.epidural"))
        end,
    },
}

rule {
    id = "exclusion.foraminal_erosion",
    pathways = { "sacroplasty", "rfa" },
    per_lesion = true,
    implements = { "K11", "K16", "K36", "P1", "P15" },
    source = "Tian 2022; Mika & Mesfin 2018",
    summary = "Erosion of the neural foramina excludes sacroplasty and RFA",
    unknown_text = "Foraminal erosion cannot be ruled out at this lesion (CT/MRI finding not given)",
    when = function(c) return F.erosion(c) end,
    effect = {
        status = "contraindicated", strength = "absolute",
        text = function(c)
            return string.format(
                "Tumour erodes the neural foramina at lesion %s: excluded from sacroplasty and RFA (Tian 2022 " ..
                "exclusion criterion, 'erosion of the neuroforamina'; cement or heat could reach the nerve " ..
                "roots; Mika & Mesfin 2018 reserve RFA for lesions without neural element involvement).",
                tostring(c:lesion_id()))
        end,
    },
}

-- MARK: - Case level: infection, allergy, cardiopulmonary disease (K12, K14, K15, K17)

rule {
    id = "exclusion.systemic_infection",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K12", "K17", "P1", "P15" },
    source = "Tian 2022; Kortman 2013",
    summary = "Active systemic infection excludes sacroplasty and RFA",
    unknown_text = "Systemic infection cannot be ruled out (comorbidities.systemic_infection not given)",
    when = function(c) return c:get("comorbidities.systemic_infection") == true end,
    effect = {
        status = "contraindicated", strength = "absolute",
        text = "Active systemic infection: excluded from sacroplasty and RFA (Tian 2022 exclusion criterion; " ..
            "Kortman 2013 did not treat patients with coexisting systemic infection).",
    },
}

rule {
    id = "exclusion.local_infection",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K17", "P1", "P15" },
    source = "Kortman 2013; Tian 2022",
    summary = "Infection at or near the access site (e.g. sacral decubitus ulcer) excludes sacroplasty and RFA",
    unknown_text = "Local infection at the access site (e.g. sacral decubitus ulcer) cannot be ruled out " ..
        "(comorbidities.local_infection not given)",
    when = function(c) return c:get("comorbidities.local_infection") == true end,
    effect = {
        status = "contraindicated", strength = "absolute",
        text = "Infection at or near the access site: Kortman 2013 calls local infection, 'often consisting " ..
            "of sacral decubitus ulcers', an absolute contraindication to sacroplasty. Tian 2022 lists only " ..
            "systemic infection; the knowledge base takes the union of both (P1).",
    },
}

rule {
    id = "exclusion.pmma_allergy",
    pathways = { "sacroplasty" },
    implements = { "K14", "P1", "P15" },
    source = "Tian 2022",
    summary = "Allergy to PMMA bone cement excludes sacroplasty (not RFA)",
    unknown_text = "PMMA allergy cannot be ruled out (comorbidities.pmma_allergy not given)",
    when = function(c) return c:get("comorbidities.pmma_allergy") == true end,
    effect = {
        status = "contraindicated", strength = "absolute",
        text = "Allergy to polymethylmethacrylate (PMMA): sacroplasty is excluded (Tian 2022 exclusion " ..
            "criterion). RFA without cement remains possible after failed radiation (Mika & Mesfin 2018, P7).",
    },
}

rule {
    id = "exclusion.cardiopulmonary",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K15", "P1", "P15" },
    source = "Tian 2022",
    summary = "Concurrent severe cardiopulmonary disease excludes sacroplasty and RFA",
    unknown_text = "Severe cardiopulmonary disease cannot be ruled out (comorbidities.severe_cardiopulmonary_disease not given)",
    when = function(c) return c:get("comorbidities.severe_cardiopulmonary_disease") == true end,
    effect = {
        status = "contraindicated", strength = "absolute",
        text = "Concurrent severe cardiopulmonary disease: excluded from sacroplasty and RFA (Tian 2022 " ..
            "exclusion criterion; the paper does not grade 'severe', so this rests on the clinicians' judgement).",
    },
}
