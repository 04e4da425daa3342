-- Every number a rule or a score compares against, in one place. Change a threshold here; no
-- rebuild. Each entry names the K/P/B item it comes from and whether it is a study entry criterion
-- (Tian 2022 unless said otherwise) or a judgement of the knowledge base (J).
define("thresholds", {
    -- P2 / K13 (Tian 2022 exclusion 3): INR > 1.50 or platelets < 90 x10^9/L exclude unless corrected.
    -- Boundaries exactly as written: INR 1.50 and platelets 90 are eligible.
    inr_max = 1.50,
    platelets_min = 90,

    -- P3 / K3 (Tian 2022 inclusion): metastasis <= 3 cm in diameter. Larger is outside the cohort,
    -- not a contraindication.
    diameter_max_cm = 3.0,

    -- P4 / K6 (Tian 2022 and Tian 2020 inclusion): life expectancy >= 3 months.
    life_expectancy_min_months = 3,

    -- P5 / K1 (Tian 2022 "older than 18", Tian 2020 "18 or older"): below 18 not indicated; exactly
    -- 18 is the conflict.
    age_min_years = 18,

    -- K2: "severe" pain. No seed gives a cut-off; VAS >= 7 is a judgement (J) after Mika 2018
    -- quoting Moussazadeh ("7 to 10" is severe) and the cohorts' baseline means (6.9-9.0).
    pain_vas_severe = 7,

    -- B1 / K50 (Fisher 2010, Mika 2018): SINS 0-6 stable, 7-12 impending (indeterminate), 13-18 unstable.
    sins_impending_min = 7,
    sins_unstable_min = 13,

    -- B2 / K50 (Tokuhashi 2005, Mika 2018): 0-8 < 6 months, 9-11 >= 6 months, 12-15 >= 1 year.
    tokuhashi_6_months_min = 9,
    tokuhashi_1_year_min = 12,
    -- B2 item cut-offs.
    tokuhashi_kps_moderate_min = 50,     -- KPS 10-40 poor (0), 50-70 moderate (1), 80-100 good (2)
    tokuhashi_kps_good_min = 80,
    tokuhashi_extraspinal_many = 3,      -- extraspinal bone foci: >= 3 -> 0, 1-2 -> 1, 0 -> 2
    tokuhashi_vertebral_many = 3,        -- vertebral body metastases: >= 3 -> 0, 2 -> 1, 1 -> 2
    tokuhashi_vertebral_two = 2,

    -- B3 / K50 (Tomita 2001): 2-3 wide/marginal excision, 4-5 marginal/intralesional, 6-7
    -- palliative surgery, 8-10 non-operative supportive care.
    tomita_middle_min = 4,
    tomita_palliative_min = 6,
    tomita_terminal_min = 8,

    -- P11 (J): the systemic veto of open surgery: Tokuhashi <= 8 together with Tomita >= 8 or KPS <= 40
    -- (KPS 10-40 is Tokuhashi's "poor" general condition).
    veto_tokuhashi_max = 8,
    veto_tomita_min = 8,
    veto_kps_max = 40,

    -- B5 / P21 (Oken 1982): the conventional ECOG -> KPS table. ECOG gives a KPS range, and the rules
    -- use the whole range (an interval): ECOG 0 = KPS 90-100, 1 = 70-80, 2 = 50-60, 3 = 30-40, 4 = 10-20.
    ecog_kps = { [0] = { 90, 100 }, [1] = { 70, 80 }, [2] = { 50, 60 }, [3] = { 30, 40 }, [4] = { 10, 20 } },

    -- P6 / K27 (Tian 2019): a zone III lesion over this many sacral bodies or more takes the
    -- interpedicular approach only (dural-sac MRI, entry below the subarachnoid space).
    interpedicular_only_min_bodies = 2,
})

-- Clinical code sets the rules test membership of. Change them here.
define("code_sets", {
    -- B4 (Bilsky 2010; README "ESCC"): the grades named "high-grade" epidural disease, in order.
    escc_high_grade = { "2", "3" },
    -- K9 / P7 / P8: the values of symptoms.neurologic that are a neurological deficit.
    neurological_deficits = { "radiculopathy", "motor_deficit", "cauda_equina" },
})

-- Documented counting and mapping choices that are not thresholds but settings (README "Clinical
-- choices"). Change them here.
define("settings", {
    -- B2 (J): when cancer.vertebral_metastases is not given, the sacral lesions give a lower bound on
    -- it. true: each involved sacral segment (and L5) counts as one vertebral body (the knowledge
    -- base's convention); false: the sacrum counts as one body.
    tokuhashi_count_sacral_segments = true,
})
