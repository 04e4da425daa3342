-- The field dictionary: every field a case file may carry, with its type, unit and allowed values
-- (shared/spec/case-format.md). The engine validates case files against this table before any rule
-- runs, and a rule may read only fields declared here. To add a field, declare it here; no rebuild.
--
-- field { path, type = "string"|"integer"|"number"|"boolean"|"object"|"list"|"any",
--         enum = {...}, min = n, max = n, multiple_of = n, required = true,
--         items = { type = ..., enum = ... }, min_items = n, max_items = n, unique = true, unit = "...", doc = "...",
--         label = "...", compared_with = { "thresholds.name", ... }, step = n }
-- A path names list items with "[]": "lesions[].zones".
-- `label` names the field on the page (`doc` is its help text). `compared_with` names the numbers of
-- thresholds.lua the rules compare the field with, and `step` the smallest difference that counts
-- (integers: 1, or multiple_of): `sacral evaluate --what-if` tries a value either side of each.

-- Top level
field { "id", label = "Case id", type = "string", required = true, doc = "case identifier, unique within a suite" }
field { "title", label = "Title", type = "string", doc = "one line for people" }
field { "patient", label = "Patient",
        doc = "the patient",
        type = "object" }
field { "labs", label = "Laboratory",
        doc = "coagulation before a procedure",
        type = "object" }
field { "comorbidities", label = "Comorbidities",
        doc = "conditions that exclude procedures",
        type = "object" }
field { "cancer", label = "Cancer",
        doc = "the primary tumour and its spread",
        type = "object" }
field { "lesions", label = "Lesions", type = "list", items = { type = "object" }, min_items = 1, max_items = 20,
        required = true,
        doc = "one entry per sacral lesion" }
field { "symptoms", label = "Symptoms",
        doc = "pain and neurology",
        type = "object" }
field { "history", label = "Prior treatment", type = "object", doc = "prior treatment" }
field { "expect", label = "Expectations", type = "any", doc = "regression expectations; ignored by evaluate" }

-- patient
field { "patient.age", label = "Age",
        compared_with = { "thresholds.age_min_years" },
        type = "integer", min = 0, max = 120, unit = "years", doc = "age at evaluation" }
field { "patient.sex", label = "Sex", type = "string", enum = { "female", "male", "other" } }
field { "patient.karnofsky", label = "Karnofsky (KPS)",
        compared_with = { "thresholds.veto_kps_max", "thresholds.tokuhashi_kps_moderate_min", "thresholds.tokuhashi_kps_good_min" },
        type = "integer", min = 0, max = 100, multiple_of = 10,
        doc = "Karnofsky Performance Status" }
field { "patient.ecog", label = "ECOG", type = "integer", min = 0, max = 4, doc = "ECOG performance status" }
field { "patient.fit_for_surgery", label = "Fit for open surgery", type = "boolean",
        doc = "the surgical team judges the patient fit for open surgery" }
field { "patient.accepts_surgery", label = "Accepts open surgery", type = "boolean",
        doc = "the patient is willing to undergo open surgery" }
field { "patient.life_expectancy_months", label = "Estimated life expectancy",
        compared_with = { "thresholds.life_expectancy_min_months" }, step = 0.1,
        type = "number", min = 0, max = 600, unit = "months",
        doc = "the clinicians' own estimate" }

-- labs
field { "labs.inr", label = "INR",
        compared_with = { "thresholds.inr_max" }, step = 0.01,
        type = "number", min = 0.5, max = 20, unit = "ratio", doc = "international normalised ratio" }
field { "labs.platelets", label = "Platelets",
        compared_with = { "thresholds.platelets_min" }, step = 1,
        type = "number", min = 0, max = 2000, unit = "x10^9/L", doc = "platelet count" }
field { "labs.coagulopathy_correctable", label = "Coagulopathy correctable", type = "boolean",
        doc = "an abnormal INR/platelet count can be corrected before the procedure" }

-- comorbidities
field { "comorbidities.systemic_infection", label = "Systemic infection", type = "boolean",
        doc = "active systemic infection (sepsis, bacteraemia)" }
field { "comorbidities.local_infection", label = "Local infection", type = "boolean",
        doc = "infection at or near the access site, e.g. sacral decubitus ulcer" }
field { "comorbidities.pmma_allergy", label = "PMMA allergy", type = "boolean", doc = "allergy to PMMA bone cement" }
field { "comorbidities.severe_cardiopulmonary_disease", label = "Severe cardiopulmonary disease", type = "boolean",
        doc = "concurrent severe cardiac or pulmonary disease" }

-- cancer
field { "cancer.primary", label = "Primary tumour", type = "string", doc = "primary tumour site/histology",
        enum = { "lung", "breast", "prostate", "kidney", "thyroid", "liver", "colon", "rectum", "endometrial",
                 "melanoma", "myeloma", "lymphoma", "sarcoma", "gallbladder", "other", "unknown" } }
field { "cancer.tissue_diagnosis", label = "Tissue diagnosis",
        doc = "histology: the sacral lesion itself was sampled; or a primary cancer is proven but the sacral lesion was "
           .. "not sampled; or no histology at all",
        type = "string", enum = { "lesion_confirmed", "primary_confirmed", "none" } }
field { "cancer.direct_extension", label = "Direct extension", type = "boolean",
        doc = "the sacral lesion is direct local extension of a known pelvic primary" }
field { "cancer.visceral_metastases", label = "Visceral metastases",
        doc = "metastases to major internal organs (Tokuhashi: removable/unremovable; Tomita)",
        type = "string", enum = { "none", "treatable", "untreatable" } }
field { "cancer.extraspinal_bone_metastases", label = "Extraspinal bone metastases",
        doc = "number of bone metastases outside the spine", compared_with = { "thresholds.tokuhashi_extraspinal_many" },
        type = "integer", min = 0, max = 99 }
field { "cancer.vertebral_metastases", label = "Vertebral body metastases",
        compared_with = { "thresholds.tokuhashi_vertebral_two", "thresholds.tokuhashi_vertebral_many" },
        type = "integer", min = 0, max = 99,
        doc = "metastases in vertebral bodies, the sacral ones included" }
field { "cancer.systemic_therapy", label = "Systemic therapy",
        doc = "status of chemotherapy / targeted / hormonal therapy",
        type = "string", enum = { "ongoing", "planned", "none", "exhausted" } }
field { "cancer.growth", label = "Growth rate (Tomita)", type = "string", enum = { "slow", "moderate", "rapid" },
        doc = "overrides the Tomita growth class of the primary" }
field { "cancer.radiosensitive", label = "Radiosensitive", type = "boolean", doc = "overrides the radiosensitivity of the primary (NOMS)" }
field { "cancer.hypervascular", label = "Hypervascular", type = "boolean", doc = "overrides the hypervascularity of the primary" }

-- lesions[]
field { "lesions[].id", label = "Lesion id", type = "string", required = true, doc = "unique within the case" }
field { "lesions[].levels", label = "Levels",
        doc = "segments the lesion occupies (L5 only for lesions crossing the lumbosacral junction)",
        type = "list", unique = true,
        items = { type = "string", enum = { "L5", "S1", "S2", "S3", "S4", "S5", "coccyx" } } }
field { "lesions[].zones", label = "Denis zones", type = "list", unique = true, items = { type = "integer", enum = { 1, 2, 3 } },
        doc = "Denis zones: 1 ala, 2 foraminal, 3 body and canal" }
field { "lesions[].side", label = "Side", type = "string", enum = { "left", "right", "bilateral", "midline" } }
field { "lesions[].diameter_cm", label = "Largest diameter",
        compared_with = { "thresholds.diameter_max_cm" }, step = 0.1,
        type = "number", min = 0, max = 40, unit = "cm", doc = "largest diameter" }
field { "lesions[].volume_ml", label = "Volume",
        doc = "lesion volume, if measured",
        type = "number", min = 0, max = 5000, unit = "mL" }
field { "lesions[].bone_lesion", label = "Bone lesion (SINS)",
        doc = "SINS bone lesion quality",
        type = "string", enum = { "lytic", "mixed", "blastic" } }
field { "lesions[].fracture", label = "Fracture",
        doc = "pathological (insufficiency) fracture through the lesion",
        type = "string", enum = { "none", "pathologic" } }
field { "lesions[].collapse", label = "Collapse (SINS)",
        doc = "SINS collapse item",
        type = "string", enum = { "none", "none_over_half_involved", "under_half", "over_half" } }
field { "lesions[].alignment", label = "Alignment (SINS)",
        doc = "SINS alignment item (de novo deformity; subluxation/translation)",
        type = "string", enum = { "normal", "deformity", "subluxation" } }
field { "lesions[].posterolateral", label = "Posterolateral involvement (SINS)",
        doc = "SINS posterolateral involvement of spinal elements",
        type = "string", enum = { "none", "unilateral", "bilateral" } }
field { "lesions[].epidural", label = "Epidural grade (Bilsky/ESCC)", type = "string", enum = { "0", "1a", "1b", "1c", "2", "3" },
        doc = "Bilsky/ESCC epidural grade as a quoted string; \"0\" = no epidural tumour" }
field { "lesions[].foraminal_erosion", label = "Foraminal erosion",
        doc = "tumour erodes the neural foramina",
        type = "boolean" }
field { "lesions[].ilium", label = "Ilium involved",
        doc = "iliac bone involved alongside the sacral lesion",
        type = "string", enum = { "none", "left", "right", "bilateral" } }
field { "lesions[].irradiated", label = "Irradiated",
        doc = "this lesion has received radiation",
        type = "boolean" }
field { "lesions[].pelvic_instability", label = "Pelvic instability", type = "boolean",
        doc = "pelvic ring / SI joint judged mechanically unstable (SINS does not capture this)" }
-- P20: a neurological deficit belongs to the lesion that can cause it. The rules attribute it from the
-- lesion's anatomy (epidural disease, foraminal erosion, zone II/III) and the deficit's side; these two
-- optional fields let the case say what the anatomy cannot (Cases/README.md, "Attributing a deficit").
field { "lesions[].causes_deficit", label = "Causes the deficit", type = "boolean",
        doc = "the clinicians attribute the neurological deficit (symptoms.neurologic) to this lesion (true) " ..
              "or rule this lesion out as its cause (false); absent: attributed from anatomy and side (P20)" }

-- symptoms
field { "symptoms.pain_vas", label = "Pain (VAS)",
        doc = "pain on the visual analogue scale (0-10)", compared_with = { "thresholds.pain_vas_severe" }, step = 1,
        type = "number", min = 0, max = 10 }
field { "symptoms.pain_type", label = "Pain type (SINS)",
        doc = "SINS pain item: mechanical (movement/load related), occasional non-mechanical, pain-free",
        type = "string", enum = { "mechanical", "non_mechanical", "none" } }
field { "symptoms.neurologic", label = "Neurology",
        doc = "worst neurological finding attributable to the sacrum",
        type = "string", enum = { "intact", "radiculopathy", "motor_deficit", "cauda_equina" } }
field { "symptoms.neurologic_side", label = "Side of the deficit", type = "string",
        enum = { "left", "right", "bilateral" },
        doc = "side of a radicular or motor deficit on examination; a lesion on the other side cannot cause it (P20)" }
field { "symptoms.neurologic_onset", label = "Neurological course",
        doc = "how the deficit is evolving",
        type = "string", enum = { "acute", "progressive", "stable" } }
field { "symptoms.frankel", label = "Frankel grade",
        doc = "Frankel grade, if assessed (Tokuhashi palsy item); otherwise mapped from the neurology",
        type = "string", enum = { "A", "B", "C", "D", "E" } }
field { "symptoms.bowel_bladder", label = "Bowel and bladder",
        doc = "sphincter function",
        type = "string", enum = { "normal", "retention", "incontinence" } }
field { "symptoms.cannot_walk_or_sit", label = "Cannot walk or sit for pain",
        doc = "pain prevents walking or sitting",
        type = "boolean" }
field { "symptoms.conservative_care", label = "Conservative care",
        doc = "response to analgesics, bed rest, orthosis",
        type = "string", enum = { "refractory", "responding", "not_tried" } }

-- history
field { "history.radiation", label = "Prior radiation",
        doc = "prior radiation to the sacrum",
        type = "string", enum = { "none", "completed" } }
field { "history.radiation_response", label = "Response to radiation",
        doc = "what followed it: pain controlled; no pain relief; local recurrence or progression",
        type = "string", enum = { "controlled", "persistent_pain", "progression" } }
field { "history.radiation_dose_gy", label = "Prior radiation dose",
        doc = "total prior dose to the sacrum",
        type = "number", min = 0, max = 200, unit = "Gy" }
field { "history.sacral_surgery", label = "Prior sacral surgery",
        doc = "prior surgery at the sacrum",
        type = "boolean" }
field { "history.cement_augmentation", label = "Prior sacroplasty",
        doc = "prior sacroplasty at the target lesion",
        type = "boolean" }
