-- luacheck: globals fhir map order
-- The FHIR R4 mapping: where each case field lives in a patient's record, so that `sacral evaluate
-- --fhir` builds a case from a Bundle (or a CDS Hooks prefetch) and `sacral fhir export` writes one.
-- A hospital changes a code, a unit or a recency window here, without a rebuild. The engine checks
-- this file against the field dictionary (`sacral check`): every mapped field exists, types agree.
--
-- This file is not a rule file: the rule runtime does not load it; a loader of its own reads these
-- three declarations and refuses any key it does not know.
--
-- fhir { settings }                   once: identifiers, the questionnaire, defaults per resource type
-- map { "field.path", resource = "Patient"|"Observation"|"Condition"|"AllergyIntolerance"|"Procedure",
--       element = "birthDate"|"gender"              (Patient only)
--       derive = "age_years"                        (birthDate -> whole years at the evaluation date)
--       codes = { "system|code", ... }              (a boolean field: a matching resource means true)
--       values = { value = { codes = {...}, text = {...} } | "gender code" }  (an enumerated field)
--       text = { "words", ... }                     (fallback: case-insensitive words in code.text,
--                                                    coding.display, reaction.substance; for unreliable codes)
--       unit = "UCUM", units = { ["UCUM"] = factor to `unit` }, unitless = true (a bare number is in `unit`)
--       answers = { ["system|code"] = number }     (an Observation coded as valueCodeableConcept)
--       status = { ... }, clinical_status = { ... }, within_days = n   (override the defaults below)
--       body_site = { "system|code", ... }          (only resources at this site count)
--       ask = true                                  (also asked in the questionnaire; see below)
--       confidence = "confirmed"|"unconfirmed", note = "..." }
-- order { "pathway", codes = { "system|code", ... }, text = { ... }, confidence = ..., note = ... }
--
-- Choosing among several resources:
-- - Observation: among those with an accepted `status`, the most recent (effective[x], else issued);
--   older than `within_days` before the evaluation date: not used (warning). Two different values at
--   the same most recent time: ambiguous, the field stays unknown (warning). A unit that is neither
--   `unit` nor in `units`, no number, or a date after the evaluation date: that Observation is not
--   used (warning). Another status (preliminary …): not used (warning).
-- - Condition / AllergyIntolerance: a matching resource with an accepted clinical status and a
--   verification status other than refuted/entered-in-error says true (or its value); a refuted one
--   says false (booleans only). Inactive/resolved ones say nothing. Disagreeing resources: unknown.
-- - Procedure: a matching resource with an accepted status (and body site, when given) gives the value.
-- - Anything `entered-in-error` is ignored. One patient per evaluation: a resource whose subject is
--   another patient is not used (warning); two Patients in the input are refused.
-- - A field with `ask = true` is also in the questionnaire. The record and the answer must agree; when
--   they disagree the field stays unknown with a warning naming both (never a silent preference).
-- Every field not mapped here (and every `ask` field) is an item of the generated Questionnaire
-- (`sacral fhir questionnaire`): imaging details per lesion, judgements of the team, and so on.
--
-- Confidence: "confirmed" = the code was found in at least one public FHIR implementation guide or
-- terminology source while writing this file (mCODE for ECOG/KPS/radiotherapy, HL7 IGs for pain,
-- several independent code tables for SNOMED CT disorders); "unconfirmed" = from notes only; verify
-- with a terminology server before relying on it in production.

local LOINC = "http://loinc.org"
local SCT = "http://snomed.info/sct"
local ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
local CPT = "http://www.ama-assn.org/go/cpt"
local LOCAL = "urn:sacral:code"   -- local codes where no standard concept exists

fhir {
    version = "1.0.0",
    -- Patient.identifier with this system carries the case id (else the case id is Patient.id).
    case_id_system = "urn:sacral:case-id",
    -- The generated Questionnaire; a QuestionnaireResponse is read when it names this url.
    questionnaire = {
        url = "urn:sacral:questionnaire:sacral-case",
        name = "SacralCase",
        title = "Sacral metastasis: what the record does not hold",
        -- Answer codings of enumerated items: this prefix plus the field path is their system.
        answer_system = "urn:sacral:case-field:",
        -- Questions that only make sense after another answer (enableWhen).
        enable_when = {
            ["history.radiation_response"] = { question = "history.radiation", answer = "completed" },
            ["history.radiation_dose_gy"] = { question = "history.radiation", answer = "completed" },
            ["symptoms.neurologic_onset"] = { question = "symptoms.neurologic", operator = "!=", answer = "intact" },
            ["symptoms.neurologic_side"] = { question = "symptoms.neurologic", operator = "!=", answer = "intact" },
        },
    },
    -- Whose chart the patient-view card is for: a patient with a sacral metastasis on record. The
    -- CDS service is called for every chart opened; a card on every other patient's would be noise
    -- that teaches clinicians to ignore it. In scope: a Condition with one of `codes` (not refuted
    -- or entered in error; clinical status one of defaults.Condition's, or none recorded) at the
    -- sacrum, or naming no body site at all (ICD-10-CM codes carry none); or an answer to the
    -- questionnaire above (the team's record of the case). Out of scope: no card ({"cards": []}),
    -- no evaluation, nothing logged. Order checks are not scoped: an order for a pathway is always
    -- checked. Remove `scope` to show the card on every chart.
    scope = {
        codes = { SCT .. "|94222008", SCT .. "|128462008", ICD10CM .. "|C79.51" },
        body_site = { SCT .. "|54735007" },
        note = "94222008 Secondary malignant neoplasm of bone with body site 54735007 Bone structure of " ..
               "sacrum (mCODE SecondaryCancerCondition; no precoordinated 'of sacrum' concept); 128462008 " ..
               "Secondary malignant neoplastic disease, which mCODE allows; ICD-10-CM C79.51 bone, no site",
    },
    defaults = {
        Observation = { status = { "final", "amended", "corrected" }, within_days = 90 },
        Condition = { clinical_status = { "active", "recurrence", "relapse" } },
        AllergyIntolerance = { clinical_status = { "active" } },
        Procedure = { status = { "completed" } },
    },
}

-- Patient
map { "patient.age", resource = "Patient", element = "birthDate", derive = "age_years", confidence = "confirmed",
      note = "FHIR core: age is computed at the evaluation date given to sacral, never the clock" }
map { "patient.sex", resource = "Patient", element = "gender", confidence = "confirmed",
      values = { female = "female", male = "male", other = "other" },
      note = "administrative gender; 'unknown' leaves the field unknown" }

-- Performance status (mCODE ECOGPerformanceStatus / KarnofskyPerformanceStatus: valueInteger)
map { "patient.ecog", resource = "Observation", codes = { LOINC .. "|89247-1" }, confidence = "confirmed",
      -- Some profiles send the grade as a LOINC answer (valueCodeableConcept) instead of valueInteger.
      answers = { [LOINC .. "|LA9622-7"] = 0, [LOINC .. "|LA9623-5"] = 1, [LOINC .. "|LA9624-3"] = 2,
                  [LOINC .. "|LA9625-0"] = 3, [LOINC .. "|LA9626-8"] = 4 } }
map { "patient.karnofsky", resource = "Observation", codes = { LOINC .. "|89243-0" }, confidence = "confirmed" }

-- Laboratory values: a procedure decision needs recent ones.
map { "labs.inr", resource = "Observation", within_days = 30, confidence = "unconfirmed",
      codes = { LOINC .. "|6301-6", LOINC .. "|34714-6", LOINC .. "|38875-1", LOINC .. "|46418-0" },
      unit = "{INR}", units = { ["{INR}"] = 1, ["{ratio}"] = 1, ["1"] = 1 }, unitless = true,
      note = "INR in platelet-poor plasma, blood, either, capillary blood" }
map { "labs.platelets", resource = "Observation", within_days = 30, confidence = "unconfirmed",
      codes = { LOINC .. "|777-3", LOINC .. "|26515-7" },
      unit = "10*9/L", units = { ["10*9/L"] = 1, ["10*3/uL"] = 1, ["10*3/mm3"] = 1, ["/nL"] = 1,
                                 ["/uL"] = 0.001, ["/mm3"] = 0.001 },
      note = "field unit x10^9/L; 10*3/uL is the same number" }

-- Pain (0-10 numeric rating, reported)
map { "symptoms.pain_vas", resource = "Observation", within_days = 30, confidence = "confirmed",
      codes = { LOINC .. "|72514-3", LOINC .. "|38208-5" },
      unit = "{score}", units = { ["{score}"] = 1, ["1"] = 1 }, unitless = true }

-- Conditions
map { "comorbidities.systemic_infection", resource = "Condition", ask = true, confidence = "confirmed",
      codes = { SCT .. "|91302008", SCT .. "|5758002", ICD10CM .. "|A41.9", ICD10CM .. "|R78.81" },
      text = { "sepsis", "bacteremia", "bacteraemia" },
      note = "sepsis 91302008 confirmed; bacteraemia 5758002 and the ICD-10-CM codes unconfirmed" }
map { "symptoms.neurologic", resource = "Condition", ask = true, confidence = "confirmed",
      values = { cauda_equina = { codes = { SCT .. "|192970008", ICD10CM .. "|G83.4" },
                                  text = { "cauda equina" } } },
      note = "the record shows cauda equina syndrome; milder findings come from the questionnaire" }
map { "cancer.primary", resource = "Condition", ask = true, confidence = "unconfirmed",
      values = {
          lung = { codes = { SCT .. "|363358000", ICD10CM .. "|C34.90" } },
          breast = { codes = { SCT .. "|254837009", ICD10CM .. "|C50.919" } },
          prostate = { codes = { SCT .. "|399068003", ICD10CM .. "|C61" } },
          kidney = { codes = { SCT .. "|702391001", ICD10CM .. "|C64.9" } },
          thyroid = { codes = { SCT .. "|363478007", ICD10CM .. "|C73" } },
          liver = { codes = { SCT .. "|109841003", ICD10CM .. "|C22.0" } },
          colon = { codes = { ICD10CM .. "|C18.9" } },
          rectum = { codes = { ICD10CM .. "|C20" } },
          endometrial = { codes = { ICD10CM .. "|C54.1" } },
          melanoma = { codes = { ICD10CM .. "|C43.9" } },
          myeloma = { codes = { ICD10CM .. "|C90.00" } },
          gallbladder = { codes = { ICD10CM .. "|C23" } },
      },
      note = "SNOMED codes from notes (2+ sources there); ICD-10-CM from notes/mCODE; other, unknown, " ..
             "lymphoma and sarcoma have no single code and come from the questionnaire" }

-- PMMA / bone-cement allergy: no SNOMED CT substance concept was found, so a local code plus words.
map { "comorbidities.pmma_allergy", resource = "AllergyIntolerance", ask = true, confidence = "unconfirmed",
      codes = { LOCAL .. "|pmma-bone-cement" },
      text = { "methacrylat", "pmma", "bone cement" } }

-- Prior radiation to the sacrum (mCODE RadiotherapyCourseSummary), at the sacrum only.
map { "history.radiation", resource = "Procedure", ask = true, confidence = "confirmed",
      values = { completed = { codes = { SCT .. "|1217123003" }, text = { "radiotherapy" } } },
      body_site = { SCT .. "|54735007" },
      note = "1217123003 Radiotherapy course of treatment (mCODE); body site 54735007 Bone structure of sacrum" }

-- Orderable pathways: the ServiceRequest codes a CDS Hooks service matches draft orders against.
-- CPT codes are unconfirmed (from notes); the local codes and words always match.
order { "sacroplasty", confidence = "unconfirmed", codes = { CPT .. "|0200T", CPT .. "|0201T", LOCAL .. "|sacroplasty" },
        text = { "sacroplasty" } }
order { "rfa", confidence = "unconfirmed", codes = { CPT .. "|20982", LOCAL .. "|rfa" },
        text = { "radiofrequency ablation" } }
order { "radiation", confidence = "confirmed", codes = { SCT .. "|1217123003", LOCAL .. "|radiation" },
        text = { "radiotherapy", "radiation therapy" } }
order { "decompression", confidence = "unconfirmed", codes = { CPT .. "|63011", LOCAL .. "|decompression" },
        text = { "laminectomy", "decompression" } }
order { "fixation", confidence = "unconfirmed", codes = { CPT .. "|22848", LOCAL .. "|fixation" },
        text = { "lumbopelvic fixation", "pelvic fixation" } }
