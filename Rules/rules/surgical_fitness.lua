-- P11: fitness and prognosis for open surgery (K49-K51, K53; B2, B3, B6), when decompression or
-- fixation is indicated.
--   fit_for_surgery false or accepts_surgery false -> contraindicated (relative), alternatives named
--   fitness or consent unknown -> undetermined (except emergency decompression for CES, P8: decisive)
--   systemic veto: estimate < 3 months, or Tokuhashi <= 8 together with Tomita >= 8 or KPS <= 40 ->
--     an indicated non-emergency operation becomes not indicated; the reason names the indication
--     and the veto. A veto needs its facts: a score interval that straddles its cut-off does not
--     veto, and the reason names the missing items (P21). Tomita never triggers excision (K49).
local F = use("facts")
local S = use("scoring")
local t = use("thresholds")

local SURGERY = {  -- a list: rule order must not depend on hash order
    { pathway = "decompression", indicated = F.decompression_indicated, name = "decompression (sacral laminectomy)",
        Name = "Decompression (sacral laminectomy)", indication = "neural compression" },
    { pathway = "fixation", indicated = F.fixation_indicated, name = "lumbopelvic fixation",
        Name = "Lumbopelvic fixation",
        indication = string.format("instability (SINS %d-18 or pelvic instability, or SINS %d-%d with neural compression)",
            t.sins_unstable_min, t.sins_impending_min, t.sins_unstable_min - 1) },
}

local function need_names(r)
    local names = {}
    for _, n in ipairs(r.need) do
        local ctx, path = n[1], n[2]
        if path:sub(1, 7) == "lesion." then
            names[#names + 1] = string.format("lesions[%s].%s", tostring(ctx:lesion_id()), path:sub(8))
        else
            names[#names + 1] = path
        end
    end
    return table.concat(names, ", ")
end

-- The systemic veto, from known facts only (P11, P21). Each limb is compared through S.meets: an
-- interval wholly on one side decides as if the score were known; one that straddles is not a fact,
-- so it does not veto, and the reason names its missing items. Returns vetoed, facts, why, gaps.
local function systemic_veto(c)
    local facts, reasons, gaps = {}, {}, {}
    if c:has("patient.life_expectancy_months") then
        local m = c:get("patient.life_expectancy_months")
        facts[#facts + 1] = string.format("estimated life expectancy %s months", tostring(m))
        if m < t.life_expectancy_min_months then
            reasons[#reasons + 1] = string.format("the clinicians estimate %s months of life (< %d)",
                tostring(m), t.life_expectancy_min_months)
        end
    end
    local toku, tomita, kps = S.tokuhashi(c), S.tomita(c), S.kps(c)
    local toku_low = known(function() return S.meets(toku, "<=", t.veto_tokuhashi_max) end)
    local tomita_high = known(function() return S.meets(tomita, ">=", t.veto_tomita_min) end)
    local kps_low = known(function() return S.meets(kps, "<=", t.veto_kps_max) end)
    local kps_text = kps.total and string.format("KPS %d", kps.total)
        or (kps.converted and string.format("KPS %d-%d (from ECOG %d)", kps.min, kps.max, kps.ecog) or "KPS not given")
    facts[#facts + 1] = S.format(toku, "revised Tokuhashi")
    facts[#facts + 1] = S.format(tomita, "Tomita")
    facts[#facts + 1] = kps_text
    if toku_low == true and (tomita_high == true or kps_low == true) then
        reasons[#reasons + 1] = string.format("%s (<= %d: predicted survival under 6 months) with %s",
            S.format(toku, "revised Tokuhashi"), t.veto_tokuhashi_max,
            tomita_high == true and string.format("%s (>= %d: terminal care)", S.format(tomita, "Tomita"), t.veto_tomita_min)
                or string.format("%s (<= %d)", kps_text, t.veto_kps_max))
    end
    -- A veto needs its facts: a limb that straddles and could have completed the veto is named.
    if toku_low == nil and (tomita_high ~= false or kps_low ~= false) then
        gaps[#gaps + 1] = string.format("%s straddles %d (missing: %s), so it does not veto",
            S.format(toku, "revised Tokuhashi"), t.veto_tokuhashi_max, need_names(toku))
    elseif toku_low == true and tomita_high ~= true and kps_low ~= true then
        if tomita_high == nil then
            gaps[#gaps + 1] = string.format("Tokuhashi is low but %s straddles %d (missing: %s)",
                S.format(tomita, "Tomita"), t.veto_tomita_min, need_names(tomita))
        end
        if kps_low == nil then
            gaps[#gaps + 1] = string.format("%s straddles %d (missing: %s)", kps_text, t.veto_kps_max, need_names(kps))
        end
        if #gaps > 0 then gaps[#gaps] = gaps[#gaps] .. ", so no veto" end
    end
    return #reasons > 0, table.concat(facts, ", "), table.concat(reasons, "; "), table.concat(gaps, "; ")
end

for _, s in ipairs(SURGERY) do
    local pathway = s.pathway
    rule {
        id = "surgery.unfit_or_declines." .. pathway,
        pathways = { pathway },
        implements = { "K5", "K51", "P11" },
        source = "Mika & Mesfin 2018; Tian 2022; Laufer 2013 (NOMS)",
        summary = "Indicated " .. s.name .. " but the patient is unfit or declines: relatively contraindicated, alternatives named",
        unknown_text = "Open surgery is indicated, but fitness for surgery or the patient's consent is not " ..
            "given (patient.fit_for_surgery, patient.accepts_surgery)",
        when = function(c)
            return all_of(function() return s.indicated(c) end, function() return F.unfit_or_declines(c) end)
        end,
        effect = {
            status = "contraindicated", strength = "relative",
            text = function(c)
                local who = {}
                if c:opt("patient.fit_for_surgery") == false then who[#who + 1] = "the surgical team judges " ..
                    "the patient unfit for open surgery" end
                if c:opt("patient.accepts_surgery") == false then who[#who + 1] = "the patient declines open surgery" end
                return string.format(
                    "%s is indicated by %s, but %s. Alternatives: palliative radiation (NOMS: when surgery is " ..
                    "not tolerated, radiation alone) and, where no exclusion applies, percutaneous " ..
                    "sacroplasty/RFA (Tian 2022 treated patients 'unwilling to undergo or unfit for surgical " ..
                    "treatment'; open surgery carries a high risk of complications in fragile patients, Tian 2022, Tian 2020).",
                    s.Name, s.indication, table.concat(who, " and "))
            end,
        },
    }

    rule {
        id = "surgery.systemic_veto." .. pathway,
        pathways = { pathway },
        implements = { "K49", "K50", "K51", "K53", "P11", "P21" },
        source = "Mika & Mesfin 2018; Tokuhashi 2005; Tomita 2001; Laufer 2013 (NOMS)",
        summary = string.format("Systemic veto of indicated non-emergency %s: estimate < %d months, or " ..
            "Tokuhashi <= %d with Tomita >= %d or KPS <= %d", s.name, t.life_expectancy_min_months, t.veto_tokuhashi_max,
            t.veto_tomita_min, t.veto_kps_max),
        status = "not_indicated",
        when = function(c)
            if pathway == "decompression" and known(function() return F.ces(c) end) == true then return false end
            return s.indicated(c)
        end,
        effect = function(c)
            local vetoed, facts, why, gaps = systemic_veto(c)
            if vetoed then
                return { status = "not_indicated", text = string.format(
                    "%s would be indicated by %s, but the systemic assessment vetoes it: %s. Not indicated " ..
                    "(NOMS: the systemic domain decides whether the patient can tolerate surgery; Mika & " ..
                    "Mesfin 2018: scoring systems 'determine if a patient's prognosis precludes surgical " ..
                    "intervention', and a low Tokuhashi score points to 'a palliative surgical procedure or nonsurgical options').%s",
                    s.Name, s.indication, why, gaps ~= "" and (" Note: " .. gaps .. ".") or "") }
            end
            return { text = string.format(
                "Systemic check before %s: %s. No veto (the veto needs an estimate < %d months, or Tokuhashi " ..
                "<= %d together with Tomita >= %d or KPS <= %d).%s Surgery here is palliative (median " ..
                "survival 11 months after sacral surgery, Feiz-Erfan in Mika & Mesfin 2018); Tomita never triggers excision in the sacrum.",
                s.name, facts, t.life_expectancy_min_months, t.veto_tokuhashi_max, t.veto_tomita_min, t.veto_kps_max,
                gaps ~= "" and (" Note: " .. gaps .. ".") or "") }
        end,
    }
end
