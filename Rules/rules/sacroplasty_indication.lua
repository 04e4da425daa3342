-- P5: the sacroplasty indication (K1, K2, K4, K5, K9, K10, K16, K18, K20). A painful lesion refractory
-- to conservative care:
--   previously irradiated lesion with persistent pain or progression   -> recommended
--   radiation-naive lesion                                            -> option (radiation first;
--                                                                        the seeds disagree: named)
--   pain controlled after radiation, or responding to conservative care -> not indicated
--   conservative care not yet tried                                  -> option
--   age < 18 -> not indicated; exactly 18 -> option with the age conflict named
--   unstable (SINS 13-18 or pelvic instability) -> not indicated (refer for stabilisation)
--   impending instability (SINS 7-12) -> no block; surgical_consultation alert (rules/instability.lua)
--   Denis zone II without foraminal erosion, pathological fracture -> eligible, conflict named
-- Each outcome is its own rule with one static status, so that an unknown field holds the pathway
-- undetermined exactly when its value could change the status (P19).
local t = use("thresholds")
local F = use("facts")
local S = use("scoring")


-- MARK: - Response to conservative care (K4, K18)

rule {
    id = "sacroplasty.responding_to_conservative_care",
    pathways = { "sacroplasty" },
    implements = { "K18", "P5" },
    source = "Kortman 2013",
    summary = "Pain responding to conservative care: sacroplasty not indicated",
    unknown_text = "Response to conservative care (analgesics, bed rest, orthosis) not given; Kortman 2013 " ..
        "did not treat patients responding to it",
    when = function(c) return c:get("symptoms.conservative_care") == "responding" end,
    effect = {
        status = "not_indicated",
        text = "Pain is responding to conservative care: Kortman 2013 did not perform sacroplasty 'in those " ..
            "patients who were responding favorably to their conservative management'. Not indicated while it works.",
    },
}

rule {
    id = "sacroplasty.conservative_care_not_tried",
    pathways = { "sacroplasty" },
    implements = { "K4", "P5" },
    source = "Kortman 2013; Tian 2022",
    summary = "Conservative care not yet tried: at most option",
    when = function(c) return c:get("symptoms.conservative_care") == "not_tried" end,
    effect = {
        status = "option",
        text = "Conservative care (analgesics, bed rest, partial weight bearing, orthosis) has not been " ..
            "tried: every seed treated pain refractory to it (Kortman 2013 'refractory to standard medical " ..
            "management'; Tian 2022 'no relief with conventional treatments'). At most an option until it has failed.",
    },
}

-- MARK: - Prior radiation (K4, K10; conflict named, P16)

rule {
    id = "sacroplasty.irradiated_refractory",
    pathways = { "sacroplasty" },
    per_lesion = true,
    implements = { "K4", "K10", "K2", "P5" },
    source = "Mika & Mesfin 2018; Tian 2022; Tian 2019; Tian 2020",
    summary = "Previously irradiated lesion with persistent pain or progression: sacroplasty recommended",
    unknown_text = "Whether this lesion was irradiated, and how it responded, is not given " ..
        "(lesions[].irradiated or history.radiation; history.radiation_response)",
    when = function(c)
        return all_of(function() return F.lesion_irradiated(c) end,
            function()
                local r = c:get("history.radiation_response")
                return r == "persistent_pain" or r == "progression"
            end)
    end,
    effect = {
        status = "recommended",
        text = function(c)
            local r = c:get("history.radiation_response")
            return string.format(
                "Lesion %s was irradiated and %s followed: Mika & Mesfin 2018 list 'unrelenting pain in the " ..
                "setting of previously irradiated sacral metastatic lesions' as the indication for " ..
                "sacroplasty, and the Tian cohorts enrolled pain resistant to opioids, chemotherapy and " ..
                "radiotherapy (Tian 2022 entry criterion). Radiation does not relieve mechanical pain from a " ..
                "pathological fracture (Mika & Mesfin 2018).",
                tostring(c:lesion_id()), r == "progression" and "local progression" or "persistent pain")
        end,
    },
}

rule {
    id = "sacroplasty.radiation_naive",
    pathways = { "sacroplasty" },
    per_lesion = true,
    implements = { "K4", "K10", "K37", "P5", "P16" },
    source = "Mika & Mesfin 2018; Tian 2022; Kortman 2013",
    summary = "Radiation-naive lesion: sacroplasty is an option, radiation first (the seeds disagree)",
    unknown_text = "Whether this lesion was irradiated is not given (lesions[].irradiated or history.radiation)",
    when = function(c) return not F.lesion_irradiated(c) end,
    effect = {
        status = "option",
        text = function(c)
            return string.format(
                "Lesion %s has not been irradiated: radiation first (Mika & Mesfin 2018: conventional " ..
                "radiation is the first-line treatment; sacroplasty is indicated for previously irradiated " ..
                "lesions; Tian 2022 entry criterion asks for no relief with radiation therapy), so " ..
                "sacroplasty is an option. The sources disagree: Kortman 2013 required only failure of " ..
                "medical management, not prior radiation, and 80 of the 126 Tian 2022 patients had no radiation before the procedure.",
                tostring(c:lesion_id()))
        end,
    },
}

rule {
    id = "sacroplasty.radiation_controlled",
    pathways = { "sacroplasty" },
    per_lesion = true,
    implements = { "K4", "K10", "P5" },
    source = "Mika & Mesfin 2018",
    summary = "Pain controlled after radiation: sacroplasty not indicated",
    when = function(c)
        return all_of(function() return F.lesion_irradiated(c) end,
            function() return c:get("history.radiation_response") == "controlled" end)
    end,
    effect = {
        status = "not_indicated",
        text = function(c)
            return string.format("Lesion %s was irradiated and the pain is controlled: there is no refractory " ..
                "pain for sacroplasty to treat (Mika & Mesfin 2018: sacroplasty is for 'unrelenting pain' after radiation).",
                tostring(c:lesion_id()))
        end,
    },
}

-- MARK: - Age (K1; conflict at exactly 18 named, P16)

rule {
    id = "sacroplasty.age",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K1", "P5", "P16" },
    source = "Tian 2022; Tian 2020",
    summary = string.format("Age < %d not indicated; exactly %d option (the entry criteria disagree)", t.age_min_years,
        t.age_min_years),
    status = "not_indicated",
    on_unknown = "ignore",
    effect = function(c)
        if not c:has("patient.age") then
            return { text = "Age not given: the Tian cohorts enrolled adults (Tian 2022 'older than 18 " ..
                "years'; Tian 2020 '18 years of age or older')." }
        end
        local age = c:get("patient.age")
        if age < t.age_min_years then
            return { status = "not_indicated", text = string.format(
                "Age %d is below %d: no seed treated children (Tian 2022 entry criterion 'older than 18 years " ..
                "of age', Tian 2020 '18 years of age or older'). Not indicated.",
                age, t.age_min_years) }
        elseif age == t.age_min_years then
            return { status = "option", text = string.format(
                "Age exactly %d: the sources disagree. Tian 2022's entry criterion ('older than 18 years') " ..
                "excludes an 18-year-old, but Tian 2022 reports an age range of 18-89 and Tian 2020 includes " ..
                "patients '18 years of age or older'. The knowledge base follows Tian 2020: an option, not a recommendation.",
                age) }
        end
        return { text = string.format("Age %d meets the Tian 2022 / Tian 2020 entry criterion (adults).", age) }
    end,
}

-- MARK: - Pain severity (K2)

rule {
    id = "sacroplasty.pain_severity",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K2", "P5" },
    source = "Tian 2022; Kortman 2013; Mika & Mesfin 2018",
    summary = string.format("Painless lesion not indicated; VAS < %d outside the studied cohorts (at most option)",
        t.pain_vas_severe),
    status = "not_indicated",
    on_unknown = "ignore",
    effect = function(c)
        local ptype = c:opt("symptoms.pain_type")
        local vas = c:opt("symptoms.pain_vas")
        if ptype == "none" or vas == 0 then
            return { status = "not_indicated",
                text = "The lesion is not painful: sacroplasty and RFA treat pain ('severe sacral pain' in " ..
                    "every seed; Kortman 2013 required the pain to be attributable to the sacral lesion). Not indicated." }
        end
        local walk = c:opt("symptoms.cannot_walk_or_sit")
        local walk_text = ""
        if walk == false then
            walk_text = " Tian 2022 enrolled patients with 'severe pain and an inability to walk or sit'; " ..
                "this patient can walk and sit (Kortman 2013 did not require it)."
        end
        if vas == nil then
            return { text = "Pain score (VAS) not given: every seed treated severe pain (baseline VAS " ..
                "6.9-9.0). Check that the pain is severe and attributable to the sacral lesion (Kortman 2013)." .. walk_text }
        end
        if vas < t.pain_vas_severe then
            return { status = "option",
                text = string.format(
                    "Pain VAS %s is below the working cut-off for severe pain (VAS >= %d, a judgement: no " ..
                    "seed gives a cut-off; the cohorts' baseline means were 6.9-9.0 and Mika & Mesfin 2018 " ..
                    "call 7-10 severe). Outside the studied cohorts: at most an option.%s",
                    tostring(vas), t.pain_vas_severe, walk_text) }
        end
        return { text = string.format("Severe pain (VAS %s, >= %d) as in the studied cohorts (Tian 2022 entry criterion 'severe pain').%s",
            tostring(vas), t.pain_vas_severe, walk_text) }
    end,
}

-- MARK: - Neurological status (K9)

rule {
    id = "sacroplasty.cauda_equina",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K9", "K41", "P5", "P8" },
    source = "Mika & Mesfin 2018; Tian 2019; Tian 2020",
    summary = "Cauda equina syndrome: emergency decompression, not sacroplasty or RFA",
    unknown_text = "Neurological status not given (symptoms.neurologic, symptoms.bowel_bladder): cauda equina " ..
        "syndrome would rule out a percutaneous procedure",
    when = function(c) return F.ces(c) end,
    effect = {
        status = "not_indicated",
        text = "Cauda equina syndrome is a surgical emergency calling for prompt decompression (Mika & Mesfin " ..
            "2018); the sacroplasty cohorts enrolled only patients without neurological deficit (Tian 2019, Tian 2020). Not indicated.",
    },
}

rule {
    id = "sacroplasty.neurological_deficit",
    pathways = { "sacroplasty" },
    per_lesion = true,
    implements = { "K9", "P5", "P20" },
    source = "Tian 2019; Tian 2020; Tian 2022",
    summary = "Radiculopathy or motor deficit (without CES) from this lesion: outside the studied cohorts, at most option",
    unknown_text = "Neurological status, or which lesion causes the deficit, is not known (symptoms.neurologic, " ..
        "symptoms.neurologic_side, lesions[].causes_deficit)",
    when = function(c) return F.deficit_at(c) end,
    effect = {
        status = "option",
        text = function(c)
            return string.format(
                "Neurological deficit attributable to lesion %s (%s): Tian 2019 and Tian 2020 enrolled only patients 'without " ..
                "neurological deficit'; Tian 2022 has no explicit neurological criterion but excludes " ..
                "epidural tumour and foraminal erosion, which cause most deficits. Outside the studied " ..
                "cohorts: at most an option, and the cause of the deficit must be found.",
                tostring(c:lesion_id()), c:get("symptoms.neurologic"))
        end,
    },
}

-- MARK: - Mechanical stability (K20, B6 mechanical; P5)

rule {
    id = "sacroplasty.unstable",
    pathways = { "sacroplasty" },
    per_lesion = true,
    implements = { "K10", "K20", "K50", "P5" },
    source = "Mika & Mesfin 2018; Fisher 2010 (SINS); Laufer 2013 (NOMS)",
    summary = string.format("Unstable lesion (SINS %d-18 or pelvic instability): sacroplasty not indicated, refer for " ..
        "stabilisation", t.sins_unstable_min),
    unknown_text = string.format("The lesion's stability cannot be judged: SINS items are missing and could put it in " ..
        "the unstable band (%d-18)", t.sins_unstable_min),
    when = function(c) return F.lesion_unstable(c) end,
    effect = {
        status = "not_indicated",
        text = function(c)
            local why
            if F.pelvic_instability(c) then
                why = "the clinicians judge the pelvic ring / sacroiliac joint unstable"
            else
                why = string.format("%s, wholly in %d-18: unstable", S.format(S.sins(c), "SINS"), t.sins_unstable_min)
            end
            return string.format(
                "Lesion %s is unstable (%s): Mika & Mesfin 2018 limit sacroplasty to lesions 'without " ..
                "instability', and NOMS sends gross instability to open stabilisation. Not indicated; refer for stabilisation (fixation).",
                tostring(c:lesion_id()), why)
        end,
    },
}

-- MARK: - Conflicts that do not block (K16, P16)

rule {
    id = "sacroplasty.pathological_fracture",
    pathways = { "sacroplasty" },
    per_lesion = true,
    implements = { "K16", "K42", "P5", "P16" },
    source = "Tian 2020; Tian 2019; Kortman 2013",
    summary = "Pathological fracture: eligible (Tian 2019, Kortman 2013), though Tian 2020 excluded fractures",
    on_unknown = "ignore",
    when = function(c) return c:get("lesion.fracture") == "pathologic" end,
    effect = {
        text = function(c)
            return string.format(
                "Pathological fracture through lesion %s: eligible. The sources disagree: Tian 2020 excluded " ..
                "'patients with pathological fractures' (a scope limit of its ala-only study), while Tian " ..
                "2019 treated lesions 'with or without pathological fracture' and Kortman 2013 treated " ..
                "fractures. Radiation does not relieve the mechanical pain of a fracture (Mika & Mesfin 2018).",
                tostring(c:lesion_id()))
        end,
    },
}

rule {
    id = "sacroplasty.zone_ii",
    pathways = { "sacroplasty", "rfa" },
    per_lesion = true,
    implements = { "K16", "K22", "P5", "P16" },
    source = "Tian 2022; Tian 2020; Denis 1988",
    summary = "Denis zone II without foraminal erosion: eligible (Tian 2022), though Tian 2020 excluded foraminal-area lesions",
    on_unknown = "ignore",
    when = function(c)
        return F.has_zone(c, 2) and c:get("lesion.foraminal_erosion") == false
    end,
    effect = {
        text = function(c)
            return string.format(
                "Lesion %s lies in Denis zone II (foraminal region) without erosion of the foramina: " ..
                "eligible. Tian 2022 treated 30 zone 2 metastases and excludes only 'erosion of the " ..
                "neuroforamina'; Tian 2020 excluded 'lesions involving the area of the sacral foramina' " ..
                "(scope of an ala-only study). Only erosion is an exclusion here.",
                tostring(c:lesion_id()))
        end,
    },
}
