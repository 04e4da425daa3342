-- P2 / K13: coagulation before sacroplasty and RFA. INR > 1.50 or platelets < 90 x10^9/L
-- (boundaries exactly as written: INR 1.50 and platelets 90 are eligible).
--   not correctable      -> contraindicated, absolute
--   correctable          -> contraindicated, relative, plan step "correct, then re-evaluate"
--   correctability unknown -> contraindicated, relative; labs.coagulopathy_correctable named as
--                           missing (in the reason and a warning: the runtime lists missing fields
--                           only for undetermined pathways, see README "Limits")
-- An unknown INR or platelet count leaves sacroplasty and RFA undetermined, never eligible (P15).
local t = use("thresholds")

local function deranged(c)
    return any_of(
        function() return c:get("labs.inr") > t.inr_max end,
        function() return c:get("labs.platelets") < t.platelets_min end)
end

local function findings(c)
    local parts = {}
    local inr, plt = c:opt("labs.inr"), c:opt("labs.platelets")
    if inr and inr > t.inr_max then parts[#parts + 1] = string.format("INR %.2f > %.2f", inr, t.inr_max) end
    if plt and plt < t.platelets_min then parts[#parts + 1] = string.format("platelets %s < %d x10^9/L", tostring(plt), t.platelets_min) end
    return table.concat(parts, " and ")
end

rule {
    id = "sacroplasty.coagulopathy",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K13", "P2", "P15" },
    source = "Tian 2022; Kortman 2013",
    summary = "INR > 1.50 or platelets < 90 x10^9/L excludes sacroplasty and RFA unless corrected",
    unknown_text = "Coagulation not known: an INR and a platelet count are needed before sacroplasty or RFA " ..
        "(Tian 2022 excludes INR > 1.50 or platelets < 90 x10^9/L unless corrected)",
    -- The strongest status the computed effect can give (for the combiner when INR/platelets are unknown).
    status = "contraindicated", strength = "absolute",
    when = deranged,
    effect = function(c)
        local correctable = c:opt("labs.coagulopathy_correctable")
        local what = findings(c)
        local base = string.format(
            "Coagulopathy (%s). Tian 2022 exclusion criterion: 'uncorrectable coagulation disorder (INR > " ..
            "%.2f, platelet count < %d x10^9/L)'; Kortman 2013 did not treat 'uncorrected coagulopathy'.",
            what, t.inr_max, t.platelets_min)
        if correctable == false then
            return { status = "contraindicated", strength = "absolute",
                text = base .. " The clinicians judge it not correctable: excluded." }
        end
        local plan = {
            pathway = "coagulation_correction", timing = "before",
            requires = { pathway = "sacroplasty", status = { "contraindicated" } },
            text = string.format("Correct the coagulopathy (target INR <= %.2f and platelets >= %d x10^9/L), " ..
                "then re-evaluate for sacroplasty/RFA (Tian 2022; Kortman 2013).",
                t.inr_max, t.platelets_min),
        }
        if correctable == true then
            return { status = "contraindicated", strength = "relative", plan = plan,
                correction = plan.text,
                text = base .. " The clinicians judge it correctable: the procedure is delayed, not excluded " ..
                    "('uncorrectable' in Tian 2022 implies that a correctable derangement delays it)." }
        end
        c:warn("labs.coagulopathy_correctable is missing: the coagulopathy was treated as a relative " ..
            "contraindication until its correctability is known (P2).")
        plan.text = "Decide whether the coagulopathy can be corrected (labs.coagulopathy_correctable); if so " ..
            "correct it, then re-evaluate for sacroplasty/RFA (Tian 2022; Kortman 2013)."
        return { status = "contraindicated", strength = "relative", plan = plan, correction = plan.text,
            missing = { "labs.coagulopathy_correctable" },
            text = base .. " Whether it can be corrected is not given (missing: " ..
                "labs.coagulopathy_correctable): relative contraindication until that is known (P2)." }
    end,
}

rule {
    id = "sacroplasty.coagulation_normal",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K13", "P2" },
    source = "Tian 2022",
    summary = "INR and platelets within the Tian 2022 limits",
    on_unknown = "ignore",
    when = function(c) return c:has("labs.inr") and c:has("labs.platelets") and not deranged(c) end,
    effect = {
        text = function(c)
            return string.format("INR %s and platelets %s x10^9/L are within the Tian 2022 entry criteria " ..
                "(INR <= %.2f, platelets >= %d x10^9/L; the boundaries themselves are eligible).",
                tostring(c:get("labs.inr")), tostring(c:get("labs.platelets")), t.inr_max, t.platelets_min)
        end,
    },
}
