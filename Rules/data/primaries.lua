-- Properties of the primary tumour, one row per value of cancer.primary (case-format.md):
--
--   label        how reasons name it
--   tokuhashi    revised Tokuhashi primary-site points (B2, Tokuhashi 2005)
--   growth       Tomita growth class (B3, Tomita 2001): "slow" 1, "moderate" 2, "rapid" 4 points
--   radio        NOMS radiosensitivity to conventional EBRT (B6, Laufer 2013):
--                "sensitive" | "intermediate" | "resistant"
--   hypervascular  hypervascular primary for pre-operative embolization (K62, P14)
--   notes        the documented choice where the source table does not list the primary; each
--                note is raised as a warning when the row is used for the score or rule it names
--
-- The case overrides three of these for one patient: cancer.growth (Tomita class),
-- cancer.radiosensitive (true = sensitive, false = resistant) and cancer.hypervascular.
define("primaries", {
    lung = { label = "lung cancer", tokuhashi = 0, growth = "rapid", radio = "resistant", hypervascular = false,
        notes = { radio = "Lung (non-small-cell) counted radioresistant after Laufer 2013 (UNCONFIRMED list; " ..
            "small-cell lung cancer is radiosensitive: set cancer.radiosensitive)." } },
    breast = { label = "breast cancer", tokuhashi = 5, growth = "slow", radio = "intermediate", hypervascular = false,
        notes = { radio = "Breast cancer recorded as intermediate radiosensitivity (B6: commonly treated as " ..
            "sensitive or intermediate, UNCONFIRMED)." } },
    prostate = { label = "prostate cancer", tokuhashi = 5, growth = "slow", radio = "intermediate", hypervascular = false,
        notes = { radio = "Prostate cancer recorded as intermediate radiosensitivity (B6: commonly treated as " ..
            "sensitive or intermediate, UNCONFIRMED)." } },
    kidney = { label = "renal cell carcinoma", tokuhashi = 3, growth = "moderate", radio = "resistant", hypervascular = true },
    thyroid = { label = "thyroid cancer", tokuhashi = 5, growth = "slow", radio = "resistant", hypervascular = true },
    liver = { label = "hepatocellular carcinoma", tokuhashi = 1, growth = "rapid", radio = "resistant", hypervascular = true,
        notes = { radio = "Hepatocellular carcinoma counted radioresistant after Laufer 2013 (UNCONFIRMED list)." } },
    colon = { label = "colon cancer", tokuhashi = 2, growth = "rapid", radio = "resistant", hypervascular = false,
        notes = { tokuhashi = "Tokuhashi: colon is not listed (only rectum, 4 points); scored as 'others' (2 " ..
            "points) per knowledge base B2.",
                  growth = "Tomita: colon mapped to rapid growth (4 points), knowledge base B3 recollection " ..
                      "of the original table (UNCONFIRMED); set cancer.growth to override." } },
    rectum = { label = "rectal cancer", tokuhashi = 4, growth = "rapid", radio = "resistant", hypervascular = false,
        notes = { growth = "Tomita: rectum mapped with colon to rapid growth (4 points), knowledge base B3 " ..
            "(UNCONFIRMED); set cancer.growth to override." } },
    endometrial = { label = "endometrial cancer", tokuhashi = 3, growth = "moderate", radio = "intermediate", hypervascular = false,
        notes = { tokuhashi = "Tokuhashi: endometrial cancer is not listed; scored as 'uterus' (3 points) per knowledge base B2.",
                  growth = "Tomita: endometrial cancer mapped to 'uterus', moderate growth (2 points), " ..
                      "knowledge base B3; set cancer.growth to override.",
                  radio = "Endometrial cancer is not in the NOMS lists; recorded as intermediate " ..
                      "radiosensitivity (J): set cancer.radiosensitive to override." } },
    melanoma = { label = "melanoma", tokuhashi = 2, growth = "rapid", radio = "resistant", hypervascular = false,
        notes = { tokuhashi = "Tokuhashi: melanoma is not listed; scored as 'others' (2 points) per knowledge base B2.",
                  growth = "Tomita: melanoma is not listed; mapped to rapid growth (4 points) (J); set cancer.growth to override." } },
    myeloma = { label = "myeloma", tokuhashi = 2, growth = "moderate", radio = "sensitive", hypervascular = false,
        notes = { tokuhashi = "Tokuhashi: myeloma is not listed; scored as 'others' (2 points) per knowledge base B2.",
                  growth = "Tomita: myeloma is not listed; mapped to moderate growth (2 points) (J); set cancer.growth to override." } },
    lymphoma = { label = "lymphoma", tokuhashi = 2, growth = "moderate", radio = "sensitive", hypervascular = false,
        notes = { tokuhashi = "Tokuhashi: lymphoma is not listed; scored as 'others' (2 points) per knowledge base B2.",
                  growth = "Tomita: lymphoma is not listed; mapped to moderate growth (2 points) (J); set cancer.growth to override." } },
    sarcoma = { label = "sarcoma", tokuhashi = 2, growth = "rapid", radio = "resistant", hypervascular = false,
        notes = { tokuhashi = "Tokuhashi: only osteosarcoma is listed (0 points); other sarcomas scored as " ..
            "'others' (2 points) per knowledge base B2. For osteosarcoma the score is 2 points too high.",
                  growth = "Tomita: sarcoma mapped to rapid growth (4 points) (J); set cancer.growth to override.",
                  radio = "Sarcoma counted radioresistant after Laufer 2013 (UNCONFIRMED list)." } },
    gallbladder = { label = "gallbladder cancer", tokuhashi = 1, growth = "rapid", radio = "intermediate", hypervascular = false,
        notes = { growth = "Tomita: gallbladder cancer is not listed; mapped to rapid growth (4 points) (J); " ..
            "set cancer.growth to override.",
                  radio = "Gallbladder cancer is not in the NOMS lists; recorded as intermediate " ..
                      "radiosensitivity (J): set cancer.radiosensitive to override." } },
    other = { label = "other primary", tokuhashi = 2, growth = "moderate", radio = "intermediate", hypervascular = false,
        notes = { tokuhashi = "Tokuhashi: primary 'other' scored as 'others' (2 points); check the Tokuhashi " ..
            "table (lung, osteosarcoma, stomach, bladder, oesophagus, pancreas score 0).",
                  growth = "Tomita: primary 'other' mapped to moderate growth (2 points) (J); set cancer.growth to override.",
                  radio = "Primary 'other': radiosensitivity recorded as intermediate (J): set cancer.radiosensitive to override." } },
    unknown = { label = "unknown primary", tokuhashi = 1, growth = "rapid", radio = "intermediate", hypervascular = false,
        notes = { radio = "Unknown primary: radiosensitivity recorded as intermediate (J): set cancer.radiosensitive to override." } },
})
