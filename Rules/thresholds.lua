-- Every number a rule compares against, in one place. Change a threshold here; no rebuild.
define("thresholds", {
    inr_max = 1.50,               -- K13: INR > 1.50 excludes (1.50 is eligible)
    platelets_min = 90,           -- K13: platelets < 90 x10^9/L exclude (90 is eligible)
})
