-- P2 / K13: coagulation before sacroplasty and RFA. INR > 1.50 or platelets < 90 x10^9/L
-- (boundaries exactly as written: INR 1.50 and platelets 90 are eligible).
--   not correctable      -> contraindicated, absolute
--   correctable          -> contraindicated, relative, plan step "correct, then re-evaluate"
--   correctability unknown -> contraindicated, relative; the coagulation_correction pathway is then
--                           undetermined, which reports labs.coagulopathy_correctable missing (the
--                           runtime lists missing fields only for undetermined pathways)
-- An unknown INR or platelet count leaves sacroplasty and RFA undetermined, never eligible (P15).
local t = use("thresholds")

local function deranged(c)
    return any_of(
        function() return c:get("labs.inr") > t.inr_max end,
        function() return c:get("labs.platelets") < t.platelets_min end)
end

local function correction_text()
    return string.format("Correct the coagulopathy (target INR <= %.2f and platelets >= %d x10^9/L), then " ..
        "re-evaluate for sacroplasty/RFA (Tian 2022; Kortman 2013).", t.inr_max, t.platelets_min)
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
    summary = string.format("INR > %.2f or platelets < %d x10^9/L excludes sacroplasty and RFA unless corrected",
        t.inr_max, t.platelets_min),
    unknown_text = string.format("Coagulation not known: an INR and a platelet count are needed before sacroplasty " ..
        "or RFA (Tian 2022 excludes INR > %.2f or platelets < %d x10^9/L unless corrected)", t.inr_max, t.platelets_min),
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
        if correctable == true then
            return { status = "contraindicated", strength = "relative",
                correction = correction_text(),
                text = base .. " The clinicians judge it correctable: the procedure is delayed, not excluded " ..
                    "('uncorrectable' in Tian 2022 implies that a correctable derangement delays it)." }
        end
        c:warn("labs.coagulopathy_correctable is missing: the coagulopathy was treated as a relative " ..
            "contraindication until its correctability is known (P2).")
        local plan = { pathway = "coagulation_correction", timing = "before",
            requires = { pathway = "coagulation_correction", status = "undetermined" },
            text = "Decide whether the coagulopathy can be corrected (labs.coagulopathy_correctable); if so " ..
                "correct it, then re-evaluate for sacroplasty/RFA (Tian 2022; Kortman 2013)." }
        return { status = "contraindicated", strength = "relative", plan = plan, correction = plan.text,
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

-- MARK: - The correction itself (pathway coagulation_correction)
-- Recommended when the coagulopathy is correctable and is what holds sacroplasty/RFA back (their
-- status is a relative contraindication); undetermined while correctability is unknown, so that
-- labs.coagulopathy_correctable is reported missing (P2); not indicated when it cannot be corrected
-- or is not needed.

local function held_back_by_coagulopathy(c)
    local function relative(p)
        return function()
            local s, strength = c:status(p)
            return s == "contraindicated" and strength == "relative"
        end
    end
    return any_of(relative("sacroplasty"), relative("rfa"))
end

rule {
    id = "coagulation.correction",
    pathways = { "coagulation_correction" },
    implements = { "K13", "P2", "P15" },
    source = "Tian 2022; Kortman 2013",
    summary = "Correctable coagulopathy holding back sacroplasty/RFA: correct it first, then re-evaluate",
    unknown_text = "Whether the coagulopathy can be corrected before sacroplasty/RFA is not given " ..
        "(labs.coagulopathy_correctable): Tian 2022 excludes only an uncorrectable coagulation disorder",
    when = function(c)
        return all_of(function() return deranged(c) end,
                      function() return held_back_by_coagulopathy(c) end,
                      function() return c:get("labs.coagulopathy_correctable") == true end)
    end,
    status = "recommended",
    effect = function(c)
        return {
            status = "recommended",
            plan = { pathway = "coagulation_correction", timing = "before", text = correction_text() },
            correction = correction_text(),
            text = string.format("Coagulopathy (%s) that the clinicians judge correctable: correct it before the " ..
                "procedure and re-evaluate. 'Uncorrectable coagulation disorder' is the Tian 2022 exclusion " ..
                "criterion; Kortman 2013 did not treat 'uncorrected coagulopathy'.", findings(c)),
        }
    end,
}

rule {
    id = "coagulation.not_correctable",
    pathways = { "coagulation_correction" },
    implements = { "K13", "P2" },
    source = "Tian 2022",
    summary = "Coagulopathy judged not correctable: no correction step; sacroplasty/RFA excluded",
    when = function(c)
        return all_of(function() return deranged(c) end,
                      function() return c:get("labs.coagulopathy_correctable") == false end)
    end,
    effect = {
        status = "not_indicated",
        text = "The clinicians judge the coagulopathy not correctable: there is no correction step, and " ..
            "sacroplasty and RFA are excluded (Tian 2022 exclusion criterion).",
    },
}

rule {
    id = "coagulation.not_needed",
    pathways = { "coagulation_correction" },
    implements = { "K13", "P2" },
    source = "Tian 2022",
    summary = "INR and platelets within the Tian 2022 limits: no correction needed",
    when = function(c) return not deranged(c) end,
    effect = {
        status = "not_indicated",
        text = function(c)
            return string.format("INR %s and platelets %s x10^9/L are within the Tian 2022 limits (INR <= %.2f, " ..
                "platelets >= %d x10^9/L): no correction needed.",
                tostring(c:get("labs.inr")), tostring(c:get("labs.platelets")), t.inr_max, t.platelets_min)
        end,
    },
}
