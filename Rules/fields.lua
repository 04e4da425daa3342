-- The field dictionary: every field a case file may carry, with its type, unit and allowed values
-- (shared/spec/case-format.md). The engine validates case files against this table before any rule
-- runs, and a rule may read only fields declared here. To add a field, declare it here; no rebuild.
--
-- field { path, type = "string"|"integer"|"number"|"boolean"|"object"|"list"|"any",
--         enum = {...}, min = n, max = n, multiple_of = n, required = true,
--         items = { type = ..., enum = ... }, min_items = n, max_items = n, unique = true, unit = "...", doc = "..." }
-- A path names list items with "[]": "lesions[].zones".

-- Top level
field { "id", type = "string", required = true, doc = "case identifier, unique within a suite" }
field { "title", type = "string", doc = "one line for people" }
field { "patient", type = "object" }
field { "labs", type = "object" }
field { "comorbidities", type = "object" }
field { "cancer", type = "object" }
field { "lesions", type = "list", items = { type = "object" }, min_items = 1, max_items = 20, required = true,
        doc = "one entry per sacral lesion" }
field { "symptoms", type = "object" }
field { "history", type = "object", doc = "prior treatment" }
field { "expect", type = "any", doc = "regression expectations; ignored by evaluate" }

-- patient
field { "patient.age", type = "integer", min = 0, max = 120, unit = "years", doc = "age at evaluation" }
field { "patient.sex", type = "string", enum = { "female", "male", "other" } }
field { "patient.karnofsky", type = "integer", min = 0, max = 100, multiple_of = 10,
        doc = "Karnofsky Performance Status" }
field { "patient.ecog", type = "integer", min = 0, max = 4, doc = "ECOG performance status" }
field { "patient.fit_for_surgery", type = "boolean",
        doc = "the surgical team judges the patient fit for open surgery" }
field { "patient.accepts_surgery", type = "boolean", doc = "the patient is willing to undergo open surgery" }
field { "patient.life_expectancy_months", type = "number", min = 0, max = 600, unit = "months",
        doc = "the clinicians' own estimate" }

-- labs
field { "labs.inr", type = "number", min = 0.5, max = 20, unit = "ratio", doc = "international normalised ratio" }
field { "labs.platelets", type = "number", min = 0, max = 2000, unit = "x10^9/L", doc = "platelet count" }
field { "labs.coagulopathy_correctable", type = "boolean",
        doc = "an abnormal INR/platelet count can be corrected before the procedure" }

-- comorbidities
field { "comorbidities.systemic_infection", type = "boolean", doc = "active systemic infection (sepsis, bacteraemia)" }
field { "comorbidities.local_infection", type = "boolean",
        doc = "infection at or near the access site, e.g. sacral decubitus ulcer" }
field { "comorbidities.pmma_allergy", type = "boolean", doc = "allergy to PMMA bone cement" }
field { "comorbidities.severe_cardiopulmonary_disease", type = "boolean",
        doc = "concurrent severe cardiac or pulmonary disease" }

-- cancer
field { "cancer.primary", type = "string", doc = "primary tumour site/histology",
        enum = { "lung", "breast", "prostate", "kidney", "thyroid", "liver", "colon", "rectum", "endometrial",
                 "melanoma", "myeloma", "lymphoma", "sarcoma", "gallbladder", "other", "unknown" } }
field { "cancer.tissue_diagnosis", type = "string", enum = { "lesion_confirmed", "primary_confirmed", "none" } }
field { "cancer.direct_extension", type = "boolean",
        doc = "the sacral lesion is direct local extension of a known pelvic primary" }
field { "cancer.visceral_metastases", type = "string", enum = { "none", "treatable", "untreatable" } }
field { "cancer.extraspinal_bone_metastases", type = "integer", min = 0, max = 99 }
field { "cancer.vertebral_metastases", type = "integer", min = 0, max = 99,
        doc = "metastases in vertebral bodies, the sacral ones included" }
field { "cancer.systemic_therapy", type = "string", enum = { "ongoing", "planned", "none", "exhausted" } }
field { "cancer.growth", type = "string", enum = { "slow", "moderate", "rapid" },
        doc = "overrides the Tomita growth class of the primary" }
field { "cancer.radiosensitive", type = "boolean", doc = "overrides the radiosensitivity of the primary (NOMS)" }
field { "cancer.hypervascular", type = "boolean", doc = "overrides the hypervascularity of the primary" }

-- lesions[]
field { "lesions[].id", type = "string", required = true, doc = "unique within the case" }
field { "lesions[].levels", type = "list", unique = true,
        items = { type = "string", enum = { "L5", "S1", "S2", "S3", "S4", "S5", "coccyx" } } }
field { "lesions[].zones", type = "list", unique = true, items = { type = "integer", enum = { 1, 2, 3 } },
        doc = "Denis zones: 1 ala, 2 foraminal, 3 body and canal" }
field { "lesions[].side", type = "string", enum = { "left", "right", "bilateral", "midline" } }
field { "lesions[].diameter_cm", type = "number", min = 0, max = 40, unit = "cm", doc = "largest diameter" }
field { "lesions[].volume_ml", type = "number", min = 0, max = 5000, unit = "mL" }
field { "lesions[].bone_lesion", type = "string", enum = { "lytic", "mixed", "blastic" } }
field { "lesions[].fracture", type = "string", enum = { "none", "pathologic" } }
field { "lesions[].collapse", type = "string", enum = { "none", "none_over_half_involved", "under_half", "over_half" } }
field { "lesions[].alignment", type = "string", enum = { "normal", "deformity", "subluxation" } }
field { "lesions[].posterolateral", type = "string", enum = { "none", "unilateral", "bilateral" } }
field { "lesions[].epidural", type = "string", enum = { "0", "1a", "1b", "1c", "2", "3" },
        doc = "Bilsky/ESCC epidural grade as a quoted string; \"0\" = no epidural tumour" }
field { "lesions[].foraminal_erosion", type = "boolean" }
field { "lesions[].ilium", type = "string", enum = { "none", "left", "right", "bilateral" } }
field { "lesions[].irradiated", type = "boolean" }
field { "lesions[].pelvic_instability", type = "boolean",
        doc = "pelvic ring / SI joint judged mechanically unstable (SINS does not capture this)" }
-- P20: a neurological deficit belongs to the lesion that can cause it. The rules attribute it from the
-- lesion's anatomy (epidural disease, foraminal erosion, zone II/III) and the deficit's side; these two
-- optional fields let the case say what the anatomy cannot (Cases/README.md, "Attributing a deficit").
field { "lesions[].causes_deficit", type = "boolean",
        doc = "the clinicians attribute the neurological deficit (symptoms.neurologic) to this lesion (true) " ..
              "or rule this lesion out as its cause (false); absent: attributed from anatomy and side (P20)" }

-- symptoms
field { "symptoms.pain_vas", type = "number", min = 0, max = 10 }
field { "symptoms.pain_type", type = "string", enum = { "mechanical", "non_mechanical", "none" } }
field { "symptoms.neurologic", type = "string", enum = { "intact", "radiculopathy", "motor_deficit", "cauda_equina" } }
field { "symptoms.neurologic_side", type = "string", enum = { "left", "right", "bilateral" },
        doc = "side of a radicular or motor deficit on examination; a lesion on the other side cannot cause it (P20)" }
field { "symptoms.neurologic_onset", type = "string", enum = { "acute", "progressive", "stable" } }
field { "symptoms.frankel", type = "string", enum = { "A", "B", "C", "D", "E" } }
field { "symptoms.bowel_bladder", type = "string", enum = { "normal", "retention", "incontinence" } }
field { "symptoms.cannot_walk_or_sit", type = "boolean" }
field { "symptoms.conservative_care", type = "string", enum = { "refractory", "responding", "not_tried" } }

-- history
field { "history.radiation", type = "string", enum = { "none", "completed" } }
field { "history.radiation_response", type = "string", enum = { "controlled", "persistent_pain", "progression" } }
field { "history.radiation_dose_gy", type = "number", min = 0, max = 200, unit = "Gy" }
field { "history.sacral_surgery", type = "boolean" }
field { "history.cement_augmentation", type = "boolean" }
